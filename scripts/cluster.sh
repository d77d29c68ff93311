#!/usr/bin/env bash
# The scale-out topology on one machine, loopback only (README "Scale-out"): a 3-node MariaDB Galera cluster behind
# HAProxy (one writer, two backups, admitted only when Synced), two payments-fcgi responders behind one nginx
# upstream, the sandbox (gateways and Retail), and three `payments-sync run` loops standing for three hosts' timers.
# Every config comes from deploy/cluster/ (galera.cnf, haproxy.cfg, galera-check.sh, nginx-upstream.conf) with the
# loopback addresses and ports substituted, so the shipped files are the tested ones.
#
# usage: scripts/cluster.sh start|stop|status|env|kill-writer|restart-node N|kill-node N|kill-responder N|
#                           restart-responder N|responders 1|2|use-db galera|single
#   start               a fresh cluster under .run/cluster (wiped first); harmless when it already runs
#   stop                stops everything it started
#   status              every component, the HAProxy writer, the URL
#   env                 shell exports for tests (CLUSTER_*, TEST_GALERA_*); also written to .run/cluster/cluster.env
#   kill-writer         SIGKILL of the node HAProxy currently sends writes to (prints its number)
#   kill-node N         SIGKILL of node N
#   restart-node N      (re)starts node N: it rejoins by IST from its recovered position (SST when the gap is too
#                       big) and the command waits until it is Synced and HAProxy admits it
#   kill-responder N    SIGKILL of payments-fcgi N (1 or 2)
#   restart-responder N (re)starts payments-fcgi N
#   responders 1|2      how many responders nginx's upstream lists (reload; bench/cluster's 1-vs-2 comparison)
#   use-db galera|single  points the responders and the sync loops at HAProxy (galera) or at a standalone MariaDB
#                       with the same settings (single, started on first use; bench/cluster's comparison)
#
# Ports: CLUSTER_PORT_BASE (23000) + offsets: nginx http 80, https 443, nchan publisher 81, sandbox 100..109,
# HAProxy 300 (stats 301), node N's SQL 310+N, group communication 410+N, IST 420+N, SST 430+N, the single MariaDB
# 320. RUN_HTTP_PORT, RUN_HTTPS_PORT and SANDBOX_PORT_BASE override theirs. Binaries: TN_BIN_DIR (.build/release).
# Migrations: CLUSTER_MIGRATE=haproxy (default) runs `payments-sync migrate` through HAProxy once the cluster is up,
# as an operator would (its lease row is cluster-wide); CLUSTER_MIGRATE=bootstrap applies sql/ on node 1 before
# wsrep is on instead. CLUSTER_SYNC_EVERY (5) seconds between the runs of each sync loop.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack cluster

base="${CLUSTER_PORT_BASE:-23000}"
export RUN_HTTP_PORT="${RUN_HTTP_PORT:-$TN_DEFAULT_HTTP_PORT}"
export RUN_HTTPS_PORT="${RUN_HTTPS_PORT:-$TN_DEFAULT_HTTPS_PORT}"
export SANDBOX_PORT_BASE="${SANDBOX_PORT_BASE:-$TN_DEFAULT_SANDBOX_BASE}"
haproxy_port=$((base + 300))
stats_port=$((base + 301))
single_port=$((base + 320))
nodes=(1 2 3)
dir="$TN_RUN_DIR"
deploy="$TN_REPO/deploy/cluster"
sync_every="${CLUSTER_SYNC_EVERY:-5}"

sql_port() { printf '%s' $((base + 310 + $1)); }
node_dir() { printf '%s' "$dir/node$1"; }
responder_socket() { printf '%s' "$dir/fcgi/r$1.sock"; }
mariadb_cli() { command -v mariadb || command -v mysql; }
mariadbd_bin() { command -v mariadbd || { [[ -x /usr/sbin/mariadbd ]] && printf '%s' /usr/sbin/mariadbd; }; }

# The database port the responders and sync loops use now: HAProxy's, or the single MariaDB's after `use-db single`.
db_port() { cat "$dir/db-port" 2>/dev/null || printf '%s' "$haproxy_port"; }

