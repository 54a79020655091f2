"""A linear model over standardised, named features: logistic regressions and the selector's ridge.

The answer ranker's confidence and the summary scorer are logistic regressions; the answer ranker's
sentence model is a conditional logit (a softmax over each question's candidates); the summary selector
is a ridge regression, whose prediction is `logit`. Inference is numpy only; fitting uses scikit-learn, a
training-time dependency (the training scripts). The JSON form lists each feature's weight, mean and
scale side by side, so a reader sees what counts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DIGITS = 6
"""Stored numbers are rounded to this many decimals: a rebuild from the same data gives the same bytes."""


def write_model_file(data: dict[str, Any], path: str | Path) -> None:
    """Write a model's JSON form readably, in a stable key order: the same data gives the same bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def read_model_file(path: str | Path) -> dict[str, Any]:
    """A model file's JSON form, as `write_model_file` wrote it."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


@dataclass(frozen=True, slots=True, eq=False)
class LinearModel:
    """sigmoid(((x - mean) / scale) @ coef + intercept) over the features `names`, in that order."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logit(self, rows: np.ndarray) -> np.ndarray:
        """Log-odds of each row (rows: [n, len(names)]); empty for no rows."""
        if len(rows) == 0:
            return np.zeros(0)
        # An elementwise product summed per row, not a matrix product: BLAS may round a row's sum differently
        # at another place in the matrix, and a candidate's score must not depend on its rank.
        return (((rows - self.mean) / self.scale) * self.coef).sum(axis=1) + self.intercept

    def probability(self, rows: np.ndarray) -> np.ndarray:
        """Probability of each row."""
        return 1.0 / (1.0 + np.exp(-self.logit(rows)))

    def weights(self) -> dict[str, float]:
        """Each feature's standardised weight."""
        return dict(zip(self.names, self.coef.tolist(), strict=True))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the intercept, and per feature its weight, mean and scale."""
        return {
            "intercept": self.intercept,
            "features": {
                name: {"weight": float(w), "mean": float(m), "scale": float(s)}
                for name, w, m, s in zip(self.names, self.coef, self.mean, self.scale, strict=True)
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], names: Sequence[str]) -> LinearModel:
        """Read `to_dict`'s form back; the file must list exactly the features the code computes."""
        table = data["features"]
        if tuple(table) != tuple(names):
            raise ValueError(
                f"the model file lists features {list(table)}, the code computes {list(names)}: retrain it"
            )
        mean, scale, coef = (
            np.array([table[name][key] for name in names], dtype=np.float64)
            for key in ("mean", "scale", "weight")
        )
        return cls(tuple(names), mean, scale, coef, float(data["intercept"]))


def fit_linear(rows: np.ndarray, labels: np.ndarray, names: Sequence[str], c: float = 1.0) -> LinearModel:
    """Fit an L2-regularised logistic regression (inverse strength `c`) on standardised features."""
    from sklearn.linear_model import LogisticRegression

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-9] = 1.0  # a constant feature carries no information; keep it harmless
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((rows - mean) / scale, labels)
    return LinearModel(
        tuple(names),
        np.round(mean, DIGITS),
        np.round(scale, DIGITS),
        np.round(model.coef_[0].astype(np.float64), DIGITS),
        round(float(model.intercept_[0]), DIGITS),
    )


def fit_listwise(
    groups: Sequence[tuple[np.ndarray, np.ndarray]], names: Sequence[str], penalty: float
) -> LinearModel:
    """Fit a conditional logit: in each group (rows, labels), a softmax over the rows picks the labelled one.

    Each group is one question's candidates; only differences between a question's candidates count, so
    what makes every candidate of one question alike (a question that shares many words with its article)
    cannot be mistaken for evidence. `penalty` is the L2 strength on the standardised weights. The model's
    intercept is 0: its logits rank candidates and are not probabilities. Groups without a labelled row
    are left out.
    """
    from scipy.optimize import minimize

    groups = [(rows, labels) for rows, labels in groups if labels.any()]
    stacked = np.concatenate([rows for rows, _ in groups])
    mean = np.round(stacked.mean(axis=0), DIGITS)
    scale = np.round(stacked.std(axis=0), DIGITS)
    scale[scale < 1e-9] = 1.0
    standard = [((rows - mean) / scale, labels / labels.sum()) for rows, labels in groups]

    def loss(coef: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(coef)
        for rows, target in standard:
            z = rows @ coef
            p = np.exp(z - z.max())
            p /= p.sum()
            total -= float(target @ np.log(p + 1e-12))
            grad -= rows.T @ (target - p)
        n = len(standard)
        return total / n + penalty * float(coef @ coef), grad / n + 2 * penalty * coef

    coef = minimize(loss, np.zeros(stacked.shape[1]), jac=True, method="L-BFGS-B").x
    return LinearModel(tuple(names), mean, scale, np.round(coef, DIGITS), 0.0)


def fit_ridge(rows: np.ndarray, targets: np.ndarray, names: Sequence[str], alpha: float = 1.0) -> LinearModel:
    """Fit a ridge regression (L2 strength `alpha`) on standardised features; `logit` is its prediction."""
    from sklearn.linear_model import Ridge

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = Ridge(alpha=alpha).fit((rows - mean) / scale, targets)
    return LinearModel(
        tuple(names),
        np.round(mean, DIGITS),
        np.round(scale, DIGITS),
        np.round(model.coef_.astype(np.float64), DIGITS),
        round(float(model.intercept_), DIGITS),
    )
