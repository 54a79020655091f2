"""Passages in the order of what they hold for the question: retrieval's score beside the answer evidence.

Retrieval ranks passages by the question's words and meaning as a whole; the answer ranker has just read
every sentence of those passages for the fact asked. A passage whose best sentence the ranker rates far
above the others' holds the answer more often than its retrieval rank says, so `ask` shows it first.
Only the order changes: the same passages, and the answer (which does not read passage ranks) is the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..datamodels import Hit
from .features import Candidate

EVIDENCE_WEIGHT = 0.5
"""A passage's place = (1 - w) × its retrieval score (scaled to the best's) + w × the share of the answer
evidence it holds (a softmax over passages of each one's best sentence logit). Equal weight, set before
measuring. Recall@1 of `ask`'s passage order against hybrid search (`policyqa eval --qa`, field
`ask_order`): 40 paraphrased seed questions 0.700 → 0.775, news archive 0.800 → 0.850 (doc@1 0.917 →
0.967), CMRC 2018 0.944 → 0.932 (doc@1 0.980 → 0.978), 16 paraphrased and 20 seed dev questions unchanged.
w = 0.3: 0.750 / 0.867 / 0.940; w = 0.7: 0.800 / 0.850 / 0.922. (Measured with the ranker of the time; the
README's table has today's figures, e.g. CMRC 0.937.)"""


def evidence_order(hits: Sequence[Hit], candidates: Sequence[Candidate], logits: np.ndarray) -> list[int]:
    """The passages' new order (indices into `hits`); ties keep the retrieval order."""
    if len(hits) < 2 or not len(candidates):
        return list(range(len(hits)))
    best = np.full(len(hits), -np.inf)
    np.maximum.at(best, np.array([c.passage for c in candidates]), logits)
    share = np.exp(best - best.max())  # a passage without sentences gets exp(-inf) = 0
    share /= share.sum()
    scores = np.array([max(h.score, 0.0) for h in hits])
    top = scores.max()
    retrieval = scores / top if top > 0 else np.zeros(len(hits))
    place = (1 - EVIDENCE_WEIGHT) * retrieval + EVIDENCE_WEIGHT * share
    return sorted(range(len(hits)), key=lambda i: (-place[i], i))


def reorder(
    hits: Sequence[Hit], candidates: Sequence[Candidate], order: Sequence[int]
) -> tuple[tuple[Hit, ...], list[Candidate]]:
    """`hits` in `order`, and the candidates relabelled to point at their passage's new index.

    The candidates keep their own order (passage by passage, as they were read), so whatever reads a
    passage's sentences in sequence still finds them together.
    """
    new_index = {old: new for new, old in enumerate(order)}
    moved = [
        c if new_index[c.passage] == c.passage else replace(c, passage=new_index[c.passage])
        for c in candidates
    ]
    return tuple(hits[i] for i in order), moved
