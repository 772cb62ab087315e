"""Notify mode's read operations end to end: the WMS, told that a product or order changed,
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
from test_export import orders, product, write_json  # noqa: E402

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


if __name__ == "__main__":
    unittest.main()
