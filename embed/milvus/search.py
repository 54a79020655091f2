"""Serving from Milvus: an index whose passages stay in Milvus; a retriever with the embedded fusion.

`MilvusIndex` holds in memory what the embedded `Index` also holds beside its arrays (articles, user words,
BM25 vocabulary and document frequencies, the model); passages, vectors and BM25 weights stay in Milvus.
`MilvusRetriever.search` asks Milvus for the BM25 top-n (sparse inner product over bm25s's weights) and
the dense top-n (inner product), fetches both scores for every candidate, and then runs the project's own
`convex` fusion, de-duplication and highlighting, so hits, answers and citations are made as in `Retriever`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import weakref
from collections import Counter, OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..datamodels import Article, Chunk, Hit
from ..errors import IndexCorruptError, IndexNotFoundError
from ..index.bm25 import idf_rescale, lucene_idf
from ..search.retrieve import Mode, Retriever, convex, distinct_hits, highlight_spans, rrf
from ..text.chunk import ChunkSettings
from ..text.words import Tokenizer
from .location import MilvusLocation
from .store import FORMAT_VERSION, HNSW_EF_SEARCH, META_SUFFIX, connect, read_files, vectors_of

CHUNK_CACHE = 4096
"""Passages kept in memory by id (the service's warm-up and article pages read a few repeatedly)."""

REBUILD = "run `policyqa index --backend ...` to (re)build it"


class _BM25Stats:
    """What callers read from `Index.bm25` besides scoring: passage count, document frequencies, IDF."""

    def __init__(self, num_docs: int, doc_freq: dict[str, int], vocab: dict[str, int]) -> None:
        self.num_docs = num_docs
        self.doc_freq = doc_freq
        self.vocab = vocab

    def idf(self, token: str) -> float:
        """Lucene's smoothed IDF, as `BM25Index.idf`."""
        return lucene_idf(self.doc_freq.get(token, 0), self.num_docs)


class _Chunks(Sequence[Chunk]):
    """The passages, read from Milvus by row on demand (with a small cache)."""

    def __init__(self, client: Any, collection: str, count: int) -> None:
        self._client, self._collection, self._count = client, collection, count
        self._cache: OrderedDict[int, Chunk] = OrderedDict()

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, row: int) -> Chunk:  # type: ignore[override]
        if not 0 <= row < self._count:
            raise IndexError(row)
        return self.fetch([row])[row]

    def fetch(self, rows: list[int]) -> dict[int, Chunk]:
        """Chunks by row id, one query for the ones not cached."""
        missing = [r for r in rows if r not in self._cache]
        if missing:
            found = self._client.query(
                self._collection, filter=f"chunk_id in {missing}", output_fields=["chunk_id", "chunk"]
            )
            for hit in found:
                self._cache[hit["chunk_id"]] = Chunk(chunk_id=hit["chunk_id"], **json.loads(hit["chunk"]))
            while len(self._cache) > CHUNK_CACHE:
                self._cache.popitem(last=False)
        return {r: self._cache[r] for r in rows if r in self._cache}


