-- wrk script for bench/scan.py.
-- args: "scan" CODES_FILE TOKEN  -> GET /api/v1/scan/{random code} with the mini-program's bearer token
--       "anchor" CODES_FILE      -> GET /anchor/{random code} (bench/anchor_app.py, no token)
--       "paths" PATHS_FILE       -> GET a random line, each a path with its query (scale.py's searches)
--       "bare"                   -> GET /bare
-- done() prints one BENCH_JSON line, so the numbers are read exactly, not parsed from wrk's prose.

local paths = {}
local headers = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_number or 0))
  if args[1] == "scan" then
    for line in io.lines(args[2]) do
      if #line > 0 then paths[#paths + 1] = "/api/v1/scan/" .. line end
    end
    headers["Authorization"] = "Bearer " .. args[3]
  elseif args[1] == "anchor" or args[1] == "paths" then
    local prefix = args[1] == "anchor" and "/anchor/" or ""
    for line in io.lines(args[2]) do
      if #line > 0 then paths[#paths + 1] = prefix .. line end
    end
  else
    paths[1] = "/bare"
  end
  if #paths == 0 then error("no codes in " .. tostring(args[2])) end
end

-- Each request is formatted once and kept: wrk shares the machine with the servers, so
-- the less it spends per request, the more of the two cores the targets get.
local formatted = {}

function request()
  local i = math.random(#paths)
  local r = formatted[i]
  if r == nil then
    r = wrk.format("GET", paths[i], headers)
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
