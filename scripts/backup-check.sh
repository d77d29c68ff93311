#!/usr/bin/env bash
# The README's point-in-time recovery ("Backup and restore"), run for real on a throwaway MariaDB with binary logs
# (the test stack runs without them): the schema from sql/, a ledger row before the dump, the documented dump
# (--master-data=2), a row after it, the stop time, a row after that (the "failure"), then the documented restore and
# binlog replay. The restored ledger must hold the first two rows and not the third, and `payments-sync migrate
# --status` must find every migration applied. Run by `make test`.
# Usage: scripts/backup-check.sh   (after `swift build`; uses the debug payments-sync)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
read -r -a swiftpm_flags <<<"${SWIFTPM_FLAGS:-}"
sync_bin="$(cd "$TN_REPO" && swift build "${swiftpm_flags[@]}" --show-bin-path)/payments-sync"
[[ -x "$sync_bin" ]] || tn_die "$sync_bin missing (swift build first)"

work="$(mktemp -d /tmp/tn-backup-check.XXXXXX)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() { tn_die "backup check: $*"; }

socket="$work/mysqld.sock"
mkdir -p "$work/data" "$work/tmp" "$work/binlog"
# As scripts/db-start.sh: root connects through the socket as root; anyone else as a passwordless root.
user_args=() auth_args=()
if [[ "$(id -u)" == 0 ]]; then user_args=(--user=root); else auth_args=(--auth-root-authentication-method=normal); fi
mariadb-install-db --no-defaults --datadir="$work/data" --tmpdir="$work/tmp" "${user_args[@]}" "${auth_args[@]}" \
    --skip-test-db >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "install-db"; }
/usr/sbin/mariadbd --no-defaults --datadir="$work/data" --tmpdir="$work/tmp" --socket="$socket" \
    --pid-file="$work/mysqld.pid" --log-error="$work/error.log" --skip-networking "${user_args[@]}" \
    --log-bin="$work/binlog/mariadb-bin" --binlog-format=ROW --default-time-zone=+00:00 \
    --innodb-buffer-pool-size=32M </dev/null >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
    mariadb-admin --no-defaults --socket="$socket" --user=root ping >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$work/error.log" >&2; fail "mariadbd exited"; }
    sleep 0.5
done
sql() { mariadb --no-defaults --socket="$socket" --user=root "$@"; }
# One ledger row as the responder books it (the ledger's own columns, no session).
book() {
    sql tn_payments -e "INSERT INTO tn_payments (payment_id, uid, gateway, amount, created_at, next_sync_at)
        VALUES ('$1', 'backup-check', 'stripe', 1000, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))"
}

sql -e "CREATE DATABASE tn_payments CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
printf 'DB_SOCKET=%s\nDB_USER=root\nDB_NAME=tn_payments\n' "$socket" >"$work/payments.env"
"$sync_bin" migrate --env-file "$work/payments.env" --sql-dir "$TN_REPO/sql" >/dev/null || fail "migrate"
book pi_before_dump

# The daily dump, as documented.
mariadb-dump --no-defaults --socket="$socket" --user=root \
    --single-transaction --routines --triggers --master-data=2 tn_payments | gzip >"$work/dump.sql.gz"
book pi_after_dump
sleep 1.2
stop="$(sql -N -e "SELECT DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%d %H:%i:%s')")"
sleep 1.2
book pi_the_failure

# The restore, as documented (this machine's clock is the server's: --stop-datetime is local time).
sql -e "DROP DATABASE tn_payments; CREATE DATABASE tn_payments CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
gunzip -c "$work/dump.sql.gz" | sql tn_payments
position_line="$(zgrep -m1 'CHANGE MASTER TO' "$work/dump.sql.gz")" || fail "the dump names no binlog position"
file="$(sed -E "s/.*MASTER_LOG_FILE='([^']+)'.*/\1/" <<<"$position_line")"
position="$(sed -E 's/.*MASTER_LOG_POS=([0-9]+).*/\1/' <<<"$position_line")"
TZ=UTC mariadb-binlog --no-defaults --database=tn_payments --start-position="$position" --stop-datetime="$stop" \
    "$work/binlog/$file" | sql

rows="$(sql -N tn_payments -e "SELECT GROUP_CONCAT(payment_id ORDER BY id) FROM tn_payments")"
[[ "$rows" == "pi_before_dump,pi_after_dump" ]] || fail "restored ledger holds '$rows'"
status="$("$sync_bin" migrate --status --env-file "$work/payments.env" --sql-dir "$TN_REPO/sql" | tail -n 1)"
[[ "$status" == *" 0 pending or changed"* ]] || fail "migrate --status after the restore: $status"
procedures="$(sql -N -e "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'tn_payments'")"
[[ "$procedures" -ge 1 ]] || fail "the stored procedure did not come back"
tn_log "point-in-time restore checked: dump + binlog replay up to $stop restored 2 of 3 ledger rows, schema current"