# dir_sql DIR QUERY: runs QUERY as root on the socket of the server in DIR (tab-separated, no headers).
dir_sql() {
    "$(mariadb_cli)" --no-defaults --socket="$1/mysqld.sock" --user=root --connect-timeout=2 \
        --batch --skip-column-names -e "$2"
}
node_sql() { dir_sql "$(node_dir "$1")" "$2"; }

node_state() { node_sql "$1" "SHOW GLOBAL STATUS LIKE 'wsrep_local_state'" 2>/dev/null | cut -f 2; }

node_running() { tn_pid_alive "$(node_dir "$1")/node.pid" mariadbd; }

# render_cnf DIR NAME SQL_PORT OFFSET ADDRESSES: deploy/cluster/galera.cnf for a server in DIR on 127.0.0.1, its
# group communication, IST and SST ports at base + 410/420/430 + OFFSET.
render_cnf() {
    NODE_NAME="$2" NODE_ADDRESS=127.0.0.1 MYSQL_PORT="$3" GALERA_PORT=$((base + 410 + $4)) \
        IST_PORT=$((base + 420 + $4)) SST_PORT=$((base + 430 + $4)) CLUSTER_ADDRESSES="$5" GCACHE_SIZE=64M \
        envsubst '${NODE_NAME} ${NODE_ADDRESS} ${MYSQL_PORT} ${GALERA_PORT} ${IST_PORT} ${SST_PORT} ${CLUSTER_ADDRESSES} ${GCACHE_SIZE}' \
        <"$deploy/galera.cnf" >"$1/galera.cnf"
}

render_node_cnf() {
    local addresses="" m
    for m in "${nodes[@]}"; do addresses+="${addresses:+,}127.0.0.1:$((base + 410 + m))"; done
    render_cnf "$(node_dir "$1")" "node$1" "$(sql_port "$1")" "$1" "$addresses"
}

# install_datadir DIR: a new datadir in DIR, owned by mysql.
install_datadir() {
    mkdir -p "$1/data" "$1/tmp"
    chown -R mysql:mysql "$1"
    "$(command -v mariadb-install-db || command -v mysql_install_db)" --no-defaults --datadir="$1/data" \
        --tmpdir="$1/tmp" --user=mysql --skip-test-db >"$1/install-db.log" 2>&1 \
        || { tail -n 30 "$1/install-db.log" >&2; tn_die "mariadb-install-db failed in $1"; }
}

# start_mariadbd DIR EXTRA...: mariadbd as the mysql user (rsync SST needs it) with DIR's galera.cnf and the local
# paths and sizes; EXTRA are further options (--wsrep-new-cluster, --wsrep-on=OFF, ...). DIR/node.pid is ours (root
# writes it), DIR/mysqld.pid the server's own.
start_mariadbd() {
    local d="$1"
    shift
    local server
    server="$(mariadbd_bin)" || tn_die "mariadbd not found (make deps)"
    chown -R mysql:mysql "$d"
    rm -f "$d/mysqld.sock"
    tn_start_bg "$d/node.pid" "$d/stdout.log" "$server" --defaults-file="$d/galera.cnf" \
        --datadir="$d/data" --tmpdir="$d/tmp" --socket="$d/mysqld.sock" --pid-file="$d/mysqld.pid" \
        --log-error="$d/mariadbd.log" --user=mysql --max-connections=200 --innodb-buffer-pool-size=64M \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --default-time-zone=+00:00 "$@"
}

# wait_socket DIR SECONDS: until the server in DIR answers on its socket.
wait_socket() {
    local d="$1" deadline=$((SECONDS + $2))
    until "$(mariadb_cli)" --no-defaults --socket="$d/mysqld.sock" --user=root --connect-timeout=2 -e 'SELECT 1' \
        >/dev/null 2>&1; do
        if ! tn_pid_alive "$d/node.pid" mariadbd || ((SECONDS >= deadline)); then
            tail -n 40 "$d/mariadbd.log" >&2 || true
            tn_die "MariaDB in $d did not come up"
        fi
        sleep 0.5
    done
}

# wait_synced N SECONDS: until node N reports wsrep_local_state 4 (Synced).
wait_synced() {
    local n="$1" deadline=$((SECONDS + $2)) d
    d="$(node_dir "$n")"
    until [[ "$(node_state "$n")" == 4 ]]; do
        if ! node_running "$n" || ((SECONDS >= deadline)); then
            tail -n 40 "$d/mariadbd.log" >&2 || true
            tn_die "node $n did not reach Synced"
        fi
        sleep 0.5
    done
}

