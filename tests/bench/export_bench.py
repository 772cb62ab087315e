#!/usr/bin/env python3
"""Export benchmarks (issue 12, DESIGN §8), the broker against a fake OrderFlow on loopback, on a
fresh store each:

    tests/bench/export_bench.py push    BUILD_DIR [N_PRODUCTS] [BATCH_SIZE] [simulator]
    tests/bench/export_bench.py notify  BUILD_DIR [N_PRODUCTS] [CONCURRENCY]
    tests/bench/export_bench.py latency BUILD_DIR [ORDERS_PER_SECOND] [SECONDS]

push: N products and N/2 orders are imported with the CLI, then one `exports run` (push mode)
sends everything in <imports> documents of BATCH_SIZE. notify: the same entities, one
`exports run` in notify mode, CONCURRENCY notifications in flight. Both report entities (or
notifications) per second of the round (wall time of the command, process start included) and
per CPU-second of the broker process, and check what the WMS side counted: every product and
order imported exactly once (push), every entity notified exactly once with action=created
(notify). The WMS side is tests/bench/orderflow_sink.py (answers without a DOM, several
processes); with `simulator` as the last argument of push, the test simulator
(tests/fakes/orderflow_wms.py) instead, for comparison.

latency: `serve` in notify mode with the sink; POST /api/v1/orders one order per request at a
steady ORDERS_PER_SECOND (scheduled on absolute times, one keep-alive connection) for SECONDS;
then, from the store, each order's pending -> queued time (export_items.queued_at minus
pending_since, both written by the broker) as p50/p99/max.
"""

import copy
import datetime
import http.client
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
sys.path.insert(0, HERE)
from orderflow_sink import OrderFlowSink  # noqa: E402

CONFIG = """
[server]
listen = "127.0.0.1:0"
[api]
token = "bench-token"
[stores.default.wms]
api_key = "k"
[stores.default.export]
mode = "{mode}"
endpoint = "{endpoint}"
username = "of-user"
password = "of-pass"
channel = "WEB"
organisation = "ACME"
batch_size = {batch}
timeout_ms = 60000
concurrency = {concurrency}
interval_ms = 1000
"""


class Store:
    def __init__(self, build, endpoint, mode, batch=1000, concurrency=4):
        self.binary = os.path.join(build, "src", "app", "ofbridge")
        self.work = tempfile.mkdtemp(prefix="ofbridge-export-bench-")
        self.data = os.path.join(self.work, "data")
        os.makedirs(self.data, mode=0o700)
        self.config = os.path.join(self.work, "ofbridge.toml")
        with open(self.config, "w") as f:
            f.write(CONFIG.format(mode=mode, endpoint=endpoint, batch=batch,
                                  concurrency=concurrency))

    def cli(self, *args):
        return subprocess.run([self.binary, *args, "--config", self.config, "--data-dir",
                               self.data], check=True, capture_output=True, text=True)

    def cleanup(self):
        if os.environ.get("KEEP"):
            print(self.work)
        else:
            subprocess.run(["rm", "-rf", self.work])


def order_template():
    with open(os.path.join(HERE, "..", "data", "orders", "order_three_lines.json")) as f:
        return json.load(f)


