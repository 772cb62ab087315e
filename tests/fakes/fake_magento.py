"""A fake Magento 2.4 REST API that validates every request against Magento's own schema
(../shared/magento/rest-schema-2.4.json, see magento_schema.py) and scripts what a schema cannot
say (notes/magento-and-orderflow-http.md §1, §2, §5). It judges the broker's magento2 target:
tests assert `state.schema_violations == []`, `state.fake_errors == []`,
`state.concurrent_ships == []` and `max(state.shipments_created.values()) == 1`.

Interface (kept stable; tests and benchmarks depend on it):

    fake = FakeMagento(schema_path=None, store_code="all", seed=0, input_limits=True).start()
    fake.base_url                     # "http://127.0.0.1:PORT/" (REST at base_url + "rest/all/V1/")
    fake.rest_url                     # base_url + "rest/<store_code>/V1/"
    fake.add_source("eu-1"); fake.add_product("SKU-1", price=10)
    order = fake.add_order([{"sku": "SKU-1", "qty": 2},
                            {"sku": "TEE-M", "qty": 1, "parent_sku": "TEE"}])  # configurable
    fake.update_order(order["entity_id"], status="canceled")   # bumps updated_at
    fake.create_admin_user("admin", "secret", resources=None)   # None = every ACL resource
    keys = fake.create_integration("ofbridge")   # consumer_key/_secret, access_token/_secret
    fake.expire_tokens()                         # every bearer token answers 401 from now on
    fake.source_item("SKU-1", "eu-1")            # {"quantity", "status"} or None
    fake.state.source_item_written_at[("SKU-1", "eu-1")]   # time.time() of its last write
    fake.advance_clock(3600)                     # later created_at/updated_at (UTC)
    fake.set_faults(latency=0.05, error_rate=0.1, drop_after_commit_rate=0.1, ...)
    fake.inject("429", count=50)                 # a 429 storm for the next 50 REST requests
    fake.before_request(lambda method, path, query: ...)  # change data mid-paging, etc.
    fake.state                                   # counters below, under fake.state.lock
    fake.stop()

Process mode, for benchmarks: `python3 tests/fakes/fake_magento.py --port 0 --seed-file F.json`
prints `LISTENING <port>` and serves until killed. The seed file (and POST /__fake/seed) is
{"sources": [{"source_code": ...}], "products": [{"sku": ...}], "orders": [{"items": [...]}],
 "admin_users": [{"username", "password"}], "integrations": [{"name", "consumer_key", ...}],
 "config": {"input_limits": false, ...}, "faults": {...}}. Control API (JSON, no auth):
GET /__fake/state[?full=1], POST /__fake/seed, POST /__fake/faults (set_faults keywords),
POST /__fake/inject {"kind", "count", "match"}, POST /__fake/config, POST /__fake/expire_tokens.

What it does (every error text is Magento's, shape {"message", "parameters"?, "errors"?}):
- Routing: /rest/<store>/V1/... for `all`, `default` and `store_code` (also /rest/V1/...); the
  schema's path templates, the route with most literal segments first. No route: 404 "Request
  does not match any route.". Path, query (incl. searchCriteria[filter_groups][i][filters][j]
  [field|value|condition_type], sortOrders, pageSize, currentPage, either case) and JSON body are
  checked by magento_schema (see there: `required` relaxed inside objects, unmappable keys
  refused, types strict). A refused request is recorded in `state.schema_violations`; keys
  Magento silently ignores (unknown top-level body keys, unknown query parameters) go to
  `state.ignored_inputs`.
- Auth: bearer tokens from POST /V1/integration/admin/token (bad login: 401 "The account
  sign-in was incorrect..."); OAuth 1.0a (HMAC-SHA256 or -SHA1, RFC 5849 base string of the
  method, the URL as the client addressed it and the query + oauth parameters; a bad signature
  is 401 "The signature is invalid. Verify and try again.", a reused nonce and a timestamp off
  by more than 600 s are refused too). An integration's access token is a bearer token only
  with `integration_as_bearer=True` (off by default since 2.4.4). A missing, unknown or expired
  token and a missing ACL grant all answer 401 "The consumer isn't authorized to access
  %resources." with the route's resource, as Magento does.
- Web API input limits (2.4.3 always; 2.4.4+ when Stores > Config > Services > Web API Input
  Limits is on): by default the fake has them on, as Magento sets them then: `input_list_limit`
  20 items per array of objects in a body (400 `Maximum items of type "%type" is %max`),
  `max_page_size` 300, `default_page_size` 20. `input_limits=False` (or None for each) is the
  2.4.4+ default, limits off: any array length, no page cap, no pageSize = every row.
- MSI: POST /V1/inventory/source-items, all or nothing: the input limit; an empty list "Input
  data is empty"; the item validators ("Validation Failed: ..." with `errors`); an unknown
  source code "Could not save Source Item"; an unknown SKU is stored silently. The default
  source is synced to the legacy stock item of a known product. GET
  /V1/inventory/source-items, /sources.
  `msi=False` removes every /V1/inventory route (404), like a store without MSI.
- Legacy: PUT /V1/products/{sku}/stockItems/{itemId} (the SKU decides, itemId is ignored; unknown
  SKU 404 "The product that was requested doesn't exist..."); returns the item id. With MSI it
  writes the default source. GET /V1/stockItems/{sku}.
- Orders and shipments: POST /V1/order/{orderId}/ship (entity_id): CanShip, QuantityValidator
  and TrackValidator messages joined under "Shipment Document Validation Error(s):\n"; items
  omitted ships everything left; a configurable parent is shipped by its parent item (the child
  follows; naming only the child ships nothing). MSI source deduction (`source_deduction=True`):
  the shipment's source (`arguments.extension_attributes.source_code`, else the only enabled
  source, else `default`) loses the shipped units of catalog products, and too few units there
  fail the save: 400 "Could not save a shipment, see error log for details" (the inner reason in
  `state.ship_refusals`). Magento renders the validators' messages (their %1 filled) into the
  one DocumentValidationException, so ship errors arrive filled and without `parameters`;
  templates with `parameters` come where Magento sends them: the input limit, ACL, required
  parameters, type errors, the source-item validators' `errors`. A shipment stores its items,
  tracks and comment (whatever appendComment says, as Magento does), moves qty_shipped, and the
  order to `complete` when nothing is left. GET /V1/shipments (searchCriteria, e.g. order_id)
  and /V1/shipment/{id}. A ship call for an order arriving while another for the same order is
  still being answered is listed in `state.concurrent_ships` (Magento can lose qty_shipped
  then; a client must serialise them). POST /V1/shipment (no validators, duplicates) has no
  behaviour here: it lands in `state.unscripted` with a 500.
- Pulls: GET /V1/orders, /V1/products (+ /{id}, /{sku}) with searchCriteria: conditions eq neq gt
  gteq lt lteq in nin like null notnull from to finset; groups AND, filters in a group OR; sort
  orders; pageSize/currentPage with total_count, and a page past the end repeats the LAST page
  (Magento's trap). `fields=items[...],total_count` projections. Timestamps are UTC
  `YYYY-MM-DD HH:MM:SS` from the fake's clock (`advance_clock(seconds)`); a filter value with a
  time zone is noted in `state.ignored_inputs` (MySQL drops it). A page bigger than
  `max_page_size` is 400 "Maximum SearchCriteria pageSize is %max"; `default_page_size` applies
  when no pageSize is given.
- https with `tls_cert`/`tls_key` (base_url then names localhost).
- Faults (seeded `random.Random(seed)`: one sequence of requests meets the same faults; `match`
  limits them to paths matching a regex): per request latency; 429 with Retry-After; 5xx (500
  JSON "Internal Error...", 502/503 HTML) before the change; 5xx after it committed; connection
  dropped before or after the commit; slow reply after the commit; a late commit (the change
  held until the client has searched GET /V1/shipments once, as a call Magento is still running
  after the client gave up). Rates via set_faults(), exact counts via inject(kind, count).
- Magento behaviour deliberately NOT modelled: 2FA on the admin token route, async/bulk routes,
  reservations and salable quantity, invoices (orders are taken as invoiced unless
  `invoiced=False` is given to add_order, which keeps them `processing` after a full shipment).
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import operator
import os
import random
import re
import secrets
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import magento_schema  # noqa: E402
from magento_schema import Rejection, upper_camel  # noqa: E402

NOT_AUTHORIZED = "The consumer isn't authorized to access %resources."
NO_ROUTE = "Request does not match any route."
NO_ENTITY = "The entity that was requested doesn't exist. Verify the entity and try again."
NO_PRODUCT = "The product that was requested doesn't exist. Verify the product and try again."
BAD_LOGIN = ("The account sign-in was incorrect or your account is disabled temporarily. "
             "Please wait and try again later.")
SHIP_ERRORS = "Shipment Document Validation Error(s):\n"
SHIP_SAVE_FAILED = "Could not save a shipment, see error log for details"

# ACL resource per route (Magento's webapi.xml, 2.4), for the 401 text and integration grants.
ACL = {
    ("POST", "/V1/inventory/source-items"): "Magento_InventoryApi::stock_source_item_assign",
    ("GET", "/V1/inventory/source-items"): "Magento_InventoryApi::source",
    ("GET", "/V1/inventory/sources"): "Magento_InventoryApi::source",
    ("GET", "/V1/inventory/sources/{sourceCode}"): "Magento_InventoryApi::source",
    ("PUT", "/V1/products/{productSku}/stockItems/{itemId}"):
        "Magento_CatalogInventory::cataloginventory",
    ("GET", "/V1/stockItems/{productSku}"): "Magento_CatalogInventory::cataloginventory",
    ("POST", "/V1/order/{orderId}/ship"): "Magento_Sales::ship",
    ("GET", "/V1/shipments"): "Magento_Sales::shipment",
    ("GET", "/V1/shipment/{id}"): "Magento_Sales::shipment",
    ("GET", "/V1/orders"): "Magento_Sales::actions_view",
    ("GET", "/V1/orders/{id}"): "Magento_Sales::actions_view",
    ("GET", "/V1/products"): "Magento_Catalog::products",
    ("GET", "/V1/products/{sku}"): "Magento_Catalog::products",
    ("GET", "/V1/modules"): "Magento_Backend::admin",
    ("GET", "/V1/store/storeViews"): "Magento_Backend::store",
    ("GET", "/V1/store/websites"): "Magento_Backend::store",
    ("GET", "/V1/store/storeConfigs"): "Magento_Backend::store",
}
ANONYMOUS = {("POST", "/V1/integration/admin/token")}

ORDER_STATES = {"pending": "new", "processing": "processing", "complete": "complete",
                "closed": "closed", "canceled": "canceled", "holded": "holded",
                "payment_review": "payment_review", "pending_payment": "pending_payment"}

SHIP_PATH = re.compile(r"/V1/order/(\d+)/ship/?$")
FAULT_KINDS = ("429", "5xx", "5xx_after_commit", "drop_before", "drop_after_commit", "slow",
               "late_commit")
SHIPMENTS_SEARCH = re.compile(r"/V1/shipments/?$")


class MagentoState:
    def __init__(self):
        self.lock = threading.RLock()
        self.requests = []              # (method, path, status) of every REST request;
        #                                 status -N: reply dropped after the change (N was its
        #                                 status), -1: dropped before anything happened
        self.schema_violations = []     # {"method", "path", "status", "message", "detail"}
        self.ignored_inputs = []        # {"method", "path", "what"}: Magento ignores these
        self.unscripted = []            # schema-valid calls this fake has no behaviour for
        self.input_limit_refusals = []  # (method, path, request number): over input_list_limit
        self.fake_errors = []           # exceptions inside the fake (must stay empty)
        self.sources = {}               # source_code -> source document
        self.source_items = {}          # (sku, source_code) -> {"quantity", "status"}
        self.source_item_written_at = {}  # (sku, source_code) -> time.time() of the last write
        self.source_item_calls = 0      # accepted POST /V1/inventory/source-items
        self.source_items_saved = 0     # items in them
        self.stock_items = {}           # sku -> legacy stock item document
        self.legacy_stock_updates = 0
        self.products = {}              # sku -> product document
        self.orders = {}                # entity_id -> order document
        self.shipments = {}             # entity_id -> shipment document
        self.shipments_created = {}     # order entity_id -> shipments really created
        self.ship_refusals = []         # (order_id, message) of refused ship calls
        self.concurrent_ships = []      # order ids that got a ship call while one was running
        self.tokens_issued = 0
        self.auth_failures = 0
        self.oauth_requests = 0
        self.faults = {}                # kind -> times injected
        self.committed_then_dropped = 0
        self.shipment_lookups = 0       # GET /V1/shipments answered
        self.late_commits = 0           # late_commit changes let through (then committed)
        self.cut_short = 0              # requests whose client vanished mid-body (not handled)


class Fault:
    def __init__(self, kind, count, match, seconds=None):
        self.kind, self.count, self.seconds = kind, count, seconds
        self.match = re.compile(match) if match else None


class FakeMagento:
    def __init__(self, schema_path=None, store_code="all", seed=0, input_limits=True,
                 input_list_limit=20, max_page_size=300, default_page_size=20, msi=True,
                 source_deduction=True,
                 integration_as_bearer=False, developer_mode=False, unknown_property_500=False,
                 host="127.0.0.1", port=0, tls_cert=None, tls_key=None):
        self.input_list_limit = input_list_limit if input_limits else None
        self.max_page_size = max_page_size if input_limits else None
        self.default_page_size = default_page_size if input_limits else None
        self.msi = msi
        self.source_deduction = source_deduction
        self.integration_as_bearer = integration_as_bearer
        self.developer_mode = developer_mode
        self.unknown_property_500 = unknown_property_500
        self.store_code = store_code
        self.schema = magento_schema.RestSchema(schema_path, limits=self)
        self.random = random.Random(seed)
        self.state = MagentoState()
        self.clock_offset = 0.0
        self.users = {}          # username -> {"password", "resources"}
        self.integrations = {}   # consumer_key -> integration dict
        self.tokens = {}         # bearer token -> {"who", "resources", "expired"}
        self.nonces = set()
        self.next_ids = {"order": 1, "item": 1, "product": 1, "shipment": 1, "track": 1,
                         "comment": 1, "stock": 1}
        self.faults = {}         # set_faults() keywords
        self.injected = []       # [Fault]
        self.hooks = []          # before_request() callbacks
        self.ships_in_flight = {}  # order entity_id -> ship requests being handled
        self.lookups_changed = threading.Condition(self.state.lock)  # late_commit waits on it
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.handle(self)

            do_POST = do_PUT = do_DELETE = do_GET

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

            def handle_error(self, request, client_address):
                if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
                    super().handle_error(request, client_address)

        self.server = Server((host, port), Handler)
        self.tls = tls_cert is not None
        if self.tls:  # https; base_url then names localhost (the name a test certificate has)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls_cert, tls_key)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)  # poll interval: a quick stop()
        self.add_source("default", "Default Source")

    # -- life cycle ------------------------------------------------------------------------
    @property
    def port(self):
        return self.server.server_address[1]

    @property
    def base_url(self):
        if self.tls:
            return "https://localhost:%d/" % self.port
        return "http://%s:%d/" % (self.server.server_address[0], self.port)

    @property
    def rest_url(self):
        return "%srest/%s/V1/" % (self.base_url, self.store_code)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # -- clock (UTC, as Magento stores sales and catalog timestamps) -----------------------
    def now(self):
        return (datetime.datetime.now(datetime.timezone.utc)
                + datetime.timedelta(seconds=self.clock_offset)).strftime("%Y-%m-%d %H:%M:%S")

    def advance_clock(self, seconds):
        with self.state.lock:
            self.clock_offset += seconds

    def next_id(self, kind):
        with self.state.lock:
            value = self.next_ids[kind]
            self.next_ids[kind] += 1
            return value

    # -- seeding ----------------------------------------------------------------------------
    def add_source(self, source_code, name=None, enabled=True, **extra):
        doc = {"source_code": source_code, "name": name or source_code, "enabled": enabled,
               "country_id": "GB", "postcode": "AB1 2CD",
               "use_default_carrier_config": True}
        doc.update(extra)
        with self.state.lock:
            self.state.sources[source_code] = doc
        return doc

    def update_source(self, source_code, **changes):
        with self.state.lock:
            self.state.sources[source_code].update(changes)
            return dict(self.state.sources[source_code])

    def add_product(self, sku, name=None, type_id="simple", price=10.0, status=1, weight=None,
                    custom_attributes=None, qty=None, **extra):
        now = self.now()
        with self.state.lock:
            pid = self.next_id("product")
            doc = {"id": pid, "sku": sku, "name": name or sku, "attribute_set_id": 4,
                   "price": price, "status": status, "visibility": 4, "type_id": type_id,
                   "created_at": now, "updated_at": now,
                   "extension_attributes": {"website_ids": [1]},
                   "custom_attributes": [{"attribute_code": k, "value": v}
                                         for k, v in (custom_attributes or {}).items()]}
            if weight is not None:
                doc["weight"] = weight
            doc.update(extra)
            self.state.products[sku] = doc
            self.state.stock_items[sku] = {"item_id": pid, "product_id": pid, "stock_id": 1,
                                           "qty": float(qty or 0), "is_in_stock": bool(qty),
                                           "manage_stock": True}
            if qty is not None:
                self.state.source_items[(sku, "default")] = {"quantity": float(qty),
                                                             "status": 1 if qty > 0 else 0}
        return doc

    def update_product(self, sku, **changes):
        with self.state.lock:
            doc = self.state.products[sku]
            doc.update(changes)
            doc["updated_at"] = self.now()
            return doc

    def add_order(self, items, increment_id=None, status="processing", state=None,
                  created_at=None, invoiced=True, is_virtual=False, email="buyer@example.com",
                  entity_id=None, **extra):
        """items: [{"sku", "qty", "price"?, "name"?, "parent_sku"?, "product_type"?}]. An item
        with parent_sku is a configurable: a parent line (the child's SKU, product_type
        configurable) then its child line (simple, parent_item_id), as Magento stores them."""
        now = self.now()
        with self.state.lock:
            oid = entity_id if entity_id is not None else self.next_id("order")
            if entity_id is not None:
                self.next_ids["order"] = max(self.next_ids["order"], entity_id + 1)
            lines = []
            subtotal = 0.0
            for spec in items:
                qty = float(spec["qty"])
                price = float(spec.get("price", 10.0))
                subtotal += qty * price
                product = self.state.products.get(spec.get("parent_sku") or spec["sku"])

                def line(product_type, sku, parent=None):
                    item_id = self.next_id("item")
                    doc = {"item_id": item_id, "order_id": oid, "sku": sku,
                           "name": spec.get("name", sku), "product_type": product_type,
                           "product_id": product["id"] if product else item_id,
                           "qty_ordered": qty, "qty_shipped": 0.0, "qty_canceled": 0.0,
                           "qty_refunded": 0.0, "qty_invoiced": qty if invoiced else 0.0,
                           "price": price if parent is None else 0.0,
                           "row_total": qty * price if parent is None else 0.0,
                           "is_virtual": 1 if product_type in ("virtual", "downloadable") else 0,
                           "store_id": 1, "created_at": created_at or now, "updated_at": now,
                           "weight": 1.0}
                    if parent is not None:
                        doc["parent_item_id"] = parent["item_id"]
                        doc["parent_item"] = dict(parent)
                    lines.append(doc)
                    return doc

                if spec.get("parent_sku"):
                    parent = line("configurable", spec["sku"])
                    line("simple", spec["sku"], parent)
                else:
                    line(spec.get("product_type", "simple"), spec["sku"])
            address = {"address_type": "shipping", "firstname": "Ann", "lastname": "Buyer",
                       "street": ["1 High Street"], "city": "Leeds", "postcode": "LS1 1AA",
                       "country_id": "GB", "telephone": "0113 000000", "email": email}
            doc = {"entity_id": oid,
                   "increment_id": increment_id or "%09d" % (100000000 + oid),
                   "state": state or ORDER_STATES.get(status, "processing"), "status": status,
                   "store_id": 1, "created_at": created_at or now, "updated_at": now,
                   "customer_email": email, "customer_firstname": "Ann",
                   "customer_lastname": "Buyer", "customer_is_guest": 1,
                   "base_currency_code": "GBP", "order_currency_code": "GBP",
                   "subtotal": subtotal, "base_subtotal": subtotal, "grand_total": subtotal,
                   "base_grand_total": subtotal, "total_qty_ordered": sum(
                       float(s["qty"]) for s in items),
                   "total_item_count": len(lines), "is_virtual": 1 if is_virtual else 0,
                   "items": lines,
                   "billing_address": dict(address, address_type="billing"),
                   "payment": {"method": "checkmo", "additional_information": []},
                   "extension_attributes": {"shipping_assignments": [{
                       "shipping": {"address": address, "method": "flatrate_flatrate"},
                       "items": [dict(i) for i in lines]}]},
                   "status_histories": []}
            doc.update(extra)
            self.state.orders[oid] = doc
            return doc

    def update_order(self, entity_id, **changes):
        """Change an order (e.g. status="canceled"); updated_at moves, as any save does."""
        with self.state.lock:
            doc = self.state.orders[entity_id]
            if "status" in changes and "state" not in changes:
                changes["state"] = ORDER_STATES.get(changes["status"], doc["state"])
            doc.update(changes)
            doc["updated_at"] = self.now()
            return doc

    def create_admin_user(self, username, password, resources=None):
        with self.state.lock:
            self.users[username] = {"password": password,
                                    "resources": None if resources is None else set(resources)}

    def create_integration(self, name="ofbridge", resources=None, consumer_key=None,
                           consumer_secret=None, access_token=None, access_token_secret=None):
        keys = {"name": name,
                "consumer_key": consumer_key or secrets.token_hex(16),
                "consumer_secret": consumer_secret or secrets.token_hex(16),
                "access_token": access_token or secrets.token_hex(16),
                "access_token_secret": access_token_secret or secrets.token_hex(16)}
        with self.state.lock:
            self.integrations[keys["consumer_key"]] = dict(
                keys, resources=None if resources is None else set(resources))
        return keys

    def expire_tokens(self):
        with self.state.lock:
            for token in self.tokens.values():
                token["expired"] = True

    def expire_token(self, token):
        with self.state.lock:
            self.tokens[token]["expired"] = True

    def seed(self, data):
        """The seed file / POST /__fake/seed document (see the module docstring)."""
        for source in data.get("sources", []):
            self.add_source(**source)
        for product in data.get("products", []):
            self.add_product(**product)
        for order in data.get("orders", []):
            self.add_order(**order)
        for user in data.get("admin_users", []):
            self.create_admin_user(**user)
        for integration in data.get("integrations", []):
            self.create_integration(**integration)
        self.configure(**data.get("config", {}))
        if data.get("faults"):
            self.set_faults(**data["faults"])

    def configure(self, **options):
        if "input_limits" in options and not options.pop("input_limits"):
            self.input_list_limit = self.max_page_size = self.default_page_size = None
        allowed = {"input_list_limit", "max_page_size", "default_page_size", "msi",
                   "source_deduction", "integration_as_bearer", "developer_mode",
                   "unknown_property_500"}
        for key, value in options.items():
            if key not in allowed:
                raise ValueError("unknown option " + key)
            setattr(self, key, value)

    def source_item(self, sku, source_code="default"):
        with self.state.lock:
            item = self.state.source_items.get((sku, source_code))
            return dict(item) if item else None

    # -- faults -----------------------------------------------------------------------------
    def set_faults(self, latency=0.0, error_rate=0.0, error_after_commit_rate=0.0,
                   drop_before_rate=0.0, drop_after_commit_rate=0.0, rate_limit_rate=0.0,
                   slow_rate=0.0, slow_seconds=2.0, retry_after=1, match=None):
        """Seeded rates per REST request (only paths matching `match`, a regex, if given)."""
        with self.state.lock:
            self.faults = {"latency": latency, "error_rate": error_rate,
                           "error_after_commit_rate": error_after_commit_rate,
                           "drop_before_rate": drop_before_rate,
                           "drop_after_commit_rate": drop_after_commit_rate,
                           "rate_limit_rate": rate_limit_rate, "slow_rate": slow_rate,
                           "slow_seconds": slow_seconds, "retry_after": retry_after,
                           "match": re.compile(match) if match else None}

    def inject(self, kind, count=1, match=None, seconds=None):
        """The next `count` REST requests (matching `match`) get fault `kind`: one of
        429, 5xx, 5xx_after_commit, drop_before, drop_after_commit, slow, late_commit.
        `seconds`: how long `slow` sleeps, or the most `late_commit` holds the change (else
        set_faults' slow_seconds).

        late_commit is a call Magento is still running when the client has given up: the
        change is held until the client has searched for it once (the next GET /V1/shipments
        has been answered, so that search misses it), or `seconds` at most, then committed and
        answered (usually to a connection the client closed long ago)."""
        if kind not in FAULT_KINDS:
            raise ValueError("unknown fault " + kind)
        with self.state.lock:
            self.injected.append(Fault(kind, count, match, seconds))

    def before_request(self, callback):
        """callback(method, path, query) runs in the server thread before each routed REST request
        is handled (path from /V1/, query raw): a test changes data at an exact point, e.g. while
        a client is between two pages. Returns a function that removes it."""
        with self.state.lock:
            self.hooks.append(callback)
        return lambda: self.hooks.remove(callback)

    def clear_faults(self):
        with self.state.lock:
            self.faults = {}
            self.injected = []

    def pick_faults(self, path):
        """(before, after, latency, retry_after, slow_seconds) for one request."""
        with self.state.lock:
            before = after = seconds = None
            for fault in self.injected:
                if fault.count > 0 and (fault.match is None or fault.match.search(path)):
                    fault.count -= 1
                    if fault.kind in ("429", "5xx", "drop_before", "late_commit"):
                        before = fault.kind
                    else:
                        after = fault.kind
                    seconds = fault.seconds
                    break
            self.injected = [f for f in self.injected if f.count > 0]
            f = self.faults
            latency = 0.0
            if f and (f["match"] is None or f["match"].search(path)):
                latency = f["latency"]
                roll = self.random.random
                if before is None and after is None:
                    if roll() < f["rate_limit_rate"]:
                        before = "429"
                    elif roll() < f["error_rate"]:
                        before = "5xx"
                    elif roll() < f["drop_before_rate"]:
                        before = "drop_before"
                    elif roll() < f["error_after_commit_rate"]:
                        after = "5xx_after_commit"
                    elif roll() < f["drop_after_commit_rate"]:
                        after = "drop_after_commit"
                    elif roll() < f["slow_rate"]:
                        after = "slow"
            for kind in (before, after):
                if kind:
                    self.state.faults[kind] = self.state.faults.get(kind, 0) + 1
            if seconds is None:
                seconds = (f or {}).get("slow_seconds", 2.0)
            return before, after, latency, (f or {}).get("retry_after", 1), seconds

    # -- HTTP -------------------------------------------------------------------------------
    def reply(self, h, status, payload, headers=None,
              content_type="application/json; charset=utf-8"):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            h.send_header(key, value)
        h._headers_buffer.append(b"\r\n" + data)  # headers and body in one write
        h.flush_headers()
        return status

    def error_body(self, rejection):
        if rejection.status == 500 and not self.developer_mode:
            return {"message": "Internal Error. Details are available in Magento log file. "
                               "Report ID: webapi-%s" % secrets.token_hex(6)}
        body = {"message": rejection.message}
        if rejection.parameters is not None:
            body["parameters"] = rejection.parameters
        if getattr(rejection, "errors", None):
            body["errors"] = rejection.errors
        return body

    @staticmethod
    def read_body(h):
        """The request body; ConnectionError if the client went away before sending all of it
        (a killed broker): such a request was never made, it is neither handled nor judged."""
        if "chunked" in (h.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                line = h.rfile.readline()
                if not line.endswith(b"\n"):
                    raise ConnectionError("body cut short")
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while True:  # trailers, up to the empty line
                        line = h.rfile.readline()
                        if line in (b"\r\n", b"\n"):
                            return b"".join(parts)
                        if not line:
                            raise ConnectionError("body cut short")
                chunk = h.rfile.read(size)
                if len(chunk) < size or not h.rfile.readline().endswith(b"\n"):
                    raise ConnectionError("body cut short")
                parts.append(chunk)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        if len(raw) < length:
            raise ConnectionError("body cut short")
        return raw

    def handle(self, h):
        try:
            raw = self.read_body(h)
        except ConnectionError:
            h.close_connection = True
            with self.state.lock:
                self.state.cut_short += 1
            return
        url = urllib.parse.urlsplit(h.path)
        if url.path.startswith("/__fake/"):
            return self.control(h, url, raw)
        method = h.command
        path = url.path
        status = 0
        ship = SHIP_PATH.search(path) if method == "POST" else None
        if ship:  # Magento mishandles two shipments of one order at once (mollie/magento2#656)
            with self.state.lock:
                order_id = int(ship.group(1))
                if self.ships_in_flight.get(order_id):
                    self.state.concurrent_ships.append(order_id)
                self.ships_in_flight[order_id] = self.ships_in_flight.get(order_id, 0) + 1
        try:
            before, after, latency, retry_after, slow_seconds = self.pick_faults(path)
            if latency:
                time.sleep(latency)
            if before == "429":
                status = self.reply(h, 429, {"message": "Too Many Requests"},
                                    {"Retry-After": str(retry_after)})
                return
            if before == "5xx":
                status = self.server_error(h)
                return
            if before == "drop_before":
                h.close_connection = True
                status = -1
                return
            if before == "late_commit":
                with self.lookups_changed:
                    seen = self.state.shipment_lookups
                    self.lookups_changed.wait_for(
                        lambda: self.state.shipment_lookups > seen, timeout=slow_seconds)
                    self.state.late_commits += 1
            try:
                status, payload = self.dispatch(h, method, path, url.query, raw)
            except Rejection as rejection:
                if self.unknown_property_500 and hasattr(rejection, "accessor_error"):
                    rejection = Rejection(500, rejection.accessor_error, None, rejection.detail)
                status, payload = rejection.status, self.error_body(rejection)
            except Exception as e:  # a bug of the fake: visible to the test, never silent
                with self.state.lock:
                    self.state.fake_errors.append("%s %s: %r" % (method, path, e))
                status, payload = 500, {"message": "fake Magento error: %r" % e}
            if after == "drop_after_commit":
                with self.state.lock:
                    self.state.committed_then_dropped += 1
                h.close_connection = True
                status = -status
                return
            if after == "5xx_after_commit":
                status = self.server_error(h)
                return
            if after == "slow":
                time.sleep(slow_seconds)
            self.reply(h, status, payload)
        finally:
            with self.state.lock:
                self.state.requests.append((method, path, status))
                if ship:
                    self.ships_in_flight[order_id] -= 1
            if method == "GET" and SHIPMENTS_SEARCH.search(path):
                with self.lookups_changed:  # answered: a late commit may go ahead
                    self.state.shipment_lookups += 1
                    self.lookups_changed.notify_all()

    def server_error(self, h):
        with self.state.lock:
            kind = self.random.choice((500, 502, 503))
        if kind == 500:
            return self.reply(h, 500, {"message": "Internal Error. Details are available in "
                                                  "Magento log file. Report ID: webapi-%s"
                                                  % secrets.token_hex(6)})
        text = "502 Bad Gateway" if kind == 502 else "503 Service Unavailable"
        return self.reply(h, kind, ("<html><body><h1>%s</h1></body></html>" % text).encode(),
                          {"Retry-After": "1"} if kind == 503 else None, "text/html")

    def violation(self, method, path, rejection):
        if rejection.kind == "limit":  # Magento's configured limit, not a malformed request
            with self.state.lock:
                self.state.input_limit_refusals.append((method, path, len(self.state.requests)))
            return
        with self.state.lock:
            self.state.schema_violations.append({"method": method, "path": path,
                                                 "status": rejection.status,
                                                 "message": magento_schema.fill(
                                                     rejection.message, rejection.parameters),
                                                 "detail": rejection.detail})

    def ignored(self, method, path, what):
        with self.state.lock:
            self.state.ignored_inputs.append({"method": method, "path": path, "what": what})

    def dispatch(self, h, method, path, query, raw):
        parts = path.split("/")
        # /rest/<store>/V1/... or /rest/V1/...
        if len(parts) < 3 or parts[1] != "rest":
            rejection = Rejection(404, NO_ROUTE, None, "not under /rest/")
            self.violation(method, path, rejection)
            raise rejection
        if parts[2] == "V1":
            v1 = "/" + "/".join(parts[2:])
        else:
            if parts[2] not in ("all", "default", self.store_code):
                raise Rejection(400, "The store that was requested wasn't found. Verify the "
                                     "store and try again.")
            v1 = "/" + "/".join(parts[3:])
        op, values = self.schema.operation(method, v1)
        if op is None or (not self.msi and v1.startswith("/V1/inventory/")):
            rejection = Rejection(404, NO_ROUTE, None, "no route %s %s" % (method, v1))
            self.violation(method, path, rejection)
            raise rejection
        key = (method, op.template)
        for hook in list(self.hooks):
            hook(method, v1, query)
        if key not in ANONYMOUS:
            self.authorize(h, method, path, query, key)
        try:
            params = self.schema.check_path_values(op, values)
            pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
            criteria, fields = self.check_query(method, path, op, pairs)
            body = {}
            if op.body_params is not None:
                body = self.parse_body(h, raw)
                body, ignored = self.schema.check_body(op, body)
                for key_name in ignored:
                    self.ignored(method, path, "body key " + key_name)
        except Rejection as rejection:
            self.violation(method, path, rejection)
            raise
        handler = ROUTES.get(key)
        if handler is None:
            with self.state.lock:
                self.state.unscripted.append((method, op.template))
            raise Rejection(500, "no behaviour scripted for %s %s" % key)
        status, payload = handler(self, params=params, body=body, criteria=criteria)
        if fields:
            payload = project(payload, fields)
        return status, payload

    def parse_body(self, h, raw):
        ctype = h.headers.get("Content-Type")
        if not ctype:
            raise Rejection(400, "Content-Type header is absent.")
        media = ctype.split(";")[0].strip().lower()
        if media != "application/json":
            raise Rejection(400, "Server cannot understand Content-Type HTTP header media type "
                                 "%1", [media])
        try:
            return json.loads(raw or b"null")
        except ValueError as e:
            raise Rejection(400, "Decoding error.", None, "body is not JSON: %s" % e)

    def check_query(self, method, path, op, pairs):
        criteria = None
        fields = None
        if op.search_criteria:
            criteria = self.schema.parse_search_criteria(pairs)
            if criteria is None:
                raise Rejection(400, '"%fieldName" is required. Enter and try again.',
                                {"fieldName": "searchCriteria"})
            # Conditions and date values are the client's to get right: a wrong one is a
            # malformed query (Magento would build SQL of it or fail), so it is a violation.
            for group in criteria["filter_groups"]:
                for flt in group["filters"]:
                    condition = (flt.get("condition_type") or "eq").lower()
                    if condition not in CONDITIONS:
                        raise Rejection(400, 'Invalid condition type "%1"', [condition])
                    if flt.get("field") in DATE_FIELDS and condition not in ("null", "notnull"):
                        for value in (flt.get("value") or "").split(","):
                            if not DATE_VALUE.fullmatch(value.strip()):
                                raise Rejection(400, "Invalid date value: %1", [value])
            for order in criteria["sort_orders"]:
                direction = order.get("direction") or "ASC"
                if direction.upper() not in ("ASC", "DESC"):
                    raise Rejection(400, 'The sort order "%1" is invalid. Verify the sort '
                                         'order and try again.', [direction])
        for key, value in pairs:
            if key.startswith("searchCriteria") and op.search_criteria:
                continue
            if key == "fields":
                fields = parse_fields(value)
                continue
            kind = op.query_params.get(key)
            if kind is None:
                self.ignored(method, path, "query parameter " + key)
            elif kind == "integer" and not re.fullmatch(r"-?\d+", value):
                raise magento_schema._type_error(key, value, "integer")
        return criteria, fields

    # -- authentication and ACL ------------------------------------------------------------
    def authorize(self, h, method, path, query, key):
        resource = ACL.get(key, "Magento_Backend::admin")
        header = h.headers.get("Authorization") or ""
        grants = None
        if header.startswith("Bearer "):
            token = self.tokens.get(header[7:].strip())
            if token is None and self.integration_as_bearer:
                for integration in self.integrations.values():
                    if integration["access_token"] == header[7:].strip():
                        token = {"expired": False, "resources": integration["resources"]}
            if token is None or token["expired"]:
                self.refuse(resource)
            grants = token["resources"]
        elif header.startswith("OAuth "):
            grants = self.verify_oauth(h, method, path, query, header)
        else:
            self.refuse(resource)
        if grants is not None and resource not in grants:
            self.refuse(resource)

    def refuse(self, resource):
        with self.state.lock:
            self.state.auth_failures += 1
        raise Rejection(401, NOT_AUTHORIZED, {"resources": resource})

    def verify_oauth(self, h, method, path, query, header):
        with self.state.lock:
            self.state.oauth_requests += 1
        params = {}
        for part in re.findall(r'(\w+)="([^"]*)"', header):
            params[urllib.parse.unquote(part[0])] = urllib.parse.unquote(part[1])

        def fail(message, parameters=None):
            with self.state.lock:
                self.state.auth_failures += 1
            raise Rejection(401, message, parameters)

        integration = self.integrations.get(params.get("oauth_consumer_key"))
        if integration is None:
            fail("A consumer having the specified key does not exist")
        if params.get("oauth_token") != integration["access_token"]:
            fail("Specified token does not exist")
        algorithm = {"HMAC-SHA256": hashlib.sha256,
                     "HMAC-SHA1": hashlib.sha1}.get(params.get("oauth_signature_method"))
        if algorithm is None:
            fail("Signature method %1 is not supported", [params.get("oauth_signature_method")])
        timestamp = params.get("oauth_timestamp", "")
        if not timestamp.isdigit() or abs(int(timestamp) - time.time()) > 600:
            fail("Incorrect timestamp value in the oauth_timestamp parameter")
        host = (h.headers.get("Host") or "").lower()
        scheme = "https" if self.tls else "http"
        signature = oauth_signature(method, "%s://%s%s" % (scheme, host, path), query,
                                    {k: v for k, v in params.items() if k != "oauth_signature"},
                                    integration["consumer_secret"],
                                    integration["access_token_secret"], algorithm)
        if not hmac.compare_digest(signature, params.get("oauth_signature", "")):
            fail("The signature is invalid. Verify and try again.")
        nonce = (integration["consumer_key"], params.get("oauth_nonce"), timestamp)
        with self.state.lock:
            if nonce in self.nonces:
                used = True
            else:
                used = False
                self.nonces.add(nonce)
        if used:
            fail("The nonce is already being used by the consumer with ID %1. Use a different "
                 "nonce and try again.", [integration["consumer_key"]])
        return integration["resources"]

    # -- control API (process mode) --------------------------------------------------------
    def control(self, h, url, raw):
        name = url.path[len("/__fake/"):]
        try:
            data = json.loads(raw) if raw else {}
            if name == "state":
                full = "full=1" in url.query
                return self.reply(h, 200, self.summary(full))
            if name == "seed":
                self.seed(data)
            elif name == "faults":
                self.set_faults(**data)
            elif name == "inject":
                self.inject(**data)
            elif name == "config":
                self.configure(**data)
            elif name == "expire_tokens":
                self.expire_tokens()
            else:
                return self.reply(h, 404, {"message": "unknown control " + name})
            return self.reply(h, 200, {"ok": True})
        except (TypeError, ValueError, KeyError) as e:
            return self.reply(h, 400, {"message": str(e)})

    def summary(self, full=False):
        s = self.state
        with s.lock:
            out = {"requests": len(s.requests),
                   "statuses": {}, "schema_violations": s.schema_violations[-50:],
                   "schema_violation_count": len(s.schema_violations),
                   "ignored_inputs": s.ignored_inputs[-50:], "unscripted": s.unscripted[-50:],
                   "input_limit_refusals": len(s.input_limit_refusals),
                   "fake_errors": s.fake_errors[-50:],
                   "source_item_calls": s.source_item_calls,
                   "source_items_saved": s.source_items_saved,
                   "source_item_count": len(s.source_items),
                   "legacy_stock_updates": s.legacy_stock_updates,
                   "shipments_created": {str(k): v for k, v in s.shipments_created.items()},
                   "ship_refusals": s.ship_refusals[-50:],
                   "concurrent_ships": s.concurrent_ships[-50:],
                   "tokens_issued": s.tokens_issued, "auth_failures": s.auth_failures,
                   "oauth_requests": s.oauth_requests, "faults": dict(s.faults),
                   "committed_then_dropped": s.committed_then_dropped,
                   "late_commits": s.late_commits,
                   "orders": len(s.orders), "products": len(s.products)}
            for _, _, status in s.requests:
                out["statuses"][str(status)] = out["statuses"].get(str(status), 0) + 1
            if full:
                out["source_items"] = [{"sku": k[0], "source_code": k[1], **v,
                                        "written_at": s.source_item_written_at.get(k)}
                                       for k, v in s.source_items.items()]
                out["stock_items"] = s.stock_items
        return out


# -- behaviour, one function per route -------------------------------------------------------
ROUTES = {}


def route(method, template):
    def register(fn):
        ROUTES[(method, template)] = fn
        return fn
    return register


def get(doc, name, default=None):
    """A body field by its snake_case name, whatever case the client used (null: nothing)."""
    if type(doc) is not dict:
        return default
    if name in doc:
        return doc[name]
    target = upper_camel(name)
    for key, value in doc.items():
        if upper_camel(key) == target:
            return value
    return default


@route("POST", "/V1/integration/admin/token")
def admin_token(fake, params, body, criteria):
    user = fake.users.get(body.get("username"))
    if user is None or not hmac.compare_digest(user["password"], str(body.get("password"))):
        with fake.state.lock:
            fake.state.auth_failures += 1
        raise Rejection(401, BAD_LOGIN)
    token = secrets.token_hex(16)
    with fake.state.lock:
        fake.tokens[token] = {"who": body["username"], "resources": user["resources"],
                              "expired": False}
        fake.state.tokens_issued += 1
    return 200, token


SOURCE_ITEM_STATUSES = (0, 1)
SOURCE_ITEM_FIELDS = ("sku", "source_code", "quantity", "status", "extension_attributes")
SOURCE_ITEM_KEYS = {upper_camel(f): f for f in SOURCE_ITEM_FIELDS}
WHITESPACE = re.compile(r"\s")


def snake_item(item):
    """A schema-checked source item with its keys in snake_case (clients may send camelCase)."""
    for key in item:
        if key not in SOURCE_ITEM_FIELDS:
            return {SOURCE_ITEM_KEYS[upper_camel(k)]: v for k, v in item.items()}
    return item


def source_item_errors(item):
    """MSI's SourceItem validators (sku, source code, quantity, status), in their order."""
    errors = []
    sku = item.get("sku")
    source = item.get("source_code")
    status = item.get("status")
    if not sku:
        errors.append(('"%field" can not be empty.', {"field": "sku"}))
    elif sku != sku.strip():
        errors.append(('"%field" can not contain leading or trailing spaces.', {"field": "sku"}))
    if not source:
        errors.append(('"%field" can not be empty.', {"field": "source_code"}))
    elif WHITESPACE.search(source):
        errors.append(('"%field" can not contain whitespaces.', {"field": "source_code"}))
    if item.get("quantity") is None:
        errors.append(('"%field" should be numeric.', {"field": "quantity"}))
    if status is None:
        errors.append(('"%field" should be numeric.', {"field": "status"}))
    elif status not in SOURCE_ITEM_STATUSES:
        errors.append(('"%field" should according to an existing Source Item status.',
                       {"field": "status"}))
    return errors


@route("POST", "/V1/inventory/source-items")
def save_source_items(fake, params, body, criteria):
    items = [snake_item(item or {}) for item in body.get("sourceItems") or []]
    if not items:
        raise Rejection(400, "Input data is empty")
    errors = []
    for item in items:
        errors.extend(source_item_errors(item))
    if errors:
        rejection = Rejection(400, "Validation Failed: " + magento_schema.fill(*errors[0]))
        rejection.errors = [{"message": m, "parameters": p} for m, p in errors]
        raise rejection
    state = fake.state
    with state.lock:
        sources = state.sources
        for item in items:
            if item["source_code"] not in sources:
                raise Rejection(400, "Could not save Source Item")  # nothing saved
        saved = state.source_items
        written_at = state.source_item_written_at
        stock_items = state.stock_items
        now = time.time()
        for item in items:
            sku = item["sku"]
            source = item["source_code"]
            quantity = float(item["quantity"])
            status = item["status"]
            saved[(sku, source)] = {"quantity": quantity, "status": status}
            written_at[(sku, source)] = now
            if source == "default" and sku in stock_items:
                stock = stock_items[sku]
                stock["qty"] = quantity
                stock["is_in_stock"] = status == 1
        state.source_item_calls += 1
        state.source_items_saved += len(items)
    return 200, []


@route("GET", "/V1/inventory/source-items")
def list_source_items(fake, params, body, criteria):
    with fake.state.lock:
        rows = [{"sku": sku, "source_code": source, "quantity": v["quantity"],
                 "status": v["status"]}
                for (sku, source), v in fake.state.source_items.items()]
    return 200, search(fake, rows, criteria, "sku")


@route("GET", "/V1/inventory/sources")
def list_sources(fake, params, body, criteria):
    with fake.state.lock:
        rows = [dict(s) for s in fake.state.sources.values()]
    return 200, search(fake, rows, criteria, "source_code")


@route("GET", "/V1/inventory/sources/{sourceCode}")
def get_source(fake, params, body, criteria):
    with fake.state.lock:
        source = fake.state.sources.get(params["sourceCode"])
        if source is None:
            raise Rejection(404, 'Source with code "%value" does not exist.',
                            {"value": params["sourceCode"]})
        return 200, dict(source)


@route("PUT", "/V1/products/{productSku}/stockItems/{itemId}")
def update_stock_item(fake, params, body, criteria):
    state = fake.state
    sku = params["productSku"]
    data = body.get("stockItem") or {}
    with state.lock:
        stock = state.stock_items.get(sku)
        if stock is None or sku not in state.products:
            raise Rejection(404, NO_PRODUCT)
        qty = get(data, "qty")
        in_stock = get(data, "is_in_stock")
        if qty is not None:
            stock["qty"] = float(qty)
        if in_stock is not None:
            stock["is_in_stock"] = bool(in_stock)
        if fake.msi:
            state.source_items[(sku, "default")] = {
                "quantity": stock["qty"], "status": 1 if stock["is_in_stock"] else 0}
            state.source_item_written_at[(sku, "default")] = time.time()
        state.legacy_stock_updates += 1
        return 200, stock["item_id"]


@route("GET", "/V1/stockItems/{productSku}")
def get_stock_item(fake, params, body, criteria):
    with fake.state.lock:
        stock = fake.state.stock_items.get(params["productSku"])
        if stock is None:
            raise Rejection(404, NO_PRODUCT)
        return 200, dict(stock)


def qty_to_ship(order, item):
    if is_dummy(order, item):
        return 0.0
    return max(item["qty_ordered"] - item["qty_shipped"] - item["qty_refunded"]
               - item["qty_canceled"], 0.0)


def is_dummy(order, item):
    """Order\\Item::isDummy(true) for configurables: the child follows its parent."""
    return item.get("parent_item_id") is not None


@route("POST", "/V1/order/{orderId}/ship")
def ship(fake, params, body, criteria):
    state = fake.state
    order_id = params["orderId"]
    with state.lock:
        order = state.orders.get(order_id)
        if order is None:
            raise Rejection(404, NO_ENTITY)
        by_id = {item["item_id"]: item for item in order["items"]}
        messages = []
        if order["state"] in ("payment_review", "holded", "canceled") or order["is_virtual"]:
            messages.append("A shipment cannot be created when an order has a status of %s"
                            % order["status"])
        elif not any(qty_to_ship(order, i) > 0 and not i["is_virtual"] for i in order["items"]):
            messages.append("The order does not allow a shipment to be created.")
        requested = body.get("items") or []
        lines = []  # (order item, qty)
        if requested:
            for req in requested:
                lines.append((get(req, "order_item_id"), float(get(req, "qty") or 0)))
        else:
            lines = [(i["item_id"], qty_to_ship(order, i)) for i in order["items"]
                     if qty_to_ship(order, i) > 0]
        total = 0.0
        for item_id, qty in lines:
            item = by_id.get(item_id)
            if item is None:
                messages.append('We can not found item "%s" in order.' % item_id)
                continue
            if not (qty <= qty_to_ship(order, item) or is_dummy(order, item)):
                messages.append('We found an invalid quantity to ship for item "%s".'
                                % item["name"])
            else:
                total += qty
        if total <= 0:
            messages.append("You can't create a shipment without products.")
        tracks = body.get("tracks") or []
        for track in tracks:
            if not get(track, "track_number"):
                messages.append("Please enter a tracking number.")
        if messages:
            state.ship_refusals.append((order_id, SHIP_ERRORS + "\n".join(messages)))
            raise Rejection(400, SHIP_ERRORS + "\n".join(messages))
        # What really ships: parents and simple lines; a child follows its parent.
        shipped = []  # (order item, qty)
        for item_id, qty in lines:
            item = by_id[item_id]
            if is_dummy(order, item) or qty <= 0:
                continue
            shipped.append((item, qty))
            for child in order["items"]:
                if child.get("parent_item_id") == item["item_id"]:
                    shipped.append((child, qty * child["qty_ordered"] / item["qty_ordered"]))
        if not shipped:
            message = SHIP_ERRORS + "You can't create a shipment without products."
            state.ship_refusals.append((order_id, message))
            raise Rejection(400, message)
        arguments = body.get("arguments") or {}
        source = get(get(arguments, "extension_attributes") or {}, "source_code")
        if source is None:
            enabled = [c for c, s in state.sources.items() if s.get("enabled", True)]
            source = enabled[0] if len(enabled) == 1 else "default"
        deductions = []
        if fake.msi and fake.source_deduction:
            for item, qty in shipped:
                if item["product_type"] == "configurable":
                    continue  # the child line carries the stock
                if item["sku"] not in state.products:
                    continue  # not a catalog product: nothing to deduct
                source_item = state.source_items.get((item["sku"], source))
                if source not in state.sources or source_item is None:
                    reason = ("Source item not found by source code: %s and sku: %s"
                              % (source, item["sku"]))
                elif source_item["quantity"] - qty < 0:
                    reason = "Not all of your products are available in the requested quantity."
                else:
                    deductions.append((source_item, qty))
                    continue
                state.ship_refusals.append((order_id, reason))
                raise Rejection(400, SHIP_SAVE_FAILED)
        for source_item, qty in deductions:
            source_item["quantity"] -= qty
            if source_item["quantity"] <= 0:
                source_item["status"] = 0
        now = fake.now()
        sid = fake.next_id("shipment")
        doc = {"entity_id": sid, "increment_id": "%09d" % (100000000 + sid),
               "order_id": order_id, "store_id": order["store_id"], "created_at": now,
               "updated_at": now, "total_qty": sum(q for i, q in shipped
                                                   if not is_dummy(order, i)),
               "items": [], "tracks": [], "comments": [], "packages": [],
               "email_sent": 1 if body.get("notify") else 0,
               "extension_attributes": {"source_code": source}}
        for item, qty in shipped:
            item["qty_shipped"] += qty
            item["updated_at"] = now
            doc["items"].append({"entity_id": fake.next_id("item"), "parent_id": sid,
                                 "order_item_id": item["item_id"], "sku": item["sku"],
                                 "name": item["name"], "qty": qty, "price": item["price"],
                                 "product_id": item["product_id"], "weight": item["weight"]})
        for track in tracks:
            doc["tracks"].append({"entity_id": fake.next_id("track"), "parent_id": sid,
                                  "order_id": order_id, "track_number": get(track, "track_number"),
                                  "title": get(track, "title"),
                                  "carrier_code": get(track, "carrier_code"),
                                  "created_at": now, "updated_at": now})
        comment = body.get("comment")
        if comment and get(comment, "comment"):
            doc["comments"].append({"entity_id": fake.next_id("comment"), "parent_id": sid,
                                    "comment": get(comment, "comment"),
                                    "is_visible_on_front": get(comment, "is_visible_on_front")
                                    or 0,
                                    "is_customer_notified": 1 if body.get("notify") else 0,
                                    "created_at": now})
        state.shipments[sid] = doc
        state.shipments_created[order_id] = state.shipments_created.get(order_id, 0) + 1
        for item in order["items"]:  # keep the children's parent_item copies in step
            if item.get("parent_item"):
                item["parent_item"] = dict(by_id[item["parent_item_id"]])
        invoiced = all(i["qty_invoiced"] >= i["qty_ordered"] for i in order["items"])
        if not any(qty_to_ship(order, i) > 0 for i in order["items"]) and invoiced:
            order["state"] = order["status"] = "complete"
        order["updated_at"] = now
        for assignment in order["extension_attributes"].get("shipping_assignments", []):
            assignment["items"] = [dict(i) for i in order["items"]]
        return 200, sid


@route("GET", "/V1/shipments")
def list_shipments(fake, params, body, criteria):
    with fake.state.lock:
        return 200, search(fake, list(fake.state.shipments.values()), criteria, "entity_id")


@route("GET", "/V1/shipment/{id}")
def get_shipment(fake, params, body, criteria):
    with fake.state.lock:
        doc = fake.state.shipments.get(params["id"])
        if doc is None:
            raise Rejection(404, NO_ENTITY)
        return 200, json.loads(json.dumps(doc))


@route("GET", "/V1/orders")
def list_orders(fake, params, body, criteria):
    with fake.state.lock:
        return 200, search(fake, list(fake.state.orders.values()), criteria, "entity_id")


@route("GET", "/V1/orders/{id}")
def get_order(fake, params, body, criteria):
    with fake.state.lock:
        doc = fake.state.orders.get(params["id"])
        if doc is None:
            raise Rejection(404, NO_ENTITY)
        return 200, json.loads(json.dumps(doc))


@route("GET", "/V1/products")
def list_products(fake, params, body, criteria):
    with fake.state.lock:
        return 200, search(fake, list(fake.state.products.values()), criteria, "id",
                           products=True)


@route("GET", "/V1/products/{sku}")
def get_product(fake, params, body, criteria):
    with fake.state.lock:
        doc = fake.state.products.get(params["sku"])
        if doc is None:
            raise Rejection(404, NO_PRODUCT)
        return 200, json.loads(json.dumps(doc))


@route("GET", "/V1/modules")
def modules(fake, params, body, criteria):
    names = ["Magento_Store", "Magento_Catalog", "Magento_CatalogInventory", "Magento_Sales",
             "Magento_Integration", "Magento_Webapi"]
    if fake.msi:
        names += ["Magento_Inventory", "Magento_InventoryApi", "Magento_InventoryCatalog",
                  "Magento_InventoryShipping", "Magento_InventorySales"]
    return 200, names


@route("GET", "/V1/store/storeViews")
def store_views(fake, params, body, criteria):
    return 200, [{"id": 0, "code": "admin", "name": "Admin", "website_id": 0,
                  "store_group_id": 0, "is_active": 1},
                 {"id": 1, "code": "default", "name": "Default Store View", "website_id": 1,
                  "store_group_id": 1, "is_active": 1}]


@route("GET", "/V1/store/websites")
def websites(fake, params, body, criteria):
    return 200, [{"id": 0, "code": "admin", "name": "Admin", "default_group_id": 0},
                 {"id": 1, "code": "base", "name": "Main Website", "default_group_id": 1}]


@route("GET", "/V1/store/storeConfigs")
def store_configs(fake, params, body, criteria):
    return 200, [{"id": 1, "code": "default", "website_id": 1, "locale": "en_GB",
                  "base_currency_code": "GBP", "default_display_currency_code": "GBP",
                  "timezone": "Europe/London", "weight_unit": "kgs",
                  "base_url": fake.base_url, "base_link_url": fake.base_url,
                  "base_static_url": fake.base_url + "static/",
                  "base_media_url": fake.base_url + "media/",
                  "secure_base_url": fake.base_url, "secure_base_link_url": fake.base_url,
                  "secure_base_static_url": fake.base_url + "static/",
                  "secure_base_media_url": fake.base_url + "media/"}]


# -- searchCriteria evaluation -----------------------------------------------------------------
DATE_FIELDS = {"created_at", "updated_at"}
DATE_VALUE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2}))?(\.\d+)?"
                        r"(Z|[+-]\d{2}:?\d{2})?")
