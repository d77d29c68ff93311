#!/usr/bin/env bash
# The CORS origins and the body limit live twice: in nginx (which answers CORS preflights for its own error pages
# and refuses large bodies first) and in the responder's configuration. This check fails when the copies disagree:
#   - client_max_body_size of nginx/payments.conf and nginx/local.conf.template, the MAX_BODY_BYTES default in
#     Sources/PaymentsCore/CoreConfiguration.swift, the value shown in systemd/payments.env.example and the number the
#     site's comment quotes are the same byte count;
#   - the origins of the site's $tn_cors_origin map are exactly CORS_ALLOWED_ORIGINS of the env example (the local
#     site is rendered from the stack's own CORS_ALLOWED_ORIGINS by scripts/nginx-config.sh, so it cannot drift).
# Usage: scripts/nginx-agreement-check.sh (run by scripts/nginx-check.sh, so by make check)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
site="$TN_REPO/nginx/payments.conf"
template="$TN_REPO/nginx/local.conf.template"
example="$TN_REPO/systemd/payments.env.example"
core="$TN_REPO/Sources/PaymentsCore/CoreConfiguration.swift"

# nginx size syntax (1m, 512k, 1048576) in bytes.
nginx_bytes() {
    local size="$1"
    case "$size" in
        *[kK]) echo $((${size%[kK]} * 1024)) ;;
        *[mM]) echo $((${size%[mM]} * 1048576)) ;;
        *[gG]) echo $((${size%[gG]} * 1073741824)) ;;
        *) echo "$size" ;;
    esac
}
body_limit() { sed -nE 's/^[[:space:]]*client_max_body_size[[:space:]]+([0-9]+[kKmMgG]?);.*/\1/p' "$1"; }

site_bytes="$(nginx_bytes "$(body_limit "$site")")"
template_bytes="$(nginx_bytes "$(body_limit "$template")")"
default_bytes="$(sed -nE 's/.*"MAX_BODY_BYTES", default: ([0-9_]+).*/\1/p' "$core" | tr -d _)"
example_bytes="$(sed -nE 's/^#?MAX_BODY_BYTES=([0-9]+)$/\1/p' "$example")"
comment_bytes="$(sed -nE 's/.*MAX_BODY_BYTES is ([0-9]+).*/\1/p' "$site")"
for pair in "nginx/local.conf.template:$template_bytes" "CoreConfiguration default:$default_bytes" \
    "payments.env.example:$example_bytes" "the site's comment:$comment_bytes"; do
    [[ -n "$site_bytes" && "${pair##*:}" == "$site_bytes" ]] \
        || tn_die "body limit: nginx/payments.conf has ${site_bytes:-none} bytes, ${pair%:*} '${pair##*:}'"
done

# "https://app.example.com" $http_origin; inside `map $http_origin $tn_cors_origin { ... }`.
site_origins="$(sed -n '/^map \$http_origin \$tn_cors_origin {/,/^}/p' "$site" \
    | sed -nE 's/^[[:space:]]*"([^"]+)"[[:space:]]+\$http_origin;.*/\1/p' | sort)"
example_origins="$(sed -nE 's/^#?CORS_ALLOWED_ORIGINS=(.*)$/\1/p' "$example" | tr ',' '\n' | tr -d '[:space:]"' \
    | sed '/^$/d' | sort)"
[[ "$site_origins" == "$example_origins" ]] \
    || tn_die "CORS origins: nginx/payments.conf allows [${site_origins//$'\n'/ }], payments.env.example [${example_origins//$'\n'/ }]"
tn_log "nginx and the configuration agree: body limit $site_bytes bytes, CORS origins ${site_origins//$'\n'/ }"
