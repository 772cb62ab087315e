"""Crash test (DESIGN §4.1): load the broker with unique messages, kill -9 it at a random moment,
restart it on the same data directory, and check that every message that got a success reply is
stored with all its lines. Repeated several times on the same store. Allowed: stored but not
acked (the client would retry and get a re-delivery reply). Forbidden: acked but not stored."""

import glob
import http.client
import os
import random
import sqlite3
import subprocess
import threading
import time
import unittest

from broker import Broker, m1_inventory, xml_text

ROUNDS = int(os.environ.get("OFBRIDGE_CRASH_ROUNDS", "5"))
CLIENTS = 8
LINES = 3


def load(broker, session, client_id, round_no, acked, stop):
    """Sends unique messages until the connection breaks; records every acked messageSeqId."""
    conn = broker.connection(timeout=5)
    n = 0
    while not stop.is_set():
        n += 1
        message_seq_id = round_no * 10_000_000 + client_id * 100_000 + n
        lines = [("CRASH-%d-%d" % (client_id, j), n, n) for j in range(LINES)]
        try:
            conn.request("POST", "/api/v2_soap/", body=m1_inventory(session, message_seq_id, lines),
                         headers={"Content-Type": "text/xml"})
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            return
        if response.status == 200 and xml_text(body, "result") == (
                "Success - Message %d Received" % message_seq_id):
            acked.append(message_seq_id)


class CrashTest(unittest.TestCase):
    def test_acked_messages_survive_kill_9(self):
        rng = random.Random(os.environ.get("OFBRIDGE_CRASH_SEED"))
        broker = Broker(log_level="warn")
        all_acked = []
        try:
            broker.start()
            session = broker.login()
            for round_no in range(1, ROUNDS + 1):
                if round_no > 1:
                    broker.start()
                acked, stop = [], threading.Event()
                threads = [threading.Thread(target=load, args=(broker, session, c, round_no, acked, stop))
                           for c in range(CLIENTS)]
                for t in threads:
                    t.start()
                time.sleep(rng.uniform(0.3, 2.0))
                broker.kill()
                stop.set()
                for t in threads:
                    t.join()
                all_acked += acked
                print("round %d: %d acked before kill -9" % (round_no, len(acked)))
                self.assertGreater(len(acked), 0, "no load reached the broker")

                broker.start()  # the session must have survived too: used again next round
                rows = broker.cli_json("requests", "list", "--entity", "inventory",
                                       "--limit", "0")["requests"]
                stored = {int(r["message_key"]): r["lines"] for r in rows}
                missing = [m for m in all_acked if m not in stored]
                short = [m for m in all_acked if m in stored and stored[m] != LINES]
                self.assertEqual(missing, [], "acked but not stored")
                self.assertEqual(short, [], "stored without all lines")
                print("round %d: %d stored, %d acked in total, 0 missing"
                      % (round_no, len(stored), len(all_acked)))
                broker.stop()
                db = sqlite3.connect(os.path.join(broker.data_dir, "ofbridge.db"))
                self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
                db.close()
        finally:
            if broker.process and broker.process.poll() is None:
                broker.kill()
            broker.cleanup()


def thread_id(pid, name):
    for comm in glob.glob("/proc/%d/task/*/comm" % pid):
        with open(comm) as f:
            if f.read().strip() == name:
                return int(comm.split("/")[4])
    raise AssertionError("no thread named %s in process %d" % (name, pid))


def wait_until_traced(pid, tid, tracer, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
            if any(l.startswith("TracerPid:") and l.split()[1] != "0" for l in f):
                return
        if tracer.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError("strace did not attach: %s" % tracer.stderr.read().decode())


class FailedFsyncTest(unittest.TestCase):
    """An fdatasync of the WAL that fails (injected with strace into the broker's WAL sync thread
    only) must not be followed by a success reply; the broker stops with exit code 1 so it is
    restarted, and after the restart it acknowledges again."""

    def test_failed_wal_fsync_acks_nothing_and_exits_1(self):
        broker = Broker(log_level="warn")
        try:
            broker.start()
            session = broker.login()
            status, _, body = broker.soap(m1_inventory(session, 1, [("FSYNC-A", 5, 1)]))
            self.assertEqual(xml_text(body, "result"), "Success - Message 1 Received")

            trace_log = os.path.join(broker.workdir, "strace.log")
            syncer = thread_id(broker.process.pid, "ofb-walsync")
            tracer = subprocess.Popen(
                ["strace", "-qq", "-o", trace_log, "-e", "trace=fdatasync",
                 "-e", "inject=fdatasync:error=EIO", "-p", str(syncer)],
                stderr=subprocess.PIPE)
            try:
                wait_until_traced(broker.process.pid, syncer, tracer)
                status, _, body = broker.soap(m1_inventory(session, 2, [("FSYNC-A", 7, 2)]))
                self.assertEqual(status, 503, body)
                self.assertEqual(xml_text(body, "faultstring"),
                                 "The request could not be stored. Please retry.")
                broker.process.wait(timeout=10)
                self.assertEqual(broker.stop(), 1, broker.logs())
            finally:
                tracer.kill()
                tracer.wait()
            self.assertIn("fdatasync", broker.logs())
            self.assertIn("INJECTED", open(trace_log).read())

            broker.start()
            status, _, body = broker.soap(m1_inventory(session, 3, [("FSYNC-A", 9, 3)]))
            self.assertEqual(xml_text(body, "result"), "Success - Message 3 Received")
        finally:
            if broker.process and broker.process.poll() is None:
                broker.kill()
            broker.cleanup()


if __name__ == "__main__":
    unittest.main()
