"""QA metrics on a QA file: retrieval per search mode, and the answers a person reads beside plain baselines.

Retrieval (recall@1/5, MRR@10, doc@1) is measured for each search mode on the answerable questions. The
answers are measured as the user meets them: does the answer hold the fact (`answer_hit`), does its *first*
sentence (`first_hit`), how long is it (`answer_chars`), are questions the archive cannot answer declined
(`declined`), and is `confidence` calibrated. Two plain baselines answer from the same passages in the
same run (see `embed.answer.baselines`).
"""

from __future__ import annotations

import logging
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..answer.baselines import BASELINES
from ..datamodels import Answer, Hit
from ..errors import BadInputError, EmptyQueryError
from ..progress import track
from ..search.retrieve import Mode, Retriever
from .jsonl import iter_objects

logger = logging.getLogger(__name__)

MRR_DEPTH = 10
"""MRR is cut at rank 10: a relevant passage further down is as good as none to a reader."""

CALIBRATION_BINS = 5
"""Equal-width confidence bins for the expected calibration error."""

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class QAItem:
    """One line of a QA file; no answers means the archive cannot answer it."""

    qid: str
    question: str
    answers: tuple[str, ...]
    context_id: str | None = None

    @property
    def answerable(self) -> bool:
        """Whether the archive holds an answer (the file lists answer strings)."""
        return bool(self.answers)


def read_qa(path: str | Path) -> list[QAItem]:
    """Read a QA JSONL file; a malformed line raises ValueError naming the file and line."""
    items = []
    for number, row in iter_objects(path):
        try:
            answers = tuple(str(a) for a in row["answers"])
            item = QAItem(str(row["qid"]), str(row["question"]), answers, row.get("context_id"))
        except (KeyError, TypeError) as exc:
            raise BadInputError(f"{path}:{number}: expected {{qid, question, answers}} ({exc})") from exc
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
    ask_fn: Callable[[str], Answer] | None = None,
) -> dict[str, Any]:
    """Retrieval metrics per search mode and, when `ask_fn` is given, answer metrics beside the baselines.

    Args:
        retriever: the retriever to measure.
        qa_path: JSONL of {qid, question, answers, context_id?}; `"answers": []` marks an unanswerable one.
        k: passages retrieved per question (at least 10, for MRR@10).
        modes: the search modes to compare; the last is also reported at the top level.
        ask_fn: question -> Answer (the system under test); the baselines answer from its passages.

    Returns:
        {"n" (answerable questions), "n_unanswerable", "mode", <retrieval metrics of the last mode>,
        "modes": {mode: {metrics, "ms_per_query"}}, and with `ask_fn`: "answer_hit", "first_hit",
        "answer_chars", "answered", "declined"?, "calibration", "baselines": {name: {...}}, and
        "ask_order" (the retrieval metrics of the passages in the order the answers return them; over
        the passages `ask_fn` returns, so recall@5 and MRR stop at its top k)}.
    """
    items = read_qa(qa_path)
    if not items:
        raise BadInputError(f"{qa_path} has no questions")
    answerable = [it for it in items if it.answerable]
    result: dict[str, Any] = {"n": len(answerable), "n_unanswerable": len(items) - len(answerable)}
    result["mode"] = modes[-1]
    if answerable:
        k = max(k, MRR_DEPTH)
        by_mode = {mode: _evaluate_mode(retriever, answerable, k, mode) for mode in modes}
        result.update({key: v for key, v in by_mode[modes[-1]].items() if key != "ms_per_query"})
        result["modes"] = by_mode
    if ask_fn is not None:
        answers = [_safe_ask(ask_fn, it.question) for it in track(items, desc="answering", unit="question")]
        result.update(score_answers(items, answers))
        if answerable:
            # The passages as `ask` returns them: retrieval's, reordered by the answer evidence they hold.
            asked = [a.hits for it, a in zip(items, answers, strict=True) if it.answerable]
            result["ask_order"] = mean_ranking_metrics(asked, answerable)
        # The baselines read the same passages in retrieval's order (by fused score), not in the order the
        # answer evidence gave them: `lead` is what a reader sees first without any answering.
        retrieved = [sorted(a.hits, key=lambda h: -h.score) for a in answers]
        result["baselines"] = {
            name: score_answers(
                items, [baseline(it.question, hits) for it, hits in zip(items, retrieved, strict=True)]
            )
            for name, baseline in BASELINES.items()
        }
    return result


