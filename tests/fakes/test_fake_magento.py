"""The fake Magento judges the broker's magento2 target, so it is tested itself: over real HTTP
on loopback with a plain client (requests), against the texts and behaviour of
notes/magento-and-orderflow-http.md §1-2, and its schema checks against an independent
validator (jsonschema, Draft 4 as Swagger 2.0 uses) on the same schema."""

import copy
import hashlib
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.parse

import jsonschema
import oauthlib.oauth1
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import magento_schema  # noqa: E402
from fake_magento import FakeMagento, oauth_signature  # noqa: E402

NOT_AUTHORIZED = "The consumer isn't authorized to access %resources."
SHIP_ERRORS = "Shipment Document Validation Error(s):\n"

# The bodies of the notes (§1.2, §1.3, §1.4), as Magento's own tests send them.
SOURCE_ITEMS = {"sourceItems": [
    {"sku": "SKU-1", "source_code": "eu-1", "quantity": 5.5, "status": 1},
    {"sku": "SKU-1", "source_code": "eu-2", "quantity": 3, "status": 1}]}
STOCK_ITEM = {"stockItem": {"qty": 12, "is_in_stock": True}}


def ship_body(item_id, qty, marker="ofbridge:7123", source="eu-2"):
    return {"items": [{"order_item_id": item_id, "qty": qty}],
            "notify": True, "appendComment": True,
            "comment": {"comment": "Despatched by WMS " + marker, "is_visible_on_front": 0},
            "tracks": [{"track_number": "JD014600003828", "title": "DPD Next Day",
                        "carrier_code": "custom"}],
            "arguments": {"extension_attributes": {"source_code": source}}}


def criteria(*filters, sort=None, page_size=None, page=None):
    """searchCriteria query pairs: filters are (group, field, value, condition)."""
    pairs = []
    counts = {}
    for group, field, value, condition in filters:
        i = counts.get(group, 0)
        counts[group] = i + 1
        base = "searchCriteria[filter_groups][%d][filters][%d]" % (group, i)
        pairs += [(base + "[field]", field), (base + "[value]", value),
                  (base + "[condition_type]", condition)]
    if sort:
        pairs += [("searchCriteria[sortOrders][0][field]", sort[0]),
                  ("searchCriteria[sortOrders][0][direction]", sort[1])]
    if page_size is not None:
        pairs.append(("searchCriteria[pageSize]", str(page_size)))
    if page is not None:
        pairs.append(("searchCriteria[currentPage]", str(page)))
    return pairs


class FakeMagentoCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.schema = magento_schema.RestSchema(limits=type("L", (), {"input_list_limit": None}))

    def setUp(self):
        self.fake = FakeMagento(seed=7).start()
        self.addCleanup(self.fake.stop)
        self.fake.add_source("eu-1")
        self.fake.add_source("eu-2")
        self.fake.create_admin_user("admin", "secret")
        self.http = requests.Session()
        self.addCleanup(self.http.close)
        token = self.http.post(self.url("integration/admin/token"),
                               json={"username": "admin", "password": "secret"})
        self.assertEqual(token.status_code, 200, token.text)
        self.http.headers["Authorization"] = "Bearer " + token.json()

    def url(self, path):
        return self.fake.rest_url + path

    def violations(self):
        with self.fake.state.lock:
            return list(self.fake.state.schema_violations)

    def assert_clean(self):
        self.assertEqual(self.violations(), [])
        self.assertEqual(self.fake.state.fake_errors, [])


