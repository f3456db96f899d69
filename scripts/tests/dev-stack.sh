#!/usr/bin/env bash
# scripts/tests/dev-stack.sh: `bash scripts/dev.sh | tee LOG`, as a person
# runs it, stops everything it started when
#   1. Ctrl-C: SIGINT to its whole process group (dev.sh, tee and the
#      services alike), with stderr in the pipe too, so dev.sh cleans up while
#      writing into a pipe whose reader (tee) just died (SIGPIPE);
#   2. the pipe closes: tee alone is killed while the stack runs.
# Each case runs the real dev stack on four free ports (DEV_PORT_BASE) in a
# session and process group of its own, waits for /readyz, and checks that no
# process of that group (dev.sh, Redis, maildev, the simulator, the server, the
# log follower) is left, within a bounded wait. Run by scripts/test.sh after
# the build (dev.sh's own build is then a no-op); needs no stdin.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
cd "$REPO"

READY_SECS="${DEV_STACK_READY_SECS:-300}" # dev.sh may have to build first when run alone
STOP_SECS=60                               # a clean stop takes a few seconds; SIGKILL comes after 10 s
PASSED=0
GROUP=""
BASE=""

# free_base: a port N with N..N+3 all free.
free_base() {
  python3 - <<'PY'
import random, socket, sys
for _ in range(200):
    base = random.randrange(20000, 60000)
    socks = []
    try:
        for p in range(base, base + 4):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    sys.exit(0)
sys.exit("no four consecutive free ports found")
PY
}

# members PGID: the pids in process group PGID (from /proc; no procps needed).
members() {
  local want="$1" f line rest
  for f in /proc/[0-9]*/stat; do
    { read -r line <"$f"; } 2>/dev/null || continue
    rest="${line##*) }" # after the command name, which may hold spaces
    # shellcheck disable=SC2086 # split into the stat fields on purpose
    set -- $rest
    if [ "$1" != Z ] && [ "$3" = "$want" ]; then
      f="${f#/proc/}"
      echo "${f%/stat}"
    fi
  done
}
group_alive() { [ -n "$(members "$1")" ]; }
describe() { # describe PID...: pid and command line, for failure messages
  local p
  for p in "$@"; do
    echo "  $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
  done
}

# Whatever fails, leave nothing behind: SIGKILL what is left of the group.
cleanup() {
  if [ -n "$GROUP" ] && group_alive "$GROUP"; then
    kill -KILL -- "-$GROUP" 2>/dev/null || true
  fi
  [ -z "$BASE" ] || rm -rf "$CACHE/dev-$BASE" "$CACHE/dev-$BASE.lock"
}
trap cleanup EXIT

# start_stack NAME COMMAND: run COMMAND (a bash -c string using $STACK_LOG)
# with DEV_PORT_BASE set, as a job of its own (job control puts it in a new
# process group, as a terminal does), and wait for the API's /readyz. Sets
# GROUP, BASE and STACK_LOG.
start_stack() {
  local name="$1" command="$2" deadline
  BASE="$(free_base)"
  STACK_LOG="$(mktemp "${TMPDIR:-/tmp}/dev-stack.XXXXXX")"
  say "$name: DEV_PORT_BASE=$BASE bash scripts/dev.sh ... (output in $STACK_LOG)"
  set -m
  DEV_PORT_BASE="$BASE" STACK_LOG="$STACK_LOG" bash -c "$command" </dev/null >/dev/null 2>&1 &
  GROUP=$! # the job's process group is its first process's pid
  set +m
  deadline=$((SECONDS + READY_SECS))
  until curl -fsS -o /dev/null "http://127.0.0.1:$BASE/readyz" 2>/dev/null; do
    if ! group_alive "$GROUP"; then
      tail -n 30 "$STACK_LOG" >&2 || true
      die "$name: the dev stack exited before it was ready (its output above, in $STACK_LOG)"
    fi
    [ "$SECONDS" -lt "$deadline" ] || {
      tail -n 30 "$STACK_LOG" >&2 || true
      die "$name: the dev stack was not ready on http://127.0.0.1:$BASE/readyz within $READY_SECS s (log $STACK_LOG)"
    }
    sleep 0.5
  done
  local f
  for f in redis maildev simulator server; do
    [ -f "$CACHE/dev-$BASE/$f.pid" ] || die "$name: dev.sh wrote no $CACHE/dev-$BASE/$f.pid"
  done
  say "$name: ready; $(members "$GROUP" | wc -l) processes in its group"
}

# expect_all_stopped NAME: within STOP_SECS nothing of the group is left.
expect_all_stopped() {
  local name="$1" deadline=$((SECONDS + STOP_SECS)) left
  while group_alive "$GROUP"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      # shellcheck disable=SC2046 # one pid per word
      left="$(describe $(members "$GROUP"))"
      die "$name: still running $STOP_SECS s later:
$left"
    fi
    sleep 0.2
  done
  local f
  for f in "$CACHE/dev-$BASE"/*.pid; do
    [ -e "$f" ] && die "$name: $f is left behind"
  done
  say "$name: everything stopped"
  PASSED=$((PASSED + 1))
  rm -f "$STACK_LOG"
  rm -rf "$CACHE/dev-$BASE" "$CACHE/dev-$BASE.lock"
  GROUP="" BASE=""
}

# 1. Ctrl-C in the terminal: SIGINT to the foreground process group.
start_stack "Ctrl-C under | tee" 'bash scripts/dev.sh 2>&1 | tee "$STACK_LOG"'
kill -INT -- "-$GROUP"
expect_all_stopped "Ctrl-C under | tee"

# 2. The reader of the pipe goes away on its own.
start_stack "tee killed" 'bash scripts/dev.sh 2>"$STACK_LOG.err" | tee "$STACK_LOG"'
tee_pid="$(members "$GROUP" | while read -r p; do
  if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = tee ]; then echo "$p"; fi
done)"
[ -n "$tee_pid" ] || die "tee killed: no tee in the stack's process group"
kill -TERM "$tee_pid"
err="$STACK_LOG.err"
expect_all_stopped "tee killed"
grep -q "the output closed" "$err" || die "tee killed: dev.sh did not say why it stopped; its stderr: $(cat "$err")"
rm -f "$err"

say "dev-stack tests: $PASSED passed"
