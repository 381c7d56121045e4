#!/usr/bin/env python3
"""Bounded load test for `engine serve`: many streaming clients for a fixed time.

Each client streams greedy completions one after another until the time is up. Every response
must equal its prompt's own `engine generate` output (run once beforehand, one prompt at a time,
on the same model), so a lost, cut or mixed-up stream shows as a mismatch; the only status
allowed besides 200 is the documented 503 (queue full, with Retry-After). With --pid it samples
the server's resident memory and reports the first, largest and last samples.

  engine serve --parallel 8 --port 8080 &
  tools/load_serve.py --engine build/bin/engine --url http://127.0.0.1:8080 --clients 64 \
      --seconds 30 --pid $!

Standard library only. Exits 1 on any mismatch or unexpected status, else 0.
"""
import argparse
import concurrent.futures
import functools
import http.client
import json
import subprocess
import threading
import time
import urllib.parse

PROMPTS = ["Once upon a time", "Lily and Ben went to the park", "The little dog",
           "Tom had a red ball. He", "One day, a girl named Sue", "The sun was hot and"]


def expected_texts(args):
    """Each prompt's greedy text from `engine generate`, one prompt per batch."""
    command = [args.engine, "generate", "--json", "-b", "1", "--temperature", "0",
               "-n", str(args.max_tokens)]
    if args.model:
        command += ["-m", args.model]
    for prompt in PROMPTS:
        command += ["-p", prompt]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    results = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {r["prompt"]: r["text"] for r in results}


def stream_text(url, prompt, max_tokens, timeout, api_key):
    """(status, text, Retry-After) of one streamed completion."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    body = {"prompt": prompt, "max_tokens": max_tokens, "temperature": 0, "stream": True}
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = "Bearer " + api_key
    conn.request("POST", "/v1/completions", body=json.dumps(body), headers=headers)
    response = conn.getresponse()
    if response.status != 200:
        response.read()
        conn.close()
        return response.status, None, response.getheader("Retry-After")
    text, done = "", False
    for raw in response:
        line = raw.decode("utf-8").strip()
        if line == "data: [DONE]":
            done = True
        elif line.startswith("data: "):
            choices = json.loads(line[6:])["choices"]
            if choices:
                text += choices[0]["text"]
    conn.close()
    return (200 if done else -1), text, None


def resident_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="build/bin/engine")
    parser.add_argument("--model", default="", help="the served model (default: engine's)")
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=120, help="seconds per request")
    parser.add_argument("--pid", type=int, default=0, help="the server's process, for memory")
    parser.add_argument("--api-key", default="", help="sent as 'Authorization: Bearer KEY'")
    parser.add_argument("--no-503", action="store_true",
                        help="fail on a 503 too (a balancer in front retries another replica)")
    args = parser.parse_args()

    expected = expected_texts(args)
    lock = threading.Lock()
    statuses, mismatches, retry_after_missing = {}, [], [0]
    deadline = time.monotonic() + args.seconds

    def client(index):
        k = 0
        while time.monotonic() < deadline:
            prompt = PROMPTS[(index + k) % len(PROMPTS)]
            k += 1
            status, text, retry_after = stream_text(args.url, prompt, args.max_tokens,
                                                    args.timeout, args.api_key)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200 and text != expected[prompt]:
                    mismatches.append((prompt, text))
                if status == 503 and retry_after is None:
                    retry_after_missing[0] += 1
            if status == 503:
                time.sleep(0.05)

    memory = []

    def sample_memory():
        while time.monotonic() < deadline:
            memory.append(resident_kb(args.pid))
            time.sleep(1)

    workers = [functools.partial(client, i) for i in range(args.clients)]
    if args.pid:
        workers.append(sample_memory)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(workers)) as pool:
        list(pool.map(lambda work: work(), workers))  # re-raises a worker's exception
    wall = time.monotonic() - start

    ok = statuses.get(200, 0)
    allowed = (200,) if args.no_503 else (200, 503)
    unexpected = {s: n for s, n in statuses.items() if s not in allowed}
    print(f"clients {args.clients}, {wall:.1f} s: statuses {statuses}, "
          f"{ok / wall:.1f} responses/s, mismatches {len(mismatches)}, "
          f"503 without Retry-After {retry_after_missing[0]}")
    if memory:
        quarters = [memory[min(len(memory) - 1, len(memory) * q // 4)] / 1024 for q in range(5)]
        print("resident memory (MB) at 0, 1/4, 1/2, 3/4 and the end: "
              + ", ".join(f"{m:.1f}" for m in quarters) + f"; largest {max(memory) / 1024:.1f}")
    for prompt, text in mismatches[:3]:
        print(f"mismatch for {prompt!r}: got {text!r}, want {expected[prompt]!r}")
    failed = mismatches or unexpected or retry_after_missing[0] or ok == 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
