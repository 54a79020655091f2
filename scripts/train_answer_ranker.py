"""Train the answer ranker (embed/data/answer_ranker.json) from synthetic questions over unlabeled news.

Questions are made from ../shared/train/news_corpus by `embed.answer.questions` (a fact of a sentence
hidden and asked for; answerable, near-unanswerable and far-unanswerable questions). No question written
by a person is used; the dev sets only chose the regularisation and the threshold
(benchmarks/answer_ranker_features.py, benchmarks/answer_threshold.py).

The archive is indexed exactly as `policyqa index` does (built-in model), each question is searched
(hybrid, top 5), and every candidate sentence gets its features. The sentence model learns which candidate
holds the hidden fact; the confidence model learns, from the best candidate's evidence, whether it does.

    .venv/bin/python scripts/train_answer_ranker.py [--articles 1500] [--threshold 0.1] [--seed 13]

Deterministic for a given seed and corpus. Takes about 2 minutes on 2 cores (measured: 79-200 s, as this
machine's speed varies).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from embed.answer.questions import Sample, make_questions, question_samples
from embed.answer.ranker import RANKER_FILE, AnswerRanker, fit_ranker, save_ranker
from embed.archive import Archive
from embed.config import Settings
from embed.pipeline import build

REPO = Path(__file__).resolve().parent.parent
NEWS = REPO.parent / "shared" / "train" / "news_corpus" / "docs.jsonl.gz"


def read_news(path: Path, n: int, seed: int) -> list[str]:
    """`n` articles of 300-3,000 characters, drawn with `seed`."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        texts = [t for t in (json.loads(line)["text"] for line in handle) if 300 <= len(t) <= 3000]
    return random.Random(seed).sample(texts, n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1500, help="articles in the synthetic archive")
    parser.add_argument("--outside", type=int, default=300, help="articles whose questions it cannot answer")
    parser.add_argument(
        "--near-share", type=float, default=0.2, help="share of questions cut from the archive"
    )
    parser.add_argument("--threshold", type=float, default=0.1, help="confidence below which answers decline")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, default=RANKER_FILE)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    start = time.perf_counter()
    rng = random.Random(args.seed)
    texts = read_news(NEWS, args.articles + args.outside, args.seed)
    indexed, questions = make_questions(texts[: args.articles], texts[args.articles :], rng, args.near_share)
    with tempfile.TemporaryDirectory(prefix="policyqa-ranker-") as tmp:
        corpus = Path(tmp) / "archive.jsonl"
        lines = (
            json.dumps({"id": f"syn-{i:05d}", "text": t}, ensure_ascii=False) for i, t in enumerate(indexed)
        )
        corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
        settings = Settings(index_dir=Path(tmp) / "index")
        build(settings, [corpus])
        samples = question_samples(Archive.open(settings).retriever, questions)
    ranker = fit_ranker(samples, args.threshold)
    save_ranker(ranker, args.out)
    answerable = sum(q.answerable for q in questions)
    print(f"{len(questions)} questions ({answerable} answerable), {len(samples)} with passages")
    print(f"first candidate holds the fact: {_top_hit_rate(ranker, samples):.3f} of answerable questions")
    for model in (ranker.sentence, ranker.confidence):
        for name, weight in sorted(model.weights().items(), key=lambda p: -abs(p[1])):
            print(f"  {name:18} {weight:+.3f}")
        print()
    print(f"wrote {args.out} in {time.perf_counter() - start:.0f} s")


def _top_hit_rate(ranker: AnswerRanker, samples: list[Sample]) -> float:
    answerable = [s for s in samples if s.labels.any()]
    hits = sum(s.labels[int(np.argmax(ranker.sentence.logit(s.rows)))] for s in answerable)
    return hits / max(len(answerable), 1)


if __name__ == "__main__":
    main()
