"""Keywords of a text: TF-IDF over the shared tokenizer's words, with a corpus IDF or jieba's bundled one."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from .lexicon import Lexicon, cached_lexicon
from .words import Tokenizer, tokenize

MIN_KEYWORD_CHARS = 2
"""Single characters are rarely meaningful keywords in Chinese (的-like particles, 区, 市)."""

_NOT_A_KEYWORD = re.compile(r"^[\d.,%‰年月日号时点分:：\-/]+$|^\d|^[一二三四五六七八九十]+[是要抓]$")
"""Numbers, dates and amounts are facts, not topics; 一要/二是 only number the points of a speech."""

FILLER = frozenset("必须 务必 进一步 切实 全力 认真 积极 加快 不断 持续 确保 坚持 讲究 要求 做好".split())
"""Exhortation words of official speeches: frequent in one article, rare across a small corpus, no topic."""


@lru_cache(maxsize=1)
def default_idf() -> Lexicon:
    """The IDF table bundled with jieba (general Chinese), read by first character (embed.text.lexicon)."""
    import jieba

    # Read the file directly: importing jieba.analyse would load the same table a second time.
    path = Path(jieba.__file__).parent / "analyse" / "idf.txt"
    return cached_lexicon(path, "jieba-idf", lambda: _read_idf(path))


def _read_idf(path: Path) -> tuple[dict[str, float], dict[str, float]]:
    table: dict[str, float] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            word, _, value = line.rstrip().partition(" ")
            if value:
                table[word] = float(value)
    values = sorted(table.values())
    return table, {"median": values[len(values) // 2] if values else 0.0}


def _default_fallback() -> float:
    return default_idf().meta["median"]


def idf_lookup(idf: Mapping[str, float] | None) -> Callable[[str], float]:
    """A word -> IDF function over `idf` (jieba's bundled table when None).

    Unseen words get jieba's convention, the median, from the bundled table; a corpus table (from
    `build_idf`) holds every corpus word, so a word it lacks is rarer than all of them and gets its maximum.
    """
    if idf is None:
        table, fallback = default_idf(), _default_fallback()
        return lambda token: table.get(token, fallback)
    unseen: list[float] = []

    def weight(token: str) -> float:
        value = idf.get(token)
        if value is not None:
            return value
        if not unseen:  # computed once, and only when needed: corpus tables can be large
            unseen.append(max(idf.values(), default=1.0))
        return unseen[0]

    return weight


def build_idf(documents: Iterable[Sequence[str]]) -> dict[str, float]:
    """Smoothed IDF, log(1 + N / df), from tokenized documents (e.g. the corpus's articles)."""
    df: Counter[str] = Counter()
    n = 0
    for tokens in documents:
        n += 1
        df.update(set(tokens))
    return {token: math.log(1.0 + n / count) for token, count in df.items()}


def passage_idf(doc_freq: Mapping[str, int], num_docs: int) -> dict[str, float]:
    """IDF over passages in Lucene's smoothed form, log(1 + (N - df + 0.5) / (df + 0.5)), as BM25 weighs.

    The one table keywords are weighed against: `/api/articles/{id}` gives it the index's passage
    frequencies and `policyqa summarize` counts its own articles' passages the same way, so one article
    gets the same keywords from both.
    """
    return {token: math.log(1.0 + (num_docs - df + 0.5) / (df + 0.5)) for token, df in doc_freq.items()}


def extract_keywords(
    text: str,
    k: int = 8,
    idf: Mapping[str, float] | None = None,
    *,
    tokens: Sequence[str] | None = None,
    tokenizer: Tokenizer | None = None,
) -> list[str]:
    """The `k` words of `text` with the highest TF-IDF, best first.

    Args:
        text: any text; blank text has no keywords.
        k: how many keywords at most.
        idf: word -> IDF, e.g. from `build_idf` over the indexed corpus; jieba's general table when None.
        tokens: the text's tokens when the caller already has them (saves a second segmentation).
        tokenizer: segments `text` when `tokens` is None; pass the index's one so its user words (local
            names, 王家鹏) stay whole. The shared default tokenizer when None.
    """
    if k <= 0:
        return []
    if tokens is None:
        tokens = tokenize(text) if tokenizer is None else tokenizer.tokenize(text)
    words = [t for t in tokens if _is_candidate(t)]
    if not words:
        return []
    tf = Counter(words)
    weight = idf_lookup(idf)
    first = {}
    for position, word in enumerate(words):
        first.setdefault(word, position)
    # Ties (common in short texts) go to the word that appears first: earlier words carry the topic in news.
    ranked = sorted(tf, key=lambda w: (-tf[w] * weight(w), first[w]))
    return ranked[:k]


def _is_candidate(token: str) -> bool:
    return len(token) >= MIN_KEYWORD_CHARS and token not in FILLER and not _NOT_A_KEYWORD.match(token)
