"""A fake OrderFlow WMS: the HTTP interface the exporter pushes to (notes/magento-and-orderflow-
http.md §3), on loopback, port 0, in a thread of the test process.

Faithful to what the notes describe:
- HTTP Basic auth (401 without it); channel and organisation as query parameters or headers
  (a wrong one is an <error> root with HTTP 200, as OrderFlow answers).
- POST <context>/remotewarehouse/imports/importitems.xml and remoteorder/imports/importitems.xml
  with an <imports> document: one <import type operation externalReference> per entity, its
  content key=value lines (CDATA). The reply is an <importResult> with importSuccesses,
  importDuplicates and importFailures. Orders are inserted once: an order it already has is a
  Duplicate, and `inserts` counts real inserts, so a test sees any double insert.
- POST remoteorder/order/cancel.xml?externalReference=: "<message>Order ... cancelled</message>",
  or "No cancel operation performed" for an order it does not have.
- Faults, injected at `fault_rate` (seeded): HTTP 500, an XHTML error page with HTTP 200, an
  <exception> root, an <error> root, a body that is not XML, a slow reply (past the client's
  deadline, after importing), a connection dropped before importing and one dropped after.
- https with `tls_cert`/`tls_key` (the endpoint then names localhost).
- Notify mode: POST remotewarehouse/product/update.xml / remoteorder/order/update.xml with
  thirdPartyReference, event, action (and externalReference for orders). After a clean reply
  the WMS fetches the entity from the broker as OrderFlow does, with a real SOAP client (zeep on
  the broker's served WSDL, bearer token): catalogProductRepositoryV1Get(sku) /
  salesOrderRepositoryV1Get(id), then calls ...ProductRequestManagementV1Export /
  ...OrderRequestManagementV1Export. Fetches run after the reply (OrderFlow queues them), once
  `broker` is set, on `fetch_threads` threads of their own (OrderFlow fetches in parallel too),
  each with its own SOAP clients; `fetch=False` leaves entities unfetched. A fetched order is
  inserted once (again: a duplicate), as in push mode.
- `fail_skus` always fail with a failureMessage (notify: a "Result 'no_operation'" reply);
  `hold_sku`: the first batch (notify: the first notification) holding that SKU waits for
  `release` before it replies (after setting `held`), for in-flight tests.
- Notify mode's fetches can be paused: `fetch_gate` (set = fetches run) is waited for before
  each fetch, `export_gate` before each Export call after a fetch; `fetched` lists what each
  fetch returned ((entity, reference, product name or order increment_id), in order).
  `fetch_from` again (a restarted broker, a new port) drops the SOAP clients of the old one.
  A fetch that fails is tried again after `fetch_retry_seconds` (the WMS still has the
  notification; at most 5 times for a fault, for as long as it runs when the broker cannot be
  reached): a fetch the broker recorded but whose reply died with it is fetched again, not lost.
"""

import base64
import queue
import random
import ssl
import sys
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ["http500", "html200", "exception200", "error200", "notxml200", "slow", "drop_before",
          "drop_after"]


class WmsState:
    def __init__(self):
        self.lock = threading.Lock()
        self.products = {}        # sku -> fields of the last merge
        self.merges = {}          # sku -> merges applied
        self.orders = {}          # increment_id -> fields
        self.inserts = {}         # increment_id -> inserts applied (must stay 1)
        self.duplicates = {}      # increment_id -> inserts answered Duplicate
        self.cancels = {}         # increment_id -> cancellations
        self.notifications = []   # (entity, thirdPartyReference, action) in arrival order
        self.fetches = {}         # (entity, reference) -> fetches through the broker
        self.fetch_errors = []
        self.fetched = []         # (entity, reference, name / increment_id) per fetch, in order
        self.refused_cancels = []
        self.requests = 0
        self.faults = {}          # kind -> count
        self.bad_auth = 0


