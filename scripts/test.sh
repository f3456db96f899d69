#!/usr/bin/env bash
# The one command that runs every test (README: `bash scripts/test.sh`; CI runs
# it through .ci/run). Formatting and clippy first, since they fail fastest;
# then a Redis with RedisJSON on a socket of its own, a 3-master Redis Cluster
# with RedisJSON (the server's integration tests run a second time against it),
# and maildev as a real SMTP server, which the integration tests reach through TEST_REDIS_URL,
# TEST_SMTP_URL and TEST_MAILDEV_URL (TEST_REDISJSON_MODULE lets a fault test
# start and kill a Redis of its own; TEST_CHROMIUM and TEST_PLAYWRIGHT drive
# headless Chromium); then every test, and last schemathesis against a
# running server (scripts/fuzz-api.sh). The compose file and the GitHub
# workflows are validated on the way (docker-compose config, actionlint).
# Whatever it started is stopped on any exit, and the exit status is the tests'.
# Needs no stdin; CI=true changes nothing here.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

RUN="$CACHE/test-run"
trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

T0="$(date +%s)"
phase() { say "phase $1 (at $(elapsed "$T0"))"; }

phase "1/8: checking tools"
ensure_base_tools

phase "2/8: cargo fmt --all -- --check"
cargo fmt --all -- --check || die "the code is not formatted: run cargo fmt --all"

phase "3/8: cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings || die "clippy found problems (see above)"

# The compose file cannot be run here (no Docker engine) but can be validated.
phase "4/8: docker-compose.yml and the GitHub workflows (validated; no Docker engine or runner needed)"
need_cmd docker-compose docker-compose
docker-compose config -q || die "docker-compose.yml does not validate (see above)"
docker-compose --profile demo config -q || die "docker-compose.yml's demo profile does not validate (see above)"
bash scripts/check-workflows.sh || die "the workflows in .github/workflows do not pass actionlint (see above)"

phase "5/8: provisioning and starting Redis+RedisJSON (one server and a 3-node cluster) and maildev under $RUN"
t0="$(date +%s)"
ensure_rejson
ensure_maildev
ensure_browser
ensure_schemathesis
lock_dir "$RUN" "another scripts/test.sh"
stop_stale "$RUN"
stop_stale "$RUN/cluster"
rm -rf "$RUN"
mkdir -p "$RUN"
start_redis "$RUN"
start_redis_cluster "$RUN/cluster"
smtp_port="$(free_port)"
web_port="$(free_port)"
start_maildev "$smtp_port" "$web_port" "$RUN"
say "services ready ($(elapsed "$t0"))"

export TEST_REDIS_URL="redis+unix://$RUN/redis.sock"
export TEST_SMTP_URL="smtp://127.0.0.1:$smtp_port"
export TEST_MAILDEV_URL="http://127.0.0.1:$web_port"
export TEST_REDISJSON_MODULE="$REJSON_SO"
export TEST_CHROMIUM="$CHROMIUM"
export TEST_PLAYWRIGHT="$PLAYWRIGHT"
export TEST_ARTIFACTS="$REPO/target/test-artifacts"
say "TEST_REDIS_URL=$TEST_REDIS_URL TEST_SMTP_URL=$TEST_SMTP_URL TEST_MAILDEV_URL=$TEST_MAILDEV_URL"
say "TEST_CHROMIUM=$TEST_CHROMIUM TEST_PLAYWRIGHT=$TEST_PLAYWRIGHT TEST_ARTIFACTS=$TEST_ARTIFACTS"

phase "6/8: cargo build --workspace --bins (the CLI's tests run the real binaries)"
cargo build --workspace --bins || die "the build failed (see above)"

phase "7/8: running the tests"
# Doc tests first and the main run last, so the output closes on the summary
# of the real test run rather than on a doc-test line that often says 0 passed.
status=0
note_failure() { [ "$status" -ne 0 ] || status="$1"; }
cargo test --workspace --doc || note_failure $?
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast || note_failure $?
  # The server's integration tests once more, against a 3-master Redis Cluster.
  say "the server's integration tests again, against the Redis cluster ($REDIS_CLUSTER_URL)"
  TEST_REDIS_URL="$REDIS_CLUSTER_URL" cargo nextest run -p redis-hack-server --test api --no-fail-fast \
    || note_failure $?
else
  say "cargo-nextest is not installed; using cargo test (cargo install cargo-nextest for a nicer run)"
  cargo test --workspace --lib --bins --tests --no-fail-fast 2>&1 | tee "$RUN/cargo-test.log" || note_failure $?
  TEST_REDIS_URL="$REDIS_CLUSTER_URL" cargo test -p redis-hack-server --test api --no-fail-fast 2>&1 \
    | tee -a "$RUN/cargo-test.log" || note_failure $?
  # cargo test prints one result line per test binary; close on their sum.
  awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$RUN/cargo-test.log"
fi

phase "8/8: schemathesis against the running server (scripts/fuzz-api.sh)"
bash scripts/fuzz-api.sh || note_failure $?

if [ "$status" -ne 0 ]; then
  say "tests FAILED (exit $status); the services' logs are in $RUN"
else
  say "all tests passed ($(elapsed "$T0") in all)"
fi
exit "$status"
