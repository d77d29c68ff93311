#!/usr/bin/env bash
# Applies the sql/ migrations to the stack's database with payments-sync migrate.
# Usage: scripts/migrate.sh dev|test|test-NAME   (TN_BIN_DIR overrides the build directory)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack "${1:-dev}"
binary="$TN_BIN_DIR/payments-sync"
[[ -x "$binary" ]] || tn_die "$binary not built"
cd "$TN_REPO"
"$binary" migrate --env-file "$TN_ENV_FILE" --sql-dir "$TN_REPO/sql"
