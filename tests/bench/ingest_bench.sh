#!/usr/bin/env bash
# Ingest benchmark (DESIGN §8): ofbridge against a reference doing the same durable work, in one
# run, so the figures are ratios rather than absolute rates on a noisy shared machine. The
# reference is tests/bench/reference_peer.php: PHP's SoapServer on the Magento-1 WSDL, PDO
# SQLite, WAL, synchronous=FULL, one transaction per request, under `php -S` (single-threaded).
# Both are driven alternately by the same wrk script (inventory.lua: unique messageSeqIds, only
# 2xx replies count as acks), on loopback, each on a fresh store. ofbridge runs with its
# defaults: durable acks (synchronous full) and one worker applying what it acks.
#
#   1. the physical floor: p50/p99 of a bare fdatasync of a 4 KiB append in the data directory
#      (fdatasync_floor.py), right before and right after the one-connection 1-line case;
#   2. the comparison, ofbridge then the reference for each case: one connection (a sequential
#      sender, as a WMS sends) with 1-line and 100-line messages, 16 connections with 1-line and
#      100-line messages, 64 connections with 1-line messages. For each: acked req/s, p50/p99
#      ack latency, CPU per acked message (utime+stime from /proc/PID/stat, for ofbridge until
#      its worker has applied everything it acked), peak RSS (VmHWM), and a check that every
#      acked message is stored (ofbridge: `requests list`; the reference: its rows, one per
#      line) and that an unknown session is refused with a fault and stores nothing;
#   3. ofbridge alone, 16 connections, 1-line and 100-line messages:
#      - ingest only (`workers = 0`), what the worker's share of the writer costs ingest;
#      - half load: every connection paced (wrk delay) to about half the rate of step 2;
#        receipt -> applied latency p50/p99/max after the run (a request's received_at to its
#        import report's created_at, from `requests list` and `imports list`; created_at is
#        stamped when the worker's apply transaction starts);
#      - ceiling: the load of step 2 with a session id that was never issued: every message
#        goes through the whole HTTP -> SOAP path and is answered with a fault, nothing is
#        stored or synced. No stored rate can exceed it with wrk on the same cores.
# Everything listens on 127.0.0.1 and every load lasts SECONDS; about 16 x SECONDS in all.
#
#   tests/bench/ingest_bench.sh [BUILD_DIR] [SECONDS]
# BUILD_DIR (default build/) holds a release build: see README.md, Benchmarks. Needs wrk, curl,
# php-cli, php-soap and php-sqlite3 (scripts/bootstrap.sh installs them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
duration=${2:-10}
bin=$build/src/app/ofbridge
if [ ! -x "$bin" ]; then
  echo "no $bin: build a release first (README.md, Benchmarks)" >&2
  exit 1
fi
for tool in wrk curl php; do
  command -v "$tool" > /dev/null || { echo "$tool is not installed (scripts/bootstrap.sh)" >&2; exit 1; }
done
php_modules=$(php -m)
for module in soap pdo_sqlite; do
  grep -qx "$module" <<< "$php_modules" || { echo "PHP module $module is missing (php-soap, php-sqlite3)" >&2; exit 1; }
done
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
ticks_per_second=$(getconf CLK_TCK)
username=wms
api_key=bench-key
unknown_session=$(printf '0%.0s' $(seq 64))

fail() { echo "FAIL: $*"; exit 1; }