stop_mariadbd() {
    local d="$1"
    if tn_pid_alive "$d/node.pid" mariadbd; then
        "$(command -v mariadb-admin || command -v mysqladmin)" --no-defaults --socket="$d/mysqld.sock" --user=root \
            --connect-timeout=5 shutdown >/dev/null 2>&1 || true
    fi
    tn_stop_pid "$d/node.pid" mariadbd 60
}

# The accounts of README "Production install" (runtime DML, migrations DDL) for TCP from 127.0.0.1, HAProxy's check
# account (no privileges), and an administrative account for tests that make their own databases.
create_accounts() {
    dir_sql "$1" "CREATE DATABASE IF NOT EXISTS tn_payments CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
        CREATE USER IF NOT EXISTS 'tn-payments'@'127.0.0.1' IDENTIFIED BY '$(tn_env_value DB_PASSWORD)';
        GRANT SELECT, INSERT, UPDATE, DELETE, EXECUTE ON tn_payments.* TO 'tn-payments'@'127.0.0.1';
        CREATE USER IF NOT EXISTS 'tn-payments-migrate'@'127.0.0.1' IDENTIFIED BY '$(tn_env_value DB_MIGRATE_PASSWORD)';
        GRANT ALL ON tn_payments.* TO 'tn-payments-migrate'@'127.0.0.1';
        CREATE USER IF NOT EXISTS 'haproxy_check'@'127.0.0.1';
        CREATE USER IF NOT EXISTS 'cluster-admin'@'127.0.0.1' IDENTIFIED BY '$(cat "$dir/admin-password")';
        GRANT ALL ON *.* TO 'cluster-admin'@'127.0.0.1' WITH GRANT OPTION;"
}

# migrate_on_socket DIR: payments-sync migrate as root on DIR's socket (node 1 alone, before wsrep is on).
migrate_on_socket() {
    DB_SOCKET="$1/mysqld.sock" DB_USER=root DB_PASSWORD="" DB_MIGRATE_USER=root DB_MIGRATE_PASSWORD="" \
        "$TN_BIN_DIR/payments-sync" migrate --env-file "$TN_ENV_FILE" --sql-dir "$TN_REPO/sql"
}

start_node() {
    local n="$1" d recovered position extra=()
    d="$(node_dir "$n")"
    node_running "$n" && { tn_log "node $n already running"; return 0; }
    mkdir -p "$d/data" "$d/tmp"
    render_node_cnf "$n"
    if [[ -f "$d/data/grastate.dat" ]] && grep -q '^seqno: *-1' "$d/data/grastate.dat"; then
        # After a crash the state file has no position: recover it from InnoDB, so the node asks for IST.
        chown -R mysql:mysql "$d"
        "$(mariadbd_bin)" --defaults-file="$d/galera.cnf" --datadir="$d/data" --tmpdir="$d/tmp" \
            --socket="$d/recover.sock" --pid-file="$d/recover.pid" --log-error="$d/recover.log" --user=mysql \
            --innodb-buffer-pool-size=64M --wsrep-recover >/dev/null 2>&1 || true
        recovered="$(grep -o 'Recovered position: [0-9a-f-]*:-\{0,1\}[0-9]*' "$d/recover.log" | tail -n 1 || true)"
        position="${recovered#Recovered position: }"
        if [[ -n "$position" && "$position" != *:-1 ]]; then extra+=(--wsrep-start-position="$position"); fi
        tn_log "node $n: recovered position ${position:-none}"
    fi
    start_mariadbd "$d" "${extra[@]}"
}

