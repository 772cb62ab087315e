"""How fast the magento2 target delivers stock, against a Magento sink on loopback:

    python3 tests/bench/magento_bench.py [BUILD_DIR] [LINES] [LATENCY_MS] [SINK_WORKERS]

(defaults build-rel, 10000, 0, 2). Magento's side is tests/bench/magento_sink.py: SINK_WORKERS
processes on one port that check each source item's fields, record it and count it, so the
broker, not the schema-validating fake (which judges the requests in tests/e2e), is measured.
For each chunk size (20 and 500; concurrency 2):

- Throughput: LINES stock lines over LINES/2 SKUs and 2 sources (every line its own key, so
  nothing coalesces: each line is one source item), 100 lines per message with shuffled sequence
  ids, are acknowledged and applied while Magento is unreachable (base_url on a closed port),
  so they wait in the outbox; the broker is stopped, pointed at the sink and started again.
  Lines/s delivered = LINES / (the sink's last source-item write - broker start), and the same
  from the first write to the last (start-up left out). Broker CPU per line = the broker
  process's user + system time from its start to the last write (start-up included) / LINES.
  Checked: the sink holds exactly the oracle's quantities and statuses, every item counted,
  no error.
- Latency: receipt -> delivered, with the broker connected: 100-line messages at about 20 per
  second (2,000 lines/s); for each line, the sink's write time of its (SKU, source) minus the
  time its message was acknowledged. p50/p99 printed; the target is p99 <= 200 ms plus the
  sink's configured latency.

With MAGENTO_BENCH_PERF=PATH set, `perf record -g` follows the broker from its start to the last
write of each throughput run (PATH.chunk20, PATH.chunk500).

Everything is on 127.0.0.1; the broker uses its defaults apart from the magento2 store."""

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-rel")
LINES = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
LATENCY_MS = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
SINK_WORKERS = int(sys.argv[4]) if len(sys.argv) > 4 else 2
PERF = os.environ.get("MAGENTO_BENCH_PERF")  # a path: perf record -g the broker while it delivers
os.environ.setdefault("OFBRIDGE_BIN", os.path.join(BUILD, "src", "app", "ofbridge"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, HERE)

from broker import Broker  # noqa: E402
from magento_sink import MagentoSink  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def sink():
    return MagentoSink(workers=SINK_WORKERS, latency=LATENCY_MS / 1000.0).start()


def store(base_url, chunk):
    return ("[stores.default]\ntarget = \"magento2\"\n[stores.default.magento]\n"
            "base_url = \"%s\"\ntoken = \"bench-token\"\n"
            "source_items_chunk = %d\nconcurrency = 2\ntimeout_ms = 2000\n"
            "retry_base_ms = 10\nretry_max_ms = 50\n" % (base_url, chunk))


def history(lines, rng):
    records = [{"sku": "SKU-%06d" % (i // 2), "source": ("default", "wh-2")[i % 2],
                "seq": rng.randint(1, 1_000_000), "qty": rng.randint(0, 500)}
               for i in range(lines)]
    rng.shuffle(records)
    return [(1 + i // 100, records[i:i + 100]) for i in range(0, len(records), 100)]


def body(message_seq_id, lines):
    return {"productQtys": [{"sku": l["sku"], "qty": l["qty"], "source": l["source"]}
                            for l in lines],
            "productSeqs": [{"sku": l["sku"], "seq": l["seq"]} for l in lines],
            "messageSeqId": message_seq_id}


def send(broker, messages, pace=None, acked=None):
    conn = broker.connection(timeout=30)
    headers = {"Content-Type": "application/json",
               "Authorization": "Bearer m2-integration-token"}
    for message_seq_id, lines in messages:
        started = time.time()
        conn.request("POST", "/rest/default/V1/orderflow/inventory",
                     json.dumps(body(message_seq_id, lines)), headers)
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise RuntimeError("not acknowledged: %d" % r.status)
        if acked is not None:
            now = time.time()
            for l in lines:
                acked[(l["sku"], l["source"])] = now
        if pace:
            time.sleep(max(0.0, pace - (time.time() - started)))
    conn.close()


def wait_for(predicate, timeout=600, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise RuntimeError("timed out")


def applied(broker):
    rows = broker.cli_json("requests", "list", "--limit", "0")["requests"]
    return all(r["state"] == "done" for r in rows)


def throughput(chunk):
    magento = sink()
    workdir = tempfile.mkdtemp(prefix="ofbridge-magento-bench-")
    try:
        messages = history(LINES, random.Random(chunk))
        with Broker(workdir=workdir, stores_extra=store("http://127.0.0.1:1/", chunk),
                    log_level="warn") as broker:
            send(broker, messages)
            wait_for(lambda: applied(broker))
        broker = Broker(workdir=workdir, stores_extra=store(magento.base_url, chunk),
                        log_level="warn")
        started = time.time()
        broker.start()
        perf = None
        if PERF:  # the delivery path's profile: perf report -i PERF.chunk<N> --no-children
            perf = subprocess.Popen(["perf", "record", "-g", "-F", "2000", "-p",
                                     str(broker.process.pid), "-o", "%s.chunk%d" % (PERF, chunk)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: magento.saved >= LINES, step=0.01)
        cpu = cpu_seconds(broker.process.pid)
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        broker.stop()
    finally:
        items, calls, saved, errors = magento.stop()
        subprocess.run(["rm", "-rf", workdir])
    assert not errors, errors[:10]
    assert saved == LINES, "%d items for %d lines" % (saved, LINES)
    expected = {(l["sku"], l["source"]): (l["qty"], 1 if l["qty"] > 0 else 0)
                for _, ls in messages for l in ls}
    actual = {k: (v[0], v[1]) for k, v in items.items()}
    assert actual == expected, "Magento's quantities differ from the oracle"
    written = sorted(v[2] for v in items.values())
    first, last = written[0], written[-1]
    steady = (LINES - LINES // calls) / (last - first) if last > first else 0
    rate = LINES / (last - started)
    print("chunk %3d: %d lines delivered in %.3f s from the broker's start = %.0f lines/s; "
          "%.0f lines/s from the first write to the last (%d calls); broker CPU %.2f s = "
          "%.1f us per line" % (chunk, LINES, last - started, rate, steady, calls, cpu,
                                cpu * 1e6 / LINES), flush=True)
    return rate


def latency(chunk):
    magento = sink()
    try:
        messages = history(min(LINES, 4000), random.Random(100 + chunk))
        acked = {}
        with Broker(stores_extra=store(magento.base_url, chunk), log_level="warn") as broker:
            send(broker, messages, pace=0.05, acked=acked)
            wait_for(lambda: magento.saved >= len(acked), step=0.05)
    finally:
        items, _, _, errors = magento.stop()
    assert not errors, errors[:10]
    delays = sorted((items[k][2] - t) * 1000 for k, t in acked.items())
    p = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]  # noqa: E731
    print("chunk %3d: receipt -> delivered over %d lines at ~2,000 lines/s: p50 %.1f ms, "
          "p99 %.1f ms, max %.1f ms (sink latency %.0f ms)"
          % (chunk, len(delays), p(0.5), p(0.99), delays[-1], LATENCY_MS), flush=True)


def main():
    for chunk in (20, 500):
        throughput(chunk)
    for chunk in (20, 500):
        latency(chunk)


if __name__ == "__main__":
    main()
