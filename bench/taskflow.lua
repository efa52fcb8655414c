-- wrk script for bench/run: one scenario per run, requests spread over all demo users.
-- wrk ... -s bench/taskflow.lua URL -- SCENARIO DATAFILE THREADS
-- DATAFILE (written by bench/run) returns {users=, tokens=, ids=, pool_u=, pool_id=}.
local scenario, data, n_users
local hget, hjson = {}, {}
local counter = 0
local pool_start, pool_pos, pool_end = 1, 1, 0

local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
end

function init(args)
  scenario = args[1]
  data = dofile(args[2])
  local nthreads = tonumber(args[3])
  math.randomseed(os.time() * 1000 + tid)
  n_users = #data.users
  for i, token in ipairs(data.tokens) do
    hget[i] = {Authorization = "Bearer " .. token, ["X-Forwarded-Proto"] = "https"}
    hjson[i] = {Authorization = "Bearer " .. token, ["X-Forwarded-Proto"] = "https",
                ["Content-Type"] = "application/json"}
  end
  -- Each thread deletes its own slice of the pool, so no task is deleted twice.
  local per = math.floor(#data.pool_id / nthreads)
  pool_start = (tid - 1) * per + 1
  pool_pos, pool_end = pool_start, tid * per
end

local function task_path(u)
  local ids = data.ids[u]
  return "/api/" .. data.users[u] .. "/tasks/" .. ids[math.random(#ids)]
end

local handlers = {}
function handlers.ref()
  return wrk.format("GET", "/bench/reference", hget[math.random(n_users)])
end
function handlers.ref_row()  -- the reference server's one-row view (bench/reference/urls.py)
  local u = math.random(n_users)
  return wrk.format("GET", "/bench/reference" .. task_path(u), hget[u])
end
function handlers.get_one()
  local u = math.random(n_users)
  return wrk.format("GET", task_path(u), hget[u])
end
function handlers.list()
  local u = math.random(n_users)
  return wrk.format("GET", "/api/" .. data.users[u] .. "/tasks", hget[u])
end
-- The phase V dashboard's default view: open tasks, soonest due first.
function handlers.list_filtered()
  local u = math.random(n_users)
  return wrk.format("GET", "/api/" .. data.users[u] .. "/tasks?is_completed=false&sort_by=due_date&order=asc", hget[u])
end
function handlers.list_revalidate()  -- a page reload: the stored ETag, nothing changed (304)
  local u = math.random(n_users)
  local headers = {Authorization = hget[u].Authorization, ["X-Forwarded-Proto"] = "https",
                   ["If-None-Match"] = data.etags[u]}
  return wrk.format("GET", "/api/" .. data.users[u] .. "/tasks", headers)
end
function handlers.changes()  -- a client polling with its last token, nothing new
  local u = math.random(n_users)
  return wrk.format("GET", "/api/" .. data.users[u] .. "/changes?since=" .. data.nexts[u], hget[u])
end
function handlers.patch()
  local u = math.random(n_users)
  counter = counter + 1
  return wrk.format("PATCH", task_path(u), hjson[u], '{"title":"Renamed ' .. tid .. "-" .. counter .. '"}')
end
function handlers.complete()
  local u = math.random(n_users)
  return wrk.format("PATCH", task_path(u) .. "/complete", hget[u])
end
function handlers.create()
  local u = math.random(n_users)
  counter = counter + 1
  return wrk.format("POST", "/api/" .. data.users[u] .. "/tasks", hjson[u],
    '{"title":"bench-new ' .. tid .. "-" .. counter .. '","description":"Created by the benchmark"}')
end
function handlers.create_key()  -- create with a fresh Idempotency-Key: the keyed path's cost
  local u = math.random(n_users)
  counter = counter + 1
  local headers = {Authorization = hjson[u].Authorization, ["X-Forwarded-Proto"] = "https",
                   ["Content-Type"] = "application/json", ["Idempotency-Key"] = "bench-" .. tid .. "-" .. counter .. "-" .. math.random(1e9)}
  return wrk.format("POST", "/api/" .. data.users[u] .. "/tasks", headers,
    '{"title":"bench-new ' .. tid .. "-" .. counter .. '","description":"Created by the benchmark"}')
end
function handlers.delete()
  -- Past the end of the slice it wraps around: those deletes are 404s and counted.
  if pool_pos > pool_end then pool_pos = pool_start end
  local u, id = data.pool_u[pool_pos], data.pool_id[pool_pos]
  pool_pos = pool_pos + 1
  return wrk.format("DELETE", "/api/" .. data.users[u] .. "/tasks/" .. id, hget[u])
end
-- POST /auth/login with the right password (bench.py registered the accounts), each from an
-- address of its own, as many people signing in would: the address throttle never applies.
function handlers.login()
  local headers = {["X-Forwarded-Proto"] = "https", ["Content-Type"] = "application/json",
                   ["X-Forwarded-For"] = "10." .. tid .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)}
  return wrk.format("POST", "/auth/login", headers,
    '{"email":"' .. data.emails[math.random(#data.emails)] .. '","password":"' .. data.password .. '"}')
end
function handlers.mix()  -- 60 % get, 10 % list, 15 % patch, 10 % create, 5 % delete
  local r = math.random()
  if r < 0.60 then return handlers.get_one()
  elseif r < 0.70 then return handlers.list()
  elseif r < 0.85 then return handlers.patch()
  elseif r < 0.95 then return handlers.create()
  else return handlers.delete() end
end

function request()
  return handlers[scenario]()
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
