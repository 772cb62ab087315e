#!/usr/bin/env python3
"""Push-mode export benchmark (issue 12): `ofbridge exports run` against the OrderFlow
simulator (tests/fakes/orderflow_wms.py, no faults) on loopback, on a fresh store.

For N products and N/2 orders: the products and orders are imported with the CLI, then one
`exports run` sends everything; reported are entities/s for the round (wall time of the
command, process start included) and per CPU-second of the broker process (the machine is
shared: wall time moves with its load), exchanges, and a check that the simulator holds every product
once and inserted every order exactly once. The simulator is Python (one thread per
connection, ElementTree parsing): on the shared 2-core VM it competes with the broker for the
CPU, so the figure is a lower bound of the broker's own rate.

    tests/bench/export_bench.py BUILD_DIR [N_PRODUCTS] [BATCH_SIZE]
"""

import copy
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
from orderflow_wms import OrderFlowSimulator  # noqa: E402

CONFIG = """
[server]
listen = "127.0.0.1:0"
[stores.default.wms]
api_key = "k"
[stores.default.export]
mode = "push"
endpoint = "{endpoint}"
username = "of-user"
password = "of-pass"
channel = "WEB"
organisation = "ACME"
batch_size = {batch}
timeout_ms = 60000
"""


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build-rel"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    binary = os.path.join(build, "src", "app", "ofbridge")
    wms = OrderFlowSimulator().start()
    work = tempfile.mkdtemp(prefix="ofbridge-export-bench-")
    data = os.path.join(work, "data")
    os.makedirs(data, mode=0o700)
    config = os.path.join(work, "ofbridge.toml")
    with open(config, "w") as f:
        f.write(CONFIG.format(endpoint=wms.endpoint, batch=batch))

    def cli(*args):
        return subprocess.run([binary, *args, "--config", config, "--data-dir", data],
                              check=True, capture_output=True, text=True)

    products = {"items": [{"sku": "SKU-%07d" % n, "name": "Product %d" % n, "price": 12.5,
                           "status": 1, "weight": 0.4,
                           "custom_attributes": [{"attribute_code": "barcode",
                                                  "value": "50%011d" % n}]}
                          for n in range(count)]}
    for start in range(0, count, 10000):  # the import's per-document bound
        with open(os.path.join(work, "products.json"), "w") as f:
            json.dump({"items": products["items"][start:start + 10000]}, f)
        cli("products", "import", os.path.join(work, "products.json"))
    with open(os.path.join(HERE, "..", "data", "orders", "order_three_lines.json")) as f:
        template = json.load(f)
    orders = []
    for n in range(count // 2):
        order = copy.deepcopy(template)
        order["increment_id"] = "%09d" % (n + 1)
        order["entity_id"] = n + 1
        orders.append(order)
    for start in range(0, len(orders), 10000):  # the import's per-document bound
        with open(os.path.join(work, "orders.json"), "w") as f:
            json.dump({"items": orders[start:start + 10000]}, f)
        cli("orders", "import", os.path.join(work, "orders.json"))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = cli("exports", "run", "--json")
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = json.loads(result.stdout)
    total = count + count // 2
    assert summary["exported"] == total, summary
    assert len(wms.state.merges) == count and set(wms.state.merges.values()) == {1}
    assert len(wms.state.inserts) == count // 2 and set(wms.state.inserts.values()) == {1}
    print("push mode: %d entities (%d products, %d orders) in %d exchanges of %d, %.2f s: "
          "%.0f entities/s; broker CPU %.2f s: %.0f entities per CPU-second"
          % (total, count, count // 2, summary["exchanges"], batch, elapsed, total / elapsed,
             cpu, total / cpu))
    wms.stop()
    if not os.environ.get("KEEP"): subprocess.run(["rm", "-rf", work])
    else: print(work)


if __name__ == "__main__":
    main()
