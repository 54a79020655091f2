"""policyqa: cited passages and extractive answers from a Chinese news archive."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import Settings
from .datamodels import Answer, AnswerSentence, Article, Chunk, Corpus, Hit, Sentence, Skip, Summary
from .errors import (
    ArticleNotFoundError,
    EmptyQueryError,
    IndexCorruptError,
    IndexNotFoundError,
    ModelLoadError,
    ModelMismatchError,
    PolicyQAError,
)
from .text.sentences import split_sentences

if TYPE_CHECKING:
    from .archive import Archive


def __getattr__(name: str) -> object:
    """`embed.Archive` imports the application layer (and numpy, faiss) only when first used."""
    if name == "Archive":
        from .archive import Archive

        return Archive
    raise AttributeError(f"module 'embed' has no attribute {name!r}")


__all__ = [
    "Answer",
    "Archive",
    "AnswerSentence",
    "Article",
    "ArticleNotFoundError",
    "Chunk",
    "Corpus",
    "EmptyQueryError",
    "Hit",
    "IndexCorruptError",
    "IndexNotFoundError",
    "ModelLoadError",
    "ModelMismatchError",
    "PolicyQAError",
    "Sentence",
    "Settings",
    "Skip",
    "Summary",
    "split_sentences",
]
