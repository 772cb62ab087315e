#!/usr/bin/python3
"""Admin console latency on a large store (issue 14: each grid's first page and a filtered page
in <= 50 ms server time on a store with 10M import lines, the dashboard <= 100 ms).

    tests/bench/console_bench.py BUILD_DIR [IMPORT_LINES] [LINES_PER_REQUEST]

Builds a store the way a long-running broker leaves it, directly in SQL for speed: requests of
LINES_PER_REQUEST inventory lines (default 100) each, one import report each and its import lines,
the keys' stock and marks, one request in 1,000 dead, received one second apart up to now; the
newest BODIES requests keep their bodies (real Magento-1 SOAP messages), the older ones' were
pruned by retention, as `retention.bodies_days` leaves a store; 100,000 orders (each in the export queue, exported) with one
shipment and one export exchange each. Then runs `serve` on it with the console, logs in and times each page
(the median of 9 loads over loopback, each a new connection: an upper bound of the server's
time). Prints one line per page. The store is made in a temporary directory and removed."""

import http.client
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

PASSWORD = "bench password"
# Orders, each with one shipment, and as many export exchanges (one in 100 with a failure).
ORDERS = 100_000
# Requests whose bodies retention has not pruned yet.
BODIES = 1_000

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from broker import m1_inventory  # noqa: E402


def sku(request_id, line_no):
    return "SKU-%d" % ((request_id * 7 + line_no) % 100000)


