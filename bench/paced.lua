-- The open-loop-ish scenario: every connection is one user sending about one request a
-- second (0.5-1.5 s pauses, uniformly), like `hey -c 100 -q 1`, but with the mix and all
-- users. wrk starts each request's clock after the pause, so latency excludes think time.
--
-- wrk opens every connection first and would then pause before its first request too;
-- gunicorn's gthread worker gives a new connection a pool thread that waits (up to 5 s)
-- for its first bytes, so 100 idle new connections starve the 12 threads and the
-- reference view itself shows p99 ~600 ms. Clients such as hey and browsers connect
-- when they have a request to send: the first request of each connection goes at once.
dofile("bench/taskflow.lua")

local first_requests
local base_init = init
function init(args)
  base_init(args)
  first_requests = tonumber(args[4]) or 0  -- connections of this thread
end

function delay()
  if first_requests > 0 then
    first_requests = first_requests - 1
    return 0
  end
  return math.random(500, 1500)
end
