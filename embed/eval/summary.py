"""ROUGE of article summaries against references, beside the lead baseline on the same budget."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInputError
from ..summarize.scorer import SummaryScorer
from ..summarize.summarize import lead_summary, summarize_text
from ..text.sentences import split_sentences
from .jsonl import iter_objects
from .rouge import RougeScore, rouge_l, rouge_scores

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SummaryExample:
    """One line of a summaries file: an article and its reference summary."""

    example_id: str
    text: str
    summary: str


def read_summary_examples(path: str | Path) -> list[SummaryExample]:
    """Read a summaries JSONL file (`{"id", "text", "summary"}` per line).

    Raises:
        FileNotFoundError: `path` does not exist.
        ValueError: a line is not a JSON object with string `id`, `text` and `summary` (names the line).
    """
    return list(_iter_examples(Path(path)))


def _iter_examples(path: Path) -> Iterator[SummaryExample]:
    for number, row in iter_objects(path):
        if not all(isinstance(row.get(k), str) for k in ("text", "summary")):
            raise BadInputError(f'{path}:{number}: expected an object with string "text" and "summary"')
        yield SummaryExample(str(row.get("id", number)), row["text"], row["summary"])


def greedy_oracle(sentences: Sequence[str], reference: str, max_chars: int) -> list[int]:
    """The sentences a greedy ROUGE-L oracle picks under the budget rule, in reading order.

    Each step adds the sentence that raises the summary's ROUGE-L F1 most (the summary read in reading
    order); it stops when no sentence raises it or the summary has reached the budget. An upper bound to
    compare with, and the labels the sentence scorer learns from.
    """
    picked: list[int] = []
    best = 0.0
    total = 0
    while total < max_chars:
        choice, score = -1, best
        for i in range(len(sentences)):
            if i in picked:
                continue
            trial = "".join(sentences[j] for j in sorted([*picked, i]))
            value = rouge_l(trial, reference)
            if value > score:
                choice, score = i, value
        if choice < 0:
            break
        picked.append(choice)
        best = score
        total += len(sentences[choice])
    return sorted(picked)


def evaluate_summaries(
    path: str | Path,
    max_chars: int = 150,
    *,
    idf: Mapping[str, float] | None = None,
    scorer: SummaryScorer | None = None,
    oracle: bool = False,
) -> dict[str, Any]:
    """Character-level ROUGE-1/2/L F1 of `summarize_text` and of the lead baseline, averaged over a file.

    Args:
        path: a summaries JSONL file.
        max_chars: the budget both systems get (whole sentences, the last may cross it).
        idf: optional corpus IDF for the system (the lead baseline needs none).
        scorer: the sentence scorer to evaluate; the shipped one when None.
        oracle: also score the greedy ROUGE-L oracle (`greedy_oracle`), under "oracle" (slower).

    Returns:
        `{"n", "max_chars", "rouge1", "rouge2", "rougeL", "chars", "lead": {the same keys}}` (JSON-ready),
        plus "oracle" with the same keys when asked.
    """
    examples = read_summary_examples(path)
    if not examples:
        raise BadInputError(f"{path}: no examples")
    system, lead, best = [], [], []
    for example in examples:
        ours = summarize_text(example.text, max_chars, idf=idf, keywords=0, scorer=scorer).text
        baseline = lead_summary(example.text, max_chars).text
        system.append((rouge_scores(ours, example.summary), len(ours)))
        lead.append((rouge_scores(baseline, example.summary), len(baseline)))
        if oracle:
            sentences = [s.text for s in split_sentences(example.text)]
            top = "".join(sentences[i] for i in greedy_oracle(sentences, example.summary, max_chars))
            best.append((rouge_scores(top, example.summary), len(top)))
    shared = {"n": len(examples), "max_chars": max_chars}
    report = {**shared, **_mean(system), "lead": {**shared, **_mean(lead)}}
    if oracle:
        report["oracle"] = {**shared, **_mean(best)}
    log.info("summaries %s: rougeL %.4f vs lead %.4f", path, report["rougeL"], report["lead"]["rougeL"])
    return report


def _mean(scored: list[tuple[RougeScore, int]]) -> dict[str, float]:
    n = len(scored)
    return {
        "rouge1": sum(s.rouge1 for s, _ in scored) / n,
        "rouge2": sum(s.rouge2 for s, _ in scored) / n,
        "rougeL": sum(s.rougeL for s, _ in scored) / n,
        "chars": sum(length for _, length in scored) / n,
    }
