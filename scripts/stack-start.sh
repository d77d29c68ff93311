#!/usr/bin/env bash
# Starts (or restarts) a whole local stack: env file, MariaDB, migrations, sandbox, responder, nginx, then waits for
# /api/health. Running it again is harmless. Usage: scripts/stack-start.sh dev|test|test-NAME
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack "${1:-dev}"
s="$TN_REPO/scripts"
"$s/write-env.sh" "$TN_STACK"
if ! "$s/db-start.sh" "$TN_STACK"; then tn_tail_logs; exit 1; fi
if ! "$s/migrate.sh" "$TN_STACK"; then tn_tail_logs; exit 1; fi
"$s/sandbox-start.sh" "$TN_STACK"
"$s/responder-start.sh" "$TN_STACK"
"$s/nginx-start.sh" "$TN_STACK"
"$s/wait-health.sh" "$TN_STACK" 60
