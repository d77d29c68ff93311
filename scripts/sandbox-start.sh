#!/usr/bin/env bash
# (Re)starts the stack's payments-sandbox in the background (log and pid under .run/<stack>) and waits until its
# control port answers. Usage: scripts/sandbox-start.sh dev|test|test-NAME   (TN_BIN_DIR overrides the build directory)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack "${1:-dev}"
binary="$TN_BIN_DIR/payments-sandbox"
[[ -x "$binary" ]] || tn_die "$binary not built"
pidfile="$TN_RUN_DIR/payments-sandbox.pid"
logfile="$TN_RUN_DIR/payments-sandbox.log"
base="$(tn_env_value SANDBOX_PORT_BASE)"
base="${base:-$TN_DEFAULT_SANDBOX_BASE}"

# A line per request only where the stack logs at info or below (LOG_LEVEL, the environment's over the env file's,
# as the executables read it). The bench runs at warning: the line was about a sixth of the emulated Retail API's
# CPU per push.
quiet=()
case "${LOG_LEVEL:-$(tn_env_value LOG_LEVEL)}" in warning | error | critical) quiet=(--quiet) ;; esac

tn_stop_pid "$pidfile" payments-sandbox 10
tn_start_bg "$pidfile" "$logfile" "$binary" serve --env-file "$TN_ENV_FILE" "${quiet[@]}"
for ((i = 0; i < 300; i++)); do
    code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$base/firebase/certs" || true)"
    if [[ "$code" != 000 && -n "$code" ]]; then
        tn_log "payments-sandbox ($TN_STACK) answering on 127.0.0.1:$base..$((base + 4)) (pid $(cat "$pidfile"))"
        exit 0
    fi
    # Just the pid: until the background subshell has exec'd, its command line is still this script's.
    tn_proc_running "$(cat "$pidfile")" || break
    sleep 0.1
done
tail -n 30 "$logfile" >&2 || true
tn_die "payments-sandbox ($TN_STACK) did not start; log: $logfile"