def score_answers(items: Sequence[QAItem], answers: Sequence[Answer]) -> dict[str, Any]:
    """Answer metrics: hits over answerable questions, declines over unanswerable ones, calibration."""
    pairs = [(it, a) for it, a in zip(items, answers, strict=True) if it.answerable]
    out: dict[str, Any] = {}
    if pairs:
        given = [a for _, a in pairs if a.found]
        out["answer_hit"] = round(sum(is_relevant(a.text, it.answers) for it, a in pairs) / len(pairs), 4)
        out["first_hit"] = round(sum(_first_hit(a, it) for it, a in pairs) / len(pairs), 4)
        out["answer_chars"] = statistics.median(len(a.text) for a in given) if given else 0
        out["answered"] = round(len(given) / len(pairs), 4)
    refused = [not a.found for it, a in zip(items, answers, strict=True) if not it.answerable]
    if refused:
        out["declined"] = round(sum(refused) / len(refused), 4)
    out["calibration"] = calibration(
        [(a.confidence, _first_hit(a, it)) for it, a in zip(items, answers, strict=True) if a.found]
    )
    return out


def _first_hit(answer: Answer, item: QAItem) -> bool:
    """The answer's first sentence holds an answer string (never, for an unanswerable question)."""
    return bool(answer.found and answer.sentences and is_relevant(answer.sentences[0].text, item.answers))


def calibration(pairs: Sequence[tuple[float, bool]]) -> dict[str, Any]:
    """How well confidence predicts that the first sentence holds the fact, over the answers given.

    The contract's reading: among answers given with confidence c, about a share c holds the fact. An answer
    given to an unanswerable question counts as wrong. Returns the Brier score, the expected calibration error
    over CALIBRATION_BINS equal bins, and per bin (mean confidence, share right, count).
    """
    if not pairs:
        return {}
    brier = sum((c - float(ok)) ** 2 for c, ok in pairs) / len(pairs)
    bins: list[list[tuple[float, bool]]] = [[] for _ in range(CALIBRATION_BINS)]
    for conf, ok in pairs:
        bins[min(int(conf * CALIBRATION_BINS), CALIBRATION_BINS - 1)].append((conf, ok))
    rows = [(sum(c for c, _ in b) / len(b), sum(ok for _, ok in b) / len(b), len(b)) for b in bins if b]
    ece = sum(n * abs(conf - right) for conf, right, n in rows) / len(pairs)
    return {
        "brier": round(brier, 4),
        "ece": round(ece, 4),
        "bins": [[round(conf, 3), round(right, 3), n] for conf, right, n in rows],
    }


def _evaluate_mode(retriever: Retriever, items: list[QAItem], k: int, mode: Mode) -> dict[str, float]:
    rankings = []
    start = time.perf_counter()
    for item in track(items, desc=f"searching ({mode})", unit="question"):
        try:
            rankings.append(retriever.search(item.question, k=k, mode=mode))
        except EmptyQueryError:
            rankings.append([])  # counted as a miss: the question had nothing to search for
    elapsed = time.perf_counter() - start
    metrics = mean_ranking_metrics(rankings, items)
    metrics["ms_per_query"] = round(1000 * elapsed / len(items), 2)
    logger.info("%s: %s", mode, metrics)
    return metrics


def mean_ranking_metrics(rankings: Sequence[Sequence[Hit]], items: Sequence[QAItem]) -> dict[str, float]:
    """`score_ranking` averaged over questions (one ranking per item)."""
    totals: dict[str, float] = {}
    for hits, item in zip(rankings, items, strict=True):
        for key, value in score_ranking(hits, item).items():
            totals[key] = totals.get(key, 0.0) + value
    # doc@1 is defined only for questions that name their article; the other metrics for all of them.
    with_context = sum(item.context_id is not None for item in items)
    counts = {key: with_context if key == "doc@1" else len(items) for key in totals}
    return {key: round(value / counts[key], 4) for key, value in totals.items()}


def _safe_ask(ask_fn: Callable[[str], Answer], question: str) -> Answer:
    try:
        return ask_fn(question)
    except EmptyQueryError as exc:
        return Answer(question, "", (), (), found=False, message=str(exc))
