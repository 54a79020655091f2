"""Index build throughput, search latency p50/p99 and peak memory at 1k, 10k and 100k passages.

    .venv/bin/python benchmarks/retrieval_speed.py                       # built-in model, all sizes
    .venv/bin/python benchmarks/retrieval_speed.py --sizes 1000,10000 --model fake

Each size runs in a fresh child process (so peak RSS is that size's alone): build the index (chunk,
learn words, fit the built-in model, embed, BM25, FAISS), save and load it, then time 200 single CMRC
questions per mode after 20 warm-up ones. Corpus: benchmarks/scaled_corpus.py.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

N_WARMUP = 20
N_TIMED = 200


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _encoder(model: str):
    if model == "fake":
        sys.path.insert(0, str(REPO / "tests"))
        from conftest import FakeEncoder

        return FakeEncoder()
    return None


def measure(size: int, model: str, save_vectors: Path | None = None) -> dict:
    """Build, save, load and search one size; runs inside the child process."""
    from scaled_corpus import scaled_articles

    from embed.config import Settings
    from embed.index import Index, build_index, load_encoder_for
    from embed.retrieve import Retriever

    articles = scaled_articles(size)
    chars = sum(len(a.text) for a in articles)
    mb = sum(len(a.text.encode("utf-8")) for a in articles) / 1e6
    rss_before = _rss_mb()
    start = time.perf_counter()
    index = build_index(articles, Settings(model=model if model != "fake" else "builtin"), _encoder(model))
    build_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        index.save(Path(tmp) / "index")
        save_s = time.perf_counter() - start
        start = time.perf_counter()
        index = Index.load(Path(tmp) / "index")
        load_s = time.perf_counter() - start
        encoder = _encoder(model) or load_encoder_for(index)
        retriever = Retriever(index, encoder)
        if save_vectors:  # for benchmarks/ann_recall.py
            from scaled_corpus import questions

            save_vectors.mkdir(parents=True, exist_ok=True)
            np.save(save_vectors / f"passages-{size}.npy", index.embeddings)
            np.save(save_vectors / f"queries-{size}.npy", encoder.encode_queries(questions(1000)))
        latency = {mode: _latency(retriever, mode) for mode in ("bm25", "dense", "hybrid")}
    return {
        "size": size,
        "passages": len(index.chunks),
        "articles": len(articles),
        "chars": chars,
        "mb": round(mb, 2),
        "ann": type(index.vectors).__name__,
        "build_s": round(build_s, 1),
        "mb_per_min": round(mb / (build_s / 60), 2),
        "save_s": round(save_s, 1),
        "load_s": round(load_s, 1),
        "latency_ms": latency,
        "rss_before_build_mb": round(rss_before),
        "peak_rss_mb": round(_rss_mb()),
    }


def _latency(retriever, mode: str) -> dict:
    from scaled_corpus import questions

    qs = questions(N_WARMUP + N_TIMED)
    for q in qs[:N_WARMUP]:
        retriever.search(q, k=10, mode=mode)
    times = []
    for q in qs[N_WARMUP:]:
        start = time.perf_counter()
        retriever.search(q, k=10, mode=mode)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"p50": round(statistics.median(times), 2), "p99": round(times[int(0.99 * len(times)) - 1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--model", default="builtin", help="builtin (default), fake, or a model path")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--save-vectors", type=Path, default=None, help="folder for ann_recall.py inputs")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.child is not None:
        print(json.dumps(measure(args.child, args.model, args.save_vectors)))
        return
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--child", str(size), "--model", args.model]
        if args.save_vectors:
            cmd += ["--save-vectors", str(args.save_vectors)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    print(f"\nmodel: {args.model}")
    print("| passages | MB text | build s | MB/min | ANN | mode | p50 ms | p99 ms | peak RSS MB |")
    print("| ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: |")
    for r in results:
        for mode, lat in r["latency_ms"].items():
            print(
                f"| {r['passages']} | {r['mb']} | {r['build_s']} | {r['mb_per_min']} | {r['ann']} | {mode} "
                f"| {lat['p50']} | {lat['p99']} | {r['peak_rss_mb']} |"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
