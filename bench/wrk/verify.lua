-- POST /v1/verify with the codes in BENCH_CODES ("email code" per line); thread i of n
-- takes lines i, i+n, ...; each code is used once, then the thread reuses its last one
-- (which the server refuses: such answers are counted as bad_status).
local threads = {}
function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end
local mine, at = {}, 0
function init(args)
  local n, i = tonumber(os.getenv("BENCH_THREADS")), 0
  for line in io.lines(os.getenv("BENCH_CODES")) do
    if i % n == index then table.insert(mine, line) end
    i = i + 1
  end
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  at = math.min(at + 1, #mine)
  local email, code = mine[at]:match("(%S+) (%S+)")
  return wrk.format(nil, nil, nil, string.format('{"email":"%s","code":"%s"}', email, code))
end