bootstrap_cluster() {
    local d1
    d1="$(node_dir 1)"
    install_datadir "$d1"
    render_node_cnf 1
    # Node 1 alone, wsrep off: the accounts, the database and (CLUSTER_MIGRATE=bootstrap) the migrations.
    start_mariadbd "$d1" --wsrep-on=OFF --wsrep-provider=none --skip-networking
    wait_socket "$d1" 60
    create_accounts "$d1"
    if [[ "${CLUSTER_MIGRATE:-haproxy}" == bootstrap ]]; then
        migrate_on_socket "$d1" || tn_die "payments-sync migrate on node 1 failed"
    fi
    stop_mariadbd "$d1"
    start_mariadbd "$d1" --wsrep-new-cluster
    wait_synced 1 60
    tn_log "node 1 bootstrapped the cluster (SQL 127.0.0.1:$(sql_port 1))"
    local n
    for n in 2 3; do
        mkdir -p "$(node_dir "$n")/data" "$(node_dir "$n")/tmp"
        start_node "$n"
        wait_synced "$n" 120
        tn_log "node $n joined by rsync SST (SQL 127.0.0.1:$(sql_port "$n"))"
    done
}

# haproxy_states: "node1 UP" lines from the stats page (CSV).
haproxy_states() {
    curl -s -m 2 "http://127.0.0.1:$stats_port/stats;csv" 2>/dev/null \
        | awk -F, '$1 == "tn_payments_db" && $2 ~ /^node/ { print $2, $18 }'
}

# The node HAProxy sends connections to: node1 when UP, else the first UP backup.
current_writer() {
    local states n
    states="$(haproxy_states)"
    for n in "${nodes[@]}"; do
        if grep -q "^node$n UP" <<<"$states"; then printf '%s' "$n"; return 0; fi
    done
    return 1
}

wait_haproxy_up() {
    local n="$1" deadline=$((SECONDS + $2))
    until haproxy_states | grep -q "^node$n UP"; do
        ((SECONDS < deadline)) || tn_die "HAProxy did not admit node $n (states: $(haproxy_states | tr '\n' ' '))"
        sleep 0.5
    done
}

start_haproxy() {
    command -v haproxy >/dev/null || tn_die "haproxy not found (scripts/deps.sh cluster)"
    mkdir -p "$dir/haproxy"
    HAPROXY_BIND="127.0.0.1:$haproxy_port" STATS_BIND="127.0.0.1:$stats_port" NODE1="127.0.0.1:$(sql_port 1)" \
        NODE2="127.0.0.1:$(sql_port 2)" NODE3="127.0.0.1:$(sql_port 3)" CHECK_COMMAND="$deploy/galera-check.sh" \
        envsubst '${HAPROXY_BIND} ${STATS_BIND} ${NODE1} ${NODE2} ${NODE3} ${CHECK_COMMAND}' \
        <"$deploy/haproxy.cfg" >"$dir/haproxy/haproxy.cfg"
    haproxy -c -q -f "$dir/haproxy/haproxy.cfg" || tn_die "haproxy -c failed for $dir/haproxy/haproxy.cfg"
    tn_start_bg "$dir/haproxy/haproxy.pid" "$dir/haproxy/haproxy.log" haproxy -W -db -f "$dir/haproxy/haproxy.cfg"
    wait_haproxy_up 1 30
    tn_log "HAProxy on 127.0.0.1:$haproxy_port (writer node 1; stats http://127.0.0.1:$stats_port/stats)"
}

start_responder() {
    local n="$1" socket
    socket="$(responder_socket "$n")"
    tn_stop_pid "$dir/payments-fcgi-$n.pid" payments-fcgi 15
    mkdir -p "$dir/fcgi"
    rm -f "$socket"
    tn_start_bg "$dir/payments-fcgi-$n.pid" "$dir/payments-fcgi-$n.log" env FCGI_SOCKET="$socket" \
        DB_PORT="$(db_port)" "$TN_BIN_DIR/payments-fcgi" --env-file "$TN_ENV_FILE" --sql-dir "$TN_REPO/sql"
    for ((i = 0; i < 300; i++)); do
        [[ -S "$socket" ]] && { tn_log "payments-fcgi $n listening on $socket"; return 0; }
        tn_proc_running "$(cat "$dir/payments-fcgi-$n.pid")" || break
        sleep 0.1
    done
    tail -n 30 "$dir/payments-fcgi-$n.log" >&2 || true
    tn_die "payments-fcgi $n did not start"
}