class MilvusIndex:
    """The parts of `Index` that search, answers and the service use, over a Milvus collection."""

    backend = "milvus"

    def __init__(self, client: Any, location: MilvusLocation, files: dict[str, bytes]) -> None:
        manifest = json.loads(files["manifest.json"])
        if manifest.get("backend_format") != FORMAT_VERSION:
            raise IndexCorruptError(f"Milvus collection {location.collection} has another layout: {REBUILD}")
        self.client, self.collection = client, location.collection
        self.model: str = manifest["model"]
        self.encoder_name: str = manifest["encoder_name"]
        self.dim: int = int(manifest["dim"])
        self.chunk_settings = ChunkSettings(**manifest["chunk_settings"])
        self.articles: dict[str, Article] = {}
        for line in files["articles.jsonl"].decode().splitlines():
            row = json.loads(line)
            row["byline"] = tuple(row.get("byline") or ())
            self.articles[row["article_id"]] = Article(**row)
        self.user_words = tuple(w for w in files["user_words.txt"].decode().split("\n") if w)
        stats = json.loads(files["bm25.json"])
        self.bm25 = _BM25Stats(int(stats["num_docs"]), stats["doc_freq"], stats["vocab"])
        self.chunks = _Chunks(client, self.collection, int(manifest["counts"]["chunks"]))
        self.tokenizer = Tokenizer(self.user_words)
        self.model_dir = _unpack_model(files)
        if self.model_dir is not None:
            weakref.finalize(self, shutil.rmtree, self.model_dir, True)

    @classmethod
    def open(cls, location: MilvusLocation) -> MilvusIndex:
        """Connect and load the side collection.

        Raises:
            IndexNotFoundError: no such collection.
            IndexCorruptError: the side collection is missing or incomplete.
        """
        client = connect(location)
        if not client.has_collection(location.collection):
            client.close()
            raise IndexNotFoundError(f"no collection {location.collection!r} at {location.uri}: {REBUILD}")
        if not client.has_collection(location.collection + META_SUFFIX):
            client.close()
            raise IndexCorruptError(
                f"{location.collection!r} at {location.uri} lacks its side collection: {REBUILD}"
            )
        try:
            client.load_collection(location.collection)
            client.load_collection(location.collection + META_SUFFIX)
            files = read_files(client, location.collection)
            return cls(client, location, files)
        except (KeyError, ValueError) as exc:
            client.close()
            raise IndexCorruptError(
                f"{location.collection!r} at {location.uri} cannot be read ({exc}): {REBUILD}"
            ) from exc

    @property
    def doc_freq(self) -> dict[str, int]:
        """Passage frequency of every BM25 token."""
        return self.bm25.doc_freq

    def idf(self, token: str) -> float:
        """Inverse document frequency of a token over the passages."""
        return self.bm25.idf(token)

    def bm25_top(self, tokens: list[str], n: int, rows: list[int] | None = None) -> dict[int, float]:
        """BM25 scores of the best `n` passages (or of `rows` only): a sparse inner product in Milvus."""
        counts = Counter(t for t in tokens if t in self.bm25.vocab)
        if not counts or rows == []:
            return {}
        # Each query token weighs as often as it occurs, rescaled to the background-smoothed IDF exactly
        # as BM25Index.scores does, so the sparse inner product equals the folder index's BM25 score.
        stats = self.bm25
        query = {
            stats.vocab[t]: n * idf_rescale(t, stats.doc_freq, stats.num_docs) for t, n in counts.items()
        }
        found = self.client.search(
            self.collection,
            data=[{int(k): float(v) for k, v in query.items()}],
            anns_field="bm25",
            limit=n if rows is None else len(rows),
            filter=f"chunk_id in {rows}" if rows is not None else "",
            search_params={"metric_type": "IP"},
            output_fields=["chunk_id"],
        )
        return {_row(hit): float(hit["distance"]) for hit in found[0] if hit["distance"] > 0}

    def dense_top(self, qvec: np.ndarray, n: int) -> list[int]:
        """Rows of the `n` nearest passages by inner product (== cosine on unit vectors), best first."""
        found = self.client.search(
            self.collection,
            data=[qvec.astype(np.float32).tolist()],
            anns_field="vector",
            limit=n,
            search_params={"metric_type": "IP", "params": {"ef": max(HNSW_EF_SEARCH, n)}},
            output_fields=["chunk_id"],
        )
        return [_row(hit) for hit in found[0]]

    def vectors(self, rows: list[int]) -> np.ndarray:
        """The stored vectors of `rows`, in that order."""
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        found = self.client.query(
            self.collection, filter=f"chunk_id in {rows}", output_fields=["chunk_id", "vector"]
        )
        by_row = {r["chunk_id"]: r for r in found}
        return vectors_of([by_row[r] for r in rows])


