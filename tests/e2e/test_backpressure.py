"""Backpressure (issue 11, README "Durability contract"): while the disk stalls, requests beyond
[server] max_pending_requests are refused at once and those not durable by request_deadline_ms
are answered, both with 503 and Retry-After (a SOAP Server fault, a JSON error on the REST
routes); the broker's memory stays flat however hard it is flooded; once the disk is back acks
resume and every acked message is stored. The stall is an fdatasync delayed by strace on the
broker's WAL sync thread only, as in test_crash.py."""

import http.client
import json
import os
import subprocess
import threading
import time
import unittest

from broker import Broker, m1_inventory, xml_text
from test_crash import thread_id, wait_until_traced

CLIENTS = 32
FLOOD_SECONDS = 5
STALL_US = 3_000_000  # each fdatasync of the WAL takes 3 s while traced


def vm_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def flood(broker, session, client_id, results, stop):
    """Sends unique messages until told to stop; records (status, Retry-After, seq, body)."""
    conn = None
    n = 0
    while not stop.is_set():
        n += 1
        seq = 50_000_000 + client_id * 100_000 + n
        try:
            if conn is None:
                conn = broker.connection(timeout=10)
            conn.request("POST", "/api/v2_soap/",
                         body=m1_inventory(session, seq, [("STALL-%d" % client_id, n, n)]),
                         headers={"Content-Type": "text/xml"})
            response = conn.getresponse()
            body = response.read()
            results.append((response.status, response.getheader("Retry-After"), seq, body))
        except (OSError, http.client.HTTPException):
            if conn is not None:
                conn.close()
            conn = None
    if conn is not None:
        conn.close()


class StalledDiskTest(unittest.TestCase):
    def test_a_stalled_disk_gives_503s_with_retry_after_and_flat_memory(self):
        saved_asan = os.environ.get("ASAN_OPTIONS")
        # Under AddressSanitizer freed memory sits in a quarantine (256 MiB by default), which
        # would read as growth; keep it small so VmRSS shows what the broker holds.
        os.environ["ASAN_OPTIONS"] = (saved_asan + ":" if saved_asan else "") + \
            "quarantine_size_mb=8"
        broker = Broker(log_level="warn", server_extra=(
            "max_pending_requests = 16\nrequest_deadline_ms = 1000\n"))
        tracer = None
        try:
            broker.start()
            session = broker.login()
            status, _, body = broker.soap(m1_inventory(session, 1, [("STALL-0", 1, 1)]))
            self.assertEqual(xml_text(body, "result"), "Success - Message 1 Received")

            # Warm up with the same flood on a healthy disk: the baseline is the memory the
            # broker needs for this load anyway (buffers, page cache of SQLite, threads).
            results, stop = [], threading.Event()
            threads = [threading.Thread(target=flood, args=(broker, session, 1000 + c, results,
                                                             stop)) for c in range(CLIENTS)]
            for t in threads:
                t.start()
            time.sleep(1.5)
            stop.set()
            for t in threads:
                t.join()
            baseline = vm_rss_kib(broker.process.pid)
            self.assertTrue(any(r[0] == 200 for r in results), "the warm-up acked nothing")
            acked = [r[2] for r in results if r[0] == 200]

            syncer = thread_id(broker.process.pid, "ofb-walsync")
            tracer = subprocess.Popen(
                ["strace", "-qq", "-o", os.devnull, "-e", "trace=fdatasync",
                 "-e", "inject=fdatasync:delay_enter=%d" % STALL_US, "-p", str(syncer)],
                stderr=subprocess.PIPE)
            wait_until_traced(broker.process.pid, syncer, tracer)

            results, stop = [], threading.Event()
            threads = [threading.Thread(target=flood, args=(broker, session, c, results, stop))
                       for c in range(CLIENTS)]
            for t in threads:
                t.start()
            peak = baseline
            rest_reply = None
            deadline = time.monotonic() + FLOOD_SECONDS
            while time.monotonic() < deadline:
                peak = max(peak, vm_rss_kib(broker.process.pid))
                if rest_reply is None or rest_reply[0] != 503:
                    rest_reply = broker.request(
                        "POST", "/rest/default/V1/orderflow/inventory",
                        json.dumps({"productQtys": [{"sku": "STALL-R", "qty": 1}],
                                    "productSeqs": [{"sku": "STALL-R", "seq": 1}],
                                    "messageSeqId": 7}).encode(),
                        {"Content-Type": "application/json",
                         "Authorization": "Bearer m2-integration-token"})
                time.sleep(0.1)
            stop.set()
            for t in threads:
                t.join()
            tracer.kill()
            tracer.wait()
            tracer.stderr.close()
            tracer = None

            busy = [r for r in results if r[0] == 503]
            print("stall: %d replies, %d acked, %d x 503, VmRSS %d -> peak %d KiB"
                  % (len(results), sum(r[0] == 200 for r in results), len(busy), baseline, peak))
            self.assertGreater(len(busy), 0, "no 503 while the disk stalled")
            for status, retry_after, _, body in busy:
                self.assertEqual(retry_after, "1")
                self.assertIn(b"faultstring", body)
                self.assertIn(xml_text(body, "faultstring"), (
                    "The broker is busy: too many requests wait to be stored. Please retry.",
                    "The request was not stored in time. Please retry."))
            self.assertTrue(all(r[0] in (200, 503) for r in results),
                            set(r[0] for r in results))
            # Refused at once, and answered at the deadline: both happened.
            faults = set(xml_text(r[3], "faultstring") for r in busy)
            self.assertEqual(len(faults), 2, faults)
            status, headers, body = rest_reply
            self.assertEqual(status, 503, body)
            self.assertEqual(headers.get("Retry-After"), "1")
            self.assertIn("message", json.loads(body))
            # Flat: the flood on a stalled disk holds no more than a few MiB beyond the same
            # flood on a healthy one.
            self.assertLess(peak - baseline, 24 * 1024, "VmRSS grew while the disk stalled")

            acked += [r[2] for r in results if r[0] == 200]
            # The disk is back: acks resume.
            status, _, body = broker.soap(m1_inventory(session, 2, [("STALL-0", 2, 2)]))
            self.assertEqual((status, xml_text(body, "result")),
                             (200, "Success - Message 2 Received"))
            rows = broker.cli_json("requests", "list", "--entity", "inventory",
                                   "--limit", "0")["requests"]
            stored = set(int(r["message_key"]) for r in rows)
            missing = [m for m in acked if m not in stored]
            self.assertEqual(missing, [], "acked but not stored")
            self.assertEqual(broker.stop(), 0, broker.logs())
            self.assertIn("backpressure:", broker.logs())
        finally:
            if tracer is not None:
                tracer.kill()
                tracer.wait()
                tracer.stderr.close()
            if saved_asan is None:
                os.environ.pop("ASAN_OPTIONS", None)
            else:
                os.environ["ASAN_OPTIONS"] = saved_asan
            if broker.process and broker.process.poll() is None:
                broker.kill()
            broker.cleanup()


if __name__ == "__main__":
    unittest.main()
