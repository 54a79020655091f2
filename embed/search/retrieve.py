"""Search: BM25 and dense rankings fused (convex or reciprocal rank); duplicates collapsed; highlights."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import numpy as np

from ..datamodels import Chunk, Hit
from ..errors import EmptyQueryError, ModelMismatchError

if TYPE_CHECKING:
    from ..index.index import Index
    from ..model.encoder import Encoder

logger = logging.getLogger(__name__)

_SPACE = re.compile(r"\s+")

Mode = Literal["hybrid", "bm25", "dense"]
MODES: tuple[Mode, ...] = ("hybrid", "bm25", "dense")

RRF_K = 60
"""Reciprocal rank fusion constant (Cormack et al. 2009): flattens the head so neither ranker dominates."""

Fusion = Literal["convex", "rrf"]

CONVEX_ALPHA = 0.6
"""Share of the BM25 side in convex fusion; measured in benchmarks/retrieval_quality.py (see the README)."""

CANDIDATES = 100
"""How deep each ranker's list goes before fusion."""

PROBE_CHARS = 16
"""Near-duplicate test: windows of this size at 1/4, 1/2 and 3/4 of the shorter passage must all occur in
the other. Reprints pass; neighbouring passages of one article do not, since they share only their edges."""


def rrf(*rankings: np.ndarray, weights: tuple[float, ...] | None = None, k: int = RRF_K) -> dict[int, float]:
    """Weighted reciprocal rank fusion: sum of w / (k + rank) over the rankings a row is in (ranks from 1)."""
    weights = weights or (1.0,) * len(rankings)
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, row in enumerate(ranking.tolist(), start=1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return fused


def convex(
    bm25_scores: np.ndarray, embeddings: np.ndarray, qvec: np.ndarray, rows: np.ndarray, alpha: float
) -> dict[int, float]:
    """Convex combination of min-max scaled BM25 and cosine scores over the candidate rows.

    Scaling per query puts the two on one footing without adding raw BM25 to cosine; unlike RRF it keeps
    how far apart the candidates are (Bruch et al. 2023, "An analysis of fusion functions for hybrid
    retrieval").
    """
    if rows.size == 0:
        return {}
    rows = rows.astype(np.int64)
    lexical = _minmax(bm25_scores[rows])
    dense = _minmax(embeddings[rows] @ qvec)
    fused = alpha * lexical + (1.0 - alpha) * dense
    return dict(zip(rows.tolist(), fused.tolist(), strict=True))


def _minmax(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values, dtype=np.float64)


class Retriever:
    """Searches one index with the encoder it was built with."""

    def __init__(
        self,
        index: Index,
        encoder: Encoder,
        *,
        fusion: Fusion = "convex",
        alpha: float = CONVEX_ALPHA,
        weights: tuple[float, float] = (1.0, 1.0),
        candidates: int = CANDIDATES,
    ) -> None:
        """Set up a searcher.

        Args:
            index: the index to search.
            encoder: the model the index was built with (same dimension).
            fusion: "convex" (alpha * BM25 + (1 - alpha) * cosine, each min-max scaled over the candidates)
                or "rrf" (weighted reciprocal rank fusion with `weights` as (bm25, dense)).
            alpha: BM25's share in convex fusion.
            weights: RRF weights.
            candidates: depth of each ranking before fusion.
        """
        if fusion not in ("convex", "rrf"):
            raise ValueError(f"fusion must be convex or rrf, not {fusion!r}")
        if encoder.dim != index.dim:
            raise ModelMismatchError(
                f"the index has {index.dim}-dimensional vectors (model {index.model!r}) but the encoder "
                f"{encoder.name!r} makes {encoder.dim}: run `policyqa index` to rebuild with this model"
            )
        self.index = index
        self.encoder = encoder
        self.fusion = fusion
        self.alpha = alpha
        self.weights = weights
        self.candidates = candidates

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid") -> list[Hit]:
        """The best `k` passages for `query`, best first.

        Raises:
            EmptyQueryError: the query is blank or only stopwords/punctuation.
            ValueError: unknown mode or k < 1.
        """
        query = query.strip()
        tokens = self._search_tokens(query, k, mode)
        if not len(self.index.chunks):
            return []
        n = max(self.candidates, 4 * k)
        bm25_scores = self.index.bm25.scores(tokens) if mode != "dense" else None
        qvec = self._query_vector(query) if mode != "bm25" else None
        rows, scores = self._rank(mode, n, bm25_scores, qvec)
        ranked = ((self.index.chunks[row], score) for row, score in zip(rows, scores, strict=True))
        return distinct_hits(
            ranked, k, lambda chunk, score: self._hit(chunk, score, bm25_scores, qvec, tokens)
        )

    def _search_tokens(self, query: str, k: int, mode: Mode) -> list[str]:
        """The query's search tokens, after checking the arguments (every backend searches this way)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if k < 1:
            raise ValueError("k must be at least 1")
        tokens = self.index.tokenizer.tokenize_for_search(query)
        if not tokens:
            raise EmptyQueryError("the query has no searchable words (it is blank or only stopwords)")
        return tokens

    def _rank(
        self, mode: Mode, n: int, bm25_scores: np.ndarray | None, qvec: np.ndarray | None
    ) -> tuple[list[int], list[float]]:
        """Rows best first with the mode's score: BM25, cosine, or the fused RRF score."""
        bm25_rows = _top(bm25_scores, n) if bm25_scores is not None else None
        if mode == "bm25":
            return bm25_rows.tolist(), bm25_scores[bm25_rows].tolist()
        dense_rows, dense_scores = self.index.dense_search(qvec[None, :], n)
        dense_rows, dense_scores = dense_rows[0], dense_scores[0]
        valid = dense_rows >= 0  # FAISS pads with -1 when it finds fewer than n
        dense_rows, dense_scores = dense_rows[valid], dense_scores[valid]
        if mode == "dense":
            return dense_rows.tolist(), dense_scores.tolist()
        if self.fusion == "convex":
            fused = convex(
                bm25_scores, self.index.embeddings, qvec, np.union1d(bm25_rows, dense_rows), self.alpha
            )
        else:
            fused = rrf(bm25_rows, dense_rows, weights=self.weights)
        order = sorted(fused, key=lambda row: (-fused[row], row))
        return order, [fused[row] for row in order]

    def _hit(
        self,
        chunk: Chunk,
        score: float,
        bm25_scores: np.ndarray | None,
        qvec: np.ndarray | None,
        tokens: list[str],
    ) -> Hit:
        row = chunk.chunk_id
        return Hit(
            chunk=chunk,
            score=float(score),
            dense_score=float(self.index.embeddings[row] @ qvec) if qvec is not None else None,
            bm25_score=float(bm25_scores[row]) if bm25_scores is not None else None,
            highlights=highlight_spans(chunk.text, tokens),
        )

    def _query_vector(self, query: str) -> np.ndarray:
        # No cache here: an Archive wraps its encoder in a CachingEncoder, the one vector cache.
        return np.asarray(self.encoder.encode_queries([query]), dtype=np.float32)[0]


def distinct_hits(
    ranked: Iterable[tuple[Chunk, float]], k: int, make_hit: Callable[[Chunk, float], Hit]
) -> list[Hit]:
    """The first `k` candidates, best first, that are not near-duplicates (reprints) of one already kept."""
    hits: list[Hit] = []
    kept: list[str] = []
    for chunk, score in ranked:
        compact = _SPACE.sub("", chunk.text)
        if any(is_near_duplicate(compact, other) for other in kept):
            continue
        kept.append(compact)
        hits.append(make_hit(chunk, score))
        if len(hits) == k:
            break
    return hits


def highlight_spans(text: str, tokens: list[str]) -> tuple[tuple[int, int], ...]:
    """Character spans of the query's words in `text`, merged where they touch or overlap.

    Single Chinese characters are skipped: alone they mark noise, not the words the user asked about.
    """
    pattern = _terms_pattern(tuple(sorted(set(tokens))))
    if pattern is None:
        return ()
    merged: list[tuple[int, int]] = []
    for match in pattern.finditer(text):
        start, end = match.span()
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


@lru_cache(maxsize=256)
def _terms_pattern(tokens: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation, longest terms first, so a whole term wins over a part of it at the same place."""
    terms = sorted((t for t in tokens if len(t) > 1 or t.isdigit() or t.isascii()), key=len, reverse=True)
    return re.compile("|".join(map(_term_pattern, terms)), re.IGNORECASE) if terms else None


def _term_pattern(term: str) -> str:
    """A term starting or ending in a digit or Latin letter never matches inside a longer one (1 in 2019)."""
    pattern = re.escape(term)
    if term[0].isascii() and term[0].isalnum():
        pattern = r"(?<![0-9A-Za-z])" + pattern
    if term[-1].isascii() and term[-1].isalnum():
        pattern += r"(?![0-9A-Za-z])"
    return pattern


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Rows of the `n` highest positive scores, best first (ties by row, so results are reproducible)."""
    n = min(n, len(scores))
    rows = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
    rows = rows[scores[rows] > 0]
    return rows[np.lexsort((rows, -scores[rows]))]


def is_near_duplicate(a: str, b: str) -> bool:
    """Whether two passages (whitespace removed) are one: probes of the shorter all occur in the longer."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 4 * PROBE_CHARS:
        return short in long
    starts = (len(short) // 4, len(short) // 2 - PROBE_CHARS // 2, 3 * len(short) // 4 - PROBE_CHARS)
    return all(short[i : i + PROBE_CHARS] in long for i in starts)
