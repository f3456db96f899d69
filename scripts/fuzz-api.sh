#!/usr/bin/env bash
# Schemathesis against the real server, as part of scripts/test.sh (which
# sets TEST_REDIS_URL, TEST_SMTP_URL and TEST_MAILDEV_URL and builds the
# binaries first). Starts the simulator and `redis-hack-server all` on free
# ports with their own key prefix, lets schemathesis generate requests for
# every operation in GET /openapi.json, and fails unless every check passed
# and at least FUZZ_MIN_CASES (1,000) cases ran.
#
# Checks: all of schemathesis's (no 5xx; status codes, content types, headers
# and bodies conform to the document; schema-violating requests are refused;
# missing auth is a 401; ...) except positive_data_acceptance, which expects
# every schema-valid request to succeed: a valid district id that does not
# exist, or a pincode and a topic in one subscription, are schema-valid and
# rightly refused. The live feed (GET /v1/events) is left out: with a token
# its answer never ends, so every case would only time out. Hooks (scripts/schemathesis/hooks.py) sign a user up
# through register, the mail and verify to get a real token.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

: "${TEST_REDIS_URL:?run this through scripts/test.sh, which starts Redis and sets TEST_REDIS_URL}"
: "${TEST_SMTP_URL:?run this through scripts/test.sh, which starts maildev and sets TEST_SMTP_URL}"
: "${TEST_MAILDEV_URL:?run this through scripts/test.sh, which starts maildev and sets TEST_MAILDEV_URL}"
MIN_CASES="${FUZZ_MIN_CASES:-1000}"
EXAMPLES="${FUZZ_MAX_EXAMPLES:-80}"
SEED="${FUZZ_SEED:-$(date +%s)}"
RUN="$CACHE/fuzz-run"
BIN="$TARGET_DIR/debug"
KEY="fuzz-publisher-key-$(date +%s%N)"

ensure_schemathesis
trap stop_started EXIT
stop_stale "$RUN"
rm -rf "$RUN"
mkdir -p "$RUN"

sim_port="$(free_port)"
start_bg fuzz-simulator "$RUN/simulator.log" "$RUN" env SIM_BIND_ADDR="127.0.0.1:$sim_port" SIM_RATE_LIMIT=off \
  "$BIN/cowin-sim"
wait_until "the simulator" "$STARTED_PID" "$RUN/simulator.log" \
  curl -fsS -o /dev/null "http://127.0.0.1:$sim_port/api/v2/admin/location/states"
api_port="$(free_port)"
start_bg fuzz-server "$RUN/server.log" "$RUN" env BIND_ADDR="127.0.0.1:$api_port" \
  REDIS_URL="$TEST_REDIS_URL" REDIS_KEY_PREFIX="fuzz$(date +%s):" SMTP_URL="$TEST_SMTP_URL" \
  COWIN_API_URL="http://127.0.0.1:$sim_port/api/v2" RATE_LIMIT_IP_PER_HOUR=1000000 VERIFY_LIMIT_IP_PER_HOUR=1000000 \
  PUBLISHER_KEYS="$KEY" LOG=warn "$BIN/redis-hack-server" all
wait_until "redis-hack-server" "$STARTED_PID" "$RUN/server.log" \
  curl -fsS -o /dev/null "http://127.0.0.1:$api_port/readyz"

say "schemathesis $SCHEMATHESIS_VERSION: up to $EXAMPLES cases per operation, seed $SEED (FUZZ_SEED=$SEED repeats this run)"
status=0
cd "$RUN" # schemathesis keeps a .schemathesis/ folder in its working directory
RH_FUZZ_BASE="http://127.0.0.1:$api_port" RH_FUZZ_MAILDEV="$TEST_MAILDEV_URL" RH_FUZZ_PUBLISHER_KEY="$KEY" \
  SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$REPO/scripts/schemathesis" \
  "$SCHEMATHESIS" run "http://127.0.0.1:$api_port/openapi.json" \
  --checks all --exclude-checks positive_data_acceptance \
  --exclude-path /v1/events \
  --max-examples "$EXAMPLES" --seed "$SEED" --workers 2 --no-color \
  --request-timeout 20 --generation-database none \
  --report junit --report-junit-path "$RUN/junit.xml" </dev/null | tee "$RUN/schemathesis.log" || status=$?

cases="$(sed -n 's/^ *\([0-9][0-9]*\) generated.*/\1/p' "$RUN/schemathesis.log" | tail -n1)"
[ "$status" -eq 0 ] || die "schemathesis found problems (above; the server's log: $RUN/server.log)"
[ -n "$cases" ] || die "could not read how many cases schemathesis ran (its output: $RUN/schemathesis.log)"
[ "$cases" -ge "$MIN_CASES" ] || die "schemathesis ran only $cases cases; at least $MIN_CASES are required"
say "schemathesis: $cases cases against every operation, all checks passed"
