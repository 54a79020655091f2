"""The not-found threshold's trade-off on the dev sets: answers given and right vs unanswerable declined.

Every dev set is indexed with the default (built-in) model (into --keep DIR/<set>, reused when there), every
question is answered once with the threshold at 0 (the confidence is kept), and for each threshold the
script prints what `policyqa eval --qa` would report: the share answered, answer_hit and first_hit over the
answerable questions, and the share of unanswerable ones declined. The shipped threshold is one of these
rows, chosen here by one rule: the highest mean, over the sets that have unanswerable questions (seeds,
news archive), of (first_hit + declined) / 2, i.e. right answers and right refusals weighed alike. Apart
from the sentence model's regularisation it is the only number the dev sets choose (the ranker's weights
come from synthetic questions, see scripts/train_answer_ranker.py).

    .venv/bin/python benchmarks/answer_threshold.py [--keep /tmp/pq] [--thresholds 0.05 0.1 0.2]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from dataclasses import replace
from pathlib import Path

from dev_sets import QA_SETS, QUESTION_LIMIT, index_dir

from embed.answer.answer import answer_question
from embed.answer.ranker import load_ranker
from embed.archive import Archive
from embed.config import Settings
from embed.eval.qa import is_relevant, read_qa

RULE_SETS = ("seeds paraphrased", "seeds unanswerable", "news archive")
"""The sets whose answered-right and declined shares the threshold rule weighs alike (ties: the lower one)."""


def answers(retriever, qa_paths: list[Path], limit: int | None) -> list[tuple[bool, float, bool, bool, int]]:
    """(answerable, confidence, answer hit, first hit, chars) per question, never declining."""
    always = replace(load_ranker(), threshold=0.0)
    out = []
    items = [it for path in qa_paths for it in read_qa(path)][:limit]
    for item in items:
        hits = retriever.search(item.question, k=5)
        answer = answer_question(
            item.question, hits, tokenizer=retriever.index.tokenizer, encoder=retriever.encoder, ranker=always
        )
        first = bool(answer.sentences) and is_relevant(answer.sentences[0].text, item.answers)
        out.append(
            (
                item.answerable,
                answer.confidence,
                is_relevant(answer.text, item.answers),
                first,
                len(answer.text),
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the built indexes here and reuse them")
    parser.add_argument(
        "--thresholds", type=float, nargs="+", default=[0.0, 0.05, 0.1, 0.125, 0.15, 0.175, 0.2, 0.3]
    )
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="policyqa-threshold-"))
    shipped = load_ranker().threshold
    print(f"shipped threshold: {shipped}")
    heads = ("threshold", "answered", "answer_hit", "first_hit", "chars", "declined")
    print(f"{'set':20}" + "".join(f" {h:>10}" for h in heads))
    rule: dict[float, list[float]] = {t: [] for t in args.thresholds}
    for name, (corpus, paths) in QA_SETS.items():
        retriever = Archive.open(Settings(index_dir=index_dir(root, corpus))).retriever
        rows = answers(retriever, paths, QUESTION_LIMIT)
        for t in args.thresholds:
            given = [r for r in rows if r[1] >= t]
            answerable = [r for r in rows if r[0]]
            unanswerable = [r for r in rows if not r[0]]
            line = f"{name:20} {t:10.3f}"
            if answerable:
                kept = [r for r in answerable if r[1] >= t]
                line += (
                    f" {len(kept) / len(answerable):9.3f} {sum(r[2] for r in kept) / len(answerable):11.3f}"
                )
                first_hit = sum(r[3] for r in kept) / len(answerable)
                line += f" {first_hit:10.3f}"
                if name in RULE_SETS:
                    rule[t].append(first_hit)
                line += f" {statistics.median(r[4] for r in given) if given else 0:6.0f}"
            else:
                line += " " * 39
            if unanswerable:
                declined = sum(r[1] < t for r in unanswerable) / len(unanswerable)
                line += f" {declined:9.3f}"
                if name in RULE_SETS:
                    rule[t].append(declined)
            print(line)
    means = {t: statistics.mean(v) for t, v in rule.items() if v}
    best = max(means, key=lambda t: (means[t], -t))
    print("rule (mean of first_hit and declined over " + ", ".join(RULE_SETS) + "):")
    print("  " + "  ".join(f"{t:.3f}: {m:.3f}" for t, m in means.items()) + f"  -> {best:.3f}")


if __name__ == "__main__":
    main()