CONDITIONS = {"eq", "neq", "gt", "gteq", "lt", "lteq", "in", "nin", "like", "nlike", "null",
              "notnull", "from", "to", "finset", "moreq"}


def normalise_date(fake, value):
    m = DATE_VALUE.fullmatch(value.strip())  # checked in check_query
    if m.group(4):
        fake.ignored("GET", "searchCriteria", "time zone in date value %r (MySQL drops it; "
                     "Magento's timestamps are UTC)" % value)
    return "%s %s" % (m.group(1), m.group(2) or "00:00:00")


def field_value(row, field, products):
    if field in row:
        return row[field]
    if products:
        for attr in row.get("custom_attributes", []):
            if attr["attribute_code"] == field:
                return attr["value"]
    return None


def predicate(fake, flt, products):
    """One filter as a function of a row; its value is parsed once, not per row."""
    field = flt.get("field")
    value = flt.get("value", "")
    condition = (flt.get("condition_type") or "eq").lower()
    if products:
        def get_value(row):
            return field_value(row, field, True)
    else:
        def get_value(row):
            return row.get(field)
    if condition == "null":
        return lambda row: get_value(row) is None
    if condition == "notnull":
        return lambda row: get_value(row) is not None
    if condition == "finset":
        return lambda row: value in str(get_value(row) or "").split(",")
    if condition in ("in", "nin"):
        wanted = {v.strip().casefold() for v in value.split(",")}
        numbers = {n for n in (_num(v) for v in wanted) if n is not None}
        positive = condition == "in"

        def in_list(row):
            actual = get_value(row)
            if actual is None:
                return False
            if type(actual) in (int, float):
                return (actual in numbers or str(actual).casefold() in wanted) == positive
            return (str(actual).casefold() in wanted) == positive
        return in_list
    if condition in ("like", "nlike"):
        pattern = re.compile("^" + ".*".join(re.escape(p) for p in value.split("%"))
                             .replace("_", ".") + "$", re.IGNORECASE | re.DOTALL)
        positive = condition == "like"
        return lambda row: (get_value(row) is not None
                            and (pattern.match(str(get_value(row))) is not None) == positive)
    compare = {"eq": operator.eq, "neq": operator.ne, "gt": operator.gt, "gteq": operator.ge,
               "from": operator.ge, "moreq": operator.ge, "lt": operator.lt,
               "lteq": operator.le, "to": operator.le}[condition]
    if field in DATE_FIELDS:
        date = normalise_date(fake, value)
        if not products:  # the hot path of an incremental pull: one dict lookup per row
            return lambda row: compare(row.get(field) or "", date) and field in row
        return lambda row: get_value(row) is not None and compare(str(get_value(row)), date)
    number = _num(value)
    folded = value.casefold()

    def compare_row(row):
        actual = get_value(row)
        if actual is None:
            return False
        if type(actual) in (int, float) and number is not None:
            return compare(actual, number)
        # MySQL's default collation: case-insensitive (sku eq "sku-1" finds "SKU-1")
        return compare(str(actual).casefold(), folded)
    return compare_row


