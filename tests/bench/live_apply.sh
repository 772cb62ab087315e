#!/usr/bin/env bash
# What the live apply costs: one load against one broker (ofbridge alone, no reference), with
# what the store wrote for it. For comparing two builds or settings in alternating runs, where
# ingest_bench.sh's full matrix is too long.
#
#   tests/bench/live_apply.sh BUILD_DIR WORKERS CONNECTIONS LINES [SECONDS]
#
# Prints acked req/s, p50/p99 ack latency, CPU per acked message (utime + stime until the
# worker has applied all it acked, as ingest_bench.sh), bytes the broker wrote per acked
# message (/proc/PID/io write_bytes: the WAL frames, the checkpoints' copies and the database
# file), peak RSS and the writer's commits and WAL fsyncs (/metrics). Extra settings come from
# the environment as TOML lines: WORKER_TOML (the [worker] table, e.g. "gather_ms = 3") and
# STORAGE_TOML (the [storage] table, e.g. "batch_budget_us = 8000").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?BUILD_DIR} workers=${2:?WORKERS} connections=${3:?CONNECTIONS} lines=${4:?LINES}
duration=${5:-5}
bin=$build/src/app/ofbridge
[ -x "$bin" ] || { echo "no $bin: build a release first (README.md, Benchmarks)" >&2; exit 1; }
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
admin_port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/ofbridge.toml" <<TOML
[server]
listen = "127.0.0.1:0"
log_level = "warn"
[admin]
listen = "127.0.0.1:$admin_port"
[worker]
workers = $workers
${WORKER_TOML:-}
[storage]
${STORAGE_TOML:-}
[stores.default.wms]
username = "wms"
api_key = "bench-key"
TOML
cli() { "$bin" "$@" --config "$work/ofbridge.toml" --data-dir "$work/data"; }
"$bin" serve --config "$work/ofbridge.toml" --data-dir "$work/data" > "$work/out" 2> "$work/log" &
pid=$!
for _ in $(seq 200); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.05; done
grep -q listening "$work/out" || { cat "$work/log"; echo "the broker did not start" >&2; exit 1; }
address=$(awk '{print $3}' "$work/out")
session=$(curl -s -H 'Content-Type: text/xml; charset=utf-8' --data-binary '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:Magento"><SOAP-ENV:Body><ns1:login><username>wms</username><apiKey>bench-key</apiKey></ns1:login></SOAP-ENV:Body></SOAP-ENV:Envelope>' \
  "http://$address/api/v2_soap/" | tr -d '\n' | sed -E 's/.*<loginReturn[^>]*>([^<]*)<.*/\1/')
[ ${#session} -eq 64 ] || { echo "login failed" >&2; exit 1; }

counters() { awk '{print $14 + $15}' "/proc/$pid/stat"; awk '/^write_bytes/ {print $2}' "/proc/$pid/io"; }
read -r -d '' ticks0 bytes0 < <(counters) || true
OFBRIDGE_SESSION=$session LINES=$lines DELAY_MS=0 wrk -t$(( connections < 2 ? 1 : 2 )) -c"$connections" \
  -d"${duration}s" --latency -s "$here/inventory.lua" "http://$address" > "$work/wrk"
field() { awk -v name="$1" '/^acked/ { for (i = 1; i < NF; i++) if ($i == name) print $(i + 1) }' "$work/wrk"; }
acked=$(field acked)
[ "$acked" -gt 0 ] || { cat "$work/wrk"; echo "nothing was acknowledged" >&2; exit 1; }
waiting() {  # requests pending or being processed (at most 1 of each is listed)
  local state n total=0
  for state in pending processing; do
    n=$(cli requests list --state $state --limit 1 --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))')
    total=$(( total + n ))
  done
  echo $total
}
if [ "$workers" -gt 0 ]; then
  for _ in $(seq 600); do [ "$(waiting)" -eq 0 ] && break; sleep 0.2; done
fi
read -r -d '' ticks1 bytes1 < <(counters) || true
metrics=$(curl -s "http://127.0.0.1:$admin_port/metrics" |
  awk '/^ofbridge_writer_(commits|syncs)_total/ {sub("ofbridge_writer_", "", $1); sub("_total", "", $1); printf "%s %s  ", $1, $2}')
rss=$(awk '/^VmHWM/ {printf "%d", $2 / 1024}' "/proc/$pid/status")
printf 'workers %s, %s conn, %s-line: acked %s req/s  p50 %s ms  p99 %s ms  CPU %d us/ack  written %d KiB/ack  peak RSS %s MiB  %s\n' \
  "$workers" "$connections" "$lines" "$(field rate)" "$(field p50)" "$(field p99)" \
  $(( (ticks1 - ticks0) * 1000000 / $(getconf CLK_TCK) / acked )) $(( (bytes1 - bytes0) / 1024 / acked )) \
  "$rss" "$metrics"
