#!/usr/bin/env bash
# Stops the stack's payments-fcgi with SIGTERM (it finishes requests in flight); harmless when it is not running.
# Usage: scripts/responder-stop.sh dev|test|test-NAME
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack "${1:-dev}"
tn_stop_pid "$TN_RUN_DIR/payments-fcgi.pid" payments-fcgi 15
tn_log "payments-fcgi ($TN_STACK) stopped"
