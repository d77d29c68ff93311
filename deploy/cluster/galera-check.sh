#!/bin/sh
# HAProxy external-check command for deploy/cluster/haproxy.cfg: exits 0 only when the node at $3:$4 answers and
# reports wsrep_local_state 4 (Synced). A node that accepts TCP, or even SQL, while it is a joiner, a donor or
# outside the primary component (non-Primary: it refuses queries with ER_UNKNOWN_COM_ERROR) must not take writes.
# HAProxy calls it as: galera-check.sh PROXY_ADDRESS PROXY_PORT SERVER_ADDRESS SERVER_PORT, with an empty
# environment apart from PATH (haproxy.cfg's external-check path). The account 'haproxy_check' has no privileges:
#   CREATE USER 'haproxy_check'@'HAPROXY_HOST_ADDRESS';   (SHOW STATUS needs none)
state="$(mariadb --no-defaults --connect-timeout=2 --host="$3" --port="$4" --user=haproxy_check \
    --batch --skip-column-names -e "SHOW GLOBAL STATUS LIKE 'wsrep_local_state'" 2>/dev/null)" || exit 1
[ "$(printf '%s' "$state" | cut -f 2)" = 4 ]
