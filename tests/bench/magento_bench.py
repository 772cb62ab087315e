"""How fast the magento2 target delivers stock, against the fake Magento on loopback:

    python3 tests/bench/magento_bench.py [BUILD_DIR] [LINES] [LATENCY_MS]

(defaults build-rel, 10000, 0). The fake runs as a process of its own (input limits off, so a
chunk of 500 is accepted; seeded with the two sources and an admin user). For each chunk size
(20 and 500; concurrency 2):

- Throughput: LINES stock lines over LINES/2 SKUs and 2 sources (every line its own key, so
  nothing coalesces: each line is one source item), 100 lines per message with shuffled sequence
  ids, are acknowledged and applied while Magento is unreachable (base_url on a closed port),
  so they wait in the outbox; the broker is stopped, pointed at the fake and started again.
  Lines/s delivered = LINES / (the fake's last source-item write - broker start), and the same
  from the end of the first call to the last (start-up left out). Checked:
  the fake holds exactly the oracle's quantities, no schema violation.
- Latency: receipt -> delivered, with the broker connected: 100-line messages at about 20 per
  second (2,000 lines/s); for each line, the fake's write time of its (SKU, source) minus the
  time its message was acknowledged. p50/p99 printed; the target is p99 <= 200 ms plus the
  fake's configured latency.

Everything is on 127.0.0.1; the broker uses its defaults apart from the magento2 store."""

import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-rel")
LINES = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
LATENCY_MS = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
os.environ.setdefault("OFBRIDGE_BIN", os.path.join(BUILD, "src", "app", "ofbridge"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from broker import Broker  # noqa: E402


class Fake:
    def __init__(self):
        seed = {"sources": [{"source_code": "default"}, {"source_code": "wh-2"}],
                "admin_users": [{"username": "bench", "password": "pw"}],
                "config": {"input_limits": False},
                "faults": {"latency": LATENCY_MS / 1000.0}}
        self.seed_path = tempfile.mktemp(prefix="fake-magento-seed-", suffix=".json")
        with open(self.seed_path, "w") as f:
            json.dump(seed, f)
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tests", "fakes", "fake_magento.py"), "--port",
             "0", "--seed-file", self.seed_path], stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline().split()[1])
        self.base_url = "http://127.0.0.1:%d/" % self.port

    def state(self, full=False):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("GET", "/__fake/state" + ("?full=1" if full else ""))
        out = json.loads(c.getresponse().read())
        c.close()
        return out

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        os.unlink(self.seed_path)


def store(base_url, chunk):
    return ("[stores.default]\ntarget = \"magento2\"\n[stores.default.magento]\n"
            "base_url = \"%s\"\nusername = \"bench\"\npassword = \"pw\"\n"
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
    fake = Fake()
    workdir = tempfile.mkdtemp(prefix="ofbridge-magento-bench-")
    try:
        messages = history(LINES, random.Random(chunk))
        with Broker(workdir=workdir, stores_extra=store("http://127.0.0.1:1/", chunk),
                    log_level="warn") as broker:
            send(broker, messages)
            wait_for(lambda: applied(broker))
        broker = Broker(workdir=workdir, stores_extra=store(fake.base_url, chunk),
                        log_level="warn")
        started = time.time()
        broker.start()
        wait_for(lambda: fake.state()["source_items_saved"] >= LINES, step=0.02)
        state = fake.state(full=True)
        broker.stop()
        written = sorted(i["written_at"] for i in state["source_items"])
        last = written[-1]
        first_call = LINES // state["source_item_calls"]  # items per call, about
        steady = (LINES - first_call) / (last - written[0]) if last > written[0] else 0
        expected = {(l["sku"], l["source"]): l["qty"] for _, ls in messages for l in ls}
        actual = {(i["sku"], i["source_code"]): i["quantity"] for i in state["source_items"]}
        assert actual == expected, "Magento's quantities differ from the oracle"
        assert state["schema_violation_count"] == 0, state["schema_violations"]
        rate = LINES / (last - started)
        print("chunk %3d: %d lines delivered in %.3f s from the broker's start = %.0f lines/s; "
              "%.0f lines/s from the first call's write to the last (%d calls)"
              % (chunk, LINES, last - started, rate, steady, state["source_item_calls"]),
              flush=True)
        return rate
    finally:
        fake.stop()
        subprocess.run(["rm", "-rf", workdir])


def latency(chunk):
    fake = Fake()
    try:
        messages = history(min(LINES, 4000), random.Random(100 + chunk))
        acked = {}
        with Broker(stores_extra=store(fake.base_url, chunk), log_level="warn") as broker:
            send(broker, messages, pace=0.05, acked=acked)
            wait_for(lambda: fake.state()["source_items_saved"] >= len(acked), step=0.05)
            state = fake.state(full=True)
        written = {(i["sku"], i["source_code"]): i["written_at"] for i in state["source_items"]}
        delays = sorted((written[k] - t) * 1000 for k, t in acked.items())
        p = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]  # noqa: E731
        print("chunk %3d: receipt -> delivered over %d lines at ~2,000 lines/s: p50 %.1f ms, "
              "p99 %.1f ms, max %.1f ms (fake latency %.0f ms)"
              % (chunk, len(delays), p(0.5), p(0.99), delays[-1], LATENCY_MS), flush=True)
    finally:
        fake.stop()


def main():
    for chunk in (20, 500):
        throughput(chunk)
    for chunk in (20, 500):
        latency(chunk)


if __name__ == "__main__":
    main()
