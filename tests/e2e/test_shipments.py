"""End-to-end: orders in the local target, shipments applied by the worker (partial, complete,
duplicate, every failure), the unsent-orders stock adjustment, and one shipment from many
concurrent deliveries. Through both wire styles and PHP's SoapClient."""

import datetime
import json
import os
import subprocess
import threading
import unittest

from broker import Broker, DATA, M2_SHIPMENT_SERVICE, m1_inventory, m2_envelope, m2_path, xml_text
from test_worker import drained_all, wait_until

PHP = os.environ.get("OFBRIDGE_PHP", "php")
HERE = os.path.dirname(os.path.abspath(__file__))
BEARER = {"Authorization": "Bearer m2-integration-token"}
API = "[api]\ntoken = \"admin-api-token\"\n"


def order_document(increment_id, items, state="processing", status="processing",
                   created_at="2026-11-20 10:00:00"):
    """A Magento REST order (GET /V1/orders/{id} shape) with simple items [(sku, qty)]."""
    return {
        "entity_id": abs(hash(increment_id)) % 100000, "increment_id": increment_id,
        "state": state, "status": status, "created_at": created_at, "updated_at": created_at,
        "customer_email": "jo@example.com", "customer_firstname": "Jo", "customer_lastname": "Bloggs",
        "is_virtual": 0, "billing_address": {"city": "Leeds", "postcode": "LS1 1AA", "country_id": "GB"},
        "items": [{"item_id": n + 1, "sku": sku, "name": sku, "product_type": "simple",
                   "qty_ordered": qty, "qty_invoiced": qty, "qty_shipped": 0, "qty_canceled": 0,
                   "price": "9.99"} for n, (sku, qty) in enumerate(items)],
    }


def m2_shipment(order, items, message_seq_id, tracking=None, tracks=()):
    children = "<orderIncrementId>%s</orderIncrementId><skuQty>%s</skuQty>" % (
        order, "".join("<item><sku>%s</sku><qty>%d</qty></item>" % item for item in items))
    if tracks:
        children += "<tracks>%s</tracks>" % "".join(
            "<item><trackingNumber>%s</trackingNumber></item>" % t for t in tracks)
    children += "<courierName>DPD</courierName><serviceName>Next Day</serviceName>"
    if tracking:
        children += "<trackingNumber>%s</trackingNumber>" % tracking
    if message_seq_id is not None:
        children += "<messageSeqId>%d</messageSeqId>" % message_seq_id
    return m2_envelope(M2_SHIPMENT_SERVICE, M2_SHIPMENT_SERVICE + "CreateRequest", children)


class ShipmentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(server_extra="", stores_extra="")
        with open(cls.broker.config_path, "a") as f:
            f.write("\n" + API + "[worker]\nworkers = 4\n")
        cls.broker.start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        cls.broker.cleanup()

    def import_orders(self, document):
        status, headers, body = self.broker.request(
            "POST", "/api/v1/orders", json.dumps(document).encode(),
            {"Authorization": "Bearer admin-api-token", "Content-Type": "application/json"})
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def ship(self, body):
        status, _, reply = self.broker.soap(body, path=m2_path(M2_SHIPMENT_SERVICE), headers=BEARER)
        self.assertEqual(status, 200, reply)
        wait_until(lambda: drained_all(self.broker), what="shipment applied")
        return xml_text(reply, "result")

    def order(self, increment_id):
        return self.broker.cli_json("orders", "get", increment_id)

    def shipments(self, increment_id):
        return self.broker.cli_json("shipments", "list", "--order", increment_id)["shipments"]

    def last_line(self):
        reports = self.broker.cli_json("imports", "list", "--entity", "shipment")["imports"]
        report = self.broker.cli_json("imports", "show", str(reports[0]["id"]))
        self.assertEqual(len(report["lines"]), 1)
        return report["lines"][0]

    def test_partial_duplicate_complete_and_failures(self):
        self.assertEqual(self.import_orders(order_document(
            "100000001", [("SKU-A", 2), ("SKU-B", 1), ("SKU-C", 3)])), {"created": 1, "updated": 0})

        # Line 1, partly, with two tracking numbers.
        first = m2_shipment("100000001", [("SKU-A", 1)], 501, tracking="TRK-1", tracks=["TRK-2"])
        self.assertEqual(self.ship(first), "Success - Message 501 Received")
        line = self.last_line()
        self.assertEqual((line["result"], line["message"]),
                         ("Success", "Order 100000001 successfully shipped."))
        self.assertEqual(self.order("100000001")["state"], "processing")
        shipments = self.shipments("100000001")
        self.assertEqual(len(shipments), 1)
        detail = self.broker.cli_json("shipments", "show", str(shipments[0]["id"]))
        self.assertEqual([t["number"] for t in detail["tracks"]], ["TRK-1", "TRK-2"])
        self.assertEqual(detail["tracks"][0]["carrier_title"], "DPD Next Day")
        self.assertEqual([(l["sku"], l["qty"]) for l in detail["lines"]], [("SKU-A", 1)])

        # The identical message again: same reply, no new request; the same shipment in another
        # body (JSON): a Duplicate line. Either way, still one shipment.
        before = len(self.broker.cli_json("requests", "list", "--limit", "0")["requests"])
        status, _, reply = self.broker.soap(first, path=m2_path(M2_SHIPMENT_SERVICE), headers=BEARER)
        self.assertEqual(xml_text(reply, "result"), "Success - Message 501 Received")
        self.assertEqual(len(self.broker.cli_json("requests", "list", "--limit", "0")["requests"]), before)
        status, reply = self.broker.rest("/rest/default/V1/orderflow/shipment", {
            "orderIncrementId": "100000001", "skuQty": [{"sku": "SKU-A", "qty": 1}],
            "trackingNumber": "TRK-1", "messageSeqId": 501})
        self.assertEqual(status, 200)
        wait_until(lambda: drained_all(self.broker))
        self.assertEqual(self.last_line()["result"], "Duplicate")
        self.assertEqual(len(self.shipments("100000001")), 1)

        # The rest: complete.
        self.ship(m2_shipment("100000001", [("SKU-A", 1), ("SKU-B", 1), ("SKU-C", 3)], 502))
        self.assertEqual(self.last_line()["result"], "Success")
        order = self.order("100000001")
        self.assertEqual((order["state"], order["status"]), ("complete", "complete"))
        self.assertEqual([i["qty_shipped"] for i in order["items"]], [2, 1, 3])
        self.assertEqual(len(self.shipments("100000001")), 2)

        # Failures: each its own message, nothing changes.
        self.import_orders({"items": [
            order_document("100000002", [("SKU-A", 1)]),
            order_document("100000003", [("SKU-A", 1)], state="canceled", status="canceled")]})
        cases = [
            (m2_shipment("100000002", [("SKU-A", 5)], 503),
             "Cannot ship 5 x 'SKU-A' on order 100000002: only 1 remain unshipped"),
            (m2_shipment("100009999", [("SKU-A", 1)], 504), "Order 100009999 not found."),
            (m2_shipment("100000002", [("SKU-Z", 1)], 505), "SKU 'SKU-Z' is not on order 100000002."),
            (m2_shipment("100000003", [("SKU-A", 1)], 506), "Order 100000003 is canceled"),
        ]
        for body, message in cases:
            self.ship(body)
            line = self.last_line()
            self.assertEqual(line["result"], "Failure")
            self.assertIn(message, line["message"])
        self.assertEqual(self.order("100000002")["items"][0]["qty_shipped"], 0)
        self.assertEqual(self.order("100000002")["state"], "processing")
        self.assertEqual(self.shipments("100000002"), [])
        self.assertEqual(self.shipments("100000003"), [])

    def test_m1_php_soapclient_ships(self):
        self.import_orders(order_document("100000010", [("PHP-SKU", 2)]))
        base = "http://%s:%d" % (self.broker.host, self.broker.port)
        result = subprocess.run([PHP, os.path.join(HERE, "php_m1_ship.php"), base, "secret-api-key",
                                 "100000010", "PHP-SKU", "2", "601"], capture_output=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout.decode().strip(), "Success - Message 601 Received")
        wait_until(lambda: drained_all(self.broker))
        self.assertEqual(self.order("100000010")["state"], "complete")
        detail = self.broker.cli_json("shipments", "show",
                                      str(self.shipments("100000010")[0]["id"]))
        self.assertEqual(detail["tracks"][0]["number"], "PHP-TRK-601")

    def test_concurrent_deliveries_make_one_shipment(self):
        self.import_orders(order_document("100000020", [("CONC-1", 3)]))
        results = []

        def deliver(n):
            # Each delivery differs in bytes (key order / spacing), so each is its own request
            # and the worker's dedupe is what keeps the shipment single.
            document = {"messageSeqId": 701, "orderIncrementId": "100000020",
                        "skuQty": [{"sku": "CONC-1", "qty": 1}], "comment": " " * n}
            results.append(self.broker.rest("/rest/default/V1/orderflow/shipment", document))

        threads = [threading.Thread(target=deliver, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([status for status, _ in results], [200] * 8)
        wait_until(lambda: drained_all(self.broker))
        self.assertEqual(len(self.shipments("100000020")), 1)
        self.assertEqual(self.order("100000020")["items"][0]["qty_shipped"], 1)


class UnsentOrdersAdjustmentTest(unittest.TestCase):
    def test_stock_minus_unexported_orders_after_last_order_exported(self):
        broker = Broker()
        with open(broker.config_path, "a") as f:
            f.write("\n" + API + "[inventory]\nadjust_inventory = \"unsent_orders\"\n")
        try:
            broker.start()
            now = datetime.datetime.utcnow()
            at = lambda days: (now - datetime.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")
            last_exported = now - datetime.timedelta(days=3)
            document = {"items": [
                order_document("200000001", [("ADJ-A", 2)], created_at=at(1)),
                order_document("200000002", [("ADJ-A", 3), ("OTHER", 1)], created_at=at(2)),
                order_document("200000003", [("ADJ-A", 4)], created_at=at(5)),  # before lastOrderExported
            ]}
            status, _, body = broker.request("POST", "/api/v1/orders", json.dumps(document).encode(),
                                             {"Authorization": "Bearer admin-api-token"})
            self.assertEqual(status, 200, body)
            session = broker.login()
            message = m1_inventory(session, 801, [("ADJ-A", 10, 77)]).replace(
                '<value xsi:type="xsd:int">77</value>',
                '<value xsi:type="xsd:int">77</value><lastOrderExported xsi:type="xsd:dateTime">%s'
                '</lastOrderExported>' % last_exported.strftime("%Y-%m-%dT%H:%M:%S"))
            status, _, reply = broker.soap(message)
            self.assertEqual(status, 200, reply)
            wait_until(lambda: drained_all(broker))
            stock = broker.cli_json("stock", "get", "ADJ-A")["stock"][0]
            self.assertEqual(stock["qty"], 10 - 2 - 3)
            report = broker.cli_json("imports", "list", "--entity", "inventory")["imports"][0]
            line = broker.cli_json("imports", "show", str(report["id"]))["lines"][0]
            self.assertEqual((line["units_received"], line["unsent_orders_adjustment"],
                              line["final_qty"]), (10, 5, 5))
        finally:
            broker.stop()
            broker.cleanup()


if __name__ == "__main__":
    unittest.main()
