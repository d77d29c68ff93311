#!/usr/bin/env bash
# Renders nginx/local.conf.template into .run/<stack>/nginx/nginx.conf from the stack's env file, and makes the
# self-signed certificate for the HTTPS listener (once). Usage: scripts/nginx-config.sh dev|test|test-NAME
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack "${1:-dev}"
[[ -f "$TN_ENV_FILE" ]] || tn_die "$TN_ENV_FILE missing; run scripts/write-env.sh $TN_STACK first"

mkdir -p "$TN_NGINX_PREFIX"/{logs,tmp,tls}
if [[ ! -s "$TN_NGINX_PREFIX/tls/cert.pem" || ! -s "$TN_NGINX_PREFIX/tls/key.pem" ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$TN_NGINX_PREFIX/tls/key.pem" -out "$TN_NGINX_PREFIX/tls/cert.pem" 2>/dev/null
    chmod 0600 "$TN_NGINX_PREFIX/tls/key.pem"
fi

export TN_NGINX_PREFIX
RUN_HTTP_PORT="$(tn_env_value RUN_HTTP_PORT)"; export RUN_HTTP_PORT="${RUN_HTTP_PORT:-$TN_DEFAULT_HTTP_PORT}"
RUN_HTTPS_PORT="$(tn_env_value RUN_HTTPS_PORT)"; export RUN_HTTPS_PORT="${RUN_HTTPS_PORT:-$TN_DEFAULT_HTTPS_PORT}"
FCGI_SOCKET="$(tn_env_value FCGI_SOCKET)"; export FCGI_SOCKET="${FCGI_SOCKET:-$TN_FCGI_DIR/fcgi.sock}"
SANDBOX_PORT_BASE="$(tn_env_value SANDBOX_PORT_BASE)"; export SANDBOX_PORT_BASE="${SANDBOX_PORT_BASE:-$TN_DEFAULT_SANDBOX_BASE}"
# The nchan publisher listens where EVENTS_PUBLISH_URL points (http://127.0.0.1:PORT/events-publish).
publish_url="$(tn_env_value EVENTS_PUBLISH_URL)"
publish_port="$(printf '%s' "$publish_url" | sed -nE 's#^http://127\.0\.0\.1:([0-9]+)/events-publish/?$#\1#p')"
export TN_EVENTS_PUBLISH_PORT="${publish_port:-$((RUN_HTTP_PORT + 1))}"
export TN_FLOOD_RATE="1000r/s" TN_FLOOD_BURST="2000" TN_WEBHOOK_RATE="5000r/s" TN_WEBHOOK_BURST="10000"
# As root the workers also run as root, so they reach the socket wherever the repository lives.
if [[ "$(id -u)" == 0 ]]; then export TN_USER_DIRECTIVE="user root root;"; else export TN_USER_DIRECTIVE=""; fi
TN_CORS_ORIGIN_LINES=""
IFS=',' read -r -a origins <<<"$(tn_env_value CORS_ALLOWED_ORIGINS)"
for origin in "${origins[@]}"; do
    origin="$(printf '%s' "$origin" | tr -d '[:space:]"\\')"
    [[ -n "$origin" ]] && TN_CORS_ORIGIN_LINES+="        \"$origin\" \$http_origin;"$'\n'
done
export TN_CORS_ORIGIN_LINES

tn_render_local_nginx "$TN_NGINX_PREFIX/nginx.conf.new"
mv "$TN_NGINX_PREFIX/nginx.conf.new" "$TN_NGINX_PREFIX/nginx.conf"
tn_log "$TN_NGINX_PREFIX/nginx.conf written (http $RUN_HTTP_PORT, https $RUN_HTTPS_PORT)"
