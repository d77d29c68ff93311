#!/usr/bin/env bash
# Writes .run/<stack>/payments.env, the one configuration file all three executables read (--env-file).
# Values already in the file are kept (edit it freely); keys missing from it are appended, so re-running is harmless.
# Usage: scripts/write-env.sh dev|test|test-NAME
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack "${1:-dev}"

# The test, test-NAME and soak stacks take a free block of ports unless told otherwise (RUN_HTTP_PORT etc. in the
# environment, or ports in an env file written earlier), so two checkouts can run `make test` (which soaks too) at
# once; the dev stack keeps its documented ports.
if [[ "$TN_STACK" != dev && -z "${RUN_HTTP_PORT:-}${SANDBOX_PORT_BASE:-}" ]] \
    && ! grep -qE '^[[:space:]]*RUN_HTTP_PORT=' "$TN_ENV_FILE" 2>/dev/null; then
    block="$(tn_free_port_block)"
    TN_DEFAULT_HTTP_PORT="$block" TN_DEFAULT_HTTPS_PORT=$((block + 43)) TN_DEFAULT_SANDBOX_BASE=$((block + 50))
fi
http_port="${RUN_HTTP_PORT:-$TN_DEFAULT_HTTP_PORT}"
https_port="${RUN_HTTPS_PORT:-$TN_DEFAULT_HTTPS_PORT}"
sandbox="${SANDBOX_PORT_BASE:-$TN_DEFAULT_SANDBOX_BASE}"
log_level=info

# Google Play's service-account key is the JSON itself (DESIGN §9), so a test key is made once per stack: the sandbox
# reads the same value to check the RS256 assertions of its token endpoint.
google_secret=""
if ! grep -qE '^[[:space:]]*(export[[:space:]]+)?GOOGLE_PLAY_SECRET_FILE=' "$TN_ENV_FILE" 2>/dev/null; then
    google_key="$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null | awk '{printf "%s\\n", $0}')"
    google_secret="{\"type\":\"service_account\",\"project_id\":\"tn-sandbox\",\"private_key_id\":\"$(openssl rand -hex 20)\",\"private_key\":\"$google_key\",\"client_email\":\"play-api@tn-sandbox.iam.gserviceaccount.com\",\"client_id\":\"100000000000000000001\",\"token_uri\":\"http://127.0.0.1:$((sandbox + 6))/token\"}"
fi

# The example operator-configured gateway `acme` (GW_ACME_*, sha256 scheme, cents) is on and the sandbox plays it.
# Test stacks also list `hexpay` (hex scheme, decimal amounts, its own header) and `stdpay` (Standard Webhooks), so
# every scheme is tested end to end through nginx.
custom_gateways=acme
custom_extra=""
if [[ "$TN_STACK" != dev ]]; then
    custom_gateways=acme,hexpay,stdpay
    custom_extra="GW_HEXPAY_SCHEME=hex
