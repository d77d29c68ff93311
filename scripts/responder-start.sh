#!/usr/bin/env bash
# (Re)starts the stack's payments-fcgi in the background (log and pid under .run/<stack>) and waits for its socket.
# Usage: scripts/responder-start.sh dev|test   (TN_BIN_DIR overrides the build directory)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack "${1:-dev}"
binary="$TN_BIN_DIR/payments-fcgi"
[[ -x "$binary" ]] || tn_die "$binary not built"
pidfile="$TN_RUN_DIR/payments-fcgi.pid"
logfile="$TN_RUN_DIR/payments-fcgi.log"
socket="$(tn_env_value FCGI_SOCKET)"
socket="${socket:-$TN_FCGI_DIR/fcgi.sock}"

tn_stop_pid "$pidfile" payments-fcgi 15
mkdir -p "$(dirname "$socket")"
chmod 0755 "$(dirname "$socket")"
rm -f "$socket"
# As the systemd unit: four malloc arenas for the worker threads, unless the caller chose.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-4}"
tn_start_bg "$pidfile" "$logfile" "$binary" --env-file "$TN_ENV_FILE" --sql-dir "$TN_REPO/sql"
for ((i = 0; i < 300; i++)); do
    [[ -S "$socket" ]] && { tn_log "payments-fcgi ($TN_STACK) listening on $socket (pid $(cat "$pidfile"))"; exit 0; }
    # Just the pid: until the background subshell has exec'd, its command line is still this script's.
    tn_proc_running "$(cat "$pidfile")" || break
    sleep 0.1
done
tail -n 30 "$logfile" >&2 || true
tn_die "payments-fcgi ($TN_STACK) did not start; log: $logfile"
