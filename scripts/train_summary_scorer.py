"""Train the summary sentence scorer and set selector (embed/data/) on ../shared/train/crud_event_summary.

    .venv/bin/python scripts/train_summary_scorer.py [--train FILE] [--out FILE] [--selector-out FILE]

Each sentence of each training article becomes one feature row (embed/summarize/features.py); its label is
whether the greedy ROUGE-L oracle picks it for the article's reference summary, at each of BUDGETS (so a
sentence the oracle takes at both budgets counts twice). A logistic regression on standardised features is
fitted with scikit-learn (training only; inference is numpy) and written as readable JSON.

The selector (embed/summarize/selection.py) then learns to rate whole summaries: every sentence set of the
first CANDIDATES sentences that the budget rule allows, at each of BUDGETS, is one row of SET_FEATURES
(which read the new scorer's probabilities); its target is the set's ROUGE-L F1 against the reference minus
the mean over the article's sets (what matters is the order within an article). A ridge regression.

Deterministic: the same data gives the same files. Only the training file is read, never the dev sets in
../shared/eval.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import time
from pathlib import Path

import numpy as np

from embed.eval.rouge import rouge_l
from embed.eval.summary import greedy_oracle
from embed.model.linear import fit_linear, fit_ridge
from embed.summarize.features import FEATURES, sentence_features
from embed.summarize.scorer import MODEL_PATH, SummaryScorer
from embed.summarize.selection import MODEL_PATH as SELECTOR_PATH
from embed.summarize.selection import SET_FEATURES, SummarySelector, candidate_sets, set_features
from embed.summarize.summarize import selection_view, sentence_graph
from embed.text.clean import strip_datelines
from embed.text.sentences import split_sentences
from embed.text.words import tokenize

log = logging.getLogger("train_summary_scorer")

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
TRAIN = SHARED / "train" / "crud_event_summary" / "docs.jsonl"

BUDGETS = (150, 200)
"""The budgets the oracle labels are drawn at: the two the summaries are judged at."""

C = 1.0
"""Inverse L2 strength of the logistic regression (sklearn's default; 0.1 and 10 scored the same)."""

ALPHA = 10.0
"""L2 strength of the selector's ridge regression (1 and 100 scored within 0.15 point of it on CRUD dev)."""


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
            x, y = article_rows(strip_datelines(record["text"]), record["summary"])
            if len(y):
                xs.append(x)
                ys.append(y)
    return np.vstack(xs), np.concatenate(ys), len(xs)


def selector_rows(text: str, reference: str, scorer: SummaryScorer) -> tuple[np.ndarray, np.ndarray]:
    """SET_FEATURES rows of one article's allowed sentence sets at each of BUDGETS, and their targets."""
    sentences = split_sentences(text)
    if len(sentences) < 2:
        return np.zeros((0, len(SET_FEATURES))), np.zeros(0)
    graph, similarity = sentence_graph([tokenize(s.text) for s in sentences])
    rows = sentence_features(text, sentences, graph)
    view = selection_view(text, sentences, graph, similarity, rows, scorer.score(rows))
    xs, ys = [np.zeros((0, len(SET_FEATURES)))], [np.zeros(0)]
    for budget in BUDGETS:
        masks = candidate_sets(view.lengths, budget, complete=len(view.lengths) == len(sentences))
        if len(masks) == 0:
            continue
        value = np.array(
            [rouge_l("".join(sentences[i].text for i in np.flatnonzero(m)), reference) for m in masks]
        )
        xs.append(set_features(view, masks, budget))
        ys.append(value - value.mean())
    return np.vstack(xs), np.concatenate(ys)


def train_selector(path: Path, scorer: SummaryScorer, alpha: float) -> SummarySelector:
    """Fit the set selector on a {"text", "summary"} JSONL file with the given sentence scorer."""
    xs, ys, shortest, articles = [], [], None, 0
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            text = strip_datelines(record["text"])
            x, y = selector_rows(text, record["summary"], scorer)
            if len(y):
                xs.append(x)
                ys.append(y)
                articles += 1
                chars = len("".join(text.split()))
                shortest = chars if shortest is None else min(shortest, chars)
    meta = {
        "trained_on": f"{path.parent.name}/{path.name} (sha256 {_digest(path)}…)",
        "articles": articles,
        "rows": sum(len(y) for y in ys),
        "target": f"ROUGE-L F1 of the set minus the article's mean, at budgets {list(BUDGETS)}",
        "alpha": alpha,
        "min_article_chars": shortest or 0,
    }
    return SummarySelector(fit_ridge(np.vstack(xs), np.concatenate(ys), SET_FEATURES, alpha), meta)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def main() -> None:
    """Build the training rows, fit, write the model, log the weights."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=TRAIN)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--selector-out", type=Path, default=SELECTOR_PATH)
    parser.add_argument("--c", type=float, default=C)
    parser.add_argument("--alpha", type=float, default=ALPHA)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    start = time.perf_counter()
    x, y, articles = training_set(args.train)
    digest = _digest(args.train)
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
    selector = train_selector(args.train, scorer, args.alpha)
    selector.save(args.selector_out)
    log.info(
        "selector: %d rows; %.1f s -> %s",
        selector.meta["rows"],
        time.perf_counter() - start,
        args.selector_out,
    )
    for name, weight in sorted(selector.model.weights().items(), key=lambda p: -abs(p[1])):
        log.info("  %-18s %+.4f", name, weight)


if __name__ == "__main__":
    main()