class SchemaTest(FakeMagentoCase):
    def test_magento_shaped_bodies_are_accepted(self):
        self.fake.add_product("SKU-1", qty=4)
        order = self.fake.add_order([{"sku": "SKU-1", "qty": 2}])
        self.fake.source_deduction = False
        for store in ("all", "default"):
            r = self.http.post("%srest/%s/V1/inventory/source-items" % (self.fake.base_url, store),
                               json=SOURCE_ITEMS)
            self.assertEqual((r.status_code, r.json()), (200, []))
        r = self.http.put(self.url("products/SKU-1/stockItems/1"), json=STOCK_ITEM)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), self.fake.state.stock_items["SKU-1"]["item_id"])
        item = order["items"][0]["item_id"]
        r = self.http.post(self.url("order/%d/ship" % order["entity_id"]), json=ship_body(item, 1))
        self.assertEqual(r.status_code, 200, r.text)
        self.assertIsInstance(r.json(), int)
        # Camel-case keys map to the same properties, as Magento's input processor does.
        r = self.http.post(self.url("order/%d/ship" % order["entity_id"]),
                           json={"items": [{"orderItemId": item, "qty": 1}]})
        self.assertEqual(r.status_code, 200, r.text)
        self.assert_clean()
        self.assertEqual(self.fake.state.ignored_inputs, [])

    def test_wrong_bodies_are_refused_and_recorded(self):
        cases = [
            # (body, status, message)
            ({"sourceItems": [{"sku": "A", "source_code": "eu-1", "quantity": "5", "status": 1}]},
             400, 'Error occurred during "%field_name" processing. %details'),
            ({"sourceItems": [{"sku": "A", "source_code": "eu-1", "quantity": 5, "status": True}]},
             400, 'Error occurred during "%field_name" processing. %details'),
            ({"sourceItems": {"sku": "A"}},
             400, 'Error occurred during "%field_name" processing. %details'),
            ({"sourceItems": [{"sku": "A", "source_code": "eu-1", "quantity": 5, "status": 1,
                               "qty": 5}]}, 400, '"%fieldName" is required. Enter and try again.'),
            ({"sourceItems": [{"sku": "A", "source_code": "eu-1", "quantity": 5, "status": 1,
                               "extension_attributes": {"nope": 1}}]},
             400, '"%fieldName" is required. Enter and try again.'),
            ({"items": [{"sku": "A", "source_code": "eu-1", "quantity": 5, "status": 1}]},
             400, '"%fieldName" is required. Enter and try again.'),
        ]
        for body, status, message in cases:
            with self.subTest(body=body):
                before = len(self.violations())
                r = self.http.post(self.url("inventory/source-items"), json=body)
                self.assertEqual(r.status_code, status, r.text)
                self.assertEqual(r.json()["message"], message)
                self.assertEqual(len(self.violations()), before + 1)
        details = [v["detail"] for v in self.violations()]
        self.assertIn('sourceItems[0].qty: Property "Qty" does not have accessor method "getQty" '
                      'in class "Magento\\InventoryApi\\Api\\Data\\SourceItemInterface".', details)
        self.assertEqual(self.fake.state.source_items, {})  # nothing stored
        r = self.http.post(self.url("inventory/source-items"), json=cases[3][0])
        self.assertEqual(r.json()["parameters"], {"fieldName": "Qty"})
        # Before 2.4.7 the mapping error escaped as a 500, masked in production mode.
        self.fake.configure(unknown_property_500=True)
        r = self.http.post(self.url("inventory/source-items"), json=cases[3][0])
        self.assertEqual(r.status_code, 500)
        self.assertTrue(r.json()["message"].startswith(
            "Internal Error. Details are available in Magento log file. Report ID: webapi-"))
        r = self.http.post(self.url("inventory/source-items"), data=b"{not json",
                           headers={"Content-Type": "application/json"})
        self.assertEqual((r.status_code, r.json()["message"]), (400, "Decoding error."))
        r = self.http.post(self.url("inventory/source-items"), data=b"{}",
                           headers={"Content-Type": "text/plain"})
        self.assertEqual(r.status_code, 400)

    def test_chunked_bodies_on_one_kept_alive_connection(self):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.fake.port)
        self.addCleanup(conn.close)
        headers = {"Content-Type": "application/json",
                   "Authorization": self.http.headers["Authorization"]}
        body = json.dumps(SOURCE_ITEMS).encode()
        for _ in range(3):
            conn.request("POST", "/rest/all/V1/inventory/source-items",
                         iter([body[:10], body[10:]]), headers, encode_chunked=True)
            response = conn.getresponse()
            self.assertEqual((response.status, json.loads(response.read())), (200, []))
        self.assertEqual(self.fake.state.source_item_calls, 3)
        self.assert_clean()

    def test_a_client_killed_mid_body_is_not_judged(self):
        import socket
        body = json.dumps(SOURCE_ITEMS).encode()
        with socket.create_connection(("127.0.0.1", self.fake.port)) as sock:
            sock.sendall(b"POST /rest/all/V1/inventory/source-items HTTP/1.1\r\n"
                         b"Host: x\r\nContent-Type: application/json\r\n"
                         b"Authorization: " + self.http.headers["Authorization"].encode() +
                         b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:20])
            sock.shutdown(socket.SHUT_WR)
            self.assertEqual(sock.recv(100), b"")  # closed, no reply
        self.assertEqual(self.fake.state.cut_short, 1)
        self.assertEqual(self.fake.state.source_item_calls, 0)
        self.assert_clean()

    def test_unknown_top_level_keys_are_ignored_but_noted(self):
        body = dict(SOURCE_ITEMS, dryRun=True)
        r = self.http.post(self.url("inventory/source-items"), json=body)
        self.assertEqual(r.status_code, 200, r.text)
        # A parameter's snake_case spelling is the parameter (ServiceInputProcessor::process).
        r = self.http.post(self.url("inventory/source-items"),
                           json={"source_items": SOURCE_ITEMS["sourceItems"]})
        self.assertEqual(r.status_code, 200, r.text)
        self.assert_clean()
        self.assertEqual([i["what"] for i in self.fake.state.ignored_inputs],
                         ["body key dryRun"])

    def test_paths_and_queries_are_checked(self):
        r = self.http.post(self.url("order/abc/ship"), json={})
        self.assertEqual(r.status_code, 400)
        # POST /V1/shipment/ exists but creates duplicates (notes §1.4): no behaviour here.
        r = self.http.post(self.url("shipment/"), json={"entity": {"order_id": 1}})
        self.assertEqual(r.status_code, 500)
        self.assertEqual(self.fake.state.unscripted, [("POST", "/V1/shipment/")])
        r = self.http.get(self.url("no/such/route"))
        self.assertEqual((r.status_code, r.json()), (404, {"message":
                                                          "Request does not match any route."}))
        r = self.http.get(self.url("orders"))
        self.assertEqual((r.status_code, r.json()["parameters"]),
                         (400, {"fieldName": "searchCriteria"}))
        r = self.http.get(self.url("orders"), params=[("searchCriteria[pageSize]", "ten")])
        self.assertEqual(r.status_code, 400)
        r = self.http.get(self.url("orders"),
                          params=[("searchCriteria[filter_group][0][filters][0][field]", "x")])
        self.assertEqual(r.status_code, 400)
        r = self.http.get(self.url("orders"), params=criteria((0, "status", "x", "equals")))
        self.assertEqual(r.status_code, 400)
        r = self.http.get(self.url("orders"), params=criteria((0, "updated_at", "yesterday",
                                                                "gteq")))
        self.assertEqual(r.status_code, 400)
        paths = [v["path"] for v in self.violations()]
        self.assertIn("/rest/all/V1/order/abc/ship", paths)
        self.assertIn("/rest/all/V1/no/such/route", paths)
        self.assertEqual(sum(p == "/rest/all/V1/orders" for p in paths), 5)
        # Both spellings of searchCriteria keys, and the idiom searchCriteria= (everything).
        before = len(self.violations())
        for params in ([("searchCriteria", "")],
                       criteria((0, "status", "processing", "eq"), page_size=10),
                       [("searchCriteria[filterGroups][0][filters][0][field]", "status"),
                        ("searchCriteria[filterGroups][0][filters][0][value]", "processing"),
                        ("searchCriteria[filterGroups][0][filters][0][conditionType]", "eq")]):
            r = self.http.get(self.url("orders"), params=params)
            self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(len(self.violations()), before)

    def test_verdicts_agree_with_an_independent_validator(self):
        """The compiled checks against jsonschema on the same schema, with Magento's rules made
        explicit there: no `required` inside objects, no unknown properties."""
        with open(magento_schema.find_schema(), encoding="utf-8") as f:
            raw = json.load(f)
        definitions = copy.deepcopy(raw["definitions"])

        def strict(node):
            if isinstance(node, dict):
                if node.get("type") == "object" or "properties" in node:
                    node.pop("required", None)
                    node["additionalProperties"] = False
                for value in node.values():
                    strict(value)
            elif isinstance(node, list):
                for value in node:
                    strict(value)
        strict(definitions)
        bodies = {
            ("POST", "/V1/inventory/source-items"): [
                SOURCE_ITEMS, {"sourceItems": [{"sku": 1}]},
                {"sourceItems": [{"sku": "A", "quantity": 2.5, "status": 1.5}]},
                {"sourceItems": [{"sku": "A", "extension_attributes": {}}]},
                {"sourceItems": [{"sku": "A", "bin": "X"}]}, {"sourceItems": "A"}],
            ("POST", "/V1/order/{orderId}/ship"): [
                ship_body(1, 2), ship_body(1, 2.5), {"items": [{"order_item_id": 1.5}]},
                {"notify": "yes"}, {"tracks": [{"track_number": "1", "number": "x"}]},
                {"comment": {"comment": "x", "is_visible_on_front": False}},
                {"arguments": {"extension_attributes": {"source_code": 3}}},
                {"packages": [{"extension_attributes": {}}]}, {"items": []}],
            ("PUT", "/V1/products/{productSku}/stockItems/{itemId}"): [
                STOCK_ITEM, {"stockItem": {"qty": "12"}}, {"stockItem": {"is_in_stock": 1}},
                {"stockItem": {"qty": 1, "min_qty": 0, "use_config_min_qty": True}},
                {"stockItem": {"quantity": 1}}],
        }
        for (method, template), cases in bodies.items():
            spec = raw["paths"][template][method.lower()]
            body_param = [p for p in spec["parameters"] if p.get("in") == "body"][0]
            top = copy.deepcopy(body_param["schema"])
            strict_top = dict(top)  # the top level keeps `required` (method parameters)
            strict_top["properties"] = {k: v for k, v in top["properties"].items()}
            strict_top["definitions"] = definitions
            reference = jsonschema.Draft4Validator(strict_top)
            op = [o for ops in self.schema.by_first.values() for o in ops
                  if o.template == template and o.method == method][0]
            for body in cases:
                with self.subTest(template=template, body=body):
                    expected = reference.is_valid(body)
                    try:
                        self.schema.check_body(op, body)
                        got = True
                    except magento_schema.Rejection:
                        got = False
                    self.assertEqual(got, expected)

    def test_responses_follow_the_schema(self):
        self.fake.add_product("SKU-1", qty=9, custom_attributes={"barcode": "5012345678900"})
        self.fake.add_product("TEE")
        order = self.fake.add_order([{"sku": "SKU-1", "qty": 2},
                                     {"sku": "TEE-M", "qty": 1, "parent_sku": "TEE"}])
        self.http.post(self.url("order/%d/ship" % order["entity_id"]),
                       json=ship_body(order["items"][0]["item_id"], 1, source="default"))
        for path, definition in (("orders", "sales-data-order-search-result-interface"),
                                 ("products", "catalog-data-product-search-results-interface"),
                                 ("shipments", "sales-data-shipment-search-result-interface"),
                                 ("inventory/source-items",
                                  "inventory-api-data-source-item-search-results-interface"),
                                 ("inventory/sources",
                                  "inventory-api-data-source-search-results-interface")):
            r = self.http.get(self.url(path), params=[("searchCriteria", "")])
            self.assertEqual(r.status_code, 200, r.text)
            self.schema.check_response(definition, r.json())
        r = self.http.get(self.url("orders/%d" % order["entity_id"]))
        self.schema.check_response("sales-data-order-interface", r.json())
        self.assert_clean()


