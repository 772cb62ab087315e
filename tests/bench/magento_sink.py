"""A fast Magento endpoint for the delivery benchmark: it takes what the magento2 target sends for
stock and records every source item, so the benchmark measures the broker rather than the fake
Magento (tests/fakes/fake_magento.py checks every request against Magento's whole REST schema
on one interpreter through http.server: 50,000-100,000 items/s at best at chunk 500 on the
shared VM, about what the broker was asked to reach; see the README's Magento delivery figures).
The schema-validating fake stays the judge of what the broker sends (tests/e2e/test_magento.py);
this sink only has to be fast and count right.

What it does, per request (the request loop and the worker processes are sink_server.py's):
- checks the bearer token (401 with Magento's message otherwise);
- POST /rest/<store>/V1/inventory/source-items: parses the JSON body, checks each item's four
  fields and their types as Magento's schema does (sku and source_code strings, quantity a
  number, status 0 or 1; anything else is a 400 and an error the benchmark reports), records
  (quantity, status, time of the write) per (sku, source_code) and answers `[]` (void);
- GET /rest/<store>/V1/orders and /V1/products (serve's pull loop): an empty search result;
- anything else: 404 "Request does not match any route." and an error.
An optional latency per request (asyncio.sleep, so a worker keeps serving other connections)
stands for Magento's own time.

It runs in `workers` processes sharing the port (SO_REUSEPORT: the kernel spreads the broker's
connections over them). At stop() each worker hands its records to the parent, which merges
them (the latest write of a key wins, as in Magento): the benchmark then checks every quantity
against its oracle and counts every item.
"""

import json
import multiprocessing
import time

from sink_server import WorkerProcesses, reply, serve_until_sigterm

NO_ROUTE = b'{"message":"Request does not match any route."}'
EMPTY_SEARCH = b'{"items":[],"search_criteria":{},"total_count":0}'
NOT_AUTHORIZED = (b'{"message":"The consumer isn\'t authorized to access %resources.",'
                  b'"parameters":{"resources":"Magento_InventoryApi::stock_source_item_assign"}}')


class _Counts:
    def __init__(self):
        self.items = {}  # (sku, source_code) -> (quantity, status, time of the write)
        self.calls = 0
        self.saved = 0   # items in accepted calls
        self.errors = []


def _reply(status, body, reason=b"OK"):
    return reply(status, body, reason, b"application/json; charset=utf-8")


def _item_error(item):
    if not isinstance(item, dict) or set(item) - {"sku", "source_code", "quantity", "status"}:
        return "not a source item: %r" % (item,)
    if not isinstance(item.get("sku"), str) or not isinstance(item.get("source_code"), str):
        return "sku and source_code must be strings: %r" % (item,)
    quantity = item.get("quantity")
    if not isinstance(quantity, (int, float)) or isinstance(quantity, bool):
        return "quantity must be a number: %r" % (item,)
    if item.get("status") not in (0, 1):
        return "status must be 0 or 1: %r" % (item,)
    return None


def _handle(counts, shared, auth, head, body):
    request_line, _, header_block = head.partition(b"\r\n")
    method, target, _ = request_line.split(b" ", 2)
    authorization = None
    for line in header_block.split(b"\r\n"):
        if line[:14].lower() == b"authorization:":
            authorization = line[14:].strip()
    if authorization != auth:
        counts.errors.append("unauthorised %s %s" % (method.decode(), target.decode()))
        return _reply(401, NOT_AUTHORIZED, b"Unauthorized")
    path = target.split(b"?", 1)[0]
    if method == b"GET" and path.endswith((b"/V1/orders", b"/V1/products")):
        return _reply(200, EMPTY_SEARCH)  # serve's pull loop: nothing new in this shop
    if method != b"POST" or not path.endswith(b"/V1/inventory/source-items"):
        counts.errors.append("unexpected %s %s" % (method.decode(), target.decode()))
        return _reply(404, NO_ROUTE, b"Not Found")
    now = time.time()
    try:
        items = json.loads(body)["sourceItems"]
    except (ValueError, KeyError, TypeError) as e:
        counts.errors.append("bad body: %r" % e)
        return _reply(400, b'{"message":"Decoding error."}', b"Bad Request")
    if not isinstance(items, list) or not items:
        counts.errors.append("no source items")
        return _reply(400, b'{"message":"Input data is empty"}', b"Bad Request")
    for item in items:
        error = _item_error(item)
        if error:
            counts.errors.append(error)
            return _reply(400, json.dumps({"message": error}).encode(), b"Bad Request")
    for item in items:
        counts.items[(item["sku"], item["source_code"])] = (item["quantity"], item["status"], now)
    counts.calls += 1
    counts.saved += len(items)
    with shared.get_lock():
        shared.value += len(items)
    return _reply(200, b"[]")


def _worker(sock, auth, latency, shared, results):
    counts = _Counts()
    handle = lambda head, body: _handle(counts, shared, auth, head, body)  # noqa: E731
    serve_until_sigterm(sock, handle, latency=latency, limit=1 << 22)
    results.put((counts.items, counts.calls, counts.saved, counts.errors))


class MagentoSink:
    def __init__(self, workers=2, token="bench-token", latency=0.0):
        self.token = token
        self.auth = b"Bearer " + token.encode()
        self.latency = latency
        self.processes = WorkerProcesses(workers)
        self.shared_saved = multiprocessing.Value("q", 0)

    @property
    def port(self):
        return self.processes.port

    @property
    def saved(self):
        """Items accepted so far, over every worker (to wait on while the broker delivers)."""
        return self.shared_saved.value

    @property
    def base_url(self):
        return "http://127.0.0.1:%d/" % self.port

    def start(self):
        self.processes.start(_worker, self.auth, self.latency, self.shared_saved)
        return self

    def stop(self):
        """Stops the workers; returns (items, calls, saved, errors) merged: items maps
        (sku, source_code) to (quantity, status, time of its last write)."""
        items, calls, saved, errors = {}, 0, 0, []
        for i, c, s, e in self.processes.stop(timeout=60):
            for key, value in i.items():
                if key not in items or value[2] > items[key][2]:
                    items[key] = value
            calls += c
            saved += s
            errors += e
        return items, calls, saved, errors
