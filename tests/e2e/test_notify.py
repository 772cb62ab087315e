"""Notify mode end to end, against the OrderFlow simulator (tests/fakes/orderflow_wms.py) in
notify mode: products and orders are notified one POST each, with 10 % injected faults and one
SKU the WMS always answers no_operation; the simulator fetches each notified entity through the
broker's SOAP read operations with zeep and calls the Export operation. Every entity ends
exported and fetched (orders inserted exactly once as the WMS counts them), the refused SKU ends
failed with its message.

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
timeout_ms = 500
concurrency = 4
max_attempts = 4
retry_base_ms = 20
retry_max_ms = 100
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


class NotifyTest(unittest.TestCase):
    def test_notify_with_faults_every_entity_exported_once(self):
        wms = OrderFlowSimulator(fault_rate=0.1, seed=11, fail_skus=["SKU-000013"],
                                 slow_seconds=0.8).start()
        self.addCleanup(wms.stop)
        broker = Broker(stores_extra=NOTIFY_CONFIG.format(endpoint=wms.endpoint))
        self.addCleanup(broker.cleanup)
        os.makedirs(broker.data_dir, mode=0o700)
        products = {"items": [product("SKU-%06d" % n, "Product %d" % n) for n in range(200)]}
        broker.cli("products", "import", write_json(broker.workdir, "products.json", products))
        broker.cli("orders", "import", write_json(broker.workdir, "orders.json", orders(100)))
        broker.start()
        wms.fetch_from("http://%s:%d" % (broker.host, broker.port), "default",
                       "m2-integration-token")
        try:
            def settled():
                products = broker.cli_json("products", "list", "--limit", "0")
                statuses = [p["export"]["export_status"] for p in products]
                orders_exported = broker.cli_json("orders", "list", "--export-status",
                                                  "exported", "--limit", "0")
                return (statuses.count("exported") == 199 and statuses.count("failed") == 1
                        and len(orders_exported) == 100)
            wait_for(settled, timeout=120, what="199 products and 100 orders exported")
        finally:
            broker.stop()
        state = wms.state
        self.assertEqual(state.fetch_errors, [])
        self.assertEqual(len(state.merges), 199)
        self.assertNotIn("SKU-000013", state.merges)
        self.assertEqual(len(state.inserts), 100)
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
        self.assertEqual(len(refused), 4, "max_attempts notifications of the refused SKU")
        self.assertTrue(any("no_operation" in r["error"] for r in refused), refused)


if __name__ == "__main__":
    unittest.main()
