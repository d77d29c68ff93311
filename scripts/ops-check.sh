#!/usr/bin/env bash
# Checks ops/: the Grafana dashboard is valid JSON, the alert rules pass `promtool check rules` (when promtool is
# installed; Debian's `prometheus` package, which `make deps` installs), and every payments_* series the rules and
# the dashboard name is one the code exports (the catalog Sources/PaymentsCore/MetricName.swift) and the README's
# metrics table lists every series of that catalog.
# Usage: scripts/ops-check.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

catalog="$TN_REPO/Sources/PaymentsCore/MetricName.swift"
dashboard="$TN_REPO/ops/grafana-dashboard.json"
rules="$TN_REPO/ops/prometheus-alerts.yml"
readme="$TN_REPO/README.md"

python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$dashboard" \
    || tn_die "ops/grafana-dashboard.json is not valid JSON"

if command -v promtool >/dev/null; then
    promtool check rules "$rules" >/dev/null || { promtool check rules "$rules" >&2 || true; tn_die "promtool rejected ops/prometheus-alerts.yml"; }
else
    tn_log "promtool not installed (Debian package prometheus): rules not checked by promtool"
fi

# Series names: the string literals of the catalog; the ops files may add the histogram suffixes.
exported="$(grep -oE '"payments_[a-z0-9_]+"' "$catalog" | tr -d '"' | sort -u)"
[[ -n "$exported" ]] || tn_die "no payments_* names found in $catalog"
referenced="$(cat "$dashboard" "$rules" | grep -oE 'payments_[a-z0-9_]*[a-z0-9]' | sed -E 's/_(bucket|sum|count)$//' | sort -u)"
unknown="$(comm -23 <(printf '%s\n' "$referenced") <(printf '%s\n' "$exported"))"
[[ -z "$unknown" ]] || tn_die "ops/ names series the code does not export: $(echo $unknown)"
undocumented="$(comm -23 <(printf '%s\n' "$exported") <(grep -oE '^\| `payments_[a-z0-9_]+`' "$readme" | grep -oE 'payments_[a-z0-9_]+' | sort -u))"
[[ -z "$undocumented" ]] || tn_die "README's metrics table lacks: $(echo $undocumented)"
tn_log "ops/ checked: dashboard JSON, rules, $(printf '%s\n' "$referenced" | wc -l) referenced series all exported"
