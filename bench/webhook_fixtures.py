#!/usr/bin/env python3
"""Fixtures for bench/webhooks (Python 3 standard library only; traffic to 127.0.0.1 only).

create  create N payment sessions through the gateway's real create route (Firebase ID tokens minted by the
        sandbox for a few hundred distinct uids, reCAPTCHA token "pass"), and for PayPal and Cryptomus bring each
        one to "paid at the gateway, not yet credited" at the sandbox with webhook delivery suppressed:
          stripe     POST <api>/stripe-getPaymentIntent (rows are then read from payment_sessions by the caller)
          paypal     POST <api>/paypal-createOrder; POST /control/paypal/approve {id, deliver:false}; then
                     POST /v2/checkout/orders/{id}/capture at the sandbox's PayPal API with its own OAuth token, so
                     the capture is COMPLETED at PayPal; the capture objects go to --out (JSON lines)
          cryptomus  POST <api>/cryptomus-createPayment (return URLs on the first CRYPTOMUS_RETURN_ORIGINS origin);
                     POST /control/cryptomus/status {uuid, status:paid, deliver:false}; the invoices go to --out
          appstore   POST /control/appstore/transactions {productId (the first of APPSTORE_PRODUCTS), uid}; the
                     purchase redeemed (credited) through POST <api>/appstore-createTransaction; then
                     POST /control/appstore/notify {transactionId, REFUND, deliver:false}; the payloads go to --out
          gplay      POST /control/googleplay/purchases {productId, uid} (the first GOOGLE_PLAY_PRODUCTS product), then
                     POST <api>/googleplay-createTransaction, which credits and consumes it; {orderId, purchaseToken}
                     of each credited purchase go to --out
          acme       POST <api>/acme-createPayment (the operator-configured example gateway: no gateway call; its
                     hosted checkout would take the payment); {session_id, amount} go to --out
          payeer     POST <api>/payeer-createOrder, anypay POST <api>/anypay-createPayment; the forms go to --out
sign    turn those rows into distinct genuine deliveries, one per line (tab-separated "Name: value" header fields,
        then the body; a lone first field is a Stripe-Signature), split into named slices (warm-up, measured),
        each cut into one file per wrk thread: <prefix>-<slice>-<n>.txt:
          stripe     payment_intent.succeeded, Stripe-Signature t=…,v1=HMAC-SHA256(secret, "t.body")
          paypal     PAYMENT.CAPTURE.COMPLETED around the capture; PAYPAL-TRANSMISSION-SIG = SHA256withRSA with the
                     sandbox leaf key over "transmission id|time|PAYPAL_WEBHOOK_ID|CRC32(body)", PAYPAL-CERT-URL the
                     sandbox's certificate URL
          cryptomus  the payment webhook fields in the documented order, sign = md5(base64(PHP-style JSON without
                     sign) + CRYPTOMUS_PAYMENT_KEY) appended last
          appstore   {"signedPayload"}: the V2 REFUND notification the sandbox signed with its Apple PKI
          gplay      a Pub/Sub push of a voidedPurchaseNotification for the credited order (one refund row each),
                     a fresh messageId each, with Authorization: Bearer <an OIDC token minted by the sandbox's
                     /control/googleplay/mint, valid for an hour, shared by every delivery>
          acme       a paid notification in the default GW_ACME_* field layout, <GW_ACME_SIGNATURE_HEADER>:
                     sha256=<hex HMAC-SHA256 of the body keyed with the first GW_ACME_SECRET> (GW_ACME_SCHEME=sha256)
          payeer     the status notification (m_status success, a fresh m_operation_id), form-encoded, m_sign last
          anypay     the notification (status paid, a fresh transaction_id), form-encoded, sign last
fake    synthetic Stripe-shaped deliveries (random ids), for the reference responder, which ignores bodies.
send    POST the deliveries of one file one by one (a preflight: every answer must be 2xx).
"""
import argparse
import base64
import ctypes
import ctypes.util
import hashlib
import hmac
import http.client
import json
import os
import random
import string
import sys
import threading
import time
import urllib.parse
import uuid
import zlib

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase


def log(message):
    print(f"fixtures: {message}", file=sys.stderr, flush=True)


def loopback(url):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost"):
        sys.exit(f"fixtures: refusing non-loopback URL {url}")
    return parts


