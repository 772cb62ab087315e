"""Conformance with real SOAP clients: PHP's SoapClient and Python zeep load the served Magento-1
WSDL, zeep also the served Magento-2 WSDL, all over HTTP from a running broker, and all get the
`Success - Message N Received` reply; the messages are then stored with all their lines. zeep
runs without internet access: every document it loads must come from the broker."""

import os
import subprocess
import unittest

import requests
import zeep
from zeep.transports import Transport
from urllib.parse import urlsplit

from broker import Broker, M2_INVENTORY_SERVICE, M2_SHIPMENT_SERVICE

PHP = os.environ.get("OFBRIDGE_PHP", "php")
HERE = os.path.dirname(os.path.abspath(__file__))


class SoapClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()
        cls.base = "http://%s:%d" % (cls.broker.host, cls.broker.port)

    @classmethod
    def tearDownClass(cls):
        code = cls.broker.stop()
        cls.broker.cleanup()
        assert code == 0

    def stored(self, entity, key):
        rows = [r for r in self.broker.cli_json("requests", "list", "--entity", entity)["requests"]
                if r["message_key"] == str(key)]
        self.assertEqual(len(rows), 1, rows)
        return self.broker.cli_json("requests", "show", str(rows[0]["id"]))

    def test_php_soapclient_magento1(self):
        result = subprocess.run([PHP, os.path.join(HERE, "php_m1_client.php"), self.base,
                                 "secret-api-key"], capture_output=True, timeout=60)
        output = result.stdout.decode()
        print(output)
        self.assertEqual(result.returncode, 0, output + result.stderr.decode())
        self.assertEqual(output.count("ok   "), 10, output)
        lines = self.stored("inventory", 7100)["lines"]
        self.assertEqual([(l["sku"], l["qty"], l["seq"]) for l in lines],
                         [("PHP-1", 5, 7111), ("PHP-2", 0, 7112)])
        self.assertEqual(lines[0]["last_order_exported"], "2026-11-20T10:00:00")
        shipment = self.stored("shipment", 7101)
        self.assertEqual(shipment["tracking_numbers"], ["TRK-PHP"])
        self.assertEqual(shipment["fields"]["courier_name"], "DPD")

    def offline_transport(self, session=None):
        """A zeep transport that refuses any URL not served by the broker under test."""
        broker = "%s:%d" % (self.broker.host, self.broker.port)
        fetched = []

        class OfflineTransport(Transport):
            def load(self, url):
                if urlsplit(url).netloc != broker:
                    raise AssertionError("zeep tried to fetch %s from outside the broker" % url)
                fetched.append(url)
                return super().load(url)

        return OfflineTransport(session=session or requests.Session()), fetched

    def test_zeep_magento1_offline(self):
        transport, fetched = self.offline_transport()
        client = zeep.Client(self.base + "/api/v2_soap/?wsdl=1", transport=transport)
        self.assertTrue(any("xsd=soap-encoding" in url for url in fetched), fetched)
        session = client.service.login(username="wms", apiKey="secret-api-key")
        self.assertEqual(len(session), 64)

        # zeep names SOAP-ENC array members after their type: <skuQty>, <skuSeq>.
        qtys = [{"key": "ZEEP-M1-A", "value": 12}, {"key": "ZEEP-M1-B", "value": 0}]
        seqs = [{"key": "ZEEP-M1-A", "value": 8101}, {"key": "ZEEP-M1-B", "value": 8102}]
        reply = client.service.orderflowInventoryMultiUpdate(
            sessionId=session, skusQty=qtys, skusSeqId=seqs, messageSeqId=8100)
        self.assertEqual(reply, "Success - Message 8100 Received")
        lines = self.stored("inventory", 8100)["lines"]
        self.assertEqual([(l["sku"], l["qty"], l["seq"]) for l in lines],
                         [("ZEEP-M1-A", 12, 8101), ("ZEEP-M1-B", 0, 8102)])

        items = [{"key": "ZEEP-M1-A", "value": 2}]
        reply = client.service.orderflowShipmentCreate(
            sessionId=session, orderIncrementId="100000888", skuQty=items, comment="zeep",
            email=0, includeComment=0, courierName="DPD", serviceName="Next Day",
            trackingNumber="TRK-ZEEP", dateShipped="2026-11-20", messageSeqId=8103)
        self.assertEqual(reply, "Success - Message 8103 Received")
        shipment = self.stored("shipment", 8103)
        self.assertEqual(shipment["tracking_numbers"], ["TRK-ZEEP"])
        self.assertEqual([(l["sku"], l["qty"]) for l in shipment["lines"]], [("ZEEP-M1-A", 2)])
        self.assertTrue(client.service.endSession(sessionId=session))

    def zeep_client(self, services, token="m2-integration-token"):
        session = requests.Session()
        session.headers["Authorization"] = "Bearer " + token
        url = "%s/soap/default?wsdl&services=%s" % (self.base, ",".join(services))
        return zeep.Client(url, transport=Transport(session=session))

    def test_zeep_magento2(self):
        client = self.zeep_client([M2_INVENTORY_SERVICE, M2_SHIPMENT_SERVICE])
        inventory = client.bind(M2_INVENTORY_SERVICE + "Service", M2_INVENTORY_SERVICE + "Port")
        reply = inventory.realtimeDespatchOrderFlowInventoryRequestManagementV1Update(
            productQtys={"item": [{"sku": "ZEEP-1", "qty": 10, "source": "default"},
                                  {"sku": "ZEEP-1", "qty": 4, "source": "leeds"}]},
            productSeqs={"item": [{"sku": "ZEEP-1", "seq": 2001,
                                   "lastOrderExported": "2026-11-22 23:59:00"}]},
            messageSeqId=7300)
        self.assertEqual(reply, "Success - Message 7300 Received")
        lines = self.stored("inventory", 7300)["lines"]
        self.assertEqual([(l["sku"], l["source"], l["qty"], l["seq"]) for l in lines],
                         [("ZEEP-1", "default", 10, 2001), ("ZEEP-1", "leeds", 4, 2001)])

        shipment = client.bind(M2_SHIPMENT_SERVICE + "Service", M2_SHIPMENT_SERVICE + "Port")
        reply = shipment.realtimeDespatchOrderFlowShipmentRequestManagementV1Create(
            orderIncrementId="000000123", skuQty={"item": [{"sku": "ZEEP-1", "qty": 1}]},
            tracks={"item": [{"trackingNumber": "T1"}, {"trackingNumber": "T2"}]},
            courierName="DPD", serviceName="Express", trackingNumber="T0", messageSeqId=7301)
        self.assertEqual(reply, "Success - Message 7301 Received")
        self.assertEqual(self.stored("shipment", 7301)["tracking_numbers"], ["T0", "T1", "T2"])

    def test_zeep_token_then_call(self):
        token_service = "integrationAdminTokenServiceV1"
        client = self.zeep_client([token_service], token="none")
        bound = client.bind(token_service + "Service", token_service + "Port")
        token = bound.integrationAdminTokenServiceV1CreateAdminAccessToken(
            username="wms", password="secret-api-key")
        self.assertEqual(len(token), 64)
        product = "realtimeDespatchOrderFlowProductRequestManagementV1"
        client = self.zeep_client([product], token=token)
        bound = client.bind(product + "Service", product + "Port")
        reply = bound.realtimeDespatchOrderFlowProductRequestManagementV1Export(reference="ZEEP-SKU")
        self.assertEqual(reply, "Success - Message ZEEP-SKU Received")
        with self.assertRaises(zeep.exceptions.Fault):
            self.zeep_client([product], token="wrong").bind(
                product + "Service", product + "Port"
            ).realtimeDespatchOrderFlowProductRequestManagementV1Export(reference="X")


if __name__ == "__main__":
    unittest.main()
