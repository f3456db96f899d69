#!/usr/bin/env bash
# Brings up the whole dev stack on this machine, without Docker: Redis with
# RedisJSON (on a socket under .cache/dev), maildev (SMTP 127.0.0.1:1025, web
# http://127.0.0.1:1080), the CoWIN simulator (127.0.0.1:8090) and the server
# (127.0.0.1:8080). Stays in the foreground; Ctrl-C stops everything.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"
trap stop_started EXIT
trap 'exit 0' INT TERM

SMTP_PORT=1025 WEB_PORT=1080 SIM_PORT=8090 API_PORT=8080
for spec in "$SMTP_PORT:maildev SMTP" "$WEB_PORT:maildev web UI" "$SIM_PORT:CoWIN simulator" "$API_PORT:redis-hack-server"; do
  port_taken "${spec%%:*}" && die "port ${spec%%:*} (for the ${spec#*:}) is already in use; stop whatever holds it"
done

ensure_base_tools
ensure_rejson
ensure_maildev

say "building the server, the simulator and the CLI (debug build: fast to rebuild while developing)"
cargo build --quiet -p redis-hack-server -p cowin-sim -p redis-hack

DEV="$CACHE/dev"
mkdir -p "$DEV"
say "starting Redis with RedisJSON on $DEV/redis.sock (data lives only as long as this script)"
start_redis "$DEV"
say "starting maildev"
start_maildev "$SMTP_PORT" "$WEB_PORT" "$DEV/maildev.log"

say "starting the CoWIN simulator"
SIM_BIND_ADDR="127.0.0.1:$SIM_PORT" ./target/debug/cowin-sim >"$DEV/simulator.log" 2>&1 &
STARTED_PIDS+=($!)
wait_for "the CoWIN simulator" "$DEV/simulator.log" curl -fsS "http://127.0.0.1:$SIM_PORT/api/v2/admin/location/states"

say "starting redis-hack-server"
BIND_ADDR="127.0.0.1:$API_PORT" \
  REDIS_URL="redis+unix://$DEV/redis.sock" \
  REDIS_KEY_PREFIX="rh:" \
  SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" \
  MAIL_FROM="redis-hack <alerts@localhost>" \
  PUBLIC_URL="http://127.0.0.1:$API_PORT" \
  COWIN_API_URL="http://127.0.0.1:$SIM_PORT/api/v2" \
  ./target/debug/redis-hack-server > >(tee "$DEV/server.log") 2>&1 &
STARTED_PIDS+=($!)
wait_for "redis-hack-server" "$DEV/server.log" curl -fsS "http://127.0.0.1:$API_PORT/healthz"

cat <<MSG

  redis-hack is up.
    API            http://127.0.0.1:$API_PORT   (server log: $DEV/server.log)
    Mail catcher   http://127.0.0.1:$WEB_PORT   (your codes arrive here)
    Simulator      http://127.0.0.1:$SIM_PORT/api/v2

  In another terminal:
    export PATH="$REPO/target/debug:\$PATH"
    redis-hack register --email you@example.com --state "Bihar" --district "Patna"
    redis-hack verify --email you@example.com --code CODE      # CODE from http://127.0.0.1:$WEB_PORT
    redis-hack subscribe --pincode 800001 --age 18
    redis-hack list

  Ctrl-C stops everything.
MSG
wait