def _num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def search(fake, rows, criteria, id_field, products=False):
    """Magento's getList over `rows` (the live documents, under the state lock): filter groups
    AND-ed, filters in a group OR-ed, sort orders, then the page (a page past the end repeats
    the last page). Only the page is copied out."""
    for group in criteria["filter_groups"]:
        if group["filters"]:
            tests = [predicate(fake, f, products) for f in group["filters"]]
            if len(tests) == 1:
                test = tests[0]
                rows = [r for r in rows if test(r)]
            else:
                rows = [r for r in rows if any(test(r) for test in tests)]
    rows.sort(key=operator.itemgetter(id_field))  # the primary key's order (no ORDER BY)
    for order in reversed(criteria["sort_orders"]):
        field = order.get("field")
        descending = (order.get("direction") or "ASC").upper() == "DESC"

        def sort_key(row):  # nulls first, numbers as numbers, strings as MySQL sorts them
            value = field_value(row, field, products)
            if value is None:
                return (0, 0, "")
            if type(value) in (int, float):
                return (1, value, "")
            return (1, 0, str(value).casefold())
        if field in DATE_FIELDS and not products:  # always set, fixed format: plain strings
            rows.sort(key=operator.itemgetter(field), reverse=descending)
        else:
            rows.sort(key=sort_key, reverse=descending)
    total = len(rows)
    size = criteria["page_size"]
    if size is not None and fake.max_page_size is not None and size > fake.max_page_size:
        raise Rejection(400, "Maximum SearchCriteria pageSize is %max",
                        {"max": fake.max_page_size})
    if size is None:
        size = fake.default_page_size
    page = criteria["current_page"] or 1
    if size:
        last = max((total + size - 1) // size, 1)
        page = min(max(page, 1), last)  # Magento's trap: past the end -> the last page
        rows = rows[(page - 1) * size: page * size]
    echo = {"filter_groups": [{"filters": [dict(f) for f in g["filters"]]}
                              for g in criteria["filter_groups"]]}
    if criteria["sort_orders"]:
        echo["sort_orders"] = criteria["sort_orders"]
    if criteria["page_size"] is not None:
        echo["page_size"] = criteria["page_size"]
    if criteria["current_page"] is not None:
        echo["current_page"] = criteria["current_page"]
    return {"items": json.loads(json.dumps(rows)), "search_criteria": echo,
            "total_count": total}


# -- fields= projection ------------------------------------------------------------------------
def parse_fields(text):
    """`items[entity_id,items[sku]],total_count` -> {"items": {"entity_id": None, "items":
    {"sku": None}}, "total_count": None}."""
    pos = 0

    def parse_list():
        nonlocal pos
        out = {}
        while pos < len(text):
            m = re.compile(r"[A-Za-z0-9_]+").match(text, pos)
            if not m:
                raise Rejection(400, "Incorrect format of request URI or Requested fields.")
            name = m.group(0)
            pos = m.end()
            sub = None
            if pos < len(text) and text[pos] == "[":
                pos += 1
                sub = parse_list()
                if pos >= len(text) or text[pos] != "]":
                    raise Rejection(400, "Incorrect format of request URI or Requested fields.")
                pos += 1
            out[name] = sub
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            break
        return out

    result = parse_list()
    if pos != len(text):
        raise Rejection(400, "Incorrect format of request URI or Requested fields.")
    return result


def project(value, fields):
    if isinstance(value, list):
        return [project(v, fields) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for name, sub in fields.items():
        if name in value:
            out[name] = value[name] if sub is None else project(value[name], sub)
    return out


# -- OAuth 1.0a --------------------------------------------------------------------------------
def oauth_escape(text):
    return urllib.parse.quote(str(text), safe="-._~")


def oauth_signature(method, base_url, query, oauth_params, consumer_secret, token_secret,
                    algorithm=hashlib.sha256):
    """RFC 5849 §3.4: the signature of a request (JSON bodies are not signed)."""
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True) + list(oauth_params.items())
    encoded = sorted((oauth_escape(k), oauth_escape(v)) for k, v in pairs)
    normalised = "&".join("%s=%s" % kv for kv in encoded)
    url = urllib.parse.urlsplit(base_url)
    host = url.hostname.lower()
    if url.port and not ((url.scheme == "http" and url.port == 80)
                         or (url.scheme == "https" and url.port == 443)):
        host += ":%d" % url.port
    base = "&".join([method.upper(), oauth_escape("%s://%s%s" % (url.scheme, host, url.path)),
                     oauth_escape(normalised)])
    key = "%s&%s" % (oauth_escape(consumer_secret), oauth_escape(token_secret))
    return base64.b64encode(hmac.new(key.encode(), base.encode(), algorithm).digest()).decode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed-file")
    parser.add_argument("--schema")
    parser.add_argument("--store-code", default="all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-input-limits", action="store_true",
                        help="Web API input limits off (2.4.4+ default); on: 20 items, pages "
                             "of at most 300, 20 by default")
    parser.add_argument("--input-list-limit", type=int, default=20,
                        help="items per array in a body while the limits are on")
    args = parser.parse_args()
    fake = FakeMagento(schema_path=args.schema, store_code=args.store_code, seed=args.seed,
                       host=args.host, port=args.port, input_limits=not args.no_input_limits,
                       input_list_limit=args.input_list_limit)
    if args.seed_file:
        with open(args.seed_file, encoding="utf-8") as f:
            fake.seed(json.load(f))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    fake.start()
    print("LISTENING %d" % fake.port, flush=True)
    while not stop.wait(1.0):
        pass
    fake.stop()


if __name__ == "__main__":
    main()
