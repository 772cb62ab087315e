"""Export to the WMS, push mode, end to end: the real broker against the OrderFlow simulator
(tests/fakes/orderflow_wms.py) on loopback.

- 1,000 products and 500 orders with 10 % injected faults (every error form, slow replies,
  dropped connections) and one SKU the WMS always refuses; the broker is killed with SIGKILL in
  the middle of the export and restarted: every product reaches the WMS, every order is inserted
  exactly once, the refused SKU ends `failed` with the WMS's message, and nothing else does;
  other batches went out between its attempts (not starved).
- A product changed while its export is in flight is exported again with the new content.
- Cancellation: an exported order that is cancelled reaches cancel.xml; an order never sent
  becomes `cancelled` without any call.
- The export log masks the Basic credentials.
- An https endpoint is verified: trusted through tls_ca_file it works, untrusted it is refused.
- An import by another process wakes the exporter (long before interval_ms).
- SIGTERM does not wait for a stalled WMS: the exchange in flight is aborted (sent again later).
"""

import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))

from broker import Broker, DATA  # noqa: E402
from orderflow_wms import OrderFlowSimulator  # noqa: E402

EXPORT_CONFIG = """
[stores.default.export]
mode = "push"
endpoint = "{endpoint}"
username = "of-user"
password = "of-pass"
channel = "WEB"
organisation = "ACME"
batch_size = {batch_size}
interval_ms = {interval_ms}
timeout_ms = {timeout_ms}
tls_ca_file = "{tls_ca_file}"
max_attempts = {max_attempts}
retry_base_ms = 20
retry_max_ms = 100
"""


def write_json(workdir, name, document):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        json.dump(document, f)
    return path


def product(sku, name):
    return {"sku": sku, "name": name, "price": 12.5, "status": 1, "type_id": "simple",
            "weight": 0.4, "updated_at": "2026-03-01 10:00:00",
            "custom_attributes": [{"attribute_code": "barcode", "value": "50" + sku[-6:]}]}


def orders(count, first=1, state="processing"):
    with open(os.path.join(DATA, "orders", "order_three_lines.json")) as f:
        template = json.load(f)
    items = []
    for n in range(first, first + count):
        order = copy.deepcopy(template)
        order["increment_id"] = "%09d" % (100000 + n)
        order["entity_id"] = 100000 + n
        order["state"] = state
        order["status"] = state
        items.append(order)
    return {"items": items}


