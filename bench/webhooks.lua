-- wrk script for bench/webhooks: each wrk thread walks its own file of signed deliveries.
--
-- usage: wrk -t2 -c64 -d10s --latency -s bench/webhooks.lua <url> -- <file-prefix> <once|cycle> [stripe|paypal|cryptomus|appstore|gplay|acme|payeer|anypay] [RATE]
--   thread n reads <file-prefix>-<n>.txt, one delivery per line: tab-separated "Name: value" header fields, then the
--   JSON body (a first field without ": " is a Stripe-Signature value; a line without tabs is a bare body).
--   The gateway (default stripe) picks the Content-Type and User-Agent the gateway sends.
--   once  : every delivery is sent at most once; a thread whose slice runs out sends GET /api/health
--           (writes nothing) and stops, and the shortfall is reported as exhausted=N.
--   cycle : the slice is replayed from the start when it runs out (for the reference responder,
--           which ignores the body).
--   RATE  : when given, each thread sends RATE requests per second on a fixed schedule (request k of a thread is
--           due k / RATE s after its first), whatever the answers' latency, so two servers can be compared at the
--           same offered load; the connections only bound how many are outstanding. Without it every connection
--           sends its next request as soon as the last is answered (the server's saturated rate).
-- done() prints one machine-readable line starting with "BENCH " that bench/webhooks parses.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("bench_timespec")

-- Milliseconds on the monotonic clock (LuaJIT's os.clock is CPU time, os.time whole seconds).
local function now_ms()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
   return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("tid", counter)
   table.insert(threads, thread)
end

local defaults = {
   stripe = {
      ["Content-Type"] = "application/json; charset=utf-8",
      ["User-Agent"] = "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
   },
   paypal = {
      ["Content-Type"] = "application/json",
      ["User-Agent"] = "PayPal/AUHD-214.0-58207307",
   },
   cryptomus = {
      ["Content-Type"] = "application/json",
   },
   appstore = {
      ["Content-Type"] = "application/json",
      ["User-Agent"] = "App Store Server Notifications",
   },
   gplay = {
      ["Content-Type"] = "application/json",
   },
   acme = {
      ["Content-Type"] = "application/json",
   },
   payeer = {
      ["Content-Type"] = "application/x-www-form-urlencoded",
   },
   anypay = {
      ["Content-Type"] = "application/x-www-form-urlencoded",
   },
}

-- wrk asks before each request how many whole milliseconds to wait; the schedule is absolute, so rounding never
-- accumulates, and a thread that fell behind sends what is due at once (as an open-loop client would). Defined as
-- wrk's `delay` only for a paced pass: wrk looks the global up once, after init.
local function paced_delay()
   local now = now_ms()
   local due = next_due or now
   next_due = due + interval_ms
   if due <= now then
      return 0
   end
   return math.floor(due - now + 0.5)
end

function init(args)
   local prefix = args[1]
   cycle = args[2] == "cycle"
   local base = defaults[args[3] or "stripe"] or defaults.stripe
   local rate = tonumber(args[4] or "")
   if rate and rate > 0 then
      interval_ms = 1000 / rate
      delay = paced_delay
   end
   local path = prefix .. "-" .. tid .. ".txt"
   reqs = {}
   for line in io.lines(path) do
      if #line > 0 then
         local headers = {}
         for name, value in pairs(base) do
            headers[name] = value
         end
         local start = 1
         while true do
            local tab = line:find("\t", start, true)
            if not tab then
               break
            end
            local field = line:sub(start, tab - 1)
            local colon = field:find(": ", 1, true)
            if colon then
               headers[field:sub(1, colon - 1)] = field:sub(colon + 2)
            else
               headers["Stripe-Signature"] = field
            end
            start = tab + 1
         end
         reqs[#reqs + 1] = wrk.format("POST", nil, headers, line:sub(start))
      end
   end
   if #reqs == 0 then
      error("no deliveries in " .. path)
   end
   nreqs = #reqs
   health = wrk.format("GET", "/api/health")
   idx = 0
   sent = 0
   exhausted = 0
end

function request()
   idx = idx + 1
   if idx > #reqs then
      if cycle then
         idx = 1
      else
         exhausted = exhausted + 1
         wrk.thread:stop()
         return health
      end
   end
   sent = sent + 1
   return reqs[idx]
end

function done(summary, latency, requests)
   local sent_total, exhausted_total, loaded = 0, 0, 0
   for _, thread in ipairs(threads) do
      sent_total = sent_total + (thread:get("sent") or 0)
      exhausted_total = exhausted_total + (thread:get("exhausted") or 0)
      loaded = loaded + (thread:get("nreqs") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d sent=%d exhausted=%d loaded=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d "
         .. "non2xx=%d connect_err=%d read_err=%d write_err=%d timeout_err=%d\n",
      summary.requests, summary.duration, sent_total, exhausted_total, loaded,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.status, e.connect, e.read, e.write, e.timeout))
end
