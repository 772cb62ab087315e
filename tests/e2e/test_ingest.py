"""End-to-end: the real broker on port 0 accepts every WMS message shape, answers exactly as the
WMS expects, stores each message durably, and rejects bad or hostile input without storing it."""

import os
import socket
import time
import unittest

from broker import (Broker, LOGIN, M2_INVENTORY_SERVICE, M2_SHIPMENT_SERVICE, m1_inventory,
                    m2_envelope, m2_inventory, m2_path, sample, xml_text)

BEARER = {"Authorization": "Bearer m2-integration-token"}


class IngestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()
        cls.session = cls.broker.login()

    @classmethod
    def tearDownClass(cls):
        code = cls.broker.stop()
        cls.broker.cleanup()
        assert code == 0, code

    def stored(self, **filters):
        args = ["requests", "list", "--limit", "0"]
        for key, value in filters.items():
            args += ["--" + key, value]
        return self.broker.cli_json(*args)["requests"]

    def show(self, request_id):
        return self.broker.cli_json("requests", "show", str(request_id))

    def find(self, entity, key):
        rows = [r for r in self.stored(entity=entity) if r["message_key"] == str(key)]
        self.assertEqual(len(rows), 1, rows)
        return self.show(rows[0]["id"])

    def assert_fault(self, response, fragment, status=500, code=None):
        status_got, headers, body = response
        self.assertEqual(status_got, status, body)
        self.assertIn(fragment, xml_text(body, "faultstring") if b"faultstring" in body
                      else xml_text(body, "Text"), body)
        if code is not None:
            self.assertEqual(xml_text(body, "faultcode"), code)

    def assert_nothing_stored(self, action):
        before = len(self.stored())
        result = action()
        self.assertEqual(len(self.stored()), before, "a rejected request was stored")
        return result

    # -- accepted messages ---------------------------------------------------------------
    def test_design_example_after_real_login(self):
        body = sample("m1_inventory.xml").replace(b"SESSION", self.session.encode())
        status, headers, reply = self.broker.soap(body)
        self.assertEqual(status, 200, reply)
        self.assertTrue(headers["Content-Type"].startswith("text/xml"))
        self.assertEqual(xml_text(reply, "result"), "Success - Message 4 Received")
        request = self.find("inventory", 4)
        self.assertIn(request["state"], ("pending", "processing", "done"))  # the worker may be quick
        self.assertEqual(request["wire"], "m1_soap")
        self.assertEqual([(l["sku"], l["qty"], l["seq"], l["source"]) for l in request["lines"]],
                         [("hdd000", 0, 10, "default")])
        self.assertNotIn(self.session, request["raw_body"], "session id stored unmasked")
        self.assertIn("***", request["raw_body"])

    def test_other_array_spelling(self):
        body = m1_inventory(self.session, 5001, [("A1", 7, 70), ("B1", 3, 30)],
                            spelling=("skusQty", "skusSeqId"))
        status, _, reply = self.broker.soap(body)
        self.assertEqual(status, 200, reply)
        self.assertEqual(xml_text(reply, "result"), "Success - Message 5001 Received")
        lines = self.find("inventory", 5001)["lines"]
        self.assertEqual([(l["sku"], l["qty"], l["seq"]) for l in lines],
                         [("A1", 7, 70), ("B1", 3, 30)])

    def test_array_size_attribute_is_not_trusted(self):
        body = m1_inventory(self.session, 5002, [("C1", 1, 1), ("C2", 2, 2), ("C3", 3, 3)])
        body = body.replace("ns1:skuQty[3]", "ns1:skuQty[99999]").replace("ns1:skuSeq[3]", "ns1:skuSeq[1]")
        status, _, reply = self.broker.soap(body)
        self.assertEqual(status, 200, reply)
        self.assertEqual(len(self.find("inventory", 5002)["lines"]), 3)

    def test_m2_inventory_two_sources_for_one_sku(self):
        body = m2_inventory(6001, [("M2A", 5, "wh-1"), ("M2A", 8, "wh-2")], [("M2A", 44)])
        status, _, reply = self.broker.soap(body, path=m2_path(M2_INVENTORY_SERVICE), headers=BEARER)
        self.assertEqual(status, 200, reply)
        self.assertEqual(xml_text(reply, "result"), "Success - Message 6001 Received")
        self.assertIn(b"http://wms.example:8080/soap/default?services=", reply,
                      "reply must echo the caller's namespace")
        lines = self.find("inventory", 6001)["lines"]
        self.assertEqual([(l["sku"], l["source"], l["qty"], l["seq"]) for l in lines],
                         [("M2A", "wh-1", 5, 44), ("M2A", "wh-2", 8, 44)])

    def test_m2_shipment(self):
        status, _, reply = self.broker.soap(sample("m2_shipment.xml"),
                                            path=m2_path(M2_SHIPMENT_SERVICE), headers=BEARER,
                                            content_type="application/soap+xml; charset=utf-8")
        self.assertEqual(status, 200, reply)
        self.assertEqual(xml_text(reply, "result"), "Success - Message 78 Received")
        request = self.find("shipment", 78)
        self.assertEqual(request["tracking_numbers"], ["TRK-0", "TRK-1", "TRK-2"])
        self.assertEqual(request["fields"]["order_increment_id"], "000000123")
        self.assertEqual([(l["sku"], l["qty"], l["source"]) for l in request["lines"]],
                         [("hdd000", 1, "default"), ("ssd512", 2, "default")])
        self.assertNotIn("leftover-session", request["raw_body"])

    def test_m1_shipment(self):
        body = sample("m1_shipment.xml").replace(b"0b6fd9e1c9f1e2d8a4f3", self.session.encode())
        status, _, reply = self.broker.soap(body)
        self.assertEqual(status, 200, reply)
        self.assertEqual(xml_text(reply, "result"), "Success - Message 77 Received")
        request = self.find("shipment", 77)
        self.assertEqual(request["fields"]["courier_name"], "Royal Mail")
        self.assertEqual(request["tracking_numbers"], ["RM123456789GB"])
        self.assertEqual(len(request["lines"]), 2)

    def test_soap12(self):
        body = m2_inventory(6002, [("S12", 1, None)], [("S12", 2)], soap12=True)
        status, headers, reply = self.broker.soap(
            body, path=m2_path(M2_INVENTORY_SERVICE),
            content_type="application/soap+xml; charset=utf-8", headers=BEARER)
        self.assertEqual(status, 200, reply)
        self.assertTrue(headers["Content-Type"].startswith("application/soap+xml"))
        self.assertIn(b"http://www.w3.org/2003/05/soap-envelope", reply)
        self.assertEqual(xml_text(reply, "result"), "Success - Message 6002 Received")

    def test_redelivery_gets_identical_reply_and_no_new_request(self):
        body = m1_inventory(self.session, 7001, [("R1", 1, 1)])
        first = self.broker.soap(body)
        count = len(self.stored())
        # A re-delivery after a new login still counts: the stored body has the session masked.
        other_session = self.broker.login()
        second = self.broker.soap(m1_inventory(other_session, 7001, [("R1", 1, 1)]))
        self.assertEqual(first[0], 200)
        self.assertEqual(first[2], second[2])
        self.assertEqual(len(self.stored()), count)
        self.assertEqual(self.find("inventory", 7001)["deliveries"], 2)
        # Same messageSeqId, different content: a new request.
        status, _, _ = self.broker.soap(m1_inventory(self.session, 7001, [("R1", 2, 2)]))
        self.assertEqual(status, 200)
        self.assertEqual(len([r for r in self.stored(entity="inventory")
                              if r["message_key"] == "7001"]), 2)

    def test_rest_json_routes(self):
        status, reply = self.broker.rest("/rest/default/V1/orderflow/inventory", {
            "productQtys": [{"sku": "J1", "qty": 4, "source": "wh-1"}],
            "productSeqs": [{"sku": "J1", "seq": 9}], "messageSeqId": 8001})
        self.assertEqual((status, reply), (200, "Success - Message 8001 Received"))
        status, reply = self.broker.rest("/rest/default/V1/orderflow/shipment", {
            "orderIncrementId": "100000200", "skuQty": [{"sku": "J1", "qty": 1}],
            "tracks": [{"trackingNumber": "T9"}], "messageSeqId": 8002})
        self.assertEqual((status, reply), (200, "Success - Message 8002 Received"))
        status, reply = self.broker.rest("/rest/default/V1/orderflow/export/product",
                                         {"reference": "J1"})
        self.assertEqual((status, reply), (200, "Success - Message J1 Received"))
        status, reply = self.broker.rest("/rest/default/V1/orderflow/export/order",
                                         {"reference": "100000200"})
        self.assertEqual(status, 200)
        self.assertEqual(self.find("order_export", "100000200")["entity"], "order_export")
        # No token, unknown key, bad number: nothing stored.
        status, reply = self.assert_nothing_stored(lambda: self.broker.rest(
            "/rest/default/V1/orderflow/export/product", {"reference": "J2"}, token=None))
        self.assertEqual(status, 401)
        status, reply = self.assert_nothing_stored(lambda: self.broker.rest(
            "/rest/default/V1/orderflow/inventory", {"productQty": [], "messageSeqId": 1}))
        self.assertEqual((status, reply["message"]), (400, "unknown key 'productQty'"))
        status, reply = self.assert_nothing_stored(lambda: self.broker.rest(
            "/rest/default/V1/orderflow/inventory", {
                "productQtys": [{"sku": "J3", "qty": 1.5}],
                "productSeqs": [{"sku": "J3", "seq": 9}], "messageSeqId": 8003}))
        self.assertEqual(status, 400)
        self.assertIn("SKU 'J3'", reply["message"])

    def test_admin_token_issued_over_soap_and_rest(self):
        body = m2_envelope("integrationAdminTokenServiceV1",
                           "integrationAdminTokenServiceV1CreateAdminAccessTokenRequest",
                           "<username>wms</username><password>secret-api-key</password>")
        status, _, reply = self.broker.soap(body, path=m2_path("integrationAdminTokenServiceV1"))
        self.assertEqual(status, 200, reply)
        token = xml_text(reply, "result")
        self.assertEqual(len(token), 64)
        status, reply = self.broker.rest("/rest/default/V1/orderflow/export/product",
                                         {"reference": "TOK1"}, token=token)
        self.assertEqual(status, 200, reply)
        status, token2 = self.broker.rest("/rest/default/V1/integration/admin/token",
                                          {"username": "wms", "password": "secret-api-key"},
                                          token=None)
        self.assertEqual(status, 200)
        self.assertNotEqual(token, token2)
        status, _ = self.broker.rest("/rest/default/V1/integration/admin/token",
                                     {"username": "wms", "password": "wrong"}, token=None)
        self.assertEqual(status, 401)
        self.assertNotIn("secret-api-key", self.broker.logs())

    def test_export_ack_over_soap(self):
        service = "realtimeDespatchOrderFlowProductRequestManagementV1"
        body = m2_envelope(service, service + "ExportRequest", "<reference>EXP-1</reference>")
        status, _, reply = self.broker.soap(body, path=m2_path(service), headers=BEARER)
        self.assertEqual(status, 200, reply)
        # The worker applies it (EXP-1 is unknown here: a Failure line, the request done).
        self.assertIn(self.find("product_export", "EXP-1")["state"],
                      ("pending", "processing", "done"))

    # -- authentication ------------------------------------------------------------------
    def test_wrong_session_is_fault_5_and_stores_nothing(self):
        response = self.assert_nothing_stored(lambda: self.broker.soap(
            m1_inventory("not-a-session", 9001, [("W1", 1, 1)])))
        self.assert_fault(response, "Session expired. Try to relogin.", code="5")

    def test_bad_login_is_fault_2(self):
        response = self.broker.soap(LOGIN.format(username="wms", api_key="wrong"))
        self.assert_fault(response, "Access denied.", code="2")

    def test_m2_without_token_is_refused(self):
        body = m2_inventory(9002, [("W2", 1, None)], [("W2", 1)])
        response = self.assert_nothing_stored(
            lambda: self.broker.soap(body, path=m2_path(M2_INVENTORY_SERVICE)))
        self.assertEqual(response[0], 500)
        self.assertIn(b"isn't authorized", response[2])

    def test_end_session(self):
        session = self.broker.login()
        body = ('<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
                'xmlns:ns1="urn:Magento"><SOAP-ENV:Body><ns1:endSession><sessionId>%s</sessionId>'
                '</ns1:endSession></SOAP-ENV:Body></SOAP-ENV:Envelope>' % session)
        status, _, reply = self.broker.soap(body)
        self.assertEqual(status, 200, reply)
        self.assertEqual(xml_text(reply, "endSessionReturn"), "true")
        self.assert_fault(self.broker.soap(m1_inventory(session, 9003, [("E1", 1, 1)])),
                          "Session expired", code="5")

    # -- invalid and hostile input -------------------------------------------------------
    def import_lines(self, key):
        """The import lines of the inventory request with messageSeqId `key`, once applied."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            reports = [r for r in self.broker.cli_json("imports", "list", "--limit", "0")["imports"]
                       if r["message_key"] == str(key)]
            if reports:
                self.assertEqual(len(reports), 1, reports)
                return self.broker.cli_json("imports", "show", str(reports[0]["id"]))["lines"]
            time.sleep(0.05)
        raise AssertionError("message %s was never applied" % key)

    def test_refused_lines_are_failure_lines_and_the_rest_is_applied(self):
        # P2 has no seq item, P3's seq is 0, P4's qty is out of range: well-typed values the rules
        # refuse. They become Failure lines; P1 is applied and the message is acknowledged.
        body = m1_inventory(self.session, 9101,
                            [("P1", 1, 1), ("P2", 2, 2), ("P3", 3, 0), ("P4", 99999999999, 4)])
        body = body.replace('<item xsi:type="ns1:skuSeq"><key xsi:type="xsd:string">P2</key>'
                            '<value xsi:type="xsd:int">2</value></item>', "")
        status, _, reply = self.broker.soap(body)
        self.assertEqual(status, 200, reply)
        self.assertEqual(xml_text(reply, "result"), "Success - Message 9101 Received")
        lines = self.import_lines(9101)
        self.assertEqual([(l["reference"], l["result"]) for l in lines],
                         [("P1", "Success"), ("P2", "Failure"), ("P3", "Failure"),
                          ("P4", "Failure")])
        self.assertIn("SKU 'P2': skusQty item has no matching skusSeqId item", lines[1]["message"])
        self.assertIn("0 is out of range", lines[2]["message"])
        self.assertIn("99999999999 is out of range", lines[3]["message"])
        self.assertEqual(self.broker.cli_json("stock", "get", "P1")["stock"][0]["qty"], 1)
        self.assertNotEqual(self.broker.cli("stock", "get", "P3", check=False).returncode, 0)

    def test_a_value_not_of_its_type_is_a_fault(self):
        body = m1_inventory(self.session, 9104, [("T1", 1, 1)]).replace(
            '<value xsi:type="xsd:int">1</value></item></skuQty',
            '<value xsi:type="xsd:int">ninety</value></item></skuQty')
        response = self.assert_nothing_stored(lambda: self.broker.soap(body))
        self.assert_fault(response, "expected an integer, got 'ninety'")

    def test_numbers_are_range_checked(self):
        # (Whitespace around an XML number is valid: xsd:int collapses whitespace.)
        for bad in ("99999999999999999999", "7 7", "1e3", "0x10", "-"):
            body = m1_inventory(self.session, 9102, [("N1", 1, 1)]).replace(
                '<value xsi:type="xsd:int">1</value></item></skuQty', '<value xsi:type="xsd:int">%s</value></item></skuQty' % bad)
            response = self.assert_nothing_stored(lambda: self.broker.soap(body))
            self.assert_fault(response, "SKU 'N1'")

    def test_json_route_refuses_the_skus_the_soap_route_refuses(self):
        for sku in ("NUL\u0000X", "ESC\u001b[2J", "BEL\u0007", "TAB\tX", "C1\u009bX"):
            status, reply = self.assert_nothing_stored(lambda: self.broker.rest(
                "/rest/default/V1/orderflow/inventory", {
                    "productQtys": [{"sku": sku, "qty": 1}],
                    "productSeqs": [{"sku": sku, "seq": 1}], "messageSeqId": 9105}))
            self.assertEqual(status, 400, (sku, reply))
            self.assertIn("productQtys/item[1]/sku: control character", reply["message"])
            status, reply = self.assert_nothing_stored(lambda: self.broker.rest(
                "/rest/default/V1/orderflow/shipment", {
                    "orderIncrementId": "1000" + sku, "skuQty": [{"sku": "S", "qty": 1}]}))
            self.assertEqual(status, 400, (sku, reply))
        # Bidi controls are printable characters: stored, but escaped in CLI tables.
        status, reply = self.broker.rest("/rest/default/V1/orderflow/inventory", {
            "productQtys": [{"sku": "BIDI\u202e1.0", "qty": 1}],
            "productSeqs": [{"sku": "BIDI\u202e1.0", "seq": 1}], "messageSeqId": 9106})
        self.assertEqual(status, 200, reply)
        self.import_lines(9106)
        table = self.broker.cli("stock", "get", "BIDI\u202e1.0").stdout.decode()
        self.assertIn("BIDI\\u202E1.0", table)
        self.assertNotIn("\u202e", table)

    def hostile(self, body, fragment):
        """Sends a hostile body; returns the seconds the broker took to answer (the HTTP exchange
        only, not the CLI calls that check nothing was stored)."""
        timed = {}

        def send():
            started = time.monotonic()
            response = self.broker.soap(body)
            timed["elapsed"] = time.monotonic() - started
            return response

        response = self.assert_nothing_stored(send)
        self.assert_fault(response, fragment)
        return timed["elapsed"]

    def test_doctype_rejected(self):
        body = m1_inventory(self.session, 9201, [("H1", 1, 1)])
        self.hostile('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + body,
                     "DOCTYPE")

    def test_attribute_flood_rejected_fast(self):
        attributes = " ".join('a%d="1"' % i for i in range(80000))
        body = m1_inventory(self.session, 9202, [("H2", 1, 1)]).replace(
            "<ns1:orderflowInventoryMultiUpdate>", "<ns1:orderflowInventoryMultiUpdate %s>" % attributes)
        self.assertGreater(len(body), 700_000)
        # gSOAP alone needs ~13 s for this body (quadratic). What makes the rejection fast is
        # that the gate's pre-parse refuses it, naming its attribute limit, before gSOAP runs:
        # that is asserted here; the time is only printed (timings belong to benchmarks).
        elapsed = self.hostile(body, "attributes")
        print("80,000-attribute body rejected in %.3f s" % elapsed)

    def test_namespace_flood_rejected(self):
        declarations = " ".join('xmlns:p%d="urn:x%d"' % (i, i) for i in range(40000))
        body = m1_inventory(self.session, 9203, [("H3", 1, 1)]).replace(
            "<ns1:orderflowInventoryMultiUpdate>", "<ns1:orderflowInventoryMultiUpdate %s>" % declarations)
        self.hostile(body, "namespace")

    def test_depth_rejected(self):
        deep = "<a>" * 5000 + "</a>" * 5000
        body = m1_inventory(self.session, 9204, [("H4", 1, 1)]).replace(
            "<messageSeqId", deep + "<messageSeqId")
        self.hostile(body, "nested deeper")

    def test_invalid_utf8_and_control_characters_rejected(self):
        base = m1_inventory(self.session, 9205, [("H5", 1, 1)])
        self.hostile(base.replace("H5", "H\xe9").encode("latin-1"), "UTF-8")
        self.hostile(base.replace("H5", "H\x01"), "control")
        self.hostile(base.replace("H5", "H&#1;"), "character")
        self.hostile(base.replace("H5", "H&#0;"), "character")

    def test_duplicate_fields_rejected(self):
        body = m1_inventory(self.session, 9206, [("H6", 1, 1)]).replace(
            "<messageSeqId", '<messageSeqId xsi:type="xsd:int">9207</messageSeqId><messageSeqId')
        self.hostile(body, "messageSeqId")

    def test_not_xml_rejected(self):
        self.hostile("this is not xml", "")
        self.hostile("", "")

    def test_body_over_limit_is_413(self):
        # Announced size over max_body_bytes: answered 413 straight after the header.
        def send_oversized():
            with socket.create_connection((self.broker.host, self.broker.port), timeout=5) as s:
                s.sendall(b"POST /api/v2_soap/ HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                          b"Content-Length: %d\r\n\r\n<" % (4 * 1024 * 1024 + 10))
                return s.recv(1024)
        reply = self.assert_nothing_stored(send_oversized)
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply)

    # -- HTTP ----------------------------------------------------------------------------
    def test_keep_alive(self):
        conn = self.broker.connection()
        for i in range(3):
            conn.request("POST", "/api/v2_soap/", body=m1_inventory(self.session, 9301 + i, [("K", 1, i + 1)]),
                         headers={"Content-Type": "text/xml"})
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            response.read()
        conn.close()

    def test_expect_100_continue_is_answered(self):
        body = m1_inventory(self.session, 9401, [("X1", 1, 1)]).encode()
        with socket.create_connection((self.broker.host, self.broker.port), timeout=5) as s:
            s.sendall(b"POST /api/v2_soap/ HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                      b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
            interim = s.recv(1024)
            self.assertTrue(interim.startswith(b"HTTP/1.1 100"), interim)
            s.sendall(body)
            reply = s.recv(65536)
            self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply)

    def test_wsdls_served_with_callers_address(self):
        status, headers, body = self.broker.request(
            "GET", "/api/v2_soap/?wsdl=1", headers={"Host": "broker.example:8443"})
        self.assertEqual(status, 200)
        self.assertIn(b"http://broker.example:8443/api/v2_soap/", body)
        self.assertIn(b"orderflowInventoryMultiUpdate", body)
        status, _, body = self.broker.request(
            "GET", "/index.php/api/v2_soap/?wsdl=1", headers={"Host": "b.example"})
        self.assertIn(b"http://b.example/index.php/api/v2_soap/", body)
        status, _, body = self.broker.request(
            "GET", "/soap/default?wsdl&services=%s,%s" % (M2_INVENTORY_SERVICE, M2_SHIPMENT_SERVICE),
            headers={"Host": "m2.example"})
        self.assertEqual(status, 200)
        self.assertIn(b"http://m2.example/soap/default?services=", body)
        self.assertIn(b"V1Create", body)
        status, _, _ = self.broker.request("GET", "/soap/default?wsdl&services=nope")
        self.assertEqual(status, 404)

    def test_unknown_paths_and_methods(self):
        self.assertEqual(self.broker.request("GET", "/nope")[0], 404)
        self.assertEqual(self.broker.request("DELETE", "/api/v2_soap/")[0], 405)
        self.assertEqual(self.broker.request("GET", "/healthz")[0], 200)
        self.assertEqual(self.broker.request("POST", "/soap/nostore?services=x", b"<a/>")[0], 404)

    def test_cli_table_output(self):
        out = self.broker.cli("requests", "list").stdout.decode()
        header = out.splitlines()[0]
        self.assertTrue(header.startswith("ID"), out)
        self.assertIn("ENTITY", header)
        missing = self.broker.cli("requests", "show", "999999", check=False)
        self.assertNotEqual(missing.returncode, 0)


class LifecycleTest(unittest.TestCase):
    def test_sessions_and_requests_survive_restart_and_sigterm_exits_cleanly(self):
        broker = Broker().start()
        try:
            session = broker.login()
            status, _, _ = broker.soap(m1_inventory(session, 1, [("L1", 1, 1)]))
            self.assertEqual(status, 200)
            started = time.monotonic()
            self.assertEqual(broker.stop(), 0)
            self.assertLess(time.monotonic() - started, 10)
            broker.start()
            status, _, reply = broker.soap(m1_inventory(session, 2, [("L1", 2, 2)]))
            self.assertEqual(status, 200, reply)
            keys = sorted(r["message_key"] for r in broker.cli_json("requests", "list")["requests"])
            self.assertEqual(keys, ["1", "2"])
        finally:
            broker.stop()
            broker.cleanup()

    def test_sigterm_with_idle_keep_alive_connection(self):
        broker = Broker().start()
        try:
            conn = broker.connection()
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            started = time.monotonic()
            self.assertEqual(broker.stop(), 0)
            self.assertLess(time.monotonic() - started, 10)
            conn.close()
        finally:
            broker.cleanup()

    def test_bad_config_names_the_key(self):
        broker = Broker(server_extra="max_body_bytes = \"huge\"")
        try:
            with self.assertRaises(RuntimeError) as raised:
                broker.start()
            self.assertIn("server.max_body_bytes", str(raised.exception))
        finally:
            broker.cleanup()


if __name__ == "__main__":
    unittest.main()
