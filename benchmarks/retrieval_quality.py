"""Retrieval quality side by side: BM25 alone, dense alone and the hybrid, on both dev sets, in one run.

    .venv/bin/python benchmarks/retrieval_quality.py                  # built-in model, seeds + CMRC
    .venv/bin/python benchmarks/retrieval_quality.py --model fake     # hashing stand-in (tests' FakeEncoder)
    options: --sets seeds,cmrc  --fusions convex:0.6,rrf:1:1,rrf:2:1  --max-chars 400  --json out.json
             --index-cache DIR (reuse built indexes: the built-in model is fitted once per set)

Seeds: index seeds/ (read_corpus), ask ../shared/eval/seeds_qa/dev.jsonl.
CMRC:  index ../shared/eval/cmrc2018_retrieval/corpus.jsonl (one article per passage), ask its queries.jsonl.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from embed.config import Settings  # noqa: E402
from embed.datamodels import Article  # noqa: E402
from embed.eval.qa import evaluate_qa  # noqa: E402
from embed.index.index import build_index  # noqa: E402
from embed.search.retrieve import Retriever  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"
METRICS = ("recall@1", "recall@5", "mrr@10", "doc@1", "ms_per_query")


def seed_articles() -> list[Article]:
    from embed.ingest.ingest import read_corpus

    return list(read_corpus([REPO / "seeds"]).articles)


def jsonl_articles(path: Path) -> list[Article]:
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [Article(str(r["id"]), r.get("title") or "", r["text"], path.name, r.get("date")) for r in rows]


SETS = {
    "seeds": (seed_articles, EVAL / "seeds_qa" / "dev.jsonl"),
    "cmrc": (
        lambda: jsonl_articles(EVAL / "cmrc2018_retrieval" / "corpus.jsonl"),
        EVAL / "cmrc2018_retrieval" / "queries.jsonl",
    ),
}


def make_encoder(model: str):
    if model == "fake":
        sys.path.insert(0, str(REPO / "tests"))
        from conftest import FakeEncoder

        return FakeEncoder()
    return None  # build_index fits the built-in model (or loads the named one) itself


def parse_fusions(spec: str) -> list[tuple[str, dict]]:
    """'convex:0.6,rrf:1:1' -> [(label, Retriever keyword arguments), ...]."""
    out = []
    for item in spec.split(","):
        kind, *nums = item.split(":")
        if kind == "convex":
            out.append((f"hybrid convex a={nums[0]}", {"fusion": "convex", "alpha": float(nums[0])}))
        elif kind == "rrf":
            weights = (float(nums[0]), float(nums[1]))
            out.append((f"hybrid rrf {nums[0]}:{nums[1]}", {"fusion": "rrf", "weights": weights}))
        else:
            raise SystemExit(f"unknown fusion {item!r}: use convex:ALPHA or rrf:BM25_WEIGHT:DENSE_WEIGHT")
    return out


def run_set(name: str, settings: Settings, model: str, fusions: list[tuple[str, dict]], cache: Path | None):
    """Build (or load from `cache`) the set's index, then evaluate bm25, dense and each hybrid fusion."""
    from embed.index.index import Index, load_encoder_for

    load, qa_path = SETS[name]
    folder = cache / f"{name}-{model.replace('/', '_')}-{settings.chunk_max_chars}" if cache else None
    start = time.perf_counter()
    if folder and (folder / "manifest.json").is_file():
        index = Index.load(folder)
    else:
        index = build_index(load(), settings, make_encoder(model))
        if folder:
            index.save(folder)
    build_s = time.perf_counter() - start
    encoder = make_encoder(model) or load_encoder_for(index)
    result = evaluate_qa(Retriever(index, encoder, **fusions[0][1]), qa_path)
    result["modes"][fusions[0][0]] = result["modes"].pop("hybrid")
    for label, kwargs in fusions[1:]:
        extra = evaluate_qa(Retriever(index, encoder, **kwargs), qa_path, modes=("hybrid",))
        result["modes"][label] = extra["modes"]["hybrid"]
    result.update(set=name, articles=len(index.articles), chunks=len(index.chunks), build_s=round(build_s, 1))
    return result


def print_table(results: list[dict], model: str) -> None:
    print(f"\nmodel: {model}")
    print("| set | n | mode | " + " | ".join(METRICS) + " |")
    print("| --- | ---: | --- |" + " ---: |" * len(METRICS))
    for res in results:
        for mode, metrics in res["modes"].items():
            cells = [str(metrics.get(m, "–")) for m in METRICS]
            print(f"| {res['set']} | {res['n']} | {mode} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="builtin", help="builtin (default), fake, or a model path")
    parser.add_argument("--sets", default="seeds,cmrc")
    parser.add_argument(
        "--fusions", default="convex:0.6,rrf:1:1", help="hybrid fusions to compare (first = default)"
    )
    parser.add_argument("--index-cache", type=Path, default=None, help="keep built indexes here for reruns")
    parser.add_argument("--max-chars", type=int, default=400)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    if not EVAL.is_dir():
        sys.exit(f"{EVAL} not found: the dev sets live in ../shared/eval")
    settings = Settings(model="builtin" if args.model == "fake" else args.model)
    settings = replace(settings, chunk_max_chars=args.max_chars)
    fusions = parse_fusions(args.fusions)
    results = [
        run_set(name, settings, args.model, fusions, args.index_cache) for name in args.sets.split(",")
    ]
    print_table(results, args.model)
    for res in results:
        print(f"{res['set']}: {res['articles']} articles, {res['chunks']} passages, build {res['build_s']} s")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