class OrderFlowSimulator:
    def __init__(self, username="of-user", password="of-pass", channel="WEB",
                 organisation="ACME", context="/web/", fault_rate=0.0, seed=1, fail_skus=(),
                 slow_seconds=1.0, tls_cert=None, tls_key=None, fetch=True, fetch_threads=4):
        self.username, self.password = username, password
        self.channel, self.organisation = channel, organisation
        self.context = context
        self.fault_rate = fault_rate
        self.random = random.Random(seed)
        self.fail_skus = set(fail_skus)
        self.slow_seconds = slow_seconds
        self.state = WmsState()
        self.fetch = fetch
        self.broker = None        # (base URL, store code, bearer token): fetch_from() sets it
        self.broker_known = threading.Event()
        self.fetch_queue = queue.Queue()
        self.fetch_retry_seconds = 0.2
        self.stopped = threading.Event()
        self.fetchers = [threading.Thread(target=self.fetch_loop, daemon=True)
                         for _ in range(fetch_threads)]
        self.broker_generation = 0
        self.fetch_gate = threading.Event()
        self.fetch_gate.set()
        self.export_gate = threading.Event()
        self.export_gate.set()
        self.hold_sku = None
        self.held = threading.Event()
        self.release = threading.Event()
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                simulator.handle(self)

            do_GET = do_POST

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                # The broker killed mid-exchange resets its connections: expected here.
                if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.tls = tls_cert is not None
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls_cert, tls_key)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self):
        if self.tls:  # the name the test certificate carries
            return "https://localhost:%d%s" % (self.server.server_address[1], self.context)
        return "http://127.0.0.1:%d%s" % (self.server.server_address[1], self.context)

    def start(self):
        self.thread.start()
        for fetcher in self.fetchers:
            fetcher.start()
        return self

    def stop(self):
        self.stopped.set()
        for _ in self.fetchers:
            self.fetch_queue.put(None)
        self.broker_known.set()
        self.fetch_gate.set()
        self.export_gate.set()
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    # -- replies ---------------------------------------------------------------------------
    @staticmethod
    def reply(handler, status, body, content_type="application/xml"):
        data = body.encode()
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    # The replies of the faults that are whole-exchange failures (notes §3.2), by fault.
    FAULT_REPLIES = {
        "http500": (500, "<html><body><h2>HTTP ERROR 500</h2></body></html>", "text/html"),
        "html200": (200, '<html xmlns="http://www.w3.org/1999/xhtml"><body>'
                    "<h2>HTTP ERROR 500</h2><p>Problem accessing</p></body></html>", "text/html"),
        "exception200": (200, "<exception><message>Lock wait timeout</message></exception>",
                         "application/xml"),
        "error200": (200, "<error>Service temporarily unavailable</error>", "application/xml"),
        "notxml200": (200, "Service Temporarily Unavailable", "text/plain"),
    }

    def fault_reply(self, h, fault):
        """Answers `fault` when it is one of FAULT_REPLIES; True when it did."""
        if fault not in self.FAULT_REPLIES:
            return False
        self.reply(h, *self.FAULT_REPLIES[fault])
        return True

    def pick_fault(self):
        with self.state.lock:
            if self.fault_rate and self.random.random() < self.fault_rate:
                kind = self.random.choice(FAULTS)
                self.state.faults[kind] = self.state.faults.get(kind, 0) + 1
                return kind
        return None

    def handle(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(h.path)
        query = urllib.parse.parse_qs(url.query)
        with self.state.lock:
            self.state.requests += 1
        expected = "Basic " + base64.b64encode(
            ("%s:%s" % (self.username, self.password)).encode()).decode()
        if h.headers.get("Authorization") != expected:
            with self.state.lock:
                self.state.bad_auth += 1
            return self.reply(h, 401, "<html><body><h2>HTTP ERROR 401</h2></body></html>",
                              "text/html")
        channel = (query.get("channel") or [h.headers.get("channel")])[0]
        organisation = (query.get("organisation") or [h.headers.get("organisation")])[0]
        if channel != self.channel or organisation != self.organisation:
            return self.reply(h, 200, "<error>Unknown channel or organisation</error>")
        if not url.path.startswith(self.context):
            return self.reply(h, 404, "<html><body><h2>HTTP ERROR 404</h2></body></html>",
                              "text/html")
        path = url.path[len(self.context):]
        if path in ("remotewarehouse/imports/importitems.xml",
                    "remoteorder/imports/importitems.xml"):
            return self.imports(h, body, "product" if path.startswith("remotewarehouse") else "order")
        if path in ("remotewarehouse/product/update.xml", "remoteorder/order/update.xml"):
            return self.notified(h, "product" if path.startswith("remotewarehouse") else "order",
                                 query)
        if path == "remoteorder/order/cancel.xml":
            return self.cancel(h, (query.get("externalReference") or [""])[0])
        return self.reply(h, 404, "<html><body><h2>HTTP ERROR 404</h2></body></html>", "text/html")

    def imports(self, h, body, expected_type):
        fault = self.pick_fault()
        if self.fault_reply(h, fault):
            return
        if fault == "drop_before":
            h.close_connection = True
            return
        root = ET.fromstring(body)
        assert root.tag == "imports", root.tag
        successes, duplicates, failures = [], [], []
        hold = False
        for imp in root.findall("import"):
            ref = imp.get("externalReference")
            kind = imp.get("type")
            operation = imp.get("operation")
            assert kind == expected_type, (kind, expected_type)
            lines = (imp.text or "").split("\n")
            fields = dict(line.split("=", 1) for line in lines if line)
            assert all(value != "" for value in fields.values()), fields
            assert fields.get("externalReference") == ref, (fields, ref)
            if ref == self.hold_sku and not self.held.is_set():
                hold = True
            if kind == "product":
                assert operation == "merge"
                if ref in self.fail_skus:
                    failures.append((kind, operation, ref, "Invalid barcode",
                                     "barcode must be 13 digits"))
                    continue
                with self.state.lock:
                    self.state.products[ref] = fields
                    self.state.merges[ref] = self.state.merges.get(ref, 0) + 1
                successes.append((kind, operation, ref))
            else:
                assert operation == "insert"
                assert any(k.startswith("orderLine.1.") for k in fields), fields
                with self.state.lock:
                    if ref in self.state.orders:
                        self.state.duplicates[ref] = self.state.duplicates.get(ref, 0) + 1
                        duplicates.append((kind, operation, ref))
                        continue
                    self.state.orders[ref] = fields
                    self.state.inserts[ref] = self.state.inserts.get(ref, 0) + 1
                successes.append((kind, operation, ref))
        if hold:
            self.held.set()
            self.release.wait(30)
        if fault == "drop_after":
            h.close_connection = True
            return
        if fault == "slow":
            time.sleep(self.slow_seconds)
        out = ["<importResult>", "<importSuccesses>"]
        for kind, op, ref in successes:
            out.append('<import type="%s" operation="%s" externalReference="%s" queryTime="1"/>'
                       % (kind, op, ref))
        out.append("</importSuccesses><importFailures>")
        for kind, op, ref, message, detail in failures:
            out.append('<import type="%s" operation="%s" externalReference="%s"><failureMessage>'
                       "%s</failureMessage><failureDetail>%s</failureDetail></import>"
                       % (kind, op, ref, message, detail))
        out.append("</importFailures><importDuplicates>")
        for kind, op, ref in duplicates:
            out.append('<import type="%s" operation="%s" externalReference="%s"><duplicateMessage>'
                       "Order already exists</duplicateMessage></import>" % (kind, op, ref))
        out.append("</importDuplicates></importResult>")
        return self.reply(h, 200, "".join(out))

    def notified(self, h, entity, query):
        reference = (query.get("thirdPartyReference") or [""])[0]
        action = (query.get("action") or [""])[0]
        event = (query.get("event") or [""])[0]
        assert action in ("created", "modified"), query
        assert event == "%s.%s" % (entity, action), query
        if entity == "order":
            assert (query.get("externalReference") or [""])[0], query
        fault = self.pick_fault()
        if self.fault_reply(h, fault):
            return
        if fault in ("drop_before", "drop_after"):
            h.close_connection = True
            return
        if fault == "slow":
            time.sleep(self.slow_seconds)
        if reference in self.fail_skus:
            return self.reply(h, 200, "<message>Result 'no_operation' for %s %s</message>"
                              % (entity, reference))
        if reference == self.hold_sku and not self.held.is_set():
            self.held.set()
            self.release.wait(30)
        with self.state.lock:
            self.state.notifications.append((entity, reference, action))
        self.reply(h, 200, "<message>Result 'update' for %s %s</message>" % (entity, reference))
        if self.fetch:
            self.fetch_queue.put((entity, reference,
                                  (query.get("externalReference") or [""])[0]))

    # -- the WMS's side of notify mode: fetch, then acknowledge ---------------------------
    def fetch_from(self, base_url, store, token):
        """Where the broker is (known once it listens); queued fetches start then."""
        with self.state.lock:
            self.broker = (base_url, store, token)
            self.broker_generation += 1
        self.broker_known.set()

    def fetch_loop(self):
        # One per thread: a zeep client and its requests.Session are not shared between threads.
        clients = {}
        generation = [0]

        def client(service):
            with self.state.lock:
                base, store, token = self.broker
                if generation[0] != self.broker_generation:  # a restarted broker
                    clients.clear()
                    generation[0] = self.broker_generation
            if service not in clients:
                import requests
                import zeep
                from zeep.transports import Transport
                session = requests.Session()
                session.headers["Authorization"] = "Bearer " + token
                clients[service] = zeep.Client("%s/soap/%s?wsdl&services=%s"
                                               % (base, store, service),
                                               transport=Transport(session=session)).service
            return clients[service]

        while True:
            job = self.fetch_queue.get()
            if job is None:
                return
            entity, reference, external = job[:3]
            tries = job[3] if len(job) > 3 else 0
            self.broker_known.wait()
            self.fetch_gate.wait()
            try:
                if entity == "product":
                    result = client("catalogProductRepositoryV1").catalogProductRepositoryV1Get(
                        sku=reference)
                    with self.state.lock:
                        self.state.products[result.sku] = {"description": result.name}
                        self.state.merges[result.sku] = self.state.merges.get(result.sku, 0) + 1
                        self.state.fetched.append((entity, result.sku, result.name))
                    self.export_gate.wait()
                    client("realtimeDespatchOrderFlowProductRequestManagementV1") \
                        .realtimeDespatchOrderFlowProductRequestManagementV1Export(
                            reference=result.sku)
                else:
                    result = client("salesOrderRepositoryV1").salesOrderRepositoryV1Get(
                        id=int(reference))
                    ref = result.incrementId
                    assert ref == external, (ref, external)
                    with self.state.lock:
                        if ref in self.state.orders:
                            self.state.duplicates[ref] = self.state.duplicates.get(ref, 0) + 1
                        else:
                            self.state.orders[ref] = {"items": len(result.items.item)}
                            self.state.inserts[ref] = self.state.inserts.get(ref, 0) + 1
                        self.state.fetched.append((entity, reference, ref))
                    self.export_gate.wait()
                    client("realtimeDespatchOrderFlowOrderRequestManagementV1") \
                        .realtimeDespatchOrderFlowOrderRequestManagementV1Export(reference=ref)
                with self.state.lock:
                    key = (entity, reference)
                    self.state.fetches[key] = self.state.fetches.get(key, 0) + 1
            except Exception as e:  # the broker down (a test kills it): noted, not fatal
                import requests
                with self.state.lock:
                    self.state.fetch_errors.append("%s %s: %s" % (entity, reference, e))
                unreachable = isinstance(e, requests.exceptions.ConnectionError)
                if not self.stopped.is_set() and (unreachable or tries < 5):
                    again = (entity, reference, external, tries + 1)
                    timer = threading.Timer(self.fetch_retry_seconds,
                                            lambda job=again: self.stopped.is_set()
                                            or self.fetch_queue.put(job))
                    timer.daemon = True
                    timer.start()

    def cancel(self, h, reference):
        with self.state.lock:
            if reference in self.state.orders:
                self.state.cancels[reference] = self.state.cancels.get(reference, 0) + 1
                text = "Order %s cancelled" % reference
            else:
                self.state.refused_cancels.append(reference)
                text = "No cancel operation performed"
        return self.reply(h, 200, "<message>%s</message>" % text)
