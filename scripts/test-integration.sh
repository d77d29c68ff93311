#!/usr/bin/env bash
# Integration tests: starts a fresh `test` stack (MariaDB, migrations, sandbox, responder, nginx on a free block of loopback ports)
# from the debug build, runs the MariaDBTests and IntegrationTests suites against it, stops the stack on exit and exits
# with the tests' status. A stack that cannot start fails the run (the tests never skip).
# Usage: scripts/test-integration.sh   (after `swift build --build-tests`; SWIFTPM_FLAGS is passed to swift)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack test
read -r -a swiftpm_flags <<<"${SWIFTPM_FLAGS:-}"
cd "$TN_REPO"
TN_BIN_DIR="$(swift build "${swiftpm_flags[@]}" --show-bin-path)"
export TN_BIN_DIR

# A fresh stack every run: leftovers of an earlier run (rows, sandbox state) must not leak into this one.
"$TN_REPO/scripts/stack-stop.sh" test >/dev/null 2>&1 || true
rm -rf "$TN_RUN_DIR"
# Also any private stack (`test-NAME`) a test started and could not stop itself.
stop_all() {
    local dir
    "$TN_REPO/scripts/stack-stop.sh" test >/dev/null 2>&1 || true
    for dir in "$TN_REPO"/.run/test-*; do
        if [[ -d "$dir" ]]; then "$TN_REPO/scripts/stack-stop.sh" "$(basename "$dir")" >/dev/null 2>&1 || true; fi
    done
    return 0
}
trap stop_all EXIT

if ! "$TN_REPO/scripts/stack-start.sh" test; then
    tn_log "the test stack did not start; integration tests FAILED"
    exit 1
fi

export TEST_REPO="$TN_REPO"
export TEST_ENV_FILE="$TN_ENV_FILE"
export TEST_BASE_URL="http://127.0.0.1:$(tn_env_value RUN_HTTP_PORT)/api"
export TEST_SANDBOX_URL="http://127.0.0.1:$(tn_env_value SANDBOX_PORT_BASE)"
export TEST_DB_SOCKET="$(tn_env_value DB_SOCKET)"
export TEST_DB_NAME="$(tn_env_value DB_NAME)"
export TEST_BIN_DIR="$TN_BIN_DIR"
export TEST_RUN_DIR="$TN_RUN_DIR"

status=0
# One after the other: the operational suite restarts MariaDB, which must not cut into the store tests.
swift test "${swiftpm_flags[@]}" --skip-build --filter 'MariaDBTests' || status=$?
if ((status == 0)); then
    swift test "${swiftpm_flags[@]}" --skip-build --filter 'IntegrationTests' || status=$?
fi
if ((status != 0)); then
    tn_log "integration tests FAILED (status $status)"
    tn_tail_logs
fi
exit "$status"
