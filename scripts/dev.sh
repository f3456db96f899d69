#!/usr/bin/env bash
# The one command that brings up the dev stack on a Debian/Ubuntu machine with
# Rust, without Docker: Redis with RedisJSON (socket under .cache/dev), maildev
# (web UI http://127.0.0.1:1080, SMTP 127.0.0.1:1025), the CoWIN simulator
# (127.0.0.1:8090) and redis-hack-server (127.0.0.1:8080). DEV_PORT_BASE=N
# moves all four ports: the API on N, maildev's web UI on N+1, its SMTP server
# on N+2 and the simulator on N+3 (the run directory is then .cache/dev-N, so
# two stacks can run side by side). It stays in the foreground, showing the
# server's log; Ctrl-C, a closed output pipe (`| tee` that dies) or a hang-up
# stops everything it started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

if [ -n "${DEV_PORT_BASE:-}" ]; then
  [[ "$DEV_PORT_BASE" =~ ^[1-9][0-9]*$ ]] && [ "$DEV_PORT_BASE" -ge 1024 ] && [ "$DEV_PORT_BASE" -le 65532 ] \
    || die "DEV_PORT_BASE must be a port from 1024 to 65532 (the stack uses it and the next three), not '$DEV_PORT_BASE'"
  API_PORT="$DEV_PORT_BASE" WEB_PORT=$((DEV_PORT_BASE + 1)) SMTP_PORT=$((DEV_PORT_BASE + 2)) SIM_PORT=$((DEV_PORT_BASE + 3))
  DEV="$CACHE/dev-$DEV_PORT_BASE"
else
  API_PORT=8080 WEB_PORT=1080 SMTP_PORT=1025 SIM_PORT=8090
  DEV="$CACHE/dev"
fi
# A debug build: it shares artifacts with the tests and rebuilds in seconds.
BIN="$TARGET_DIR/debug"

# Writing to a closed pipe (`dev.sh | tee log` after tee died) must not kill
# this shell half-way through stopping what it started: writes just fail (say
# ignores that), and the log follower's exit below notices the closed pipe.
# The services ignore SIGPIPE themselves, so inheriting this changes nothing.
trap '' PIPE
trap stop_started EXIT
trap 'say "stopping the dev stack"; exit 0' INT TERM
trap 'exit 129' HUP

# Fixed ports, so fail before building anything when one is taken.
for spec in "$API_PORT:redis-hack-server" "$WEB_PORT:maildev's web UI" \
  "$SMTP_PORT:maildev's SMTP server" "$SIM_PORT:the CoWIN simulator"; do
  port="${spec%%:*}"
  port_taken "$port" && die "port $port (for ${spec#*:}) is already in use on 127.0.0.1; stop whatever holds it (ss -ltnp 'sport = :$port') or move all four ports with DEV_PORT_BASE=N (N to N+3)"
done

ensure_base_tools
ensure_rejson
ensure_maildev

# Built once up front, then the binaries are run directly (not via `cargo
# run`) so the pids we stop are the services themselves.
# The same package selection as scripts/test.sh, so neither rebuilds what the
# other built (another selection can unify dependency features differently).
say "building the server, the simulator and the CLI (debug; the first build takes a few minutes)"
cargo build --workspace "${BINS[@]}" || die "the build failed (see above)"

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

if [ "$API_PORT" = 8080 ]; then
  CLI_SERVER=" (the CLI talks to http://127.0.0.1:8080 by default)"
else
  CLI_SERVER=", after export REDIS_HACK_SERVER=http://127.0.0.1:$API_PORT"
fi
cat <<MSG || true

  redis-hack is up.
    API            http://127.0.0.1:$API_PORT
    Mail catcher   http://127.0.0.1:$WEB_PORT   (your one-time codes arrive here; SMTP on 127.0.0.1:$SMTP_PORT)
    Simulator      http://127.0.0.1:$SIM_PORT/api/v2
    Operations     http://127.0.0.1:$API_PORT/metrics  /readyz  /openapi.json
    Redis          redis-cli -s $DEV/redis.sock   (keys start with rh:)
    Logs           $DEV/{redis,maildev,simulator,server}.log

  In another terminal$CLI_SERVER:
    ./target/debug/redis-hack register --email you@example.com --state "Bihar" --district "Patna"
    # read the code at http://127.0.0.1:$WEB_PORT, then:
    ./target/debug/redis-hack verify --email you@example.com --code CODE
    ./target/debug/redis-hack subscribe --state "Bihar" --district "Gaya" --age 18
    ./target/debug/redis-hack subscribe --pincode 800001 --age 18 --dose 1 --fee free
    ./target/debug/redis-hack list
    ./target/debug/redis-hack slots
    # --help on any command lists its options

  The simulator opens a slot in Patna (district 97; its first centre is pincode 800001)
  every 45 s and the server polls it every 10 s, so after verifying you will see alert
  emails arrive in the mail catcher.

  Publisher openings (the dev key is dev-publisher-key-change-me):
    ./target/debug/redis-hack subscribe --topic cs101
    curl -X POST http://127.0.0.1:$API_PORT/v1/topics/cs101/openings \\
      -H 'Authorization: Bearer dev-publisher-key-change-me' -H 'content-type: application/json' \\
      -d '{"id": "seat-1", "title": "CS101, 1 seat", "capacity": 1}'

  Ctrl-C stops everything. The server's log follows.

MSG

# Follow the server's log, and return as soon as any service dies, or the
# follower does (its output, e.g. a `| tee`, went away), so a crash is
# reported instead of leaving a half-working stack.
service_pids=("${STARTED_PIDS[@]}")
service_names=("${STARTED_NAMES[@]}")
tail -n +1 -f "$DEV/server.log" {LOCK_FD}>&- &
follower=$!
STARTED_PIDS+=("$follower")
STARTED_NAMES+=("the log follower")
wait -n "${service_pids[@]}" "$follower" || true
for i in "${!service_pids[@]}"; do
  is_running "${service_pids[$i]}" || die "${service_names[$i]} exited unexpectedly; its log: $DEV/${service_names[$i]}.log"
done
is_running "$follower" || {
  say "the output closed (a pipe reader such as tee exited); stopping the dev stack"
  exit 141
}
die "a service exited unexpectedly; logs are in $DEV"
