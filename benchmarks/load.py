"""Bounded load test of /api/ask and /api/search on loopback: requests/s, p50/p99 latency, errors.

Starts `uvicorn --factory api.main:create_app` as a subprocess on a free 127.0.0.1 port (the index is
built from seeds/ first if there is none), then runs N concurrent keep-alive clients against each
endpoint for a fixed time. The clients are a few lines of asyncio over raw HTTP/1.1, so that the
load generator itself costs little CPU on the same machine.

    .venv/bin/python benchmarks/load.py                      # 16 clients, 30 s per endpoint
    .venv/bin/python benchmarks/load.py --clients 16 --duration 30 --index-dir .policyqa --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

GOALS = {"search_rps": 200.0, "ask_p99_ms": 150.0}
QUERY_COUNT = 2000
SEED = 13


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _queries(index_dir: Path, n: int) -> list[str]:
    """Distinct queries cut from the indexed articles (so most miss the retriever's query cache).

    Windows of 6-16 characters from sentences of the corpus, plus a question word now and then:
    the same mix of terms, numbers and names that users type.
    """
    from embed.index.index import Index

    articles = list(Index.load(index_dir).articles.values())
    rng = random.Random(SEED)
    tails = ["", "", "是什么？", "有哪些？", "什么时候？", "多少？"]
    out: set[str] = set()
    while len(out) < n:
        text = re.sub(r"\s+", "", rng.choice(articles).text)
        if len(text) < 20:
            continue
        size = rng.randint(6, 16)
        start = rng.randrange(0, len(text) - size)
        out.add(text[start : start + size] + rng.choice(tails))
    return sorted(out)


def _request(kind: str, query: str, top_k: int) -> bytes:
    if kind == "search":
        target = f"/api/search?q={quote(query)}&top_k={top_k}"
        return f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    body = json.dumps({"question": query, "top_k": top_k}, ensure_ascii=False).encode()
    head = (
        "POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _client(port: int, kind: str, queries: list[str], offset: int, stop_at: float, top_k: int) -> dict:
    """One keep-alive connection sending requests back to back until `stop_at`."""
    latencies, errors, i = [], 0, offset
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at:
            request = _request(kind, queries[i % len(queries)], top_k)
            i += 7  # clients walk the query list in different orders
            start = time.perf_counter()
            try:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
                await reader.readexactly(length)
            except (OSError, asyncio.IncompleteReadError, AttributeError):
                errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            latencies.append(time.perf_counter() - start)
            if not head.startswith(b"HTTP/1.1 200"):
                errors += 1
    finally:
        writer.close()
    return {"latencies": latencies, "errors": errors}


async def _run(port: int, kind: str, queries: list[str], clients: int, duration: float, top_k: int) -> dict:
    start = time.perf_counter()
    stop_at = start + duration
    parts = await asyncio.gather(
        *(_client(port, kind, queries, c * 101, stop_at, top_k) for c in range(clients))
    )
    elapsed = time.perf_counter() - start
    lat = sorted(x for p in parts for x in p["latencies"])
    errors = sum(p["errors"] for p in parts)
    if not lat:
        return {"endpoint": kind, "requests": 0, "errors": errors}
    pct = statistics.quantiles(lat, n=100, method="inclusive")
    return {
        "endpoint": kind,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(lat),
        "errors": errors,
        "rps": round(len(lat) / elapsed, 1),
        "p50_ms": round(pct[49] * 1000, 1),
        "p90_ms": round(pct[89] * 1000, 1),
        "p99_ms": round(pct[98] * 1000, 1),
        "max_ms": round(lat[-1] * 1000, 1),
    }


def _start_server(index_dir: Path, port: int, factory: str) -> subprocess.Popen:
    env = dict(os.environ, POLICYQA_INDEX_DIR=str(index_dir))
    cmd = [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env)
    deadline = time.monotonic() + 600  # the first start may build the index from seeds/
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not answer /healthz in time")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per endpoint (or JSON)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--index-dir", type=Path, default=REPO / ".policyqa")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--duration", type=float, default=30.0, help="seconds per endpoint")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--endpoints", default="search,ask")
    p.add_argument("--json", action="store_true")
    p.add_argument("--app", default="api.main:create_app", help="app factory for uvicorn --factory")
    args = p.parse_args(argv)

    port = _free_port()
    server = _start_server(args.index_dir.resolve(), port, args.app)
    try:
        queries = _queries(args.index_dir.resolve(), QUERY_COUNT)
        results = []
        for kind in args.endpoints.split(","):
            asyncio.run(_run(port, kind, queries, args.clients, args.warmup, args.top_k))
            results.append(asyncio.run(_run(port, kind, queries, args.clients, args.duration, args.top_k)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Other work on the machine skews every figure: say how busy it was.
    load = [round(x, 2) for x in os.getloadavg()]
    report = {
        "cpus": os.cpu_count(),
        "load_avg": load,
        "distinct_queries": len(queries),
        "results": results,
        "goals": GOALS,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(
            f"{os.cpu_count()} CPUs (load average {load[0]} {load[1]} {load[2]}), "
            f"{len(queries)} distinct queries, top_k={args.top_k}, loopback"
        )
        for r in results:
            print(
                f"{r['endpoint']:>7}: {r['rps']:7.1f} req/s  p50 {r['p50_ms']:6.1f} ms  "
                f"p90 {r['p90_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  max {r['max_ms']:6.1f} ms  "
                f"errors {r['errors']}  ({r['requests']} requests, {r['clients']} clients, {r['seconds']} s)"
            )
    failed = any(r["errors"] for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
