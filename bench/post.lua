-- wrk script for `make bench`: POST a JSON body to paths read from a file, in turn.
--
--   wrk -s bench/post.lua URL -- PATHS_FILE BODY
--
-- Each thread starts at its own offset in the list, so with more paths than open connections
-- no two requests in flight share a path (a chat session gets one reply at a time). `done`
-- prints one JSON line with the figures the bench reads.

local threads = {}
local thread_count = 0

function setup(thread)
   thread:set("thread_index", thread_count)
   thread_count = thread_count + 1
   thread:set("thread_total", 0) -- filled in below, once every thread is known
   table.insert(threads, thread)
   for _, t in ipairs(threads) do
      t:set("thread_total", thread_count)
   end
end

local paths = {}
local position = 0
local body = ""

function init(args)
   for line in io.lines(args[1]) do
      if #line > 0 then
         table.insert(paths, line)
      end
   end
   body = args[2]
   local total = thread_total > 0 and thread_total or 1
   position = math.floor(#paths * thread_index / total)
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   position = position % #paths + 1
   return wrk.format(nil, paths[position], nil, body)
end

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      '{"requests": %d, "duration_us": %d, "errors": %d, "status_errors": %d, "p50_us": %d, "p99_us": %d}\n',
      summary.requests, summary.duration,
      errors.connect + errors.read + errors.write + errors.timeout, errors.status,
      latency:percentile(50), latency:percentile(99)))
end
