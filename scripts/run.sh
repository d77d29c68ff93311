#!/usr/bin/env bash
# `make run`: installs missing packages, builds the release products, starts (or restarts) the dev stack, then prints
# the URL first and the walk-through. Progress goes to stderr so stdout starts with the URL. Exits 0 leaving the
# services running; `make stop` stops them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack dev
read -r -a swiftpm_flags <<<"${SWIFTPM_FLAGS:-}"
{
    "$TN_REPO/scripts/deps.sh"
    (cd "$TN_REPO" && swift build -c release "${swiftpm_flags[@]}")
} >&2
TN_BIN_DIR="$(cd "$TN_REPO" && swift build -c release "${swiftpm_flags[@]}" --show-bin-path)"
export TN_BIN_DIR
"$TN_REPO/scripts/stack-start.sh" dev >&2
"$TN_REPO/scripts/walkthrough.sh" dev