# render_nginx COUNT: the local site (scripts/nginx-config.sh) with its one-responder upstream replaced by the
# upstream of deploy/cluster/nginx-upstream.conf listing COUNT responders (every fastcgi_pass names tn_payments_fcgi).
render_nginx() {
    local count="$1" prefix="$TN_NGINX_PREFIX" socket1
    socket1="$(responder_socket 1)"
    "$TN_REPO/scripts/nginx-config.sh" cluster >/dev/null
    local upstream
    upstream="$(<"$deploy/nginx-upstream.conf")"
    if [[ "$count" == 1 ]]; then upstream="$(grep -v 'TN_RESPONDER_2' <<<"$upstream")"; fi
    TN_RESPONDER_1="unix:$socket1" TN_RESPONDER_2="unix:$(responder_socket 2)" \
        envsubst '${TN_RESPONDER_1} ${TN_RESPONDER_2}' <<<"$upstream" >"$prefix/upstream.conf"
    sed -i -e '/^    upstream tn_payments_fcgi {$/,/^    }$/d' \
        -e "0,/^http {/s##http {\n    include $prefix/upstream.conf;#" "$prefix/nginx.conf"
    grep -q 'fastcgi_pass unix:\|server unix:' "$prefix/nginx.conf" && tn_die "a fastcgi_pass does not go to the cluster upstream"
    echo "$count" >"$dir/responders"
}

start_nginx() {
    local prefix="$TN_NGINX_PREFIX" args
    render_nginx "${1:-2}"
    args=(-p "$prefix" -e "$prefix/logs/error.log" -c "$prefix/nginx.conf")
    nginx -t -q "${args[@]}" || tn_die "nginx -t failed for $prefix/nginx.conf"
    if tn_pid_alive "$prefix/nginx.pid" "nginx: master"; then
        nginx "${args[@]}" -s reload
        sleep 0.5
    else
        rm -f "$prefix/nginx.pid"
        nginx "${args[@]}"
    fi
}

# sync_loop N: one `payments-sync run` every CLUSTER_SYNC_EVERY seconds, as a host's timer would (runs detached).
sync_loop() {
    local child=""
    trap '[[ -n "$child" ]] && kill "$child" 2>/dev/null; exit 0' TERM INT
    while true; do
        DB_PORT="$(db_port)" "$TN_BIN_DIR/payments-sync" run --env-file "$TN_ENV_FILE" --sql-dir "$TN_REPO/sql" &
        child=$!
        wait "$child" || true
        child=""
        sleep "$sync_every" &
        child=$!
        wait "$child" || true
        child=""
    done
}

start_sync_loops() {
    local n
    for n in 1 2 3; do
        tn_stop_pid "$dir/sync-$n.pid" "cluster.sh sync-loop" 10
        tn_start_bg "$dir/sync-$n.pid" "$dir/sync-$n.log" bash "$TN_REPO/scripts/cluster.sh" sync-loop "$n"
    done
    tn_log "3 payments-sync run loops (every ${sync_every}s)"
}

write_cluster_env() {
    local n
    {
        echo "# Written by scripts/cluster.sh start: the loopback cluster's addresses and accounts (source it)."
        echo "export CLUSTER_URL=http://127.0.0.1:$RUN_HTTP_PORT/api"
        echo "export CLUSTER_ENV_FILE=$TN_ENV_FILE"
        echo "export CLUSTER_HAPROXY_PORT=$haproxy_port CLUSTER_STATS_URL=http://127.0.0.1:$stats_port/stats"
        for n in "${nodes[@]}"; do echo "export CLUSTER_NODE${n}_PORT=$(sql_port "$n") CLUSTER_NODE${n}_SOCKET=$(node_dir "$n")/mysqld.sock"; done
        echo "export TEST_GALERA_HOST=127.0.0.1"
        echo "export TEST_GALERA_HAPROXY_PORT=$haproxy_port"
        echo "export TEST_GALERA_NODE_PORTS=$(sql_port 1),$(sql_port 2),$(sql_port 3)"
        echo "export TEST_GALERA_NODES=127.0.0.1:$(sql_port 1),127.0.0.1:$(sql_port 2),127.0.0.1:$(sql_port 3)"
        echo "export TEST_GALERA_PROXY=127.0.0.1:$haproxy_port"
        echo "export TEST_GALERA_USER=cluster-admin"
        echo "export TEST_GALERA_PASSWORD=$(cat "$dir/admin-password")"
        echo "export TEST_GALERA_APP_USER=tn-payments TEST_GALERA_APP_PASSWORD=$(tn_env_value DB_PASSWORD)"
        echo "export TEST_GALERA_DB=tn_payments"
        echo "export TEST_GALERA_CLUSTER_SCRIPT=$TN_REPO/scripts/cluster.sh"
    } >"$dir/cluster.env"
}

