"""End-to-end: Magento's orders and products pulled into the broker (the magento2 target's
incremental pull) from the fake Magento (tests/fakes/fake_magento.py, which validates every
request against Magento's REST schema). Seeded orders and simple products arrive; orders saved
again while the broker is paging through them are neither lost nor duplicated; a cancelled
order is seen (and its export cancelled); a pulled order gets its shipment delivered to Magento;
`ofbridge magento pull` pages by key (never a page past the end), keeps a watermark and re-reads
from --since without writing anything twice; reject_unknown_skus checks stock lines against the
pulled catalog."""

import os
import sys
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))

from broker import Broker  # noqa: E402
from fake_magento import FakeMagento  # noqa: E402
from inventory_history import rest_body  # noqa: E402
from test_worker import wait_until  # noqa: E402


def magento_store(fake, extra=""):
    return ("[stores.default]\ntarget = \"magento2\"\n[stores.default.magento]\n"
            "base_url = \"%s\"\nusername = \"ofbridge\"\npassword = \"admin-secret\"\n"
            "timeout_ms = 2000\nretry_base_ms = 20\nretry_max_ms = 300\n%s"
            % (fake.base_url, extra))


def orders_by_increment(broker):
    rows = broker.cli_json("orders", "list", "--limit", "0")["orders"]
    return rows, {o["increment_id"]: o for o in rows}


