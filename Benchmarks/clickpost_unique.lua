-- Benchmarks/clickpost_unique.lua: wrk script for Benchmarks/ingest.
--
-- POSTs a ~1 KB Clickpost "All Status" callback (shaped like research payload fwd_02_picked_up_all_status.json)
-- with a UNIQUE numeric waybill per request, so the relay's dedup never turns the load into duplicate no-ops.
-- Environment (read with os.getenv):
--   BENCH_WEBHOOK_KEY  value of the `webhook_key` header (the client's Clickpost key; any value for nginx)
--   BENCH_SALT         digits prefixed to every waybill; use a different salt per wrk invocation on one database
--   BENCH_PATH         request path (default /v1/callbacks/clickpost/bench)
-- done() prints one machine-readable line:
--   BENCH_RESULT ok2xx=… non2xx=… requests=… duration_us=… p50_us=… p99_us=… connect=… read=… write=… timeout=… status=… body_bytes=…
-- and BENCH_STATUSES code:count,… for the non-2xx answers.

local key = os.getenv("BENCH_WEBHOOK_KEY") or ""
local salt = os.getenv("BENCH_SALT") or "9"
local path = os.getenv("BENCH_PATH") or "/v1/callbacks/clickpost/bench"

local head = '{"waybill": "'
local tail = '", "cp_id": 4, "account_code": "DELHIVERY SURFACE", "status": "In Transit", "remark": "Shipment picked up", "location": "Bhiwandi_Mankoli_HB (Maharashtra)", "clickpost_city": "", "timestamp": "2024-03-04T09:28:00Z", "clickpost_status_code": 4, "clickpost_status_description": "PickedUp", "rto_awb": null, "additional": {"is_rvp": false, "courier_partner_edd": "2024-03-08", "order_id": "WEB-100234", "account_code": "DELHIVERY SURFACE", "destination_hub_inscan_ts": null, "ndr_status_code": null, "ndr_status_description": null, "npr_status_code": null, "npr_status_description": null, "latest_status": {"clickpost_status_code": 4, "clickpost_status_description": "PickedUp", "clickpost_status_bucket": 2, "clickpost_status_bucket_description": "Shipped", "status": "In Transit", "remark": "Shipment picked up", "location": "Bhiwandi_Mankoli_HB (Maharashtra)", "clickpost_city": "", "timestamp": "2024-03-04T09:28:00Z", "reference_number": "WEB-100234"}}}'

local threads = {}

-- GLOBAL on purpose: thread:set("tid", n) in setup() sets a global in that thread's Lua state, and a file-level
-- `local tid` would shadow it in request(), giving every thread the same ids (duplicates).
tid = 0

function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
  table.insert(threads, thread)
end

function init(args)
  -- globals so that done() can read them with thread:get()
  counter = 0
  ok2xx = 0
  non2xx = 0
  statuses = {}
  req_headers = { ["Content-Type"] = "application/json", ["webhook_key"] = key }
end

function request()
  counter = counter + 1
  local waybill = string.format("%s%02d%09d", salt, tid, counter)
  return wrk.format("POST", path, req_headers, head .. waybill .. tail)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok2xx = ok2xx + 1
  else
    non2xx = non2xx + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local ok, bad, merged = 0, 0, {}
  for _, thread in ipairs(threads) do
    ok = ok + (thread:get("ok2xx") or 0)
    bad = bad + (thread:get("non2xx") or 0)
    for code, n in pairs(thread:get("statuses") or {}) do
      merged[code] = (merged[code] or 0) + n
    end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT ok2xx=%d non2xx=%d requests=%d duration_us=%d p50_us=%d p99_us=%d " ..
    "connect=%d read=%d write=%d timeout=%d status=%d body_bytes=%d\n",
    ok, bad, summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, e.status, #head + #string.format("%s%02d%09d", salt, 1, 1) + #tail))
  local parts = {}
  for code, n in pairs(merged) do table.insert(parts, code .. ":" .. n) end
  table.sort(parts)
  io.write("BENCH_STATUSES " .. table.concat(parts, ",") .. "\n")
end