cmd_start() {
    if node_running 1 && tn_pid_alive "$TN_NGINX_PREFIX/nginx.pid" "nginx: master"; then
        tn_log "the cluster already runs"
        cmd_status
        return 0
    fi
    for binary in payments-fcgi payments-sync payments-sandbox; do
        [[ -x "$TN_BIN_DIR/$binary" ]] || tn_die "$TN_BIN_DIR/$binary not built"
    done
    id mysql >/dev/null 2>&1 || tn_die "no mysql user (apt-get install mariadb-server)"
    [[ -e /usr/lib/galera/libgalera_smm.so ]] || tn_die "galera-4 missing (scripts/deps.sh cluster)"
    command -v rsync >/dev/null || tn_die "rsync missing (scripts/deps.sh cluster)"
    cmd_stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    mkdir -p "$dir"
    chmod 0755 "$dir"
    openssl rand -hex 16 >"$dir/admin-password"
    cat >"$TN_ENV_FILE" <<EOF
# tn-payments 'cluster' stack, written by scripts/cluster.sh (then completed by scripts/write-env.sh).
# The database is HAProxy in front of the Galera nodes, over TCP; each responder gets its own FCGI_SOCKET and
# bench/cluster may point DB_PORT elsewhere through the environment (which wins over this file).
DB_SOCKET=
DB_HOST=127.0.0.1
DB_PORT=$haproxy_port
DB_USER=tn-payments
DB_PASSWORD=$(openssl rand -hex 16)
DB_MIGRATE_USER=tn-payments-migrate
DB_MIGRATE_PASSWORD=$(openssl rand -hex 16)
FCGI_SOCKET=$(responder_socket 1)
RECONCILE_AFTER_SECONDS=60
EOF
    "$TN_REPO/scripts/write-env.sh" cluster
    bootstrap_cluster
    start_haproxy
    if [[ "${CLUSTER_MIGRATE:-haproxy}" == haproxy ]]; then
        "$TN_BIN_DIR/payments-sync" migrate --env-file "$TN_ENV_FILE" --sql-dir "$TN_REPO/sql" \
            || tn_die "payments-sync migrate through HAProxy failed"
    fi
    "$TN_REPO/scripts/sandbox-start.sh" cluster
    start_responder 1
    start_responder 2
    start_nginx 2
    start_sync_loops
    write_cluster_env
    "$TN_REPO/scripts/wait-health.sh" cluster 60
    cmd_status
    tn_log "cluster up: http://127.0.0.1:$RUN_HTTP_PORT/api (scripts/cluster.sh status|stop; exports: .run/cluster/cluster.env)"
}

cmd_stop() {
    local n
    for n in 1 2 3; do tn_stop_pid "$dir/sync-$n.pid" "cluster.sh sync-loop" 10; done
    tn_stop_pid "$TN_NGINX_PREFIX/nginx.pid" "nginx: master" 10
    for n in 1 2; do tn_stop_pid "$dir/payments-fcgi-$n.pid" payments-fcgi 15; done
    tn_stop_pid "$dir/payments-sandbox.pid" payments-sandbox 10
    tn_stop_pid "$dir/haproxy/haproxy.pid" haproxy 10
    stop_mariadbd "$dir/single"
    for n in 3 2 1; do stop_mariadbd "$(node_dir "$n")"; done
    tn_log "cluster stopped"
}