class BehaviourTest(FakeMagentoCase):
    def test_input_limits_on_pages(self):
        for _ in range(25):
            self.fake.add_order([{"sku": "A", "qty": 1}])
        r = self.http.get(self.url("orders"), params=[("searchCriteria", "")])
        self.assertEqual((len(r.json()["items"]), r.json()["total_count"]), (20, 25))
        self.fake.configure(input_limits=False)
        r = self.http.get(self.url("orders"), params=[("searchCriteria", "")])
        self.assertEqual((len(r.json()["items"]), r.json()["total_count"]), (25, 25))
        r = self.http.get(self.url("orders"), params=criteria(page_size=1000))
        self.assertEqual(len(r.json()["items"]), 25)
        self.assert_clean()

    def test_source_items_rules(self):
        r = self.http.post(self.url("inventory/source-items"),
                           json={"sourceItems": [{"sku": "NOT-IN-CATALOG", "source_code": "eu-1",
                                                  "quantity": 4, "status": 1}]})
        self.assertEqual(r.status_code, 200)  # unknown SKUs are stored silently
        self.assertEqual(self.fake.source_item("NOT-IN-CATALOG", "eu-1"),
                         {"quantity": 4.0, "status": 1})
        items = [{"sku": "S%d" % i, "source_code": "eu-1", "quantity": i, "status": 1}
                 for i in range(21)]
        r = self.http.post(self.url("inventory/source-items"), json={"sourceItems": items})
        self.assertEqual((r.status_code, r.json()), (400, {
            "message": 'Maximum items of type "%type" is %max',
            "parameters": {"type": "\\Magento\\InventoryApi\\Api\\Data\\SourceItemInterface",
                           "max": 20}}))
        r = self.http.post(self.url("inventory/source-items"), json={"sourceItems": items[:20]})
        self.assertEqual(r.status_code, 200)
        self.fake.configure(input_limits=False)  # 2.4.4+ default: limits off
        r = self.http.post(self.url("inventory/source-items"), json={"sourceItems": items * 30})
        self.assertEqual(r.status_code, 200)
        r = self.http.post(self.url("inventory/source-items"), json={"sourceItems": []})
        self.assertEqual((r.status_code, r.json()), (400, {"message": "Input data is empty"}))
        r = self.http.post(self.url("inventory/source-items"), json={"sourceItems": [
            {"sku": "A", "source_code": "no-such-source", "quantity": 1, "status": 1},
            {"sku": "B", "source_code": "eu-1", "quantity": 1, "status": 1}]})
        self.assertEqual((r.status_code, r.json()),
                         (400, {"message": "Could not save Source Item"}))
        self.assertIsNone(self.fake.source_item("B", "eu-1"))  # all or nothing
        r = self.http.post(self.url("inventory/source-items"), json={"sourceItems": [
            {"sku": "", "source_code": "eu-1", "quantity": 1, "status": 1}]})
        self.assertEqual((r.status_code, r.json()), (400, {
            "message": 'Validation Failed: "sku" can not be empty.',
            "errors": [{"message": '"%field" can not be empty.', "parameters": {"field": "sku"}}]}))
        self.assert_clean()
        self.assertEqual(len(self.fake.state.input_limit_refusals), 1)

    def test_legacy_stock_item(self):
        self.fake.add_product("SKU-1")
        r = self.http.put(self.url("products/SKU-1/stockItems/999"), json=STOCK_ITEM)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(self.fake.state.stock_items["SKU-1"]["qty"], 12.0)
        self.assertEqual(self.fake.source_item("SKU-1", "default"),
                         {"quantity": 12.0, "status": 1})
        self.fake.add_product("TEE M")
        r = self.http.put(self.url("products/TEE%20M/stockItems/1"), json=STOCK_ITEM)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(self.fake.state.stock_items["TEE M"]["qty"], 12.0)
        r = self.http.put(self.url("products/NOPE/stockItems/1"), json=STOCK_ITEM)
        self.assertEqual((r.status_code, r.json()["message"]), (404, "The product that was "
                         "requested doesn't exist. Verify the product and try again."))

    def test_qty_accounting_and_exact_ship_errors(self):
        self.fake.add_product("SKU-1", qty=0)
        self.fake.add_product("TEE")
        self.http.post(self.url("inventory/source-items"), json={"sourceItems": [
            {"sku": "SKU-1", "source_code": "eu-2", "quantity": 10, "status": 1}]})
        order = self.fake.add_order([{"sku": "SKU-1", "qty": 3, "name": "Joust Duffle Bag"},
                                     {"sku": "TEE-M", "qty": 2, "parent_sku": "TEE"}])
        oid = order["entity_id"]
        simple, parent, child = (i["item_id"] for i in order["items"])
        self.assertEqual(self.fake.state.orders[oid]["items"][2]["parent_item_id"], parent)

        def ship(body):
            return self.http.post(self.url("order/%d/ship" % oid), json=body)

        r = ship(ship_body(simple, 4))
        self.assertEqual((r.status_code, r.json()), (400, {"message": SHIP_ERRORS +
                         'We found an invalid quantity to ship for item "Joust Duffle Bag".\n'
                         "You can't create a shipment without products."}))
        r = ship({"items": [{"order_item_id": 999, "qty": 1}]})
        self.assertEqual(r.json()["message"], SHIP_ERRORS + 'We can not found item "999" in '
                         "order.\nYou can't create a shipment without products.")
        r = ship({"items": [{"order_item_id": simple, "qty": 1}],
                  "tracks": [{"track_number": "", "title": "DPD", "carrier_code": "custom"}]})
        self.assertEqual(r.json()["message"], SHIP_ERRORS + "Please enter a tracking number.")
        r = self.http.post(self.url("order/424242/ship"), json={})
        self.assertEqual((r.status_code, r.json()["message"]), (404, "The entity that was "
                         "requested doesn't exist. Verify the entity and try again."))
        self.assertEqual(self.fake.state.shipments_created, {})
        # Partial: 2 of 3, then the configurable by its parent (the child follows).
        r = ship(ship_body(simple, 2, marker="ofbridge:41"))
        self.assertEqual(r.status_code, 200, r.text)
        first = r.json()
        self.assertEqual(self.fake.source_item("SKU-1", "eu-2")["quantity"], 8.0)
        r = ship({"items": [{"order_item_id": parent, "qty": 2}]})
        self.assertEqual(r.status_code, 200, r.text)
        fetched = self.http.get(self.url("orders/%d" % oid)).json()
        items = {i["item_id"]: i for i in fetched["items"]}
        self.assertEqual([items[i]["qty_shipped"] for i in (simple, parent, child)], [2, 2, 2])
        self.assertEqual(self.fake.state.orders[oid]["state"], "processing")
        # Not enough at the source: MSI's deduction fails the save; nothing ships.
        self.fake.state.source_items[("SKU-1", "eu-2")]["quantity"] = 0
        r = ship(ship_body(simple, 1))
        self.assertEqual((r.status_code, r.json()), (400, {
            "message": "Could not save a shipment, see error log for details"}))
        self.assertEqual(self.fake.state.ship_refusals[-1][1],
                         "Not all of your products are available in the requested quantity.")
        self.fake.state.source_items[("SKU-1", "eu-2")]["quantity"] = 5
        r = ship(ship_body(simple, 1, marker="ofbridge:43"))
        self.assertEqual(r.status_code, 200, r.text)
        order_now = self.http.get(self.url("orders/%d" % oid)).json()
        self.assertEqual((order_now["state"], order_now["status"]), ("complete", "complete"))
        # A full shipment repeated: nothing left.
        r = ship(ship_body(simple, 1))
        self.assertEqual(r.json()["message"], SHIP_ERRORS + "The order does not allow a "
                         "shipment to be created.\nWe found an invalid quantity to ship for item "
                         "\"Joust Duffle Bag\".\nYou can't create a shipment without products.")
        self.assertEqual(self.fake.state.shipments_created, {oid: 3})
        # The shipments of the order, with their comments: a client finds its marker.
        r = self.http.get(self.url("shipments"), params=criteria((0, "order_id", str(oid), "eq")))
        found = r.json()
        self.assertEqual(found["total_count"], 3)
        self.assertEqual(found["items"][0]["entity_id"], first)
        self.assertEqual(found["items"][0]["comments"][0]["comment"],
                         "Despatched by WMS ofbridge:41")
        self.assertEqual(found["items"][0]["tracks"][0]["track_number"], "JD014600003828")
        self.assertEqual(found["items"][0]["extension_attributes"], {"source_code": "eu-2"})
        # Canceled order.
        other = self.fake.add_order([{"sku": "SKU-1", "qty": 1}], status="canceled")
        r = self.http.post(self.url("order/%d/ship" % other["entity_id"]), json={})
        self.assertEqual(r.json()["message"], SHIP_ERRORS + "A shipment cannot be created when "
                         "an order has a status of canceled")
        self.assert_clean()

    def test_paging_repeats_the_last_page_and_filters_in_utc(self):
        for i in range(5):
            self.fake.add_order([{"sku": "A", "qty": 1}])
            self.fake.advance_clock(10)
        orders = sorted(self.fake.state.orders.values(), key=lambda o: o["entity_id"])
        since = orders[1]["updated_at"]
        until = orders[4]["updated_at"]

        def page(n, size=2):
            r = self.http.get(self.url("orders"), params=criteria(
                (0, "updated_at", since, "gteq"), (1, "updated_at", until, "lt"),
                sort=("updated_at", "ASC"), page_size=size, page=n))
            self.assertEqual(r.status_code, 200, r.text)
            return r.json()

        self.assertEqual([o["entity_id"] for o in page(1)["items"]], [2, 3])
        last = page(2)
        self.assertEqual([o["entity_id"] for o in last["items"]], [4])
        self.assertEqual(last["total_count"], 3)
        self.assertEqual(page(3)["items"], last["items"])  # past the end: the last page again
        self.assertEqual(page(9)["items"], last["items"])
        self.assertEqual(page(3)["search_criteria"]["current_page"], 3)
        # A change while paging moves the order out of the frozen window.
        self.fake.advance_clock(60)
        self.fake.update_order(3, status="canceled")
        self.assertEqual([o["entity_id"] for o in page(1)["items"]], [2, 4])
        self.assertEqual(self.fake.state.orders[3]["state"], "canceled")
        # A change between two page requests (a hook at the exact point): order 2, seen on
        # page 1, moves past the frozen upper bound, so the window shrinks to one order and
        # page 2, now past the end, repeats the last page.
        def change_on_page_two(method, path, query):
            if path == "/V1/orders" and "currentPage%5D=2" in query:
                self.fake.update_order(2, status="holded")
        remove = self.fake.before_request(change_on_page_two)
        self.assertEqual([o["entity_id"] for o in page(1, size=1)["items"]], [2])
        shifted = page(2, size=1)
        remove()
        self.assertEqual([o["entity_id"] for o in shifted["items"]], [4])
        self.assertEqual(shifted["total_count"], 1)  # order 2 left the frozen window
        # Strings compare as MySQL's default collation does: case-insensitively.
        self.fake.add_product("SKU-Case")
        r = self.http.get(self.url("products"), params=criteria((0, "sku", "sku-case", "eq")))
        self.assertEqual([p["sku"] for p in r.json()["items"]], ["SKU-Case"])
        # Descending sort, OR within a group, `in`.
        r = self.http.get(self.url("orders"), params=criteria(
            (0, "entity_id", "1", "eq"), (0, "entity_id", "5", "eq"), sort=("entity_id", "DESC")))
        self.assertEqual([o["entity_id"] for o in r.json()["items"]], [5, 1])
        r = self.http.get(self.url("orders"), params=criteria((0, "increment_id",
                                                                "100000002,100000004", "in")))
        self.assertEqual([o["entity_id"] for o in r.json()["items"]], [2, 4])
        # Products: type_id and updated_at; a projection.
        self.fake.add_product("P1")
        self.fake.add_product("P2", type_id="configurable")
        r = self.http.get(self.url("products"), params=criteria(
            (0, "type_id", "simple", "eq"), (1, "updated_at", "2000-01-01 00:00:00", "gt"),
            (2, "sku", "P%", "like")) +
            [("fields", "items[sku,type_id,updated_at],total_count")])
        self.assertEqual(r.json(), {"items": [{"sku": "P1", "type_id": "simple",
                                               "updated_at": self.fake.state.products["P1"]
                                               ["updated_at"]}], "total_count": 1})
        # A time zone in a filter value is not what Magento compares: noted.
        self.http.get(self.url("orders"), params=criteria((0, "updated_at",
                                                            "2025-11-20T10:00:00+01:00", "gteq")))
        self.assertTrue(any("time zone" in i["what"] for i in self.fake.state.ignored_inputs))
        r = self.http.get(self.url("orders"), params=criteria(page_size=301))
        self.assertEqual((r.status_code, r.json()), (400, {
            "message": "Maximum SearchCriteria pageSize is %max", "parameters": {"max": 300}}))
        self.assert_clean()


