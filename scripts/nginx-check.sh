#!/usr/bin/env bash
# Runs `nginx -t` on both sites: nginx/payments.conf (production) wrapped in a minimal main configuration with a
# throwaway certificate in place of the real one (also with deploy/cluster/nginx-upstream.conf), and nginx/local.conf.template rendered for a scratch stack layout;
# then scripts/nginx-agreement-check.sh (CORS origins and body limit agree with the configuration).
# Usage: scripts/nginx-check.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v nginx >/dev/null || tn_die "nginx not found (make deps)"
command -v openssl >/dev/null || tn_die "openssl not found (make deps)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/prod/logs" "$work/prod/tmp"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=pay.example.com" \
    -keyout "$work/prod/key.pem" -out "$work/prod/cert.pem" 2>/dev/null

# Production: the site is included in an http block as on Debian; `include fastcgi_params` resolves next to the main
# file, so the stock file is copied beside it.
cp /etc/nginx/fastcgi_params "$work/prod/fastcgi_params"
sed -e "s#/etc/letsencrypt/live/pay.example.com/fullchain.pem#$work/prod/cert.pem#" \
    -e "s#/etc/letsencrypt/live/pay.example.com/privkey.pem#$work/prod/key.pem#" \
    "$TN_REPO/nginx/payments.conf" >"$work/prod/payments.conf"
grep -q "$work/prod/cert.pem" "$work/prod/payments.conf" || tn_die "certificate path in nginx/payments.conf not found"
cat >"$work/prod/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_nchan_module.so;
pid $work/prod/nginx.pid;
error_log $work/prod/logs/error.log;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $work/prod/tmp/body;
    fastcgi_temp_path $work/prod/tmp/fastcgi;
    proxy_temp_path $work/prod/tmp/proxy;
    uwsgi_temp_path $work/prod/tmp/uwsgi;
    scgi_temp_path $work/prod/tmp/scgi;
    include $work/prod/payments.conf;
}
CONF
nginx -t -p "$work/prod" -e "$work/prod/logs/error.log" -c "$work/prod/nginx.conf"

# Scale-out: the same site with its one-responder upstream replaced by deploy/cluster/nginx-upstream.conf's (example
# responders: a local socket and a socket-activated host), as README "Scale-out" tells the operator to do.
TN_RESPONDER_1=unix:/run/tn-payments/fcgi.sock TN_RESPONDER_2=10.0.0.22:9000 \
    envsubst '${TN_RESPONDER_1} ${TN_RESPONDER_2}' <"$TN_REPO/deploy/cluster/nginx-upstream.conf" >"$work/prod/upstream.conf"
sed -i '/^upstream tn_payments_fcgi {$/,/^}$/d' "$work/prod/payments.conf"
grep -q 'fastcgi_pass unix:\|server unix:' "$work/prod/payments.conf" \
    && tn_die "nginx/payments.conf passes to the responder other than through upstream tn_payments_fcgi"
sed -i "s#^    include $work/prod/payments.conf;#    include $work/prod/upstream.conf;\n&#" "$work/prod/nginx.conf"
grep -q "include $work/prod/upstream.conf" "$work/prod/nginx.conf" || tn_die "upstream include not placed"
nginx -t -q -p "$work/prod" -e "$work/prod/logs/error.log" -c "$work/prod/nginx.conf"

# Local: render the template the way scripts/nginx-config.sh does, for a scratch copy of the dev stack.
export TN_NGINX_PREFIX="$work/local" RUN_HTTP_PORT=18980 RUN_HTTPS_PORT=18943 FCGI_SOCKET="$work/local/fcgi.sock"
export TN_EVENTS_PUBLISH_PORT=18981 SANDBOX_PORT_BASE=19000
export TN_FLOOD_RATE="1000r/s" TN_FLOOD_BURST="2000" TN_WEBHOOK_RATE="5000r/s" TN_WEBHOOK_BURST="10000"
export TN_USER_DIRECTIVE=""
export TN_CORS_ORIGIN_LINES='        "http://localhost:5173" $http_origin;'
mkdir -p "$work/local/logs" "$work/local/tmp" "$work/local/tls"
cp "$work/prod/cert.pem" "$work/local/tls/cert.pem"
cp "$work/prod/key.pem" "$work/local/tls/key.pem"
tn_render_local_nginx "$work/local/nginx.conf"
nginx -t -p "$work/local" -e "$work/local/logs/error.log" -c "$work/local/nginx.conf"
tn_log "nginx -t passed on nginx/payments.conf (alone and behind deploy/cluster/nginx-upstream.conf) and nginx/local.conf.template"
"$TN_REPO/scripts/nginx-agreement-check.sh"
