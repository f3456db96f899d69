-- POST /v1/register, a new address on every request (threads and runs never collide).
local counter, thread_tag = 0, ""
local threads = {}
function setup(thread)
  thread:set("tag", os.getenv("BENCH_RUN") .. "t" .. #threads)
  table.insert(threads, thread)
end
function init(args) thread_tag = tag end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil,
    string.format('{"email":"r%s-%d@example.com","district_id":97}', thread_tag, counter))
end
