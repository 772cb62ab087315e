"""Notify mode end to end, against the OrderFlow simulator (tests/fakes/orderflow_wms.py) in
notify mode: products and orders are notified one POST each, with 10 % injected faults and one
SKU the WMS always answers no_operation; the simulator fetches each notified entity through the
broker's SOAP read operations with zeep and calls the Export operation. Every entity ends
exported and fetched (orders inserted exactly once as the WMS counts them), the refused SKU ends
failed with its message, and the others went out between its attempts (not starved).

- `kill -9` of the broker while notifications are in flight, then a restart: every entity ends
  exported, none lost, every order inserted once as the WMS counts it (a fetch that met the dead
  broker either left its entity queued, and the queued timeout notifies it again, or was
  recorded by the broker with its reply lost: the WMS fetches it again once the broker is back).
- A queued entity the WMS never fetches is notified again (`modified`) after
  queued_timeout_seconds.
- An entity changed while its notification is in flight is notified again as `modified` and the
  WMS ends with the newest content; an Export call that follows a fetch of the older content
  does not make the newer one exported.
- Cancellation: an order the WMS fetched and that is then cancelled reaches cancel.xml; one never
  sent does not.

And the read operations on their own: the WMS, told that a product or order changed,
fetches it through Magento's catalogProductRepositoryV1Get (by SKU) and salesOrderRepositoryV1Get
(by entity id) on the Magento-2 SOAP endpoint. Here with zeep, a real SOAP client, on the served
WSDL: the replies are in Magento's shapes, built from the store's documents; a fetch of a queued
entity makes it exported (once); unknown references and missing tokens are faults.
"""

import os
import sqlite3
import sys
import unittest

import requests
import zeep
from zeep.transports import Transport

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from broker import Broker  # noqa: E402
from test_export import orders, product, wait_for, write_json  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
from orderflow_wms import OrderFlowSimulator  # noqa: E402

NOTIFY_CONFIG = """
[stores.default.export]
mode = "notify"
endpoint = "{endpoint}"
username = "of-user"
password = "of-pass"
channel = "WEB"
organisation = "ACME"
batch_size = 20
interval_ms = 50
timeout_ms = {timeout_ms}
concurrency = 4
max_attempts = {max_attempts}
retry_base_ms = 20
retry_max_ms = 100
queued_timeout_seconds = {queued_timeout}
"""

PRODUCT_SERVICE = "catalogProductRepositoryV1"
ORDER_SERVICE = "salesOrderRepositoryV1"


class FetchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker()
        os.makedirs(cls.broker.data_dir, mode=0o700)
        products = {"items": [product("SKU-%06d" % n, "Product %d" % n) for n in range(3)]}
        cls.broker.cli("products", "import",
                       write_json(cls.broker.workdir, "products.json", products))
        cls.broker.cli("orders", "import", write_json(cls.broker.workdir, "orders.json",
                                                      orders(2)))
        # As if notify mode had told the WMS about these (the exporter is off here).
        db = sqlite3.connect(os.path.join(cls.broker.data_dir, "ofbridge.db"))
        with db:
            db.execute("UPDATE export_items SET status = 'queued' WHERE reference IN"
                       " ('SKU-000001', '000100001')")
        db.close()
        cls.broker.start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        cls.broker.cleanup()

    def client(self, service, token="m2-integration-token"):
        session = requests.Session()
        session.headers["Authorization"] = "Bearer " + token
        url = "http://%s:%d/soap/default?wsdl&services=%s" % (self.broker.host, self.broker.port,
                                                            service)
        return zeep.Client(url, transport=Transport(session=session))

    def export_status(self, entity, reference):
        if entity == "product":
            return self.broker.cli_json("products", "get", reference)["export"]["export_status"]
        for status in ("pending", "queued", "exported"):
            found = [o for o in self.broker.cli_json("orders", "list", "--export-status", status,
                                                     "--limit", "0")
                     if o["reference"] == reference]
            if found:
                return status
        return None

    def test_product_in_magento_shape(self):
        result = self.client(PRODUCT_SERVICE).service.catalogProductRepositoryV1Get(
            sku="SKU-000002")
        self.assertEqual(result.sku, "SKU-000002")
        self.assertEqual(result.name, "Product 2")
        self.assertEqual(float(result.price), 12.5)
        self.assertEqual(result.typeId, "simple")
        self.assertEqual([(a.attributeCode, a.value) for a in result.customAttributes.item],
                         [("barcode", "50000002")])
        # Fetched while pending: the WMS now has its current content.
        self.assertEqual(self.export_status("product", "SKU-000002"), "exported")

    def test_order_by_entity_id_in_magento_shape(self):
        result = self.client(ORDER_SERVICE).service.salesOrderRepositoryV1Get(id=100002)
        self.assertEqual(result.incrementId, "000100002")
        self.assertEqual(result.entityId, 100002)
        self.assertEqual(result.state, "processing")
        self.assertEqual(len(result.items.item), 3)
        self.assertTrue(all(item.sku for item in result.items.item))
        self.assertIsNotNone(result.billingAddress)

    def test_fetch_of_a_queued_entity_makes_it_exported(self):
        self.client(PRODUCT_SERVICE).service.catalogProductRepositoryV1Get(sku="SKU-000001")
        self.assertEqual(self.export_status("product", "SKU-000001"), "exported")
        self.client(ORDER_SERVICE).service.salesOrderRepositoryV1Get(id=100001)
        self.assertEqual(self.export_status("order", "000100001"), "exported")
        # Fetched again: the same data, still exported.
        result = self.client(PRODUCT_SERVICE).service.catalogProductRepositoryV1Get(
            sku="SKU-000001")
        self.assertEqual(result.sku, "SKU-000001")
        self.assertEqual(self.export_status("product", "SKU-000001"), "exported")

    def test_unknown_references_and_missing_tokens_are_faults(self):
        with self.assertRaises(zeep.exceptions.Fault) as fault:
            self.client(PRODUCT_SERVICE).service.catalogProductRepositoryV1Get(sku="NOPE")
        self.assertIn("doesn't exist", fault.exception.message)
        with self.assertRaises(zeep.exceptions.Fault) as fault:
            self.client(ORDER_SERVICE).service.salesOrderRepositoryV1Get(id=42)
        self.assertIn("doesn't exist", fault.exception.message)
        with self.assertRaises(zeep.exceptions.Fault) as fault:
            self.client(PRODUCT_SERVICE, token="wrong").service.catalogProductRepositoryV1Get(
                sku="SKU-000000")
        self.assertIn("isn't authorized", fault.exception.message)


