#!/usr/bin/python3
"""Retention on a large store: `ofbridge prune` against a store of N old done requests, each with
a raw body and a report of LINES import lines, plus one old dead request that must keep
everything. Prints the prune summary (rows, time, slices, the longest slice, i.e. the longest
the write lock was held) and the file size before and after.

    tests/bench/prune_bench.py BUILD_DIR [N_REQUESTS] [LINES]   # defaults 20000 100
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile


def main():
    build = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    lines = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    binary = os.path.join(build, "src/app/ofbridge")
    workdir = tempfile.mkdtemp(prefix="ofbridge-prune-bench-")
    try:
        data = os.path.join(workdir, "data")
        os.mkdir(data, 0o700)
        common = ["--data-dir", data]
        # Any writing command creates and migrates the store the way the broker does.
        subprocess.run([binary, "exports", "reset", "--entity", "product", *common], check=True,
                       capture_output=True)
        path = os.path.join(data, "ofbridge.db")
        old = "2000-01-01T00:00:00.000Z"
        body = "<xml>" + "x" * 3000 + "</xml>"
        with sqlite3.connect(path) as db:
            for i in range(1, n + 2):
                state = "dead" if i == n + 1 else "done"
                db.execute("INSERT INTO requests (id, entity, store_code, wire, message_key,"
                           " body_sha256, reply, state, line_count, received_at,"
                           " last_delivered_at) VALUES (?, 'inventory', 'default', 'm1_soap', ?,"
                           " ?, 'ok', ?, ?, ?, ?)", (i, str(i), str(i), state, lines, old, old))
                db.execute("INSERT INTO request_bodies VALUES (?, ?)", (i, body))
                cur = db.execute("INSERT INTO import_reports (request_id, entity, successes,"
                                 " created_at) VALUES (?, 'inventory', ?, ?)", (i, lines, old))
                report = cur.lastrowid
                db.executemany("INSERT INTO import_lines (report_id, line_no, sequence_id,"
                               " reference, source, result, message) VALUES"
                               " (?, ?, ?, ?, 'default', 'Success', '')",
                               [(report, l, i, "SKU-%d" % l) for l in range(1, lines + 1)])
        db.close()
        before = os.path.getsize(path)
        dry = subprocess.run([binary, "prune", "--dry-run", "--json", *common], check=True,
                             capture_output=True)
        run = subprocess.run([binary, "prune", "--json", *common], check=True, stdout=subprocess.PIPE)
        after = os.path.getsize(path)
        print("dry run:", dry.stdout.decode().strip())
        print("prune:  ", run.stdout.decode().strip())
        summary = json.loads(run.stdout)
        assert summary["bodies"] == n and summary["import_reports"] == n, summary
        print("store: %.1f MiB before, %.1f MiB after" % (before / 2**20, after / 2**20))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
