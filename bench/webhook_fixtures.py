#!/usr/bin/env python3
"""Fixtures for bench/webhooks (Python 3 standard library only; traffic to 127.0.0.1 only).

create  create N PaymentIntents through the real route POST <api>/stripe-getPaymentIntent, with Firebase ID
        tokens minted by the sandbox for a few hundred distinct uids and reCAPTCHA token "pass".
sign    turn session rows (TSV: external_id, public_id, uid, amount — read from payment_sessions) into distinct
        signed payment_intent.succeeded deliveries, one per line "<Stripe-Signature>\\t<body>", split into
        named slices (warm-up, measured), each cut into one file per wrk thread: <prefix>-<slice>-<n>.txt.
fake    the same for synthetic rows (random ids): bodies of the same shape and size, for the reference
        responder's sizing probe, which ignores them.
"""
import argparse
import concurrent.futures
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


def create(args):
    api = loopback(args.api)
    path = api.path.rstrip("/") + "/stripe-getPaymentIntent"
    uids = [f"{args.uid_prefix}{i:04d}" for i in range(args.uids)]
    tokens = mint_tokens(args.control, uids)
    log(f"minted {len(tokens)} Firebase tokens; creating {args.count} PaymentIntents "
        f"with {args.concurrency} connections")

    lock = threading.Lock()
    state = {"next": 0, "ok": 0, "failed": 0, "statuses": {}}
    deadline = time.monotonic() + args.deadline
    local = threading.local()

    def worker():
        conn = http.client.HTTPConnection(api.hostname, api.port, timeout=30)
        while True:
            with lock:
                i = state["next"]
                if i >= args.count or time.monotonic() > deadline or state["failed"] > args.max_failures:
                    break
                state["next"] = i + 1
            uid = uids[i % len(uids)]
            amount = 500 + (i * 7919) % 99501
            payload = {"amount": amount, "recaptcha_token": "pass", "platform": "web"}
            try:
                status, data = post_json(conn, path, payload, {"Authorization": f"Bearer {tokens[uid]}"})
            except (OSError, http.client.HTTPException) as error:
                status, data = f"{type(error).__name__}", b""
                conn.close()
                conn = http.client.HTTPConnection(api.hostname, api.port, timeout=30)
            with lock:
                if status == 200:
                    state["ok"] += 1
                else:
                    state["failed"] += 1
                    key = str(status)
                    if key not in state["statuses"]:
                        log(f"first {key} answer: {data[:300]!r}")
                    state["statuses"][key] = state["statuses"].get(key, 0) + 1
        conn.close()

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
    elapsed = time.monotonic() - started
    rate = state["ok"] / elapsed if elapsed > 0 else 0
    log(f"created {state['ok']} PaymentIntents in {elapsed:.1f} s ({rate:.0f}/s), failed {state['failed']} "
        f"{state['statuses'] or ''}")
    print(f"CREATE ok={state['ok']} failed={state['failed']} seconds={elapsed:.1f} rate={rate:.0f}")
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


def write_slices(rows, args, secret):
    """Signs every row once and writes the slices; no event or PaymentIntent appears twice."""
    rng = random.Random(args.seed if args.seed is not None else os.urandom(16))
    t = args.t or int(time.time())
    key = secret.encode()
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
    for name, (lo, hi) in zip(names, bounds):
        part = rows[lo:hi]
        files = [open(f"{args.out_prefix}-{name}-{n + 1}.txt", "w") for n in range(args.threads)]
        for index, row in enumerate(part):
            body = event_body(row, t, rng)
            mac = hmac.new(key, f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
            files[index % args.threads].write(f"t={t},v1={mac}\t{body}\n")
            sizes.append(len(body))
        for handle in files:
            handle.close()
        print(f"SLICE {name}={len(part)}")
    if sizes:
        print(f"SIGN t={t} deliveries={len(sizes)} body_bytes_min={min(sizes)} body_bytes_max={max(sizes)} "
              f"body_bytes_avg={sum(sizes) / len(sizes):.0f}")


def sign(args):
    rows = []
    with open(args.sessions) as handle:
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            if len(fields) == 4 and fields[0].startswith("pi_"):
                rows.append(tuple(fields))
    if not rows:
        sys.exit(f"fixtures: no session rows in {args.sessions}")
    write_slices(rows, args, args.secret)


def fake(args):
    rng = random.Random(args.seed if args.seed is not None else os.urandom(16))
    rows = [(rand_id("pi_", rng=rng), str(uuid.UUID(int=rng.getrandbits(128), version=4)),
             f"{args.uid_prefix}{i % 400:04d}", str(500 + (i * 7919) % 99501)) for i in range(args.count)]
    write_slices(rows, args, args.secret)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("create")
    p.add_argument("--api", required=True, help="http://127.0.0.1:<port>/api")
    p.add_argument("--control", required=True, help="sandbox control base, http://127.0.0.1:<port>")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--uids", type=int, default=400)
    p.add_argument("--uid-prefix", default="bench-u")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--deadline", type=float, default=900, help="seconds; stop creating after this")
    p.add_argument("--max-failures", type=int, default=100)
    p.set_defaults(func=create)

    for name, func in (("sign", sign), ("fake", fake)):
        p = sub.add_parser(name)
        p.add_argument("--secret", required=True)
        p.add_argument("--out-prefix", required=True)
        p.add_argument("--threads", type=int, default=2)
        p.add_argument("--slices", default="warmup:0.25,measured:0.75", help="name:fraction,...")
        p.add_argument("--t", type=int, default=0, help="signature timestamp (default: now)")
        p.add_argument("--seed", type=int, default=None)
        if name == "sign":
            p.add_argument("--sessions", required=True, help="TSV: external_id public_id uid amount")
        else:
            p.add_argument("--count", type=int, required=True)
            p.add_argument("--uid-prefix", default="bench-u")
        p.set_defaults(func=func)

    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
