"""Pydantic models at the HTTP edge: the request and response shapes of CONTRACT.md, nothing more."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from embed.datamodels import Answer, Article, Hit, Summary

QUESTION_MAX_CHARS = 500
TOP_K_MAX = 20
SUMMARIZE_MAX_TEXT_CHARS = 200_000


def not_blank(value: str) -> str:
    """Refuse a string of only whitespace or invisible format characters (zero-width spaces, BOMs)."""
    # min_length=1 lets "   " through; a blank question would only reach the retriever as noise.
    if not any(c.isprintable() and not c.isspace() and unicodedata.category(c) != "Cf" for c in value):
        raise PydanticCustomError("blank", "must not be blank")
    return value


NonBlankStr = Annotated[str, AfterValidator(not_blank)]
"""A string with at least one non-space character."""

NON_BLANK_SCHEMA = {"pattern": r"\S"}
"""Tells schema readers what `not_blank` checks, without pydantic's own (less readable) pattern error."""


class _Strict(BaseModel):
    """Request bodies: exact JSON types (no "5" for 5, no true for 1) and no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class AskRequest(_Strict):
    """POST /api/ask body."""

    question: NonBlankStr = Field(
        min_length=1,
        max_length=QUESTION_MAX_CHARS,
        json_schema_extra=NON_BLANK_SCHEMA,
        examples=["沁泉湖公园什么时候开园？"],
    )
    top_k: int = Field(default=5, ge=1, le=TOP_K_MAX, description="how many passages to retrieve and cite")


class SummarizeRequest(_Strict):
    """POST /api/summarize body."""

    text: NonBlankStr = Field(
        min_length=1, max_length=SUMMARIZE_MAX_TEXT_CHARS, json_schema_extra=NON_BLANK_SCHEMA
    )
    max_chars: int = Field(default=200, ge=20, le=2000, description="length budget of the summary")


class PassageOut(BaseModel):
    """A cited passage: one chunk of one article, with term highlights as [start, end) offsets into text."""

    id: str
    text: str
    score: float
    article_id: str
    title: str
    source: str
    date: str | None
    highlights: list[tuple[int, int]]
    page: int | None = Field(default=None, description="PDF page the article starts on (an addition)")
    start: int = Field(description="where text begins in the whole article (an addition to the contract)")
    end: int = Field(description="where text ends in the whole article")

    @classmethod
    def from_hit(cls, hit: Hit) -> PassageOut:
        """The contract's PASSAGE from a library hit, plus the passage's span in its article."""
        return cls(**hit.to_dict(), start=hit.chunk.start, end=hit.chunk.end)


class SentenceOut(BaseModel):
    """One answer sentence, copied verbatim from passages[passage].text[start:end]."""

    text: str
    passage: int
    start: int
    end: int


class AskResponse(BaseModel):
    """POST /api/ask reply; `found` is false when no passage held a sentence worth answering with."""

    question: str
    answer: str
    found: bool
    confidence: float = Field(
        ge=0.0,
        le=1.0,
        description="calibrated: among answers given with confidence c, about a share c hold the fact",
    )
    message: str | None = None
    sentences: list[SentenceOut]
    passages: list[PassageOut] = Field(
        description="the retrieved passages, ordered by retrieval score beside the answer evidence each holds"
    )
    took_ms: float

    @classmethod
    def from_answer(cls, answer: Answer, took_ms: float) -> AskResponse:
        """Wrap a library answer."""
        shaped = answer.to_dict() | {"passages": [PassageOut.from_hit(h) for h in answer.hits]}
        return cls(**shaped, took_ms=took_ms)


class SearchResponse(BaseModel):
    """GET /api/search reply."""

    query: str
    passages: list[PassageOut]
    took_ms: float


class SummarizeResponse(BaseModel):
    """POST /api/summarize reply."""

    summary: str
    sentences: list[str]
    keywords: list[str]

    @classmethod
    def from_summary(cls, summary: Summary) -> SummarizeResponse:
        """Wrap a library summary."""
        return cls(**summary.to_dict())


class ArticleHead(BaseModel):
    """The fields every article reply starts with."""

    id: str
    title: str
    source: str
    date: str | None

    @staticmethod
    def fields_of(article: Article) -> dict[str, str | None]:
        """The head fields of a library article."""
        a = article
        return {"id": a.article_id, "title": a.title, "source": a.source, "date": a.date}


class ArticleItem(ArticleHead):
    """One row of the article list."""

    chars: int

    @classmethod
    def from_article(cls, article: Article) -> ArticleItem:
        """List row for an article."""
        return cls(**cls.fields_of(article), chars=len(article.text))


class ArticleList(BaseModel):
    """GET /api/articles reply: one page of rows and the total count."""

    total: int
    items: list[ArticleItem]


class ArticleOut(ArticleHead):
    """GET /api/articles/{id} reply: the whole article with its summary and keywords."""

    text: str
    summary: str
    keywords: list[str]

    @classmethod
    def from_article(cls, article: Article, summary: Summary) -> ArticleOut:
        """Article plus its summary."""
        fields = cls.fields_of(article)
        return cls(**fields, text=article.text, summary=summary.text, keywords=list(summary.keywords))


class HealthOut(BaseModel):
    """GET /healthz reply."""

    status: str
    articles: int
    chunks: int
    model: str


class ReloadOut(BaseModel):
    """POST /api/reload reply: the counts of the index now being served."""

    status: str
    articles: int
    chunks: int
    model: str
    took_ms: float


class ErrorOut(BaseModel):
    """Every 4xx/5xx reply: `detail` says what is wrong; `errors` lists each invalid field for 422s."""

    detail: str
    errors: list[dict] | None = None
    request_id: str | None = None