def post_json(conn, path, payload, headers=None):
    body = json.dumps(payload).encode()
    all_headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    all_headers.update(headers or {})
    conn.request("POST", path, body=body, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data


# ---------------------------------------------------------------------------------------------- create


def mint_tokens(control, uids):
    parts = loopback(control)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    tokens = {}
    for uid in uids:
        status, data = post_json(conn, "/firebase/mint",
                                 {"uid": uid, "email_verified": True, "sign_in_provider": "google.com"})
        if status != 200:
            sys.exit(f"fixtures: minting a token failed: HTTP {status} {data[:200]!r}")
        tokens[uid] = json.loads(data)["idToken"]
    conn.close()
    return tokens


def read_env_file(path):
    """KEY=value lines of the stack's env file (quotes stripped); the process environment overrides them."""
    values = {}
    if path:
        with open(path) as handle:
            for line in handle:
                line = line.strip()
                if not line or line.startswith("#") or "=" not in line:
                    continue
                key, _, value = line.partition("=")
                key = key.strip()
                if key.startswith("export "):
                    key = key[7:].strip()
                value = value.strip()
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                    value = value[1:-1]
                values[key] = value
    for key in list(values):
        if key in os.environ:
            values[key] = os.environ[key]
    return values


def require(env, key):
    value = env.get(key, "")
    if not value:
        sys.exit(f"fixtures: {key} is not set in the env file")
    return value


def amount_cents(i):
    return 500 + (i * 7919) % 99501


class StripeMaker:
    """stripe-getPaymentIntent only; the caller reads the sessions from payment_sessions."""

    def __init__(self, args, env):
        self.path = loopback(args.api).path.rstrip("/") + "/stripe-getPaymentIntent"

    def connections(self):
        return {}

    def make(self, i, api, conns, token):
        payload = {"amount": amount_cents(i), "recaptcha_token": "pass", "platform": "web"}
        status, data = post_json(api, self.path, payload, {"Authorization": f"Bearer {token}"})
        return (None if status == 200 else f"create {status}"), data, None


class PayPalMaker:
    """paypal-createOrder, approval at the sandbox without delivery, then the capture at the sandbox's PayPal API."""

    def __init__(self, args, env):
        self.path = loopback(args.api).path.rstrip("/") + "/paypal-createOrder"
        self.control = loopback(args.control)
        self.paypal = loopback(require(env, "PAYPAL_API_BASE"))
        credentials = f"{require(env, 'PAYPAL_CLIENT_ID')}:{require(env, 'PAYPAL_SECRET')}".encode()
        conn = http.client.HTTPConnection(self.paypal.hostname, self.paypal.port, timeout=10)
        body = b"grant_type=client_credentials"
        conn.request("POST", "/v1/oauth2/token", body=body, headers={
            "Authorization": "Basic " + base64.b64encode(credentials).decode(),
            "Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(len(body))})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        if response.status != 200:
            sys.exit(f"fixtures: the sandbox refused the PayPal OAuth token: HTTP {response.status} {data[:200]!r}")
        self.bearer = "Bearer " + json.loads(data)["access_token"]

    def connections(self):
        return {"control": self.control, "paypal": self.paypal}

    def make(self, i, api, conns, token):
        payload = {"amount": amount_cents(i), "recaptcha_token": "pass", "platform": "web"}
        status, data = post_json(api, self.path, payload, {"Authorization": f"Bearer {token}"})
        if status != 200:
            return f"create {status}", data, None
        order_id = json.loads(data)["id"]
        status, data = post_json(conns["control"], "/control/paypal/approve", {"id": order_id, "deliver": False})
        if status != 200:
            return f"approve {status}", data, None
        status, data = post_json(conns["paypal"], f"/v2/checkout/orders/{order_id}/capture", {},
                                 {"Authorization": self.bearer, "PayPal-Request-Id": f"bench-capture-{order_id}"})
        if status != 201:
            return f"capture {status}", data, None
        order = json.loads(data)
        captures = order["purchase_units"][0].get("payments", {}).get("captures", [])
        if len(captures) != 1 or captures[0].get("status") != "COMPLETED":
            return "capture not COMPLETED", data, None
        return None, data, captures[0]


class CryptomusMaker:
    """cryptomus-createPayment, then the invoice paid at the sandbox without delivery."""

    def __init__(self, args, env):
        self.path = loopback(args.api).path.rstrip("/") + "/cryptomus-createPayment"
        self.control = loopback(args.control)
        origin = require(env, "CRYPTOMUS_RETURN_ORIGINS").split(",")[0].strip().rstrip("/")
        self.url_return = origin + "/bench/return"
        self.url_success = origin + "/bench/success"

    def connections(self):
        return {"control": self.control}

    def make(self, i, api, conns, token):
        payload = {"amount": amount_cents(i), "url_return": self.url_return, "url_success": self.url_success}
        status, data = post_json(api, self.path, payload, {"Authorization": f"Bearer {token}"})
        if status != 200:
            return f"create {status}", data, None
        invoice_uuid = json.loads(data)["url"].rstrip("/").rsplit("/", 1)[-1]
        status, data = post_json(conns["control"], "/control/cryptomus/status",
                                 {"uuid": invoice_uuid, "status": "paid", "deliver": False})
        if status != 200:
            return f"pay {status}", data, None
        invoice = json.loads(data)
        invoice.pop("sandbox_events", None)
        if invoice.get("uuid") != invoice_uuid or invoice.get("status") != "paid" or invoice.get("is_final") is not True:
            return "invoice not paid", data, None
        return None, data, invoice


def token_uid(token):
    """The uid (`sub`) of a Firebase ID token the sandbox minted."""
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))["sub"]


class AppStoreMaker:
    """A purchase at the sandbox's App Store (bound to the uid), redeemed through appstore-createTransaction (the
    credit), then its REFUND notification signed by the sandbox's Apple PKI without delivery."""

    def __init__(self, args, env):
        self.path = loopback(args.api).path.rstrip("/") + "/appstore-createTransaction"
        self.control = loopback(args.control)
        self.product = require(env, "APPSTORE_PRODUCTS").split(",")[0].partition("=")[0].strip()

    def connections(self):
        return {"control": self.control}

    def make(self, i, api, conns, token):
        status, data = post_json(conns["control"], "/control/appstore/transactions",
                                 {"productId": self.product, "uid": token_uid(token)})
        if status != 200:
            return f"purchase {status}", data, None
        purchase = json.loads(data)
        status, data = post_json(api, self.path, {"signedTransaction": purchase["signedTransaction"]},
                                 {"Authorization": f"Bearer {token}"})
        if status != 200:
            return f"redeem {status}", data, None
        status, data = post_json(conns["control"], "/control/appstore/notify",
                                 {"transactionId": purchase["transactionId"], "notificationType": "REFUND",
                                  "deliver": False})
        if status != 200:
            return f"notify {status}", data, None
        signed = json.loads(data).get("signedPayload")
        if not signed:
            return "notify without signedPayload", data, None
        return None, data, {"transactionId": purchase["transactionId"], "signedPayload": signed}


class GooglePlayMaker:
    """A purchase made at the sandbox's Google Play for the uid, then redeemed through googleplay-createTransaction."""

    def __init__(self, args, env):
        self.path = loopback(args.api).path.rstrip("/") + "/googleplay-createTransaction"
        self.control = loopback(args.control)
        self.product = require(env, "GOOGLE_PLAY_PRODUCTS").split(",")[0].partition("=")[0].strip()
        self.uid_prefix, self.uids = args.uid_prefix, args.uids

    def connections(self):
        return {"control": self.control}

    def make(self, i, api, conns, token):
        # The purchase is bound to the uid whose token create() hands over for row i (the same rotation).
        uid = f"{self.uid_prefix}{i % self.uids:04d}"
        status, data = post_json(conns["control"], "/control/googleplay/purchases",
                                 {"productId": self.product, "uid": uid})
        if status != 200:
            return f"purchase {status}", data, None
        purchase = json.loads(data)
        payload = {"productId": self.product, "purchaseToken": purchase["purchaseToken"]}
        status, data = post_json(api, self.path, payload, {"Authorization": f"Bearer {token}"})
        if status != 200:
            return f"redeem {status}", data, None
        return None, data, {"orderId": purchase["orderId"], "purchaseToken": purchase["purchaseToken"]}


class AcmeMaker:
    """acme-createPayment: a session of the operator-configured gateway `acme`, which its checkout page would pay."""

    def __init__(self, args, env):
        self.path = loopback(args.api).path.rstrip("/") + "/acme-createPayment"

    def connections(self):
        return {}

    def make(self, i, api, conns, token):
        status, data = post_json(api, self.path, {"amount": amount_cents(i)}, {"Authorization": f"Bearer {token}"})
        if status != 200:
            return f"create {status}", data, None
        answer = json.loads(data)
        return None, data, {"session_id": answer["session_id"], "amount": answer["amount"]}


class FormMaker:
    """payeer-createOrder / anypay-createPayment: the session exists once the signed form is answered (there is no
    gateway call); the form goes to --out, and the signer builds the notification from it."""

    def __init__(self, args, env):
        self.route = {"payeer": "/payeer-createOrder", "anypay": "/anypay-createPayment"}[args.gateway]
        self.path = loopback(args.api).path.rstrip("/") + self.route
        self.urls = {"success_url": "https://shop.sandbox.test/ok", "fail_url": "https://shop.sandbox.test/fail"}
        self.gateway = args.gateway

    def connections(self):
        return {}

    def make(self, i, api, conns, token):
        payload = {"amount": amount_cents(i), **(self.urls if self.gateway == "payeer" else {})}
        status, data = post_json(api, self.path, payload, {"Authorization": f"Bearer {token}"})
        return (None if status == 200 else f"create {status}"), data, json.loads(data) if status == 200 else None


MAKERS = {
    "stripe": StripeMaker, "paypal": PayPalMaker, "cryptomus": CryptomusMaker, "appstore": AppStoreMaker,
    "gplay": GooglePlayMaker, "acme": AcmeMaker, "payeer": FormMaker, "anypay": FormMaker,
}


def create(args):
    env = read_env_file(args.env_file)
    api = loopback(args.api)
    maker = MAKERS[args.gateway](args, env)
    uids = [f"{args.uid_prefix}{i:04d}" for i in range(args.uids)]
    tokens = mint_tokens(args.control, uids)
    log(f"minted {len(tokens)} Firebase tokens; creating {args.count} {args.gateway} sessions "
        f"with {args.concurrency} connections")
    out = open(args.out, "w") if args.out else None

    lock = threading.Lock()
    state = {"next": 0, "ok": 0, "failed": 0, "statuses": {}}
    deadline = time.monotonic() + args.deadline

    def connect(parts):
        return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def worker():
        conn = connect(api)
        conns = {name: connect(parts) for name, parts in maker.connections().items()}
        while True:
            with lock:
                i = state["next"]
                if i >= args.count or time.monotonic() > deadline or state["failed"] > args.max_failures:
                    break
                state["next"] = i + 1
            uid = uids[i % len(uids)]
            try:
                failure, data, row = maker.make(i, conn, conns, tokens[uid])
            except (OSError, http.client.HTTPException, ValueError, KeyError, IndexError) as error:
                failure, data, row = f"{type(error).__name__}", b"", None
                conn.close()
                conn = connect(api)
                for name in conns:
                    conns[name].close()
                    conns[name] = connect(maker.connections()[name])
            with lock:
                if failure is None:
                    state["ok"] += 1
                    if out and row is not None:
                        out.write(json.dumps(row, separators=(",", ":")) + "\n")
                else:
                    state["failed"] += 1
                    if failure not in state["statuses"]:
                        log(f"first '{failure}' answer: {data[:300]!r}")
                    state["statuses"][failure] = state["statuses"].get(failure, 0) + 1
        conn.close()
        for other in conns.values():
            other.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.concurrency)]
    for thread in threads:
        thread.start()
    last = started
    while any(thread.is_alive() for thread in threads):
        time.sleep(0.5)
        now = time.monotonic()
        if now - last >= 10:
            last = now
            with lock:
                done = state["ok"]
            log(f"... {done} created ({done / (now - started):.0f}/s)")
    for thread in threads:
        thread.join()
    if out:
        out.close()
    elapsed = time.monotonic() - started
    rate = state["ok"] / elapsed if elapsed > 0 else 0
    log(f"created {state['ok']} {args.gateway} sessions in {elapsed:.1f} s ({rate:.0f}/s), failed {state['failed']} "
        f"{state['statuses'] or ''}")
    print(f"CREATE gateway={args.gateway} ok={state['ok']} failed={state['failed']} seconds={elapsed:.1f} rate={rate:.0f}")
    if state["failed"] > args.max_failures or state["ok"] == 0:
        sys.exit("fixtures: too many failed creations")


