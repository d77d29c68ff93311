#!/usr/bin/env python3
"""The driver of bench/soak (Python 3 standard library only; every address it talks to is 127.0.0.1).

It runs against a `soak` stack that bench/soak has just started, for --seconds:

load     worker threads play payments as the apps and the gateways do, paced to --rate scenarios per second:
           stripe     stripe-getPaymentIntent (client route), paid at the sandbox without delivery
                      (/control/stripe/pay deliver:false), then the sandbox's own
                      payment_intent.amount_capturable_updated event signed with STRIPE_WEBHOOK_SECRET and delivered
                      (the responder re-reads, captures and credits), sometimes followed by the
                      payment_intent.succeeded event the capture emitted; or settled through the client route
                      stripe-getPaymentIntentStatus instead of a webhook
           paypal     paypal-createOrder, approved at the sandbox (deliver:false); then either captured through the
                      client route paypal-captureOrder, or captured at the sandbox's PayPal API and the
                      PAYMENT.CAPTURE.COMPLETED event it emitted signed with the sandbox's leaf key (SHA256withRSA over
                      "transmission id|time|webhook id|CRC32(body)") and delivered (the responder re-reads the capture)
           cryptomus  cryptomus-createPayment, paid at the sandbox (deliver:false), the payment webhook signed
                      md5(base64(PHP JSON) + CRYPTOMUS_PAYMENT_KEY) and delivered (the responder re-reads the invoice)
           refunds    a share (--refund-share) of the credited Stripe and PayPal payments is refunded in part or in
                      full at the sandbox (deliver:false) and its refund.created / PAYMENT.CAPTURE.REFUNDED event
                      delivered the same way: a negative row that must reach Retail after its payment
           forgery    a fresh unpaid session (client route), then a delivery that would credit it but is not
                      genuinely signed: Stripe signed with a wrong secret / a random MAC / a tampered body / a stale
                      timestamp / no signature; PayPal tampered after signing / signed for another webhook id /
                      signed with a rogue key / a random signature; Cryptomus signed with a wrong key / tampered /
                      a random sign / no sign. Their payment ids and event ids must never appear anywhere.
         Every genuine delivery is retried as a gateway retries (any non-2xx, backing off 0.5 s doubling to 8 s with
         jitter, for --retry-seconds); a share is sent again as an exact duplicate (same bytes and signature), some
         twice at the same moment, and some are replayed minutes later. Client reads (app-getBalance,
         app-getTransactions) are mixed in.
faults   the responder is SIGKILLed every --kill-every seconds and restarted with scripts/responder-start.sh (same
         FastCGI socket; nginx keeps running); MariaDB is restarted --db-restarts times (the first with
         scripts/db-stop.sh, the second by SIGKILL of mariadbd, alternating), each restart placed between two kills;
         the sandbox's Retail API cycles through flap, slow (--retail-slow-ms), down, lose-answer and fail, each
         phase --flap-phase seconds with ok in between; `payments-sync run` runs every --timer-every seconds as the
         systemd timer would. A kill waits up to 2 s for a delivery in flight, so it cuts a request mid-way.
sampling VmRSS and VmHWM of payments-fcgi from /proc every 2 s, per process lifetime.
end      faults stop, Retail goes back to ok, in-flight deliveries finish their retries, then `payments-sync run` is
         repeated until it exits 0 with no pending row (bounded by --drain-seconds; rows still waiting out a Retail
         back-off at that point are made due once, as a later timer run would find them, and counted), and:
           (a) every delivery (or client-route capture) answered 2xx is in the ledger exactly once, with its uid,
               amount and gateway, and the ledger holds no row the driver did not pay at the gateway
           (b) no forged delivery was answered 2xx or left anything: no ledger row, no webhook_events row, no
               operator item, and its session is still pending
           (c) every ledger row reached the Retail API exactly once (applied_count 1, same customer and amount),
               Retail holds no transaction outside the ledger, every customer's Retail balance is the ledger sum
               and every refund arrived after its payment
           (d) no row is left unsynced (sync_state pending or failed, or is_synced 0)
           (e) RSS did not grow without bound: within each responder lifetime, the median VmRSS of the second half
               of its samples after a warm-up exceeds that of the first half by at most --rss-slack-mb (or 25 %),
               and VmHWM stays under --rss-max-mb
           (f) every genuine delivery, exact duplicate and client-route capture was answered 2xx within its retry
               budget (no 5xx that never heals, no genuine delivery refused)
           (g) every planned fault was applied (kills, restarts, Retail phases, timer runs)
         It prints PASS/FAIL per check and exits 1 when any fails.
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import random
import signal
import statistics
import string
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import webhook_fixtures as fx  # noqa: E402  (the bench's signing helpers)

RETAIL_PHASES = ["flap", "ok", "slow", "ok", "down", "ok", "lose-answer", "ok", "fail", "ok"]
GENUINE_KINDS = ("genuine", "duplicate", "client")


# ------------------------------------------------------------------------------------------------ plumbing


class Clock:
    def __init__(self):
        self.start = time.monotonic()

    def now(self):
        return time.monotonic() - self.start


CLOCK = Clock()
PRINT_LOCK = threading.Lock()


def say(message):
    with PRINT_LOCK:
        print(f"[soak +{CLOCK.now():7.1f}s] {message}", flush=True)


def http_call(method, url, body=None, headers=None, timeout=65.0):
    """One request on a fresh connection; (status, bytes), or (None, error text) when no answer came."""
    parts = urllib.parse.urlsplit(url)
    if parts.hostname != "127.0.0.1":
        raise SystemExit(f"soak: refusing non-loopback URL {url}")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    all_headers = dict(headers or {})
    if body is not None:
        all_headers.setdefault("Content-Type", "application/json")
        all_headers["Content-Length"] = str(len(body))
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException) as error:
        return None, f"{type(error).__name__}: {error}".encode()
    finally:
        conn.close()


def as_json(data):
    try:
        return json.loads(data)
    except (ValueError, TypeError):
        return None


def compact(value):
    return json.dumps(value, separators=(",", ":")).encode()


class Stats:
    """Thread-safe counters, printed sorted in the summary."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}

    def count(self, key, n=1):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + n

    def get(self, key):
        with self.lock:
            return self.counts.get(key, 0)

    def with_prefix(self, prefix):
        with self.lock:
            return {k[len(prefix):]: v for k, v in sorted(self.counts.items()) if k.startswith(prefix)}


def event_object_id(event):
    """The id of the object a Stripe (data.object) or PayPal (resource) event is about."""
    return ((event.get("data") or {}).get("object") or event.get("resource") or {}).get("id")


def status_label(status):
    return "conn-error" if status is None else str(status)


# ------------------------------------------------------------------------------------------------ the driver


