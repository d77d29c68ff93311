#!/usr/bin/env python3
"""The driver of bench/cluster (Python 3 standard library only; every address it talks to is 127.0.0.1).

It runs against the loopback cluster scripts/cluster.sh has started (3-node Galera behind HAProxy, two payments-fcgi
behind one nginx upstream, the sandbox, three `payments-sync run` loops) and reuses bench/soak_driver.py's plumbing
(one-request HTTP calls, counters) and bench/webhook_fixtures.py's Stripe signer.

deliveries  distinct Stripe payments, each made as the app and the gateway make it: stripe-getPaymentIntent (client
            route, through nginx), paid at the sandbox without delivery (/control/stripe/pay deliver:false), and the
            sandbox's own payment_intent.amount_capturable_updated event; all made before a phase starts, so a phase
            times the signed webhook deliveries only. A delivery is retried as Stripe retries: on any non-2xx answer
            or no answer, the same event (same id, same body) re-signed with a fresh timestamp, backing off 0.5 s
            doubling to 8 s with jitter, for --retry-seconds.
rates       the same load shape per configuration: --rate-deliveries deliveries by --concurrency workers as fast as
            they are answered (after a short warm-up), for Galera behind HAProxy and for a single MariaDB with the
            same settings (scripts/cluster.sh use-db), each with 2 and with 1 responder in nginx's upstream
            (scripts/cluster.sh responders); printed side by side (deliveries/s, p50 and p99 of the first attempt).
fault       Galera, 2 responders, --fault-rate deliveries per second for --fault-seconds (paced); at 20 % of it one
            responder is SIGKILLed with a delivery in flight and restarted 2 s later, at 45 % the node HAProxy
            writes to is SIGKILLed and restarted 5 s later (it rejoins by IST, or SST, while the load goes on).
checks      after each phase the sync loops are given --drain-seconds to push every row, then per phase: delivered
            (answered 2xx), ledger rows, rows at Retail (the sandbox Retail's own record), duplicates (a payment
            with more than one ledger row, or applied more than once at Retail) and losses (a 2xx delivery without
            its ledger row, a ledger row not at Retail, a delivery never answered 2xx in its retry budget). Exit 1
            when any duplicate or loss is found.
"""
import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak_driver as sd  # noqa: E402  (the soak's HTTP plumbing and counters)
import webhook_fixtures as fx  # noqa: E402  (the bench's signing helpers)

START = time.monotonic()
PRINT_LOCK = threading.Lock()


def say(message):
    with PRINT_LOCK:
        print(f"[cluster +{time.monotonic() - START:6.1f}s] {message}", flush=True)