# field NAME: the value after NAME on the result line inventory.lua printed.
field() { awk -v name="$1" '/^acked/ { for (i = 1; i < NF; i++) if ($i == name) print $(i + 1) }' "$work/wrk"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
peak_rss_mib() { awk '/^VmHWM/ {printf "%d", $2 / 1024}' "/proc/$pid/status"; }

# wait_for PATTERN FILE: until the server has printed its address (at most 10 s).
wait_for() {
  for _ in $(seq 200); do
    grep -q "$1" "$2" 2>/dev/null && return 0
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
  done
  cat "$2" "$work/log" 2>/dev/null
  fail "the server did not start"
}

soap() {  # soap BODY: POST to the endpoint; prints "STATUS BODY"
  curl -s -w '\n%{http_code}' -H 'Content-Type: text/xml; charset=utf-8' --data-binary "$1" \
    "http://$address/api/v2_soap/" | tr -d '\n' | sed -E 's/^(.*)([0-9]{3})$/\2 \1/'
}

# login: a session from the server at $address; checks that an unknown session is refused
# with Magento's fault and is not acked.
login() {
  local reply
  reply=$(soap "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ns1=\"urn:Magento\"><SOAP-ENV:Body><ns1:login><username>$username</username><apiKey>$api_key</apiKey></ns1:login></SOAP-ENV:Body></SOAP-ENV:Envelope>")
  session=$(sed -E 's/.*<loginReturn[^>]*>([^<]*)<.*/\1/' <<< "$reply")
  [ ${#session} -eq 64 ] || fail "login did not return a session: $reply"
  reply=$(soap "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ns1=\"urn:Magento\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:SOAP-ENC=\"http://schemas.xmlsoap.org/soap/encoding/\"><SOAP-ENV:Body><ns1:orderflowInventoryMultiUpdate><sessionId xsi:type=\"xsd:string\">$unknown_session</sessionId><skuQty SOAP-ENC:arrayType=\"ns1:skuQty[1]\" xsi:type=\"ns1:skuQtyArray\"><item xsi:type=\"ns1:skuQty\"><key xsi:type=\"xsd:string\">PROBE</key><value xsi:type=\"xsd:int\">1</value></item></skuQty><skuSeqId SOAP-ENC:arrayType=\"ns1:skuSeq[1]\" xsi:type=\"ns1:skuSeqArray\"><item xsi:type=\"ns1:skuSeq\"><key xsi:type=\"xsd:string\">PROBE</key><value xsi:type=\"xsd:long\">1</value></item></skuSeqId><messageSeqId xsi:type=\"xsd:long\">1</messageSeqId></ns1:orderflowInventoryMultiUpdate></SOAP-ENV:Body></SOAP-ENV:Envelope>")
  case "$reply" in
    2*) fail "an unknown session was acked: $reply" ;;
    *"<faultcode>5</faultcode>"*"Session expired. Try to relogin."*) ;;
    *) fail "an unknown session was not refused with fault 5: $reply" ;;
  esac
  [ "$(stored_requests)" -eq 0 ] || fail "a request with an unknown session was stored"
}

# stored_requests: how many requests the running peer has stored.
stored_requests() {
  if [ "$peer" = ofbridge ]; then
    "$bin" requests list --json --limit 0 --config "$work/ofbridge.toml" --data-dir "$work/data" |
      /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))'
  else
    /usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True).execute("SELECT count(*) FROM requests").fetchone()[0])' \
      "$work/reference/reference.db"
  fi
}

# start_ofbridge WORKERS: a broker on a fresh store, logged in.
start_ofbridge() {
  cat > "$work/ofbridge.toml" <<TOML
[server]
listen = "127.0.0.1:0"
log_level = "warn"
[worker]
workers = $1
[stores.default.wms]
username = "$username"
api_key = "$api_key"
TOML
  peer=ofbridge
  rm -rf "$work/data"
  # The previous peer's lines must not be mistaken for this one's: the redirections below
  # truncate only once the background job runs.
  rm -f "$work/out" "$work/log"
  "$bin" serve --config "$work/ofbridge.toml" --data-dir "$work/data" > "$work/out" 2> "$work/log" &
  pid=$!
  wait_for listening "$work/out"
  address=$(awk '{print $3}' "$work/out")
  login
}

# start_reference: the PHP peer on a fresh store, logged in.
start_reference() {
  peer=reference
  rm -rf "$work/reference"
  php "$here/reference_peer.php" "$work/reference"
  rm -f "$work/out" "$work/log"
  REFERENCE_DATA_DIR=$work/reference REFERENCE_USERNAME=$username REFERENCE_API_KEY=$api_key \
    php -S 127.0.0.1:0 "$here/reference_peer.php" > "$work/out" 2> "$work/log" &
  pid=$!
  wait_for "Development Server" "$work/log"
  address=$(grep -o -m1 '127\.0\.0\.1:[0-9]*' "$work/log")
  login
}

stop() {
  kill -TERM $pid
  wait $pid || true
  pid=
}

# ofbridge_drained: nothing pending or being processed; the worker has applied all it acked.
ofbridge_drained() {
  local state count
  for state in pending processing; do
    count=$("$bin" requests list --state $state --limit 1 --json --config "$work/ofbridge.toml" \
      --data-dir "$work/data" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))')
    [ "$count" -eq 0 ] || return 1
  done
}

