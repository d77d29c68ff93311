#!/usr/bin/env python3
"""bench/events' driver: many EventSource subscribers through nginx (nchan) while signed Stripe webhooks arrive at a
fixed rate; measures the time from each webhook's 2xx answer to its subscriber's receipt of the session's `paid`.

One asyncio loop, standard library only. Subscribers: one ticket (`app-createEventsTicket`, the session owner's
sandbox Firebase token) and one EventSource GET per subscribed session, held open until the end. Webhooks: one
genuine `payment_intent.succeeded` per session (bench/webhook_fixtures.py signs it as Stripe does), sent on
keep-alive connections at `--rate` per second; subscribed sessions are spread evenly through the sequence, the
others publish to channels nobody follows. The responder's `payments_workers` and `payments_workers_busy`
(/api/metrics) and its thread count (/proc) are read before the subscribers, with them open and idle, and during the
webhooks. Prints one `EVENTS key=value ...` summary line after the human-readable figures.
"""

import argparse
import asyncio
import json
import os
import random
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import webhook_fixtures as fixtures  # noqa: E402


def log(message):
    print(f"events: {message}", file=sys.stderr, flush=True)


class Connection:
    """A minimal HTTP/1.1 client connection on loopback (keep-alive, Content-Length or chunked bodies)."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)

    def close(self):
        if self.writer:
            self.writer.close()
            self.writer = None

    async def send_head(self, method, path, headers, body=b""):
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed before the answer")
        status = int(status_line.split()[1])
        answer_headers = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            answer_headers[name.strip().lower()] = value.strip()
        return status, answer_headers

    async def body(self, headers):
        if headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            async for chunk in self.chunks():
                data += chunk
            return data
        return await self.reader.readexactly(int(headers.get("content-length", "0")))

    async def chunks(self):
        while True:
            size = int((await self.reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await self.reader.readline()
                return
            chunk = await self.reader.readexactly(size)
            await self.reader.readexactly(2)
            yield chunk

    async def request(self, method, path, headers=(), body=b""):
        if self.writer is None:
            await self.open()
        try:
            status, answer_headers = await self.send_head(method, path, list(headers), body)
            return status, await self.body(answer_headers)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
            self.close()
            raise


async def metrics(host, port):
    """payments_workers and payments_workers_busy from /api/metrics."""
    conn = Connection(host, port)
    try:
        status, body = await conn.request("GET", "/api/metrics")
    finally:
        conn.close()
    values = {}
    for line in body.decode().splitlines():
        for name in ("payments_workers", "payments_workers_busy"):
            if line.startswith(name + " "):
                values[name] = float(line.split()[1])
    return values


def threads_of(pid):
    try:
        with open(f"/proc/{pid}/status") as handle:
            return int(next(line.split()[1] for line in handle if line.startswith("Threads:")))
    except (OSError, StopIteration, ValueError):
        return -1


class Subscriber:
    """One open EventSource stream; records when each status of its session first arrived."""

    def __init__(self, public_id):
        self.public_id = public_id
        self.status = None
        self.received = {}
        self.conn = None

    async def run(self, host, port, path, connected):
        self.conn = Connection(host, port)
        try:
            await self.conn.open()
            self.status, headers = await self.conn.send_head("GET", path, [("Accept", "text/event-stream")])
            connected.set_result(self.status) if not connected.done() else None
            if self.status != 200:
                return
            buffer = b""
            source = self.conn.chunks() if headers.get("transfer-encoding", "").lower() == "chunked" else None
            while True:
                data = await (source.__anext__() if source else self.conn.reader.read(65536))
                if not data:
                    return
                buffer += data
                while b"\n\n" in buffer:
                    event, buffer = buffer.split(b"\n\n", 1)
                    self.take(event)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, StopAsyncIteration, ValueError):
            if not connected.done():
                connected.set_result(-1)
        finally:
            self.conn.close()

    def take(self, event):
        now = time.monotonic()
        for line in event.split(b"\n"):
            if line.startswith(b"data:"):
                try:
                    message = json.loads(line[5:].strip())
                except ValueError:
                    continue
                self.received.setdefault(message.get("status"), now)


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def main(args):
    env = fixtures.read_env_file(args.env_file)
    api = urllib.parse.urlsplit(args.api)
    host, port = api.hostname, api.port
    secret = fixtures.require(env, "STRIPE_WEBHOOK_SECRET").split(",")[0].strip()
    rows = [line.split("\t") for line in open(args.sessions).read().splitlines() if line.strip()]
    total = int(args.rate * args.seconds)
    if len(rows) < max(total, args.subscribers):
        sys.exit(f"events: {len(rows)} sessions, {max(total, args.subscribers)} needed")
    rows = rows[: max(total, args.subscribers)]
    subscribed_rows = rows[: args.subscribers]
    uids = sorted({row[2] for row in subscribed_rows})
    log(f"minting {len(uids)} tokens for {len(subscribed_rows)} subscribers")
    tokens = fixtures.mint_tokens(args.control, uids)

    before = await metrics(host, port)
    threads_before = threads_of(args.fcgi_pid)

    # Tickets, then the subscriptions, a few dozen at a time.
    started = time.monotonic()
    queue = asyncio.Queue()
    for row in subscribed_rows:
        queue.put_nowait(row)
    urls = {}

    async def ticket_worker():
        conn = Connection(host, port)
        while not queue.empty():
            row = queue.get_nowait()
            body = json.dumps({"session_id": row[1]}).encode()
            headers = [("Authorization", f"Bearer {tokens[row[2]]}"), ("Content-Type", "application/json")]
            try:
                status, answer = await conn.request("POST", api.path + "/app-createEventsTicket", headers, body)
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
                continue
            if status == 200:
                urls[row[1]] = json.loads(answer)["url"]
        conn.close()

    await asyncio.gather(*(ticket_worker() for _ in range(16)))
    subscribers, tasks = {}, []
    items = list(urls.items())
    for first in range(0, len(items), 32):
        answers = []
        for public_id, url in items[first:first + 32]:
            subscriber = Subscriber(public_id)
            subscribers[public_id] = subscriber
            answers.append(asyncio.get_running_loop().create_future())
            tasks.append(asyncio.create_task(subscriber.run(host, port, url, answers[-1])))
        await asyncio.gather(*answers)
    connected = sum(1 for s in subscribers.values() if s.status == 200)
    subscribe_seconds = time.monotonic() - started
    # Every subscriber gets the session's buffered `pending` first.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and sum("pending" in s.received for s in subscribers.values()) < connected:
        await asyncio.sleep(0.2)
    with_pending = sum("pending" in s.received for s in subscribers.values())
    await asyncio.sleep(1)
    idle = await metrics(host, port)
    threads_idle = threads_of(args.fcgi_pid)
    log(f"{connected}/{len(subscribed_rows)} subscribed in {subscribe_seconds:.1f} s, {with_pending} got pending; "
        f"workers {idle.get('payments_workers')} busy {idle.get('payments_workers_busy')} threads {threads_idle}")

    # The webhooks: subscribed sessions spread evenly through the sequence.
    rng = random.Random(7)
    step = total / max(1, len(subscribed_rows))
    order = [None] * total
    subscribed_slots = {min(total - 1, int(i * step)) for i in range(len(subscribed_rows))}
    others = iter(rows[len(subscribed_rows):])
    subscribed_iter = iter(subscribed_rows)
    for slot in range(total):
        order[slot] = next(subscribed_iter) if slot in subscribed_slots else next(others, None)
    order = [row for row in order if row is not None]
    stamp = int(time.time())
    deliveries = []
    for row in order:
        headers, body = fixtures.StripeSigner(secret, stamp).render(row, rng)
        deliveries.append((row[1], headers[0], body))
    answered = {}
    statuses = {}
    send_queue = asyncio.Queue()
    path = api.path + "/stripe-handleWebhookEvents"

    async def sender():
        conn = Connection(host, port)
        while True:
            item = await send_queue.get()
            if item is None:
                break
            public_id, signature, body = item
            headers = [("Content-Type", "application/json"), ("Stripe-Signature", signature)]
            try:
                status, _ = await conn.request("POST", path, headers, body)
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
                status = -1
            statuses[status] = statuses.get(status, 0) + 1
            if 200 <= status < 300:
                answered[public_id] = time.monotonic()
        conn.close()

    busy_samples = []

    async def sampler():
        while True:
            try:
                busy_samples.append((await metrics(host, port)).get("payments_workers_busy", -1))
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
                pass
            await asyncio.sleep(0.5)

    senders = [asyncio.create_task(sender()) for _ in range(args.connections)]
    sampling = asyncio.create_task(sampler())
    send_started = time.monotonic()
    lag = 0.0
    for index, delivery in enumerate(deliveries):
        due = send_started + index / args.rate
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        else:
            lag = max(lag, -wait)
        send_queue.put_nowait(delivery)
    for _ in senders:
        send_queue.put_nowait(None)
    await asyncio.gather(*senders)
    send_seconds = time.monotonic() - send_started
    threads_busy = threads_of(args.fcgi_pid)
    sampling.cancel()
    # Let the last messages arrive.
    deadline = time.monotonic() + args.grace
    wanted = [pid for pid in answered if pid in subscribers and subscribers[pid].status == 200]
    while time.monotonic() < deadline and any("paid" not in subscribers[pid].received for pid in wanted):
        await asyncio.sleep(0.1)
    latencies = [(subscribers[pid].received["paid"] - answered[pid]) * 1000
                 for pid in wanted if "paid" in subscribers[pid].received]
    misses = len(wanted) - len(latencies)
    still_open = sum(1 for task in tasks if not task.done())
    for subscriber in subscribers.values():
        if subscriber.conn:
            subscriber.conn.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    after = await metrics(host, port)

    ok = sum(count for status, count in statuses.items() if 200 <= status < 300)
    figures = {
        "subscribers": len(subscribed_rows), "connected": connected, "pending_received": with_pending,
        "open_at_end": still_open, "webhooks": len(deliveries), "webhooks_2xx": ok,
        "webhook_rate": round(len(deliveries) / send_seconds, 1), "sender_lag_ms": round(lag * 1000, 1),
        "deliveries": len(latencies), "misses": misses,
        "p50_ms": round(percentile(latencies, 0.5), 1), "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
        "min_ms": round(min(latencies, default=float("nan")), 1),
        "workers_before": before.get("payments_workers"), "workers_idle_subscribed": idle.get("payments_workers"),
        "workers_after": after.get("payments_workers"),
        "busy_idle_subscribed": idle.get("payments_workers_busy"),
        "busy_max_during_webhooks": max(busy_samples, default=-1),
        "threads_before": threads_before, "threads_subscribed": threads_idle, "threads_during": threads_busy,
    }
    print(f"subscribers: {connected} of {len(subscribed_rows)} connected ({with_pending} got their pending), "
          f"{still_open} still open at the end")
    print(f"webhooks: {len(deliveries)} sent in {send_seconds:.1f} s ({figures['webhook_rate']}/s, target "
          f"{args.rate}/s), {ok} answered 2xx, other answers {({k: v for k, v in statuses.items() if not 200 <= k < 300})}")
    print(f"commit (2xx answer) -> subscriber's paid: {len(latencies)} deliveries, {misses} misses, "
          f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms")
    print(f"responder: payments_workers {before.get('payments_workers')} before, {idle.get('payments_workers')} with "
          f"the subscribers open, {after.get('payments_workers')} after; busy {idle.get('payments_workers_busy')} "
          f"with them open and idle, at most {figures['busy_max_during_webhooks']} during the webhooks; threads "
          f"{threads_before} / {threads_idle} / {threads_busy}")
    print("EVENTS " + " ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", required=True, help="http://127.0.0.1:<port>/api (the stack's nginx)")
    parser.add_argument("--control", required=True, help="sandbox control base")
    parser.add_argument("--env-file", required=True)
    parser.add_argument("--sessions", required=True, help="external_id, public_id, uid, amount per line (tabs)")
    parser.add_argument("--fcgi-pid", type=int, required=True)
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=64, help="webhook connections (keep-alive)")
    parser.add_argument("--grace", type=float, default=5, help="seconds to wait for the last messages")
    arguments = parser.parse_args()
    fixtures.loopback(arguments.api)
    asyncio.run(main(arguments))