def percentile(values, share):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class ClusterBench:
    def __init__(self, args):
        self.args = args
        self.env = fx.read_env_file(args.env_file)
        self.api = f"http://127.0.0.1:{self.env['RUN_HTTP_PORT']}/api"
        self.control = f"http://127.0.0.1:{self.env['SANDBOX_PORT_BASE']}"
        self.stripe_key = self.env["STRIPE_WEBHOOK_SECRET"].split(",")[0].encode()
        self.run_dir = os.path.dirname(os.path.abspath(args.env_file))
        self.stats = sd.Stats()
        self.lock = threading.Lock()
        self.tokens = {}
        self.inflight = 0
        self.phases = []
        self.rng = random.Random(args.seed)

    # -------------------------------------------------------------------------------------------- plumbing

    def cluster(self, *command, timeout=300):
        """scripts/cluster.sh COMMAND...: (ok, last line of its output)."""
        result = subprocess.run([os.path.join(self.args.repo, "scripts", "cluster.sh"), *command],
                                cwd=self.args.repo, capture_output=True, text=True, timeout=timeout)
        lines = (result.stdout + result.stderr).strip().splitlines() or [""]
        return result.returncode == 0, result.stdout.strip(), lines[-1]

    def must(self, *command):
        ok, _, tail = self.cluster(*command)
        if not ok:
            raise RuntimeError(f"scripts/cluster.sh {' '.join(command)} failed: {tail}")

    def token(self, uid):
        with self.lock:
            if uid in self.tokens:
                return self.tokens[uid]
        payload = {"uid": uid, "email_verified": True, "sign_in_provider": "google.com"}
        status, data = sd.http_call("POST", f"{self.control}/firebase/mint", sd.compact(payload), timeout=10)
        if status != 200:
            raise RuntimeError(f"minting a token failed: {status} {data[:200]!r}")
        token = json.loads(data)["idToken"]
        with self.lock:
            self.tokens[uid] = token
        return token

    def sql(self, target, query):
        """QUERY as root on the single MariaDB's socket, or on the first Galera node that is Synced."""
        if target == "single":
            sockets = [os.path.join(self.run_dir, "single", "mysqld.sock")]
        else:
            sockets = [os.path.join(self.run_dir, f"node{n}", "mysqld.sock") for n in (1, 2, 3)]
        error = ""
        for socket in sockets:
            base = ["mariadb", "--no-defaults", f"--socket={socket}", "--user=root", "--batch", "--skip-column-names",
                    "--raw", "--connect-timeout=3"]
            if target != "single":
                state = subprocess.run(base + ["-e", "SHOW GLOBAL STATUS LIKE 'wsrep_local_state'"],
                                       capture_output=True, text=True, timeout=30)
                if state.returncode != 0 or state.stdout.split("\t")[-1].strip() != "4":
                    continue
            result = subprocess.run(base + ["tn_payments", "-e", query], capture_output=True, text=True, timeout=120)
            if result.returncode == 0:
                return [line.split("\t") for line in result.stdout.splitlines()]
            error = result.stderr.strip()
        raise RuntimeError(f"no {target} database answered: {error}")

    # -------------------------------------------------------------------------------------------- payments

    def make_payment(self, tag, index):
        """One Stripe payment paid at the sandbox, not delivered: {pi, uid, amount, body} or None."""
        uid = f"cl-{tag}-{index % self.args.uids}"
        amount = fx.amount_cents(index + self.rng.randrange(1000))
        payload = {"amount": amount, "recaptcha_token": "pass", "platform": "web"}
        headers = {"Authorization": f"Bearer {self.token(uid)}"}
        for _ in range(5):
            status, data = sd.http_call("POST", f"{self.api}/stripe-getPaymentIntent", sd.compact(payload), headers)
            if status == 200:
                break
            time.sleep(0.5)
        else:
            self.stats.count("prepare: stripe-getPaymentIntent failed")
            return None
        pi = json.loads(data)["id"]
        status, _ = sd.http_call("POST", f"{self.control}/control/stripe/pay", sd.compact({"id": pi, "deliver": False}),
                                 timeout=30)
        if status != 200:
            self.stats.count("prepare: sandbox pay failed")
            return None
        status, data = sd.http_call(
            "GET", f"{self.control}/control/stripe/events?payment_intent={pi}"
                   f"&type=payment_intent.amount_capturable_updated", timeout=30)
        events = (sd.as_json(data) or {}).get("data") if status == 200 else None
        if not events:
            self.stats.count("prepare: event missing")
            return None
        return {"pi": pi, "uid": uid, "amount": amount, "body": sd.compact(events[-1]["event"])}

    def prepare(self, tag, count):
        """COUNT paid payments made by 8 threads (not timed)."""
        made, lock, next_index = [], threading.Lock(), [0]

        def worker():
            while True:
                with lock:
                    if next_index[0] >= count:
                        return
                    index = next_index[0]
                    next_index[0] += 1
                payment = self.make_payment(tag, index)
                if payment is not None:
                    with lock:
                        made.append(payment)

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if len(made) < count:
            raise RuntimeError(f"only {len(made)} of {count} payments could be made for {tag}")
        return made

    # -------------------------------------------------------------------------------------------- deliveries

    def deliver(self, payment):
        """Posts the payment's event until it is answered 2xx or --retry-seconds run out, as Stripe retries."""
        url = f"{self.api}/stripe-handleWebhookEvents"
        body = payment["body"]
        deadline = time.monotonic() + self.args.retry_seconds
        delay, statuses, first = 0.5, [], None
        while True:
            headers = {"Stripe-Signature": fx.stripe_signature(self.stripe_key, int(time.time()), body)}
            with self.lock:
                self.inflight += 1
            started = time.monotonic()
            try:
                status, _ = sd.http_call("POST", url, body, headers, timeout=30)
            finally:
                with self.lock:
                    self.inflight -= 1
            if first is None:
                first = time.monotonic() - started
            statuses.append(status)
            self.stats.count(f"webhook {sd.status_label(status)}")
            if status is not None and 200 <= status < 300:
                break
            if time.monotonic() + delay > deadline:
                break
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 8)
        acked = statuses[-1] is not None and 200 <= statuses[-1] < 300
        return {"pi": payment["pi"], "uid": payment["uid"], "amount": payment["amount"], "acked": acked,
                "statuses": statuses, "first_seconds": first}

    def load(self, payments, concurrency, rate=0.0, faults=()):
        """Delivers PAYMENTS with CONCURRENCY workers, paced to RATE per second when RATE > 0, while a thread runs
        FAULTS ((seconds after start, callable), in order). (seconds taken, results)."""
        results, lock, queue = [], threading.Lock(), list(reversed(payments))
        started = time.monotonic()
        next_slot = [started]

        def worker():
            while True:
                with lock:
                    if not queue:
                        return
                    payment = queue.pop()
                    slot = next_slot[0]
                    next_slot[0] = max(next_slot[0], time.monotonic()) + (1.0 / rate if rate > 0 else 0)
                wait = slot - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                result = self.deliver(payment)
                with lock:
                    results.append(result)

        def fault_thread():
            for at, action in faults:
                wait = started + at - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                action()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
        faulter = threading.Thread(target=fault_thread, daemon=True)
        for thread in threads:
            thread.start()
        faulter.start()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - started
        faulter.join(300)
        return seconds, results

    # -------------------------------------------------------------------------------------------- faults

    def wait_inflight(self):
        """Waits up to 2 s for a delivery in flight, so a kill cuts a request mid-way; how many were."""
        for _ in range(400):
            with self.lock:
                if self.inflight:
                    return self.inflight
            time.sleep(0.005)
        return 0

    def kill_responder(self, n, faults):
        inflight = self.wait_inflight()
        ok, _, tail = self.cluster("kill-responder", str(n))
        faults.append((ok, f"SIGKILL responder {n} with {inflight} deliveries in flight: {tail}"))
        say(f"fault: {faults[-1][1]}")

    def restart_responder(self, n, faults):
        ok, _, tail = self.cluster("restart-responder", str(n))
        faults.append((ok, f"restart responder {n}: {tail}"))
        say(f"fault: {faults[-1][1]}")

    def kill_writer(self, faults, killed):
        inflight = self.wait_inflight()
        ok, out, tail = self.cluster("kill-writer")
        if ok:
            killed.append(out.splitlines()[-1].strip())
        faults.append((ok, f"SIGKILL the writer node {killed[-1] if killed else '?'} with {inflight} deliveries "
                           f"in flight"))
        say(f"fault: {faults[-1][1]}")

    def restart_writer(self, faults, killed):
        if not killed:
            faults.append((False, "no killed writer to restart"))
            return
        started = time.monotonic()
        ok, _, tail = self.cluster("restart-node", killed[-1], timeout=400)
        log = os.path.join(self.run_dir, f"node{killed[-1]}", "mariadbd.log")
        how = "?"
        try:
            with open(log, errors="replace") as handle:
                text = handle.read().split("Starting MariaDB")[-1]
            ist = re.search(r"Prepared IST receiver for (\d+-\d+)", text)
            if "rsync SST completed on joiner" in text:
                how = "rejoined by SST"
            elif ist:
                how = f"rejoined by IST of write sets {ist.group(1)}"
            else:
                how = "rejoined, no transfer needed"
        except OSError:
            pass
        faults.append((ok, f"restart node {killed[-1]}: {how}, in {time.monotonic() - started:.1f} s: {tail}"))
        say(f"fault: {faults[-1][1]}")

    # -------------------------------------------------------------------------------------------- checks

    def drain(self, target, ids):
        """Gives the sync loops --drain-seconds to push every row of IDS; how many are still not synced."""
        deadline = time.monotonic() + self.args.drain_seconds
        while True:
            rows = self.sql(target, "SELECT payment_id, sync_state FROM tn_payments")
            pending = [r[0] for r in rows if r[0] in ids and r[1] != "synced"]
            if not pending or time.monotonic() >= deadline:
                return len(pending)
            time.sleep(2)

    def check(self, name, target, results):
        ids = {r["pi"] for r in results}
        unsynced = self.drain(target, ids)
        per_id = {}
        for pid, count in self.sql(target, "SELECT payment_id, COUNT(*) FROM tn_payments GROUP BY payment_id"):
            if pid in ids:
                per_id[pid] = int(count)
        status, data = sd.http_call("GET", f"{self.control}/control/retail/transactions", timeout=60)
        retail = (sd.as_json(data) or {}).get("transactions", []) if status == 200 else None
        if retail is None:
            raise RuntimeError("the sandbox did not list its Retail transactions")
        at_retail = {}
        for t in retail:
            if t["transaction_id"] in ids:
                at_retail[t["transaction_id"]] = t
        acked = [r for r in results if r["acked"]]
        duplicates = [pid for pid, count in per_id.items() if count > 1]
        duplicates += [pid for pid, t in at_retail.items() if t.get("applied_count", 1) != 1]
        lost = [r["pi"] for r in acked if per_id.get(r["pi"], 0) == 0]
        lost += [pid for pid in per_id if pid not in at_retail]
        unanswered = [r["pi"] for r in results if not r["acked"]]
        wrong = [pid for pid, t in at_retail.items()
                 if any(r["pi"] == pid and (t["customer_id"], t["amount"]) != (r["uid"], r["amount"])
                        for r in results)]
        phase = {"name": name, "delivered": len(acked), "sent": len(results), "rows": sum(per_id.values()),
                 "retail": len(at_retail), "duplicates": len(duplicates), "lost": len(lost) + len(wrong),
                 "unanswered": len(unanswered), "unsynced": unsynced,
                 "retries": sum(len(r["statuses"]) - 1 for r in results),
                 "examples": (duplicates + lost + wrong + unanswered)[:5]}
        self.phases.append(phase)
        return phase

    def measure(self, name, target, responders, count):
        self.must("use-db", target)
        self.must("responders", str(responders))
        payments = self.prepare(f"{target}{responders}", count + self.args.warmup)
        _, warm = self.load(payments[:self.args.warmup], self.args.concurrency)
        seconds, results = self.load(payments[self.args.warmup:], self.args.concurrency)
        firsts = [r["first_seconds"] for r in results]
        rate = len([r for r in results if r["acked"]]) / seconds
        say(f"rate {name}: {rate:.1f} deliveries/s, p50 {percentile(firsts, 0.5) * 1000:.1f} ms, "
            f"p99 {percentile(firsts, 0.99) * 1000:.1f} ms ({len(results)} deliveries in {seconds:.1f} s)")
        # The warm-up deliveries are checked with the measured ones.
        phase = self.check(f"rate: {name}", target, warm + results)
        phase.update(rate=rate, p50=percentile(firsts, 0.5) * 1000, p99=percentile(firsts, 0.99) * 1000)
        return phase

    def fault_phase(self):
        self.must("use-db", "galera")
        self.must("responders", "2")
        seconds = self.args.fault_seconds
        payments = self.prepare("fault", int(self.args.fault_rate * seconds))
        faults, killed = [], []
        plan = [
            (0.20 * seconds, lambda: self.kill_responder(1, faults)),
            (0.20 * seconds + 2, lambda: self.restart_responder(1, faults)),
            (0.45 * seconds, lambda: self.kill_writer(faults, killed)),
            (0.45 * seconds + 5, lambda: self.restart_writer(faults, killed)),
        ]
        say(f"fault phase: {len(payments)} deliveries paced at {self.args.fault_rate}/s over {seconds:.0f} s")
        took, results = self.load(payments, max(self.args.concurrency, 16), rate=self.args.fault_rate, faults=plan)
        say(f"fault phase: load done in {took:.1f} s")
        phase = self.check("fault: galera, 2 responders, kills", "galera", results)
        phase["faults"] = faults
        phase["faults_ok"] = len(faults) == 4 and all(ok for ok, _ in faults)
        return phase

    # -------------------------------------------------------------------------------------------- the run

    def run(self):
        load_before = os.getloadavg()
        rates = []
        if self.args.rate_deliveries > 0:
            for target, responders in (("galera", 2), ("galera", 1), ("single", 2), ("single", 1)):
                label = f"{'Galera (3 nodes, HAProxy)' if target == 'galera' else 'single MariaDB'}, " \
                        f"{responders} responder{'s' if responders == 2 else ''}"
                rates.append(self.measure(label, target, responders, self.args.rate_deliveries))
        fault = self.fault_phase() if self.args.fault_seconds > 0 else None
        self.must("use-db", "galera")
        self.must("responders", "2")
        load_after = os.getloadavg()
        return self.summary(rates, fault, load_before, load_after)

    def summary(self, rates, fault, load_before, load_after):
        ok = True
        print()
        print(f"machine: {os.cpu_count()} cores, load average {load_before[0]:.2f} before / {load_after[0]:.2f} "
              f"after (1 min); concurrency {self.args.concurrency}; retries up to {self.args.retry_seconds:.0f} s")
        if rates:
            print()
            print(f"{'configuration':44} {'deliveries/s':>12} {'p50 ms':>8} {'p99 ms':>8}")
            for phase in rates:
                print(f"{phase['name'][6:]:44} {phase['rate']:12.1f} {phase['p50']:8.1f} {phase['p99']:8.1f}")
        print()
        print(f"{'phase':44} {'sent':>5} {'2xx':>5} {'ledger':>6} {'Retail':>6} {'dup':>4} {'lost':>4} "
              f"{'unans':>5} {'retries':>7}")
        for phase in self.phases:
            print(f"{phase['name']:44} {phase['sent']:5} {phase['delivered']:5} {phase['rows']:6} "
                  f"{phase['retail']:6} {phase['duplicates']:4} {phase['lost']:4} {phase['unanswered']:5} "
                  f"{phase['retries']:7}")
            if phase["duplicates"] or phase["lost"] or phase["unanswered"] or phase["unsynced"]:
                ok = False
                print(f"  FAIL: {phase['unsynced']} rows not synced; e.g. {phase['examples']}")
        if fault is not None:
            print()
            for fault_ok, detail in fault["faults"]:
                print(f"fault {'ok    ' if fault_ok else 'FAILED'} {detail}")
            if not fault["faults_ok"]:
                ok = False
                print("FAIL: not every planned fault was applied")
        print()
        print(f"answers: {self.stats.with_prefix('webhook ')}")
        extra = self.stats.with_prefix("prepare: ")
        if extra:
            print(f"preparation problems: {extra}")
        total_dup = sum(p["duplicates"] for p in self.phases)
        total_lost = sum(p["lost"] + p["unanswered"] for p in self.phases)
        print(f"delivered {sum(p['delivered'] for p in self.phases)}, ledger rows {sum(p['rows'] for p in self.phases)}"
              f", rows at Retail {sum(p['retail'] for p in self.phases)}, duplicates {total_dup}, losses {total_lost}")
        return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", required=True)
    parser.add_argument("--env-file", required=True)
    parser.add_argument("--rate-deliveries", type=int, default=600, help="measured deliveries per configuration")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--fault-rate", type=float, default=20, help="deliveries per second in the fault phase")
    parser.add_argument("--fault-seconds", type=float, default=60)
    parser.add_argument("--retry-seconds", type=float, default=120)
    parser.add_argument("--drain-seconds", type=float, default=90)
    parser.add_argument("--uids", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    try:
        ok = ClusterBench(args).run()
    except (RuntimeError, OSError, subprocess.SubprocessError, KeyError, ValueError) as error:
        say(f"error: the cluster bench could not complete: {type(error).__name__}: {error}")
        ok = False
    say("PASSED: no duplicate, no loss" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
