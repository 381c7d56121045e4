#!/usr/bin/env bash
# The official OpenAI client against `engine serve`: installs the pinned `openai` npm package
# (package-lock.json here) into a temporary directory, starts the server on a free loopback port
# with an API key, and runs openai_client_test.mjs under Node (20 or later) against it.
#
#   tools/interop/run_openai_client_test.sh [ENGINE [MODEL]]
#
# ENGINE defaults to build/bin/engine; MODEL to models/families/phi3-style-f32.gguf (a tiny
# GGUF with a chat template). Needs node, npm (with the registry reachable) and curl. Exits
# non-zero if any check fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/lib/serve_process.sh
source "$here/../lib/serve_process.sh"

begin_serve_test models/families/phi3-style-f32.gguf "$@"
cp "$here/package.json" "$here/package-lock.json" "$here/openai_client_test.mjs" "$TMP/"
(cd "$TMP" && timeout 300 npm ci --no-audit --no-fund --loglevel=error </dev/null)

key="interop-$RANDOM$RANDOM"
start_serve "$ENGINE" "$TMP/serve.log" -m "$MODEL" --alias interop-model --api-key "$key" \
  --parallel 2 --timeout 120
wait_healthy "$SERVE_PORT"

status=0
(cd "$TMP" && timeout 300 node openai_client_test.mjs "$ENGINE" "$MODEL" \
  "http://127.0.0.1:$SERVE_PORT/v1" "$key" interop-model </dev/null) || status=$?
if ((status != 0)); then
  echo "== engine serve log" >&2
  cat "$TMP/serve.log" >&2
fi
exit "$status"
