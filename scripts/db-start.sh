#!/usr/bin/env bash
# Starts a private MariaDB server for one local stack (dev|test) under <repo>/.run/<stack>/mariadb
# (own datadir and socket, no TCP), waits until it answers and creates ${DB_NAME:-tn_payments}.
# Harmless when that server is already running.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/db-paths.sh"
db_name="${DB_NAME:-tn_payments}"

pick() { for name in "$@"; do if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi; done; return 1; }
server="$(pick mariadbd mysqld || true)"
[ -n "$server" ] || [ ! -x /usr/sbin/mariadbd ] || server=/usr/sbin/mariadbd
[ -n "$server" ] || { echo "db-start: mariadbd not found (apt-get install mariadb-server)" >&2; exit 1; }
install_db="$(pick mariadb-install-db mysql_install_db)" || { echo "db-start: mariadb-install-db not found" >&2; exit 1; }
admin="$(pick mariadb-admin mysqladmin)" || { echo "db-start: mariadb-admin not found" >&2; exit 1; }
client="$(pick mariadb mysql)" || { echo "db-start: mariadb client not found" >&2; exit 1; }

user_args=()
if [ "$(id -u)" -eq 0 ]; then user_args=(--user=root); fi

ping_server() { "$admin" --no-defaults --socket="$socket" --user=root --connect-timeout=2 ping >/dev/null 2>&1; }

mkdir -p "$datadir" "$tmpdir"

if ping_server; then
    echo "db-start: MariaDB ($stack) already running on $socket"
else
    if [ ! -d "$datadir/mysql" ]; then
        echo "db-start: initialising $datadir"
        auth_args=()
        # As root, root@localhost logs in through unix_socket; otherwise keep the old password-less root account.
        if [ "$(id -u)" -ne 0 ]; then auth_args=(--auth-root-authentication-method=normal); fi
        if ! "$install_db" --no-defaults --datadir="$datadir" --tmpdir="$tmpdir" "${user_args[@]}" \
            "${auth_args[@]}" --skip-test-db >"$base/install-db.log" 2>&1; then
            echo "db-start: mariadb-install-db failed:" >&2
            tail -n 30 "$base/install-db.log" >&2
            exit 1
        fi
    fi
    if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then rm -f "$pidfile"; fi
    rm -f "$socket"
    echo "db-start: starting MariaDB ($stack) on $socket"
    nohup "$server" --no-defaults \
        --datadir="$datadir" --tmpdir="$tmpdir" --socket="$socket" --pid-file="$pidfile" \
        --log-error="$logfile" --skip-networking "${user_args[@]}" \
        --innodb-flush-log-at-trx-commit=1 --max-connections=200 \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
        --default-time-zone=+00:00 --innodb-buffer-pool-size=128M \
        </dev/null >>"$logfile" 2>&1 &
    server_pid=$!
    deadline=$((SECONDS + 60))
    until ping_server; do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "db-start: MariaDB ($stack) exited during start-up; last lines of $logfile:" >&2
            tail -n 40 "$logfile" >&2 || true
            exit 1
        fi
        if [ $SECONDS -ge $deadline ]; then
            echo "db-start: MariaDB ($stack) did not answer within 60 s; last lines of $logfile:" >&2
            tail -n 40 "$logfile" >&2 || true
            exit 1
        fi
        sleep 0.5
    done
fi

if ! [[ "$db_name" =~ ^[A-Za-z0-9_]+$ ]]; then echo "db-start: DB_NAME must be [A-Za-z0-9_]+" >&2; exit 1; fi
"$client" --no-defaults --socket="$socket" --user=root \
    -e "CREATE DATABASE IF NOT EXISTS \`$db_name\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
echo "db-start: MariaDB ($stack) ready, database $db_name, socket $socket"