def build_store(binary, workdir, config, lines, per_request):
    data = os.path.join(workdir, "data")
    subprocess.run([binary, "admin", "user", "add", "bench", "--config", config, "--data-dir", data],
                   input=(PASSWORD + "\n").encode(), check=True, capture_output=True)
    requests = lines // per_request
    db = sqlite3.connect(os.path.join(data, "ofbridge.db"))
    db.executescript("PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL; PRAGMA cache_size=-262144;")
    start = time.time() - requests  # one request a second, the last one now
    t = "strftime('%Y-%m-%dT%H:%M:%fZ', {} + n, 'unixepoch')".format(int(start))
    began = time.monotonic()
    db.execute("BEGIN")
    db.execute("""
        WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
        INSERT INTO requests (id, entity, store_code, wire, message_key, body_sha256, reply, state,
                              line_count, deliveries, attempts, remote_address, received_at,
                              last_delivered_at)
        SELECT n, 'inventory', 'default', 'm1_soap', CAST(n AS TEXT), printf('%064d', n),
               'Success - Message ' || n || ' Received',
               CASE WHEN n % 1000 = 0 THEN 'dead' ELSE 'done' END, ?, 1, 1, '127.0.0.1',
               {t}, {t} FROM seq""".format(t=t), (requests, per_request))
    # Line k of request n: SKU sku(n, k), qty k, seq n. Receipt stores no line rows: the lines
    # are in the body (expanded by the worker and `requests show`) and in the import report.
    db.executemany(
        "INSERT INTO request_bodies (request_id, raw_body) VALUES (?, ?)",
        ((n, m1_inventory("***", n, [(sku(n, k), k, n) for k in range(1, per_request + 1)]))
         for n in range(max(1, requests - BODIES + 1), requests + 1)))
    db.execute("""
        INSERT INTO import_reports (id, request_id, entity, successes, created_at)
        SELECT id, id, 'inventory', line_count, received_at FROM requests WHERE state = 'done'""")
    # '' is the compact form of a result's standard message (the reader renders it).
    db.execute("""
        WITH RECURSIVE l(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM l WHERE k < ?)
        INSERT INTO import_lines (report_id, line_no, sequence_id, reference, source, result,
                                  message, units_received, unsent_orders_adjustment, final_qty)
        SELECT r.id, l.k, r.id, 'SKU-' || ((r.id * 7 + l.k) % 100000), 'default', 'Success',
               '', l.k, 0, l.k
        FROM import_reports r, l""", (per_request,))
    db.execute("""
        INSERT INTO stock_marks (sku, source, high_water_seq, qty, is_in_stock, updated_at)
        SELECT reference, source, max(sequence_id), max(final_qty), 1, '2026-01-01T00:00:00.000Z'
        FROM import_lines GROUP BY reference, source""")
    db.execute("""
        WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
        INSERT INTO orders (id, increment_id, store_code, state, status, created_at, updated_at,
                            raw_json, imported_at, export_status)
        SELECT n, printf('ORD-%06d', n), 'default', 'processing', 'processing', {t}, {t}, '{{}}',
               {t}, 'exported' FROM seq""".format(t=t), (ORDERS,))
    db.execute("""
        INSERT INTO shipments (id, order_id, source, created_at)
        SELECT id, id, 'default', created_at FROM orders""")
    db.execute("""
        INSERT INTO export_runs (id, store_code, entity, mode, operation, url, http_status,
                                 successes, failures, started_at, finished_at)
        SELECT id, 'default', 'order', 'push', 'insert', 'http://wms.invalid/import', 200,
               1, id % 100 = 0, created_at, created_at FROM orders""")
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    count = db.execute("SELECT count(*) FROM import_lines").fetchone()[0]
    db.close()
    print("store: %d requests, %d import lines, built in %.0f s"
          % (requests, count, time.monotonic() - began), flush=True)
    return data


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build-rel"
    lines = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
    per_request = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    binary = os.path.join(build, "src", "app", "ofbridge")
    workdir = tempfile.mkdtemp(prefix="ofbridge-console-bench-")
    config = os.path.join(workdir, "ofbridge.toml")
    with open(config, "w") as f:
        f.write('[server]\nlisten = "127.0.0.1:0"\n[worker]\nworkers = 0\n'
                '[admin]\nlisten = "127.0.0.1:0"\n'
                '[stores.default.wms]\nusername = "wms"\napi_key = "bench-key"\n')
    broker = None
    try:
        data = build_store(binary, workdir, config, lines, per_request)
        log_path = os.path.join(workdir, "broker.log")
        with open(log_path, "wb") as log:
            broker = subprocess.Popen([binary, "serve", "--config", config, "--data-dir", data],
                                      stdout=subprocess.PIPE, stderr=log)
        broker.stdout.readline()  # listening on ...: the console is up by then
        with open(log_path) as log:
            host, port = re.search(r"admin console on (\S+)", log.read()).group(1).rsplit(":", 1)

        def request(method, path, body=None, headers=None):
            conn = http.client.HTTPConnection(host, int(port), timeout=60)
            try:
                conn.request(method, path, body=body, headers=headers or {})
                response = conn.getresponse()
                return response.status, dict(response.getheaders()), response.read()
            finally:
                conn.close()

        _, headers, _ = request("POST", "/login", "user=bench&password=" + PASSWORD.replace(" ", "+"),
                                {"Origin": "http://%s:%s" % (host, port),
                                 "Content-Type": "application/x-www-form-urlencoded"})
        cookie = headers["Set-Cookie"].split(";")[0]
        requests = lines // per_request
        orders = ORDERS
        pages = [
            ("dashboard", "/"),
            ("requests, first page", "/requests"),
            ("requests, page deep in the history", "/requests?before=%d" % (requests // 2)),
            ("requests, state=dead", "/requests?state=dead"),
            ("requests, entity + state=done", "/requests?entity=inventory&state=done"),
            ("requests, messageSeqId", "/requests?message=%d" % (requests // 3)),
            ("requests, received in a date range", "/requests?from=%s&to=%s" % (
                time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() - requests // 2)),
                time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() - requests // 2 + 3600)))),
            ("requests, SKU", "/requests?sku=SKU-4242"),
            ("requests, SKU + state=done, oldest first", "/requests?sku=SKU-4242&state=done&sort=oldest"),
            ("requests, oldest first, deep page", "/requests?sort=oldest&after=%d" % (requests // 2)),
            ("request detail (100 lines from its body)", "/requests/%d" % (requests - 1)),
            ("request detail, body pruned (report lines)", "/requests/%d" % (requests // 2 + 1)),
            ("dead letters", "/dead"),
            ("import reports, first page", "/imports"),
            ("import reports, result=Success", "/imports?entity=inventory&result=Success"),
            ("import report detail", "/imports/%d" % (requests // 2 + 1)),
            ("stock of a SKU", "/stock?sku=SKU-4242"),
            ("stock history of a SKU and source", "/stock?sku=SKU-4242&source=default"),
            ("audit log", "/audit"),
            ("orders, first page", "/orders"),
            ("orders, a page further, export=exported", "/orders?export=exported&before=ORD-%06d" % (orders // 2)),
            ("shipments, first page", "/shipments"),
            ("shipments, a page further", "/shipments?before=%d" % (orders // 2)),
            ("exports, first page", "/exports"),
            ("exports, result=Failure", "/exports?entity=order&result=Failure"),
            ("exports, a page further", "/exports?before=%d" % (orders // 2)),
            ("API: requests, first page", "/admin/api/requests"),
            ("API: import reports, first page", "/admin/api/imports"),
        ]
        for name, path in pages:
            timings = []
            for _ in range(9):
                began = time.perf_counter()
                status, _, body = request("GET", path, headers={"Cookie": cookie})
                timings.append((time.perf_counter() - began) * 1000)
                assert status == 200, (path, status, body[:200])
            print("%-40s median %7.1f ms  max %7.1f ms" % (name, statistics.median(timings),
                                                           max(timings)), flush=True)
    finally:
        if broker:
            broker.terminate()
            broker.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