GW_HEXPAY_SECRET=hexpay_sandbox_secret
GW_HEXPAY_SIGNATURE_HEADER=X-Hexpay-Signature
GW_HEXPAY_AMOUNT_FORMAT=decimal
GW_HEXPAY_ALLOWED_IPS=127.0.0.1
GW_STDPAY_SCHEME=standard
GW_STDPAY_SECRET=whsec_c3RkcGF5X3NhbmRib3hfc2lnbmluZ19rZXlfMzJieQ==
GW_STDPAY_TOLERANCE_SECONDS=300
GW_STDPAY_ALLOWED_IPS=127.0.0.1"
fi
defaults="$(cat <<EOF_DEFAULTS
RUN_HTTP_PORT=$http_port
RUN_HTTPS_PORT=$https_port
DB_SOCKET=$TN_DB_SOCKET
DB_USER=root
DB_PASSWORD=
DB_NAME=tn_payments
FCGI_SOCKET=$TN_FCGI_DIR/fcgi.sock
FCGI_SOCKET_MODE=0666
FCGI_WORKERS=16
PUBLIC_BASE_URL=http://127.0.0.1:$http_port/api
CORS_ALLOWED_ORIGINS=http://localhost:5173
MAX_BODY_BYTES=1048576
LOG_LEVEL=$log_level
FIREBASE_PROJECT_ID=tn-sandbox
FIREBASE_CERTS_URL=http://127.0.0.1:$sandbox/firebase/certs
RECAPTCHA_ENABLED=true
RECAPTCHA_SECRET=recaptcha_sandbox_secret
RECAPTCHA_VERIFY_URL=http://127.0.0.1:$sandbox/recaptcha/api/siteverify
RECAPTCHA_MIN_SCORE=0.5
RECAPTCHA_HOSTNAMES=localhost
RETAIL_API_URL=http://127.0.0.1:$((sandbox + 4))/api/v1/retail
RETAIL_API_KEY=retail_sandbox_key
STRIPE_ENABLED=true
STRIPE_SECRET_KEY=sk_test_sandbox
STRIPE_PUBLISHABLE_KEY=pk_test_sandbox
STRIPE_WEBHOOK_SECRET=whsec_sandbox_secret
STRIPE_API_BASE=http://127.0.0.1:$((sandbox + 1))
PAYPAL_ENABLED=true
PAYPAL_CLIENT_ID=paypal_sandbox_client
PAYPAL_SECRET=paypal_sandbox_secret
PAYPAL_WEBHOOK_ID=WH-SANDBOX-WEBHOOK-ID
PAYPAL_CERT_HOSTS=127.0.0.1
PAYPAL_CERT_CN_SUFFIX=.paypal.com
PAYPAL_TRUST_ROOTS=$TN_RUN_DIR/paypal/trust-roots.pem
PAYPAL_API_BASE=http://127.0.0.1:$((sandbox + 2))
CRYPTOMUS_ENABLED=true
CRYPTOMUS_MERCHANT_ID=sandbox-merchant
CRYPTOMUS_PAYMENT_KEY=cryptomus_sandbox_payment_key
CRYPTOMUS_RETURN_ORIGINS=https://localhost:5173,https://shop.sandbox.test
CRYPTOMUS_INVOICE_LIFETIME_SECONDS=3600
CRYPTOMUS_CREDIT_OVERPAYMENT=false
CRYPTOMUS_ALLOWED_IPS=127.0.0.1
CRYPTOMUS_API_BASE=http://127.0.0.1:$((sandbox + 3))
PAYEER_ENABLED=true
PAYEER_SHOP_ID=287402376
PAYEER_SECRET_KEY=payeer_sandbox_secret
PAYEER_PARAMS_KEY=payeer_sandbox_params_key
PAYEER_ALLOWED_IPS=127.0.0.1
ANYPAY_ENABLED=true
ANYPAY_MERCHANT_ID=13990
ANYPAY_SECRET_KEY=anypay_sandbox_secret
ANYPAY_API_ID=SANDBOXAPI1
ANYPAY_API_KEY=anypay_sandbox_api_key
ANYPAY_ALLOWED_IPS=127.0.0.1
ANYPAY_API_BASE=http://127.0.0.1:$((sandbox + 8))
APPSTORE_ENABLED=true
APPSTORE_BUNDLE_ID=com.example.tnpayments
APPSTORE_APP_APPLE_ID=1234567890
APPSTORE_ENVIRONMENTS=Sandbox
APPSTORE_ROOT_CERTS=$TN_RUN_DIR/appstore/root-certs.pem
APPSTORE_PRODUCTS=coins_500=499,coins_1200=999
APPSTORE_ISSUER_ID=57246542-96fe-1a63-e053-0824d011072a
APPSTORE_KEY_ID=SANDBOXKEY1
APPSTORE_PRIVATE_KEY_FILE=$TN_RUN_DIR/appstore/api-key.p8
APPSTORE_API_BASE=http://127.0.0.1:$((sandbox + 5))
GOOGLE_PLAY_ENABLED=true
GOOGLE_PLAY_PACKAGE_NAME=com.tempnumber.sandbox
GOOGLE_PLAY_SECRET_FILE='$google_secret'
GOOGLE_PLAY_PRODUCTS=coins_500=499,coins_1200=999
GOOGLE_PUBSUB_AUDIENCE=http://127.0.0.1:$http_port/api/googleplay-handleWebhookEvents
GOOGLE_PUBSUB_SERVICE_ACCOUNT=pubsub-push@tn-sandbox.iam.gserviceaccount.com
GOOGLE_OIDC_CERTS_URL=http://127.0.0.1:$((sandbox + 6))/oauth2/v1/certs
GOOGLE_PLAY_API_BASE=http://127.0.0.1:$((sandbox + 6))
EVENTS_PUBLISH_URL=http://127.0.0.1:$((http_port + 1))/events-publish
EVENTS_TICKET_SECRET=$(openssl rand -hex 32)
EVENTS_TICKET_SECONDS=300
EVENTS_MAX_PER_UID=5
SANDBOX_PORT_BASE=$sandbox
SANDBOX_WEBHOOK_TARGET=http://127.0.0.1:$http_port/api
GW_ACME_SCHEME=sha256
GW_ACME_SECRET=acme_sandbox_secret
GW_ACME_ALLOWED_IPS=127.0.0.1
GW_ACME_CHECKOUT_URL='http://127.0.0.1:$((sandbox + 9))/checkout/acme?session_id={session_id}&amount={amount}&success_url={success_url}&cancel_url={cancel_url}'
CUSTOM_GATEWAYS=$custom_gateways
EOF_DEFAULTS
)"
if [[ -n "$custom_extra" ]]; then defaults+=$'\n'"$custom_extra"; fi

mkdir -p "$TN_RUN_DIR"
if [[ ! -f "$TN_ENV_FILE" ]]; then
    {
        echo "# tn-payments '$TN_STACK' stack, written by scripts/write-env.sh; edits are kept when it runs again."
        echo "# Read by payments-fcgi, payments-sync and payments-sandbox via --env-file. SANDBOX_* keys are sandbox-only;"
        echo "# RUN_* keys are read by the scripts that start nginx."
    } >"$TN_ENV_FILE"
fi
added=0
while IFS= read -r line; do
    key="${line%%=*}"
    if ! grep -qE "^[[:space:]]*(export[[:space:]]+)?${key}=" "$TN_ENV_FILE"; then
        printf '%s\n' "$line" >>"$TN_ENV_FILE"
        added=$((added + 1))
    fi
done <<<"$defaults"
chmod 0600 "$TN_ENV_FILE"
# The issue names .run/payments.env for make run: point it at the dev stack's file.
if [[ "$TN_STACK" == dev ]]; then ln -sfn dev/payments.env "$TN_REPO/.run/payments.env"; fi
tn_log "$TN_ENV_FILE ready ($added new keys)"
