#!/usr/bin/env bash
# `make install` / `make uninstall` (README "Production install"). Paths come from the Makefile's variables:
#   DESTDIR (staging root, empty for a real install), PREFIX (/usr/local), UNITDIR ($(PREFIX)/lib/systemd/system),
#   SYSCONFDIR (/etc/tn-payments), NGINX_SITES (/etc/nginx/sites-available).
# Usage: scripts/install.sh install BIN_DIR | uninstall
#
# Files an operator edits are never overwritten: /etc/tn-payments/payments.env and the nginx site are written only when
# absent; the shipped versions always land in $(PREFIX)/share/tn-payments/ to compare with on upgrades. The units are
# replaced (local changes belong in drop-ins: systemctl edit payments-fcgi). Under DESTDIR nothing outside the staging
# tree is touched: no system user, no ownership changes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

: "${PREFIX:?}" "${UNITDIR:?}" "${SYSCONFDIR:?}" "${NGINX_SITES:?}"
root="${DESTDIR:-}"
bindir="$PREFIX/bin"
datadir="$PREFIX/share/tn-payments"
executables=(payments-fcgi payments-sync)
units=(payments-fcgi.service payments-fcgi.socket payments-sync.service payments-sync.timer)
account=tn-payments

# Writes SOURCE to TARGET only when TARGET does not exist yet; says so either way.
install_if_absent() {
    local source="$1" target="$2" mode="$3"
    if [[ -e "$root$target" ]]; then
        tn_log "kept $target (yours); the shipped version is in $datadir"
        return 0
    fi
    install -m "$mode" "$source" "$root$target"
    tn_log "installed $target"
}

do_install() {
    local bin="$1" unit work
    for name in "${executables[@]}"; do [[ -x "$bin/$name" ]] || tn_die "$bin/$name missing (make build-static)"; done

    # The system account the units run as; only on a real install, and only once.
    if [[ -z "$root" ]] && ! id -u "$account" >/dev/null 2>&1; then
        useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin \
            --comment "tn-payments services" "$account"
        tn_log "created system user and group $account"
    fi

    install -d -m 0755 "$root$bindir" "$root$datadir/sql" "$root$UNITDIR" "$root$NGINX_SITES"
    install -m 0755 "${executables[@]/#/$bin/}" "$root$bindir/"
    # The executables find these from their own path (<bin>/../share/tn-payments/sql); stale files of an older
    # release would be offered as migrations, so the folder is replaced as a whole.
    rm -f "$root$datadir"/sql/*.sql
    install -m 0644 "$TN_REPO"/sql/*.sql "$root$datadir/sql/"

    work="$(mktemp -d)"
    for unit in "${units[@]}"; do
        sed -e "s#/usr/local/bin/#$bindir/#g" -e "s#/etc/tn-payments/#$SYSCONFDIR/#g" \
            "$TN_REPO/systemd/$unit" >"$work/$unit"
        install -m 0644 "$work/$unit" "$root$UNITDIR/$unit"
    done
    rm -rf "$work"

    install -m 0644 "$TN_REPO/systemd/payments.env.example" "$root$datadir/payments.env.example"
    install -m 0644 "$TN_REPO/nginx/payments.conf" "$root$datadir/nginx-payments.conf"
    install_if_absent "$TN_REPO/nginx/payments.conf" "$NGINX_SITES/payments.conf" 0644

    install -d -m 0750 "$root$SYSCONFDIR"
    install_if_absent "$TN_REPO/systemd/payments.env.example" "$SYSCONFDIR/payments.env" 0640
    if [[ -z "$root" ]]; then
        # The file holds the database and gateway secrets: root writes it, the service account reads it.
        chown root:"$account" "$SYSCONFDIR" "$SYSCONFDIR/payments.env"
        if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then systemctl daemon-reload; fi
    fi
    tn_log "installed into ${root:-/}: $bindir/{${executables[*]// /,}}, $datadir, $UNITDIR, $NGINX_SITES/payments.conf"
}

do_uninstall() {
    local shipped="$TN_REPO/nginx/payments.conf"
    for name in "${executables[@]}"; do rm -f "$root$bindir/$name"; done
    for unit in "${units[@]}"; do rm -f "$root$UNITDIR/$unit"; done
    rm -rf "$root$datadir"
    # The site goes only when it is still the shipped file; an edited one is the operator's.
    if [[ -f "$root$NGINX_SITES/payments.conf" ]]; then
        if cmp -s "$shipped" "$root$NGINX_SITES/payments.conf"; then
            rm -f "$root$NGINX_SITES/payments.conf"
        else
            tn_log "kept $NGINX_SITES/payments.conf (edited); remove it and its sites-enabled link yourself"
        fi
    fi
    if [[ -z "$root" ]] && command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
        systemctl daemon-reload
    fi
    tn_log "removed the executables, units and $datadir; kept $SYSCONFDIR, the $account user and the database"
}

case "${1:-}" in
    install) do_install "${2:?usage: scripts/install.sh install BIN_DIR}" ;;
    uninstall) do_uninstall ;;
    *) tn_die "usage: scripts/install.sh install BIN_DIR | uninstall" ;;
esac
