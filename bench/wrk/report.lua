-- Shared by every wrk script of the benchmark: at the end of a run, print its figures as one
-- line of JSON after the word BENCH, which bench/bench.py reads (wrk's own text output rounds
-- latencies and leaves out the maximum's unit).
function done(summary, latency, requests)
  local e = summary.errors
  -- Which statuses wrk counted as errors, from the threads' own counts (count_statuses).
  local all, statuses = {}, {}
  for _, thread in ipairs(threads) do
    local counted = thread:get("statuses")
    if type(counted) == "table" then
      for status, n in pairs(counted) do
        all[status] = (all[status] or 0) + n
      end
    end
  end
  for status, n in pairs(all) do
    statuses[#statuses + 1] = string.format('"%s":%d', tostring(status), n)
  end
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,'
      .. '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%.0f,"p90_us":%.0f,'
      .. '"p99_us":%.0f,"max_us":%.0f,"mean_us":%.1f,"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, table.concat(statuses, ",")))
end

-- For the write rows: counts each answer of status 400 or more by its status, so that a row's
-- errors say what they were. (A script with a response function makes wrk hand every answer
-- to Lua, which costs the read rows too much; the write rows run far slower than that.)
function count_statuses()
  statuses = {}
  function response(status, headers, body)
    if status >= 400 then
      statuses[status] = (statuses[status] or 0) + 1
    end
  end
end

-- Each thread learns its number (from 0) and how many there are, to take its own share of a
-- pool and to make its request bodies differ from every other thread's.
local counter = 0
threads = {}
function setup(thread)
  thread:set("thread_number", counter)
  counter = counter + 1
  threads[#threads + 1] = thread
end

-- Lines of a pool file written by bench.py, split on spaces.
function read_pool(path)
  local rows = {}
  for line in io.lines(path) do
    local fields = {}
    for field in line:gmatch("%S+") do
      fields[#fields + 1] = field
    end
    rows[#rows + 1] = fields
  end
  return rows
end

-- The row of `pool` a thread's `n`th request uses. Consecutive requests go to articles seven
-- apart; a step that shared a factor with the pool's size would visit only part of it (a pool
-- of 2,443 = 7 x 349 articles was used a seventh at a time: each article met the per-article
-- limit, and the rows counted thousands of 429s), so the step is the first from seven up that
-- shares none.
local function gcd(a, b)
  while b ~= 0 do
    a, b = b, a % b
  end
  return a
end

function rotate(pool, n)
  local step = 7
  while gcd(step, #pool) ~= 1 do
    step = step + 1
  end
  return pool[(n * step + thread_number * 101) % #pool + 1]
end

-- Readers arrive through the site's proxy (bench/run starts the server trusting 127.0.0.1 as
-- one) from many addresses, as they would in life; the per-address rate limit, raised for the
-- benchmark, still counts each one.
function reader_address(n)
  return string.format("198.18.%d.%d", thread_number % 256, n % 64 + 1)
end

-- Pacing, for the rows that measure latency at a given rate rather than the most a server
-- takes: with BENCH_RATE (requests a second in all, over BENCH_THREADS threads) set, each
-- thread sends its share on a fixed schedule, one request per slot, whichever of its
-- connections is free; a slot missed while every connection waited is sent at once, so that
-- a slow server faces the whole rate, not less. Without it, wrk sends as fast as answers come.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *now);
]]
local clock = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local rate = tonumber(os.getenv("BENCH_RATE") or "")
if rate then
  local interval = 1000 * tonumber(os.getenv("BENCH_THREADS")) / rate
  local slot
  -- wrk asks before each request how many milliseconds to wait first.
  function delay()
    local now = now_ms()
    slot = slot and slot + interval or now
    return math.max(0, math.floor(slot - now))
  end
end
