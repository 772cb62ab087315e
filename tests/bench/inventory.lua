-- wrk script: unique Magento-1 inventory messages (one messageSeqId per request across all wrk
-- threads), LINES stock lines each. Counts success replies so the driver can compare acked
-- with stored. Environment: OFBRIDGE_SESSION (from login), LINES (default 1), DELAY_MS (pause
-- before each request on a connection, to run below the maximum rate; default 0).
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
  failed = 0
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
  if status == 200 and body:find("Success %- Message", 1) then
    acked = acked + 1
  else
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local total_acked, total_failed = 0, 0
  for _, thread in ipairs(threads) do
    total_acked = total_acked + thread:get("acked")
    total_failed = total_failed + thread:get("failed")
  end
  io.write(string.format("acked %d failed %d\n", total_acked, total_failed))
  io.write(string.format("p50 %.2f ms p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