# ------------------------------------------------------------------------------------------------ sign


def rand_id(prefix, length=24, rng=random):
    return prefix + "".join(rng.choice(ALNUM) for _ in range(length))


def event_body(row, created, rng):
    """A payment_intent.succeeded event envelope (research §1.2) around a succeeded PaymentIntent."""
    pi_id, public_id, uid, amount = row
    amount = int(amount)
    intent = {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": amount,
        "capture_method": "manual",
        "client_secret": f"{pi_id}_secret_{rand_id('', 25, rng)}",
        "created": created - 60,
        "currency": "usd",
        "latest_charge": rand_id("ch_", rng=rng),
        "livemode": False,
        "metadata": {"session_id": public_id, "uid": uid},
        "payment_method": rand_id("pm_", rng=rng),
        "payment_method_types": ["card"],
        "review": None,
        "status": "succeeded",
    }
    event = {
        "id": rand_id("evt_", rng=rng),
        "object": "event",
        "api_version": "2026-06-24.dahlia",
        "created": created,
        "data": {"object": intent},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "payment_intent.succeeded",
    }
    return json.dumps(event, separators=(",", ":"))


class StripeSigner:
    """payment_intent.succeeded, signed with the first STRIPE_WEBHOOK_SECRET."""

    def __init__(self, secret, t):
        self.key = secret.encode()
        self.t = t

    def render(self, row, rng):
        body = event_body(row, self.t, rng).encode()
        return [stripe_signature(self.key, self.t, body)], body


