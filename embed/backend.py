"""Where an index lives: the embedded one-folder index (the default) or a Milvus collection.

This is the seam the pipeline and the service go through, so neither knows about Milvus. `--backend` (or
POLICYQA_BACKEND) takes:

- `milvus://HOST:PORT/COLLECTION` — a Milvus server (`milvus://USER:PASSWORD@HOST:PORT/COLLECTION` with
  authentication on; `milvuss://` for TLS);
- `milvus:///ABSOLUTE/PATH/FILE.db/COLLECTION` or `milvus://./RELATIVE/FILE.db/COLLECTION` — a milvus-lite
  file (same client API, no server).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .errors import BadInputError

if TYPE_CHECKING:
    from .config import Settings
    from .index.index import Index
    from .model.encoder import Encoder
    from .search.retrieve import Retriever

COLLECTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,200}$")
"""Milvus's rule for collection names (letters, digits, underscores; not starting with a digit)."""


class BackendError(BadInputError):
    """A --backend value that cannot be used (bad form, or its extra is not installed)."""


@dataclass(frozen=True, slots=True)
class MilvusLocation:
    """A Milvus collection: the client URI (server address or milvus-lite file), the collection, a token."""

    uri: str
    collection: str
    token: str | None = None

    @property
    def is_lite(self) -> bool:
        """Whether this is a local milvus-lite file rather than a server."""
        return not self.uri.startswith(("http://", "https://"))


def parse_backend(spec: str) -> MilvusLocation:
    """Parse a `milvus://` backend value (see the module docstring).

    Raises:
        BackendError: another scheme, no collection, or a collection name Milvus would refuse.
    """
    parts = urlsplit(spec)
    if parts.scheme not in ("milvus", "milvuss"):
        raise BackendError(
            f"--backend {spec!r}: expected milvus://HOST:PORT/COLLECTION or milvus:///FILE.db/COLLECTION"
        )
    folder, _, collection = parts.path.rpartition("/")
    if not COLLECTION_NAME.match(collection):
        raise BackendError(
            f"--backend {spec!r}: collection {collection!r} must be letters, digits and underscores"
        )
    if parts.netloc in ("", "."):
        if not folder or folder == "/":
            raise BackendError(
                f"--backend {spec!r}: a milvus-lite file needs a path, e.g. milvus:///tmp/qa.db/news"
            )
        path = Path(folder.lstrip("/")) if parts.netloc == "." else Path(folder)
        return MilvusLocation(str(path), collection)
    if folder:
        raise BackendError(f"--backend {spec!r}: a server URI is milvus://HOST:PORT/COLLECTION (no path)")
    scheme = "https" if parts.scheme == "milvuss" else "http"
    token = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}" if parts.username else None
    host = parts.hostname or ""
    return MilvusLocation(f"{scheme}://{host}:{parts.port or 19530}", collection, token)


def save_index(index: Index, settings: Settings) -> None:
    """Write `index` where settings say: the folder, or the Milvus collection."""
    if not settings.backend:
        index.save(settings.index_dir)
        return
    from .milvus.store import write_index

    write_index(index, _location(settings.backend))


def load_index(settings: Settings) -> Any:
    """The index where settings say (an `Index`, or a `MilvusIndex` that reads passages from Milvus).

    Raises:
        IndexNotFoundError: there is no index there yet.
    """
    from .index.index import Index

    if not settings.backend:
        return Index.load(settings.index_dir)
    from .milvus.search import MilvusIndex

    return MilvusIndex.open(_location(settings.backend))


def make_retriever(index: Any, encoder: Encoder) -> Retriever:
    """The retriever for this kind of index (the same fusion, answers and citations either way)."""
    from .search.retrieve import Retriever

    if getattr(index, "backend", None) == "milvus":
        from .milvus.search import MilvusRetriever

        return MilvusRetriever(index, encoder)
    return Retriever(index, encoder)


def _location(spec: str) -> MilvusLocation:
    location = parse_backend(spec)
    try:
        import pymilvus  # noqa: F401
    except ImportError as exc:
        raise BackendError(
            "--backend milvus:// needs the Milvus extra: pip install 'policyqa[milvus]'"
        ) from exc
    if location.is_lite:
        Path(location.uri).parent.mkdir(parents=True, exist_ok=True)
    return location