class AuthTest(FakeMagentoCase):
    def test_bearer_token_expiry_and_bad_login(self):
        r = self.http.get(self.url("orders/1"))
        self.assertEqual(r.status_code, 404)  # authorised; no such order
        self.fake.expire_tokens()
        r = self.http.post(self.url("order/1/ship"), json={})
        self.assertEqual((r.status_code, r.json()), (401, {
            "message": NOT_AUTHORIZED, "parameters": {"resources": "Magento_Sales::ship"}}))
        r = requests.get(self.url("orders/1"))  # no token at all: the same answer
        self.assertEqual((r.status_code, r.json()["message"]), (401, NOT_AUTHORIZED))
        r = requests.post(self.url("integration/admin/token"),
                          json={"username": "admin", "password": "wrong"})
        self.assertEqual((r.status_code, r.json()), (401, {"message": (
            "The account sign-in was incorrect or your account is disabled temporarily. "
            "Please wait and try again later.")}))
        r = requests.post(self.url("integration/admin/token"),
                          json={"username": "admin", "password": "secret"})
        r = requests.get(self.url("orders/1"), headers={"Authorization": "Bearer " + r.json()})
        self.assertEqual(r.status_code, 404)
        self.assertEqual(self.fake.state.tokens_issued, 2)

    def test_acl_grants(self):
        self.fake.create_admin_user("reader", "pw", resources=["Magento_Sales::actions_view"])
        token = requests.post(self.url("integration/admin/token"),
                              json={"username": "reader", "password": "pw"}).json()
        headers = {"Authorization": "Bearer " + token}
        self.assertEqual(requests.get(self.url("orders/1"), headers=headers).status_code, 404)
        r = requests.post(self.url("inventory/source-items"), json=SOURCE_ITEMS, headers=headers)
        self.assertEqual((r.status_code, r.json()["parameters"]), (401, {
            "resources": "Magento_InventoryApi::stock_source_item_assign"}))

    def oauth_client(self, keys, method=oauthlib.oauth1.SIGNATURE_HMAC_SHA256, **kw):
        return oauthlib.oauth1.Client(keys["consumer_key"], client_secret=keys["consumer_secret"],
                                      resource_owner_key=keys["access_token"],
                                      resource_owner_secret=keys["access_token_secret"],
                                      signature_method=method, **kw)

    def signed(self, client, method, url, body=None):
        uri, headers, _ = client.sign(url, method)
        if body is not None:
            headers["Content-Type"] = "application/json"
            return requests.request(method, uri, headers=headers, data=json.dumps(body))
        return requests.request(method, uri, headers=headers)

    def test_oauth_signature_matches_an_independent_implementation(self):
        keys = self.fake.create_integration("ofbridge")
        url = (self.url("orders") + "?" +
               urllib.parse.urlencode(criteria((0, "updated_at", "2025-11-20 10:00:00", "gteq"),
                                               page_size=100)))
        for method in (oauthlib.oauth1.SIGNATURE_HMAC_SHA256, oauthlib.oauth1.SIGNATURE_HMAC_SHA1):
            client = self.oauth_client(keys, method, nonce="n0nce" + method, timestamp="1700000000")
            _, headers, _ = client.sign(url, "GET")
            params = dict(urllib.parse.unquote(p).split("=", 1) for p in
                          headers["Authorization"][len("OAuth "):].replace('"', "").split(", "))
            expected = params.pop("oauth_signature")
            algorithm = hashlib.sha256 if method.endswith("256") else hashlib.sha1
            self.assertEqual(oauth_signature("GET", url.split("?")[0], url.split("?")[1], params,
                                             keys["consumer_secret"], keys["access_token_secret"],
                                             algorithm), expected)
        # Over HTTP: signed requests pass; a query and a JSON body are fine.
        r = self.signed(self.oauth_client(keys), "GET", url)
        self.assertEqual(r.status_code, 200, r.text)
        r = self.signed(self.oauth_client(keys), "POST", self.url("inventory/source-items"),
                        SOURCE_ITEMS)
        self.assertEqual(r.status_code, 200, r.text)
        # A wrong secret, a changed query, a reused nonce: refused.
        wrong = dict(keys, access_token_secret="not-the-secret")
        r = self.signed(self.oauth_client(wrong), "GET", url)
        self.assertEqual((r.status_code, r.json()), (401, {
            "message": "The signature is invalid. Verify and try again."}))
        uri, headers, _ = self.oauth_client(keys).sign(url, "GET")
        r = requests.get(uri.replace("100", "101"), headers=headers)
        self.assertEqual(r.status_code, 401)
        client = self.oauth_client(keys, nonce="same", timestamp=None)
        uri, headers, _ = client.sign(url, "GET")
        self.assertEqual(requests.get(uri, headers=headers).status_code, 200)
        r = requests.get(uri, headers=headers)
        self.assertEqual(r.status_code, 401)
        self.assertIn("nonce", r.json()["message"])
        # The integration's access token is no bearer token since 2.4.4 (unless configured).
        r = requests.get(self.url("orders/1"),
                         headers={"Authorization": "Bearer " + keys["access_token"]})
        self.assertEqual(r.status_code, 401)
        self.fake.configure(integration_as_bearer=True)
        r = requests.get(self.url("orders/1"),
                         headers={"Authorization": "Bearer " + keys["access_token"]})
        self.assertEqual(r.status_code, 404)