def stripe_signature(key, t, body):
    """The Stripe-Signature value for BODY (bytes) at unix time T: t=…,v1=HMAC-SHA256(key, "t.body")."""
    return f"t={t},v1={hmac.new(key, str(t).encode() + b'.' + body, hashlib.sha256).hexdigest()}"


class RSASigner:
    """SHA256withRSA (PKCS #1 v1.5) with a PEM private key, through the system libcrypto (no extra Python package)."""

    def __init__(self, pem):
        name = ctypes.util.find_library("crypto") or "libcrypto.so.3"
        lib = ctypes.CDLL(name)
        vp, sz = ctypes.c_void_p, ctypes.c_size_t
        for fn, res, argtypes in (
                ("BIO_new_mem_buf", vp, [ctypes.c_char_p, ctypes.c_int]),
                ("BIO_free", ctypes.c_int, [vp]),
                ("PEM_read_bio_PrivateKey", vp, [vp, vp, vp, vp]),
                ("EVP_sha256", vp, []),
                ("EVP_MD_CTX_new", vp, []),
                ("EVP_MD_CTX_free", None, [vp]),
                ("EVP_DigestSignInit", ctypes.c_int, [vp, vp, vp, vp, vp]),
                ("EVP_DigestSign", ctypes.c_int, [vp, ctypes.c_char_p, ctypes.POINTER(sz), ctypes.c_char_p, sz])):
            getattr(lib, fn).restype = res
            getattr(lib, fn).argtypes = argtypes
        self.lib = lib
        bio = lib.BIO_new_mem_buf(pem, len(pem))
        self.key = lib.PEM_read_bio_PrivateKey(bio, None, None, None)
        lib.BIO_free(bio)
        if not self.key:
            sys.exit("fixtures: cannot read the PayPal sandbox leaf key")
        self.sha256 = lib.EVP_sha256()
        self.buffer = ctypes.create_string_buffer(1024)

    def sign(self, message):
        ctx = self.lib.EVP_MD_CTX_new()
        try:
            if self.lib.EVP_DigestSignInit(ctx, None, self.sha256, None, self.key) != 1:
                sys.exit("fixtures: EVP_DigestSignInit failed")
            length = ctypes.c_size_t(len(self.buffer))
            if self.lib.EVP_DigestSign(ctx, self.buffer, ctypes.byref(length), message, len(message)) != 1:
                sys.exit("fixtures: EVP_DigestSign failed")
            return self.buffer.raw[:length.value]
        finally:
            self.lib.EVP_MD_CTX_free(ctx)


