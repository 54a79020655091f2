"""The learned sentence scorer: logistic-regression weights over `summarize.features`, shipped as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..model.linear import LinearModel, read_model_file, write_model_file
from .features import FEATURES

MODEL_PATH = Path(__file__).parent.parent / "data" / "summary_scorer.json"
"""The shipped model; `scripts/train_summary_scorer.py` rebuilds it from ../shared/train."""


@dataclass(frozen=True, slots=True)
class SummaryScorer:
    """How likely a reference summary draws on a sentence: a logistic regression over `FEATURES`."""

    model: LinearModel
    meta: dict[str, Any]
    """How it was trained (data, rows, label, regularisation), for humans."""

    def score(self, rows: np.ndarray) -> np.ndarray:
        """Probabilities (0..1), one per feature row."""
        return self.model.probability(rows)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: the model's per-feature weights, means and scales, and the training facts."""
        return {"model": "logistic-regression", **self.model.to_dict(), "meta": self.meta}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SummaryScorer:
        """Parse `to_dict`'s form; rejects a model whose features are not today's `FEATURES`."""
        return cls(LinearModel.from_dict(data, FEATURES), data["meta"])

    def save(self, path: str | Path) -> None:
        """Write the JSON form (stable key order, so a rebuild with the same data gives the same bytes)."""
        write_model_file(self.to_dict(), path)


@lru_cache(maxsize=1)
def load_scorer(path: str | Path = MODEL_PATH) -> SummaryScorer:
    """The shipped scorer (read once per process)."""
    return SummaryScorer.from_dict(read_model_file(path))
