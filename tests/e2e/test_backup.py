"""`ofbridge backup FILE` while the broker takes messages: the copy passes PRAGMA
integrity_check, holds every request acknowledged before the backup began, is mode 0600, and
an existing file is never overwritten."""

import json
import os
import sqlite3
import stat
import subprocess
import threading
import unittest

from broker import BINARY, Broker, m1_inventory


class BackupTest(unittest.TestCase):
    def test_backup_under_load_holds_every_acknowledged_request(self):
        with Broker() as broker:
            session = broker.login()
            acked = []
            stop = threading.Event()
            enough = threading.Event()
            failures = []

            def load():
                seq = 50_000
                conn = broker.connection()
                while not stop.is_set():
                    seq += 1
                    body = m1_inventory(session, seq, [("BK-%d" % (seq % 7), seq % 100, seq)])
                    conn.request("POST", "/api/v2_soap/", body=body.encode(),
                                 headers={"Content-Type": "text/xml; charset=utf-8"})
                    reply = conn.getresponse().read()
                    if b"Success - Message %d Received" % seq not in reply:
                        failures.append(reply)
                        return
                    acked.append(seq)
                    if len(acked) >= 30:
                        enough.set()
                conn.close()

            sender = threading.Thread(target=load)
            sender.start()
            try:
                self.assertTrue(enough.wait(60), failures)
                acked_before = list(acked)  # acknowledged before the backup began
                copy_dir = os.path.join(broker.workdir, "copy")
                os.mkdir(copy_dir)
                copy = os.path.join(copy_dir, "ofbridge.db")
                result = broker.cli("backup", copy)
                during = len(acked) - len(acked_before)
            finally:
                stop.set()
                sender.join()
            self.assertEqual(failures, [])
            self.assertIn(b"integrity ok", result.stdout)
            self.assertFalse(os.path.exists(copy + ".partial"))
            self.assertEqual(stat.S_IMODE(os.stat(copy).st_mode), 0o600)
            with sqlite3.connect("file:%s?mode=ro" % copy, uri=True) as db:
                self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
                self.assertEqual(db.execute("PRAGMA journal_mode").fetchone()[0], "delete")
            # The copy through the CLI's own reader: every acknowledged request is in it.
            listed = subprocess.run([BINARY, "requests", "list", "--entity", "inventory",
                                     "--limit", "0", "--json", "--data-dir", copy_dir],
                                    capture_output=True, timeout=30, check=True)
            rows = json.loads(listed.stdout)["requests"]
            stored = {int(r["message_key"]) for r in rows}
            self.assertEqual([s for s in acked_before if s not in stored], [])
            print("acked before the backup: %d, during it: %d, in the copy: %d"
                  % (len(acked_before), during, len(stored)))

            again = broker.cli("backup", copy, check=False)
            self.assertNotEqual(again.returncode, 0)
            self.assertIn(b"never overwrites", again.stderr)


if __name__ == "__main__":
    unittest.main()