def wait_for(condition, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class ExportTest(unittest.TestCase):
    def start(self, timeout_ms=2000, batch_size=100, tls_ca_file="", interval_ms=50,
              max_attempts=8, **simulator):
        self.wms = OrderFlowSimulator(**simulator).start()
        self.addCleanup(self.wms.stop)
        self.broker = Broker(stores_extra=EXPORT_CONFIG.format(endpoint=self.wms.endpoint,
                                                               timeout_ms=timeout_ms,
                                                               batch_size=batch_size,
                                                               tls_ca_file=tls_ca_file,
                                                               interval_ms=interval_ms,
                                                               max_attempts=max_attempts))
        self.addCleanup(self.broker.cleanup)
        os.makedirs(self.broker.data_dir, mode=0o700)  # the catalog is loaded before the start
        return self.broker

    def self_signed_certificate(self):
        """A certificate for localhost and its key (PEM files, removed after the test)."""
        work = tempfile.mkdtemp(prefix="ofbridge-tls-")
        self.addCleanup(shutil.rmtree, work, True)
        cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        return cert, key

    def statuses(self, entity):
        rows = self.broker.cli_json(*(("products", "list") if entity == "product"
                                      else ("orders", "list", "--export-status", "pending")),
                                    "--limit", "0")
        return rows

    def count(self, entity, status):
        if entity == "product":
            rows = self.broker.cli_json("products", "list", "--export-status", status,
                                        "--limit", "0")
        else:
            rows = self.broker.cli_json("orders", "list", "--export-status", status,
                                        "--limit", "0")
        return len(rows)

    def test_push_with_faults_and_a_crash_loses_nothing_and_doubles_nothing(self):
        # Faults roll per exchange and a failed exchange is a failed attempt for each of its 20
        # entities, so with 4 attempts some batch of the 75 would end failed about one run in a
        # hundred (75 x 0.1^4); start() allows 8 (75 x 0.1^8). The refused SKU still shows that
        # failures are retried, each attempt counted, until max_attempts.
        broker = self.start(timeout_ms=500, batch_size=20, fault_rate=0.1, seed=7, fail_skus=["SKU-000013"],
                            slow_seconds=0.8)
        products = {"items": [product("SKU-%06d" % n, "Product %d" % n) for n in range(1000)]}
        broker.cli("products", "import", write_json(broker.workdir, "products.json", products))
        broker.cli("orders", "import", write_json(broker.workdir, "orders.json", orders(500)))
        broker.start()
        try:
            # Kill it in the middle: some of the export done, not all.
            wait_for(lambda: len(self.wms.state.merges) >= 300, what="300 products at the WMS")
            broker.kill()
            at_kill = len(self.wms.state.merges) + len(self.wms.state.inserts)
            self.assertLess(at_kill, 1499, "killed in the middle of the export")
            broker.start()
            wait_for(lambda: self.count("product", "pending") == 0 and
                     self.count("order", "pending") == 0, timeout=90,
                     what="nothing pending")
        finally:
            broker.stop()
        state = self.wms.state
        self.assertEqual(len(state.merges), 999, "every product but the refused one")
        self.assertNotIn("SKU-000013", state.merges)
        self.assertEqual(len(state.inserts), 500)
        self.assertEqual(set(state.inserts.values()), {1}, "no order inserted twice")
        self.assertGreater(sum(state.faults.values()), 0, state.faults)
        if os.environ.get("OFBRIDGE_E2E_VERBOSE"):
            print("at kill: %d; faults: %s; duplicates: %d" % (
                at_kill, state.faults, sum(state.duplicates.values())), file=sys.stderr)
        self.assertEqual(self.count("product", "exported"), 999)
        self.assertEqual(self.count("order", "exported"), 500)
        failed = broker.cli_json("products", "get", "SKU-000013")
        self.assertEqual(failed["export"]["export_status"], "failed")
        self.assertEqual(failed["export"]["attempts"], 8, "max_attempts attempts")
        self.assertNotEqual(failed["export"]["last_error"], "")
        # The export log: one header per exchange, a line per entity with the WMS's message, raw
        # bodies with the credentials masked.
        runs = broker.cli_json("exports", "list", "--limit", "0")
        refused, refused_runs = [], []
        for run in runs:
            if run["failures"] and not run["error"]:
                lines = [line for line in broker.cli_json("exports", "show",
                                                          str(run["id"]))["lines"]
                         if line["result"] == "Failure"]
                refused += lines
                refused_runs += [run["id"]] if lines else []
        self.assertTrue(refused)
        self.assertEqual({(line["reference"], line["message"]) for line in refused},
                         {("SKU-000013", "Invalid barcode: barcode must be 13 digits")})
        # Not starved: batches of other entities went out between its first and last attempt.
        self.assertTrue([r for r in runs if min(refused_runs) < r["id"] < max(refused_runs)
                         and r["successes"] and r["id"] not in refused_runs],
                        "others were exported while the refused SKU waited its backoff")
        self.assertGreater(len(runs), 15)
        self.assertTrue(any(r["error"] for r in runs), "failed exchanges are logged")
        shown = broker.cli_json("exports", "show", str(runs[-1]["id"]))
        self.assertIn("Authorization: Basic ***", shown["request"])
        self.assertNotIn("of-pass", json.dumps(runs) + json.dumps(shown))
        self.assertNotIn(b"b2YtdXNlcjpvZi1wYXNz", broker.cli("exports", "show",
                                                             str(runs[-1]["id"])).stdout)

    def test_product_changed_in_flight_is_exported_again(self):
        broker = self.start()
        self.wms.hold_sku = "HELD-1"
        broker.cli("products", "import",
                   write_json(broker.workdir, "p1.json", product("HELD-1", "First name")))
        broker.start()
        try:
            self.assertTrue(self.wms.held.wait(30), "the batch reached the WMS")
            broker.cli("products", "import",
                       write_json(broker.workdir, "p2.json", product("HELD-1", "Second name")))
            self.wms.release.set()
            wait_for(lambda: self.wms.state.merges.get("HELD-1") == 2, what="a second merge")
            wait_for(lambda: broker.cli_json("products", "get", "HELD-1")["export"]
                     ["export_status"] == "exported", what="exported")
        finally:
            broker.stop()
        self.assertEqual(self.wms.state.products["HELD-1"]["description"], "Second name")

    def test_an_import_wakes_the_exporter_before_its_interval(self):
        broker = self.start(interval_ms=600000)
        broker.start()
        try:
            broker.cli("products", "import",
                       write_json(broker.workdir, "p.json", product("WAKE-1", "x")))
            wait_for(lambda: self.wms.state.merges.get("WAKE-1") == 1, timeout=10,
                     what="the export of a product imported by another process")
        finally:
            broker.stop()

    def test_stop_does_not_wait_for_a_stalled_wms(self):
        broker = self.start(timeout_ms=30000)
        self.wms.hold_sku = "STALL-1"
        broker.cli("products", "import",
                   write_json(broker.workdir, "p.json", product("STALL-1", "Stalled")))
        broker.start()
        self.assertTrue(self.wms.held.wait(30), "the batch reached the WMS")
        started = time.monotonic()
        self.assertEqual(broker.stop(timeout=10), 0)
        self.assertLess(time.monotonic() - started, 5, "SIGTERM aborts the exchange in flight")
        self.wms.release.set()
        state = broker.cli_json("products", "get", "STALL-1")["export"]
        self.assertEqual((state["export_status"], state["attempts"]), ("pending", 0),
                         "an aborted exchange is no failed attempt; sent again at the next start")

    def test_https_endpoint_is_verified(self):
        cert, key = self.self_signed_certificate()
        # Trusted through tls_ca_file: exported.
        broker = self.start(tls_ca_file=cert, tls_cert=cert, tls_key=key)
        broker.cli("products", "import", write_json(broker.workdir, "p.json", product("TLS-1", "x")))
        self.assertIn('"exported":1', broker.cli("exports", "run", "--json").stdout.decode())
        self.assertEqual(self.wms.state.merges, {"TLS-1": 1})

    def test_https_endpoint_with_an_untrusted_certificate_is_refused(self):
        cert, key = self.self_signed_certificate()
        broker = self.start(tls_cert=cert, tls_key=key)  # system CA store: not trusted
        broker.cli("products", "import", write_json(broker.workdir, "p.json", product("TLS-1", "x")))
        result = broker.cli("exports", "run", "--json", check=False)
        self.assertEqual(result.returncode, 5, result.stderr)
        self.assertEqual(self.wms.state.merges, {})
        run = broker.cli_json("exports", "list")[0]
        self.assertIn("TLS handshake", run["error"])
        self.assertIn("certificate verify failed", run["error"])

    def test_cancellation_only_for_orders_the_wms_has(self):
        broker = self.start()
        broker.cli("orders", "import", write_json(broker.workdir, "o1.json", orders(1)))
        # Not exportable (status pending): never sent.
        broker.cli("orders", "import",
                   write_json(broker.workdir, "o2.json", orders(1, first=2, state="new")))
        broker.start()
        try:
            wait_for(lambda: self.count("order", "exported") == 1, what="the order exported")
            broker.cli("orders", "import",
                       write_json(broker.workdir, "o3.json", orders(1, state="canceled")))
            broker.cli("orders", "import",
                       write_json(broker.workdir, "o4.json", orders(1, first=2,
                                                                    state="canceled")))
            wait_for(lambda: self.wms.state.cancels.get("000100001") == 1, what="cancel.xml")
            wait_for(lambda: self.count("order", "cancelled") == 1, what="cancelled locally")
        finally:
            broker.stop()
        self.assertEqual(self.wms.state.refused_cancels, [])
        self.assertNotIn("000100002", self.wms.state.orders)
        cancelled = broker.cli_json("orders", "list", "--export-status", "exported")
        self.assertEqual(cancelled[0]["cancel_state"], "sent")
        cancel_runs = [r for r in broker.cli_json("exports", "list") if r["operation"] == "cancel"]
        self.assertEqual(len(cancel_runs), 1)
        shown = broker.cli_json("exports", "show", str(cancel_runs[0]["id"]))
        self.assertEqual([(l["reference"], l["result"]) for l in shown["lines"]],
                         [("000100001", "Success")])
        self.assertIn("cancel.xml?externalReference=000100001", shown["url"])


if __name__ == "__main__":
    unittest.main()