def paypal_id(rng, length=17):
    return "".join(rng.choice(string.digits + string.ascii_uppercase) for _ in range(length))


class PayPalSigner:
    """PAYMENT.CAPTURE.COMPLETED around a capture COMPLETED at the sandbox, signed as PayPal signs (research §2.3):
    SHA256withRSA over "transmission id|transmission time|webhook id|CRC-32 of the body" with the sandbox's leaf key,
    the leaf's URL in PAYPAL-CERT-URL."""

    def __init__(self, env, cert_url, key_file):
        self.webhook_id = require(env, "PAYPAL_WEBHOOK_ID")
        self.api_base = require(env, "PAYPAL_API_BASE").rstrip("/")
        self.cert_url = cert_url
        with open(key_file, "rb") as handle:
            self.rsa = RSASigner(handle.read())

    def render(self, capture, rng):
        now = time.time()
        event_id = f"WH-{paypal_id(rng)}-{paypal_id(rng)}"
        amount = capture["amount"]
        event = {
            "id": event_id,
            "event_version": "1.0",
            "create_time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z",
            "resource_type": "capture",
            "resource_version": "2.0",
            "event_type": "PAYMENT.CAPTURE.COMPLETED",
            "summary": f"Payment completed for $ {amount['value']} {amount['currency_code']}",
            "resource": capture,
            "links": [
                {"href": f"{self.api_base}/v1/notifications/webhooks-events/{event_id}", "rel": "self",
                 "method": "GET"},
                {"href": f"{self.api_base}/v1/notifications/webhooks-events/{event_id}/resend", "rel": "resend",
                 "method": "POST"},
            ],
        }
        body = json.dumps(event, separators=(",", ":")).encode()
        return [f"{name}: {value}" for name, value in self.headers(body, rng, now)], body

    def headers(self, body, rng, now=None):
        """The PAYPAL-* header fields of one transmission of BODY (bytes), as (name, value) pairs."""
        now = time.time() if now is None else now
        transmission_id = str(uuid.UUID(int=rng.getrandbits(128), version=1))
        transmission_time = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        message = f"{transmission_id}|{transmission_time}|{self.webhook_id}|{zlib.crc32(body)}".encode()
        signature = base64.b64encode(self.rsa.sign(message)).decode()
        return [
            ("PAYPAL-TRANSMISSION-ID", transmission_id),
            ("PAYPAL-TRANSMISSION-TIME", transmission_time),
            ("PAYPAL-TRANSMISSION-SIG", signature),
            ("PAYPAL-CERT-URL", self.cert_url),
            ("PAYPAL-AUTH-ALGO", "SHA256withRSA"),
            ("PAYPAL-AUTH-VERSION", "v2"),
        ]


