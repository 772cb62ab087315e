"""How long a sequential sender's acks wait while the worker applies 10,000-line messages
(issue 11: a big apply must not delay acks by more than a few milliseconds):

    python3 tests/bench/big_apply_bench.py [BUILD_DIR] [SECONDS] [BIG_MESSAGES]

(defaults build-rel, 10, 5). One broker on its defaults (durable acks, one worker), one
connection sending 1-line REST inventory messages one after the other for SECONDS, measured
twice: alone, and with BIG_MESSAGES messages of 10,000 lines (10,000 keys) posted from a second
connection, spread over the window. Prints the 1-line acks' p50 / p99 / max latency of both
windows. Checked: every message is applied and every big message's report has its 10,000
lines.

Everything is on 127.0.0.1."""

import json
import os
import sqlite3
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-rel")
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
BIG_MESSAGES = int(sys.argv[3]) if len(sys.argv) > 3 else 5
os.environ.setdefault("OFBRIDGE_BIN", os.path.join(BUILD, "src", "app", "ofbridge"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from broker import Broker  # noqa: E402
from inventory_history import rest_body  # noqa: E402

PATH = "/rest/default/V1/orderflow/inventory"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def small_sender(broker, first_seq, seconds):
    """1-line messages one after the other; returns each ack's latency in ms."""
    latencies, seq = [], first_seq
    connection = broker.connection()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = json.dumps(rest_body(seq, [{"sku": "SMALL", "source": "default", "qty": 1,
                                           "seq": seq}])).encode()
        started = time.monotonic()
        connection.request("POST", PATH, body, {"Content-Type": "application/json",
                                                "Authorization": "Bearer m2-integration-token"})
        response = connection.getresponse()
        response.read()
        latencies.append((time.monotonic() - started) * 1000)
        if response.status != 200:
            raise RuntimeError("1-line message refused: %d" % response.status)
        seq += 1
    connection.close()
    return latencies, seq


def big_sender(broker, count, seconds, first_seq):
    connection = broker.connection(timeout=60)
    for n in range(count):
        time.sleep(seconds / (count + 1))
        lines = [{"sku": "BIG-%05d" % k, "source": "default", "qty": k % 50, "seq": first_seq + n}
                 for k in range(10000)]
        connection.request("POST", PATH, json.dumps(rest_body(first_seq + n, lines)).encode(),
                           {"Content-Type": "application/json",
                            "Authorization": "Bearer m2-integration-token"})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError("10,000-line message refused: %d" % response.status)
    connection.close()


def wait_applied(broker):
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        rows = broker.cli_json("requests", "list", "--limit", "0")["requests"]
        if rows and all(r["state"] == "done" for r in rows):
            return
        time.sleep(0.2)
    raise RuntimeError("not applied within 10 minutes")


def big_report_lines(broker):
    """The import lines of every 10,000-line request's report(s)."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(broker.data_dir, "ofbridge.db"),
                         uri=True)
    try:
        return [n for (n,) in db.execute(
            "SELECT (SELECT count(*) FROM import_lines l JOIN import_reports r"
            " ON r.id = l.report_id WHERE r.request_id = q.id)"
            " FROM requests q WHERE q.line_count = 10000").fetchall()]
    finally:
        db.close()


def main():
    with Broker(log_level="warn") as broker:
        alone, seq = small_sender(broker, 1, SECONDS)
        big = threading.Thread(target=big_sender, args=(broker, BIG_MESSAGES, SECONDS, 1))
        big.start()
        during, _ = small_sender(broker, seq, SECONDS)
        big.join()
        wait_applied(broker)
        big_lines = big_report_lines(broker)
    print("1-line acks, one connection:        n     p50 ms   p99 ms   max ms")
    for name, values in (("alone", alone), ("during 10,000-line applies", during)):
        print("  %-30s %6d %9.2f %8.2f %8.2f" % (name, len(values), percentile(values, 0.5),
                                                  percentile(values, 0.99), max(values)))
    print("10,000-line messages applied: %d, lines in their reports: %s"
          % (len(big_lines), sorted(set(big_lines))))
    if len(big_lines) != BIG_MESSAGES or any(n != 10000 for n in big_lines):
        raise SystemExit("a 10,000-line message was not applied whole")


if __name__ == "__main__":
    main()
