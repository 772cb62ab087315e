"""How fast the fake Magento takes MSI source items, so a broker benchmark knows the fake is not
its bottleneck:

    python3 tests/fakes/bench_fake_magento.py [REQUESTS] [CHUNK] [CONNECTIONS]

Starts the fake as a process (`fake_magento.py --port 0`, input limit off), sends REQUESTS
pre-encoded `POST /V1/inventory/source-items` bodies of CHUNK items over CONNECTIONS kept-alive
connections, and prints requests/s, items/s and the fake process's CPU time per request (from
/proc, so the client's own cost is not counted). Also the in-process cost of the schema check
alone (parse + validate one body)."""

import http.client
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import magento_schema  # noqa: E402


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    requests_total = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    chunk = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    connections = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    body = json.dumps({"sourceItems": [
        {"sku": "SKU-%06d" % i, "source_code": "default", "quantity": float(i % 97),
         "status": 1 if i % 97 else 0} for i in range(chunk)]}).encode()

    schema = magento_schema.RestSchema(limits=type("L", (), {"input_list_limit": None}))
    op, _ = schema.operation("POST", "/V1/inventory/source-items")
    start = time.process_time()
    for _ in range(50):
        schema.check_body(op, json.loads(body))
    check_ms = (time.process_time() - start) / 50 * 1000

    seed = {"admin_users": [{"username": "bench", "password": "pw"}],
            "config": {"input_limits": False}}
    seed_path = "/tmp/fake-magento-bench-%d.json" % os.getpid()
    with open(seed_path, "w") as f:
        json.dump(seed, f)
    proc = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "fake_magento.py"), "--port", "0", "--seed-file", seed_path],
        stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline().split()[1])
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("POST", "/rest/all/V1/integration/admin/token",
                     json.dumps({"username": "bench", "password": "pw"}),
                     {"Content-Type": "application/json"})
        token = json.loads(conn.getresponse().read())
        headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
        per_connection = requests_total // connections
        failures = []

        def sender():
            c = http.client.HTTPConnection("127.0.0.1", port)
            for _ in range(per_connection):
                c.request("POST", "/rest/all/V1/inventory/source-items", body, headers)
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    failures.append(r.status)
            c.close()

        cpu_before = cpu_seconds(proc.pid)
        wall = time.monotonic()
        threads = [threading.Thread(target=sender) for _ in range(connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - wall
        cpu = cpu_seconds(proc.pid) - cpu_before
        sent = per_connection * connections
        conn.request("GET", "/__fake/state")
        state = json.loads(conn.getresponse().read())
        print("schema check alone: %.2f ms per %d-item body (parse + validate)" % (check_ms, chunk))
        print("%d requests x %d items over %d connections: %.0f req/s, %.0f items/s; fake CPU "
              "%.2f ms per request (%.0f items per CPU-second); failures %d, schema violations %d"
              % (sent, chunk, connections, sent / wall, sent * chunk / wall, cpu / sent * 1000,
                 sent * chunk / cpu if cpu else 0, len(failures),
                 state["schema_violation_count"]))
    finally:
        proc.terminate()
        proc.wait()
        os.unlink(seed_path)


if __name__ == "__main__":
    main()
