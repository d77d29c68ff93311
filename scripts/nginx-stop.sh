#!/usr/bin/env bash
# Stops the stack's nginx; harmless when it is not running. Usage: scripts/nginx-stop.sh dev|test|test-NAME
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack "${1:-dev}"
tn_stop_pid "$TN_NGINX_PREFIX/nginx.pid" "nginx: master" 10
tn_log "nginx ($TN_STACK) stopped"
