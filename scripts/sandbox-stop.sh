#!/usr/bin/env bash
# Stops the stack's payments-sandbox; harmless when it is not running. Usage: scripts/sandbox-stop.sh dev|test|test-NAME
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack "${1:-dev}"
tn_stop_pid "$TN_RUN_DIR/payments-sandbox.pid" payments-sandbox 10
tn_log "payments-sandbox ($TN_STACK) stopped"
