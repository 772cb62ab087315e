"""/metrics on the admin listener, parsed by a real Prometheus text parser (Debian's
python3-prometheus-client): the ingest counters match what was sent (received, acked, re-delivered,
rejected by reason), the ack and fsync histograms count every ack and fsync, the workers' lines
match the lines sent, the gauges (queue by state, WAL size) and the writer's counters are there,
and a reprocess from the console counts as the workers' applies do. Then retention on the same
store beside the running broker: `ofbridge prune --dry-run` counts what `ofbridge prune` then
deletes, and nothing of a dead request goes. The export counters against the OrderFlow simulator
and the Magento delivery counters against the fake Magento (tests/fakes), with the dashboard's
export queue and Magento delivery tables."""

import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))

from admin_http import console_address, scrape  # noqa: E402
from broker import BINARY, Broker, m1_inventory  # noqa: E402
from fake_magento import FakeMagento  # noqa: E402
from orderflow_wms import OrderFlowSimulator  # noqa: E402
from test_worker import wait_until  # noqa: E402

PASSWORD = "metrics test password"


def total(samples, name, **labels):
    """The sum of a counter's series whose labels include `labels`."""
    return sum(v for (n, l), v in samples.items()
               if n == name and all(dict(l).get(k) == w for k, w in labels.items()))


