#!/usr/bin/env bash
# Asserts that the executables `make install` ships (payments-fcgi, payments-sync in BIN_DIR, built with
# --static-swift-stdlib) need nothing from the Swift toolchain at run time: `ldd` must name no library under the
# toolchain's directory, no Swift runtime or Foundation library, and nothing it cannot find. What remains are Debian
# packages (README "Production install" lists them).
# Usage: scripts/static-check.sh BIN_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bin="${1:?usage: scripts/static-check.sh BIN_DIR}"
swift_path="$(command -v "${SWIFT:-swift}")" || tn_die "swift not found"
# <toolchain>/usr/bin/swift -> <toolchain>
toolchain="$(cd "$(dirname "$(readlink -f "$swift_path")")/../.." && pwd)"

for name in payments-fcgi payments-sync; do
    [[ -x "$bin/$name" ]] || tn_die "$bin/$name missing"
    libraries="$(ldd "$bin/$name")"
    offending="$(grep -E "not found|$toolchain/|libswift|libFoundation|libdispatch|libBlocksRuntime" <<<"$libraries" || true)"
    if [[ -n "$offending" ]]; then
        printf '%s\n' "$offending" >&2
        tn_die "$name depends on the Swift toolchain ($toolchain) or misses a library; build with --static-swift-stdlib"
    fi
done
tn_log "payments-fcgi and payments-sync need no library from $toolchain"