class Soak:
    def __init__(self, args):
        self.args = args
        self.env = fx.read_env_file(args.env_file)
        env = self.env
        self.api = f"http://127.0.0.1:{env['RUN_HTTP_PORT']}/api"
        self.control = f"http://127.0.0.1:{env['SANDBOX_PORT_BASE']}"
        self.paypal_api = env["PAYPAL_API_BASE"].rstrip("/")
        fx.loopback(self.paypal_api)
        self.run_dir = os.path.dirname(os.path.abspath(args.env_file))
        self.stats = Stats()
        self.lock = threading.Lock()
        self.deliveries = []
        self.payments = {}          # payment_id -> {gateway, uid, amount}
        self.forged = []            # {gateway, variant, payment_id, event_id, external_id}
        self.replay_pool = []       # (gateway, payment_id, event_id, uid, amount, headers, body) answered 2xx
        self.faults = []            # (time, kind, detail, ok)
        self.rss = []               # (time, pid, rss_kb, hwm_kb)
        self.timer_runs = []        # (time, "timer" or "drain", exit code, seconds)
        self.tokens = {}
        self.seq = 0
        self.rate_next = time.monotonic()
        self.stop_load = threading.Event()
        self.stop_all = threading.Event()
        # Once the load phase ends, no retry runs past this (monotonic) time.
        self.hard_deadline = float("inf")
        self.inflight = 0           # webhook POSTs waiting for their answer
        self.stripe_key = env["STRIPE_WEBHOOK_SECRET"].split(",")[0].encode()
        self.cryptomus = fx.CryptomusSigner(env)
        self.cryptomus_forger = fx.CryptomusSigner(dict(env, CRYPTOMUS_PAYMENT_KEY="soak-forger-key"))
        origin = env["CRYPTOMUS_RETURN_ORIGINS"].split(",")[0].strip().rstrip("/")
        self.return_urls = {"url_return": origin + "/soak/return", "url_success": origin + "/soak/success"}
        key_file = os.path.join(os.path.dirname(env["PAYPAL_TRUST_ROOTS"]), "paypal-sandbox-leaf.key")
        cert_url = f"{self.paypal_api}/v1/notifications/certs/CERT-360caa42-sandbox-genuine"
        self.paypal = fx.PayPalSigner(env, cert_url, key_file)
        self.paypal_wrong_id = fx.PayPalSigner(dict(env, PAYPAL_WEBHOOK_ID="WH-SOAK-NOT-OURS"), cert_url, key_file)
        rogue_key = os.path.join(args.out, "rogue-paypal.key")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
                        rogue_key], check=True, capture_output=True, timeout=60)
        self.paypal_rogue = fx.PayPalSigner(env, cert_url, rogue_key)
        self.paypal_bearer = None

    # -------------------------------------------------------------------------------------------- helpers

    def next_id(self):
        with self.lock:
            self.seq += 1
            return self.seq

    def token(self, uid):
        with self.lock:
            cached = self.tokens.get(uid)
        if cached and time.monotonic() - cached[1] < 3000:
            return cached[0]
        payload = {"uid": uid, "email_verified": True, "sign_in_provider": "google.com"}
        status, data = http_call("POST", f"{self.control}/firebase/mint", compact(payload), timeout=10)
        if status != 200:
            raise RuntimeError(f"minting a token failed: {status} {data[:200]!r}")
        token = json.loads(data)["idToken"]
        with self.lock:
            self.tokens[uid] = (token, time.monotonic())
        return token

    def sandbox(self, method, path, payload=None):
        """A sandbox control or gateway-API call; the sandbox never goes down, so one attempt."""
        status, data = http_call(method, f"{self.control}{path}", None if payload is None else compact(payload),
                                 timeout=30)
        label = "/".join(path.split("?")[0].strip("/").split("/")[:3])
        self.stats.count(f"sandbox {method} {label} {status_label(status)}")
        return status, as_json(data) if status is not None else None

    def client(self, method, route, uid, payload=None, budget=None):
        """A client route, retried on no answer, 5xx and 429 as an app would; the last (status, json)."""
        deadline = time.monotonic() + (self.args.retry_seconds if budget is None else budget)
        delay = 0.5
        headers = {"Authorization": f"Bearer {self.token(uid)}"}
        for _ in range(64):
            status, data = http_call(method, f"{self.api}/{route}", None if payload is None else compact(payload),
                                     headers)
            self.stats.count(f"client {route.split('?')[0]} {status_label(status)}")
            if status is not None and status < 500 and status != 429:
                return status, as_json(data)
            if time.monotonic() + delay > min(deadline, self.hard_deadline):
                return status, None
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 8)
        return None, None

    def pace(self):
        """Waits for the next scenario slot (a global --rate); False once the load phase is over."""
        with self.lock:
            slot = max(self.rate_next, time.monotonic())
            self.rate_next = slot + 1.0 / self.args.rate
        while True:
            if self.stop_load.is_set():
                return False
            wait = slot - time.monotonic()
            if wait <= 0:
                return True
            time.sleep(min(wait, 0.5))

    # -------------------------------------------------------------------------------------------- deliveries

    def record(self, kind, gateway, variant, payment_id, event_id, uid, amount):
        delivery = {"n": self.next_id(), "kind": kind, "gateway": gateway, "variant": variant,
                    "payment_id": payment_id, "event_id": event_id, "uid": uid, "amount": amount,
                    "statuses": [], "acked": False, "t": round(CLOCK.now(), 1)}
        with self.lock:
            self.deliveries.append(delivery)
        return delivery

    def send(self, delivery, attempt):
        """Posts one logical delivery until it is answered 2xx (genuine kinds), refused 4xx (forgeries) or the
        budget runs out; `attempt()` gives (headers, body) for each try (re-signed where a gateway re-signs)."""
        gateway = delivery["gateway"]
        url = f"{self.api}/{gateway}-handleWebhookEvents"
        deadline = time.monotonic() + self.args.retry_seconds
        delay = 0.5
        refusals = 0
        headers, body = None, None
        for _ in range(64):
            headers, body = attempt()
            with self.lock:
                self.inflight += 1
            try:
                status, _ = http_call("POST", url, body, headers)
            finally:
                with self.lock:
                    self.inflight -= 1
            delivery["statuses"].append(status)
            self.stats.count(f"webhook {gateway} {delivery['kind']} {status_label(status)}")
            if status is not None and 200 <= status < 300:
                delivery["acked"] = True
                break
            if status is not None and 400 <= status < 500 and status != 429:
                if delivery["kind"] in ("forged", "replay"):
                    break
                refusals += 1
                if refusals >= 3:
                    break
            if time.monotonic() + delay > min(deadline, self.hard_deadline):
                break
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 8)
        if delivery["acked"] and delivery["kind"] in ("genuine", "duplicate"):
            with self.lock:
                if len(self.replay_pool) < 5000:
                    self.replay_pool.append((gateway, delivery["payment_id"], delivery["event_id"], delivery["uid"],
                                             delivery["amount"], headers, body))
        return headers, body

    def deliver_genuine(self, gateway, payment_id, event_id, uid, amount, attempt, rng):
        """One genuine event: maybe raced by an exact duplicate, then maybe repeated exactly once answered."""
        first = self.record("genuine", gateway, "", payment_id, event_id, uid, amount)
        if rng.random() < self.args.race_share:
            headers, body = attempt()
            twin = self.record("duplicate", gateway, "concurrent", payment_id, event_id, uid, amount)
            racer = threading.Thread(target=self.send, args=(twin, lambda: (headers, body)), daemon=True)
            racer.start()
            self.send(first, lambda: (headers, body))
            racer.join(self.args.retry_seconds + 70)
            last = (headers, body)
        else:
            last = self.send(first, attempt)
        if first["acked"] and rng.random() < self.args.duplicate_share and not self.stop_load.is_set():
            again = self.record("duplicate", gateway, "sequential", payment_id, event_id, uid, amount)
            self.send(again, lambda: last)
        return first["acked"]

    def replay_one(self, rng):
        with self.lock:
            if not self.replay_pool:
                return
            gateway, payment_id, event_id, uid, amount, headers, body = rng.choice(self.replay_pool)
        delivery = self.record("replay", gateway, "late", payment_id, event_id, uid, amount)
        self.send(delivery, lambda: (headers, body))

    def stripe_attempt(self, body):
        def attempt():
            return {"Stripe-Signature": fx.stripe_signature(self.stripe_key, int(time.time()), body)}, body
        return attempt

    def paypal_attempt(self, body, rng):
        def attempt():
            return dict(self.paypal.headers(body, rng)), body
        return attempt

    def paid(self, payment_id, gateway, uid, amount):
        with self.lock:
            self.payments[payment_id] = {"gateway": gateway, "uid": uid, "amount": amount}

    # -------------------------------------------------------------------------------------------- scenarios

    def create(self, gateway, uid, amount):
        """A payment session made through the gateway's client route; its id at the gateway (PaymentIntent id,
        order id, invoice uuid), or None when the route never answered 200."""
        if gateway == "stripe":
            route, payload = "stripe-getPaymentIntent", {"amount": amount, "recaptcha_token": "pass", "platform": "web"}
        elif gateway == "paypal":
            route, payload = "paypal-createOrder", {"amount": amount, "recaptcha_token": "pass"}
        else:
            route, payload = "cryptomus-createPayment", dict(self.return_urls, amount=amount)
        status, answer = self.client("POST", route, uid, payload)
        if status != 200 or not answer:
            self.stats.count(f"scenario {gateway} not created")
            return None
        return answer["url"].rstrip("/").rsplit("/", 1)[-1] if gateway == "cryptomus" else answer["id"]

    def create_paid(self, gateway, uid, amount, path, **fields):
        """create(), then the sandbox control call PATH that pays (or approves) it without delivering anything,
        naming it under `id` (`uuid` for Cryptomus): (gateway id, the control answer), or None."""
        external = self.create(gateway, uid, amount)
        if external is None:
            return None
        key = "uuid" if gateway == "cryptomus" else "id"
        status, answer = self.sandbox("POST", path, dict(fields, **{key: external, "deliver": False}))
        if status != 200 or answer is None:
            self.stats.count(f"scenario {gateway} not paid at the sandbox")
            return None
        return external, answer

    def scenario_stripe(self, rng, uid, amount):
        made = self.create_paid("stripe", uid, amount, "/control/stripe/pay")
        if made is None:
            return
        pi = made[0]
        self.paid(pi, "stripe", uid, amount)
        if rng.random() < self.args.client_capture_share:
            if self.client_settle(rng, "stripe", pi, uid, amount):
                self.maybe_refund(rng, "stripe", pi, pi, uid, amount)
            return
        event = self.stripe_event(pi, "payment_intent.amount_capturable_updated")
        if event is None:
            self.stats.count("scenario stripe event missing")
            return
        body = compact(event)
        acked = self.deliver_genuine("stripe", pi, event["id"], uid, amount, self.stripe_attempt(body), rng)
        if acked and rng.random() < 0.4 and not self.stop_load.is_set():
            succeeded = self.stripe_event(pi, "payment_intent.succeeded")
            if succeeded is not None:
                body = compact(succeeded)
                self.deliver_genuine("stripe", pi, succeeded["id"], uid, amount, self.stripe_attempt(body), rng)
        if acked:
            self.maybe_refund(rng, "stripe", pi, pi, uid, amount)

    def maybe_refund(self, rng, gateway, payment_id, key, uid, amount):
        """Sometimes refunds part or all of a credited payment at the sandbox (without delivery) and delivers the
        refund event: refund.created (Stripe) or PAYMENT.CAPTURE.REFUNDED (PayPal), a negative row of its own that
        must reach Retail after its payment."""
        if rng.random() >= self.args.refund_share or self.stop_load.is_set():
            return
        cents = amount if rng.random() < 0.5 else rng.randrange(1, amount)
        status, refund = self.sandbox("POST", f"/control/{gateway}/refund",
                                      {"id": payment_id, "amount": cents, "deliver": False})
        if status != 200 or not refund or not refund.get("id"):
            self.stats.count(f"scenario {gateway} refund refused by the sandbox")
            return
        self.paid(refund["id"], gateway, uid, -cents)
        if gateway == "stripe":
            path = f"/control/stripe/events?payment_intent={key}&type=refund.created"
        else:
            path = f"/control/paypal/events?order_id={key}&type=PAYMENT.CAPTURE.REFUNDED"
        status, answer = self.sandbox("GET", path)
        found = [e["event"] for e in (answer or {}).get("data") or [] if event_object_id(e["event"]) == refund["id"]]
        if status != 200 or not found:
            self.stats.count(f"scenario {gateway} refund event missing")
            return
        body = compact(found[-1])
        attempt = self.stripe_attempt(body) if gateway == "stripe" else self.paypal_attempt(body, rng)
        self.deliver_genuine(gateway, refund["id"], found[-1]["id"], uid, -cents, attempt, rng)

    def stripe_event(self, pi, event_type):
        status, answer = self.sandbox("GET", f"/control/stripe/events?payment_intent={pi}&type={event_type}")
        if status != 200 or not answer or not answer.get("data"):
            return None
        return answer["data"][-1]["event"]

    def client_settle(self, rng, gateway, external_id, uid, amount):
        """Credits through a client route instead of a webhook: Stripe's status route settles the intent, PayPal's
        captureOrder captures and credits. Tracked like a delivery (kind client)."""
        if gateway == "stripe":
            route, payload = "stripe-getPaymentIntentStatus", {"payment_intent_id": external_id,
                                                               "recaptcha_token": "pass", "platform": "web"}
            done = (lambda answer: answer.get("status") == "paid")
        else:
            route, payload = "paypal-captureOrder", {"order_id": external_id}
            done = (lambda answer: answer.get("result") == "success")
        delivery = self.record("client", gateway, route, external_id, "", uid, amount)
        capture = None
        deadline = time.monotonic() + self.args.retry_seconds
        while True:
            status, answer = self.client("POST", route, uid, payload, budget=max(1.0, deadline - time.monotonic()))
            delivery["statuses"].append(status)
            if status == 200 and answer and done(answer):
                delivery["acked"] = True
                break
            refused = status is not None and 400 <= status < 500 and status not in (409, 429)
            if refused or time.monotonic() + 1 > min(deadline, self.hard_deadline):
                break
            time.sleep(1)
        if gateway == "paypal":
            capture = self.paypal_capture_of(external_id)
            with self.lock:
                self.payments.pop(f"order:{external_id}", None)
            if capture:
                delivery["payment_id"] = capture
                self.paid(capture, "paypal", uid, amount)
            elif delivery["acked"]:
                self.stats.count("paypal capture route answered success without a capture at the sandbox")
                delivery["payment_id"] = f"missing-capture-of-{external_id}"
        return delivery["acked"]

    def paypal_capture_of(self, order_id):
        status, order = self.sandbox("GET", f"/control/paypal/orders/{order_id}")
        if status != 200 or not order:
            return None
        for unit in order.get("purchase_units", []):
            for capture in unit.get("payments", {}).get("captures", []):
                return capture.get("id")
        return None

    def paypal_token(self):
        with self.lock:
            bearer = self.paypal_bearer
        if bearer:
            return bearer
        maker = fx.PayPalMaker(argparse.Namespace(api=self.api, control=self.control), self.env)
        with self.lock:
            self.paypal_bearer = maker.bearer
        return maker.bearer

    def scenario_paypal(self, rng, uid, amount):
        made = self.create_paid("paypal", uid, amount, "/control/paypal/approve")
        if made is None:
            return
        order_id = made[0]
        if rng.random() < self.args.client_capture_share * 2:
            # The capture happens inside the responder; until the capture id is known the order stands for it.
            self.paid(f"order:{order_id}", "paypal", uid, amount)
            if self.client_settle(rng, "paypal", order_id, uid, amount):
                capture_id = self.paypal_capture_of(order_id)
                if capture_id:
                    self.maybe_refund(rng, "paypal", capture_id, order_id, uid, amount)
            return
        for _ in range(2):
            status, data = http_call("POST", f"{self.paypal_api}/v2/checkout/orders/{order_id}/capture", b"{}",
                                     {"Authorization": self.paypal_token(), "PayPal-Request-Id": f"soak-{order_id}"},
                                     timeout=30)
            if status != 401:
                break
            with self.lock:
                self.paypal_bearer = None
        self.stats.count(f"sandbox POST paypal capture {status_label(status)}")
        captured = as_json(data) if status == 201 else None
        captures = (captured or {}).get("purchase_units", [{}])[0].get("payments", {}).get("captures", [])
        if len(captures) != 1 or captures[0].get("status") != "COMPLETED":
            self.stats.count("scenario paypal not captured at the sandbox")
            return
        capture = captures[0]
        self.paid(capture["id"], "paypal", uid, amount)
        status, answer = self.sandbox(
            "GET", f"/control/paypal/events?order_id={order_id}&type=PAYMENT.CAPTURE.COMPLETED")
        events = (answer or {}).get("data") or []
        if status != 200 or not events:
            self.stats.count("scenario paypal event missing")
            return
        event = events[-1]["event"]
        body = compact(event)
        if self.deliver_genuine("paypal", capture["id"], event["id"], uid, amount, self.paypal_attempt(body, rng),
                                rng):
            self.maybe_refund(rng, "paypal", capture["id"], order_id, uid, amount)

    def scenario_cryptomus(self, rng, uid, amount):
        made = self.create_paid("cryptomus", uid, amount, "/control/cryptomus/status", status="paid")
        if made is None:
            return
        invoice_uuid, invoice = made
        if invoice.get("status") != "paid":
            self.stats.count("scenario cryptomus not paid at the sandbox")
            return
        invoice.pop("sandbox_events", None)
        self.paid(invoice_uuid, "cryptomus", uid, amount)
        _, body = self.cryptomus.render(invoice, rng)
        self.deliver_genuine("cryptomus", invoice_uuid, f"{invoice_uuid}:paid", uid, amount,
                             lambda: ({}, body), rng)

    # -------------------------------------------------------------------------------------------- forgeries

    def forge(self, gateway, variant, payment_id, event_id, external_id, uid, amount, headers, body):
        with self.lock:
            self.forged.append({"gateway": gateway, "variant": variant, "payment_id": payment_id,
                                "event_id": event_id, "external_id": external_id})
        delivery = self.record("forged", gateway, variant, payment_id, event_id, uid, amount)
        self.send(delivery, lambda: (headers, body))
        self.stats.count(f"forged {gateway} {variant} {status_label(delivery['statuses'][-1])}")

    def scenario_forgery(self, rng, uid, amount):
        gateway = rng.choice(["stripe", "paypal", "cryptomus"])
        target = self.create(gateway, uid, amount)
        if target is None:
            return
        if gateway == "stripe":
            pi = target
            status, current = self.sandbox("GET", f"/control/stripe/intents/{pi}")
            if status != 200 or not current:
                return
            session = (current.get("metadata") or {}).get("session_id", "")
            now = int(time.time())
            body = fx.event_body((pi, session, uid, amount), now, rng).encode()
            event_id = json.loads(body)["id"]
            variant = rng.choice(["wrong-secret", "random-mac", "tampered", "stale", "unsigned"])
            if variant == "wrong-secret":
                headers = {"Stripe-Signature": fx.stripe_signature(b"whsec_soak_forger", now, body)}
            elif variant == "random-mac":
                headers = {"Stripe-Signature": f"t={now},v1={os.urandom(32).hex()}"}
            elif variant == "tampered":
                headers = {"Stripe-Signature": fx.stripe_signature(self.stripe_key, now, body)}
                body = body.replace(f'"amount_received":{amount}'.encode(), f'"amount_received":{amount * 10}'.encode())
            elif variant == "stale":
                old = now - 3600
                body = fx.event_body((pi, session, uid, amount), old, rng).encode()
                event_id = json.loads(body)["id"]
                headers = {"Stripe-Signature": fx.stripe_signature(self.stripe_key, old, body)}
            else:
                headers = {}
            self.forge("stripe", variant, pi, event_id, pi, uid, amount, headers, body)
        elif gateway == "paypal":
            order_id = target
            status, current = self.sandbox("GET", f"/control/paypal/orders/{order_id}")
            if status != 200 or not current:
                return
            custom_id = current["purchase_units"][0].get("custom_id", "")
            capture_id = "".join(rng.choice(string.digits + string.ascii_uppercase) for _ in range(17))
            value = f"{amount // 100}.{amount % 100:02d}"
            capture = {"id": capture_id, "status": "COMPLETED", "amount": {"currency_code": "USD", "value": value},
                       "final_capture": True, "custom_id": custom_id,
                       "supplementary_data": {"related_ids": {"order_id": order_id}},
                       "create_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                       "update_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            variant = rng.choice(["tampered", "wrong-webhook-id", "rogue-key", "random-signature"])
            signer = {"wrong-webhook-id": self.paypal_wrong_id, "rogue-key": self.paypal_rogue}.get(variant,
                                                                                                     self.paypal)
            lines, body = signer.render(capture, rng)
            headers = dict(line.split(": ", 1) for line in lines)
            if variant == "tampered":
                body = body.replace(f'"value":"{value}"'.encode(), f'"value":"{amount // 10}.00"'.encode())
            elif variant == "random-signature":
                headers["PAYPAL-TRANSMISSION-SIG"] = base64.b64encode(os.urandom(256)).decode()
            event_id = json.loads(body)["id"]
            self.forge("paypal", variant, capture_id, event_id, order_id, uid, amount, headers, body)
        else:
            invoice_uuid = target
            status, invoice = self.sandbox("GET", f"/control/cryptomus/invoices/{invoice_uuid}")
            if status != 200 or not invoice:
                return
            value = f"{amount // 100}.{amount % 100:02d}"
            invoice.update({"status": "paid", "is_final": True, "payment_amount_usd": value,
                            "merchant_amount": value, "payment_amount": value, "payer_amount": value,
                            "payer_currency": "USDT", "network": "tron", "txid": os.urandom(32).hex()})
            variant = rng.choice(["wrong-key", "tampered", "random-sign", "unsigned"])
            signer = self.cryptomus_forger if variant == "wrong-key" else self.cryptomus
            _, body = signer.render(invoice, rng)
            fields = json.loads(body)
            if variant == "tampered":
                fields["payment_amount_usd"] = f"{amount // 10}.00"
            elif variant == "random-sign":
                fields["sign"] = hashlib.md5(os.urandom(16)).hexdigest()
            elif variant == "unsigned":
                fields.pop("sign", None)
            body = fx.php_json(fields).encode()
            self.forge("cryptomus", variant, invoice_uuid, f"{invoice_uuid}:paid", invoice_uuid, uid, amount, {},
                       body)

    def reads(self, rng, uid):
        """What the app shows: one attempt each (an app shows an error and the user tries later)."""
        if rng.random() < 0.25:
            self.client("GET", "app-getBalance", uid, budget=0)
        if rng.random() < 0.15:
            self.client("GET", f"app-getTransactions?page=1&limit={rng.randrange(1, 101)}", uid, budget=0)

    def worker(self, index):
        rng = random.Random(self.args.seed * 1000 + index)
        scenarios = [(self.scenario_stripe, 0.33), (self.scenario_paypal, 0.25), (self.scenario_cryptomus, 0.27),
                     (self.scenario_forgery, 0.15)]
        while self.pace():
            uid = f"soak-u{rng.randrange(self.args.uids):04d}"
            pick = rng.random()
            for scenario, weight in scenarios:
                if pick < weight:
                    break
                pick -= weight
            try:
                scenario(rng, uid, rng.randrange(500, 20001))
                self.reads(rng, uid)
                if rng.random() < self.args.replay_share:
                    self.replay_one(rng)
            except Exception as error:  # a driver bug must not stop the soak silently: count and go on
                self.stats.count(f"driver error {type(error).__name__}")
                say(f"worker {index}: {type(error).__name__}: {error}")
            self.stats.count(f"scenario {scenario.__name__.replace('scenario_', '')}")

    # -------------------------------------------------------------------------------------------- faults

    def script(self, name, *extra, timeout=120):
        started = time.monotonic()
        result = subprocess.run([os.path.join(self.args.repo, "scripts", name), self.args.stack, *extra],
                                cwd=self.args.repo, capture_output=True, text=True, timeout=timeout)
        tail = (result.stdout + result.stderr).strip().splitlines()[-1:] or [""]
        return result.returncode == 0, time.monotonic() - started, tail[0]

    def pid_of(self, pidfile, name):
        try:
            with open(pidfile) as handle:
                pid = int(handle.read().strip())
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if name.encode() not in handle.read():
                    return None
            return pid
        except (OSError, ValueError):
            return None

    def kill_and_wait(self, pid):
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            try:
                with open(f"/proc/{pid}/status") as handle:
                    if any(line.startswith("State:") and "Z" in line.split()[1:2] for line in handle):
                        return True
            except OSError:
                return True
            time.sleep(0.05)
        return False

    def fault(self, kind, detail, ok):
        with self.lock:
            self.faults.append((round(CLOCK.now(), 1), kind, detail, ok))
        say(f"fault: {kind}: {detail}{'' if ok else ' (FAILED)'}")

    def kill_responder(self):
        pid = self.pid_of(os.path.join(self.run_dir, "payments-fcgi.pid"), "payments-fcgi")
        if pid is None:
            self.fault("responder-kill", "no running payments-fcgi found", False)
            return
        # Aim at a delivery in flight (waiting at most 2 s for one), so the kill cuts a request mid-transaction.
        for _ in range(400):
            with self.lock:
                inflight = self.inflight
            if inflight >= 1:
                break
            time.sleep(0.005)
        gone = self.kill_and_wait(pid)
        time.sleep(self.args.down_seconds)
        ok, took, tail = self.script("responder-start.sh", timeout=90)
        new = self.pid_of(os.path.join(self.run_dir, "payments-fcgi.pid"), "payments-fcgi")
        self.fault("responder-kill", f"SIGKILL pid {pid} with {inflight} deliveries in flight"
                   f"{'' if gone else ' (still there after 5 s)'}, down "
                   f"{self.args.down_seconds:.0f} s, restarted as pid {new} in {took:.1f} s"
                   + ("" if ok else f" (responder-start.sh failed: {tail})"), gone and ok and new is not None)

    def restart_db(self, crash):
        if crash:
            pid = self.pid_of(os.path.join(self.run_dir, "mariadb", "mysqld.pid"), "mariadbd")
            if pid is None:
                pid = self.pid_of(os.path.join(self.run_dir, "mariadb", "mysqld.pid"), "mysqld")
            if pid is None:
                self.fault("db-restart", "no running mariadbd found", False)
                return
            stopped = self.kill_and_wait(pid)
            how = f"SIGKILL mariadbd pid {pid}"
        else:
            stopped, took, _ = self.script("db-stop.sh", timeout=90)
            how = f"db-stop.sh (clean shutdown, {took:.1f} s)"
        time.sleep(self.args.down_seconds)
        ok, took, tail = self.script("db-start.sh", timeout=120)
        self.fault("db-restart", f"{how}, down {self.args.down_seconds:.0f} s, db-start.sh in {took:.1f} s"
                   + ("" if ok else f" (failed: {tail})"), stopped and ok)

    def retail_mode(self, mode):
        payload = {"mode": mode, "latency_ms": self.args.retail_slow_ms if mode == "slow" else 0}
        status, _ = self.sandbox("POST", "/control/retail", payload)
        return status == 200

    def plan(self):
        """(time, action, argument) of every fault, sorted."""
        length, every = self.args.seconds, self.args.kill_every
        kills = [every * i for i in range(1, int(length // every) + 1) if every * i <= length - 5]
        events = [(t, "kill", None) for t in kills]
        for i in range(1, self.args.db_restarts + 1):
            t = length * i / (self.args.db_restarts + 1)
            while any(abs(t - k) < every / 3 for k in kills) and t < length - 10:
                t += 1
            events.append((t, "db", i % 2 == 0))
        phase = self.args.flap_phase
        t, index = phase / 2, 0
        while t < length:
            events.append((t, "retail", RETAIL_PHASES[index % len(RETAIL_PHASES)]))
            t += phase
            index += 1
        return sorted(events, key=lambda e: e[0])

    def faults_thread(self, plan):
        for at, action, argument in plan:
            while CLOCK.now() < at:
                if self.stop_load.wait(min(0.5, max(0.01, at - CLOCK.now()))):
                    return
            if action == "kill":
                self.kill_responder()
            elif action == "db":
                self.restart_db(crash=argument)
            else:
                ok = self.retail_mode(argument)
                with self.lock:
                    self.faults.append((round(CLOCK.now(), 1), "retail", argument, ok))
                if not ok:
                    say(f"fault: retail mode {argument} could not be set")

    def sync_run(self, label):
        started = time.monotonic()
        try:
            result = subprocess.run(
                [os.path.join(self.args.bin_dir, "payments-sync"), "run", "--env-file", self.args.env_file,
                 "--sql-dir", os.path.join(self.args.repo, "sql")],
                cwd=self.args.repo, capture_output=True, text=True, timeout=180)
            code, output = result.returncode, result.stdout + result.stderr
        except subprocess.TimeoutExpired as error:
            code, output = -1, f"timed out after 180 s {error.stdout or ''}"
        lines = [line for line in output.splitlines() if line.startswith("sync:") or line.startswith("reconcile")]
        summary = " | ".join(lines[-2:]) if lines else (output.strip().splitlines() or [""])[-1]
        with self.lock:
            self.timer_runs.append((round(CLOCK.now(), 1), label, code, round(time.monotonic() - started, 1)))
        with open(os.path.join(self.args.out, "payments-sync.log"), "a") as handle:
            handle.write(f"--- +{CLOCK.now():.1f}s {label} exit {code}\n{output}\n")
        return code, summary

    def timer_thread(self):
        while not self.stop_load.wait(self.args.timer_every):
            code, summary = self.sync_run("timer")
            say(f"timer: payments-sync run exit {code}: {summary[:160]}")

    def rss_thread(self):
        pidfile = os.path.join(self.run_dir, "payments-fcgi.pid")
        while not self.stop_all.wait(2):
            pid = self.pid_of(pidfile, "payments-fcgi")
            if pid is None:
                continue
            values = {}
            try:
                with open(f"/proc/{pid}/status") as handle:
                    for line in handle:
                        if line.startswith(("VmRSS:", "VmHWM:")):
                            values[line.split(":")[0]] = int(line.split()[1])
            except (OSError, ValueError):
                continue
            if len(values) == 2:
                with self.lock:
                    self.rss.append((round(CLOCK.now(), 1), pid, values["VmRSS"], values["VmHWM"]))

    # -------------------------------------------------------------------------------------------- the run

    def run(self):
        args = self.args
        plan = self.plan()
        planned = {"kill": sum(1 for e in plan if e[1] == "kill"), "db": sum(1 for e in plan if e[1] == "db"),
                   "retail": sum(1 for e in plan if e[1] == "retail")}
        say(f"load for {args.seconds:.0f} s at {args.rate} scenarios/s with {args.concurrency} workers; planned "
            f"{planned['kill']} responder kills (every {args.kill_every:.0f} s), {planned['db']} MariaDB restarts, "
            f"{planned['retail']} Retail phase switches (every {args.flap_phase:.0f} s), payments-sync run every "
            f"{args.timer_every:.0f} s")
        for uid in (f"soak-u{i:04d}" for i in range(args.uids)):
            self.token(uid)
        self.paypal_token()
        threads = [threading.Thread(target=self.worker, args=(i,), daemon=True) for i in range(args.concurrency)]
        helpers = [threading.Thread(target=self.faults_thread, args=(plan,), daemon=True),
                   threading.Thread(target=self.timer_thread, daemon=True)]
        sampler = threading.Thread(target=self.rss_thread, daemon=True)
        sampler.start()
        for thread in threads + helpers:
            thread.start()
        last = 0
        while CLOCK.now() < args.seconds:
            time.sleep(1)
            if CLOCK.now() - last >= 30:
                last = CLOCK.now()
                with self.lock:
                    n = len(self.deliveries)
                    acked = sum(1 for d in self.deliveries if d["acked"])
                say(f"progress: {n} logical deliveries, {acked} answered 2xx, {len(self.payments)} payments paid")
        say("load phase over: faults stop, Retail back to ok, in-flight deliveries finish their retries")
        self.hard_deadline = time.monotonic() + args.retry_seconds
        self.stop_load.set()
        for thread in helpers:
            thread.join(200)
        self.retail_mode("ok")
        for thread in threads:
            thread.join(args.retry_seconds + 90)
        stuck = sum(1 for thread in threads if thread.is_alive())
        if stuck:
            say(f"warning: {stuck} workers still busy after their retry budget")
        self.stop_all.set()
        self.ensure_responder()
        drain = self.drain()
        sampler.join(5)
        return self.check(planned, drain)

    def ensure_responder(self):
        if self.pid_of(os.path.join(self.run_dir, "payments-fcgi.pid"), "payments-fcgi") is None:
            ok, _, tail = self.script("responder-start.sh", timeout=90)
            self.fault("responder-restart", f"payments-fcgi was not running at the end; restarted: {tail}", ok)
        for _ in range(240):
            status, _ = http_call("GET", f"{self.api}/health", timeout=5)
            if status == 200:
                return
            time.sleep(0.25)
        say("warning: /api/health did not answer 200 within 60 s after the load")

    # -------------------------------------------------------------------------------------------- the end

    def sql(self, query):
        result = subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={self.env['DB_SOCKET']}", "--user=root", "--batch",
             "--skip-column-names", "--raw", self.env["DB_NAME"], "-e", query],
            capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"mariadb: {result.stderr.strip()}")
        return [line.split("\t") for line in result.stdout.splitlines()]

    def drain(self):
        """payments-sync run until it exits 0 and no row is pending, as the timer would, bounded in time."""
        deadline = time.monotonic() + self.args.drain_seconds
        runs, forwarded, made_due, last_code = 0, 0, False, None
        while runs < 200:
            last_code, summary = self.sync_run("drain")
            runs += 1
            pending, wait = self.sql(
                "SELECT COUNT(*), COALESCE(TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), MIN(GREATEST(next_sync_at, "
                "COALESCE(sync_claimed_until, next_sync_at)))), 0) FROM tn_payments WHERE sync_state = 'pending'")[0]
            pending, wait = int(pending), int(wait) / 1e6
            say(f"drain: payments-sync run #{runs} exit {last_code}; {pending} rows pending: {summary[:140]}")
            if last_code == 0 and pending == 0:
                break
            if time.monotonic() >= deadline:
                if made_due or pending == 0:
                    break
                rows = self.sql(
                    "SELECT COUNT(*), COALESCE(MAX(TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), next_sync_at)), 0) "
                    "FROM tn_payments WHERE sync_state = 'pending' AND next_sync_at > UTC_TIMESTAMP(6)")[0]
                forwarded, made_due = int(rows[0]), True
                self.sql("UPDATE tn_payments SET next_sync_at = UTC_TIMESTAMP(6) WHERE sync_state = 'pending' "
                         "AND next_sync_at > UTC_TIMESTAMP(6)")
                say(f"drain: {rows[0]} rows still waiting out a Retail back-off (up to {rows[1]} s more) made due "
                    f"now, as a later timer run would find them")
                deadline = time.monotonic() + 75
                continue
            time.sleep(min(max(wait, 1.0), 10.0))
        return {"runs": runs, "forwarded": forwarded, "last_code": last_code}

    def check(self, planned, drain):
        args = self.args
        results = []

        def verdict(name, ok, detail):
            results.append(ok)
            say(f"{'PASS' if ok else 'FAIL'} ({name}) {detail}")

        rows = {r[0]: {"uid": r[1], "gateway": r[2], "amount": int(r[3]), "state": r[4], "synced": r[5],
                       "error": r[6] if len(r) > 6 else ""}
                for r in self.sql("SELECT payment_id, uid, gateway, amount, sync_state, is_synced, "
                                  "COALESCE(last_sync_error, '') FROM tn_payments")}
        per_id = {r[0]: int(r[1]) for r in self.sql("SELECT payment_id, COUNT(*) FROM tn_payments GROUP BY payment_id")}
        events = {(r[0], r[1]) for r in self.sql("SELECT gateway, event_id FROM webhook_events")}
        sessions = {(r[0], r[1]): r[2] for r in self.sql(
            "SELECT gateway, external_id, status FROM payment_sessions WHERE external_id IS NOT NULL")}
        items = self.sql("SELECT gateway, reference, reason FROM operator_items")
        status, retail = self.sandbox("GET", "/control/retail/transactions")
        if status != 200 or retail is None:
            retail = {"transactions": [], "customers": []}
            say("error: the sandbox did not list its Retail transactions")
        with self.lock:
            deliveries = list(self.deliveries)
            payments = dict(self.payments)
            forged = list(self.forged)

        # (a)
        answered = [d for d in deliveries if d["acked"] and d["kind"] in GENUINE_KINDS + ("replay",)]
        wrong = []
        for d in answered:
            row = rows.get(d["payment_id"])
            if per_id.get(d["payment_id"], 0) != 1 or row is None:
                wrong.append(f"{d['gateway']} {d['kind']} {d['payment_id']}: {per_id.get(d['payment_id'], 0)} rows")
            elif (row["uid"], row["amount"], row["gateway"]) != (d["uid"], d["amount"], d["gateway"]):
                wrong.append(f"{d['payment_id']}: row {row['uid']}/{row['amount']}/{row['gateway']} vs "
                             f"{d['uid']}/{d['amount']}/{d['gateway']}")
        strangers = [pid for pid in rows if pid not in payments]
        verdict("a", not wrong and not strangers,
                f"every delivery answered 2xx is in the ledger exactly once: {len(answered)} answered deliveries "
                f"({len({d['payment_id'] for d in answered})} payments), {len(rows)} ledger rows, "
                f"{len(wrong)} missing or wrong, {len(strangers)} rows the driver never paid"
                + (f"; e.g. {(wrong + strangers)[:5]}" if wrong or strangers else ""))
        unpaid = [pid for pid in payments if not pid.startswith("order:") and pid not in rows]
        say(f"info: {len(payments)} payments paid at the gateway, {len(unpaid)} of them not in the ledger at the end"
            + (f" (e.g. {unpaid[:5]})" if unpaid else ""))

        # (b)
        leaks = []
        for f in forged:
            if f["payment_id"] in rows:
                leaks.append(f"{f['gateway']} {f['variant']}: ledger row {f['payment_id']}")
            if (f["gateway"], f["event_id"]) in events:
                leaks.append(f"{f['gateway']} {f['variant']}: webhook_events row {f['event_id']}")
            session_status = sessions.get((f["gateway"], f["external_id"]))
            if session_status != "pending":
                leaks.append(f"{f['gateway']} {f['variant']}: session {f['external_id']} is {session_status}")
        references = {f["payment_id"] for f in forged} | {f["external_id"] for f in forged}
        leaks += [f"operator item {i[0]} {i[1]} {i[2]}" for i in items if len(i) > 1 and i[1] in references]
        accepted = [d for d in deliveries if d["kind"] == "forged" and d["acked"]]
        leaks += [f"{d['gateway']} {d['variant']} forgery answered 2xx" for d in accepted]
        answers = {}
        for d in deliveries:
            if d["kind"] == "forged":
                answers[status_label(d["statuses"][-1] if d["statuses"] else None)] = \
                    answers.get(status_label(d["statuses"][-1] if d["statuses"] else None), 0) + 1
        verdict("b", not leaks,
                f"no forged delivery left any row: {len(forged)} forgeries (final answers {answers}), "
                f"{len(leaks)} leaks" + (f"; e.g. {leaks[:5]}" if leaks else ""))

        # (c)
        transactions = {t["transaction_id"]: t for t in retail.get("transactions", [])}
        bad = []
        for pid, row in rows.items():
            t = transactions.get(pid)
            if t is None:
                bad.append(f"{pid}: not at Retail")
            elif (t["applied_count"], t["customer_id"], t["amount"]) != (1, row["uid"], row["amount"]):
                bad.append(f"{pid}: Retail applied {t['applied_count']}x {t['customer_id']} {t['amount']}")
        extra = [tid for tid in transactions if tid not in rows]
        sums = {}
        for row in rows.values():
            sums[row["uid"]] = sums.get(row["uid"], 0) + row["amount"]
        balances = {c["customer_id"]: c["total"] for c in retail.get("customers", [])}
        off = [f"{uid}: Retail {balances.get(uid)} vs ledger {total}" for uid, total in sums.items()
               if balances.get(uid, 0) != total]
        resent = sum(1 for t in transactions.values() if t.get("received_count", 1) > 1)
        arrival = {t["transaction_id"]: i for i, t in enumerate(retail.get("transactions", []))}
        pairs = self.sql(
            "SELECT r.payment_id, p.payment_id FROM tn_payments r JOIN tn_payments p ON r.refund_of = p.id")
        early = [f"{r} before {p}" for r, p in pairs if arrival.get(r, -1) < arrival.get(p, -1)]
        verdict("c", not bad and not extra and not off and not early,
                f"every ledger row reached Retail exactly once: {len(transactions)} Retail transactions for "
                f"{len(rows)} rows, {len(bad)} missing or wrong, {len(extra)} extra, {len(off)} balances off, "
                f"{len(early)} of {len(pairs)} refunds before their payment ({resent} transactions were received "
                f"more than once and deduplicated)"
                + (f"; e.g. {(bad + extra + off + early)[:5]}" if bad or extra or off or early else ""))

        # (d)
        unsynced = [(pid, r["state"], r["synced"], r["error"]) for pid, r in rows.items()
                    if r["state"] != "synced" or r["synced"] != "1"]
        states = {}
        for r in rows.values():
            states[r["state"]] = states.get(r["state"], 0) + 1
        verdict("d", not unsynced,
                f"no row left unsynced: sync states {states}; {len(unsynced)} unsynced after {drain['runs']} drain "
                f"runs (last exit {drain['last_code']}, {drain['forwarded']} back-offs made due)"
                + (f"; e.g. {unsynced[:5]}" if unsynced else ""))
        if items:
            say(f"info: {len(items)} operator items: {items[:5]}")

        # (e)
        with self.lock:
            samples = list(self.rss)
        lifetimes = {}
        for t, pid, rss_kb, hwm_kb in samples:
            lifetimes.setdefault(pid, []).append((t, rss_kb, hwm_kb))
        grew, measured = [], 0
        lines = []
        for pid, points in lifetimes.items():
            start, end = points[0][0], points[-1][0]
            warm = [p for p in points if p[0] - start >= min(args.rss_warmup, (end - start) / 3)]
            hwm = max(p[2] for p in points)
            if len(warm) >= 6:
                measured += 1
                half = len(warm) // 2
                first = statistics.median(p[1] for p in warm[:half])
                second = statistics.median(p[1] for p in warm[half:])
                limit = max(args.rss_slack_mb * 1024, first * 0.25)
                lines.append(f"pid {pid}: {end - start:.0f} s, {len(points)} samples, VmRSS {first / 1024:.1f} -> "
                             f"{second / 1024:.1f} MB (median of each half after warm-up), VmHWM {hwm / 1024:.1f} MB")
                if second - first > limit:
                    grew.append(f"pid {pid} grew {(second - first) / 1024:.1f} MB")
            else:
                lines.append(f"pid {pid}: {end - start:.0f} s, {len(points)} samples (too short to judge), VmHWM "
                             f"{hwm / 1024:.1f} MB")
            if hwm > args.rss_max_mb * 1024:
                grew.append(f"pid {pid} VmHWM {hwm / 1024:.1f} MB over {args.rss_max_mb} MB")
        for line in lines:
            say(f"rss: {line}")
        verdict("e", measured > 0 and not grew,
                f"responder RSS bounded: {len(samples)} samples over {len(lifetimes)} lifetimes, {measured} judged "
                f"{'(none lived long enough to judge) ' if not measured else ''}"
                f"(growth limit max({args.rss_slack_mb} MB, 25 %), VmHWM limit {args.rss_max_mb} MB)"
                + (f"; {grew}" if grew else ""))

        # (f)
        unanswered = [d for d in deliveries if d["kind"] in GENUINE_KINDS and not d["acked"]]
        verdict("f", not unanswered,
                f"every genuine delivery, exact duplicate and client capture answered 2xx within "
                f"{args.retry_seconds:.0f} s: {len(unanswered)} never answered 2xx"
                + (f"; e.g. {[(d['gateway'], d['kind'], d['payment_id'], d['statuses'][-6:]) for d in unanswered[:5]]}"
                   if unanswered else ""))

        # (g)
        with self.lock:
            faults = list(self.faults)
            timer = [r for r in self.timer_runs if r[1] == "timer"]
        kills = [f for f in faults if f[1] == "responder-kill" and f[3]]
        restarts = [f for f in faults if f[1] == "db-restart" and f[3]]
        phases = [f for f in faults if f[1] == "retail" and f[3]]
        failed = [f for f in faults if not f[3]]
        verdict("g", len(kills) == planned["kill"] and len(restarts) == planned["db"]
                and len(phases) == planned["retail"] and not failed and timer,
                f"faults applied: {len(kills)}/{planned['kill']} responder kills, {len(restarts)}/{planned['db']} "
                f"MariaDB restarts, {len(phases)}/{planned['retail']} Retail phases, {len(timer)} timer runs "
                f"(exit codes {sorted({r[2] for r in timer})})" + (f"; failed: {failed}" if failed else ""))

        self.summary(deliveries, forged, rows, states, samples, lifetimes, faults, timer, drain)
        with open(os.path.join(args.out, "deliveries.jsonl"), "w") as handle:
            for d in deliveries:
                handle.write(json.dumps(d) + "\n")
        return all(results)

    def summary(self, deliveries, forged, rows, states, samples, lifetimes, faults, timer, drain):
        kinds = {}
        attempts = 0
        for d in deliveries:
            key = (d["gateway"], d["kind"])
            entry = kinds.setdefault(key, [0, 0, 0])
            entry[0] += 1
            entry[1] += len(d["statuses"])
            entry[2] += 1 if d["acked"] else 0
            attempts += len(d["statuses"])
        say("== summary ==")
        for (gateway, kind), (n, tries, acked) in sorted(kinds.items()):
            say(f"deliveries[{gateway} {kind}]: {n} logical, {tries} HTTP attempts, {acked} answered 2xx")
        say(f"deliveries total: {len(deliveries)} logical, {attempts} HTTP attempts; duplicates "
            f"{sum(1 for d in deliveries if d['kind'] == 'duplicate')} (concurrent "
            f"{sum(1 for d in deliveries if d['variant'] == 'concurrent')}), late replays "
            f"{sum(1 for d in deliveries if d['kind'] == 'replay')}, forgeries {len(forged)}; payments paid at the "
            f"gateway {sum(1 for p in self.payments.values() if p['amount'] > 0)}, refunds "
            f"{sum(1 for p in self.payments.values() if p['amount'] < 0)}")
        for key, value in self.stats.with_prefix("webhook ").items():
            say(f"webhook answers[{key}]: {value}")
        for key, value in self.stats.with_prefix("client ").items():
            say(f"client answers[{key}]: {value}")
        for key, value in self.stats.with_prefix("forged ").items():
            say(f"forgeries[{key}]: {value}")
        for key, value in self.stats.with_prefix("scenario ").items():
            say(f"scenarios[{key}]: {value}")
        for key, value in self.stats.with_prefix("driver error ").items():
            say(f"driver errors[{key}]: {value}")
        say(f"faults: {sum(1 for f in faults if f[1] == 'responder-kill')} responder kills, "
            f"{sum(1 for f in faults if f[1] == 'db-restart')} MariaDB restarts, "
            f"{sum(1 for f in faults if f[1] == 'retail')} Retail mode switches; {len(timer)} timer runs "
            f"(exit codes {[r[2] for r in timer]})")
        say(f"ledger: {len(rows)} rows, sync states {states}; drain: {drain['runs']} payments-sync runs, "
            f"{drain['forwarded']} back-offs made due")
        say(f"rss: {len(samples)} samples over {len(lifetimes)} responder lifetimes")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", required=True)
    parser.add_argument("--stack", default="soak")
    parser.add_argument("--env-file", required=True)
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--kill-every", type=float, default=0, help="0: 120 s, or a quarter of a shorter run")
    parser.add_argument("--db-restarts", type=int, default=2)
    parser.add_argument("--flap-phase", type=float, default=0, help="0: a thirtieth of the run, at least 4 s")
    parser.add_argument("--timer-every", type=float, default=0, help="0: 60 s, or a sixth of a shorter run")
    parser.add_argument("--down-seconds", type=float, default=2)
    parser.add_argument("--retail-slow-ms", type=int, default=1500, help="Retail latency in its slow phases")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=10, help="scenarios started per second")
    parser.add_argument("--uids", type=int, default=200)
    parser.add_argument("--retry-seconds", type=float, default=90)
    parser.add_argument("--drain-seconds", type=float, default=0, help="0: 150 s, or 60 s for a run under 10 min")
    parser.add_argument("--duplicate-share", type=float, default=0.3)
    parser.add_argument("--race-share", type=float, default=0.1)
    parser.add_argument("--replay-share", type=float, default=0.05)
    parser.add_argument("--client-capture-share", type=float, default=0.15)
    parser.add_argument("--refund-share", type=float, default=0.1, help="credited Stripe/PayPal payments refunded")
    parser.add_argument("--rss-warmup", type=float, default=20)
    parser.add_argument("--rss-slack-mb", type=float, default=16)
    parser.add_argument("--rss-max-mb", type=float, default=512)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.seconds <= 0 or args.rate <= 0 or args.concurrency <= 0:
        parser.error("--seconds, --rate and --concurrency must be positive")
    args.kill_every = args.kill_every or (120 if args.seconds >= 480 else max(10, args.seconds / 4))
    args.flap_phase = args.flap_phase or max(4, args.seconds / 30)
    args.timer_every = args.timer_every or (60 if args.seconds >= 480 else max(10, args.seconds / 6))
    args.drain_seconds = args.drain_seconds or (150 if args.seconds >= 600 else 60)
    try:
        ok = Soak(args).run()
    except (RuntimeError, OSError, subprocess.SubprocessError, KeyError, ValueError) as error:
        say(f"error: the soak could not complete: {type(error).__name__}: {error}")
        ok = False
    say("soak PASSED" if ok else "soak FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
