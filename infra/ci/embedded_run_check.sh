#!/usr/bin/env bash
# Boots the README's run command with no DATABASE_URL/REDIS_URL on an empty data folder, waits for
# /health, calls the API with the printed demo token, stops it as a terminal's Ctrl-C does (SIGINT to
# the whole foreground process group); then does it again on the same folder, stopped with SIGTERM to
# the run command alone (a service manager), and checks that the data was reused, not seeded anew.
# Either way, no process of the run (its group, and every child it started) may be alive a few seconds
# after the run command exits.
set -euo pipefail
cd "$(dirname "$0")/../.."
data_dir=$(mktemp -d /tmp/crosswalk-ci.XXXXXX)
port=${RUN_CHECK_PORT:-18123}
export DEMO_IDP_PORT=${RUN_CHECK_IDP_PORT:-18124}
# How long after the run command exits every process it started must be gone.
gone_within=5
trap 'rm -rf "$data_dir"' EXIT

descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1"); do
    echo "$child"
    descendants "$child"
  done
}

alive_of() {
  # The pids among "$@" that are still running (a zombie has exited).
  local pid
  for pid in "$@"; do
    local state
    state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
    if [ -n "$state" ] && [ "${state:0:1}" != "Z" ]; then echo "$pid"; fi
  done
}

boot() {
  local log=$1 stop=$2
  # A process group of its own, as a shell gives a foreground command: Ctrl-C signals the whole group.
  env -u DATABASE_URL -u REDIS_URL DATA_DIR="$data_dir" PORT=$port setsid python3 infra/dev.py run >"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do
    if curl -sf "http://127.0.0.1:$port/health" >/dev/null; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "run command died:"; cat "$log"; exit 1; fi
    sleep 1
  done
  curl -sf "http://127.0.0.1:$port/health" >/dev/null || { echo "no /health after 300 s"; cat "$log"; exit 1; }
  curl -sf "http://127.0.0.1:$port/ready" | grep -q '"status":"ok"' || { echo "/ready is not ok"; cat "$log"; exit 1; }
  local token
  token=$(grep -A1 "demo HR admin token" "$log" | tail -n1)
  local count
  local body
  body=$(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/employees?limit=200")
  count=$(printf '%s' "$body" | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("items", [])))') \
    || { echo "the API did not answer with employees: $body"; cat "$log"; exit 1; }
  [ "$count" -ge 100 ] || { echo "expected the demo employees, got $count"; cat "$log"; exit 1; }
  # Single sign-on through the demo's local OpenID provider, as the HR admin the log names.
  local hr
  hr=$(grep "(HR admin)" "$log" | awk '{print $1}')
  [ -n "$hr" ] || { echo "the run did not start the demo's SSO"; cat "$log"; exit 1; }
  local signed_in
  signed_in=$(.venv/bin/python infra/ci/demo_sso_login.py "http://127.0.0.1:$port" "$hr" 2>&1) \
    || { echo "demo SSO sign-in failed: $signed_in"; cat "$log"; exit 1; }
  printf '%s\n' "$signed_in" | grep -q "hr_admin" || { echo "demo SSO gave no HR role: $signed_in"; exit 1; }
  echo "$signed_in"
  # The consultants' console, with sign-in through the same local provider.
  curl -sf "http://127.0.0.1:$port/admin/login" | grep -q "Sign in with the platform" \
    || { echo "the console's sign-in page does not offer the identity provider"; cat "$log"; exit 1; }
  grep -q "console: http://127.0.0.1:$port/admin" "$log" || { echo "the run did not print the console"; cat "$log"; exit 1; }
  # A background job through the run's own worker: every training plan of the demo company.
  local job
  job=$(curl -sf -X POST -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/training-plans/recompute" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') || { echo "could not start a job"; cat "$log"; exit 1; }
  local status=""
  for _ in $(seq 1 120); do
    status=$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/jobs/$job" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    [ "$status" = "succeeded" ] || [ "$status" = "failed" ] && break
    sleep 1
  done
  [ "$status" = "succeeded" ] || { echo "the run's worker did not run job $job: $status"; cat "$log"; exit 1; }
  echo "job $job ran in the run's worker"
  [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ] || { echo "the run is not in a process group of its own"; exit 1; }
  local children
  children=$(descendants "$pid")
  if [ "$stop" = "ctrl-c" ]; then
    kill -INT -- "-$pid"  # what a terminal's Ctrl-C does: SIGINT to every process of the foreground group
  else
    kill -TERM "$pid"
  fi
  wait "$pid" || { echo "run command did not stop cleanly on $stop"; cat "$log"; exit 1; }
  local left=""
  for _ in $(seq 1 $((gone_within * 10))); do
    # shellcheck disable=SC2046,SC2086 - word splitting joins the pids on one line
    left=$(echo $(pgrep -g "$pid" || true) $(alive_of $children))
    [ -z "$left" ] && break
    sleep 0.1
  done
  if [ -n "$left" ]; then
    echo "processes outlived the run by ${gone_within} s after $stop:"; ps -o pid,pgid,args -p "${left// /,}" || true
    # shellcheck disable=SC2086
    kill -KILL -- "-$pid" $left 2>/dev/null || true
    cat "$log"; exit 1
  fi
  if pgrep -f "$data_dir" >/dev/null; then echo "servers left running:"; pgrep -af "$data_dir"; exit 1; fi
  echo "run command served $count demo employees on port $port and stopped cleanly on $stop"
}

first=$(mktemp); second=$(mktemp)
boot "$first" ctrl-c
grep -q "demo company: seeded" "$first" || { echo "first run did not seed the demo company"; cat "$first"; exit 1; }
boot "$second" sigterm
if grep -q "demo company: seeded\|skills catalogue: imported" "$second"; then
  echo "second run seeded again instead of reusing the data"; cat "$second"; exit 1
fi
echo "embedded run: OK (second run reused the data)"