def load(store, count):
    """N products and N/2 orders, imported in documents of 10,000 (the import's bound)."""
    products = [{"sku": "SKU-%07d" % n, "name": "Product %d" % n, "price": 12.5, "status": 1,
                 "weight": 0.4,
                 "custom_attributes": [{"attribute_code": "barcode", "value": "50%011d" % n}]}
                for n in range(count)]
    template = order_template()
    orders = []
    for n in range(count // 2):
        order = copy.deepcopy(template)
        order["increment_id"] = "%09d" % (n + 1)
        order["entity_id"] = n + 1
        orders.append(order)
    for kind, items in (("products", products), ("orders", orders)):
        for start in range(0, len(items), 10000):
            path = os.path.join(store.work, kind + ".json")
            with open(path, "w") as f:
                json.dump({"items": items[start:start + 10000]}, f)
            store.cli(kind, "import", path)
    return ["SKU-%07d" % n for n in range(count)], ["%09d" % (n + 1) for n in range(count // 2)]


def timed_round(store):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = store.cli("exports", "run", "--json")
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(result.stdout), elapsed, cpu


def push(build, count, batch, use_simulator):
    if use_simulator:
        from orderflow_wms import OrderFlowSimulator
        wms = OrderFlowSimulator().start()
    else:
        wms = OrderFlowSink(workers=2).start()
    store = Store(build, wms.endpoint, "push", batch=batch)
    skus, increment_ids = load(store, count)
    summary, elapsed, cpu = timed_round(store)
    total = len(skus) + len(increment_ids)
    assert summary["exported"] == total, summary
    if use_simulator:
        assert len(wms.state.merges) == count and set(wms.state.merges.values()) == {1}
        assert len(wms.state.inserts) == count // 2 and set(wms.state.inserts.values()) == {1}
        wms.stop()
    else:
        imports, _, _, errors = wms.stop()
        assert not errors, errors[:5]
        expected = {("product", s): 1 for s in skus}
        expected.update({("order", i): 1 for i in increment_ids})
        assert dict(imports) == expected, "every entity imported exactly once"
    print("push mode (%s): %d entities (%d products, %d orders) in %d exchanges of %d, %.2f s: "
          "%.0f entities/s; broker CPU %.2f s: %.0f entities per CPU-second"
          % ("simulator" if use_simulator else "sink", total, count, count // 2,
             summary["exchanges"], batch, elapsed, total / elapsed, cpu, total / cpu))
    store.cleanup()


def notify(build, count, concurrency):
    wms = OrderFlowSink(workers=2).start()
    store = Store(build, wms.endpoint, "notify", batch=1000, concurrency=concurrency)
    skus, increment_ids = load(store, count)
    summary, elapsed, cpu = timed_round(store)
    total = len(skus) + len(increment_ids)
    _, notifications, _, errors = wms.stop()
    assert not errors, errors[:5]
    assert summary["queued"] == total, summary
    expected = {("product", s, "created"): 1 for s in skus}
    # Orders are named by Magento's entity_id (the increment_id without its zeros here).
    expected.update({("order", str(int(i)), "created"): 1 for i in increment_ids})
    assert dict(notifications) == expected, "every entity notified exactly once"
    print("notify mode: %d notifications (%d products, %d orders), concurrency %d, %.2f s: "
          "%.0f notifications/s; broker CPU %.2f s: %.0f per CPU-second"
          % (total, count, count // 2, concurrency, elapsed, total / elapsed, cpu, total / cpu))
    store.cleanup()


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")


def latency(build, rate, seconds):
    wms = OrderFlowSink(workers=2).start()
    store = Store(build, wms.endpoint, "notify", batch=100, concurrency=4)
    broker = subprocess.Popen([store.binary, "serve", "--config", store.config, "--data-dir",
                               store.data], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    host, port = broker.stdout.readline().decode().split()[-1].rsplit(":", 1)
    template = order_template()
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    total = int(rate * seconds)
    started = time.monotonic()
    late = 0
    for n in range(total):
        due = started + n / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        elif now - due > 0.1:
            late += 1
        order = copy.deepcopy(template)
        order["increment_id"] = "%09d" % (n + 1)
        order["entity_id"] = n + 1
        connection.request("POST", "/api/v1/orders", json.dumps(order),
                           {"Authorization": "Bearer bench-token",
                            "Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
    sent_for = time.monotonic() - started
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(store.data, "ofbridge.db"), uri=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        queued = db.execute("SELECT count(*) FROM export_items WHERE entity = 'order'"
                            " AND status = 'queued'").fetchone()[0]
        if queued == total:
            break
        time.sleep(0.1)
    rows = db.execute("SELECT pending_since, queued_at FROM export_items"
                      " WHERE entity = 'order' AND status = 'queued'").fetchall()
    db.close()
    broker.terminate()
    broker.wait(30)
    _, notifications, _, errors = wms.stop()
    assert not errors, errors[:5]
    assert len(rows) == total, (len(rows), total)
    assert len(notifications) == total and set(notifications.values()) == {1}
    delays = sorted((parse_time(q) - parse_time(p)).total_seconds() * 1000 for p, q in rows)
    pick = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]  # noqa: E731
    print("pending -> queued at %.0f orders/s for %.1f s (%d orders, %d sent over 100 ms late): "
          "p50 %.0f ms, p99 %.0f ms, max %.0f ms"
          % (total / sent_for, sent_for, total, late, pick(0.5), pick(0.99), delays[-1]))
    store.cleanup()


def main():
    args = sys.argv[1:]
    mode = args.pop(0) if args and args[0] in ("push", "notify", "latency") else "push"
    build = args[0] if args else "build-rel"
    if mode == "push":
        push(build, int(args[1]) if len(args) > 1 else 20000,
             int(args[2]) if len(args) > 2 else 1000, len(args) > 3 and args[3] == "simulator")
    elif mode == "notify":
        notify(build, int(args[1]) if len(args) > 1 else 20000,
               int(args[2]) if len(args) > 2 else 8)
    else:
        latency(build, float(args[1]) if len(args) > 1 else 100.0,
                float(args[2]) if len(args) > 2 else 20.0)


if __name__ == "__main__":
    main()
