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
import shutil
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


def measure(size: int, model: str, save_vectors: Path | None = None, keep: Path | None = None) -> dict:
    """Build, save, load and search one size; runs inside the child process.

    With `keep`, the index stays in keep/<size> and a later run with the same folder only loads it
    and times the searches (build figures then come from the first run's JSON).
    """
    from scaled_corpus import scaled_articles

    from embed.config import Settings
    from embed.index.index import Index, build_index, load_encoder_for
    from embed.search.retrieve import Retriever

    folder = keep / str(size) if keep else Path(tempfile.mkdtemp()) / "index"
    out: dict = {"size": size}
    if not (folder / "manifest.json").is_file():
        out.update(_build(size, model, folder, scaled_articles, build_index, Settings))
    start = time.perf_counter()
    index = Index.load(folder)
    out["load_s"] = round(time.perf_counter() - start, 1)
    encoder = _encoder(model) or load_encoder_for(index)
    retriever = Retriever(index, encoder)
    if save_vectors:  # for benchmarks/ann_recall.py
        from scaled_corpus import questions

        save_vectors.mkdir(parents=True, exist_ok=True)
        np.save(save_vectors / f"passages-{size}.npy", index.embeddings)
        np.save(save_vectors / f"queries-{size}.npy", encoder.encode_queries(questions(1000)))
    out["latency_ms"] = {mode: _latency(retriever, mode) for mode in ("bm25", "dense", "hybrid")}
    out.update(passages=len(index.chunks), ann=type(index.vectors).__name__, peak_rss_mb=round(_rss_mb()))
    if not keep:
        shutil.rmtree(folder.parent, ignore_errors=True)
    return out


def _build(size, model, folder, scaled_articles, build_index, settings_cls) -> dict:
    articles = scaled_articles(size)
    mb = sum(len(a.text.encode("utf-8")) for a in articles) / 1e6
    rss_before = _rss_mb()
    start = time.perf_counter()
    index = build_index(
        articles, settings_cls(model="builtin" if model == "fake" else model), _encoder(model)
    )
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    index.save(folder)
    save_s = time.perf_counter() - start
    return {
        "articles": len(articles),
        "mb": round(mb, 2),
        "build_s": round(build_s, 1),
        "mb_per_min": round(mb / (build_s / 60), 2),
        "save_s": round(save_s, 1),
        "rss_before_build_mb": round(rss_before),
        "build_peak_rss_mb": round(_rss_mb()),
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
    parser.add_argument("--keep", type=Path, default=None, help="keep indexes in DIR/<size>; reuse them")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.child is not None:
        print(json.dumps(measure(args.child, args.model, args.save_vectors, args.keep)))
        return
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--child", str(size), "--model", args.model]
        if args.save_vectors:
            cmd += ["--save-vectors", str(args.save_vectors)]
        if args.keep:
            cmd += ["--keep", str(args.keep)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    print(f"\nmodel: {args.model}")
    print(
        "| passages | MB | build s | MB/min | build RSS MB | ANN | mode | p50 ms | p99 ms | search RSS MB |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: |")
    for r in results:
        for mode, lat in r["latency_ms"].items():
            print(
                f"| {r['passages']} | {r.get('mb', '–')} | {r.get('build_s', '–')} "
                f"| {r.get('mb_per_min', '–')} "
                f"| {r.get('build_peak_rss_mb', '–')} | {r['ann']} | {mode} | {lat['p50']} | {lat['p99']} "
                f"| {r['peak_rss_mb']} |"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
