#!/usr/bin/env python3
"""Load generator for `engine serve` (or any OpenAI-compatible /v1/completions).

For each concurrency C, C clients each stream requests one after another until R requests are
done, and it reports p50/p99 time to first token (TTFT), p50/p99 inter-token latency (ITL,
the gaps between streamed chunks), the aggregate decode tokens per second and that rate over the
first level's (list 1 first to read each level's speed-up over one stream), then the end-to-end
rate (all tokens over the level's wall time) and its ratio likewise.

Decode tok/s counts the tokens after each request's first over the time some request is
decoding (the union of the spans from a request's first token to its last chunk): the time
before a first token (connecting, queueing, the prompt's prefill) is TTFT's, reported on its
own, and would otherwise be charged to one stream R times in series but to C streams once per
round, which is not the decode rate either way.

  tools/bench_serve.py --url http://127.0.0.1:8080 --concurrency 1,4,8,16 --requests 64

With --join N it measures instead what a request waits while N others stream: its time to
first token alone on the idle server (the prompt's prefill), then N streams of --max-tokens
each and, once all of them stream, --requests requests joining one after another; it reports
their TTFT against the bound of its alone TTFT plus two decode steps (the streams' ITL p50).

  tools/bench_serve.py --url http://127.0.0.1:8080 --join 7 --requests 8 --max-tokens 512

Standard library only. Every request has a timeout; the run is bounded by R per concurrency.
"""
import argparse
import http.client
import json
import statistics
import threading
import time
import urllib.parse


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def stream_one(url, body, headers, timeout, on_first=None):
    """One streamed completion: (ttft seconds, chunk gaps, completion tokens, status, decoding
    span: (time of the first token, time of the last chunk) or None); on_first() is called at the
    first token."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    start = time.perf_counter()
    conn.request("POST", "/v1/completions", body=json.dumps(body), headers=headers)
    response = conn.getresponse()
    if response.status != 200:
        response.read()
        conn.close()
        return None, [], 0, response.status, None
    ttft, gaps, tokens, last, first, end = None, [], 0, None, None, None
    for raw in response:  # http.client undoes the chunking; SSE events are lines
        line = raw.decode("utf-8", "replace").strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        now = time.perf_counter()
        if chunk["choices"] and chunk["choices"][0].get("finish_reason"):
            end = now
        if chunk.get("usage"):
            tokens = chunk["usage"]["completion_tokens"]
        if not chunk["choices"] or not chunk["choices"][0]["text"]:
            continue
        if ttft is None:
            ttft, first = now - start, now
            if on_first:
                on_first()
        else:
            gaps.append(now - last)
        last = now
    conn.close()
    span = (first, end or last) if first is not None else None
    return ttft, gaps, tokens, 200, span


def union_seconds(spans):
    """The time covered by at least one of the (begin, end) spans.

    >>> union_seconds([(0, 2), (1, 3), (5, 6)])
    4.0
    >>> union_seconds([(4, 5), (0, 10), (11, 12)])
    11.0
    >>> union_seconds([])
    0.0
    """
    total, reach = 0.0, float("-inf")
    for begin, end in sorted(spans):
        if end > reach:
            total += end - max(begin, reach)
            reach = end
    return total


def run_level(args, concurrency):
    headers = {"Content-Type": "application/json"}
    if args.api_key:
        headers["Authorization"] = "Bearer " + args.api_key
    body = {"prompt": args.prompt, "max_tokens": args.max_tokens, "temperature": 0,
            "stream": True, "stream_options": {"include_usage": True}}
    lock = threading.Lock()
    remaining = [args.requests]
    ttfts, gaps, tokens, statuses, spans, decode_tokens = [], [], [0], {}, [], [0]

    def client():
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            ttft, g, n, status, span = stream_one(args.url, body, headers, args.timeout)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if ttft is not None:
                    ttfts.append(ttft)
                gaps.extend(g)
                tokens[0] += n
                if span is not None and n > 1:
                    spans.append(span)
                    decode_tokens[0] += n - 1

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    decoding = union_seconds(spans)
    return {
        "concurrency": concurrency,
        "requests": args.requests,
        "statuses": statuses,
        "ttft_p50_ms": 1e3 * percentile(ttfts, 50),
        "ttft_p99_ms": 1e3 * percentile(ttfts, 99),
        "itl_p50_ms": 1e3 * percentile(gaps, 50),
        "itl_p99_ms": 1e3 * percentile(gaps, 99),
        "decode_tok_per_s": decode_tokens[0] / decoding if decoding > 0 else float("nan"),
        "tok_per_s": tokens[0] / wall,
        "seconds": wall,
    }


def run_join(args, streams):
    headers = {"Content-Type": "application/json"}
    if args.api_key:
        headers["Authorization"] = "Bearer " + args.api_key
    joining = {"prompt": args.prompt, "max_tokens": 1, "temperature": 0, "stream": True}
    streaming = dict(joining, max_tokens=args.max_tokens, stream_options={"include_usage": True})
    alone = [stream_one(args.url, joining, headers, args.timeout)[0] for _ in range(5)]
    lock, streaming_now, ended = threading.Lock(), threading.Semaphore(0), []
    gaps, statuses = [], {}

    def stream():
        _, g, _, status, _ = stream_one(args.url, streaming, headers, args.timeout,
                                        on_first=streaming_now.release)
        with lock:
            gaps.extend(g)
            statuses[status] = statuses.get(status, 0) + 1
            ended.append(time.perf_counter())

    threads = [threading.Thread(target=stream) for _ in range(streams)]
    for t in threads:
        t.start()
    for _ in range(streams):
        if not streaming_now.acquire(timeout=args.timeout):
            raise SystemExit("bench_serve: the streams did not start")
    joined = []
    for _ in range(args.requests):
        ttft, _, _, status, _ = stream_one(args.url, joining, headers, args.timeout)
        with lock:
            statuses[status] = statuses.get(status, 0) + 1
            if ended:  # a stream had finished: the rest no longer join N streams
                break
        joined.append(ttft)
    for t in threads:
        t.join()
    alone_ms = 1e3 * statistics.median(alone)
    step_ms = 1e3 * percentile(gaps, 50)
    bound_ms = alone_ms + 2 * step_ms
    return {
        "streams": streams,
        "joined": len(joined),
        "statuses": statuses,
        "ttft_alone_ms": alone_ms,
        "step_ms": step_ms,
        "ttft_joining_p50_ms": 1e3 * percentile(joined, 50),
        "ttft_joining_max_ms": 1e3 * max(joined) if joined else float("nan"),
        "bound_ms": bound_ms,
        "within_bound": bool(joined) and max(joined) * 1e3 <= bound_ms,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--concurrency", default="1,4,8,16")
    parser.add_argument("--requests", type=int, default=32, help="requests per concurrency")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--prompt", default="Once upon a time")
    parser.add_argument("--api-key", default="")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per request")
    parser.add_argument("--json", action="store_true", help="one JSON object per level")
    parser.add_argument("--join", type=int, default=0,
                        help="N: time to first token of requests joining N streams instead")
    args = parser.parse_args()

    def report(r, line):
        print(json.dumps(r) if args.json else line, flush=True)

    if args.join > 0:
        r = run_join(args, args.join)
        report(r, f"joining {r['streams']} streams ({r['joined']} requests, {r['statuses']}): "
                  f"TTFT p50 / max {r['ttft_joining_p50_ms']:.1f} / "
                  f"{r['ttft_joining_max_ms']:.1f} ms; alone {r['ttft_alone_ms']:.1f} ms + 2 "
                  f"steps of {r['step_ms']:.2f} ms = {r['bound_ms']:.1f} ms: "
                  f"{'within' if r['within_bound'] else 'over'}")
        return
    if not args.json:
        print("| concurrency | TTFT p50 / p99 (ms) | ITL p50 / p99 (ms) | decode tok/s | x first "
              "| end-to-end tok/s | x first | statuses |")
        print("|---:|---:|---:|---:|---:|---:|---:|---|")
    first = None
    for c in [int(x) for x in args.concurrency.split(",")]:
        r = run_level(args, c)
        first = first or r
        r["vs_first"] = r["decode_tok_per_s"] / first["decode_tok_per_s"]
        r["end_to_end_vs_first"] = r["tok_per_s"] / first["tok_per_s"]
        report(r, f"| {c} | {r['ttft_p50_ms']:.1f} / {r['ttft_p99_ms']:.1f} | "
                  f"{r['itl_p50_ms']:.2f} / {r['itl_p99_ms']:.2f} | "
                  f"{r['decode_tok_per_s']:.0f} | {r['vs_first']:.2f} | {r['tok_per_s']:.0f} | "
                  f"{r['end_to_end_vs_first']:.2f} | {r['statuses']} |")


if __name__ == "__main__":
    main()
