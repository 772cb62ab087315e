"""How fast `ofbridge magento pull` brings Magento's orders in, against the fake Magento on
loopback:

    python3 tests/bench/magento_pull_bench.py [BUILD_DIR] [ORDERS] [PAGE_SIZES]

(defaults build-rel, 10000, "100,300"). The fake runs as a process of its own (input limits
off, no latency), seeded with ORDERS orders of 3 lines (one configurable) over 20 products.
For each page size, a fresh broker data directory and one standalone pull (the first, so every
order is new): orders/s = ORDERS / the command's wall time, and the same for the fake alone (a
Python client doing the same keyed GETs, JSON decoded, nothing stored). Checked: every order
is in the broker (`orders list`), no schema violation.

Everything is on 127.0.0.1; the broker uses its defaults apart from the magento2 store."""

import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-rel")
ORDERS = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
PAGE_SIZES = [int(p) for p in (sys.argv[3] if len(sys.argv) > 3 else "100,300").split(",")]
os.environ.setdefault("OFBRIDGE_BIN", os.path.join(BUILD, "src", "app", "ofbridge"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from broker import Broker  # noqa: E402


def start_fake():
    skus = ["SKU-%02d" % n for n in range(20)]
    orders = [{"items": [{"sku": skus[n % 20], "qty": 2}, {"sku": skus[(n + 7) % 20], "qty": 1},
                         {"sku": "TEE-M", "qty": 1, "parent_sku": "TEE"}]}
              for n in range(ORDERS)]
    seed = {"sources": [{"source_code": "default"}],
            "products": [{"sku": s} for s in skus] + [{"sku": "TEE", "type_id": "configurable"}],
            "orders": orders,
            "admin_users": [{"username": "bench", "password": "pw"}],
            "config": {"input_limits": False}}
    path = tempfile.mktemp(prefix="fake-magento-seed-", suffix=".json")
    with open(path, "w") as f:
        json.dump(seed, f)
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "tests", "fakes", "fake_magento.py"), "--port", "0",
         "--seed-file", path], stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline().split()[1])
    os.unlink(path)
    return proc, port


def fake_alone(port, page_size):
    """The same keyed GETs from Python: what the fake itself can serve."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("POST", "/rest/all/V1/integration/admin/token",
              json.dumps({"username": "bench", "password": "pw"}),
              {"Content-Type": "application/json"})
    token = json.loads(c.getresponse().read())
    headers = {"Authorization": "Bearer " + token}
    started = time.monotonic()
    cursor, read = None, 0
    while True:
        q = {"searchCriteria[filterGroups][0][filters][0][field]": "updated_at",
             "searchCriteria[filterGroups][0][filters][0][value]": "1970-01-01 00:00:00",
             "searchCriteria[filterGroups][0][filters][0][conditionType]": "gteq",
             "searchCriteria[sortOrders][0][field]": "entity_id",
             "searchCriteria[sortOrders][0][direction]": "ASC",
             "searchCriteria[pageSize]": str(page_size), "searchCriteria[currentPage]": "1"}
        if cursor is not None:
            q.update({"searchCriteria[filterGroups][1][filters][0][field]": "entity_id",
                      "searchCriteria[filterGroups][1][filters][0][value]": str(cursor),
                      "searchCriteria[filterGroups][1][filters][0][conditionType]": "gt"})
        c.request("GET", "/rest/all/V1/orders?" + urllib.parse.urlencode(q), headers=headers)
        page = json.loads(c.getresponse().read())
        read += len(page["items"])
        if not page["items"] or len(page["items"]) >= page["total_count"]:
            break
        cursor = page["items"][-1]["entity_id"]
    assert read == ORDERS, read
    return time.monotonic() - started


def fake_state(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/__fake/state")
    return json.loads(c.getresponse().read())


def main():
    proc, port = start_fake()
    try:
        time.sleep(4)  # the seeded orders fall behind the pull's frozen upper bound (now - 3 s)
        print("orders pulled per second, %d orders of 3 lines, fake on 127.0.0.1:%d"
              % (ORDERS, port))
        for page_size in PAGE_SIZES:
            store = ("[stores.default]\ntarget = \"magento2\"\n[stores.default.magento]\n"
                     "base_url = \"http://127.0.0.1:%d/\"\nusername = \"bench\"\n"
                     "password = \"pw\"\npull_page_size = %d\n" % (port, page_size))
            broker = Broker(stores_extra=store)
            try:
                started = time.monotonic()
                result = broker.cli_json("magento", "pull")
                elapsed = time.monotonic() - started
                orders = result["stores"][0]["orders"]
                assert orders["new"] == ORDERS and orders["committed"], orders
                listed = broker.cli_json("orders", "list", "--limit", "0")["orders"]
                assert len(listed) == ORDERS, len(listed)
            finally:
                broker.cleanup()
            alone = fake_alone(port, page_size)
            print("page %4d: broker %7.0f orders/s (%.2f s, %d pages); fake alone %7.0f orders/s"
                  % (page_size, ORDERS / elapsed, elapsed, orders["pages"], ORDERS / alone))
        state = fake_state(port)
        assert not state.get("schema_violations"), state.get("schema_violations")
    finally:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    main()
