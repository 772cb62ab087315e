"""What the e2e tests of the admin listener share: its address, read from the broker's log (stdout
has only the WMS listener's line), and /metrics parsed by a real Prometheus text parser (Debian's
python3-prometheus-client)."""

import http.client
import re

from prometheus_client.parser import text_string_to_metric_families

from test_worker import wait_until


def console_address(broker, starts=0):
    """The admin listener's host:port of the broker's start number `starts` + 1 (the log of an
    earlier start in the same directory comes first)."""
    found = []
    wait_until(lambda: found.extend(re.findall(r"admin console on (\S+)", broker.logs()))
               or len(found) > starts, what="the console's address in the log")
    return found[-1]


def scrape(admin):
    """/metrics as {(name, sorted label pairs): value}."""
    conn = http.client.HTTPConnection(*admin.rsplit(":", 1), timeout=10)
    try:
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        assert response.status == 200, response.status
        text = response.read().decode()
    finally:
        conn.close()
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out
