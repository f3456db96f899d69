#!/usr/bin/env bash
# The benchmark suite (README: `bash scripts/bench.sh`): builds in release
# mode, starts a Redis with RedisJSON of its own (never the machine's) and a
# 3-master Redis Cluster with RedisJSON of its own, and runs every workload of
# redis-hack-bench: the SMTP sink alone, fan-out to 100,000 subscribers by
# email and by webhook (with a concurrency sweep; the email runs on the one
# Redis and on the cluster side by side), detection delay under the poll
# budget in simulated time, the API under wrk at 1, 64 and 1,000 connections
# (register at 64 on both), the CLI under hyperfine, and memory per subscriber
# at 10k, 100k and 1M. Then it writes the results table into BENCHMARKS.md
# with the machine and the commit. About 25 minutes on 2 cores. BENCH_QUICK=1
# runs smaller sizes (for checking the suite).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

RUN="$CACHE/bench-run"
trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
T0="$(date +%s)"

ensure_base_tools
need_cmd wrk wrk
need_cmd hyperfine hyperfine
ensure_rejson
lock_dir "$RUN" "another scripts/bench.sh"
stop_stale "$RUN"
stop_stale "$RUN/cluster"
rm -rf "$RUN"
mkdir -p "$RUN"

say "building in release mode (cargo build --release --workspace --bins)"
cargo build --release --workspace --bins

start_redis "$RUN"
start_redis_cluster "$RUN/cluster"
export BENCH_REDIS_URL="redis+unix://$RUN/redis.sock"
export BENCH_CLUSTER_URL="$REDIS_CLUSTER_URL"
export BENCH_RESULTS="$RUN/results.jsonl"
BENCH="$TARGET_DIR/release/redis-hack-bench"
if [ -n "${BENCH_QUICK:-}" ]; then
  N=20000 RUNS=1 SECS=2 SIZES=10000,100000 HOURS=2 OPENINGS=300
else
  N=100000 RUNS=3 SECS=10 SIZES=10000,100000,1000000 HOURS=6 OPENINGS=1500
fi

say "1/6: the SMTP sink alone"
"$BENCH" sink --runs "$RUNS"
"$BENCH" sink --runs 1 --messages 5000 --lettre-pool
say "2/6: fan-out to $N subscribers (a concurrency sweep, then $RUNS runs at the best; by email each run also closes the opening and times the $N Gone: follow-ups, and is made on the one Redis and then on the 3-master cluster)"
for c in 16 64 256 512; do
  "$BENCH" fanout --subscribers "$N" --runs 1 --concurrency "$c" --sweep
  "$BENCH" fanout --subscribers "$N" --runs 1 --concurrency "$c" --sweep --channel webhook
done
# 256 was the best point of the sweep on the reference machine (BENCHMARKS.md).
"$BENCH" fanout --subscribers "$N" --runs "$RUNS" --concurrency 256 --cluster
"$BENCH" fanout --subscribers "$N" --runs "$RUNS" --concurrency 256 --channel webhook
say "3/6: detection delay, 500 districts, $HOURS simulated hours"
"$BENCH" detection --runs "$RUNS" --hours "$HOURS" --openings "$OPENINGS"
say "4/6 and 5/6: the API under wrk, the CLI under hyperfine; register at 64 connections on the one Redis and on the cluster"
"$BENCH" api --runs "$RUNS" --seconds "$SECS"
"$BENCH" register --runs "$RUNS" --seconds "$SECS" --connections 64
say "6/6: storage at $SIZES subscribers"
"$BENCH" storage --sizes "$SIZES"

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
mem="$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
header="Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), $mem, $(. /etc/os-release && echo "$PRETTY_NAME"), \
Redis $(redis-server --version | grep -o 'v=[0-9.]*' | cut -c3-) with RedisJSON (one server on a unix socket; the cluster: 3 masters on 127.0.0.1 TCP, no replicas), \
commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), by \`bash scripts/bench.sh\` \
($(elapsed "$T0")); server, Redis, sink, receiver and load generators all on this machine."
"$BENCH" report --results "$BENCH_RESULTS" --out BENCHMARKS.md --header "$header"
say "results written to BENCHMARKS.md ($(elapsed "$T0"))"