def _row(hit: Any) -> int:
    """A search hit's passage row (pymilvus 2.5 keys hits by "id", 3.x by field name; both fill entity)."""
    return int(hit["entity"]["chunk_id"])


def _unpack_model(files: dict[str, bytes]) -> Path | None:
    """The built-in model's files in a private temp folder (removed with the index object)."""
    model_files = {k.removeprefix("model/"): v for k, v in files.items() if k.startswith("model/")}
    if not model_files:
        return None
    folder = Path(tempfile.mkdtemp(prefix="policyqa-milvus-model-"))
    for name, data in model_files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


class MilvusRetriever(Retriever):
    """`Retriever` over a `MilvusIndex`: Milvus finds the candidates, the fusion is the project's own."""

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid") -> list[Hit]:
        """The best `k` passages for `query`, best first (as `Retriever.search`)."""
        query = query.strip()
        tokens = self._search_tokens(query, k, mode)
        if not len(self.index.chunks):
            return []
        n = max(self.candidates, 4 * k)
        ranked, bm25, cosine = self._candidates(mode, n, tokens, query)
        chunks = self.index.chunks.fetch([row for row, _ in ranked])

        def make_hit(chunk: Chunk, score: float) -> Hit:
            row = chunk.chunk_id
            return Hit(
                chunk=chunk,
                score=float(score),
                dense_score=cosine.get(row) if mode != "bm25" else None,
                bm25_score=bm25.get(row, 0.0) if mode != "dense" else None,
                highlights=highlight_spans(chunk.text, tokens),
            )

        return distinct_hits(((chunks[row], score) for row, score in ranked), k, make_hit)

    def _candidates(
        self, mode: Mode, n: int, tokens: list[str], query: str
    ) -> tuple[list[tuple[int, float]], dict[int, float], dict[int, float]]:
        """Rows best first with the mode's score, and every candidate's BM25 and cosine scores."""
        index: Any = self.index
        bm25 = index.bm25_top(tokens, n) if mode != "dense" else {}
        bm25_rows = np.array(sorted(bm25, key=lambda r: (-bm25[r], r)), dtype=np.int64)
        if mode == "bm25":
            return [(int(r), bm25[r]) for r in bm25_rows], bm25, {}
        qvec = self._query_vector(query)
        dense_rows = np.array(index.dense_top(qvec, n), dtype=np.int64)
        rows = np.union1d(bm25_rows, dense_rows) if mode == "hybrid" else dense_rows
        cosine = dict(zip(rows.tolist(), (index.vectors(rows.tolist()) @ qvec).tolist(), strict=True))
        if mode == "dense":
            order = sorted(cosine, key=lambda r: (-cosine[r], r))
            return [(r, cosine[r]) for r in order], {}, cosine
        missing = [int(r) for r in rows if r not in bm25]
        bm25 |= index.bm25_top(tokens, n, rows=missing)
        fused = self._fuse(rows, bm25, cosine, bm25_rows, dense_rows)
        order = sorted(fused, key=lambda r: (-fused[r], r))
        return [(r, fused[r]) for r in order], bm25, cosine

    def _fuse(
        self,
        rows: np.ndarray,
        bm25: dict[int, float],
        cosine: dict[int, float],
        bm25_rows: np.ndarray,
        dense_rows: np.ndarray,
    ) -> dict[int, float]:
        """The embedded path's fusion over the candidates (scores laid out by candidate position)."""
        if self.fusion == "rrf":
            return rrf(bm25_rows, dense_rows, weights=self.weights)
        lexical = np.array([bm25.get(int(r), 0.0) for r in rows], dtype=np.float32)
        vectors = np.array([[cosine[int(r)]] for r in rows], dtype=np.float32)
        local = convex(lexical, vectors, np.ones(1, dtype=np.float32), np.arange(len(rows)), self.alpha)
        return {int(rows[i]): score for i, score in local.items()}