# load CONNECTIONS LINES DELAY_MS [SESSION]: one wrk run against $address; sets acked, rate,
# p50, p99, cpu_us (CPU per acked message, 0 when nothing was acked).
# A window that saw no ack at all (a short one, as the smoke test's 1 s, on a loaded machine that
# paused the broker or wrk for that long) is run once more, 5 times as long, before the checks
# below refuse it: a broker that acks nothing still fails, a pause does not.
load() {
  local threads=$(( $1 < 2 ? 1 : 2 ))
  local before after seconds=$duration
  before=$(cpu_ticks)
  while :; do
    OFBRIDGE_SESSION=${4:-$session} LINES=$2 DELAY_MS=$3 wrk -t$threads -c"$1" -d"${seconds}s" \
      --latency -s "$here/inventory.lua" "http://$address" > "$work/wrk"
    grep -q '^acked' "$work/wrk" || { cat "$work/wrk"; fail "wrk printed no result"; }
    [ "$(field acked)" -eq 0 ] && [ -z "${4:-}" ] && [ "$seconds" -eq "$duration" ] || break
    seconds=$(( duration * 5 ))
    echo "(no ack in ${duration}s: the machine may be loaded; running ${seconds}s once more)"
  done
  acked=$(field acked) rate=$(field rate) p50=$(field p50) p99=$(field p99)
  [ "$(field unexpected)" -eq 0 ] || fail "2xx replies without Success: $(cat "$work/wrk")"
  if [ "$workers" -gt 0 ] && [ "$acked" -gt 0 ]; then
    for _ in $(seq 600); do ofbridge_drained && break; sleep 0.2; done
    ofbridge_drained || fail "the worker did not apply the backlog within 120 s"
  fi
  after=$(cpu_ticks)
  cpu_us=$(( acked > 0 ? (after - before) * 1000000 / ticks_per_second / acked : 0 ))
}

describe() {  # describe NAME: one line of results
  printf '%-9s acked %7.0f req/s  p50 %7.3f ms  p99 %7.3f ms  CPU %5d us/ack  peak RSS %3d MiB  %s\n' \
    "$1" "$rate" "$p50" "$p99" "$cpu_us" "$rss" "$(field statuses)"
}

# check_ofbridge_stored LINES: every acked message is in the store, and with a worker every
# line of every stored request is in an import report (receipt stores no row per inventory line:
# the worker expands them from the stored body, so what is counted is what it imported).
check_ofbridge_stored() {
  local stored imported
  stored=$(stored_requests)
  [ "$acked" -gt 0 ] || fail "no request was acknowledged"
  [ "$stored" -ge "$acked" ] || fail "ofbridge acked $acked, stored $stored"
  [ "$workers" -gt 0 ] || return 0
  imported=$("$bin" imports list --json --limit 0 --config "$work/ofbridge.toml" --data-dir "$work/data" |
    /usr/bin/python3 -c 'import json,sys; print(sum(i["successes"] + i["duplicates"] + i["superseded"] + i["failures"] for i in json.load(sys.stdin)["imports"]))')
  [ "$imported" -eq $(( stored * $1 )) ] || fail "ofbridge stored $stored x $1 lines, imported $imported"
}

# check_reference_stored LINES: every acked message is a request row with LINES line rows (the
# reference's own tables: PHP stores one row per line, as the Magento-1 extension does).
check_reference_stored() {
  /usr/bin/python3 - "$work/reference/reference.db" "$acked" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
acked, lines = int(sys.argv[2]), int(sys.argv[3])
requests, declared = db.execute("SELECT count(*), coalesce(sum(line_count), 0) FROM requests").fetchone()
stored_lines = db.execute("SELECT count(*) FROM inventory_lines").fetchone()[0]
if acked == 0 or requests < acked or declared != requests * lines or stored_lines != declared:
    sys.exit("FAIL: the reference acked %d, stored %d requests and %d lines" % (acked, requests, stored_lines))
PY
}

