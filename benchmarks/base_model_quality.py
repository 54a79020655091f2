"""The built-in model with and without the shipped base model, on every retrieval dev set, in one table.

    .venv/bin/python benchmarks/base_model_quality.py                          # blank vs base, all sets
    .venv/bin/python benchmarks/base_model_quality.py --variants base --sets seeds --alphas 0.6,0.5,0.4
    .venv/bin/python benchmarks/base_model_quality.py --variants base --priors 0,1000   # background IDF
    options: --base DIR (another base model)  --json out.json

Variants: `blank` fits the built-in model on the archive alone, from random vectors (the model before the
base existed); `base` starts from the base model and adapts it to the archive (today's default).
Sets: the seed archive (indexed once, asked the three seed QA files), the 3,000-article news archive (its
answerable dev questions only: unanswerable ones have no passage to find) and CMRC 2018 (one article per
passage). Each index is built exactly as `policyqa index` builds it; build seconds are wall time on this
machine, so compare them only within one run.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import embed.index.bm25 as bm25  # noqa: E402
import embed.model.builtin as builtin_model  # noqa: E402
from embed.config import Settings  # noqa: E402
from embed.eval.qa import evaluate_qa  # noqa: E402
from embed.index.index import build_index, load_encoder_for  # noqa: E402
from embed.ingest.ingest import read_corpus  # noqa: E402
from embed.model.base import BASE_MODEL_DIR  # noqa: E402
from embed.search.retrieve import CONVEX_ALPHA, Retriever  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"
METRICS = ("recall@1", "recall@5", "mrr@10", "doc@1")

SETS = {
    "seeds": (
        [REPO / "seeds"],
        {
            "seeds dev": EVAL / "seeds_qa" / "dev.jsonl",
            "seeds paraphrased_dev": EVAL / "seeds_qa" / "paraphrased_dev.jsonl",
            "seeds_paraphrase (benchmarks)": REPO / "benchmarks" / "data" / "seeds_paraphrase.jsonl",
        },
    ),
    "news": (
        [EVAL / "news_archive" / "corpus.jsonl"],
        {"news dev (answerable)": EVAL / "news_archive" / "dev.jsonl"},
    ),
    "cmrc": (
        [EVAL / "cmrc2018_retrieval" / "corpus.jsonl"],
        {"CMRC queries": EVAL / "cmrc2018_retrieval" / "queries.jsonl"},
    ),
}


def answerable(path: Path, folder: Path) -> Path:
    """The QA file without its unanswerable lines (`"answers": []`), which retrieval metrics cannot score."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    kept = [r for r in rows if r["answers"]]
    if len(kept) == len(rows):
        return path
    out = folder / path.name
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    return out


def run_set(
    name: str, variant: str, base: Path, alphas: list[float], priors: list[int], scratch: Path
) -> list[dict]:
    """Build the set's index with the variant's model; evaluate bm25, dense and hybrid at each alpha.

    Each of `priors` adds BM25 and hybrid rows with that background weight (bm25.PRIOR_PASSAGES).
    """
    paths, qa_files = SETS[name]
    start_from = None if variant == "blank" else base
    # build_index fits the built-in model through this function; the variant picks its starting point.
    builtin_model.train_builtin_model = functools.partial(ORIGINAL_TRAIN, base=start_from)
    start = time.perf_counter()
    index = build_index(read_corpus(paths).articles, Settings())
    build_s = time.perf_counter() - start
    encoder = load_encoder_for(index)
    rows = []
    for label, qa in qa_files.items():
        qa = answerable(qa, scratch)
        result = evaluate_qa(Retriever(index, encoder, alpha=alphas[0]), qa)
        modes = {m: result["modes"][m] for m in ("bm25", "dense")}
        modes[f"hybrid a={alphas[0]}"] = result["modes"]["hybrid"]
        for alpha in alphas[1:]:
            extra = evaluate_qa(Retriever(index, encoder, alpha=alpha), qa, modes=("hybrid",))
            modes[f"hybrid a={alpha}"] = extra["modes"]["hybrid"]
        default = bm25.PRIOR_PASSAGES
        for prior in priors:
            bm25.PRIOR_PASSAGES = prior  # BM25Index.scores reads it at query time
            extra = evaluate_qa(Retriever(index, encoder, alpha=alphas[0]), qa, modes=("bm25", "hybrid"))
            modes.update({f"{m} prior={prior}": extra["modes"][m] for m in ("bm25", "hybrid")})
        bm25.PRIOR_PASSAGES = default
        rows.append(
            {"set": label, "group": name, "n": result["n"], "variant": variant, "build_s": round(build_s, 1)}
            | {"modes": modes}
        )
    return rows


ORIGINAL_TRAIN = builtin_model.train_builtin_model


def print_table(rows: list[dict]) -> None:
    print("| set | n | model | mode | " + " | ".join(METRICS) + " |")
    print("| --- | ---: | --- | --- |" + " ---: |" * len(METRICS))
    for row in rows:
        for mode, metrics in row["modes"].items():
            cells = [f"{metrics[m]:.3f}" if m in metrics else "–" for m in METRICS]
            print(f"| {row['set']} | {row['n']} | {row['variant']} | {mode} | " + " | ".join(cells) + " |")
    builds = {(r["group"], r["variant"]): r["build_s"] for r in rows}
    for (name, variant), seconds in builds.items():
        print(f"build {name} ({variant}): {seconds} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default="seeds,news,cmrc")
    parser.add_argument("--variants", default="blank,base")
    parser.add_argument("--base", type=Path, default=BASE_MODEL_DIR, help="the base model to start from")
    parser.add_argument(
        "--alphas", default=str(CONVEX_ALPHA), help="BM25 shares of the hybrid (first = default)"
    )
    parser.add_argument(
        "--priors", default="", help="background weights of BM25's IDF to compare, e.g. 0,1000"
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if not EVAL.is_dir():
        sys.exit(f"{EVAL} not found: the dev sets live in ../shared/eval")
    alphas = [float(a) for a in args.alphas.split(",")]
    priors = [int(p) for p in args.priors.split(",") if p]
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="base-model-quality-") as scratch:
        for name in args.sets.split(","):
            for variant in args.variants.split(","):
                rows.extend(run_set(name, variant, args.base, alphas, priors, Path(scratch)))
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
