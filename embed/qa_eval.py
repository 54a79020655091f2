"""Retrieval metrics on a QA file (recall@1/5, MRR@10, doc@1) for each search mode, plus answer hits."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .datamodels import Hit
from .errors import EmptyQueryError
from .jsonl import iter_objects
from .retrieve import Mode, Retriever

logger = logging.getLogger(__name__)

MRR_DEPTH = 10
"""MRR is cut at rank 10: a relevant passage further down is as good as none to a reader."""

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class QAItem:
    """One line of a QA file."""

    qid: str
    question: str
    answers: tuple[str, ...]
    context_id: str | None = None


def read_qa(path: str | Path) -> list[QAItem]:
    """Read a QA JSONL file; a malformed line raises ValueError naming the file and line."""
    items = []
    for number, row in iter_objects(path):
        try:
            answers = tuple(str(a) for a in row["answers"])
            item = QAItem(str(row["qid"]), str(row["question"]), answers, row.get("context_id"))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: expected {{qid, question, answers}} ({exc})") from exc
        items.append(item)
    return items


def _squash(text: str) -> str:
    return _SPACE.sub("", text)


def is_relevant(text: str, answers: Sequence[str]) -> bool:
    """A passage (or answer) is relevant when it contains any answer string, whitespace ignored."""
    squashed = _squash(text)
    return any(_squash(a) and _squash(a) in squashed for a in answers)


def score_ranking(hits: Sequence[Hit], item: QAItem) -> dict[str, float]:
    """Per-question metrics of one ranking."""
    first = next(
        (i for i, h in enumerate(hits[:MRR_DEPTH], 1) if is_relevant(h.chunk.text, item.answers)), None
    )
    out = {
        "recall@1": float(first == 1),
        "recall@5": float(first is not None and first <= 5),
        "mrr@10": 1.0 / first if first else 0.0,
    }
    if item.context_id is not None:
        out["doc@1"] = float(bool(hits) and hits[0].chunk.article_id == item.context_id)
    return out


def evaluate_qa(
    retriever: Retriever,
    qa_path: str | Path,
    k: int = MRR_DEPTH,
    modes: Sequence[Mode] = ("bm25", "dense", "hybrid"),
    answer_fn: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """Retrieval metrics per search mode, and the answer hit rate when `answer_fn` is given.

    Args:
        retriever: the retriever to measure.
        qa_path: JSONL of {qid, question, answers, context_id?}.
        k: passages retrieved per question (at least 10, for MRR@10).
        modes: the search modes to compare; the last is also reported at the top level.
        answer_fn: question -> extractive answer text; an answer hits when it contains an answer string.

    Returns:
        {"n", "mode", <metrics of the last mode>, "answer_hit"?, "modes": {mode: {metrics, "ms_per_query"}}}.
        `ms_per_query` of a later mode excludes query encoding: the retriever caches query vectors.
    """
    items = read_qa(qa_path)
    if not items:
        raise ValueError(f"{qa_path} has no questions")
    k = max(k, MRR_DEPTH)
    by_mode = {mode: _evaluate_mode(retriever, items, k, mode) for mode in modes}
    result: dict[str, Any] = {"n": len(items), "mode": modes[-1]}
    result.update({key: v for key, v in by_mode[modes[-1]].items() if key != "ms_per_query"})
    if answer_fn is not None:
        hits = sum(is_relevant(_safe_answer(answer_fn, it.question), it.answers) for it in items)
        result["answer_hit"] = hits / len(items)
    result["modes"] = by_mode
    return result


def _evaluate_mode(retriever: Retriever, items: list[QAItem], k: int, mode: Mode) -> dict[str, float]:
    totals: dict[str, float] = {}
    start = time.perf_counter()
    for item in items:
        try:
            hits = retriever.search(item.question, k=k, mode=mode)
        except EmptyQueryError:
            hits = []  # counted as a miss: the question had nothing to search for
        for key, value in score_ranking(hits, item).items():
            totals[key] = totals.get(key, 0.0) + value
    elapsed = time.perf_counter() - start
    # doc@1 is defined only for questions that name their article; the other metrics for all of them.
    with_context = sum(item.context_id is not None for item in items)
    counts = {key: with_context if key == "doc@1" else len(items) for key in totals}
    metrics = {key: round(value / counts[key], 4) for key, value in totals.items()}
    metrics["ms_per_query"] = round(1000 * elapsed / len(items), 2)
    logger.info("%s: %s", mode, metrics)
    return metrics


def _safe_answer(answer_fn: Callable[[str], str], question: str) -> str:
    try:
        return answer_fn(question)
    except EmptyQueryError:
        return ""
