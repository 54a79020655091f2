"""The search index: passages, their vectors (FAISS), BM25, articles; built, updated, saved and loaded."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import faiss
import numpy as np

from ..config import BUILTIN_MODEL, Settings
from ..datamodels import Article, Chunk
from ..errors import ArticleNotFoundError, BadInputError
from ..progress import Progress, track
from ..text.chunk import ChunkSettings, chunk_article, passage_text
from ..text.words import Tokenizer, learn_user_words, read_user_words
from .bm25 import BM25Index
from .store import MODEL_DIR, is_scratch, read_folder, scratch_folder, write_error, write_folder

if TYPE_CHECKING:
    from ..model.encoder import Encoder

logger = logging.getLogger(__name__)

FLAT_MAX = 50_000
"""Up to this many vectors FAISS searches exactly (IndexFlatIP takes about 10 ms at 50k x 256 dims)."""

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 256
"""HNSW settings above FLAT_MAX. On 100k built-in-model vectors (benchmarks/ann_recall.py) recall@10
against exact search was 0.92 with efConstruction 80 / efSearch 128 and 0.99 with 200 / 256."""


EMBED_SLICE = 4096
"""Passages embedded per call while building (see `_encode`)."""


@dataclass(frozen=True, slots=True)
class UpdateReport:
    """What `update_index` did, by article id."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "added": list(self.added),
            "changed": list(self.changed),
            "removed": list(self.removed),
            "unchanged": self.unchanged,
        }


