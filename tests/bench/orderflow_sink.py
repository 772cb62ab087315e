"""A fast OrderFlow endpoint for the export benchmarks: it answers what the broker sends in push
and notify mode, and counts every entity, so a benchmark measures the broker rather than the
fake WMS (tests/fakes/orderflow_wms.py parses each <imports> document whole with ElementTree on
one interpreter, and serves notifications through http.server: 4,000 entities/s at best; see
the README's export benchmark section).

What it does, per request (the request loop and the worker processes are sink_server.py's):
- checks HTTP Basic auth and the channel/organisation query parameters (401 / an <error> root);
- POST .../imports/importitems.xml: finds each `<import type= operation= externalReference=>`
  start tag with one regular expression (no DOM), counts the reference and answers an
  <importResult> with every one a success;
- POST .../update.xml?thirdPartyReference=...&action=...: counts the notification and answers
  "Result 'update'".
It runs in `workers` processes sharing the port (SO_REUSEPORT: the kernel spreads connections
over them). At stop() each worker hands its counts to the parent, which merges them: the
benchmark then checks that every entity arrived exactly once (push) or was notified (notify).
"""

import base64
import collections
import re
import urllib.parse

from sink_server import WorkerProcesses, reply as _reply, serve_until_sigterm

IMPORT_TAG = re.compile(
    rb'<import type="([^"]*)" operation="([^"]*)" externalReference="([^"]*)"')


def _unescape(value):
    return (value.replace(b"&quot;", b'"').replace(b"&lt;", b"<").replace(b"&gt;", b">")
            .replace(b"&apos;", b"'").replace(b"&amp;", b"&")).decode()


class _Counts:
    def __init__(self):
        self.imports = collections.Counter()        # (type, reference) -> times imported
        self.notifications = collections.Counter()  # (entity, reference, action) -> times
        self.requests = 0
        self.errors = []


def _handle(counts, auth, channel, organisation, head, body):
    request_line, _, header_block = head.partition(b"\r\n")
    method, target, _ = request_line.split(b" ", 2)
    headers = {}
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    counts.requests += 1
    if headers.get(b"authorization") != auth:
        return _reply(401, b"<html><body>HTTP ERROR 401</body></html>", b"Unauthorized")
    path, _, query_text = target.decode().partition("?")
    query = urllib.parse.parse_qs(query_text)
    if (query.get("channel", [""])[0] != channel or
            query.get("organisation", [""])[0] != organisation):
        return _reply(200, b"<error>Unknown channel or organisation</error>")
    if path.endswith("/imports/importitems.xml"):
        out = [b"<importResult><importSuccesses>"]
        for kind, operation, reference in IMPORT_TAG.findall(body):
            counts.imports[(kind.decode(), _unescape(reference))] += 1
            out.append(b'<import type="%s" operation="%s" externalReference="%s" queryTime="1"/>'
                       % (kind, operation, reference))
        out.append(b"</importSuccesses><importFailures></importFailures>"
                   b"<importDuplicates></importDuplicates></importResult>")
        return _reply(200, b"".join(out))
    if path.endswith("/update.xml"):
        entity = "product" if "/remotewarehouse/" in path else "order"
        reference = query.get("thirdPartyReference", [""])[0]
        action = query.get("action", [""])[0]
        counts.notifications[(entity, reference, action)] += 1
        return _reply(200, b"<message>Result 'update' for %s %s</message>"
                      % (entity.encode(), reference.encode()))
    counts.errors.append("unexpected %s %s" % (method.decode(), target.decode()))
    return _reply(404, b"<html><body>HTTP ERROR 404</body></html>", b"Not Found")


def _worker(sock, auth, channel, organisation, results):
    counts = _Counts()
    handle = lambda head, body: _handle(counts, auth, channel, organisation, head, body)  # noqa
    serve_until_sigterm(sock, handle, limit=1 << 20)
    results.put((dict(counts.imports), dict(counts.notifications), counts.requests,
                 counts.errors))


class OrderFlowSink:
    def __init__(self, workers=2, username="of-user", password="of-pass", channel="WEB",
                 organisation="ACME", context="/web/"):
        self.auth = b"Basic " + base64.b64encode(("%s:%s" % (username, password)).encode())
        self.channel, self.organisation, self.context = channel, organisation, context
        self.processes = WorkerProcesses(workers)

    @property
    def port(self):
        return self.processes.port

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d%s" % (self.port, self.context)

    def start(self):
        self.processes.start(_worker, self.auth, self.channel, self.organisation)
        return self

    def stop(self):
        """Stops the workers; returns (imports, notifications, requests, errors), merged."""
        imports, notifications = collections.Counter(), collections.Counter()
        requests, errors = 0, []
        for i, n, r, e in self.processes.stop(timeout=30):
            imports.update(i)
            notifications.update(n)
            requests += r
            errors += e
        return imports, notifications, requests, errors
