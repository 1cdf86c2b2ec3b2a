-- Spreads wrk's threads over the slot endpoints: thread i talks to 127.0.0.(FIRST+i%SLOTS):PORT and asks for
-- /redfish/v1/Systems/slot(i%SLOTS). Run wrk with -t = a multiple of SLOTS so every endpoint gets the same number
-- of keep-alive connections (-c / -t each). Headers given with -H (Authorization) are kept.
-- Environment: BENCH_SLOTS (64), BENCH_FIRST (10), BENCH_PORT (18443), BENCH_FIXED_PATH (ceiling: one path for all).
local slots = tonumber(os.getenv("BENCH_SLOTS") or "64")
local first = tonumber(os.getenv("BENCH_FIRST") or "10")
local port = os.getenv("BENCH_PORT") or "18443"
local fixed = os.getenv("BENCH_FIXED_PATH")
local count = 0

function setup(thread)
  local i = count % slots
  count = count + 1
  thread.addr = wrk.lookup("127.0.0." .. (first + i), port)[1]
  thread:set("slot_path", fixed or ("/redfish/v1/Systems/slot" .. i))
end

function init(args)
  req = wrk.format("GET", slot_path)
end

function request()
  return req
end
