#!/usr/bin/env bash
# Checks the units in systemd/ with `systemd-analyze verify`. The ExecStart binaries need not be installed: the units
# are copied into a temporary directory with /usr/local/bin/payments-* pointed at stand-in executables there.
# Usage: scripts/systemd-check.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v systemd-analyze >/dev/null || tn_die "systemd-analyze not found (make deps installs systemd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/units"
for name in payments-fcgi payments-sync; do
    printf '#!/bin/sh\nexit 0\n' >"$work/bin/$name"
    chmod +x "$work/bin/$name"
done
for unit in "$TN_REPO"/systemd/*.service "$TN_REPO"/systemd/*.socket "$TN_REPO"/systemd/*.timer; do
    sed -e "s#/usr/local/bin/#$work/bin/#g" "$unit" >"$work/units/$(basename "$unit")"
done
# verify prints problems on stderr and may still exit 0 for some of them: any output counts as a failure.
output="$(cd "$work/units" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no ./*.service ./*.socket ./*.timer 2>&1)" \
    || { printf '%s\n' "$output" >&2; tn_die "systemd-analyze verify failed"; }
if [[ -n "$output" ]]; then
    printf '%s\n' "$output" >&2
    tn_die "systemd-analyze verify reported problems"
fi
tn_log "systemd units verified: $(cd "$TN_REPO/systemd" && echo *)"
