"""Typed errors of the library; the CLI and the API translate them once, at their edge."""

from __future__ import annotations


class PolicyQAError(Exception):
    """Base class of every error the library raises on purpose."""


class BadInputError(PolicyQAError, ValueError):
    """Input the user gave cannot be used.

    A malformed file or line, a bad setting or option value, nothing to index. The CLI says it in one line
    and exits 2; the API answers 4xx. A plain ValueError from the library is a bug and surfaces as one.
    """


class EmptyQueryError(BadInputError):
    """A question or query with no searchable content."""


class IndexNotFoundError(PolicyQAError, FileNotFoundError):
    """No index at the given directory."""


class IndexCorruptError(PolicyQAError):
    """An index directory exists but is half-written, damaged or inconsistent."""


class IndexWriteError(PolicyQAError, OSError):
    """Writing an index failed (disk full, file too large, no permission); the previous index is intact."""


class ModelMismatchError(PolicyQAError):
    """The index was built with another embedding model than the one asked for."""


class ModelLoadError(PolicyQAError):
    """A pretrained embedding model could not be loaded (missing path, offline hub, bad files)."""


class ArticleNotFoundError(PolicyQAError, KeyError):
    """No article with that id."""

    def __str__(self) -> str:
        # KeyError's str() is the repr of its argument (quotes included); a message reads better plain.
        return str(self.args[0]) if self.args else "no such article"
