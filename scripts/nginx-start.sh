#!/usr/bin/env bash
# Starts the stack's nginx (prefix .run/<stack>/nginx) with a freshly rendered config, or reloads it when it already
# runs. Usage: scripts/nginx-start.sh dev|test
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack "${1:-dev}"
command -v nginx >/dev/null || tn_die "nginx not found (make deps)"

"$TN_REPO/scripts/nginx-config.sh" "$TN_STACK"
conf="$TN_NGINX_PREFIX/nginx.conf"
args=(-p "$TN_NGINX_PREFIX" -e "$TN_NGINX_PREFIX/logs/error.log" -c "$conf")
nginx -t -q "${args[@]}" || tn_die "nginx -t failed for $conf"
if tn_pid_alive "$TN_NGINX_PREFIX/nginx.pid" "nginx: master"; then
    nginx "${args[@]}" -s reload
    tn_log "nginx ($TN_STACK) reloaded"
else
    rm -f "$TN_NGINX_PREFIX/nginx.pid"
    nginx "${args[@]}"
    tn_log "nginx ($TN_STACK) started on 127.0.0.1:$(tn_env_value RUN_HTTP_PORT) and :$(tn_env_value RUN_HTTPS_PORT) (https)"
fi
