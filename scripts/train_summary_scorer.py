"""Train the summary sentence scorer (embed/data/summary_scorer.json) on ../shared/train/crud_event_summary.

    .venv/bin/python scripts/train_summary_scorer.py [--train FILE] [--out FILE] [--c 1.0]

Each sentence of each training article becomes one feature row (embed/summary_features.py); its label is
whether the greedy ROUGE-L oracle picks it for the article's reference summary, at each of BUDGETS (so a
sentence the oracle takes at both budgets counts twice). A logistic regression on standardised features is
fitted with scikit-learn (training only; inference is numpy) and written as readable JSON. Deterministic:
the same data gives the same file. Only the training file is read, never the dev sets in ../shared/eval.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import time
from pathlib import Path

import numpy as np

from embed.linear_model import fit_linear
from embed.sentences import split_sentences
from embed.summarize import sentence_graph
from embed.summary_eval import greedy_oracle
from embed.summary_features import FEATURES, sentence_features
from embed.summary_scorer import MODEL_PATH, SummaryScorer
from embed.tokenize import tokenize

log = logging.getLogger("train_summary_scorer")

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
TRAIN = SHARED / "train" / "crud_event_summary" / "docs.jsonl"

BUDGETS = (150, 200)
"""The budgets the oracle labels are drawn at: the two the summaries are judged at."""

C = 1.0
"""Inverse L2 strength of the logistic regression (sklearn's default; 0.1 and 10 scored the same)."""


def article_rows(text: str, reference: str) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows and oracle labels of one article, once per budget in BUDGETS."""
    sentences = split_sentences(text)
    if len(sentences) < 2:
        return np.zeros((0, len(FEATURES))), np.zeros(0)
    graph, _ = sentence_graph([tokenize(s.text) for s in sentences])
    rows = sentence_features(text, sentences, graph)
    texts = [s.text for s in sentences[: len(rows)]]
    labels = []
    for budget in BUDGETS:
        label = np.zeros(len(rows))
        label[greedy_oracle(texts, reference, budget)] = 1.0
        labels.append(label)
    return np.vstack([rows] * len(BUDGETS)), np.concatenate(labels)


def training_set(path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """All rows and labels of a {"text", "summary"} JSONL file, and how many articles gave rows."""
    xs, ys = [], []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            x, y = article_rows(record["text"], record["summary"])
            if len(y):
                xs.append(x)
                ys.append(y)
    return np.vstack(xs), np.concatenate(ys), len(xs)


def main() -> None:
    """Build the training rows, fit, write the model, log the weights."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=TRAIN)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--c", type=float, default=C)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    start = time.perf_counter()
    x, y, articles = training_set(args.train)
    digest = hashlib.sha256(args.train.read_bytes()).hexdigest()[:16]
    meta = {
        "trained_on": f"{args.train.parent.name}/{args.train.name} (sha256 {digest}…)",
        "articles": articles,
        "rows": len(y),
        "positives": int(y.sum()),
        "label": f"greedy ROUGE-L oracle membership at budgets {list(BUDGETS)}",
        "C": args.c,
    }
    scorer = SummaryScorer(fit_linear(x, y, FEATURES, args.c), meta)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    scorer.save(args.out)
    log.info(
        "%d articles, %d rows, %d positive; %.1f s -> %s",
        articles,
        len(y),
        y.sum(),
        time.perf_counter() - start,
        args.out,
    )
    for name, weight in sorted(scorer.model.weights().items(), key=lambda p: -abs(p[1])):
        log.info("  %-18s %+.3f", name, weight)


if __name__ == "__main__":
    main()
