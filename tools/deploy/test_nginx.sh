#!/usr/bin/env bash
# tools/deploy/nginx.conf, tested: two `engine serve` replicas and nginx (its own prefix in a
# temporary directory, not the system service) on free loopback ports; 16 clients stream greedy
# completions through nginx for a few seconds. Every response must end with [DONE] and equal
# `engine generate` on its prompt (tools/load_serve.py), with no error status at all; both
# replicas must have served some (their /metrics); then, one replica stopped, requests through
# nginx must still all succeed on the other (passive health checks).
#
#   tools/deploy/test_nginx.sh [ENGINE [MODEL]]
#
# ENGINE defaults to build/bin/engine, MODEL to models/stories260K.bin. Needs nginx, curl and
# python3. Exits non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/lib/serve_process.sh
source "$here/../lib/serve_process.sh"
command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install nginx)" >&2; exit 1; }

begin_serve_test models/stories260K.bin "$@"
chmod 755 "$TMP"  # nginx's workers run as nobody when it is started as root

key="deploy-$RANDOM$RANDOM"
replica=(-m "$MODEL" --api-key "$key" --parallel 4 --queue 16 --timeout 120 -t 1)
start_serve "$ENGINE" "$TMP/a.log" "${replica[@]}"
port_a=$SERVE_PORT pid_a=$SERVE_PID
start_serve "$ENGINE" "$TMP/b.log" "${replica[@]}"
port_b=$SERVE_PORT
wait_healthy "$port_a"
wait_healthy "$port_b"

# The committed configuration with this run's ports.
port_nginx=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
mkdir "$TMP/nginx"
sed -e "s/127\.0\.0\.1:8081/127.0.0.1:$port_a/" -e "s/127\.0\.0\.1:8082/127.0.0.1:$port_b/" \
  -e "s/listen 127\.0\.0\.1:8080/listen 127.0.0.1:$port_nginx/" "$here/nginx.conf" \
  >"$TMP/nginx/nginx.conf"
nginx -p "$TMP/nginx" -e stderr -c "$TMP/nginx/nginx.conf" -g "daemon off;" </dev/null \
  2>"$TMP/nginx.log" &
STARTED_PIDS+=("$!")
wait_healthy "$port_nginx" 30 || { cat "$TMP/nginx.log" >&2; exit 1; }

# Completion responses (status 200) a replica has sent so far.
served() {
  curl -sf --max-time 10 -H "Authorization: Bearer $key" "http://127.0.0.1:$1/metrics" |
    sed -n 's/^engine_requests_total{status="200"} \([0-9]*\)$/\1/p'
}
before_a=$(served "$port_a") before_b=$(served "$port_b")

echo "== 16 streaming clients through nginx (port $port_nginx) to replicas $port_a and $port_b"
timeout 300 python3 "$ROOT/tools/load_serve.py" --engine "$ENGINE" --model "$MODEL" \
  --url "http://127.0.0.1:$port_nginx" --api-key "$key" --clients 16 --seconds 6 \
  --max-tokens 48 --timeout 60 --no-503 </dev/null | tee "$TMP/load.txt"
answered=$(sed -n 's/.*statuses {200: \([0-9]*\)}.*/\1/p' "$TMP/load.txt")

# The /metrics request that reads the count is itself counted once it is answered.
served_a=$(($(served "$port_a") - before_a - 1)) served_b=$(($(served "$port_b") - before_b - 1))
echo "replica $port_a served $served_a, replica $port_b served $served_b"
if ((served_a == 0 || served_b == 0)); then
  echo "FAIL: nginx did not balance over both replicas" >&2
  exit 1
fi
if ((served_a + served_b != answered)); then
  echo "FAIL: the replicas served $((served_a + served_b)) but the clients got $answered" >&2
  exit 1
fi

echo "== replica $port_a stopped: every request goes to $port_b"
kill "$pid_a"
wait "$pid_a" 2>/dev/null || true
before_b=$(served "$port_b")
for i in 1 2 3 4 5 6; do
  status=$(curl -s -o "$TMP/reply.json" -w '%{http_code}' --max-time 60 \
    -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
    -d '{"prompt": "Once upon a time", "max_tokens": 8}' \
    "http://127.0.0.1:$port_nginx/v1/completions")
  if [[ $status != 200 ]]; then
    echo "FAIL: request $i through nginx got $status with a replica down" >&2
    cat "$TMP/reply.json" "$TMP/nginx.log" >&2
    exit 1
  fi
done
served_b=$(($(served "$port_b") - before_b - 1))
if ((served_b != 6)); then
  echo "FAIL: replica $port_b served $served_b of the 6 requests" >&2
  exit 1
fi
echo "all 6 answered by replica $port_b"
echo "nginx test passed"