def point_wms_at(wms, broker):
    wms.fetch_from("http://%s:%d" % (broker.host, broker.port), "default",
                   "m2-integration-token")


class NotifyTest(unittest.TestCase):
    def start(self, queued_timeout=3600, timeout_ms=500, max_attempts=8, **simulator):
        wms = OrderFlowSimulator(**simulator).start()
        self.addCleanup(wms.stop)
        broker = Broker(stores_extra=NOTIFY_CONFIG.format(endpoint=wms.endpoint,
                                                          queued_timeout=queued_timeout,
                                                          timeout_ms=timeout_ms,
                                                          max_attempts=max_attempts))
        self.addCleanup(broker.cleanup)
        os.makedirs(broker.data_dir, mode=0o700)
        return wms, broker

    def product_status(self, broker, sku):
        return broker.cli_json("products", "get", sku)["export"]["export_status"]

    def notifications(self, wms, reference):
        with wms.state.lock:
            return [action for _, ref, action in wms.state.notifications if ref == reference]

    def test_notify_with_faults_every_entity_exported_once(self):
        # Every injected fault is a failed attempt (a dropped connection too: a POST is never
        # re-sent by the HTTP client), so with 4 attempts one of the 1,500 entities would end
        # failed about one run in seven (1,500 x 0.1^4); start() allows 8 (1,500 x 0.1^8).
        wms, broker = self.start(fault_rate=0.1, seed=11, fail_skus=["SKU-000013"],
                                 slow_seconds=0.8)
        # The scale. The simulator fetches on several threads, as OrderFlow does, and the
        # broker serves the fetches at once: about 30 s in Release and 45 s under ASan here.
        n_products, n_orders = 1000, 500
        products = {"items": [product("SKU-%06d" % n, "Product %d" % n)
                              for n in range(n_products)]}
        broker.cli("products", "import", write_json(broker.workdir, "products.json", products))
        broker.cli("orders", "import", write_json(broker.workdir, "orders.json",
                                                  orders(n_orders)))
        broker.start()
        point_wms_at(wms, broker)
        try:
            # The WMS's own counts first (no process per poll), then the broker's states.
            def wms_has_all():
                with wms.state.lock:
                    return (len(wms.state.fetches) == n_products - 1 + n_orders
                            and len(wms.state.inserts) == n_orders)
            wait_for(wms_has_all, timeout=300, what="every entity fetched and acknowledged")

            def settled():
                products = broker.cli_json("products", "list", "--limit", "0")
                statuses = [p["export"]["export_status"] for p in products]
                orders_exported = broker.cli_json("orders", "list", "--export-status",
                                                  "exported", "--limit", "0")
                return (statuses.count("exported") == n_products - 1
                        and statuses.count("failed") == 1 and len(orders_exported) == n_orders)
            wait_for(settled, timeout=240, what="%d products and %d orders exported"
                     % (n_products - 1, n_orders))
        finally:
            broker.stop()
        state = wms.state
        self.assertEqual(state.fetch_errors, [])
        self.assertEqual(len(state.merges), n_products - 1)
        self.assertNotIn("SKU-000013", state.merges)
        self.assertEqual(len(state.inserts), n_orders)
        self.assertEqual(set(state.inserts.values()), {1}, "no order inserted twice")
        self.assertGreater(sum(state.faults.values()), 0, "faults were injected")
        first = {}
        for entity, reference, action in state.notifications:
            first.setdefault((entity, reference), action)
        self.assertEqual(set(first.values()), {"created"}, "action=created the first time")
        failed = broker.cli_json("products", "get", "SKU-000013")["export"]
        self.assertEqual(failed["export_status"], "failed")
        self.assertNotEqual(failed["last_error"], "")
        runs = broker.cli_json("exports", "list", "--entity", "product", "--limit", "0")
        self.assertTrue(all(r["mode"] == "notify" for r in runs))
        refused = [r for r in runs if "SKU-000013" in r["url"]]
        self.assertEqual(len(refused), 8, "max_attempts notifications of the refused SKU")
        self.assertTrue(any("no_operation" in r["error"] for r in refused), refused)
        # Not starved: other products were notified between its first and its last attempt.
        first_id, last_id = min(r["id"] for r in refused), max(r["id"] for r in refused)
        between = [r for r in runs if first_id < r["id"] < last_id and r not in refused]
        self.assertTrue(between, "others went out while the refused SKU waited its backoff")

    def test_kill_while_notifications_are_in_flight_loses_nothing(self):
        wms, broker = self.start(queued_timeout=2, fault_rate=0.1, seed=5, slow_seconds=0.3)
        products = {"items": [product("SKU-%06d" % n, "Product %d" % n) for n in range(100)]}
        broker.cli("products", "import", write_json(broker.workdir, "products.json", products))
        broker.cli("orders", "import", write_json(broker.workdir, "orders.json", orders(50)))
        broker.start()
        point_wms_at(wms, broker)
        try:
            wait_for(lambda: len(wms.state.notifications) >= 40, what="40 notifications")
            broker.kill()  # SIGKILL: notifications and fetches in flight are cut off
            with wms.state.lock:
                at_kill = len(wms.state.notifications)
            self.assertLess(at_kill, 150, "killed in the middle of the export")
            broker.start()
            point_wms_at(wms, broker)

            def settled():
                exported = broker.cli_json("products", "list", "--export-status", "exported",
                                           "--limit", "0")
                orders_exported = broker.cli_json("orders", "list", "--export-status",
                                                  "exported", "--limit", "0")
                return len(exported) == 100 and len(orders_exported) == 50
            wait_for(settled, timeout=240, what="100 products and 50 orders exported")

            # The broker records a fetch before its reply reaches the WMS.
            def wms_has_all():
                with wms.state.lock:
                    return len(wms.state.merges) == 100 and len(wms.state.inserts) == 50
            wait_for(wms_has_all, timeout=90, what="the WMS has every entity")
        finally:
            broker.stop()
        state = wms.state
        self.assertEqual(len(state.merges), 100, "every product reached the WMS")
        self.assertEqual(len(state.inserts), 50, "every order reached the WMS")
        self.assertEqual(set(state.inserts.values()), {1}, "no order inserted twice")
        if os.environ.get("OFBRIDGE_E2E_VERBOSE"):
            print("at kill: %d notifications; in all %d; fetch errors %d; duplicates %d" % (
                at_kill, len(state.notifications), len(state.fetch_errors),
                sum(state.duplicates.values())), file=sys.stderr)

    def test_an_unfetched_entity_is_notified_again_after_the_queued_timeout(self):
        wms, broker = self.start(queued_timeout=1)
        wms.fetch_gate.clear()  # the WMS does not fetch
        broker.cli("products", "import",
                   write_json(broker.workdir, "p.json", product("LATE-1", "Late")))
        broker.start()
        point_wms_at(wms, broker)
        try:
            wait_for(lambda: self.notifications(wms, "LATE-1"), what="notified")
            self.assertEqual(self.product_status(broker, "LATE-1"), "queued")
            wait_for(lambda: len(self.notifications(wms, "LATE-1")) >= 2, timeout=60,
                     what="a second notification after queued_timeout_seconds")
            self.assertEqual(self.notifications(wms, "LATE-1")[:2], ["created", "modified"])
            wms.fetch_gate.set()  # now it fetches
            wait_for(lambda: self.product_status(broker, "LATE-1") == "exported",
                     what="exported after the fetch")
        finally:
            broker.stop()
        self.assertEqual(wms.state.products["LATE-1"]["description"], "Late")

    def test_entity_changed_while_its_notification_is_in_flight(self):
        wms, broker = self.start(timeout_ms=30000)
        wms.hold_sku = "HELD-1"
        wms.fetch_gate.clear()  # so the broker's second notification is seen before any fetch
        broker.cli("products", "import",
                   write_json(broker.workdir, "p1.json", product("HELD-1", "First name")))
        broker.start()
        point_wms_at(wms, broker)
        try:
            self.assertTrue(wms.held.wait(30), "the notification reached the WMS")
            broker.cli("products", "import",
                       write_json(broker.workdir, "p2.json", product("HELD-1", "Second name")))
            wms.release.set()
            wait_for(lambda: self.notifications(wms, "HELD-1") == ["created", "modified"],
                     what="notified again as modified")
            wms.fetch_gate.set()
            wait_for(lambda: self.product_status(broker, "HELD-1") == "exported"
                     and wms.state.fetches.get(("product", "HELD-1")) == 2,
                     what="exported, both notifications fetched")
        finally:
            broker.stop()
        self.assertEqual({name for entity, ref, name in wms.state.fetched if ref == "HELD-1"},
                         {"Second name"}, "the WMS fetched the newest content")
        self.assertEqual(wms.state.products["HELD-1"]["description"], "Second name")

    def test_an_export_call_after_an_older_fetch_does_not_export_the_newer_content(self):
        wms, broker = self.start()
        wms.export_gate.clear()  # fetch, then wait before the Export call
        broker.cli("products", "import",
                   write_json(broker.workdir, "p1.json", product("OLD-1", "First name")))
        broker.start()
        point_wms_at(wms, broker)
        try:
            wait_for(lambda: self.product_status(broker, "OLD-1") == "exported",
                     what="fetched: exported")
            wms.fetch_gate.clear()  # the next fetch waits
            broker.cli("products", "import",
                       write_json(broker.workdir, "p2.json", product("OLD-1", "Second name")))
            wait_for(lambda: self.notifications(wms, "OLD-1") == ["created", "modified"],
                     what="the change notified")
            wait_for(lambda: self.product_status(broker, "OLD-1") == "queued", what="queued")
            wms.export_gate.set()  # the Export call that follows the first fetch
            wait_for(lambda: broker.cli_json("requests", "list", "--entity", "product_export",
                                             "--state", "done"), what="the Export call applied")
            self.assertEqual(self.product_status(broker, "OLD-1"), "queued",
                             "the older Export call leaves the newer content queued")
            reports = [r for r in broker.cli_json("imports", "list", "--result",
                                                  "Superseded")["imports"]
                       if r["entity"] == "product_export"]
            self.assertEqual(len(reports), 1, reports)
            wms.fetch_gate.set()  # the WMS fetches the new content
            wait_for(lambda: self.product_status(broker, "OLD-1") == "exported"
                     and wms.state.fetches.get(("product", "OLD-1")) == 2,
                     what="exported after the second fetch")
        finally:
            broker.stop()
        self.assertEqual([name for entity, ref, name in wms.state.fetched if ref == "OLD-1"],
                         ["First name", "Second name"])

    def test_cancellation_only_for_orders_the_wms_has(self):
        wms, broker = self.start()
        broker.cli("orders", "import", write_json(broker.workdir, "o1.json", orders(1)))
        broker.cli("orders", "import",
                   write_json(broker.workdir, "o2.json", orders(1, first=2, state="new")))
        broker.start()
        point_wms_at(wms, broker)
        try:
            wait_for(lambda: wms.state.inserts.get("000100001") == 1
                     and broker.cli_json("orders", "list", "--export-status", "exported"),
                     what="the order fetched and exported")
            broker.cli("orders", "import",
                       write_json(broker.workdir, "o3.json", orders(1, state="canceled")))
            broker.cli("orders", "import",
                       write_json(broker.workdir, "o4.json", orders(1, first=2,
                                                                    state="canceled")))
            wait_for(lambda: wms.state.cancels.get("000100001") == 1, what="cancel.xml")
            wait_for(lambda: broker.cli_json("orders", "list", "--export-status", "cancelled"),
                     what="the unsent order cancelled locally")
        finally:
            broker.stop()
        self.assertEqual(wms.state.refused_cancels, [])
        self.assertNotIn("000100002", wms.state.orders)
        self.assertEqual(broker.cli_json("orders", "list", "--export-status",
                                         "exported")[0]["cancel_state"], "sent")


if __name__ == "__main__":
    unittest.main()
