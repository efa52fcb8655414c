-- The open-loop-ish scenario: every connection is one user sending about one request a
-- second (0.5-1.5 s pauses, uniformly), like `hey -q 1` but with the mix and all users.
-- wrk starts each request's clock after the pause, so latency excludes the think time.
dofile("bench/taskflow.lua")

function delay()
  return math.random(500, 1500)
end