# receipt_to_applied: requests' received_at to their import reports' created_at, p50/p99/max,
# through the inspection commands (their --json documents keep their shape as the store changes).
receipt_to_applied() {
  local list="--json --limit 0 --config $work/ofbridge.toml --data-dir $work/data"
  # shellcheck disable=SC2086
  /usr/bin/python3 - <("$bin" requests list $list) <("$bin" imports list $list) <<'PY'
import json, sys
from datetime import datetime
def at(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
received = {r["id"]: at(r["received_at"]) for r in json.load(open(sys.argv[1]))["requests"]}
ms = sorted((at(i["created_at"]) - received[i["request_id"]]).total_seconds() * 1000
            for i in json.load(open(sys.argv[2]))["imports"])
if not ms:
    sys.exit("FAIL: nothing was applied")
pick = lambda p: ms[min(len(ms) - 1, int(p * len(ms)))]
print("receipt -> applied: %d requests, p50 %.1f ms, p99 %.1f ms, max %.1f ms"
      % (len(ms), pick(0.50), pick(0.99), ms[-1]))
PY
}

summary=()
one_connection_p50=
# compare CONNECTIONS LINES TARGET: ofbridge, then the reference, on the same load.
compare() {
  local connections=$1 lines=$2 target=$3
  local name="$connections conn, $lines-line"
  echo "== $name messages, ${duration}s each"
  workers=1
  start_ofbridge 1
  load "$connections" "$lines" 0
  rss=$(peak_rss_mib)
  stop
  check_ofbridge_stored "$lines"
  describe ofbridge
  local ours=$rate our_p50=$p50 our_cpu=$cpu_us our_rss=$rss
  if [ "$connections" -eq 1 ] && [ "$lines" -eq 1 ]; then one_connection_p50=$p50; fi
  if [ "$connections" -eq 16 ]; then max_rate[$lines]=$rate max_p50[$lines]=$p50; fi

  workers=0
  start_reference
  load "$connections" "$lines" 0
  rss=$(peak_rss_mib)
  stop
  check_reference_stored "$lines"
  describe reference
  local ratio
  ratio=$(/usr/bin/python3 -c "print('%.2f' % ($ours / $rate))")
  echo "ratio ${ratio}x (target ${target}x)"
  summary+=("$(printf '%-20s %9.0f %8.3f %6d %4d %9.0f %8.3f %6d %4d %7sx %5sx' "$name" \
    "$ours" "$our_p50" "$our_cpu" "$our_rss" "$rate" "$p50" "$cpu_us" "$rss" "$ratio" "$target")")
}

declare -A max_rate max_p50
python3 "$here/fdatasync_floor.py" "$work" | tee "$work/floor-before"
compare 1 1 1.5
python3 "$here/fdatasync_floor.py" "$work" | tee "$work/floor-after"
compare 1 100 1.5
compare 16 1 5
compare 16 100 4
compare 64 1 8

for lines in 1 100; do
  echo "== ofbridge alone, $lines-line messages, 16 connections: ingest only (workers = 0)"
  workers=0
  start_ofbridge 0
  load 16 "$lines" 0
  rss=$(peak_rss_mib)
  stop
  check_ofbridge_stored "$lines"
  describe ofbridge

  # Each connection waits delay + latency per request: pace to half the maximum rate.
  delay=$(/usr/bin/python3 -c "print(max(1, round(1000 * 16 / (${max_rate[$lines]} / 2) - ${max_p50[$lines]})))")
  echo "== ofbridge alone, $lines-line messages: half load (${delay} ms pause per request and connection)"
  workers=1
  start_ofbridge 1
  load 16 "$lines" "$delay"
  rss=$(peak_rss_mib)
  stop
  check_ofbridge_stored "$lines"
  describe ofbridge
  receipt_to_applied
  echo "== ofbridge alone, $lines-line messages: ceiling (unknown session: parsed, refused, nothing stored)"
  workers=0
  start_ofbridge 1
  load 16 "$lines" 0 "$unknown_session"
  [ "$acked" -eq 0 ] || fail "unknown session: $acked acked"
  [ "$(stored_requests)" -eq 0 ] || fail "unknown session: requests were stored"
  stop
  printf 'refused %.0f req/s  p50 %.3f ms  stored 0  %s\n' \
    "$(/usr/bin/python3 -c "print($(field rejected) / $(field seconds))")" "$p50" "$(field statuses)"
done

echo
echo "== summary: acked req/s (2xx only), p50 ms, CPU us per ack, peak RSS MiB; ratio = ofbridge / reference"
printf '%-20s %9s %8s %6s %4s %9s %8s %6s %4s %8s %6s\n' case ofbridge p50 CPU RSS reference p50 CPU RSS ratio target
printf '%s\n' "${summary[@]}"
cat "$work/floor-before" "$work/floor-after"
/usr/bin/python3 - "$one_connection_p50" "$work/floor-before" "$work/floor-after" <<'PY'
import re, sys
floors = [float(re.search(r"p50 ([0-9.]+) ms", open(f).read()).group(1)) for f in sys.argv[2:]]
p50 = float(sys.argv[1])
print("1 conn, 1-line p50 %.3f ms: %+.3f ms over the fdatasync p50 (%.3f-%.3f ms; target +0.1 ms)"
      % (p50, p50 - min(floors), min(floors), max(floors)))
PY
