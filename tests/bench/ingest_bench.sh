#!/usr/bin/env bash
# Ingest benchmark (DESIGN §8): wrk on loopback against a release build, durable (FULL) acks,
# unique messageSeqIds, 1-line and 100-line messages. Prints req/s, p50/p99, the broker's peak
# RSS, and checks that every acked message is stored.
#   tests/bench/ingest_bench.sh [BUILD_DIR] [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
duration=${2:-20}
connections=${3:-16}
bin=$build/src/app/ofbridge
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT

cat > "$work/ofbridge.toml" <<TOML
[server]
listen = "127.0.0.1:0"
log_level = "warn"
[stores.default.wms]
username = "wms"
api_key = "bench-key"
TOML

for lines in 1 100; do
  rm -rf "$work/data"
  "$bin" serve --config "$work/ofbridge.toml" --data-dir "$work/data" > "$work/out" 2> "$work/log" &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.05; done
  address=$(awk '{print $3}' "$work/out")
  session=$(curl -s -H 'Content-Type: text/xml' --data-binary \
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:Magento"><SOAP-ENV:Body><ns1:login><username>wms</username><apiKey>bench-key</apiKey></ns1:login></SOAP-ENV:Body></SOAP-ENV:Envelope>' \
    "http://$address/api/v2_soap/" | tr -d '\n' | sed -E 's/.*<loginReturn[^>]*>([^<]*)<.*/\1/')
  if [ ${#session} -ne 64 ]; then echo "FAIL: login did not return a session"; exit 1; fi
  peak=0
  ( while kill -0 $pid 2>/dev/null; do
      rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
      [ "${rss:-0}" -gt "$peak" ] && peak=$rss && echo "$peak" > "$work/peak"
      sleep 0.2
    done ) &
  sampler=$!
  echo "== $lines-line messages, $connections connections, ${duration}s"
  OFBRIDGE_SESSION=$session LINES=$lines wrk -t2 -c"$connections" -d"${duration}s" --latency \
    -s "$here/inventory.lua" "http://$address" | tee "$work/wrk"
  acked=$(awk '/^acked/ {print $2}' "$work/wrk")
  kill -TERM $pid; wait $pid || true
  kill $sampler 2>/dev/null || true; wait $sampler 2>/dev/null || true
  stored=$("$bin" requests list --json --limit 0 --config "$work/ofbridge.toml" \
    --data-dir "$work/data" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))')
  echo "peak RSS: $(( $(cat "$work/peak" 2>/dev/null || echo 0) / 1024 )) MiB"
  echo "acked: $acked stored: $stored"
  if [ "${acked:-0}" -eq 0 ]; then echo "FAIL: no request was acknowledged"; exit 1; fi
  if [ "$stored" -lt "$acked" ]; then echo "FAIL: acked messages missing"; exit 1; fi
done
