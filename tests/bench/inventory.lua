-- wrk script: unique Magento-1 inventory messages (one messageSeqId per request across all wrk
-- threads), LINES stock lines each. The same script drives ofbridge and the PHP reference peer.
-- Counts replies by HTTP status: only 2xx replies are acks (wrk's own Requests/sec counts
-- faults too), and a 2xx reply without "Success - Message" is counted apart, as an error. The
-- done hook prints one line the driver reads (errors: socket errors and timeouts):
--   acked N rejected N unexpected N errors N seconds S rate R p50 MS p99 MS statuses CODE=N,...
-- Environment: OFBRIDGE_SESSION (from login), LINES (default 1), DELAY_MS (pause before each
-- request on a connection, to run below the maximum rate; default 0).
local session = os.getenv("OFBRIDGE_SESSION")
local lines = tonumber(os.getenv("LINES") or "1")
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  seq = 0
  acked = 0
  rejected = 0
  unexpected = 0
  statuses = {}
  local qty, seqs = {}, {}
  for i = 1, lines do
    qty[#qty + 1] = string.format('<item xsi:type="ns1:skuQty"><key xsi:type="xsd:string">BENCH-%d-%d</key><value xsi:type="xsd:int">%d</value></item>', id, i, i)
    seqs[#seqs + 1] = string.format('<item xsi:type="ns1:skuSeq"><key xsi:type="xsd:string">BENCH-%d-%d</key><value xsi:type="xsd:int">SEQ</value></item>', id, i)
  end
  head = '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:Magento" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><SOAP-ENV:Body><ns1:orderflowInventoryMultiUpdate><sessionId xsi:type="xsd:string">' .. session .. '</sessionId>'
    .. '<skuQty SOAP-ENC:arrayType="ns1:skuQty[' .. lines .. ']" xsi:type="ns1:skuQtyArray">' .. table.concat(qty) .. '</skuQty>'
    .. '<skuSeqId SOAP-ENC:arrayType="ns1:skuSeq[' .. lines .. ']" xsi:type="ns1:skuSeqArray">'
  seq_items = table.concat(seqs)
  tail = '</skuSeqId><messageSeqId xsi:type="xsd:int">MSG</messageSeqId></ns1:orderflowInventoryMultiUpdate></SOAP-ENV:Body></SOAP-ENV:Envelope>'
  wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
end

function request()
  seq = seq + 1
  local message = id * 100000000 + seq
  local body = head .. seq_items:gsub("SEQ", tostring(message)) .. tail:gsub("MSG", tostring(message))
  return wrk.format("POST", "/api/v2_soap/", nil, body)
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status < 200 or status > 299 then
    rejected = rejected + 1
  elseif body:find("Success - Message", 1, true) then
    acked = acked + 1
  else
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local total = {acked = 0, rejected = 0, unexpected = 0}
  local statuses_seen = {}
  for _, thread in ipairs(threads) do
    for name in pairs(total) do
      total[name] = total[name] + thread:get(name)
    end
    for status, count in pairs(thread:get("statuses")) do
      statuses_seen[status] = (statuses_seen[status] or 0) + count
    end
  end
  local codes = {}
  for status, count in pairs(statuses_seen) do
    codes[#codes + 1] = string.format("%d=%d", status, count)
  end
  table.sort(codes)
  local errors = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "acked %d rejected %d unexpected %d errors %d seconds %.2f rate %.1f p50 %.3f p99 %.3f statuses %s\n",
    total.acked, total.rejected, total.unexpected,
    errors.connect + errors.read + errors.write + errors.timeout, seconds,
    total.acked / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    #codes > 0 and table.concat(codes, ",") or "none"))
end
