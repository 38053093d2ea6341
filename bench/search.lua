-- wrk script for bench/scale.py: GET a random line of PATHS_FILE, each line a path with its
-- query (the open-data search by name, or by a place and a radius, made by the bench).
-- args: PATHS_FILE
-- done() prints one BENCH_JSON line, as scan.lua's does, for bench/harness.py to read.

local paths = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_number or 0))
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  if #paths == 0 then error("no paths in " .. tostring(args[1])) end
end

-- Formatted once and kept, as in scan.lua: the less wrk spends per request, the more of
-- the two cores the server gets.
local formatted = {}

function request()
  local i = math.random(#paths)
  local r = formatted[i]
  if r == nil then
    r = wrk.format("GET", paths[i])
    formatted[i] = r
  end
  return r
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%.0f,"p90_us":%.0f,' ..
    '"p99_us":%.0f,"max_us":%.0f,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
