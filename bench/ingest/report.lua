-- wrk script: many agents posting capacity records (SAMPLES samples each) with unique sequence
-- numbers, so every request is a real insert, not a repeat.
local agents = tonumber(os.getenv("AGENTS") or "50")
local samples = tonumber(os.getenv("SAMPLES") or "50")
local batch = tonumber(os.getenv("BATCH") or "0")
local threads = tonumber(os.getenv("THREADS") or "2")
local base = tonumber(os.getenv("SEQ_BASE") or "0")   -- the warm-up and the measured run never share a number
local counter = 0
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)   -- a global in the thread's own Lua state
  next_id = next_id + 1
end

local function body(agent, seq)
  local parts = {}
  for i = 1, samples do
    parts[#parts + 1] = string.format(
      '{"metric":"penjaga_filesystem_avail_bytes","labels":{"mount":"/data%d","fstype":"ext4"},"min":%d,"avg":%d,"max":%d,"last":%d,"count":15}',
      i, 1000 + seq, 1001 + seq, 1002 + seq, 1001 + seq)
  end
  return string.format(
    '{"schema_version":1,"agent":"bench-%d","seq":%d,"type":"capacity","time":"2026-11-24T01:15:00Z","body":{"period_start":"2026-11-24T01:00:00Z","period_end":"2026-11-24T01:15:00Z","interval_seconds":60,"samples":[%s]}}',
    agent, seq, table.concat(parts, ","))
end

function request()
  -- Each thread owns its own agents, so sequence numbers never collide between threads.
  local per = math.max(1, math.floor(agents / threads))
  local agent = tid * per + (counter % per) + 1
  local seq = base + math.floor(counter / per) + 1
  counter = counter + 1
  local headers = { ["Authorization"] = "Bearer token-" .. agent, ["Content-Type"] = "application/json" }
  if batch > 0 then
    local items = {}
    for b = 1, batch do
      items[#items + 1] = body(agent, (seq - 1) * batch + b)
    end
    return wrk.format("POST", "/api/v1/reports/batch", headers, "[" .. table.concat(items, ",") .. "]")
  end
  return wrk.format("POST", "/api/v1/reports", headers, body(agent, seq))
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d duration_s=%.2f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
