#!/usr/bin/env bash
# Stops every service of a local stack (nginx, responder, sandbox, MariaDB); harmless when nothing runs.
# Usage: scripts/stack-stop.sh dev|test|test-NAME
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack "${1:-dev}"
s="$TN_REPO/scripts"
status=0
"$s/nginx-stop.sh" "$TN_STACK" || status=1
"$s/responder-stop.sh" "$TN_STACK" || status=1
"$s/sandbox-stop.sh" "$TN_STACK" || status=1
"$s/db-stop.sh" "$TN_STACK" || status=1
exit "$status"
