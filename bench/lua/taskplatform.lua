-- wrk script for the TaskPlatform API: bearer token, per-request paths and JSON bodies, and a JSON
-- summary line on stdout (bench/run.ts parses it). Everything comes from the environment:
--   BENCH_KIND        hello | list_hit | list_miss | search | create | update | move | login | mix
--   BENCH_TOKEN       access token (Authorization: Bearer …)
--   BENCH_PROJECTS    comma-separated project ids the token's user can edit
--   BENCH_TASKS_FILE  file with one task id per line (tasks in those projects), for update and move
--   BENCH_USERS_FILE  file with "email password" per line, for login
--   BENCH_MISS_BASE   integer (ms since epoch) that makes this run's cache-miss query strings unique
--   BENCH_PATH        path for hello (default /hello)

local kind = os.getenv("BENCH_KIND") or "hello"
local token = os.getenv("BENCH_TOKEN") or ""
local missBase = tonumber(os.getenv("BENCH_MISS_BASE") or "946684800000")

local function split(text, sep)
  local out = {}
  for item in string.gmatch(text or "", "([^" .. sep .. "]+)") do out[#out + 1] = item end
  return out
end

local function lines(path)
  local out = {}
  if path == nil or path == "" then return out end
  local file = io.open(path, "r")
  if file == nil then return out end
  for line in file:lines() do
    if line ~= "" then out[#out + 1] = line end
  end
  file:close()
  return out
end

local projects = split(os.getenv("BENCH_PROJECTS"), ",")
local tasks = lines(os.getenv("BENCH_TASKS_FILE"))
local users = lines(os.getenv("BENCH_USERS_FILE"))
local words = { "deploy", "invoice", "login", "report", "cache", "search", "mobile", "billing",
  "onboarding", "export", "review", "release" }
local statuses = { "todo", "in_progress", "done" }
local priorities = { "low", "medium", "high", "urgent" }

-- Per-thread state: `tid` is set by setup() in each thread's Lua state.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  threads[#threads + 1] = thread
end

local function pick(list, n)
  return list[(n % #list) + 1]
end

-- A unique ISO timestamp far before every seeded due date: `dueAfter` then changes the cache key of
-- every request without changing which rows the query returns (seeded open tasks all have due dates).
local function uniqueDueAfter(n)
  local ms = missBase + (tid or 0) * 1000000000 + n
  local seconds = math.floor(ms / 1000)
  return os.date("!%Y-%m-%dT%H:%M:%S", seconds) .. string.format(".%03dZ", ms % 1000)
end

-- Like a browser (and like bench/openloop.ts, whose fetch does the same), every request accepts gzip.
local gzip = "gzip, deflate, br"
local authHeaders = { ["Authorization"] = "Bearer " .. token, ["Accept-Encoding"] = gzip }
local jsonHeaders = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json",
  ["Accept-Encoding"] = gzip }
local plainJson = { ["Content-Type"] = "application/json", ["Accept-Encoding"] = gzip }

local builders = {}

builders.hello = function(n)
  return wrk.format("GET", os.getenv("BENCH_PATH") or "/hello")
end

builders.list_hit = function(n)
  return wrk.format("GET", "/api/tasks?projectId=" .. pick(projects, n), authHeaders)
end

builders.list_miss = function(n)
  return wrk.format("GET", "/api/tasks?projectId=" .. pick(projects, n) .. "&dueAfter=" .. uniqueDueAfter(n),
    authHeaders)
end

builders.search = function(n)
  return wrk.format("GET", "/api/tasks?projectId=" .. pick(projects, n) .. "&q=" .. pick(words, n + (tid or 0))
    .. "&dueAfter=" .. uniqueDueAfter(n), authHeaders)
end

builders.create = function(n)
  local body = string.format(
    '{"projectId":"%s","title":"Bench %s task %d-%d","description":"Created by the benchmark","priority":"%s","labels":["bench","%s"],"dueAt":"2027-01-15T09:00:00.000Z"}',
    pick(projects, n), pick(words, n), tid or 0, n, pick(priorities, n), pick(words, n + 3))
  return wrk.format("POST", "/api/tasks", jsonHeaders, body)
end

builders.update = function(n)
  local id = pick(tasks, (tid or 0) * 7919 + n)
  local body = string.format('{"title":"Updated %s %d-%d","priority":"%s"}', pick(words, n), tid or 0, n,
    pick(priorities, n))
  return wrk.format("PATCH", "/api/tasks/" .. id, jsonHeaders, body)
end

builders.move = function(n)
  local id = pick(tasks, (tid or 0) * 7919 + n)
  local body = string.format('{"status":"%s","position":%d}', pick(statuses, n), n % 20)
  return wrk.format("POST", "/api/tasks/" .. id .. "/move", jsonHeaders, body)
end

builders.login = function(n)
  local fields = split(pick(users, (tid or 0) + n), " ")
  local body = string.format('{"email":"%s","password":"%s"}', fields[1], fields[2])
  return wrk.format("POST", "/api/auth/login", plainJson, body)
end

-- The soak mix: mostly cached reads, some misses and searches, some writes (which invalidate).
local mix = { "list_hit", "list_hit", "list_hit", "list_hit", "list_hit", "list_hit", "list_miss", "list_miss",
  "search", "create", "update", "move" }
builders.mix = function(n)
  return builders[pick(mix, n)](n)
end

local build = builders[kind]
if build == nil then error("unknown BENCH_KIND " .. kind) end

function request()
  counter = counter + 1
  return build(counter)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nBENCH_JSON {"requests":%d,"durationUs":%d,"bytes":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"p50Us":%d,"p90Us":%d,"p95Us":%d,"p99Us":%d,"maxUs":%d,"meanUs":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean))
end