def php_json(value):
    """json_encode($value, JSON_UNESCAPED_UNICODE): compact, raw UTF-8, slashes escaped (research §1.5)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("/", "\\/")


def decimal_cents(text):
    whole, _, fraction = (text or "0").partition(".")
    return int(whole or "0") * 100 + int((fraction + "00")[:2])


class CryptomusSigner:
    """The payment webhook of an invoice paid at the sandbox: fields in the documented order (research §1.4),
    sign = md5(base64(PHP-style JSON without sign) + CRYPTOMUS_PAYMENT_KEY), appended last."""

    def __init__(self, env):
        self.key = require(env, "CRYPTOMUS_PAYMENT_KEY")

    def render(self, invoice, rng):
        paid = invoice.get("payment_amount_usd")
        merchant = invoice.get("merchant_amount")
        commission = None
        if paid is not None and merchant is not None:
            cents = decimal_cents(paid) - decimal_cents(merchant)
            commission = f"{cents // 100}.{cents % 100:02d}"
        fields = {
            "type": "payment",
            "uuid": invoice["uuid"],
            "order_id": invoice["order_id"],
            "amount": invoice["amount"],
            "payment_amount": invoice.get("payment_amount"),
            "payment_amount_usd": paid,
            "merchant_amount": merchant,
            "commission": commission,
            "is_final": invoice["is_final"],
            "status": invoice["status"],
            "from": invoice.get("from"),
            "wallet_address_uuid": None,
            "network": invoice.get("network"),
            "currency": invoice["currency"],
            "payer_currency": invoice.get("payer_currency"),
            "payer_amount": invoice.get("payer_amount"),
            "additional_data": invoice.get("additional_data"),
            "txid": invoice.get("txid"),
        }
        signed = php_json(fields)
        fields["sign"] = hashlib.md5((base64.b64encode(signed.encode()).decode() + self.key).encode()).hexdigest()
        return [], php_json(fields).encode()


class AppStoreSigner:
    """The REFUND notification the sandbox signed for a credited purchase, as App Store Server Notifications V2
    posts it: `{"signedPayload"}` (ES256 JWS with an x5c chain to APPSTORE_ROOT_CERTS, a signed transaction inside)."""

    def render(self, row, rng):
        return [], json.dumps({"signedPayload": row["signedPayload"]}, separators=(",", ":")).encode()


class GooglePlaySigner:
    """A Pub/Sub push of a voidedPurchaseNotification for a credited order, as Google Play publishes it and Pub/Sub
    pushes it, with one OIDC token minted by the sandbox (its signing keys live only in the sandbox)."""

    def __init__(self, env, control):
        if not control:
            sys.exit("fixtures: gplay needs --control (the sandbox mints the push token)")
        self.package = require(env, "GOOGLE_PLAY_PACKAGE_NAME")
        parts = loopback(control)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        status, data = post_json(conn, "/control/googleplay/mint", {})
        conn.close()
        if status != 200:
            sys.exit(f"fixtures: the sandbox did not mint a push token: HTTP {status} {data[:200]!r}")
        self.authorization = "Authorization: Bearer " + json.loads(data)["token"]

    def render(self, purchase, rng):
        notification = {
            "version": "1.0",
            "packageName": self.package,
            "eventTimeMillis": str(int(time.time() * 1000)),
            "voidedPurchaseNotification": {
                "purchaseToken": purchase["purchaseToken"], "orderId": purchase["orderId"], "productType": 2,
                "refundType": 1,
            },
        }
        data = base64.b64encode(json.dumps(notification, separators=(",", ":")).encode()).decode()
        message_id = str(rng.randrange(10**15, 10**16))
        publish_time = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        body = {
            "message": {"attributes": {}, "data": data, "messageId": message_id, "message_id": message_id,
                        "publishTime": publish_time, "publish_time": publish_time},
            "subscription": "projects/tn-sandbox/subscriptions/play-rtdn-push",
        }
        return [self.authorization], json.dumps(body, separators=(",", ":")).encode()


class AcmeSigner:
    """A paid notification of an `acme` session in the default field layout (DESIGN §2), signed under the sha256
    scheme: the signature header holds sha256=<hex HMAC-SHA256 of the raw body> keyed with the first secret."""

    def __init__(self, env):
        if env.get("GW_ACME_SCHEME") != "sha256":
            sys.exit("fixtures: acme deliveries are signed under GW_ACME_SCHEME=sha256")
        self.key = require(env, "GW_ACME_SECRET").split(",")[0].strip().encode()
        self.header = env.get("GW_ACME_SIGNATURE_HEADER") or "X-Gateway-Signature"

    def render(self, session, rng):
        event = {
            "id": rand_id("evt_", rng=rng),
            "type": "payment",
            "data": {"id": rand_id("pay_", rng=rng), "reference": session["session_id"],
                     "amount": session["amount"], "currency": "USD", "status": "paid"},
        }
        body = json.dumps(event, separators=(",", ":")).encode()
        return [f"{self.header}: sha256={hmac.new(self.key, body, hashlib.sha256).hexdigest()}"], body
FORM_TYPE = "Content-Type: application/x-www-form-urlencoded"


class PayeerSigner:
    """Payeer's status notification for an order form: a fresh m_operation_id, m_status success, m_sign = uppercase
    sha256 of the ten fields joined with ':' and PAYEER_SECRET_KEY (research §2.2); a form body."""

    def __init__(self, env):
        self.shop = require(env, "PAYEER_SHOP_ID")
        self.key = require(env, "PAYEER_SECRET_KEY")

    def render(self, form, rng):
        date = time.strftime("%d.%m.%Y %H:%M:%S", time.gmtime())
        fields = [("m_operation_id", str(rng.randrange(10**11, 10**12))), ("m_operation_ps", "2609"),
                  ("m_operation_date", date), ("m_operation_pay_date", date), ("m_shop", self.shop),
                  ("m_orderid", form["m_orderid"]), ("m_amount", form["m_amount"]), ("m_curr", "USD"),
                  ("m_desc", form["m_desc"]), ("m_status", "success")]
        signed = ":".join([value for _, value in fields] + [self.key])
        fields.append(("m_sign", hashlib.sha256(signed.encode()).hexdigest().upper()))
        return [FORM_TYPE], urllib.parse.urlencode(fields).encode()


class AnypaySigner:
    """Anypay's notification for a payment form: a fresh transaction_id, status paid, sign = sha256 of
    currency:amount:pay_id:merchant_id:status:ANYPAY_SECRET_KEY (research §3.3); a form body."""

    def __init__(self, env):
        self.merchant = require(env, "ANYPAY_MERCHANT_ID")
        self.key = require(env, "ANYPAY_SECRET_KEY")

    def render(self, form, rng):
        signed = ":".join(["USD", form["amount"], form["pay_id"], self.merchant, "paid", self.key])
        fields = [("merchant_id", self.merchant), ("transaction_id", str(rng.randrange(10**9, 10**10))),
                  ("pay_id", form["pay_id"]), ("amount", form["amount"]), ("currency", "USD"),
                  ("profit", form["amount"]), ("email", "payer@example.com"), ("method", "card"),
                  ("status", "paid"), ("test", "0"), ("sign", hashlib.sha256(signed.encode()).hexdigest())]
        return [FORM_TYPE], urllib.parse.urlencode(fields).encode()


def write_slices(rows, args, signer):
    """Signs every row once and writes the slices; no event or payment appears twice. The first --preflight rows
    go to <prefix>-preflight.txt instead (sent one by one before the load)."""
    rng = random.Random(args.seed if args.seed is not None else os.urandom(16))
    if args.preflight:
        with open(f"{args.out_prefix}-preflight.txt", "w") as handle:
            for row in rows[:args.preflight]:
                headers, body = signer.render(row, rng)
                handle.write("\t".join(headers + [body.decode()]) + "\n")
        rows = rows[args.preflight:]
    names, fractions = [], []
    for part in args.slices.split(","):
        name, _, fraction = part.partition(":")
        names.append(name)
        fractions.append(float(fraction))
    total = len(rows)
    bounds, start = [], 0
    for index, fraction in enumerate(fractions):
        end = total if index == len(fractions) - 1 else min(total, start + int(total * fraction / sum(fractions)))
        bounds.append((start, end))
        start = end
    sizes = []
    started = time.monotonic()
    for name, (lo, hi) in zip(names, bounds):
        part = rows[lo:hi]
        files = [open(f"{args.out_prefix}-{name}-{n + 1}.txt", "w") for n in range(args.threads)]
        for index, row in enumerate(part):
            headers, body = signer.render(row, rng)
            text = body.decode()
            if "\t" in text or "\n" in text:
                sys.exit("fixtures: a body holds a raw tab or newline")
            files[index % args.threads].write("\t".join(headers + [text]) + "\n")
            sizes.append(len(body))
        for handle in files:
            handle.close()
        print(f"SLICE {name}={len(part)}")
    if sizes:
        print(f"SIGN gateway={args.gateway} deliveries={len(sizes)} seconds={time.monotonic() - started:.1f} "
              f"body_bytes_min={min(sizes)} body_bytes_max={max(sizes)} body_bytes_avg={sum(sizes) / len(sizes):.0f}")


def signer_for(args):
    env = read_env_file(args.env_file)
    if args.gateway == "stripe":
        secret = args.secret or require(env, "STRIPE_WEBHOOK_SECRET").split(",")[0]
        return StripeSigner(secret, args.t or int(time.time()))
    if args.gateway == "paypal":
        if not args.cert_url or not args.key_file:
            sys.exit("fixtures: paypal needs --cert-url and --key-file")
        return PayPalSigner(env, args.cert_url, args.key_file)
    if args.gateway == "appstore":
        return AppStoreSigner()
    if args.gateway == "gplay":
        return GooglePlaySigner(env, args.control)
    if args.gateway == "acme":
        return AcmeSigner(env)
    if args.gateway == "payeer":
        return PayeerSigner(env)
    if args.gateway == "anypay":
        return AnypaySigner(env)
    return CryptomusSigner(env)


def sign(args):
    rows = []
    with open(args.sessions) as handle:
        for line in handle:
            line = line.rstrip("\n")
            if args.gateway == "stripe":
                fields = line.split("\t")
                if len(fields) == 4 and fields[0].startswith("pi_"):
                    rows.append(tuple(fields))
            elif line:
                rows.append(json.loads(line))
    if not rows:
        sys.exit(f"fixtures: no session rows in {args.sessions}")
    write_slices(rows, args, signer_for(args))


def fake(args):
    rng = random.Random(args.seed if args.seed is not None else os.urandom(16))
    rows = [(rand_id("pi_", rng=rng), str(uuid.UUID(int=rng.getrandbits(128), version=4)),
             f"{args.uid_prefix}{i % 400:04d}", str(500 + (i * 7919) % 99501)) for i in range(args.count)]
    args.gateway = "stripe"
    write_slices(rows, args, StripeSigner(args.secret or "whsec_fake", args.t or int(time.time())))


def send(args):
    """POSTs every delivery of a file once, in order; exits non-zero unless all answers are 2xx."""
    parts = loopback(args.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    failures = 0
    count = 0
    with open(args.file) as handle:
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            body = fields[-1].encode()
            headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
            for field in fields[:-1]:
                name, sep, value = field.partition(": ")
                if sep:
                    headers[name] = value
                else:
                    headers["Stripe-Signature"] = field
            conn.request("POST", parts.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            count += 1
            if not 200 <= response.status < 300:
                failures += 1
                log(f"preflight delivery {count} answered {response.status}: {data[:300]!r}")
    conn.close()
    print(f"SEND deliveries={count} failed={failures}")
    if failures:
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("create")
    p.add_argument("--gateway", choices=sorted(MAKERS), default="stripe")
    p.add_argument("--api", required=True, help="http://127.0.0.1:<port>/api")
    p.add_argument("--control", required=True, help="sandbox control base, http://127.0.0.1:<port>")
    p.add_argument("--env-file", help="the stack's payments.env (PayPal credentials, return origins)")
    p.add_argument("--out", help="all but stripe: JSON lines of the paid captures / invoices / purchases / sessions")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--uids", type=int, default=400)
    p.add_argument("--uid-prefix", default="bench-u")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--deadline", type=float, default=900, help="seconds; stop creating after this")
    p.add_argument("--max-failures", type=int, default=100)
    p.set_defaults(func=create)

    for name, func in (("sign", sign), ("fake", fake)):
        p = sub.add_parser(name)
        p.add_argument("--secret", help="Stripe webhook secret (default: the env file's first one)")
        p.add_argument("--out-prefix", required=True)
        p.add_argument("--threads", type=int, default=2)
        p.add_argument("--slices", default="warmup:0.25,measured:0.75", help="name:fraction,...")
        p.add_argument("--preflight", type=int, default=0, help="rows kept apart for a preflight")
        p.add_argument("--t", type=int, default=0, help="Stripe signature timestamp (default: now)")
        p.add_argument("--seed", type=int, default=None)
        if name == "sign":
            p.add_argument("--gateway", choices=sorted(MAKERS), default="stripe")
            p.add_argument("--env-file", help="the stack's payments.env (webhook id, keys)")
            p.add_argument("--sessions", required=True,
                           help="stripe: TSV external_id public_id uid amount; others: create's --out")
            p.add_argument("--cert-url", help="paypal: the sandbox's leaf certificate URL")
            p.add_argument("--key-file", help="paypal: the sandbox's leaf private key (PEM)")
            p.add_argument("--control", help="gplay: sandbox control base, http://127.0.0.1:<port>")
        else:
            p.add_argument("--count", type=int, required=True)
            p.add_argument("--uid-prefix", default="bench-u")
        p.set_defaults(func=func)

    p = sub.add_parser("send")
    p.add_argument("--url", required=True, help="http://127.0.0.1:<port>/api/<gateway>-handleWebhookEvents")
    p.add_argument("--file", required=True)
    p.set_defaults(func=send)

    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