class FaultTest(FakeMagentoCase):
    def test_429_storm_with_retry_after(self):
        self.fake.set_faults(retry_after=7)
        self.fake.inject("429", count=3, match="/source-items$")
        statuses = []
        for _ in range(4):
            r = self.http.post(self.url("inventory/source-items"), json=SOURCE_ITEMS)
            statuses.append(r.status_code)
            if r.status_code == 429:
                self.assertEqual(r.headers["Retry-After"], "7")
        self.assertEqual(statuses, [429, 429, 429, 200])
        self.assertEqual(self.fake.state.source_item_calls, 1)  # refused ones changed nothing

    def test_drop_after_commit_commits(self):
        self.fake.add_product("SKU-1", qty=5)
        order = self.fake.add_order([{"sku": "SKU-1", "qty": 2}])
        self.fake.inject("drop_after_commit", count=1, match="/ship$")
        with self.assertRaises(requests.ConnectionError):
            self.http.post(self.url("order/%d/ship" % order["entity_id"]),
                           json=ship_body(order["items"][0]["item_id"], 1, source="default"))
        self.assertEqual(self.fake.state.shipments_created, {order["entity_id"]: 1})
        self.assertEqual(self.fake.state.committed_then_dropped, 1)
        r = self.http.get(self.url("shipments"), params=criteria(
            (0, "order_id", str(order["entity_id"]), "eq")))
        self.assertEqual(r.json()["items"][0]["comments"][0]["comment"],
                         "Despatched by WMS ofbridge:7123")
        self.fake.inject("5xx_after_commit", count=1)
        r = self.http.post(self.url("inventory/source-items"), json=SOURCE_ITEMS)
        self.assertIn(r.status_code, (500, 502, 503))
        self.assertEqual(self.fake.source_item("SKU-1", "eu-2"), {"quantity": 3.0, "status": 1})
        self.fake.inject("5xx", count=1)
        r = self.http.post(self.url("inventory/source-items"), json={"sourceItems": [
            {"sku": "SKU-9", "source_code": "eu-1", "quantity": 1, "status": 1}]})
        self.assertIn(r.status_code, (500, 502, 503))
        self.assertIsNone(self.fake.source_item("SKU-9", "eu-1"))
        self.assert_clean()

    def test_late_commit_commits_after_the_first_search(self):
        self.fake.add_product("SKU-1", qty=5)
        order = self.fake.add_order([{"sku": "SKU-1", "qty": 2}])
        self.fake.inject("late_commit", count=1, match="/ship$", seconds=30)
        search = criteria((0, "order_id", str(order["entity_id"]), "eq"))
        with self.assertRaises(requests.Timeout):  # the client gives up first
            requests.post(self.url("order/%d/ship" % order["entity_id"]),
                          headers=dict(self.http.headers), timeout=0.3,
                          json=ship_body(order["items"][0]["item_id"], 1, source="default"))
        self.assertEqual(self.fake.state.shipments_created, {})
        r = self.http.get(self.url("shipments"), params=search)  # misses it...
        self.assertEqual(r.json()["total_count"], 0)
        deadline = time.monotonic() + 10  # ...and lets it commit
        while not self.fake.state.shipments_created and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(self.fake.state.shipments_created, {order["entity_id"]: 1})
        self.assertEqual(self.fake.state.late_commits, 1)
        r = self.http.get(self.url("shipments"), params=search)
        self.assertEqual(r.json()["total_count"], 1)
        self.assert_clean()

    def test_concurrent_ship_calls_for_one_order_are_listed(self):
        import threading
        order = self.fake.add_order([{"sku": "A", "qty": 2}])
        item = order["items"][0]["item_id"]
        entered, release = threading.Event(), threading.Event()

        def hold_first_ship(method, path, query):
            if path.endswith("/ship") and not entered.is_set():
                entered.set()
                release.wait(10)
        self.fake.before_request(hold_first_ship)
        url = self.url("order/%d/ship" % order["entity_id"])
        headers = dict(self.http.headers)
        first = threading.Thread(target=requests.post, args=(url,),
                                 kwargs={"json": ship_body(item, 1, source="default"),
                                         "headers": headers})
        first.start()
        self.assertTrue(entered.wait(10))
        r = requests.post(url, json=ship_body(item, 1, source="default"), headers=headers)
        release.set()
        first.join()
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(self.fake.state.concurrent_ships, [order["entity_id"]])
        self.assertEqual(self.fake.state.shipments_created, {order["entity_id"]: 2})

    def test_seeded_rates_are_reproducible(self):
        def run():
            fake = FakeMagento(seed=3).start()
            try:
                fake.create_admin_user("u", "p")
                fake.set_faults(error_rate=0.3, rate_limit_rate=0.2)
                with requests.Session() as http:
                    out = []
                    for _ in range(30):
                        r = http.get(fake.rest_url + "store/storeViews")
                        out.append(r.status_code)
                    return out
            finally:
                fake.stop()
        first = run()
        self.assertEqual(first, run())
        self.assertIn(429, first)
        self.assertTrue(any(s >= 500 for s in first))


