#!/usr/bin/env bash
# The one command that brings up the dev stack on a Debian/Ubuntu machine with
# Rust, without Docker: Redis with RedisJSON (socket under .cache/dev), maildev
# (SMTP 127.0.0.1:1025, web UI http://127.0.0.1:1080), the CoWIN simulator
# (127.0.0.1:8090) and redis-hack-server (127.0.0.1:8080). It stays in the
# foreground, showing the server's log; Ctrl-C stops everything it started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

DEV="$CACHE/dev"
SMTP_PORT=1025 WEB_PORT=1080 SIM_PORT=8090 API_PORT=8080
# A debug build: it shares artifacts with the tests and rebuilds in seconds.
BIN="$TARGET_DIR/debug"

trap stop_started EXIT
trap 'echo >&2; say "stopping the dev stack"; exit 0' INT TERM
trap 'exit 129' HUP

# Fixed ports, so fail before building anything when one is taken.
for spec in "$SMTP_PORT:maildev's SMTP server" "$WEB_PORT:maildev's web UI" \
  "$SIM_PORT:the CoWIN simulator" "$API_PORT:redis-hack-server"; do
  port="${spec%%:*}"
  port_taken "$port" && die "port $port (for ${spec#*:}) is already in use on 127.0.0.1; stop whatever holds it (e.g. ss -ltnp 'sport = :$port')"
done

ensure_base_tools
ensure_rejson
ensure_maildev

# Built once up front, then the binaries are run directly (not via `cargo
# run`) so the pids we stop are the services themselves.
say "building the server, the simulator and the CLI (debug; the first build takes a few minutes)"
cargo build -p cowin-sim -p redis-hack-server -p redis-hack || die "the build failed (see above)"

lock_dir "$DEV" "another scripts/dev.sh"
stop_stale "$DEV"
mkdir -p "$DEV"

say "starting Redis with RedisJSON on $DEV/redis.sock (in memory only: data lasts as long as this script)"
start_redis "$DEV"
say "starting maildev"
start_maildev "$SMTP_PORT" "$WEB_PORT" "$DEV"

say "starting the CoWIN simulator on 127.0.0.1:$SIM_PORT"
start_bg simulator "$DEV/simulator.log" "$DEV" env SIM_BIND_ADDR="127.0.0.1:$SIM_PORT" SIM_AUTO_OPEN="97:45" "$BIN/cowin-sim"
wait_until "the CoWIN simulator (http://127.0.0.1:$SIM_PORT/api/v2)" "$STARTED_PID" "$DEV/simulator.log" \
  curl -fsS "http://127.0.0.1:$SIM_PORT/api/v2/admin/location/states"

say "starting redis-hack-server on 127.0.0.1:$API_PORT"
start_bg server "$DEV/server.log" "$DEV" env \
  BIND_ADDR="127.0.0.1:$API_PORT" \
  REDIS_URL="redis+unix://$DEV/redis.sock" \
  REDIS_KEY_PREFIX="rh:" \
  SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" \
  MAIL_FROM="redis-hack <alerts@localhost>" \
  PUBLIC_URL="http://127.0.0.1:$API_PORT" \
  COWIN_API_URL="http://127.0.0.1:$SIM_PORT/api/v2" \
  POLL_MIN_INTERVAL=10s \
  WEBHOOK_ALLOW_PRIVATE=true \
  PUBLISHER_KEYS="dev-publisher-key-change-me" \
  "$BIN/redis-hack-server"
wait_until "redis-hack-server (http://127.0.0.1:$API_PORT/readyz)" "$STARTED_PID" "$DEV/server.log" \
  curl -fsS -o /dev/null "http://127.0.0.1:$API_PORT/readyz"

cat <<MSG

  redis-hack is up.
    API            http://127.0.0.1:$API_PORT
    Mail catcher   http://127.0.0.1:$WEB_PORT   (your one-time codes arrive here)
    Simulator      http://127.0.0.1:$SIM_PORT/api/v2
    Operations     http://127.0.0.1:$API_PORT/metrics  /readyz  /openapi.json
    Redis          redis-cli -s $DEV/redis.sock   (keys start with rh:)
    Logs           $DEV/{redis,maildev,simulator,server}.log

  In another terminal (the CLI talks to http://127.0.0.1:$API_PORT by default):
    ./target/debug/redis-hack register --email you@example.com --state "Bihar" --district "Patna"
    # read the code at http://127.0.0.1:$WEB_PORT, then:
    ./target/debug/redis-hack verify --email you@example.com --code CODE
    ./target/debug/redis-hack subscribe --state "Bihar" --district "Gaya" --age 18
    ./target/debug/redis-hack list
    ./target/debug/redis-hack slots
    # --help on any command lists its options

  The simulator opens a slot in Patna (district 97) every 45 s and the server polls it
  every 10 s, so after verifying you will see alert emails arrive in the mail catcher.

  Publisher openings (the dev key is dev-publisher-key-change-me):
    ./target/debug/redis-hack subscribe --topic cs101
    curl -X POST http://127.0.0.1:$API_PORT/v1/topics/cs101/openings \\
      -H 'Authorization: Bearer dev-publisher-key-change-me' -H 'content-type: application/json' \\
      -d '{"id": "seat-1", "title": "CS101, 1 seat", "capacity": 1}'

  Ctrl-C stops everything. The server's log follows.

MSG

# Follow the server's log, and return as soon as any service dies, so a crash
# is reported instead of leaving a half-working stack.
service_pids=("${STARTED_PIDS[@]}")
service_names=("${STARTED_NAMES[@]}")
tail -n +1 -f "$DEV/server.log" {LOCK_FD}>&- &
STARTED_PIDS+=($!)
STARTED_NAMES+=("the log follower")
wait -n "${service_pids[@]}" || true
for i in "${!service_pids[@]}"; do
  kill -0 "${service_pids[$i]}" 2>/dev/null || die "${service_names[$i]} exited unexpectedly; its log: $DEV/${service_names[$i]}.log"
done
die "a service exited unexpectedly; logs are in $DEV"
