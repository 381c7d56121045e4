# shellcheck shell=bash
# Sourced by the scripts that test `engine serve` as a process: a temporary directory, replicas
# on free loopback ports, waiting until they answer, and stopping every process on exit.
#
#   set -euo pipefail
#   source "$(dirname "$0")/../lib/serve_process.sh"
#   begin_serve_test models/stories260K.bin "$@"            # sets ROOT, ENGINE, MODEL, TMP
#   start_serve "$ENGINE" "$TMP/a.log" -m "$MODEL"          # sets SERVE_PID, SERVE_PORT
#   wait_healthy "$SERVE_PORT"
#
# Processes the script starts itself it appends to STARTED_PIDS, to be stopped with the rest.

STARTED_PIDS=()

# begin_serve_test DEFAULT_MODEL [ENGINE [MODEL]]: ROOT (the source tree), ENGINE (default
# build/bin/engine) and MODEL (default DEFAULT_MODEL, under ROOT) as absolute paths; the
# temporary directory TMP, which on exit (or SIGINT/SIGTERM) is removed after every started
# process is stopped.
# shellcheck disable=SC2034 # ENGINE and MODEL are for the sourcing script
begin_serve_test() {
  ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  ENGINE=$(realpath "${2:-$ROOT/build/bin/engine}")
  MODEL=$(realpath "${3:-$ROOT/$1}")
  TMP=$(mktemp -d)
  trap end_serve_test EXIT
  trap 'exit 130' INT TERM
}

end_serve_test() {
  stop_started
  rm -rf "$TMP"
}

# Kills every process these helpers (or the caller, by appending to STARTED_PIDS) started.
stop_started() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${STARTED_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  STARTED_PIDS=()
}

# start_serve ENGINE LOG ARGS...: `ENGINE serve --port 0 ARGS` in the background, its log in
# LOG; sets SERVE_PID and SERVE_PORT (the port it logs that it listens on).
start_serve() {
  local engine=$1 log=$2
  shift 2
  "$engine" serve --port 0 "$@" </dev/null 2>"$log" &
  SERVE_PID=$!
  STARTED_PIDS+=("$SERVE_PID")
  SERVE_PORT=""
  local tries
  for ((tries = 0; tries < 300; ++tries)); do
    SERVE_PORT=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
    [[ -n $SERVE_PORT ]] && return 0
    if ! kill -0 "$SERVE_PID" 2>/dev/null; then
      echo "engine serve exited before listening:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "engine serve logged no port within 30 s:" >&2
  cat "$log" >&2
  return 1
}

# wait_healthy PORT [SECONDS]: until GET /health answers 200 (the model is loaded), at most
# SECONDS (default 120).
wait_healthy() {
  local port=$1 seconds=${2:-120} tries
  for ((tries = 0; tries < seconds * 10; ++tries)); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
            "http://127.0.0.1:$port/health") == 200 ]]; then
      return 0
    fi
    sleep 0.1
  done
  echo "http://127.0.0.1:$port/health did not answer 200 within $seconds s" >&2
  return 1
}
