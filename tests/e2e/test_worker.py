"""End-to-end: the inventory worker inside `ofbridge serve` applies stock within moments of the
ack, never stale and never twice, with one or several workers, and across a kill -9."""

import os
import random
import sqlite3
import threading
import time
import unittest

from broker import Broker, m1_inventory, xml_text
from inventory_history import expected_stock, group_into_messages, make_history, rest_body

SUPERSEDED = "Product quantity update to %d discarded as already superseded by inventory record %d"


def wait_until(predicate, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def drained(broker, entity="inventory"):
    rows = broker.cli_json("requests", "list", "--entity", entity, "--limit", "0")["requests"]
    return bool(rows) and all(r["state"] == "done" for r in rows)


def drained_all(broker):
    """Every inventory and shipment request is done (exports wait for their own worker)."""
    rows = broker.cli_json("requests", "list", "--limit", "0")["requests"]
    return all(r["state"] == "done" for r in rows
               if r["entity"] in ("inventory", "shipment"))


def send_all(broker, messages, threads=8):
    """Posts every (messageSeqId, lines) as REST JSON from several threads; returns replies."""
    replies, lock = [], threading.Lock()
    chunks = [messages[i::threads] for i in range(threads)]

    def run(chunk):
        for message_seq_id, lines in chunk:
            status, reply = broker.rest("/rest/default/V1/orderflow/inventory",
                                        rest_body(message_seq_id, lines))
            with lock:
                replies.append((status, reply))

    workers = [threading.Thread(target=run, args=(c,)) for c in chunks]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return replies


def applied_history(data_dir):
    """(sku, source) -> the seqs of its Success lines in commit order, read from the store."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(data_dir, "ofbridge.db"), uri=True)
    try:
        rows = db.execute(
            "SELECT l.reference, l.source, l.sequence_id FROM import_lines l "
            "JOIN import_reports r ON r.id = l.report_id "
            "WHERE l.result = 'Success' ORDER BY r.id, l.line_no").fetchall()
    finally:
        db.close()
    history = {}
    for sku, source, seq in rows:
        history.setdefault((sku, source), []).append(seq)
    return history


class WorkerStoryTest(unittest.TestCase):
    """The DESIGN §3.1 story through the real binary and CLI."""

    def test_superseded_duplicate_and_within_message_order(self):
        with Broker() as broker:
            session = broker.login()

            def send(message_seq_id, lines):
                status, _, reply = broker.soap(m1_inventory(session, message_seq_id, lines))
                self.assertEqual(status, 200, reply)
                wait_until(lambda: drained(broker), what="message %d applied" % message_seq_id)

            def report_of(message_seq_id):
                reports = [r for r in broker.cli_json("imports", "list", "--limit", "0")["imports"]
                           if r["message_key"] == str(message_seq_id)]
                self.assertEqual(len(reports), 1, reports)
                return broker.cli_json("imports", "show", str(reports[0]["id"]))

            send(1, [("A", 50, 10)])
            line = report_of(1)["lines"][0]
            self.assertEqual((line["result"], line["message"]),
                             ("Success", "Product quantity updated to 50."))
            self.assertEqual((line["units_received"], line["final_qty"]), (50, 50))

            send(2, [("A", 30, 8)])
            line = report_of(2)["lines"][0]
            self.assertEqual((line["result"], line["message"]), ("Superseded", SUPERSEDED % (30, 10)))

            send(3, [("A", 50, 10)])
            line = report_of(3)["lines"][0]
            self.assertEqual((line["result"], line["message"]),
                             ("Duplicate", "Duplicate Inventory Request Ignored."))

            send(4, [("A", 120, 12), ("A", 110, 11)])
            report = report_of(4)
            self.assertEqual([(l["sequence_id"], l["result"]) for l in report["lines"]],
                             [(12, "Success"), (11, "Superseded")])
            self.assertEqual(report["lines"][1]["message"], SUPERSEDED % (110, 12))
            self.assertEqual((report["successes"], report["superseded"]), (1, 1))

            stock = broker.cli_json("stock", "get", "A")["stock"]
            self.assertEqual([(s["source"], s["qty"], s["last_seq"], s["is_in_stock"]) for s in stock],
                             [("default", 120, 12, True)])
            table = broker.cli("stock", "get", "A").stdout.decode()
            self.assertIn("120", table)
            self.assertEqual(len(broker.cli_json("imports", "list", "--result", "Superseded")["imports"]), 2)

            # Reprocessing an applied request yields Duplicate lines and changes nothing.
            first = [r for r in broker.cli_json("requests", "list", "--limit", "0")["requests"]
                     if r["message_key"] == "4"][0]
            result = broker.cli_json("requests", "reprocess", str(first["id"]))
            self.assertEqual(result["state"], "done")
            self.assertEqual([l["result"] for l in result["report"]["lines"]],
                             ["Duplicate", "Superseded"])
            self.assertEqual(broker.cli_json("stock", "get", "A")["stock"][0]["qty"], 120)
            missing = broker.cli("stock", "get", "NOPE", check=False)
            self.assertNotEqual(missing.returncode, 0)


class PrunedBodyTest(unittest.TestCase):
    """An inventory request stores no line rows: its lines come from its body. Once log retention
    removed a done request's body (here by hand, as its pass does), `requests show` lists the
    lines of its import report with a note, and a reprocess is refused, changing nothing."""

    def test_show_and_reprocess_without_a_body(self):
        with Broker() as broker:
            session = broker.login()
            status, _, reply = broker.soap(m1_inventory(session, 7, [("P", 5, 3), ("Q", 6, 4)]))
            self.assertEqual(status, 200, reply)
            wait_until(lambda: drained(broker), what="message applied")
            request_id = str(broker.cli_json("requests", "list", "--limit", "1")["requests"][0]["id"])
            before = broker.cli_json("requests", "show", request_id)
            self.assertEqual([(l["sku"], l["qty"], l["seq"]) for l in before["lines"]],
                             [("P", 5, 3), ("Q", 6, 4)])
            self.assertNotIn("note:", broker.cli("requests", "show", request_id).stdout.decode())
            db = sqlite3.connect(os.path.join(broker.data_dir, "ofbridge.db"), timeout=10)
            with db:
                db.execute("DELETE FROM request_bodies WHERE request_id = ?", (int(request_id),))
            db.close()

            after = broker.cli_json("requests", "show", request_id)
            self.assertEqual(after["raw_body"], "")
            self.assertEqual([(l["line"], l["sku"], l["source"], l["qty"], l["seq"])
                              for l in after["lines"]],
                             [(1, "P", "default", 5, 3), (2, "Q", "default", 6, 4)])
            text = broker.cli("requests", "show", request_id).stdout.decode()
            self.assertIn("note: the raw body was removed by log retention; lines from import"
                          " report", text)

            refused = broker.cli("requests", "reprocess", request_id, check=False)
            self.assertNotEqual(refused.returncode, 0)
            self.assertIn("log retention", refused.stderr.decode())
            again = broker.cli_json("requests", "show", request_id)
            self.assertEqual((again["state"], again["attempts"]), ("done", before["attempts"]))
            self.assertEqual(len(broker.cli_json("imports", "list", "--limit", "0")["imports"]), 1)


class RandomizedWorkerTest(unittest.TestCase):
    """Thousands of shuffled, partly re-delivered messages over many SKUs and two sources."""

    def run_history(self, workers, seed):
        rng = random.Random(seed)
        records = make_history(rng, skus=60)
        messages = group_into_messages(rng, records)
        broker = Broker(log_level="warn")
        with open(broker.config_path, "a") as f:
            f.write("\n[worker]\nworkers = %d\nbatch_size = 50\n" % workers)
        try:
            broker.start()
            replies = send_all(broker, messages)
            self.assertTrue(all(status == 200 for status, _ in replies), replies[:3])
            wait_until(lambda: drained(broker), timeout=120, what="queue drained")
            stock = {(s["sku"], s["source"]): s["qty"]
                     for s in broker.cli_json("stock", "list")["stock"]}
            self.assertEqual(stock, expected_stock(records))
            for key, seqs in applied_history(broker.data_dir).items():
                self.assertEqual(len(seqs), len(set(seqs)), "seq applied twice for %s" % (key,))
                self.assertEqual(seqs, sorted(seqs), "stale seq applied for %s" % (key,))
            print("%d workers: %d messages (%d records) applied, stock matches the oracle"
                  % (workers, len(messages), len(records)))
        finally:
            broker.stop()
            broker.cleanup()

    def test_one_worker(self):
        self.run_history(1, seed=1)

    def test_four_workers(self):
        self.run_history(4, seed=2)


class WorkerCrashTest(unittest.TestCase):
    """kill -9 while the workers drain; after restart everything is applied exactly once and no
    request stays claimed past its lease."""

    def test_kill_9_while_draining(self):
        rng = random.Random(3)
        broker = Broker(log_level="warn")
        with open(broker.config_path, "a") as f:
            f.write("\n[worker]\nworkers = 2\nbatch_size = 20\nlease_seconds = 2\n")
        all_records = []
        try:
            broker.start()
            for round_no in range(3):
                records = make_history(rng, skus=50, records_per_key=(3, 8))
                for r in records:
                    r["seq"] += round_no * 100_000  # later rounds supersede earlier ones
                all_records += records
                messages = group_into_messages(rng, records, max_lines=20,
                                               first_message_seq_id=round_no * 100_000 + 1)
                replies = send_all(broker, messages)
                self.assertTrue(all(status == 200 for status, _ in replies))
                time.sleep(rng.uniform(0.0, 0.2))
                broker.kill()
                broker.start()
            wait_until(lambda: drained(broker), timeout=120, what="queue drained after restarts")
            rows = broker.cli_json("requests", "list", "--limit", "0")["requests"]
            self.assertFalse([r for r in rows if r["state"] != "done"])
            stock = {(s["sku"], s["source"]): s["qty"]
                     for s in broker.cli_json("stock", "list")["stock"]}
            self.assertEqual(stock, expected_stock(all_records))
            for key, seqs in applied_history(broker.data_dir).items():
                self.assertEqual(len(seqs), len(set(seqs)), "seq applied twice for %s" % (key,))
        finally:
            if broker.process and broker.process.poll() is None:
                broker.stop()
            broker.cleanup()


class SlicedApplyCrashTest(unittest.TestCase):
    """A 10,000-line message is applied in slices ([storage] slice_rows), each committed with
    the request's progress. kill -9 between two slices, then a restart: the run resumes after
    the last committed slice and ends with the same report and stock as a broker that was never
    killed, nothing applied twice."""

    SLICE_CONFIG = "\n[storage]\nslice_rows = 100\n"

    def messages(self):
        rng = random.Random(11)
        earlier = [{"sku": "S-%04d" % k, "source": "default" if k % 2 else "eu", "qty": 7,
                    "seq": 50} for k in range(0, 4200, 3)]
        big = []
        for k in range(4200):  # about 10,500 lines over 4,200 keys, the first 10,000 sent
            for _ in range(rng.choice((1, 2, 3, 4))):
                big.append({"sku": "S-%04d" % k, "source": "default" if k % 2 else "eu",
                            "qty": rng.randrange(0, 90), "seq": rng.randrange(40, 60)})
        rng.shuffle(big)
        return [(1, earlier), (2, big[:10000])]

    @staticmethod
    def db(broker):
        return sqlite3.connect("file:%s?mode=ro" % os.path.join(broker.data_dir, "ofbridge.db"),
                               uri=True, timeout=10)

    def outcome(self, broker):
        """The big message's report lines and every key's stock, as read from the store."""
        db = self.db(broker)
        try:
            reports = db.execute("SELECT count(*) FROM import_reports WHERE request_id = 2"
                                 ).fetchone()[0]
            lines = db.execute(
                "SELECT l.line_no, l.reference, l.source, l.sequence_id, l.result, l.message,"
                " l.final_qty FROM import_lines l JOIN import_reports r ON r.id = l.report_id"
                " WHERE r.request_id = 2 ORDER BY l.line_no").fetchall()
            stock = db.execute("SELECT sku, source, high_water_seq, qty FROM stock_marks"
                               " ORDER BY sku, source").fetchall()
        finally:
            db.close()
        return reports, lines, stock

    def send(self, broker, messages):
        for message_seq_id, lines in messages:
            status, _ = broker.rest("/rest/default/V1/orderflow/inventory",
                                    rest_body(message_seq_id, lines))
            self.assertEqual(status, 200)

    def test_kill_9_between_slices_resumes_with_the_same_result(self):
        messages = self.messages()
        reference = Broker(log_level="warn")
        killed = Broker(log_level="warn")
        try:
            for broker in (reference, killed):
                with open(broker.config_path, "a") as f:
                    f.write(self.SLICE_CONFIG + "\n[worker]\nlease_seconds = 2\n")
            reference.start()
            self.send(reference, messages)
            wait_until(lambda: drained(reference), timeout=120, what="reference applied")
            expected = self.outcome(reference)
            self.assertEqual(expected[0], 1)
            self.assertEqual(len(expected[1]), 10000)

            killed.start()
            self.send(killed, messages[:1])
            wait_until(lambda: drained(killed), timeout=60, what="earlier marks applied")
            self.send(killed, messages[1:])
            # Catch the run between two slices: processing, some lines applied, not all.
            progress = None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                db = self.db(killed)
                try:
                    row = db.execute("SELECT state, applied_lines FROM requests WHERE id = 2"
                                     ).fetchone()
                finally:
                    db.close()
                if row and row[0] == "processing" and 0 < row[1] < 5000:
                    killed.kill()
                    progress = row[1]
                    break
                if row and row[0] == "done":
                    break
                time.sleep(0.002)
            self.assertIsNotNone(progress, "the apply was not seen between two slices")
            db = self.db(killed)
            try:
                state, kept = db.execute("SELECT state, applied_lines FROM requests WHERE id = 2"
                                         ).fetchone()
                reported = db.execute("SELECT count(*) FROM import_lines l JOIN import_reports r"
                                      " ON r.id = l.report_id WHERE r.request_id = 2").fetchone()[0]
            finally:
                db.close()
            self.assertEqual(state, "processing")
            self.assertGreaterEqual(kept, progress)
            self.assertLess(kept, 10000)
            self.assertEqual(reported, kept)  # the report holds exactly the committed slices
            shown = killed.cli_json("requests", "show", "2")
            self.assertEqual((shown["state"], shown["applied_lines"]), ("processing", kept))
            self.assertIn("%d of 10000" % kept,
                          killed.cli("requests", "show", "2").stdout.decode())

            killed.start()
            wait_until(lambda: drained(killed), timeout=120, what="the run resumed and finished")
            self.assertEqual(self.outcome(killed), expected)
            shown = killed.cli_json("requests", "show", "2")
            self.assertEqual((shown["state"], shown["applied_lines"], shown["last_error"]),
                             ("done", 0, ""))
        finally:
            for broker in (reference, killed):
                if broker.process and broker.process.poll() is None:
                    broker.stop()
                broker.cleanup()


if __name__ == "__main__":
    unittest.main()
