#!/usr/bin/env bash
# Ingest benchmark (DESIGN §8): wrk on loopback against a release build, durable (FULL) acks,
# unique messageSeqIds, 1-line and 100-line messages, the worker applying as it would in
# production. For each message size:
#   1. maximum: wrk as fast as it can; prints req/s, p50/p99, the broker's peak RSS, and checks
#      that every acked message is stored;
#   2. the same with `workers = 0` (ingest only, nothing applied), which shows what the worker's
#      turns on the one write lock cost ingest;
#   3. half load: every connection paced (wrk delay) to about half the maximum of step 1; prints
#      the rate reached and receipt -> applied latency p50/p99/max, read from the store after
#      the run (requests.received_at to import_reports.created_at). created_at is stamped when
#      the worker's apply transaction starts, so this leaves out that transaction's own commit
#      (no fsync of its own; see src/worker/request_processor.cpp);
#   4. ceiling: the load of step 1 with a session id that was never issued. Every message goes
#      through the whole HTTP -> SOAP gate -> gSOAP decode path and is answered with a Client
#      fault; nothing is stored or synced. No stored rate can exceed this one: it is what this
#      machine (with wrk on the same cores) leaves for the queue, and the gap to step 1 is what
#      durability costs.
#   tests/bench/ingest_bench.sh [BUILD_DIR] [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
duration=${2:-20}
connections=${3:-16}
bin=$build/src/app/ofbridge
work=$(mktemp -d)
pid=
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT

# write_config WORKERS
write_config() {
  cat > "$work/ofbridge.toml" <<TOML
[server]
listen = "127.0.0.1:0"
log_level = "warn"
[worker]
workers = $1
[stores.default.wms]
username = "wms"
api_key = "bench-key"
TOML
}

# run LINES DELAY_MS [WORKERS [SESSION]]: one broker on a fresh store, one wrk run; leaves wrk's
# output in $work/wrk. With SESSION (an id the broker never issued), every request must be
# rejected and nothing stored.
run() {
  local lines=$1 delay_ms=$2 unknown_session=${4:-}
  write_config "${3:-1}"
  rm -rf "$work/data"
  "$bin" serve --config "$work/ofbridge.toml" --data-dir "$work/data" > "$work/out" 2> "$work/log" &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.05; done
  local address session
  address=$(awk '{print $3}' "$work/out")
  session=$(curl -s -H 'Content-Type: text/xml' --data-binary \
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:Magento"><SOAP-ENV:Body><ns1:login><username>wms</username><apiKey>bench-key</apiKey></ns1:login></SOAP-ENV:Body></SOAP-ENV:Envelope>' \
    "http://$address/api/v2_soap/" | tr -d '\n' | sed -E 's/.*<loginReturn[^>]*>([^<]*)<.*/\1/')
  if [ ${#session} -ne 64 ]; then echo "FAIL: login did not return a session"; exit 1; fi
  [ -n "$unknown_session" ] && session=$unknown_session
  echo 0 > "$work/peak"
  ( peak=0
    while kill -0 $pid 2>/dev/null; do
      rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
      [ "${rss:-0}" -gt "$peak" ] && peak=$rss && echo "$peak" > "$work/peak"
      sleep 0.5
    done ) &
  local sampler=$!
  OFBRIDGE_SESSION=$session LINES=$lines DELAY_MS=$delay_ms wrk -t2 -c"$connections" \
    -d"${duration}s" --latency -s "$here/inventory.lua" "http://$address" > "$work/wrk"
  # Let the worker finish what was acked before stopping, so every request has its report.
  sleep 2
  kill -TERM $pid; wait $pid || true
  kill $sampler 2>/dev/null || true; wait $sampler 2>/dev/null || true
  local acked stored
  acked=$(awk '/^acked/ {print $2}' "$work/wrk")
  stored=$("$bin" requests list --json --limit 0 --config "$work/ofbridge.toml" \
    --data-dir "$work/data" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))')
  if [ -n "$unknown_session" ]; then
    if [ "${acked:-0}" -ne 0 ] || [ "$stored" -ne 0 ]; then
      echo "FAIL: unknown session: acked $acked, stored $stored"; exit 1
    fi
    echo "rejected: $(awk '/^acked/ {print $4}' "$work/wrk") stored: 0"
    return
  fi
  if [ "${acked:-0}" -eq 0 ]; then echo "FAIL: no request was acknowledged"; exit 1; fi
  if [ "$stored" -lt "$acked" ]; then echo "FAIL: acked $acked, stored $stored"; exit 1; fi
  echo "acked: $acked stored: $stored peak RSS: $(( $(cat "$work/peak") / 1024 )) MiB"
}

for lines in 1 100; do
  echo "== $lines-line messages, $connections connections, ${duration}s: maximum"
  run "$lines" 0
  grep -E "Requests/sec|^p50" "$work/wrk"
  rate=$(awk '/Requests\/sec/ {print $2}' "$work/wrk")
  p50=$(awk '/^p50/ {print $2}' "$work/wrk")
  echo "== $lines-line messages: maximum, ingest only (workers = 0)"
  run "$lines" 0 0
  grep -E "Requests/sec|^p50" "$work/wrk"
  # Each connection waits delay + latency per request: pace to half the maximum rate.
  delay=$(/usr/bin/python3 -c "print(max(1, round(1000 * $connections / ($rate / 2) - $p50)))")
  echo "== $lines-line messages: half load (${delay} ms pause per request and connection)"
  run "$lines" "$delay"
  grep -E "Requests/sec|^p50" "$work/wrk"
  /usr/bin/python3 - "$work/data/ofbridge.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
ms = sorted(row[0] for row in db.execute(
    "SELECT (julianday(r.created_at) - julianday(q.received_at)) * 86400000.0"
    " FROM import_reports r JOIN requests q ON q.id = r.request_id"))
if not ms:
    sys.exit("FAIL: nothing was applied")
pick = lambda p: ms[min(len(ms) - 1, int(p * len(ms)))]
print("receipt -> applied: %d requests, p50 %.1f ms, p99 %.1f ms, max %.1f ms"
      % (len(ms), pick(0.50), pick(0.99), ms[-1]))
PY
  echo "== $lines-line messages: ceiling (unknown session: parsed, rejected, nothing stored)"
  run "$lines" 0 1 "$(printf '0%.0s' $(seq 64))"
  grep -E "Requests/sec|^p50" "$work/wrk"
done
