#!/usr/bin/env bash
# Runs every test: formatting, clippy, then unit and integration tests against a
# Redis with RedisJSON (on a socket of its own) and a real SMTP server (maildev),
# both started here and stopped on exit. This is the README's test command and
# what CI runs (.ci/run).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"
trap stop_started EXIT

say "checking tools"
ensure_base_tools
ensure_rejson
ensure_maildev

say "docker-compose.yml is valid (docker-compose config; no engine needed)"
need_cmd docker-compose docker-compose
docker-compose config -q || die "docker-compose.yml does not validate"

say "cargo fmt --check"
cargo fmt --all -- --check || die "code is not formatted: run cargo fmt --all"
say "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

RUN="$CACHE/test-run"
rm -rf "$RUN"
mkdir -p "$RUN"
say "starting Redis with RedisJSON on $RUN/redis.sock"
start_redis "$RUN"
smtp_port="$(free_port)"
web_port="$(free_port)"
say "starting maildev (SMTP 127.0.0.1:$smtp_port, API http://127.0.0.1:$web_port)"
start_maildev "$smtp_port" "$web_port" "$RUN/maildev.log"

export TEST_REDIS_URL="redis+unix://$RUN/redis.sock"
export TEST_SMTP_URL="smtp://127.0.0.1:$smtp_port"
export TEST_MAILDEV_URL="http://127.0.0.1:$web_port"

say "building every binary (the CLI tests run the real redis-hack)"
cargo build --workspace --bins --quiet
say "running the tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
  cargo test --workspace --doc --quiet
else
  cargo test --workspace --no-fail-fast
fi