class TlsTest(unittest.TestCase):
    def test_https_with_a_test_certificate(self):
        import tempfile
        work = tempfile.mkdtemp()
        self.addCleanup(__import__("shutil").rmtree, work)
        cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost"],
                       check=True, capture_output=True)
        fake = FakeMagento(tls_cert=cert, tls_key=key).start()
        self.addCleanup(fake.stop)
        fake.create_admin_user("admin", "secret")
        self.assertTrue(fake.rest_url.startswith("https://localhost:"))
        r = requests.post(fake.rest_url + "integration/admin/token",
                          json={"username": "admin", "password": "secret"}, verify=cert)
        self.assertEqual(r.status_code, 200, r.text)
        with self.assertRaises(requests.exceptions.SSLError):
            requests.get(fake.rest_url + "modules", verify=True)  # not a trusted CA


class ProcessModeTest(unittest.TestCase):
    def test_process_with_seed_file_and_control_api(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"sources": [{"source_code": "eu-1"}], "products": [{"sku": "SKU-1"}],
                       "admin_users": [{"username": "bench", "password": "pw"}],
                       "config": {"input_list_limit": 500}}, f)
        self.addCleanup(os.unlink, f.name)
        proc = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__),
                                                              "fake_magento.py"),
                                 "--port", "0", "--seed-file", f.name],
                                stdout=subprocess.PIPE, text=True)
        self.addCleanup(proc.stdout.close)
        self.addCleanup(proc.wait)
        self.addCleanup(proc.terminate)
        line = proc.stdout.readline()
        self.assertRegex(line, r"^LISTENING \d+$")
        base = "http://127.0.0.1:%s/" % line.split()[1]
        token = requests.post(base + "rest/all/V1/integration/admin/token",
                              json={"username": "bench", "password": "pw"}).json()
        items = [{"sku": "S%d" % i, "source_code": "eu-1", "quantity": i, "status": 1}
                 for i in range(500)]
        r = requests.post(base + "rest/all/V1/inventory/source-items",
                          json={"sourceItems": items},
                          headers={"Authorization": "Bearer " + token})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(requests.post(base + "__fake/faults",
                                       json={"latency": 0.001}).status_code, 200)
        self.assertEqual(requests.post(base + "__fake/seed",
                                       json={"products": [{"sku": "SKU-2"}]}).status_code, 200)
        state = requests.get(base + "__fake/state?full=1").json()
        self.assertEqual(state["source_items_saved"], 500)
        self.assertEqual(state["schema_violation_count"], 0)
        self.assertEqual(state["products"], 2)
        self.assertEqual(len(state["source_items"]), 500)
        self.assertIsInstance(state["source_items"][0]["written_at"], float)


if __name__ == "__main__":
    unittest.main()
