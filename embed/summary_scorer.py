"""The learned sentence scorer: logistic-regression weights over `summary_features`, shipped as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .summary_features import FEATURES

MODEL_PATH = Path(__file__).parent / "data" / "summary_scorer.json"
"""The shipped model; `scripts/train_summary_scorer.py` rebuilds it from ../shared/train."""


@dataclass(frozen=True, slots=True)
class SummaryScorer:
    """A linear model on standardised features: score = sigmoid(((x - mean) / scale) · weights + bias).

    The score estimates how likely a reference summary draws on the sentence; numpy only at inference.
    """

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    meta: dict[str, Any]

    def score(self, rows: np.ndarray) -> np.ndarray:
        """Probabilities (0..1), one per feature row."""
        if len(rows) == 0:
            return np.zeros(0)
        z = (rows - self.mean) / self.scale @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: per-feature mean, scale and weight, readable side by side."""
        return {
            "model": "logistic-regression",
            "bias": self.bias,
            "features": {
                name: {"weight": float(w), "mean": float(m), "scale": float(s)}
                for name, w, m, s in zip(self.features, self.weights, self.mean, self.scale, strict=True)
            },
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SummaryScorer:
        """Parse `to_dict`'s form; rejects a model whose features are not today's `FEATURES`."""
        table = data["features"]
        if tuple(table) != FEATURES:
            raise ValueError(f"summary scorer features {tuple(table)} differ from {FEATURES}: retrain it")
        mean, scale, weight = (
            np.array([table[name][key] for name in FEATURES], dtype=np.float64)
            for key in ("mean", "scale", "weight")
        )
        return cls(FEATURES, mean, scale, weight, float(data["bias"]), data["meta"])

    def save(self, path: str | Path) -> None:
        """Write the JSON form (stable key order, so a rebuild with the same data gives the same bytes)."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=1)
        Path(path).write_text(text + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def load_scorer(path: str | Path = MODEL_PATH) -> SummaryScorer:
    """The shipped scorer (read once per process)."""
    return SummaryScorer.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