class Index:
    """Everything a search needs, aligned by position: row i is chunk i, FAISS id i and BM25 doc i."""

    def __init__(
        self,
        *,
        chunks: list[Chunk],
        articles: dict[str, Article],
        embeddings: np.ndarray,
        bm25: BM25Index,
        user_words: Sequence[str],
        model: str,
        encoder_name: str,
        chunk_settings: ChunkSettings,
        model_dir: Path | None = None,
        vectors: faiss.Index | None = None,
    ) -> None:
        self.chunks = chunks
        self.articles = articles
        self.embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        self.bm25 = bm25
        self.user_words = tuple(user_words)
        self.model = model
        self.encoder_name = encoder_name
        self.chunk_settings = chunk_settings
        self.model_dir = model_dir
        self.vectors = vectors if vectors is not None else make_ann(self.embeddings)
        if isinstance(self.vectors, faiss.IndexHNSW):
            self.vectors.hnsw.efSearch = HNSW_EF_SEARCH  # a search-time knob: today's value, not the file's
        self.tokenizer = Tokenizer(self.user_words)
        self.hashes = {aid: article_hash(a) for aid, a in articles.items()}

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self.embeddings.shape[1])

    @property
    def doc_freq(self) -> dict[str, int]:
        """Passage frequency of every BM25 token (search-mode jieba tokens)."""
        return self.bm25.doc_freq

    def idf(self, token: str) -> float:
        """Inverse document frequency of a token over the passages; unseen tokens get the highest value."""
        return self.bm25.idf(token)

    def dense_search(self, queries: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """FAISS top-n rows and inner products (== cosine on unit vectors) for each query row."""
        n = min(n, len(self.chunks))
        if n == 0:
            empty = np.empty((len(queries), 0))
            return empty.astype(np.int64), empty.astype(np.float32)
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if len(queries) > 1:
            scores, rows = self.vectors.search(queries, n)
            return rows, scores
        # One query: OpenMP start-up and spin-waits cost more than they save (a flat search over 10k
        # vectors took 16 ms on 2 threads beside other work, 1.5 ms on one). The setting is per thread.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, rows = self.vectors.search(queries, n)
        finally:
            faiss.omp_set_num_threads(threads)
        return rows, scores

    def save(self, folder: str | Path) -> Path:
        """Write the index to `folder` atomically: a crash mid-write leaves the previous index intact."""
        folder = write_folder(self, Path(folder))
        if self.model_dir is not None:
            trained = self.model_dir
            self.model_dir = folder / MODEL_DIR
            if is_scratch(trained):  # the build's scratch copy is no longer needed
                shutil.rmtree(trained, ignore_errors=True)
        return folder

    @classmethod
    def load(cls, folder: str | Path, model: str | None = None) -> Index:
        """Read and verify an index folder.

        Args:
            folder: the index directory.
            model: the model the caller expects; None accepts whatever the index was built with.

        Raises:
            IndexNotFoundError, IndexCorruptError, ModelMismatchError: with the fix in the message.
        """
        files = read_folder(Path(folder), model)
        return cls(
            chunks=files.chunks,
            articles=files.articles,
            embeddings=files.embeddings,
            bm25=files.bm25,
            user_words=files.user_words,
            model=files.manifest.model,
            encoder_name=files.manifest.encoder_name,
            chunk_settings=files.manifest.chunk_settings,
            model_dir=files.model_dir,
            vectors=files.vectors,
        )


def article_hash(article: Article) -> str:
    """Content hash of what indexing depends on (title, date, source, text)."""
    key = json.dumps([article.title, article.date, article.source, article.text], ensure_ascii=False)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def make_ann(embeddings: np.ndarray) -> faiss.Index:
    """Exact inner-product search while small, HNSW above FLAT_MAX vectors.

    Inner product == cosine because every row is unit length.
    """
    n, dim = embeddings.shape
    if n <= FLAT_MAX:
        ann = faiss.IndexFlatIP(dim)
    else:
        ann = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        ann.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        ann.hnsw.efSearch = HNSW_EF_SEARCH
    if n:
        ann.add(np.ascontiguousarray(embeddings, dtype=np.float32))
    return ann


def build_index(articles: Iterable[Article], settings: Settings, encoder: Encoder | None = None) -> Index:
    """Chunk, tokenize, embed and index the articles (in the order given).

    Args:
        articles: the corpus; ids must be unique (the first of a repeated id wins, with a warning).
        settings: chunk sizes, model name, user dictionary, seed.
        encoder: the embedding model; None means `settings.model` (the built-in model is fitted here,
            on these articles, into a temporary folder that `Index.save` copies into the index).

    Raises:
        ValueError: no articles.
    """
    arts = _unique(articles)
    if not arts:
        raise BadInputError("no articles to index: give files or folders with readable text")
    rules = ChunkSettings.from_settings(settings)
    chunks = _renumber([c for a in arts.values() for c in chunk_article(a, rules, 0)])
    user_words = _user_words(arts.values(), settings)
    texts = [passage_text(c) for c in chunks]
    model_dir, model = None, encoder.name if encoder is not None else settings.model
    if encoder is None:
        encoder, model_dir = _fresh_encoder(settings, texts, user_words)
    try:
        logger.info("embedding %d passages of %d articles", len(chunks), len(arts))
        embeddings = _encode(encoder, texts)
        bm25 = _bm25(texts, user_words)
    except BaseException:
        if model_dir is not None:
            shutil.rmtree(model_dir, ignore_errors=True)
        raise
    return Index(
        chunks=chunks,
        articles=arts,
        embeddings=embeddings,
        bm25=bm25,
        user_words=user_words,
        model=model,
        encoder_name=encoder.name,
        chunk_settings=rules,
        model_dir=model_dir,
    )


def update_index(
    index: Index,
    articles: Iterable[Article],
    settings: Settings,
    encoder: Encoder,
    remove: Iterable[str] = (),
) -> tuple[Index, UpdateReport]:
    """Add new and changed articles (by content hash) and remove others, re-embedding only what changed.

    Unchanged articles keep their chunks and stored vectors; BM25 and the user words are rebuilt over
    the whole result (cheap), so BM25 matches a full rebuild exactly. The model is not refitted: pass the
    index's own encoder (see `load_encoder_for`). Kept and changed articles stay in their old order, new
    ones follow.

    Raises:
        ArticleNotFoundError: an id in `remove` is not in the index.
    """
    drop = set(remove)
    missing = sorted(drop - index.articles.keys())
    if missing:
        raise ArticleNotFoundError(f"cannot remove {', '.join(missing)}: not in the index")
    incoming = _unique(articles)
    changed = [a for a in incoming if a in index.articles and article_hash(incoming[a]) != index.hashes[a]]
    added = [a for a in incoming if a not in index.articles]
    arts, chunks, old_rows, fresh = _merge(index, incoming, drop, set(changed) | set(added))
    embeddings = _assemble(index, old_rows, fresh, encoder)
    user_words = _user_words(arts.values(), settings)
    bm25 = _bm25([passage_text(c) for c in chunks], user_words)
    new_index = Index(
        chunks=chunks,
        articles=arts,
        embeddings=embeddings,
        bm25=bm25,
        user_words=user_words,
        model=index.model,
        encoder_name=index.encoder_name,
        chunk_settings=index.chunk_settings,
        model_dir=index.model_dir,
    )
    unchanged = len(arts) - len(added) - len(changed)
    return new_index, UpdateReport(tuple(added), tuple(changed), tuple(sorted(drop)), unchanged)


def _merge(
    index: Index, incoming: dict[str, Article], drop: set[str], redo: set[str]
) -> tuple[dict[str, Article], list[Chunk], np.ndarray, list[Chunk]]:
    """The updated article table and chunk list; each chunk's old row (-1 when new) and the new chunks."""
    old_rows: dict[str, list[int]] = {}
    for row, chunk in enumerate(index.chunks):
        old_rows.setdefault(chunk.article_id, []).append(row)
    arts: dict[str, Article] = {}
    chunks: list[Chunk] = []
    rows: list[int] = []
    fresh: list[Chunk] = []
    order = [a for a in index.articles if a not in drop] + [a for a in incoming if a not in index.articles]
    for aid in order:
        arts[aid] = incoming.get(aid) or index.articles[aid]
        if aid in redo:
            new = chunk_article(arts[aid], index.chunk_settings, 0)
            fresh.extend(new)
            chunks.extend(new)
            rows.extend([-1] * len(new))
        else:
            chunks.extend(index.chunks[r] for r in old_rows.get(aid, []))
            rows.extend(old_rows.get(aid, []))
    return arts, _renumber(chunks), np.asarray(rows, dtype=np.int64), fresh


def _bm25(texts: list[str], user_words: list[str]) -> BM25Index:
    """BM25 over the passage texts, tokenized as searches will be (building and updating share this)."""
    tokenizer = Tokenizer(user_words, bulk=True)
    passages = track(texts, desc="BM25 (tokenizing)", unit="passage")
    return BM25Index.build(tokenizer.tokenize_for_search(t) for t in passages)


def load_encoder_for(index: Index) -> Encoder:
    """The encoder an index was built with: its own built-in model folder, or the named pretrained model."""
    from ..model.encoder import load_encoder

    if index.model == BUILTIN_MODEL:
        return load_encoder(BUILTIN_MODEL, index.model_dir)
    return load_encoder(index.model, None)


def _assemble(index: Index, old_rows: np.ndarray, fresh: list[Chunk], encoder: Encoder) -> np.ndarray:
    """Stored vectors for kept rows (-1 marks a new chunk), new vectors for the rest, in row order."""
    out = np.zeros((len(old_rows), index.dim), dtype=np.float32)
    keep = old_rows >= 0
    out[keep] = index.embeddings[old_rows[keep]]
    if fresh:
        logger.info("embedding %d new passages", len(fresh))
        out[~keep] = _encode(encoder, [passage_text(c) for c in fresh])
    return out


def _encode(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """Passage vectors, EMBED_SLICE texts at a time into one preallocated float32 matrix.

    Slicing bounds the encoder's own temporaries (a static model made two full-size float32 copies,
    a transformer keeps a slice's activations) and gives the progress display its steps.
    """
    out = np.empty((len(texts), encoder.dim), dtype=np.float32)
    with Progress(len(texts), desc="embedding", done="embedded", unit="passage") as progress:
        for start in range(0, len(texts), EMBED_SLICE):
            piece = texts[start : start + EMBED_SLICE]
            out[start : start + len(piece)] = encoder.encode_passages(piece)
            progress.update(len(piece))
    return out


def _fresh_encoder(
    settings: Settings, texts: list[str], user_words: Sequence[str]
) -> tuple[Encoder, Path | None]:
    """Fit the built-in model on these passages, or load the named pretrained one.

    The model is fitted into a temp folder beside the index (not in /tmp), which `Index.save` copies into
    the index and removes, and which the next build removes if this one is killed first.
    """
    from safetensors import SafetensorError

    from ..model.encoder import load_encoder

    if settings.model != BUILTIN_MODEL:
        return load_encoder(settings.model, None), None
    from ..model.builtin import train_builtin_model

    out = scratch_folder(settings.index_dir, "model")
    try:
        model_dir = train_builtin_model(texts, out, seed=settings.seed, user_words=tuple(user_words))
    except BaseException as exc:
        shutil.rmtree(out, ignore_errors=True)
        # A full disk or a file-size limit surfaces from the model's writers as any of these.
        if isinstance(exc, OSError | RuntimeError | SafetensorError):
            raise write_error(settings.index_dir.resolve(), exc) from exc
        raise
    return load_encoder(BUILTIN_MODEL, model_dir), model_dir


def _user_words(articles: Iterable[Article], settings: Settings) -> list[str]:
    """Learned terms of the corpus (titles included) plus the user's dictionary file."""
    texts = [t for a in articles for t in (a.title, a.text) if t]
    return sorted(set(learn_user_words(texts)) | set(read_user_words(settings.user_dict)))


def _unique(articles: Iterable[Article]) -> dict[str, Article]:
    out: dict[str, Article] = {}
    for article in articles:
        if article.article_id in out:
            logger.warning("article id %s repeated; keeping the first", article.article_id)
            continue
        out[article.article_id] = article
    return out


def _renumber(chunks: list[Chunk]) -> list[Chunk]:
    """Chunk ids are row positions (habit 3), so they are reassigned after any reordering."""
    from dataclasses import replace

    return [c if c.chunk_id == i else replace(c, chunk_id=i) for i, c in enumerate(chunks)]
