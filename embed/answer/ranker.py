"""The learned answer ranker: sentence scores and a calibrated answer confidence, from a shipped JSON file.

Two linear models over standardised readable features, both learned from synthetic questions
(`scripts/train_answer_ranker.py`):
- the sentence model scores each candidate (FEATURES of `embed.answer.features`): which of a question's
  candidates holds the fact? It is a conditional logit (a softmax over each question's candidates), so it
  learns from how the right sentence differs from its rivals, not from how easy the question is;
- the confidence model turns the best candidate's evidence (CONFIDENCE_FEATURES) into the probability
  that the answer's first sentence holds the fact, trained on questions the archive can and cannot answer,
  so that `found` can be decided on it.
Inference is a dot product (`embed.model.linear`): no learning library is needed at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..model.linear import LinearModel, fit_linear, fit_listwise, read_model_file, write_model_file
from .features import FEATURES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .questions import Sample

RANKER_FILE = Path(__file__).parent.parent / "data" / "answer_ranker.json"
"""The shipped weights; rebuilt by `scripts/train_answer_ranker.py`."""

SENTENCE_PENALTY = 0.1
"""L2 strength on the sentence model's standardised weights. Synthetic questions make some features (the
asked type) near-perfect signals that real questions do not; a firm penalty keeps their weights modest.
Chosen among 0.01-1.0 on the dev sets (top-sentence accuracy, benchmarks/answer_ranker_features.py),
as was the conditional logit over a per-candidate logistic regression (0.58 -> 0.65 on the news archive)."""

CONFIDENCE_FEATURES: tuple[str, ...] = (
    "top_logit",  # the sentence model's score of the best candidate
    "margin",  # how far the best candidate is ahead of the second
    "top_coverage",  # IDF-weighted share of the question's words in the best candidate
    "top_dense",  # cosine of the best candidate and the question
    "passage_dense",  # cosine of the top passage and the question (absolute: is the archive on topic?)
)
"""Answer-level evidence, in order."""


@dataclass(frozen=True, slots=True)
class AnswerRanker:
    """The sentence model and the confidence model, with the threshold below which an answer is declined."""

    sentence: LinearModel
    confidence: LinearModel
    threshold: float
    """Answers with confidence below this are declined (`found: false`)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the shipped file's shape)."""
        return {
            "sentence": self.sentence.to_dict(),
            "confidence": self.confidence.to_dict(),
            "threshold": self.threshold,
        }


def confidence_features(logits: np.ndarray, features: np.ndarray, passage_dense: float) -> np.ndarray:
    """CONFIDENCE_FEATURES of a question's best candidate, from the candidates' logits and feature rows."""
    order = np.argsort(-logits, kind="stable")
    top = int(order[0])
    margin = float(logits[top] - logits[order[1]]) if len(order) > 1 else 0.0
    column = {name: features[top, i] for i, name in enumerate(FEATURES)}
    return np.array([logits[top], margin, column["coverage"], column["dense"], passage_dense])


def save_ranker(ranker: AnswerRanker, path: Path = RANKER_FILE) -> None:
    """Write the ranker as readable JSON."""
    write_model_file(ranker.to_dict(), path)


@lru_cache(maxsize=4)
def load_ranker(path: Path = RANKER_FILE) -> AnswerRanker:
    """The shipped ranker (read once per process)."""
    data = read_model_file(path)
    return AnswerRanker(
        LinearModel.from_dict(data["sentence"], FEATURES),
        LinearModel.from_dict(data["confidence"], CONFIDENCE_FEATURES),
        float(data["threshold"]),
    )


def fit_ranker(
    samples: Sequence[Sample], threshold: float, penalty: float = SENTENCE_PENALTY
) -> AnswerRanker:
    """Fit the sentence model on answerable questions, then the confidence model on all of them."""
    sentence = fit_listwise([(s.rows, s.labels) for s in samples], FEATURES, penalty)
    evidence = np.stack(
        [confidence_features(sentence.logit(s.rows), s.rows, s.passage_dense) for s in samples]
    )
    right = np.array([s.labels[int(np.argmax(sentence.logit(s.rows)))] for s in samples])
    confidence = fit_linear(evidence, right, CONFIDENCE_FEATURES)
    return AnswerRanker(sentence, confidence, threshold)
