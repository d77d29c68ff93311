#!/usr/bin/env bash
# Stops the private MariaDB server of one local stack (dev|test) started by scripts/db-start.sh and waits for it.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/db-paths.sh"

admin="$(command -v mariadb-admin || command -v mysqladmin || true)"
pid=""
if [ -f "$pidfile" ]; then pid="$(cat "$pidfile" 2>/dev/null || true)"; fi
if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then pid=""; fi

if [ -z "$pid" ] && ! { [ -n "$admin" ] && "$admin" --no-defaults --socket="$socket" --user=root --connect-timeout=2 ping >/dev/null 2>&1; }; then
    echo "db-stop: MariaDB ($stack) is not running"
    rm -f "$pidfile"
    exit 0
fi

echo "db-stop: stopping MariaDB ($stack)"
if ! { [ -n "$admin" ] && "$admin" --no-defaults --socket="$socket" --user=root --connect-timeout=5 shutdown >/dev/null 2>&1; }; then
    if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi
fi

if [ -n "$pid" ]; then
    deadline=$((SECONDS + 60))
    while kill -0 "$pid" 2>/dev/null; do
        if [ $SECONDS -ge $deadline ]; then
            echo "db-stop: MariaDB ($stack, pid $pid) still running after 60 s; sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
            sleep 1
            break
        fi
        sleep 0.2
    done
fi
# Without a pid (file lost), wait until the socket stops answering instead.
deadline=$((SECONDS + 60))
while [ -n "$admin" ] && "$admin" --no-defaults --socket="$socket" --user=root --connect-timeout=1 ping >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then echo "db-stop: MariaDB ($stack) still answers after 60 s" >&2; exit 1; fi
    sleep 0.2
done
rm -f "$pidfile"
echo "db-stop: MariaDB ($stack) stopped"
