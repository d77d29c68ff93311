#!/usr/bin/env bash
# make test-cluster: the short bench/cluster run (a fresh loopback cluster, rates side by side, a responder and the
# HAProxy writer SIGKILLed mid-load; fails on any duplicate or loss), then the Galera tests (every test named
# GaleraTests, with TEST_GALERA_* from .run/cluster/cluster.env pointing at the nodes and HAProxy) against the same
# cluster, then stops it. Not part of make test (it needs several minutes and haproxy). TN_BIN_DIR: the build used.
# Usage: scripts/test-cluster.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack cluster
trap '"$TN_REPO/scripts/cluster.sh" stop >/dev/null 2>&1 || true' EXIT
"$TN_REPO/bench/cluster" --short --keep
if grep -rqs 'GaleraTests' "$TN_REPO/Tests"; then
    # shellcheck source=/dev/null
    source "$TN_RUN_DIR/cluster.env"
    tn_log "GaleraTests against the cluster (HAProxy 127.0.0.1:$TEST_GALERA_HAPROXY_PORT, nodes $TEST_GALERA_NODE_PORTS)"
    # shellcheck disable=SC2086
    (cd "$TN_REPO" && swift test --skip-build $SWIFTPM_FLAGS --filter GaleraTests)
else
    tn_log "no GaleraTests in Tests/: skipped"
fi
