-- GET /v1/subscriptions with the token in BENCH_TOKEN, and If-None-Match when BENCH_ETAG is set.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local etag = os.getenv("BENCH_ETAG")
if etag and etag ~= "" then wrk.headers["If-None-Match"] = etag end
