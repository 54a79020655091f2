"""Answer hit rate on the dev QA sets: our extractive answer vs plain BM25's best three sentences.

For each set the corpus is indexed with the default (built-in) model into a temporary folder, questions
are searched (hybrid, top 5), and the answer counts as a hit when it contains an answer string.

    .venv/bin/python benchmarks/answer_quality.py [--sets cmrc seeds] [--limit N] [--mode hybrid]
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

import bm25s
import numpy as np

from embed.answer.answer import answer_question
from embed.archive import Archive
from embed.config import Settings
from embed.errors import EmptyQueryError
from embed.eval.qa import is_relevant, read_qa
from embed.pipeline import build
from embed.text.sentences import split_sentences
from embed.text.words import tokenize

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO.parent / "shared" / "eval"
SETS = {
    "cmrc": ([EVAL / "cmrc2018_retrieval" / "corpus.jsonl"], EVAL / "cmrc2018_retrieval" / "queries.jsonl"),
    "seeds": ([REPO / "seeds"], EVAL / "seeds_qa" / "dev.jsonl"),
}


def bm25_best_three(question: str, hits) -> str:
    """The baseline: BM25 over the passages' sentences, the best three in reading order."""
    sentences = [s.text for h in hits for s in split_sentences(h.chunk.text)]
    terms = tokenize(question)
    if not sentences or not terms:
        return ""
    model = bm25s.BM25()
    model.index([tokenize(s) or ["∅"] for s in sentences], show_progress=False)
    scores = model.get_scores(terms)
    return "".join(sentences[i] for i in sorted(np.argsort(-scores)[:3]))


def run_set(name: str, limit: int | None, mode: str) -> dict:
    corpus, qa_path = SETS[name]
    items = read_qa(qa_path)[:limit]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp) / "index")
        start = time.perf_counter()
        build(settings, corpus)
        built = time.perf_counter() - start
        retriever = Archive.open(settings).retriever
        tok, enc = retriever.index.tokenizer, retriever.encoder
        counts = {"ours": 0, "ours_lexical": 0, "bm25_top3": 0, "not_found": 0}
        start = time.perf_counter()
        for item in items:
            try:
                hits = retriever.search(item.question, k=5, mode=mode)
            except EmptyQueryError:
                continue
            answer = answer_question(item.question, hits, tokenizer=tok, encoder=enc)
            lexical = answer_question(item.question, hits, tokenizer=tok)
            counts["ours"] += is_relevant(answer.text, item.answers)
            counts["not_found"] += not answer.found
            counts["ours_lexical"] += is_relevant(lexical.text, item.answers)
            counts["bm25_top3"] += is_relevant(bm25_best_three(item.question, hits), item.answers)
        seconds = time.perf_counter() - start
    n = len(items)
    out = {key: round(value / n, 4) for key, value in counts.items() if key != "not_found"}
    return {
        "set": name,
        "n": n,
        "mode": mode,
        **out,
        "not_found": counts["not_found"],
        "index_s": round(built, 1),
        "ms_per_question": round(1000 * seconds / n, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--limit", type=int, default=None, help="first N questions of each set")
    parser.add_argument("--mode", default="hybrid", choices=["hybrid", "bm25", "dense"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if not EVAL.is_dir():
        raise SystemExit(f"{EVAL} not found: the dev sets live beside the checkout in ../shared/eval")
    for name in args.sets:
        print(json.dumps(run_set(name, args.limit, args.mode), ensure_ascii=False))


if __name__ == "__main__":
    main()
