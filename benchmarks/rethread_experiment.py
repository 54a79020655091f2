"""Experiment (issue 11, "go beyond"): re-thread column-interleaved page text with a character n-gram model.

    .venv/bin/python benchmarks/rethread_experiment.py [--pages 200] [--train-docs 12000]

Text converted from a newspaper page row by row puts one line of each column side by side (seed page 002:
「在党 况提出问题50余个,就企业上市 …」). This script interleaves pages itself from clean news articles of
../shared/train/news_corpus (three columns, 12-16 characters wide, paragraphs ending in short lines and
sometimes a blank line, so some rows hold fewer pieces than there are columns), then re-threads each page
three ways and counts the original sentences (8+ characters) that come out intact:

- raw: the rows as they are (what cleaning sees today);
- positional: the j-th piece of a row continues column j;
- n-gram: each row's pieces go to the columns they continue best, by a character trigram model fitted on
  other articles of the same corpus (a monotone assignment, so pieces keep their left-to-right order).

It is an experiment: nothing in `embed` uses it. It prints one JSON line per method. Measured (200 pages,
2,464 sentences): raw 0.073, positional 0.855, n-gram 0.875 / 0.907 / 0.925 with 1,000 / 4,000 / 12,000
training articles.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import math
import random
import re
from collections import Counter
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "train" / "news_corpus" / "docs.jsonl.gz"
SENTENCE = re.compile(r"[^。！？]+[。！？]")
COLUMNS = 3
TEST_OFFSET = 40_000
"""Test pages are made from articles this far into the corpus, past any training set asked for."""


class CharTrigrams:
    """P(c | two characters before), add-k smoothed, fitted on plain text."""

    def __init__(self, texts: list[str], k: float = 0.1) -> None:
        self.tri: Counter[str] = Counter()
        self.bi: Counter[str] = Counter()
        for text in texts:
            text = f"\x02\x02{text}"
            for i in range(len(text) - 2):
                self.tri[text[i : i + 3]] += 1
                self.bi[text[i : i + 2]] += 1
        self.k = k
        self.vocab = len({t[-1] for t in self.tri}) + 1

    def continuation(self, left: str, right: str, n: int = 3) -> float:
        """Log-probability of the first `n` characters of `right` written right after `left`."""
        context = (f"\x02\x02{left}")[-2:]
        total = 0.0
        for char in right[:n]:
            gram = context + char
            total += math.log((self.tri[gram] + self.k) / (self.bi[context] + self.k * self.vocab))
            context = context[1:] + char
        return total


def _docs(skip: int, count: int, min_chars: int = 200) -> list[str]:
    out: list[str] = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        for line in itertools.islice(handle, skip, None):
            text = "".join(json.loads(line)["text"].split())
            if len(text) >= min_chars:
                out.append(text)
            if len(out) == count:
                break
    return out


def _column(text: str, width: int, rng: random.Random) -> list[str]:
    """A column's lines: paragraphs of 2-3 sentences, each ending in a short line, some followed by a gap."""
    sentences = SENTENCE.findall(text)
    lines: list[str] = []
    while sentences:
        take = rng.choice((2, 3))
        paragraph, sentences = "".join(sentences[:take]), sentences[take:]
        lines += [paragraph[i : i + width] for i in range(0, len(paragraph), width)]
        if rng.random() < 0.3:
            lines.append("")  # paragraph spacing: this column has nothing on the row
    return lines


def make_page(texts: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
    """Interleaved rows of COLUMNS columns, and the sentences of the clean texts."""
    width = rng.randint(12, 16)
    columns = [_column(text[:260], width, rng) for text in texts]
    height = max(len(c) for c in columns)
    rows = [" ".join(c[i] for c in columns if i < len(c) and c[i]) for i in range(height)]
    return rows, [s for text in texts for s in SENTENCE.findall(text[:260]) if len(s) >= 8]


def positional(rows: list[str]) -> list[str]:
    threads = [""] * COLUMNS
    for row in rows:
        for j, piece in enumerate(row.split()[:COLUMNS]):
            threads[j] += piece
    return threads


def by_ngrams(rows: list[str], model: CharTrigrams) -> list[str]:
    threads = [""] * COLUMNS
    for row in rows:
        pieces = row.split()[:COLUMNS]
        best = max(
            itertools.combinations(range(COLUMNS), len(pieces)),
            key=lambda slots: sum(
                model.continuation(threads[s], p) for s, p in zip(slots, pieces, strict=True)
            ),
        )
        for slot, piece in zip(best, pieces, strict=True):
            threads[slot] += piece
    return threads


def intact(sentences: list[str], output: str) -> int:
    return sum(1 for s in sentences if s in output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--train-docs", type=int, default=12000)
    args = parser.parse_args()
    if args.train_docs > TEST_OFFSET:
        raise SystemExit(f"--train-docs must be at most {TEST_OFFSET} (the test articles start there)")
    if not CORPUS.is_file():
        raise SystemExit(f"{CORPUS} not found")
    model = CharTrigrams(_docs(0, args.train_docs))
    tests = _docs(TEST_OFFSET, COLUMNS * args.pages)  # articles the model never saw
    rng = random.Random(11)
    totals = Counter()
    for n in range(args.pages):
        rows, sentences = make_page(tests[n * COLUMNS : (n + 1) * COLUMNS], rng)
        totals["sentences"] += len(sentences)
        totals["short_rows"] += sum(1 for r in rows if len(r.split()) < COLUMNS)
        totals["rows"] += len(rows)
        totals["raw"] += intact(sentences, "".join(r.replace(" ", "") for r in rows))
        totals["positional"] += intact(sentences, "\n".join(positional(rows)))
        totals["n-gram"] += intact(sentences, "\n".join(by_ngrams(rows, model)))
    rows = {"pages": args.pages, "rows": totals["rows"], "rows_missing_a_piece": totals["short_rows"]}
    print(json.dumps(rows))
    for method in ("raw", "positional", "n-gram"):
        share = totals[method] / totals["sentences"]
        print(json.dumps({"method": method, "sentences_intact": round(share, 3), "of": totals["sentences"]}))


if __name__ == "__main__":
    main()
