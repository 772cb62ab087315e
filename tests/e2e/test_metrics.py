"""/metrics on the admin listener, parsed by a real Prometheus text parser (Debian's
python3-prometheus-client): the ingest counters match what was sent (received, acked, re-delivered,
rejected by reason), the ack and fsync histograms count every ack and fsync, the workers' lines
match the lines sent. Then retention on the same store beside the running broker: `ofbridge prune
--dry-run` counts what `ofbridge prune` then deletes, and nothing of a dead request goes."""

import http.client
import os
import re
import sqlite3
import time
import unittest

from prometheus_client.parser import text_string_to_metric_families

from broker import Broker, m1_inventory


def wait_until(predicate, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


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
        found = []
        wait_until(lambda: found.extend(re.findall(r"admin console on (\S+)", self.broker.logs()))
                   or len(found) > starts, what="the console's address in the log")
        self.admin = found[-1]

    def samples(self):
        conn = http.client.HTTPConnection(*self.admin.rsplit(":", 1), timeout=10)
        try:
            conn.request("GET", "/metrics")
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            text = response.read().decode()
        finally:
            conn.close()
        out = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return out

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

        # Age everything by a year; request 2 is dead (its body and report must stay).
        self.broker.stop()
        with sqlite3.connect(os.path.join(self.broker.data_dir, "ofbridge.db")) as db:
            db.execute("UPDATE requests SET received_at = '2000-01-01T00:00:00.000Z'")
            db.execute("UPDATE import_reports SET created_at = '2000-01-01T00:00:00.000Z'")
            db.execute("UPDATE requests SET state = 'dead' WHERE id = 2")
        self.start()
        dry = self.broker.cli_json("prune", "--dry-run")
        self.assertEqual((dry["bodies"], dry["import_reports"], dry["import_lines"]), (4, 4, 8))
        done = self.broker.cli_json("prune")
        self.assertEqual((done["bodies"], done["import_reports"], done["import_lines"]), (4, 4, 8))
        self.assertTrue(done["incremental_vacuum"])
        again = self.broker.cli_json("prune")
        self.assertEqual(again["bodies"] + again["import_reports"], 0)
        request = self.broker.cli_json("requests", "show", "2")
        self.assertIn("orderflowInventoryMultiUpdate", request["raw_body"])
        self.assertEqual(len(self.broker.cli_json("requests", "list", "--limit", "0")["requests"]), 5)


if __name__ == "__main__":
    unittest.main()
