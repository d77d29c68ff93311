#!/usr/bin/env bash
# Installs the Debian 12 packages the build, `make run` and `make test` need, only when some are missing
# (apt-get update first in that case). Run as root, or with sudo available. `scripts/deps.sh cluster` adds the
# packages only the loopback cluster needs (make cluster, make test-cluster), so ordinary runs never install them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

packages=(
    libfcgi-dev libssl-dev libmariadb-dev pkg-config # C libraries the Swift targets link, and their .pc files
    mariadb-server nginx openssl curl                # the local stack and the walk-through
    gettext-base                                     # envsubst, renders nginx/local.conf.template
    systemd                                          # systemd-analyze, for scripts/systemd-check.sh
    wrk                                              # make bench
    python3 python3-venv                             # scripts/api-fuzz.sh: schemathesis, openapi-spec-validator
    prometheus                                       # promtool, for make check's ops-check (no service is started)
    libnginx-mod-nchan                               # live payment status: nchan pub/sub in the local nginx sites
    chromium                                         # the demo page's headless-browser integration test
    spin                                             # make verify-model: the Promela model of the sync protocol
)
# The loopback Galera cluster (scripts/cluster.sh): the wsrep provider, rsync for its SST, HAProxy in front.
cluster_packages=(galera-4 rsync haproxy)
if [[ "${1:-}" == cluster ]]; then packages+=("${cluster_packages[@]}"); fi
missing=()
for package in "${packages[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
    tn_log "all system packages present"
    exit 0
fi
tn_log "installing: ${missing[*]}"
sudo=()
if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null || tn_die "missing packages (${missing[*]}) and not root; run as root or install sudo"
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
# policy-rc.d keeps the Debian maintainer scripts from starting the system-wide nginx/MariaDB in containers without
# an init; the local stacks run their own instances and never use those services.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod +x "$policy"
    created_policy=1
fi
cleanup() { if ((created_policy)); then "${sudo[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