class MagentoPullTest(unittest.TestCase):
    def setUp(self):
        self.fake = FakeMagento(seed=11).start()
        self.addCleanup(self.fake.stop)
        self.fake.add_source("default")
        self.fake.create_admin_user("ofbridge", "admin-secret")
        self.queries = []  # (path, query) of every pull request

        def record(method, path, query):
            if method == "GET" and path.rstrip("/").endswith(("/orders", "/products")):
                self.queries.append((path, urllib.parse.parse_qs(query)))
        self.fake.before_request(record)

    def seed_past(self, orders, products=("SKU-A", "SKU-B", "SKU-C")):
        """Products and orders saved a minute ago (Magento's UTC clock), so the first window
        holds them all."""
        fake = self.fake
        fake.advance_clock(-60)
        for sku in products:
            fake.add_product(sku, qty=100)
        fake.add_product("TEE", type_id="configurable")  # not pulled: simple products only
        seeded = [fake.add_order([{"sku": "SKU-A", "qty": 2}, {"sku": "SKU-B", "qty": 1}])
                  for _ in range(orders)]
        fake.advance_clock(60)
        return seeded

    def assert_fake_clean(self):
        with self.fake.state.lock:
            self.assertEqual(self.fake.state.schema_violations, [])
            self.assertEqual(self.fake.state.fake_errors, [])
            self.assertEqual(self.fake.state.unscripted, [])
        # Keyed pages: always page 1 of "after the last key", never a page past the end.
        self.assertTrue(self.queries)
        for path, query in self.queries:
            pages = [v for k, v in query.items() if k.lower().endswith("[currentpage]")]
            self.assertEqual(pages, [["1"]], path)

    def test_serve_pulls_changes_mid_paging_cancels_and_ships(self):
        fake = self.fake
        seeded = self.seed_past(250)
        read, changed = seeded[10], seeded[200]  # one already read, one not yet, at page 2
        fired = []

        def change_between_pages(method, path, query):
            keyed = any(k.lower().endswith("[conditiontype]") and v == ["gt"]
                        for k, v in urllib.parse.parse_qs(query).items())
            if not fired and path.rstrip("/").endswith("/orders") and keyed:
                fired.append(True)
                fake.update_order(read["entity_id"], status="holded")
                fake.update_order(changed["entity_id"], status="canceled")
        fake.before_request(change_between_pages)
        store = magento_store(fake, "pull_interval_seconds = 1\npull_page_size = 100\n")
        with Broker(stores_extra=store) as broker:
            def arrived():
                _, by_id = orders_by_increment(broker)
                return (len(by_id) == 250 and
                        by_id[read["increment_id"]]["status"] == "holded" and
                        by_id[changed["increment_id"]]["status"] == "canceled")
            wait_until(arrived, timeout=60, what="orders pulled, changes seen")
            self.assertTrue(fired)
            rows, by_id = orders_by_increment(broker)
            self.assertEqual(len(rows), 250)  # none lost, none twice
            self.assertEqual(sorted(by_id), sorted(o["increment_id"] for o in seeded))
            cancelled = broker.cli_json("orders", "get", changed["increment_id"])
            self.assertEqual(cancelled["state"], "canceled")
            self.assertEqual(cancelled["export_status"], "cancelled")
            products = broker.cli_json("products", "list", "--limit", "0")
            self.assertEqual(sorted(p["sku"] for p in products), ["SKU-A", "SKU-B", "SKU-C"])

            # A pulled order (with Magento's entity_id) gets its shipment delivered.
            target = seeded[0]
            body = {"orderIncrementId": target["increment_id"],
                    "skuQty": [{"sku": "SKU-A", "qty": 2}, {"sku": "SKU-B", "qty": 1}],
                    "courierName": "DPD", "serviceName": "Next Day",
                    "trackingNumber": "TRK-1", "messageSeqId": 1}
            status, reply = broker.rest("/rest/default/V1/orderflow/shipment", body)
            self.assertEqual(status, 200, reply)
            wait_until(lambda: fake.state.shipments_created.get(target["entity_id"]) == 1,
                       what="shipment delivered")
            # The shipment moved the order in Magento; the next pull brings that back.
            wait_until(lambda: broker.cli_json("orders", "get", target["increment_id"])
                       ["status"] == "complete", what="shipped order pulled again")
            # A pull now, beside the running broker.
            result = broker.cli("magento", "pull")
            out = result.stdout.decode()
            self.assertIn("magento pull default orders:", out)
            self.assertIn("watermark", out)
            with fake.state.lock:
                self.assertEqual(max(fake.state.shipments_created.values()), 1)
        self.assert_fake_clean()

    def test_cli_pull_pages_keeps_a_watermark_and_rereads_since(self):
        fake = self.fake
        seeded = self.seed_past(7)
        broker = Broker(stores_extra=magento_store(fake, "pull_page_size = 3\n"))
        self.addCleanup(broker.cleanup)
        first = broker.cli_json("magento", "pull")["stores"][0]
        self.assertEqual(first["orders"]["new"], 7)
        self.assertEqual(first["orders"]["pages"], 3)  # 3 + 3 + 1: the last page not re-read
        self.assertEqual(first["products"]["new"], 3)
        self.assertTrue(first["orders"]["committed"])
        # Nothing changed: the next window starts at the watermark (minus the overlap).
        again = broker.cli_json("magento", "pull")["stores"][0]
        self.assertEqual(again["orders"]["new"] + again["orders"]["changed"], 0)
        self.assertGreaterEqual(again["orders"]["from"], first["orders"]["from"])
        # An order changed in Magento arrives as changed, once.
        fake.advance_clock(-30)
        fake.update_order(seeded[3]["entity_id"], status="canceled")
        fake.advance_clock(30)
        since = broker.cli_json("magento", "pull", "--since", "2000-01-01")["stores"][0]
        self.assertEqual(since["orders"]["changed"], 1)
        self.assertEqual(since["orders"]["unchanged"], 6)
        self.assertEqual(since["orders"]["new"], 0)
        rows, by_id = orders_by_increment(broker)
        self.assertEqual(len(rows), 7)
        self.assertEqual(by_id[seeded[3]["increment_id"]]["state"], "canceled")
        text = broker.cli("magento", "pull", "--since", "yesterday", check=False)
        self.assertNotEqual(text.returncode, 0)
        self.assertIn("--since", text.stderr.decode())
        self.assert_fake_clean()

    def test_reject_unknown_skus_checks_the_pulled_catalog(self):
        """[inventory] reject_unknown_skus with a magento2 store: the catalog is Magento's,
        pulled (first by `ofbridge magento pull`, then by serve's loop). A stock line for a SKU
        Magento does not have (or has only as a configurable, which is not pulled) fails on its
        import line with a clear message and never reaches Magento; the others are delivered."""
        fake = self.fake
        self.seed_past(0)
        broker = Broker(server_extra="\n[inventory]\nreject_unknown_skus = true\n",
                        stores_extra=magento_store(fake, "pull_interval_seconds = 1\n"))
        self.addCleanup(broker.cleanup)
        pulled = broker.cli_json("magento", "pull")["stores"][0]
        self.assertEqual(pulled["products"]["new"], 3)
        lines = [{"sku": "SKU-A", "qty": 5, "source": "default", "seq": 1},
                 {"sku": "SKU-X", "qty": 9, "source": "default", "seq": 1},
                 {"sku": "SKU-B", "qty": 7, "source": "default", "seq": 1},
                 {"sku": "TEE", "qty": 3, "source": "default", "seq": 1}]

        def last_import():
            report = broker.cli_json("imports", "list", "--limit", "1")["imports"][0]
            shown = broker.cli_json("imports", "show", str(report["id"]))
            return report["id"], {l["reference"]: l for l in shown["lines"]}

        def settled():
            rows = broker.cli_json("requests", "list", "--limit", "0")["requests"]
            waiting = broker.cli_json("outbox", "list", "--state", "waiting")["outbox"]
            return all(r["state"] == "done" for r in rows) and not waiting

        with broker:
            status, _ = broker.rest("/rest/default/V1/orderflow/inventory", rest_body(1, lines))
            self.assertEqual(status, 200)
            wait_until(settled, what="stock applied and delivered")
            report_id, by_sku = last_import()
            for sku in ("SKU-X", "TEE"):
                self.assertEqual(by_sku[sku]["result"], "Failure")
                self.assertEqual(by_sku[sku]["message"], "Unknown SKU '%s'." % sku)
                self.assertNotIn("delivery", by_sku[sku])  # nothing to deliver
                self.assertIsNone(fake.source_item(sku, "default"))
            for sku, qty in (("SKU-A", 5), ("SKU-B", 7)):
                self.assertEqual(by_sku[sku]["result"], "Success")
                self.assertEqual(by_sku[sku]["delivery"], {"state": "delivered", "message": ""})
                self.assertEqual(fake.source_item(sku, "default")["quantity"], qty)
            text = broker.cli("imports", "show", str(report_id)).stdout.decode()
            self.assertIn("Unknown SKU 'SKU-X'.", text)
            # A product created in Magento reaches the catalog through serve's pull loop; then
            # its stock is accepted.
            fake.add_product("SKU-X")
            wait_until(lambda: "SKU-X" in [p["sku"] for p in broker.cli_json(
                "products", "list", "--limit", "0")], timeout=60, what="SKU-X pulled")
            later = [{"sku": "SKU-X", "qty": 4, "source": "default", "seq": 2}]
            status, _ = broker.rest("/rest/default/V1/orderflow/inventory", rest_body(2, later))
            self.assertEqual(status, 200)
            wait_until(settled, what="SKU-X delivered")
            self.assertEqual(last_import()[1]["SKU-X"]["result"], "Success")
            self.assertEqual(fake.source_item("SKU-X", "default")["quantity"], 4)
        with fake.state.lock:
            self.assertEqual(fake.state.schema_violations, [])
            self.assertEqual(fake.state.fake_errors, [])


if __name__ == "__main__":
    unittest.main()
