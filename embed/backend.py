"""Where an index lives: the embedded one-folder index (the default) or a Milvus collection.

This is the seam the pipeline and the service go through, so neither knows about Milvus. The `--backend`
values (`milvus://...`) are parsed in `embed.milvus.location`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .milvus.location import BackendError, MilvusLocation, parse_backend

if TYPE_CHECKING:
    from .config import Settings
    from .index.index import Index
    from .model.encoder import Encoder
    from .search.retrieve import Retriever


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
