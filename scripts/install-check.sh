#!/usr/bin/env bash
# `make install` into staging trees (DESTDIR), checked file by file: the expected tree and nothing else, units whose
# paths follow PREFIX, modes of the secret-holding files, an operator's env file and nginx site surviving a reinstall,
# the installed executables answering --version and finding the installed migrations from their own path, then
# `make uninstall`. Run by `make test` (it needs the static release build `make install` makes).
# Usage: scripts/install-check.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { tn_die "install check: $*"; }
run_make() { make -C "$TN_REPO" --no-print-directory "$@" >"$work/make.log" 2>&1 || { cat "$work/make.log" >&2; fail "make $*"; }; }

version="$(sed -n 's/.*public static let version = "\(.*\)".*/\1/p' "$TN_REPO/Sources/BuildInfo/BuildInfo.swift")"
[[ -n "$version" ]] || fail "no version in Sources/BuildInfo/BuildInfo.swift"

# check_tree ROOT PREFIX UNITDIR: the installed files are exactly the expected ones.
check_tree() {
    local root="$1" prefix="$2" unitdir="$3" file
    {
        printf '%s\n' "$prefix/bin/payments-fcgi" "$prefix/bin/payments-sync" \
            "$prefix/share/tn-payments/payments.env.example" "$prefix/share/tn-payments/nginx-payments.conf" \
            /etc/nginx/sites-available/payments.conf /etc/tn-payments/payments.env
        for file in "$TN_REPO"/sql/*.sql; do printf '%s\n' "$prefix/share/tn-payments/sql/$(basename "$file")"; done
        for file in payments-fcgi.service payments-fcgi.socket payments-sync.service payments-sync.timer; do
            printf '%s\n' "$unitdir/$file"
        done
    } | sort >"$work/expected"
    (cd "$root" && find . -type f -o -type l | sed 's#^\.##' | sort) >"$work/actual"
    diff -u "$work/expected" "$work/actual" >&2 || fail "the tree under $root differs from the expected one"
    [[ "$(stat -c %a "$root/etc/tn-payments/payments.env")" == 640 ]] || fail "payments.env is not mode 0640"
    [[ "$(stat -c %a "$root/etc/tn-payments")" == 750 ]] || fail "/etc/tn-payments is not mode 0750"
    # Units: every executable path is the installed one, the env file is the installed one.
    local paths
    paths="$(grep -hoE '^(Exec[A-Za-z]*|EnvironmentFile)=[^ ]+' "$root$unitdir"/*.service | sed 's/^[^=]*=//' | sort -u)"
    [[ "$paths" == "$(printf '%s\n' "$prefix/bin/payments-fcgi" "$prefix/bin/payments-sync" /etc/tn-payments/payments.env | sort)" ]] \
        || fail "unit paths under $unitdir: $paths"
    cmp -s "$TN_REPO/nginx/payments.conf" "$root/etc/nginx/sites-available/payments.conf" || fail "nginx site differs"
    [[ ! -e "$root/etc/nginx/sites-enabled" ]] || fail "the nginx site must not be enabled by make install"
}

# check_runs ROOT PREFIX: the installed executables run from the staging tree.
check_runs() {
    local root="$1" prefix="$2" name output status
    for name in payments-fcgi payments-sync; do
        output="$("$root$prefix/bin/$name" --version)" || fail "$name --version failed"
        [[ "$output" == "$version (commit "* ]] || fail "$name --version printed '$output'"
    done
    # The migrations are found beside the executable (run from /, where ./sql does not exist): migrate gets as far
    # as the database (exit 1, unreachable) instead of stopping at the migrations folder (78).
    printf 'DB_SOCKET=%s\nDB_USER=nobody\nDB_NAME=nothing\n' "$work/no-such.sock" >"$work/db.env"
    status=0
    output="$(cd / && "$root$prefix/bin/payments-sync" migrate --status --env-file "$work/db.env" 2>&1)" || status=$?
    [[ "$status" == 1 && "$output" != *"cannot list"* ]] \
        || fail "payments-sync did not find $prefix/share/tn-payments/sql (exit $status): $output"
}

# 1. The default prefix.
root="$work/root"
run_make install DESTDIR="$root"
check_tree "$root" /usr/local /usr/local/lib/systemd/system
check_runs "$root" /usr/local
[[ "$(grep -c 'need no library' "$work/make.log" || true)" == 1 ]] || fail "make install did not run scripts/static-check.sh"

# 2. A reinstall keeps what an operator edited.
printf 'DB_USER=operator-edit\n' >"$root/etc/tn-payments/payments.env"
printf '# operator edit\n' >>"$root/etc/nginx/sites-available/payments.conf"
run_make install DESTDIR="$root"
grep -q operator-edit "$root/etc/tn-payments/payments.env" || fail "reinstall overwrote payments.env"
grep -q '# operator edit' "$root/etc/nginx/sites-available/payments.conf" || fail "reinstall overwrote the nginx site"
grep -q "kept /etc/tn-payments/payments.env" "$work/make.log" || fail "reinstall did not say it kept payments.env"

# 3. Uninstall: only the operator's files remain.
run_make uninstall DESTDIR="$root"
remaining="$(cd "$root" && find . -type f | sed 's#^\.##' | sort | tr '\n' ' ')"
[[ "$remaining" == "/etc/nginx/sites-available/payments.conf /etc/tn-payments/payments.env " ]] \
    || fail "after make uninstall: $remaining"

# 4. Another prefix, units where systemd reads them for it.
root="$work/opt"
run_make install DESTDIR="$root" PREFIX=/opt/tn-payments UNITDIR=/etc/systemd/system
check_tree "$root" /opt/tn-payments /etc/systemd/system
check_runs "$root" /opt/tn-payments

tn_log "make install/uninstall checked (PREFIX /usr/local and /opt/tn-payments, DESTDIR staging)"
