"""The admin console in a real headless Chromium (Debian's chromium, chromium-driver and
python3-selenium): log in, open every page, filter and paginate the grids, open details,
reprocess a dead request, log out. Hostile SKUs (markup, a closing </pre> with a script, sent
escaped and as CDATA) must show as text and run nothing. Forged POSTs (no CSRF token, a foreign
Origin) change nothing. A screenshot of each page goes to OFBRIDGE_TEST_OUTPUT (under the build
tree)."""

import http.client
import json
import os
import re
import sqlite3
import tempfile
import subprocess
import time
import unittest
import urllib.parse

from admin_http import console_address, scrape
from broker import BINARY, Broker, m1_inventory
from test_worker import wait_until

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

MARKER = "XSS-MARKER"
# SKUs as the WMS may send them: markup escaped in the XML, and a CDATA section closing the <pre>
# the raw message is shown in. Each would log MARKER if a browser ran it.
HOSTILE_ESCAPED = "<img src=x onerror=console.log('%s')>" % MARKER
HOSTILE_CDATA = "</pre><script>console.log('%s')</script>" % MARKER
PASSWORD = "correct horse battery"
# Screenshots: CTest names a directory under the build tree; run by hand, a temporary one (never
# the source tree).
OUTPUT = os.environ.get("OFBRIDGE_TEST_OUTPUT") or tempfile.mkdtemp(prefix="ofbridge-console-")


def xml_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def hostile_message(session, message_seq_id):
    body = m1_inventory(session, message_seq_id, [("SAFE-1", 5, 900)])
    # The first line's SKU escaped, a second line whose SKU is a CDATA section.
    body = body.replace("<key xsi:type=\"xsd:string\">SAFE-1</key>",
                        "<key xsi:type=\"xsd:string\">%s</key>" % xml_escape(HOSTILE_ESCAPED))
    return body


def cdata_message(session, message_seq_id):
    body = m1_inventory(session, message_seq_id, [("SAFE-2", 7, 901)])
    return body.replace("<key xsi:type=\"xsd:string\">SAFE-2</key>",
                        "<key xsi:type=\"xsd:string\"><![CDATA[%s]]></key>" % HOSTILE_CDATA)


class ConsoleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.makedirs(OUTPUT, exist_ok=True)
        cls.broker = Broker(admin='listen = "127.0.0.1:0"\nquiet_minutes = 5')
        cls.starts = 0
        result = subprocess.run(
            [BINARY, "admin", "user", "add", "alice", "--config", cls.broker.config_path,
             "--data-dir", cls.broker.data_dir], input=(PASSWORD + "\n").encode(),
            capture_output=True, timeout=60)
        assert result.returncode == 0, result.stderr
        cls.start_broker()
        session = cls.broker.login()
        # 60 plain messages (more than one page of 50), then the hostile ones.
        for n in range(1, 61):
            status, _, body = cls.broker.soap(m1_inventory(session, 1000 + n, [("SKU-%d" % n, n, n)]))
            assert status == 200, body
        for body in (hostile_message(session, 2001), cdata_message(session, 2002)):
            status, _, reply = cls.broker.soap(body)
            assert status == 200, reply
        wait_until(lambda: not cls.broker.cli_json("requests", "list", "--state", "pending",
                                                   "--limit", "0")["requests"],
                   what="every request applied")
        # A dead letter: a request the workers gave up on (set as the worker would leave it).
        cls.broker.stop()
        cls.dead_id = 5
        with sqlite3.connect(os.path.join(cls.broker.data_dir, "ofbridge.db")) as db:
            db.execute("UPDATE requests SET state = 'dead', attempts = 5,"
                       " last_error = 'disk I/O error' WHERE id = ?", (cls.dead_id,))
            # Orders, shipments, export runs and Magento deliveries as the importer, the
            # shipment applier, the exporter and the delivery loop leave them: more than a page
            # of each, so every grid pages.
            def at(n):
                return "2026-11-01T10:%02d:00.000Z" % n if n < 60 else "2026-11-01T11:00:00.000Z"
            for n in range(1, 61):
                db.execute("INSERT INTO orders (increment_id, store_code, state, status,"
                           " created_at, updated_at, raw_json, imported_at)"
                           " VALUES (?, 'default', 'processing', ?, ?, ?, '{}', ?)",
                           ("ORD-%03d" % n, "holded" if n % 10 == 0 else "processing",
                            at(n), at(n), at(n)))
            for n in range(1, 61):
                db.execute("INSERT INTO shipments (order_id, source, created_at)"
                           " VALUES ((SELECT id FROM orders WHERE increment_id = ?),"
                           " 'default', ?)", ("ORD-%03d" % (1 + n % 3), at(n)))
                db.execute("INSERT INTO export_runs (store_code, entity, mode, operation, url,"
                           " http_status, successes, failures, started_at, finished_at)"
                           " VALUES ('default', 'order', 'push', 'insert',"
                           " 'http://wms.invalid/import', 200, 1, ?, ?, ?)",
                           (1 if n == 42 else 0, at(n), at(n)))
            db.execute("UPDATE export_items SET status = 'exported' WHERE entity = 'order'")
            db.execute("UPDATE export_items SET status = 'failed', last_error = 'refused'"
                       " WHERE reference = 'ORD-007'")
            db.execute("UPDATE orders SET export_status = 'failed' WHERE increment_id = 'ORD-007'")
            # Two stock keys of a magento2 store, as the worker stages them: one waiting after
            # two failed attempts, one Magento refused.
            for sku, state, attempts in (("MAG-1", "waiting", 2), ("MAG-2", "failed", 1)):
                outbox_id = db.execute(
                    "INSERT INTO magento_outbox (store_code, kind, state, attempts,"
                    " next_attempt_at, created_at, updated_at) VALUES ('default', 'stock', ?, ?,"
                    " '2020-01-01T10:00:00.000Z', '2020-01-01T09:00:00.000Z',"
                    " '2020-01-01T10:00:00.000Z')", (state, attempts)).lastrowid
                db.execute("INSERT INTO magento_stock (outbox_id, store_code, sku, source, seq, qty)"
                           " VALUES (?, 'default', ?, 'default', 1, 5)", (outbox_id, sku))
        cls.start_broker()

        options = Options()
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1000"):
            options.add_argument(argument)
        options.binary_location = "/usr/bin/chromium"
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        cls.browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        cls.browser.set_page_load_timeout(30)
        cls.console_log = []

    @classmethod
    def start_broker(cls):
        cls.broker.start()
        cls.admin = console_address(cls.broker, cls.starts)
        cls.starts += 1
        cls.origin = "http://" + cls.admin

    @classmethod
    def tearDownClass(cls):
        try:
            cls.browser.quit()
        finally:
            cls.broker.stop()
            cls.broker.cleanup()

    # -- helpers ------------------------------------------------------------------------
    def open(self, path, title=None):
        self.browser.get(self.origin + path)
        WebDriverWait(self.browser, 15).until(EC.presence_of_element_located((By.TAG_NAME, "h1")))
        if title:
            self.assertEqual(self.browser.find_element(By.TAG_NAME, "h1").text, title)
        self.collect_log()

    def collect_log(self):
        type(self).console_log += self.browser.get_log("browser")

    def screenshot(self, name):
        self.browser.save_screenshot(os.path.join(OUTPUT, name + ".png"))

    def login(self):
        self.open("/login", "Log in")
        self.browser.find_element(By.NAME, "user").send_keys("alice")
        self.browser.find_element(By.NAME, "password").send_keys(PASSWORD)
        self.browser.find_element(By.CSS_SELECTOR, "form.login button").click()
        WebDriverWait(self.browser, 15).until(EC.title_contains("Dashboard"))

    def cookie(self):
        return "ofbridge_session=" + self.browser.get_cookie("ofbridge_session")["value"]

    def csrf(self):
        self.open("/")
        return self.browser.find_element(By.CSS_SELECTOR,
                                         "form.logout input[name=csrf]").get_attribute("value")

    def post(self, path, body, headers):
        conn = http.client.HTTPConnection(*self.admin.rsplit(":", 1), timeout=10)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def get_json(self, path):
        conn = http.client.HTTPConnection(*self.admin.rsplit(":", 1), timeout=10)
        try:
            conn.request("GET", path, headers={"Cookie": self.cookie()})
            response = conn.getresponse()
            return response.status, json.loads(response.read())
        finally:
            conn.close()

    def reports_of(self, request_id):
        return [r for r in self.broker.cli_json("imports", "list", "--limit", "0")["imports"]
                if r["request_id"] == request_id]

    # -- the walk -----------------------------------------------------------------------
    def test_1_every_page_filters_pagination_details_and_logout(self):
        self.open("/requests")
        self.assertEqual(self.browser.find_element(By.TAG_NAME, "h1").text, "Log in")
        self.login()
        self.screenshot("dashboard")
        self.assertIn("Backlog", self.browser.page_source)
        self.assertTrue(self.browser.find_elements(By.CSS_SELECTOR, "svg.chart rect"))
        # Export queue counts, the failed export's alert, the Magento delivery state.
        queue = self.browser.find_element(By.ID, "export-queue").text
        self.assertIn("order 0 0 59 1 0", queue)
        alerts = self.browser.find_element(By.CSS_SELECTOR, "section.alerts").text
        self.assertIn("1 failed export(s)", alerts)
        self.assertIn("1 Magento delivery of store default refused", alerts)
        delivery = self.browser.find_element(By.ID, "magento-delivery").text
        self.assertIn("default 1 1", delivery)
        self.assertIn("days", delivery)  # due since 2020-01-01

        self.open("/requests", "Import requests")
        self.screenshot("requests")
        rows = self.browser.find_elements(By.CSS_SELECTOR, "#requests tr")
        self.assertEqual(len(rows), 51)  # header + one page
        self.browser.find_element(By.CSS_SELECTOR, "a.next").click()
        WebDriverWait(self.browser, 15).until(EC.url_contains("before="))
        older = self.browser.find_elements(By.CSS_SELECTOR, "#requests tr")
        self.assertEqual(len(older), 1 + 62 - 50)
        self.screenshot("requests-page-2")

        # Filters in the query string, chosen through the form.
        self.open("/requests")
        self.browser.find_element(By.CSS_SELECTOR, "select[name=state] option[value=dead]").click()
        self.browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
        WebDriverWait(self.browser, 15).until(EC.url_contains("state=dead"))
        ids = [r.text for r in self.browser.find_elements(By.CSS_SELECTOR, "#requests td:first-child")]
        self.assertEqual(ids, [str(self.dead_id)])
        self.open("/requests?message=1007")
        ids = [r.text for r in self.browser.find_elements(By.CSS_SELECTOR, "#requests td:first-child")]
        self.assertEqual(ids, ["7"])

        # The SKU filter (requests whose applied lines carry it), through the form, in the page,
        # the JSON API and the CLI alike.
        self.open("/requests")
        self.browser.find_element(By.NAME, "sku").send_keys("SKU-12")
        self.browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
        WebDriverWait(self.browser, 15).until(EC.url_contains("sku=SKU-12"))
        ids = [r.text for r in self.browser.find_elements(By.CSS_SELECTOR, "#requests td:first-child")]
        self.assertEqual(ids, ["12"])
        self.screenshot("requests-sku")
        status, document = self.get_json("/admin/api/requests?sku=SKU-12")
        self.assertEqual([r["id"] for r in document["requests"]], [12])
        self.assertEqual([r["id"] for r in self.broker.cli_json(
            "requests", "list", "--sku", "SKU-12")["requests"]], [12])
        self.open("/requests?sku=NO-SUCH-SKU")
        self.assertFalse(self.browser.find_elements(By.CSS_SELECTOR, "#requests td"))
        # Oldest first, chosen in the form; its keyset pages go on upwards.
        self.open("/requests")
        self.browser.find_element(By.CSS_SELECTOR, "select[name=sort] option[value=oldest]").click()
        self.browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
        WebDriverWait(self.browser, 15).until(EC.url_contains("sort=oldest"))
        ids = [int(r.text) for r in
               self.browser.find_elements(By.CSS_SELECTOR, "#requests td:first-child")]
        self.assertEqual(ids, list(range(1, 51)))
        self.browser.find_element(By.CSS_SELECTOR, "a.next").click()
        WebDriverWait(self.browser, 15).until(EC.url_contains("after=50"))
        ids = [int(r.text) for r in
               self.browser.find_elements(By.CSS_SELECTOR, "#requests td:first-child")]
        self.assertEqual(ids, list(range(51, 63)))
        self.assertFalse(self.browser.find_elements(By.CSS_SELECTOR, "a.next"))
        self.screenshot("requests-oldest-page-2")
        status, document = self.get_json("/admin/api/requests?sort=oldest&after=60")
        self.assertEqual([r["id"] for r in document["requests"]], [61, 62])
        self.assertEqual([r["id"] for r in self.broker.cli_json(
            "requests", "list", "--oldest-first", "--limit", "3")["requests"]], [1, 2, 3])

        self.open("/requests/7", "Request 7")
        self.assertIn("SKU-7", self.browser.find_element(By.ID, "lines").text)
        self.assertIn("orderflowInventoryMultiUpdate", self.browser.find_element(By.ID, "raw").text)
        self.assertNotIn("secret", self.browser.find_element(By.ID, "raw").text)
        self.screenshot("request")

        self.open("/imports", "Import reports")
        self.screenshot("imports")
        self.assertEqual(len(self.browser.find_elements(By.CSS_SELECTOR, "#imports tr")), 51)
        self.browser.find_element(By.CSS_SELECTOR, "a.next").click()
        WebDriverWait(self.browser, 15).until(EC.url_contains("before="))
        self.open("/imports?result=Failure")
        self.assertFalse(self.browser.find_elements(By.CSS_SELECTOR, "#imports td"))
        self.open("/imports?entity=inventory&result=Success")
        first = self.browser.find_element(By.CSS_SELECTOR, "#imports td a")
        first.click()
        WebDriverWait(self.browser, 15).until(EC.presence_of_element_located((By.ID, "import-lines")))
        self.assertIn("Success", self.browser.find_element(By.ID, "import-lines").text)
        self.screenshot("import")

        self.open("/stock?sku=SKU-12", "Stock")
        self.assertIn("SKU-12", self.browser.find_element(By.ID, "stock").text)
        self.screenshot("stock")
        # The history of one SKU and source, each line linked to its request.
        self.browser.find_element(By.LINK_TEXT, "default").click()
        WebDriverWait(self.browser, 15).until(EC.presence_of_element_located((By.ID, "history")))
        self.assertIn("Success", self.browser.find_element(By.ID, "history").text)
        self.browser.find_element(By.CSS_SELECTOR, "#history a[href='/requests/12']")
        self.screenshot("stock-history")

        # A date range: everything was received today, nothing before.
        today = time.strftime("%Y-%m-%d", time.gmtime())
        self.open("/requests?from=" + today)
        self.assertEqual(len(self.browser.find_elements(By.CSS_SELECTOR, "#requests tr")), 51)
        self.open("/requests?to=" + today)
        self.assertFalse(self.browser.find_elements(By.CSS_SELECTOR, "#requests td"))

        # Orders, shipments and exports: keyset pages and their filters, page and API alike.
        def first_cells(table):
            return [r.text for r in self.browser.find_elements(
                By.CSS_SELECTOR, "table#%s tr td:first-child" % table)]

        def column(table, name):
            headers = [h.text for h in self.browser.find_elements(
                By.CSS_SELECTOR, "table#%s th" % table)]
            index = headers.index(name) + 1
            return [c.text for c in self.browser.find_elements(
                By.CSS_SELECTOR, "table#%s tr td:nth-child(%d)" % (table, index))]

        self.open("/orders", "Orders")
        self.screenshot("orders")
        newest = column("orders", "increment_id")
        self.assertEqual(newest, ["ORD-%03d" % n for n in range(60, 10, -1)])
        self.browser.find_element(By.CSS_SELECTOR, "a.next").click()
        WebDriverWait(self.browser, 15).until(EC.url_contains("before=ORD-011"))
        self.assertEqual(column("orders", "increment_id"),
                         ["ORD-%03d" % n for n in range(10, 0, -1)])
        self.assertFalse(self.browser.find_elements(By.CSS_SELECTOR, "a.next"))
        self.open("/orders")
        self.browser.find_element(By.CSS_SELECTOR, "form.filters input[name=status]").send_keys(
            "holded")
        self.browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
        WebDriverWait(self.browser, 15).until(EC.url_contains("status=holded"))
        self.assertEqual(column("orders", "increment_id"),
                         ["ORD-%03d" % n for n in (60, 50, 40, 30, 20, 10)])
        self.open("/orders?export=failed")
        self.assertEqual(column("orders", "increment_id"), ["ORD-007"])
        status, document = self.get_json("/admin/api/orders?before=ORD-011")
        self.assertEqual([o["increment_id"] for o in document["orders"]],
                         ["ORD-%03d" % n for n in range(10, 0, -1)])

        self.open("/shipments", "Shipments")
        self.screenshot("shipments")
        self.assertEqual(len(first_cells("shipments")), 50)
        self.browser.find_element(By.CSS_SELECTOR, "a.next").click()
        WebDriverWait(self.browser, 15).until(EC.url_contains("before="))
        self.assertEqual(first_cells("shipments"), [str(n) for n in range(10, 0, -1)])
        self.open("/shipments?order=ORD-002")
        ids = [int(i) for i in first_cells("shipments")]
        self.assertEqual(ids, [n for n in range(60, 0, -1) if n % 3 == 1])
        status, document = self.get_json("/admin/api/shipments?order=ORD-002&before=20")
        self.assertEqual([s["id"] for s in document["shipments"]],
                         [n for n in range(19, 0, -1) if n % 3 == 1])

        self.open("/exports", "Exports")
        self.screenshot("exports")
        self.assertEqual(len(first_cells("rows")), 50)
        self.browser.find_element(By.CSS_SELECTOR, "a.next").click()
        WebDriverWait(self.browser, 15).until(EC.url_contains("before=11"))
        self.assertEqual(first_cells("rows"), [str(n) for n in range(10, 0, -1)])
        self.open("/exports?entity=order&result=Failure")
        self.assertEqual(first_cells("rows"), ["42"])
        self.browser.find_element(By.LINK_TEXT, "42").click()
        WebDriverWait(self.browser, 15).until(EC.url_contains("/exports/42"))
        status, document = self.get_json("/admin/api/exports?before=3")
        self.assertEqual([r["id"] for r in document], [2, 1])

        for path, name in (("/dead", "dead"), ("/audit", "audit"), ("/users", "users"),
                           ("/config", "config")):
            self.open(path)
            self.screenshot(name)
        self.open("/config", "Configuration")
        self.assertIn("api_key = \"***\"", self.browser.find_element(By.ID, "config").text)
        self.assertNotIn("secret-api-key", self.browser.page_source)

        # The JSON API answers the CLI's documents.
        status, document = self.get_json("/admin/api/requests/7")
        self.assertEqual(status, 200)
        self.assertEqual(document, self.broker.cli_json("requests", "show", "7"))
        status, document = self.get_json("/admin/api/requests?entity=inventory&state=dead")
        self.assertEqual([r["id"] for r in document["requests"]], [self.dead_id])

    def test_2_hostile_skus_are_text_and_run_nothing(self):
        self.login()
        for request_id in (61, 62):
            self.open("/requests/%d" % request_id)
            lines = self.browser.find_element(By.ID, "lines").text
            raw = self.browser.find_element(By.ID, "raw").text
            self.assertTrue(HOSTILE_ESCAPED in lines or HOSTILE_CDATA in lines, lines)
            self.assertTrue(MARKER in raw, raw)
            self.screenshot("hostile-request-%d" % request_id)
        self.open("/stock?sku=" + urllib.parse.quote(HOSTILE_CDATA, safe=""))
        self.assertIn(HOSTILE_CDATA, self.browser.find_element(By.ID, "stock").text)
        self.open("/imports")
        self.browser.find_element(By.CSS_SELECTOR, "#imports td a").click()
        WebDriverWait(self.browser, 15).until(EC.presence_of_element_located((By.ID, "import-lines")))
        self.assertIn(HOSTILE_CDATA, self.browser.find_element(By.ID, "import-lines").text)
        self.assertFalse(self.browser.find_elements(By.CSS_SELECTOR, "main script, main img"))
        self.collect_log()
        self.assertFalse([e for e in self.console_log if MARKER in e["message"]], self.console_log)
        # Nothing refused by the CSP either (that would mean markup got through as markup).
        self.assertFalse([e for e in self.console_log if e["level"] == "SEVERE" and
                          "favicon.ico" not in e["message"]], self.console_log)

    def test_3_forged_posts_change_nothing(self):
        self.login()
        token = self.csrf()
        path = "/requests/%d/reprocess" % self.dead_id
        before = len(self.reports_of(self.dead_id))
        form = "application/x-www-form-urlencoded"
        for headers, body in (
                ({"Cookie": self.cookie(), "Origin": self.origin}, ""),               # no token
                ({"Cookie": self.cookie(), "Origin": self.origin}, "csrf=" + "0" * 64),
                ({"Cookie": self.cookie(), "Origin": "http://evil.example"}, "csrf=" + token),
                ({"Cookie": self.cookie()}, "csrf=" + token),                         # no Origin
                ({"Origin": self.origin}, "csrf=" + token)):                           # no session
            headers["Content-Type"] = form
            status, _ = self.post(path, body, headers)
            self.assertIn(status, (303, 403), headers)
            if "Cookie" in headers:
                self.assertEqual(status, 403)
        self.assertEqual(len(self.reports_of(self.dead_id)), before)
        self.assertEqual(self.broker.cli_json("requests", "show", str(self.dead_id))["state"], "dead")
        # A wrong password is refused.
        status, _ = self.post("/login", "user=alice&password=wrong",
                              {"Origin": self.origin, "Content-Type": form})
        self.assertEqual(status, 401)

    def test_4_reprocess_a_dead_request_then_log_out(self):
        self.login()
        self.open("/dead", "Dead letters")
        self.browser.find_element(By.CSS_SELECTOR, "input.select-all").click()  # the script
        self.assertTrue(self.browser.find_element(
            By.CSS_SELECTOR, "input[name=id][value='%d']" % self.dead_id).is_selected())
        self.browser.find_element(By.ID, "reprocess-selected").click()
        WebDriverWait(self.browser, 30).until(
            EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.notice"), "Reprocessed 1"))
        self.screenshot("dead-reprocessed")
        self.assertEqual(self.broker.cli_json("requests", "show", str(self.dead_id))["state"], "done")
        reports = self.reports_of(self.dead_id)
        self.assertEqual(len(reports), 2)  # applied once before, now Duplicate lines
        self.assertEqual(reports[0]["duplicates"], 1)

        # The single-request action from the detail page, too.
        self.open("/requests/%d" % self.dead_id)
        self.browser.find_element(By.ID, "reprocess").click()
        WebDriverWait(self.browser, 30).until(
            EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.notice"), "Reprocessed"))
        self.assertEqual(len(self.reports_of(self.dead_id)), 3)

        self.open("/audit", "Audit log")
        audit = self.browser.find_element(By.ID, "audit").text
        self.assertIn("reprocess request %d" % self.dead_id, audit)
        self.assertIn("missing or wrong CSRF token", audit)
        self.screenshot("audit-after")

        self.browser.find_element(By.CSS_SELECTOR, "form.logout button").click()
        WebDriverWait(self.browser, 15).until(EC.title_contains("Log in"))
        self.open("/")
        self.assertEqual(self.browser.find_element(By.TAG_NAME, "h1").text, "Log in")

    def test_5_probes_and_metrics(self):
        conn = http.client.HTTPConnection(*self.admin.rsplit(":", 1), timeout=10)
        try:
            conn.request("GET", "/readyz")
            response = conn.getresponse()
            self.assertEqual((response.status, json.loads(response.read())), (200, {"status": "ready"}))
        finally:
            conn.close()
        samples = scrape(self.admin)
        stored = len(self.broker.cli_json("requests", "list", "--limit", "0")["requests"])
        states = {state: samples[("ofbridge_queue_requests", (("state", state),))]
                  for state in ("pending", "processing", "failed", "dead")}
        self.assertEqual(states["pending"] + states["processing"] + states["failed"], 0)
        self.assertEqual(states["dead"], 0)  # reprocessed in test_4
        self.assertGreater(samples[("ofbridge_writer_commits_total", ())], 0)
        self.assertIn(("ofbridge_wal_bytes", ()), samples)
        # This run of the broker (restarted after the requests were applied) applied only the
        # console's two reprocesses of test_4, counted as the workers' applies are; the dead
        # request's one line came out Duplicate both times.
        self.assertEqual(samples[("ofbridge_worker_requests_total", (("outcome", "done"),))], 2)
        self.assertEqual(samples[("ofbridge_worker_lines_total", (("result", "Duplicate"),))], 2)
        self.assertEqual(stored, 62)


if __name__ == "__main__":
    unittest.main()
