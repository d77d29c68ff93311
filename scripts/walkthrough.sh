#!/usr/bin/env bash
# Prints the URL of a running local stack and a copy-pasteable curl walk-through: mint a test token, create a Stripe
# PaymentIntent, pay it in the sandbox, see the ledger row and its sync to the Retail API; redeem and refund a Google
# Play purchase.
# Usage: scripts/walkthrough.sh dev|test
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tn_stack "${1:-dev}"
port="$(tn_env_value RUN_HTTP_PORT)"; port="${port:-$TN_DEFAULT_HTTP_PORT}"
https_port="$(tn_env_value RUN_HTTPS_PORT)"; https_port="${https_port:-$TN_DEFAULT_HTTPS_PORT}"
sandbox="$(tn_env_value SANDBOX_PORT_BASE)"; sandbox="${sandbox:-$TN_DEFAULT_SANDBOX_BASE}"
retail_key="$(tn_env_value RETAIL_API_KEY)"
db_socket="$(tn_env_value DB_SOCKET)"; db_socket="${db_socket:-$TN_DB_SOCKET}"
db_name="$(tn_env_value DB_NAME)"; db_name="${db_name:-tn_payments}"
api="http://127.0.0.1:$port/api"

cat <<TEXT
URL: $api/

The '$TN_STACK' stack is running: nginx on 127.0.0.1:$port (and https://127.0.0.1:$https_port, self-signed),
payments-fcgi, the sandbox on 127.0.0.1:$sandbox..$((sandbox + 6)) and MariaDB on $db_socket.
Configuration: $TN_ENV_FILE   Logs: $TN_RUN_DIR/*.log   Stop everything: make stop

Live payment status demo (open in a browser): http://127.0.0.1:$port/sandbox/demo/events
  It mints a token, creates a Stripe payment through the API and shows its status live from the event stream; Pay,
  Refund and Dispute drive the sandbox. The stream by hand: step 9 below.

Walk-through (paste into a shell):

# 0. Health
curl -s $api/health; echo

# 1. Mint a Firebase ID token for the test user demo-user (the sandbox signs it; the responder trusts its certs)
TOKEN=\$(curl -s -X POST http://127.0.0.1:$sandbox/firebase/mint -d '{"uid":"demo-user"}' | sed -E 's/.*"idToken":"([^"]+)".*/\1/'); echo "\$TOKEN" | cut -c1-40

# 2. Create a PaymentIntent for \$10.00 (reCAPTCHA token "pass" is accepted by the sandbox)
INTENT=\$(curl -s -X POST $api/stripe-getPaymentIntent -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '{"amount":1000,"recaptcha_token":"pass","platform":"web"}'); echo "\$INTENT"
PI=\$(echo "\$INTENT" | sed -E 's/.*"id":"(pi_[^"]+)".*/\1/'); echo "\$PI"

# 3. Pay it in the sandbox: it authorises the card and delivers the signed webhook; the responder captures and credits
curl -s -X POST http://127.0.0.1:$sandbox/control/stripe/pay -d "{\"id\":\"\$PI\"}"; echo
curl -s -X POST $api/stripe-getPaymentIntentStatus -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d "{\"payment_intent_id\":\"\$PI\",\"recaptcha_token\":\"pass\",\"platform\":\"web\"}"; echo

# 4. The ledger row (sync_state turns 'synced' a moment after the answer)
sleep 1; mariadb --socket $db_socket $db_name -e "select payment_id, uid, gateway, amount, sync_state, created_at from tn_payments where uid = 'demo-user' order by id desc limit 5"

# 5. Its sync to the Retail API (pushed right after the response; payments-sync run catches up anything missed)
curl -s http://127.0.0.1:$((sandbox + 4))/api/v1/retail/a/customer/demo-user/balance -H 'X-Api-Key: $retail_key'; echo
curl -s $api/app-getTransactions -H "Authorization: Bearer \$TOKEN"; echo

# App Store: the sandbox sells coins_500 to demo-user (a StoreKit transaction signed by its test Apple PKI, bound to the
# uid by appAccountToken); redeem it (499 cents), replay it by id (success, nothing written), then refund it (a signed
# REFUND notification: one negative row)
PURCHASE=\$(curl -s -X POST http://127.0.0.1:$sandbox/control/appstore/transactions -d '{"productId":"coins_500","uid":"demo-user"}')
TX=\$(echo "\$PURCHASE" | sed -E 's/.*"transactionId":"([^"]+)".*/\1/'); JWS=\$(echo "\$PURCHASE" | sed -E 's/.*"signedTransaction":"([^"]+)".*/\1/'); echo "\$TX"
curl -s -X POST $api/appstore-createTransaction -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d "{\"signedTransaction\":\"\$JWS\"}"; echo
curl -s -X POST $api/appstore-createTransaction -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d "{\"transactionId\":\"\$TX\"}"; echo
curl -s -X POST http://127.0.0.1:$sandbox/control/appstore/notify -d "{\"transactionId\":\"\$TX\",\"notificationType\":\"REFUND\"}" | sed -E 's/"signedPayload":"[^"]+",?//'; echo
mariadb --socket $db_socket $db_name -e "select payment_id, gateway, amount from tn_payments where gateway = 'appstore' and uid = 'demo-user' order by id desc limit 4"

# Google Play: buy coins_500 (\$4.99) as demo-user in the sandbox, redeem it, then refund it with a voided push
PLAY=\$(curl -s -X POST http://127.0.0.1:$sandbox/control/googleplay/purchases -d '{"productId":"coins_500","uid":"demo-user"}'); echo "\$PLAY"
PTOKEN=\$(echo "\$PLAY" | sed -E 's/.*"purchaseToken":"([^"]+)".*/\1/')
curl -s -X POST $api/googleplay-createTransaction -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d "{\"productId\":\"coins_500\",\"purchaseToken\":\"\$PTOKEN\"}"; echo
curl -s http://127.0.0.1:$sandbox/control/googleplay/purchases/\$PTOKEN; echo
curl -s -X POST http://127.0.0.1:$sandbox/control/googleplay/notify -d "{\"kind\":\"voided\",\"purchaseToken\":\"\$PTOKEN\"}"; echo

# 6. The operator-configured gateway 'acme' (CUSTOM_GATEWAYS=acme, GW_ACME_* in $TN_ENV_FILE): a session, its checkout
#    page in the sandbox, then the sandbox delivers the signed 'paid' notification (try "secret":"wrong" for a 401)
ACME=\$(curl -s -X POST $api/acme-createPayment -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '{"amount":1500,"success_url":"https://localhost:5173/ok"}'); echo "\$ACME"
SID=\$(echo "\$ACME" | sed -E 's/.*"session_id":"([^"]+)".*/\1/'); curl -s "\$(echo "\$ACME" | sed -E 's/.*"url":"([^"]+)".*/\1/')"; echo
curl -s -X POST http://127.0.0.1:$sandbox/control/custom/acme/pay -d "{\"session_id\":\"\$SID\"}"; echo
curl -s -X POST http://127.0.0.1:$sandbox/control/custom/acme/refund -d "{\"session_id\":\"\$SID\",\"refund_amount\":500}"; echo

# 7. Payeer: create an order (the signed form), post it to the sandbox's Payeer merchant page (port $((sandbox + 7))) as the
#    browser would, then pay it there: the sandbox delivers the signed status notification (answered <m_orderid>|success)
ORDER=\$(curl -s -X POST $api/payeer-createOrder -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '{"amount":1500,"success_url":"https://shop.sandbox.test/ok","fail_url":"https://shop.sandbox.test/fail"}'); echo "\$ORDER"
FORM=(); for k in m_shop m_orderid m_amount m_curr m_desc m_sign m_params m_cipher_method; do FORM+=(--data-urlencode "\$k=\$(echo "\$ORDER" | sed -E "s/.*\"\$k\":\"([^\"]*)\".*/\\1/")"); done
curl -s http://127.0.0.1:$((sandbox + 7))/merchant/ "\${FORM[@]}"; echo
curl -s -X POST http://127.0.0.1:$sandbox/control/payeer/pay -d "{\"m_orderid\":\"\$(echo "\$ORDER" | sed -E 's/.*"m_orderid":"([^"]+)".*/\\1/')\"}"; echo

# 8. Anypay: the same with its form (merchant page on port $((sandbox + 8))); its notification is answered OK
PAYMENT=\$(curl -s -X POST $api/anypay-createPayment -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '{"amount":2500}'); echo "\$PAYMENT"
FORM=(); for k in merchant_id pay_id amount currency desc success_url fail_url sign; do FORM+=(--data-urlencode "\$k=\$(echo "\$PAYMENT" | sed -E "s/.*\"\$k\":\"([^\"]*)\".*/\\1/")"); done
curl -s http://127.0.0.1:$((sandbox + 8))/merchant "\${FORM[@]}"; echo
curl -s -X POST http://127.0.0.1:$sandbox/control/anypay/pay -d "{\"pay_id\":\"\$(echo "\$PAYMENT" | sed -E 's/.*"pay_id":"([^"]+)".*/\\1/')\"}"; echo
sleep 1; mariadb --socket $db_socket $db_name -e "select payment_id, gateway, amount, sync_state from tn_payments where uid = 'demo-user' order by id desc limit 3"

# 9. Live status: a ticket for a new payment, its event stream (EventSource format; Ctrl-C to stop), and the payment
#    from a second shell (the stream shows pending, then paid)
PI2=\$(curl -s -X POST $api/stripe-getPaymentIntent -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '{"amount":700,"recaptcha_token":"pass","platform":"web"}' | sed -E 's/.*"id":"(pi_[^"]+)".*/\1/')
EVENTS=\$(curl -s -X POST $api/app-createEventsTicket -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d "{\"session_id\":\"\$PI2\"}" | sed -E 's/.*"url":"([^"]+)".*/\1/'); echo "\$EVENTS"
(sleep 2; curl -s -o /dev/null -X POST http://127.0.0.1:$sandbox/control/stripe/pay -d "{\"id\":\"\$PI2\"}") & curl -sN --max-time 5 -H 'Accept: text/event-stream' "http://127.0.0.1:$port\$EVENTS"
TEXT