class Console:
    """A logged-in console client over plain HTTP (the browser tests are in test_console.py)."""

    def __init__(self, broker, admin):
        subprocess.run([BINARY, "admin", "user", "add", "bob", "--config", broker.config_path,
                        "--data-dir", broker.data_dir], input=(PASSWORD + "\n").encode(),
                       check=True, capture_output=True, timeout=60)
        self.admin = admin
        self.origin = "http://" + admin
        status, headers, _ = self.request("POST", "/login", urllib.parse.urlencode(
            {"user": "bob", "password": PASSWORD}),
            {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 303, status
        self.cookie = headers["Set-Cookie"].split(";")[0]

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(*self.admin.rsplit(":", 1), timeout=30)
        try:
            headers = dict(headers or {}, Origin=self.origin)
            if hasattr(self, "cookie"):
                headers["Cookie"] = self.cookie
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            conn.close()

    def page(self, path):
        status, _, body = self.request("GET", path)
        assert status == 200, (path, status)
        return body

    def reprocess(self, request_id):
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', self.page("/")).group(1)
        status, _, _ = self.request("POST", "/requests/%d/reprocess" % request_id,
                                    "csrf=" + csrf,
                                    {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 303, status


class MetricsTest(unittest.TestCase):
    def setUp(self):
        self.broker = Broker(admin='listen = "127.0.0.1:0"')
        self.start()

    def tearDown(self):
        self.broker.stop()
        self.broker.cleanup()

    def start(self):
        starts = len(re.findall(r"admin console on (\S+)", self.broker.logs())) \
            if os.path.exists(self.broker.log_path) else 0
        self.broker.start()
        self.admin = console_address(self.broker, starts)

    def samples(self):
        return scrape(self.admin)

    def test_counters_match_what_was_sent_then_prune(self):
        session = self.broker.login()
        for n in range(1, 6):  # five messages of two lines
            status, _, body = self.broker.soap(
                m1_inventory(session, 100 + n, [("M-%d" % n, n, n), ("N-%d" % n, n, n)]))
            self.assertEqual(status, 200, body)
        status, _, body = self.broker.soap(m1_inventory(session, 101, [("M-1", 1, 1), ("N-1", 1, 1)]))
        self.assertEqual(status, 200, body)  # a re-delivery: answered from the store
        status, _, _ = self.broker.soap(m1_inventory("no-such-session", 200, [("X", 1, 1)]))
        self.assertEqual(status, 500)
        status, _ = self.broker.rest("/rest/default/V1/orderflow/inventory", {
            "productQtys": [{"sku": "TAB\tX", "qty": 1}],
            "productSeqs": [{"sku": "TAB\tX", "seq": 1}], "messageSeqId": 300})
        self.assertEqual(status, 400)

        inventory = (("entity", "inventory"),)
        wait_until(lambda: self.samples().get(
            ("ofbridge_worker_lines_total", (("result", "Success"),))) == 10,
            what="ten lines applied")
        s = self.samples()
        self.assertEqual(s[("ofbridge_requests_received_total", inventory)], 8)
        self.assertEqual(s[("ofbridge_requests_acked_total",
                            (("entity", "inventory"), ("redelivery", "false")))], 5)
        self.assertEqual(s[("ofbridge_requests_acked_total",
                            (("entity", "inventory"), ("redelivery", "true")))], 1)
        self.assertEqual(s[("ofbridge_requests_rejected_total",
                            (("entity", "inventory"), ("reason", "session_expired")))], 1)
        self.assertEqual(s[("ofbridge_requests_rejected_total",
                            (("entity", "inventory"), ("reason", "invalid")))], 1)
        self.assertEqual(s[("ofbridge_ack_latency_seconds_count", inventory)], 6)
        self.assertEqual(s[("ofbridge_ack_latency_seconds_bucket",
                            (("entity", "inventory"), ("le", "+Inf")))], 6)
        self.assertGreater(s[("ofbridge_ack_latency_seconds_sum", inventory)], 0)
        self.assertGreaterEqual(s[("ofbridge_wal_fsync_seconds_count", ())], 1)
        self.assertEqual(s[("ofbridge_worker_requests_total", (("outcome", "done"),))], 5)
        self.assertEqual(s[("ofbridge_retention_passes_total", ())], 0)
        self.assertEqual(s[("ofbridge_retention_deleted_total", (("kind", "request_bodies"),))], 0)
        # Gauges read at the scrape and the writer's counters.
        self.assertEqual(s[("ofbridge_queue_requests", (("state", "pending"),))], 0)
        self.assertEqual(s[("ofbridge_queue_requests", (("state", "dead"),))], 0)
        self.assertIn(("ofbridge_queue_oldest_pending_seconds", ()), s)
        self.assertGreater(s[("ofbridge_wal_bytes", ())], 0)
        self.assertGreaterEqual(s[("ofbridge_writer_commits_total", ())], 5)
        self.assertGreaterEqual(s[("ofbridge_writer_syncs_total", ())], 1)
        self.assertEqual(s[("ofbridge_writer_failed_jobs_total", ())], 0)

        # A reprocess from the console counts as the workers' applies: one more request done,
        # its two lines Duplicate (applied before).
        Console(self.broker, self.admin).reprocess(3)
        s = self.samples()
        self.assertEqual(s[("ofbridge_worker_requests_total", (("outcome", "done"),))], 6)
        self.assertEqual(s[("ofbridge_worker_lines_total", (("result", "Duplicate"),))], 2)
        self.assertEqual(s[("ofbridge_worker_lines_total", (("result", "Success"),))], 10)

        # Age everything by a year; request 2 is dead (its body and report must stay).
        self.broker.stop()
        with sqlite3.connect(os.path.join(self.broker.data_dir, "ofbridge.db")) as db:
            db.execute("UPDATE requests SET received_at = '2000-01-01T00:00:00.000Z'")
            db.execute("UPDATE import_reports SET created_at = '2000-01-01T00:00:00.000Z'")
            db.execute("UPDATE requests SET state = 'dead' WHERE id = 2")
        self.start()
        # Request 3 has two reports (applied, then reprocessed above).
        dry = self.broker.cli_json("prune", "--dry-run")
        self.assertEqual((dry["bodies"], dry["import_reports"], dry["import_lines"]), (4, 5, 10))
        done = self.broker.cli_json("prune")
        self.assertEqual((done["bodies"], done["import_reports"], done["import_lines"]), (4, 5, 10))
        self.assertTrue(done["incremental_vacuum"])
        again = self.broker.cli_json("prune")
        self.assertEqual(again["bodies"] + again["import_reports"], 0)
        request = self.broker.cli_json("requests", "show", "2")
        self.assertIn("orderflowInventoryMultiUpdate", request["raw_body"])
        self.assertEqual(len(self.broker.cli_json("requests", "list", "--limit", "0")["requests"]), 5)


class ExportAndMagentoMetricsTest(unittest.TestCase):
    def test_export_counters_and_the_dashboards_export_queue(self):
        wms = OrderFlowSimulator().start()
        self.addCleanup(wms.stop)
        broker = Broker(admin='listen = "127.0.0.1:0"', stores_extra="""
[stores.default.export]
mode = "push"
endpoint = "%s"
username = "of-user"
password = "of-pass"
channel = "WEB"
organisation = "ACME"
interval_ms = 50
""" % wms.endpoint)
        self.addCleanup(broker.cleanup)
        os.makedirs(broker.data_dir, mode=0o700)
        products = {"items": [
            {"sku": "EXP-%d" % n, "name": "Product %d" % n, "price": 12.5, "status": 1,
             "type_id": "simple", "weight": 0.4, "updated_at": "2026-03-01 10:00:00"}
            for n in range(3)]}
        path = os.path.join(broker.workdir, "products.json")
        with open(path, "w") as f:
            json.dump(products, f)
        broker.cli("products", "import", path)
        broker.start()
        self.addCleanup(broker.stop)
        admin = console_address(broker)
        wait_until(lambda: total(scrape(admin), "ofbridge_export_entities_total",
                                 entity="product", result="Success") == 3,
                   what="three products exported")
        s = scrape(admin)
        self.assertGreaterEqual(total(s, "ofbridge_export_exchanges_total", entity="product",
                                      result="ok"), 1)
        self.assertEqual(total(s, "ofbridge_export_exchanges_total", result="failed"), 0)
        dashboard = Console(broker, admin).page("/")
        self.assertIn('id="export-queue"', dashboard)
        row = re.search(r"<tr><td>product</td>((?:<td>\d+</td>)+)</tr>", dashboard).group(1)
        # pending, queued, exported, failed, cancelled
        self.assertEqual(re.findall(r"\d+", row), ["0", "0", "3", "0", "0"])
        self.assertNotIn("failed export", dashboard)

    def test_magento_counters_and_the_dashboards_delivery_state(self):
        fake = FakeMagento(seed=3).start()
        self.addCleanup(fake.stop)
        fake.add_source("default")
        fake.create_admin_user("ofbridge", "admin-secret")
        broker = Broker(admin='listen = "127.0.0.1:0"', stores_extra=(
            "[stores.default]\ntarget = \"magento2\"\n[stores.default.magento]\n"
            "base_url = \"%s\"\nusername = \"ofbridge\"\npassword = \"admin-secret\"\n"
            "timeout_ms = 2000\nretry_base_ms = 20\nretry_max_ms = 300\n" % fake.base_url))
        self.addCleanup(broker.cleanup)
        broker.start()
        self.addCleanup(broker.stop)
        admin = console_address(broker)
        session = broker.login()
        status, _, body = broker.soap(m1_inventory(session, 1, [("MAG-1", 4, 1), ("MAG-2", 5, 1)]))
        self.assertEqual(status, 200, body)
        wait_until(lambda: total(scrape(admin), "ofbridge_magento_deliveries_total",
                                 kind="stock", outcome="delivered") >= 1,
                   what="stock delivered to Magento")
        s = scrape(admin)
        self.assertGreaterEqual(total(s, "ofbridge_magento_calls_total"), 1)
        self.assertIn(("ofbridge_magento_retries_total", ()), s)
        self.assertEqual(total(s, "ofbridge_magento_deliveries_total", outcome="failed"), 0)
        wait_until(lambda: not broker.cli_json("outbox", "list", "--state", "waiting",
                                               "--limit", "0")["outbox"],
                   what="nothing waiting")
        dashboard = Console(broker, admin).page("/")
        self.assertIn('id="magento-delivery"', dashboard)
        # store, waiting, failed, oldest due, most attempts
        self.assertIn("<tr><td>default</td><td>0</td><td>0</td><td>-</td><td>0</td></tr>",
                      dashboard)


if __name__ == "__main__":
    unittest.main()
