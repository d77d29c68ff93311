#!/usr/bin/env python3
"""Helpers for bench/sync (standard library only).

  sql RUN COUNT                  print INSERTs of COUNT due tn_payments rows (distinct payment ids and customers)
  customers RETAIL_URL RUN COUNT create the bench customers at Retail over one keep-alive connection
                                 (RETAIL_API_KEY from the environment)
  count CONTROL_URL RUN          print this run's transactions at Retail, their received pushes, all Retail calls
"""
import http.client
import json
import os
import sys
import urllib.parse


def sql(run, count):
    print("SET autocommit = 0;")
    batch = []
    for i in range(1, count + 1):
        batch.append(
            "('bench-%s-%d', 'bench-user-%s-%d', 'stripe', %d, UTC_TIMESTAMP(6) - INTERVAL 10 MINUTE, "
            "UTC_TIMESTAMP(6) - INTERVAL 5 MINUTE)" % (run, i, run, i, 500 + i % 1000)
        )
        if len(batch) == 1000 or i == count:
            print(
                "INSERT INTO tn_payments (payment_id, uid, gateway, amount, created_at, next_sync_at) VALUES\n"
                + ",\n".join(batch)
                + ";"
            )
            batch = []
    print("COMMIT;")


def connect(url):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http":
        sys.exit("bench/sync: only plain-http sandbox URLs are supported: %s" % url)
    return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10), parts.path.rstrip("/")


def customers(retail_url, run, count):
    key = os.environ.get("RETAIL_API_KEY", "")
    conn, base = connect(retail_url)
    for i in range(1, count + 1):
        body = json.dumps({"customer_id": "bench-user-%s-%d" % (run, i)})
        conn.request("POST", base + "/m/customer", body=body,
                     headers={"X-Api-Key": key, "Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status not in (200, 201, 409):
            sys.exit("bench/sync: creating customer %d answered HTTP %d" % (i, response.status))
    conn.close()


def count(control_url, run):
    """Prints: this run's transactions at Retail, how many pushes of them Retail received, all Retail calls so far."""
    conn, base = connect(control_url)
    conn.request("GET", base + "/control/retail/transactions")
    response = conn.getresponse()
    if response.status != 200:
        sys.exit("bench/sync: GET /control/retail/transactions answered HTTP %d" % response.status)
    data = json.loads(response.read())
    prefix = "bench-%s-" % run
    mine = [t for t in data.get("transactions", []) if str(t.get("transaction_id", "")).startswith(prefix)]
    received = sum(int(t.get("received_count", 1)) for t in mine)
    print("%d %d %d" % (len(mine), received, int(data.get("attempts", 0))))


def main(argv):
    if len(argv) >= 4 and argv[1] == "sql":
        sql(argv[2], int(argv[3]))
    elif len(argv) >= 5 and argv[1] == "customers":
        customers(argv[2], argv[3], int(argv[4]))
    elif len(argv) >= 4 and argv[1] == "count":
        count(argv[2], argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
