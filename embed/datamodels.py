"""Records passed between pipeline stages: frozen, slotted dataclasses (pydantic lives only in api/)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

YearBasis = Literal["stated", "inferred"]
"""Where `Article.year` came from: written in the text, or made certain by it (e.g. a dated reference)."""


@dataclass(frozen=True, slots=True)
class Article:
    """One news article, cleaned.

    `article_id` is stable and human-readable: `<file stem>#<n>` for pages, the `id` field for JSONL.
    """

    article_id: str
    title: str
    text: str
    source: str
    date: str | None = None
    year: int | None = None
    year_basis: YearBasis | None = None
    byline: tuple[str, ...] = ()
    page: int | None = None
    """The page the article starts on, for paged files (PDF); None for the others."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Skip:
    """An input that was reported and skipped: which file (and line or page), and why."""

    path: str
    reason: str
    line: int | None = None
    page: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        if self.page is not None:
            where = f"{where} p. {self.page}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Corpus:
    """What reading a set of paths produced: the articles, what was skipped, and how many files were read."""

    articles: tuple[Article, ...]
    skipped: tuple[Skip, ...] = ()
    files_read: int = 0
    duplicates_dropped: int = 0


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence and its character span [start, end) in the text it was split from."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage: whole sentences of one article. Row `chunk_id` of chunks.jsonl is FAISS id and BM25 doc."""

    chunk_id: int
    article_id: str
    title: str
    text: str
    start: int
    end: int
    source: str = ""
    date: str | None = None
    page: int | None = None
    """The page of the source file the article starts on (PDF), for the citation; None otherwise."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved passage with its fused score and the per-ranker evidence behind it."""

    chunk: Chunk
    score: float
    dense_score: float | None = None
    bm25_score: float | None = None
    highlights: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict in the contract's PASSAGE shape (id as str, no nested chunk)."""
        c = self.chunk
        return {
            "id": str(c.chunk_id),
            "text": c.text,
            "score": self.score,
            "article_id": c.article_id,
            "title": c.title,
            "source": c.source,
            "date": c.date,
            "highlights": [list(h) for h in self.highlights],
            # An addition to the contract's PASSAGE: the PDF page the passage's article starts on.
            "page": c.page,
        }


@dataclass(frozen=True, slots=True)
class AnswerSentence:
    """A sentence copied verbatim from hit number `passage`, at [start, end) of that passage's text."""

    text: str
    passage: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Answer:
    """An extractive answer: sentences in reading order, and the hits they cite. Empty when nothing fits."""

    question: str
    text: str
    sentences: tuple[AnswerSentence, ...]
    hits: tuple[Hit, ...]
    found: bool = True
    message: str | None = None
    """Why there is no answer (when `found` is false); `text` then stays empty, as it holds only copies."""
    confidence: float = 0.0
    """Calibrated probability that the first sentence holds the fact asked for (0..1)."""

    def to_dict(self) -> dict[str, Any]:
        """The contract's ask shape: question, answer, sentences [{text, passage, start, end}], passages."""
        return {
            "question": self.question,
            "answer": self.text,
            "found": self.found,
            "confidence": round(self.confidence, 4),
            "message": self.message,
            "sentences": [asdict(s) for s in self.sentences],
            "passages": [hit.to_dict() for hit in self.hits],
        }


@dataclass(frozen=True, slots=True)
class Summary:
    """An extractive summary of one text: whole sentences in reading order, plus keywords."""

    text: str
    sentences: tuple[str, ...] = ()
    keywords: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The contract's summarize shape: summary, sentences, keywords."""
        return {"summary": self.text, "sentences": list(self.sentences), "keywords": list(self.keywords)}
