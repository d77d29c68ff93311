#!/usr/bin/env bash
# Waits until GET /api/health answers 200 through the stack's nginx; on timeout prints the stack's log tails and
# exits 1. Usage: scripts/wait-health.sh dev|test [seconds]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack "${1:-dev}"
timeout="${2:-60}"
port="$(tn_env_value RUN_HTTP_PORT)"
url="http://127.0.0.1:${port:-$TN_DEFAULT_HTTP_PORT}/api/health"
code=000
for ((i = 0; i < timeout * 4; i++)); do
    code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" || true)"
    [[ "$code" == 200 ]] && { tn_log "$url answers 200"; exit 0; }
    sleep 0.25
done
tn_log "$url did not answer 200 within ${timeout}s (last status $code)"
curl -s -m 2 "$url" >&2 || true
tn_tail_logs
exit 1