cmd_status() {
    local n state size writer
    for n in "${nodes[@]}"; do
        if node_running "$n"; then
            state="$(node_sql "$n" "SHOW GLOBAL STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f 2)"
            size="$(node_sql "$n" "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'" 2>/dev/null | cut -f 2)"
            printf 'node%s      127.0.0.1:%s  %s (cluster size %s)\n' "$n" "$(sql_port "$n")" "${state:-?}" "${size:-?}"
        else
            printf 'node%s      127.0.0.1:%s  down\n' "$n" "$(sql_port "$n")"
        fi
    done
    writer="$(current_writer || echo none)"
    printf 'haproxy    127.0.0.1:%s  writer node%s; %s\n' "$haproxy_port" "$writer" "$(haproxy_states | tr '\n' ' ')"
    for n in 1 2; do
        if tn_pid_alive "$dir/payments-fcgi-$n.pid" payments-fcgi; then state=up; else state=down; fi
        printf 'responder%s %s  %s\n' "$n" "$(responder_socket "$n")" "$state"
    done
    if tn_pid_alive "$TN_NGINX_PREFIX/nginx.pid" "nginx: master"; then state=up; else state=down; fi
    printf 'nginx      http://127.0.0.1:%s/api  %s (%s responders in the upstream)\n' "$RUN_HTTP_PORT" "$state" \
        "$(cat "$dir/responders" 2>/dev/null || echo '?')"
    if tn_pid_alive "$dir/payments-sandbox.pid" payments-sandbox; then state=up; else state=down; fi
    printf 'sandbox    127.0.0.1:%s  %s\n' "$SANDBOX_PORT_BASE" "$state"
    state=0
    for n in 1 2 3; do tn_pid_alive "$dir/sync-$n.pid" "cluster.sh sync-loop" && state=$((state + 1)); done
    printf 'sync loops %s of 3 running; database port %s\n' "$state" "$(db_port)"
}

need_number() { [[ "${1:-}" =~ ^[$2]$ ]] || tn_die "expected a number in [$2], got '${1:-}'"; }

kill_pidfile() {
    local pidfile="$1" name="$2" pid
    tn_pid_alive "$pidfile" "$name" || tn_die "$name ($pidfile) is not running"
    pid="$(cat "$pidfile")"
    kill -KILL "$pid"
    for ((i = 0; i < 100; i++)); do tn_proc_running "$pid" || break; sleep 0.05; done
    printf '%s' "$pid"
}

cmd_use_db() {
    case "${1:-}" in
        galera) rm -f "$dir/db-port" ;;
        single)
            local d="$dir/single"
            if ! tn_pid_alive "$d/node.pid" mariadbd; then
                install_datadir "$d"
                # The same file and settings as the nodes, wsrep off, on its own port.
                render_cnf "$d" single "$single_port" 9 ""
                start_mariadbd "$d" --wsrep-on=OFF --wsrep-provider=none
                wait_socket "$d" 60
                create_accounts "$d"
                migrate_on_socket "$d" >/dev/null || tn_die "payments-sync migrate on the single MariaDB failed"
            fi
            echo "$single_port" >"$dir/db-port"
            ;;
        *) tn_die "use-db galera|single" ;;
    esac
    start_responder 1
    start_responder 2
    tn_log "responders and sync loops now use 127.0.0.1:$(db_port)"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cat "$dir/cluster.env" ;;
    sync-loop) sync_loop ;;
    kill-writer)
        writer="$(current_writer)" || tn_die "HAProxy has no writer"
        pid="$(kill_pidfile "$(node_dir "$writer")/node.pid" mariadbd)"
        tn_log "SIGKILL node $writer (mariadbd pid $pid), HAProxy's writer"
        echo "$writer"
        ;;
    kill-node)
        need_number "${2:-}" 123
        pid="$(kill_pidfile "$(node_dir "$2")/node.pid" mariadbd)"
        tn_log "SIGKILL node $2 (mariadbd pid $pid)"
        ;;
    restart-node)
        need_number "${2:-}" 123
        stop_mariadbd "$(node_dir "$2")"
        start_node "$2"
        wait_synced "$2" 180
        wait_haproxy_up "$2" 30
        tn_log "node $2 Synced and admitted by HAProxy (writer now node$(current_writer || echo ' none'))"
        ;;
    kill-responder)
        need_number "${2:-}" 12
        pid="$(kill_pidfile "$dir/payments-fcgi-$2.pid" payments-fcgi)"
        tn_log "SIGKILL payments-fcgi $2 (pid $pid)"
        ;;
    restart-responder) need_number "${2:-}" 12; start_responder "$2" ;;
    responders) need_number "${2:-}" 12; start_nginx "$2"; tn_log "nginx upstream lists $2 responder(s)" ;;
    use-db) cmd_use_db "${2:-}" ;;
    *) sed -n '8,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 64 ;;
esac
