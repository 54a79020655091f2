"""Recall@10 of the approximate index (HNSW) against exact inner-product search, and its speed.

    .venv/bin/python benchmarks/ann_recall.py --vectors /tmp/vec/passages-100000.npy \
        --queries /tmp/vec/queries-100000.npy
    .venv/bin/python benchmarks/ann_recall.py --size 100000 --model fake     # embeds the scaled corpus itself

The vectors come from benchmarks/retrieval_speed.py --save-vectors DIR (the built-in model's own vectors
of the 100k scaled corpus and of CMRC questions), or are computed here. The HNSW settings are the ones
embed.index.index.make_ann uses above FLAT_MAX; efSearch is varied to show the recall/latency trade-off.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import faiss
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from embed.config import usable_cores  # noqa: E402
from embed.index.index import FLAT_MAX, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M  # noqa: E402

EF_SEARCH = (64, 128, 256, 512)
K = 10


def _vectors(args) -> tuple[np.ndarray, np.ndarray]:
    if args.vectors:
        return np.load(args.vectors), np.load(args.queries)
    from scaled_corpus import questions, scaled_articles

    from embed.text.chunk import ChunkSettings, chunk_article, passage_text

    sys.path.insert(0, str(REPO / "tests"))
    from conftest import FakeEncoder

    encoder = FakeEncoder()
    chunks = [c for a in scaled_articles(args.size) for c in chunk_article(a, ChunkSettings(), 0)]
    return encoder.encode_passages([passage_text(c) for c in chunks]), encoder.encode_queries(questions(1000))


def _search_ms(index: faiss.Index, queries: np.ndarray) -> tuple[np.ndarray, float]:
    """Rows for every query, searched one at a time on one thread as the service does; mean ms per query."""
    faiss.omp_set_num_threads(1)
    rows = np.empty((len(queries), K), dtype=np.int64)
    start = time.perf_counter()
    for i in range(len(queries)):
        rows[i] = index.search(queries[i : i + 1], K)[1][0]
    return rows, 1000 * (time.perf_counter() - start) / len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vectors", type=Path)
    parser.add_argument("--queries", type=Path)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--model", default="fake", help="only 'fake' is computed here; else pass --vectors")
    args = parser.parse_args()
    passages, queries = _vectors(args)
    passages = np.ascontiguousarray(passages, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    n, dim = passages.shape
    print(
        f"{n} passages x {dim} dims, {len(queries)} queries; make_ann: flat up to {FLAT_MAX}, "
        f"HNSW M={HNSW_M} efConstruction={HNSW_EF_CONSTRUCTION} efSearch={HNSW_EF_SEARCH} above"
    )
    flat = faiss.IndexFlatIP(dim)
    flat.add(passages)
    exact, flat_ms = _search_ms(flat, queries)
    start = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    faiss.omp_set_num_threads(usable_cores())
    hnsw.add(passages)
    build_s = time.perf_counter() - start
    print(f"exact (IndexFlatIP): {flat_ms:.2f} ms/query; HNSW build {build_s:.1f} s")
    print("| efSearch | recall@10 vs exact | ms/query |")
    print("| ---: | ---: | ---: |")
    for ef in EF_SEARCH:
        hnsw.hnsw.efSearch = ef
        rows, ms = _search_ms(hnsw, queries)
        recall = np.mean([len(set(a) & set(b)) / K for a, b in zip(rows, exact, strict=True)])
        mark = " (default)" if ef == HNSW_EF_SEARCH else ""
        print(f"| {ef}{mark} | {recall:.4f} | {ms:.2f} |")


if __name__ == "__main__":
    main()
