"""policyqa: cited passages and extractive answers from a Chinese news archive."""

from __future__ import annotations

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
from .sentences import split_sentences

__all__ = [
    "Answer",
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
