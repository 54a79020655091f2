"""Sentence-packed passages: whole sentences of one article, about 150-400 characters, small overlap."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..config import Settings
from ..datamodels import Article, Chunk, Sentence
from .sentences import split_sentences

CLAUSE_BREAK = re.compile(r"[，,、：:]")
"""Where a sentence longer than a whole passage may be cut (after a comma or colon, not mid-clause)."""


@dataclass(frozen=True, slots=True)
class ChunkSettings:
    """Passage size rules, recorded in the index manifest so a rebuild can be compared like with like."""

    max_chars: int = 400
    min_chars: int = 150
    overlap_chars: int = 60

    @classmethod
    def from_settings(cls, settings: Settings) -> ChunkSettings:
        """The chunk part of the global settings."""
        return cls(settings.chunk_max_chars, settings.chunk_min_chars, settings.chunk_overlap_chars)


def chunk_article(article: Article, settings: Settings | ChunkSettings, first_id: int) -> list[Chunk]:
    """Cut one article into passages of whole sentences, numbered from `first_id`.

    Each passage is the contiguous span `article.text[start:end]`. Sentences are packed greedily up to
    `max_chars`; the next passage starts with the previous one's last sentences when they fit in
    `overlap_chars`, so a fact on a boundary is whole in at least one passage. A short last passage
    reaches back over earlier sentences (a wider overlap) until it has `min_chars`.
    A single sentence longer than `max_chars` is cut at clause breaks (or, failing that, hard).
    """
    rules = settings if isinstance(settings, ChunkSettings) else ChunkSettings.from_settings(settings)
    units = _units(split_sentences(article.text), rules.max_chars)
    spans = _pack(units, rules)
    return [
        Chunk(
            chunk_id=first_id + i,
            article_id=article.article_id,
            title=article.title,
            text=article.text[start:end],
            start=start,
            end=end,
            source=article.source,
            date=article.date,
            page=article.page,
        )
        for i, (start, end) in enumerate(spans)
    ]


def passage_text(chunk: Chunk) -> str:
    """What the embedding and BM25 see: the title and date before the passage, so both can match them."""
    head = " ".join(part for part in (chunk.title, chunk.date) if part)
    return f"{head}\n{chunk.text}" if head else chunk.text


def _units(sentences: list[Sentence], max_chars: int) -> list[tuple[int, int]]:
    """Sentence spans, with any sentence longer than `max_chars` cut into clause-aligned pieces."""
    out: list[tuple[int, int]] = []
    for sent in sentences:
        start = sent.start
        while sent.end - start > max_chars:
            window = sent.text[start - sent.start : start - sent.start + max_chars]
            cuts = [m.end() for m in CLAUSE_BREAK.finditer(window) if m.end() >= max_chars // 2]
            cut = cuts[-1] if cuts else max_chars
            out.append((start, start + cut))
            start += cut
        if sent.end > start:
            out.append((start, sent.end))
    return out


def _pack(units: list[tuple[int, int]], rules: ChunkSettings) -> list[tuple[int, int]]:
    """Greedy packing of unit spans into passage spans, with sentence-aligned overlap."""
    spans: list[tuple[int, int]] = []
    group: list[tuple[int, int]] = []
    fresh = 0  # units in `group` not already emitted in the previous passage
    for unit in units:
        if group and unit[1] - group[0][0] > rules.max_chars:
            if fresh:
                spans.append((group[0][0], group[-1][1]))
            group = _overlap_tail(group, rules.overlap_chars, unit, rules.max_chars)
            fresh = 0
        group.append(unit)
        fresh += 1
    if group and fresh:
        spans.append(_widen_tail(units, units.index(group[0]), rules))
    return spans


def _widen_tail(units: list[tuple[int, int]], first: int, rules: ChunkSettings) -> tuple[int, int]:
    """The last passage, reaching back over earlier sentences until it has `min_chars` (or would pass max)."""
    end = units[-1][1]
    while (
        first > 0 and end - units[first][0] < rules.min_chars and end - units[first - 1][0] <= rules.max_chars
    ):
        first -= 1
    return units[first][0], end


def _overlap_tail(
    group: list[tuple[int, int]], overlap: int, nxt: tuple[int, int], max_chars: int
) -> list[tuple[int, int]]:
    """The last units of `group` that fit in `overlap` characters and leave room for the next unit."""
    tail: list[tuple[int, int]] = []
    for unit in reversed(group):
        if group[-1][1] - unit[0] > overlap or nxt[1] - unit[0] > max_chars:
            break
        tail.insert(0, unit)
    return tail
