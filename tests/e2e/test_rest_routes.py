"""REST routes and stored bodies against the real binary: Magento's trailing-slash REST paths
work; REST bodies are stored as received with only the shared secret names masked (at any
depth); a SOAP body in ISO-8859-1 is stored in its UTF-8 form and a re-delivery of the same
bytes is recognised."""

import json
import unittest

from broker import Broker, xml_text


class RestRoutesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()

    @classmethod
    def tearDownClass(cls):
        code = cls.broker.stop()
        cls.broker.cleanup()
        assert code == 0

    def find(self, entity, key):
        rows = [r for r in self.broker.cli_json("requests", "list", "--entity", entity)["requests"]
                if r["message_key"] == str(key)]
        self.assertEqual(len(rows), 1, rows)
        return self.broker.cli_json("requests", "show", str(rows[0]["id"]))

    def post(self, path, raw, token="m2-integration-token"):
        headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
        status, _, body = self.broker.request("POST", path, raw.encode(), headers)
        return status, json.loads(body)

    def test_trailing_slash_routes(self):
        status, reply = self.post("/rest/default/V1/orderflow/inventory/", json.dumps({
            "productQtys": [{"sku": "SLASH-1", "qty": 3}],
            "productSeqs": [{"sku": "SLASH-1", "seq": 9}], "messageSeqId": 9100}))
        self.assertEqual((status, reply), (200, "Success - Message 9100 Received"))
        status, reply = self.post("/rest/default/V1/orderflow/export/product/",
                                  json.dumps({"reference": "SLASH-REF"}))
        self.assertEqual((status, reply), (200, "Success - Message SLASH-REF Received"))
        status, token = self.post("/rest/default/V1/integration/admin/token/",
                                  json.dumps({"username": "wms", "password": "secret-api-key"}),
                                  token="")
        self.assertEqual(status, 200)
        self.assertEqual(len(token), 64)

    def test_body_stored_as_received_with_secrets_masked(self):
        raw = ('{ "sessionId" : "leftover-session",\n  "productQtys": {"item": [ {"sku": "RAW-1", '
               '"qty":  2} ]},\n  "productSeqs": [{"sku":"RAW-1","seq":"11"}],'
               ' "messageSeqId": 9200 }')
        status, reply = self.post("/rest/default/V1/orderflow/inventory", raw)
        self.assertEqual((status, reply), (200, "Success - Message 9200 Received"), reply)
        stored = self.find("inventory", 9200)["raw_body"]
        self.assertEqual(stored, raw.replace('"leftover-session"', '"***"'))

    def test_latin1_soap_body_is_stored_as_utf8_and_deduplicated(self):
        session = self.broker.login()
        body = ('<?xml version="1.0" encoding="ISO-8859-1"?>'
                '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"'
                ' xmlns:ns1="urn:Magento"><SOAP-ENV:Body><ns1:orderflowInventoryMultiUpdate>'
                '<sessionId>%s</sessionId><skuQty><item><key>CAF\xc9</key><value>1</value></item>'
                '</skuQty><skuSeqId><item><key>CAF\xc9</key><value>5</value></item></skuSeqId>'
                '<messageSeqId>9300</messageSeqId></ns1:orderflowInventoryMultiUpdate>'
                '</SOAP-ENV:Body></SOAP-ENV:Envelope>') % session
        for _ in range(2):
            status, _, reply = self.broker.soap(body.encode("latin-1"))
            self.assertEqual(status, 200, reply)
            self.assertEqual(xml_text(reply, "result"), "Success - Message 9300 Received")
        request = self.find("inventory", 9300)
        self.assertEqual(request["deliveries"], 2)
        self.assertEqual(request["lines"][0]["sku"], "CAF\u00c9")
        self.assertTrue(request["raw_body"].startswith('<?xml version="1.0" encoding="UTF-8"?>'))
        self.assertIn("CAF\u00c9", request["raw_body"])
        self.assertNotIn(session, request["raw_body"])


if __name__ == "__main__":
    unittest.main()
