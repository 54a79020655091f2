"""The stages composed: build or update an index from files, open it for search, ask, evaluate.

Building and evaluating; an opened index is served by `embed.archive.Archive`.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from .backend import load_index, save_index
from .config import Settings
from .datamodels import Corpus
from .errors import BadInputError, IndexNotFoundError, PolicyQAError
from .index.index import Index, build_index, load_encoder_for, update_index
from .ingest.ingest import read_corpus

logger = logging.getLogger(__name__)


class NoArticlesError(BadInputError):
    """Nothing indexable was found in the given paths."""


def build(settings: Settings, paths: Sequence[str | Path]) -> dict[str, Any]:
    """Index the articles under `paths` into settings.index_dir (atomically); returns a report."""
    start = time.perf_counter()
    if settings.ray:
        from .batch.ray_index import build_on_ray

        index, corpus = build_on_ray(settings, paths, settings.ray)
    else:
        corpus = read_corpus(paths)
        index = build_index(corpus.articles, settings) if corpus.articles else None
    if index is None:
        raise NoArticlesError(f"no articles found in {', '.join(map(str, paths))}; nothing was indexed")
    save_index(index, settings)
    return _report(index, corpus, settings, time.perf_counter() - start)


def update(settings: Settings, add: Sequence[str | Path], remove: Sequence[str]) -> dict[str, Any]:
    """Add new/changed articles from `add` and remove the ids in `remove`, re-embedding only what changed."""
    start = time.perf_counter()
    if settings.backend:
        raise PolicyQAError("--add/--remove work on the folder index only: rebuild a Milvus index whole")
    index = Index.load(settings.index_dir)
    corpus = read_corpus(add) if add else Corpus(articles=())
    if add and not corpus.articles:
        raise NoArticlesError(f"no articles found in {', '.join(map(str, add))}; the index is unchanged")
    new_index, changes = update_index(index, corpus.articles, settings, load_encoder_for(index), remove)
    new_index.save(settings.index_dir)
    report = _report(new_index, corpus, settings, time.perf_counter() - start)
    report.update(changes.to_dict())
    return report


def _report(index: Index, corpus: Corpus, settings: Settings, seconds: float) -> dict[str, Any]:
    return {
        "index_dir": str(settings.index_dir),
        "model": index.model,
        "articles": len(index.articles),
        "chunks": len(index.chunks),
        "files_read": corpus.files_read,
        "skipped": [str(s) for s in corpus.skipped],
        "reprints_dropped": corpus.duplicates_dropped,
        "seconds": round(seconds, 2),
    } | ({"backend": settings.backend} if settings.backend else {})


def ensure_index(settings: Settings) -> Index:
    """The index at settings.index_dir; built from settings.seeds_dir first when there is none.

    An index that is there but broken is not rebuilt behind the user's back: loading it raises
    IndexCorruptError / ModelMismatchError with the fix in the message.
    """
    try:
        return load_index(settings)
    except IndexNotFoundError:
        where = settings.backend or settings.index_dir
        logger.warning("no index in %s: building one from %s", where, settings.seeds_dir)
    build(settings, [settings.seeds_dir])
    return load_index(settings)


def evaluate(
    settings: Settings, qa_path: str | Path, k: int = 5, corpus: Sequence[str | Path] | None = None
) -> dict[str, Any]:
    """Retrieval metrics for BM25, dense and hybrid search, and the answer hit rate, on one QA file.

    With `corpus`, those files are indexed into a temporary folder first; otherwise the saved index is used.
    """
    from .eval.qa import evaluate_qa

    if corpus:
        with tempfile.TemporaryDirectory(prefix="policyqa-eval-") as tmp:
            scratch = replace(settings, index_dir=Path(tmp) / "index", backend=None)  # never a user's Milvus
            build(scratch, corpus)
            return evaluate(scratch, qa_path, k=k)
    from .archive import Archive

    archive = Archive.open(settings)
    return evaluate_qa(archive.retriever, qa_path, ask_fn=lambda q: archive.ask(q, k=k))
