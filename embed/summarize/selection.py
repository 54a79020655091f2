"""Choose the summary as a whole: every sentence set the budget rule allows, rated by a learned regression."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..model.linear import LinearModel, read_model_file, write_model_file
from .features import FEATURES

MODEL_PATH = Path(__file__).parent.parent / "data" / "summary_selector.json"
"""The shipped selector; `scripts/train_summary_scorer.py` rebuilds it from ../shared/train."""

CANDIDATES = 8
"""Sets are drawn from the first CANDIDATES sentences: 255 sets at most (about 1 ms per article), and news
puts what a summary needs near the top."""

SET_FEATURES = (
    "length",
    "length_squared",
    "sentences",
    "article_share",
    "first",
    "second",
    "third",
    "lead_prefix",
    "last_position",
    "mean_position",
    "centroid_cosine",
    "first_cosine",
    "redundancy",
    "mean_scorer",
    "min_scorer",
    "boilerplate",
    "dateline",
    "short",
    "unterminated",
    "reported_speech",
    "exhortation",
    "quote",
    "mean_lexrank",
    "lead_share",
    "length_x_scorer",
    "centroid_x_scorer",
)
"""Columns of `set_features`: the candidate summary read as a whole (length against the budget, where its
sentences sit, how well the set covers the article's centre and first sentence, how much it repeats itself,
the sentence scorer's view of its members, page furniture it carries, how much of it the lead shares)."""

_FLAGS = ("boilerplate", "dateline", "short", "unterminated", "reported_speech", "exhortation", "quote")


@dataclass(frozen=True, slots=True)
class SentenceView:
    """What the selector reads about the first sentences of one article (all arrays of the same length)."""

    lengths: np.ndarray
    similarity: np.ndarray
    centroid_cosine: np.ndarray
    lexrank: np.ndarray
    rows: np.ndarray
    """`embed.summarize.features.sentence_features` rows."""
    scorer: np.ndarray
    """The sentence scorer's probabilities."""
    sentence_count: int
    """Sentences in the whole article (the view may hold fewer)."""
    article_chars: int
    """Non-blank characters of the whole article."""


@dataclass(frozen=True, slots=True)
class SummarySelector:
    """A ridge regression over `SET_FEATURES` that predicts a set's ROUGE-L F1 against the article's mean."""

    model: LinearModel
    meta: dict[str, Any]
    """How it was trained; `min_article_chars`: shorter articles than any it saw are left to the rules."""

    def applies_to(self, view: SentenceView) -> bool:
        """Whether the article is of the length the selector was trained on (it is not trusted outside)."""
        return view.article_chars >= int(self.meta.get("min_article_chars", 0))

    def choose(self, view: SentenceView, max_chars: int) -> list[int] | None:
        """The best-rated sentence set (reading order).

        None when no set of the first sentences fills the budget under the contract's rule.
        """
        masks = candidate_sets(view.lengths, max_chars, complete=len(view.lengths) == view.sentence_count)
        if len(masks) == 0:
            return None
        best = masks[int(np.argmax(self.model.logit(set_features(view, masks, max_chars))))]
        return np.flatnonzero(best).tolist()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: per-feature weights, means and scales, and the training facts."""
        return {"model": "ridge-regression", **self.model.to_dict(), "meta": self.meta}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SummarySelector:
        """Parse `to_dict`'s form; rejects a model whose features are not today's `SET_FEATURES`."""
        return cls(LinearModel.from_dict(data, SET_FEATURES), data["meta"])

    def save(self, path: str | Path) -> None:
        """Write the JSON form (stable key order: the same data gives the same bytes)."""
        write_model_file(self.to_dict(), path)


@lru_cache(maxsize=1)
def load_selector(path: str | Path = MODEL_PATH) -> SummarySelector:
    """The shipped selector (read once per process)."""
    return SummarySelector.from_dict(read_model_file(path))


@lru_cache(maxsize=CANDIDATES)
def _all_masks(n: int) -> np.ndarray:
    """Every non-empty subset of n sentences as a 0/1 row."""
    codes = np.arange(1, 1 << n)
    return ((codes[:, None] >> np.arange(n)) & 1).astype(np.float64)


def candidate_sets(lengths: np.ndarray, max_chars: int, *, complete: bool) -> np.ndarray:
    """The subsets the budget rule allows, as 0/1 rows over `lengths`.

    A set is allowed when some order of adding its sentences keeps every addition before the last under
    the budget (total minus its longest sentence < `max_chars`) and it reaches the budget; a set that
    does not reach it is allowed only when it is every sentence of the article (`complete`).
    """
    masks = _all_masks(len(lengths))
    total = masks @ lengths
    longest = (masks * lengths).max(axis=1)
    reaches = total >= max_chars
    if complete:
        reaches |= masks.sum(axis=1) == len(lengths)
    return masks[(total - longest < max_chars) & reaches]


def set_features(view: SentenceView, masks: np.ndarray, max_chars: int) -> np.ndarray:
    """One `SET_FEATURES` row per candidate set (masks: 0/1 rows over the view's sentences)."""
    n = masks.shape[1]
    total = masks @ view.lengths
    count = masks.sum(axis=1)
    position = np.arange(n)
    # The set's TF-IDF vector is the sum of its unit sentence vectors: its norm comes from the similarities.
    norm = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", masks, view.similarity, masks), 1e-9))
    redundancy = np.zeros(len(masks))
    for a in range(n):
        for b in range(a + 1, n):
            redundancy = np.maximum(redundancy, masks[:, a] * masks[:, b] * view.similarity[a, b])
    lead = np.cumsum(view.lengths) - view.lengths < max_chars  # the lead baseline's sentences
    length = total / max_chars
    scorer = masks @ view.scorer / count
    centroid = masks @ view.centroid_cosine / norm
    flags = [masks @ view.rows[:, FEATURES.index(name)] for name in _FLAGS]
    return np.column_stack(
        [
            length,
            length**2,
            count,
            total / max(view.article_chars, 1),
            masks[:, 0],
            masks[:, 1] if n > 1 else np.zeros(len(masks)),
            masks[:, 2] if n > 2 else np.zeros(len(masks)),
            np.cumprod(masks, axis=1).sum(axis=1) == count,
            (masks * position).max(axis=1) / view.sentence_count,
            masks @ position / count,
            centroid,
            masks @ view.similarity[:, 0] / norm,
            redundancy,
            scorer,
            np.where(masks > 0, view.scorer, np.inf).min(axis=1),
            *flags,
            masks @ view.lexrank / count,
            masks @ (lead * view.lengths) / np.maximum(total, 1),
            length * scorer,
            centroid * scorer,
        ]
    )
