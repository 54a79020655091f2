"""The index in Milvus: passages, tokens, BM25 weights and vectors in one collection; the rest beside it.

Two collections per index, written aside and renamed into place (a failed write leaves the old index):

- `COLLECTION`: one row per passage. `chunk_id` (primary key = row position, habit 3), `chunk` (the
  passage's record as JSON), `tokens` (its jieba search tokens, space-joined), `vector` (the unit vector;
  FLAT, or HNSW above `FLAT_MAX` rows, inner product) and `bm25` (a sparse vector: bm25s's own precomputed
  weight of each of the passage's tokens, keyed by bm25s's token id).
- `COLLECTION__meta`: the small rest, as files cut into base64 parts: the manifest, the articles, the user
  words, BM25's vocabulary and document frequencies, and the built-in model.

Why BM25 weights and not Milvus's BM25 function: a query's BM25 score is the sum of the passage's weights for
the query's tokens, so an inner-product search over these sparse vectors gives bm25s's scores (up to float32
rounding), on any Milvus with sparse vectors. Milvus's own function needs a whitespace analyzer to see our
tokens, which milvus-lite 3.2 lacks ("unknown tokenizer type: 'whitespace' (supported: 'standard', 'jieba')");
its jieba analyzer would segment differently from our tokenizer. The `tokens` field is kept for inspection and
for a Milvus cluster that wants to add its own BM25 function.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from ..index.store import manifest_of
from ..text.chunk import passage_text
from .location import MilvusLocation

if TYPE_CHECKING:
    from ..index.index import Index

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""Bumped when the collections' layout changes; reading refuses other versions."""

META_SUFFIX = "__meta"
BUILDING_SUFFIX = "__building"
"""Collection name suffixes: the side collection, and the names an index is written under before the swap."""

PART_BYTES = 48_000
"""Bytes per meta row: base64 makes 64,000 characters, under Milvus's VARCHAR limit of 65,535 bytes."""

TEXT_MAX = 65_535
"""VARCHAR capacity of the passage and token fields (Milvus's maximum; storage is by actual length)."""

INSERT_ROWS = 1_000
"""Rows per insert call: keeps each request well under Milvus's default 64 MB message limit."""

FLAT_MAX = 50_000
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 200, 256
"""The embedded index's choices (embed/index/index.py): exact while small, the same HNSW settings above."""


def connect(location: MilvusLocation) -> Any:
    """A `MilvusClient` for a server URI or a milvus-lite file."""
    from pymilvus import MilvusClient

    if location.is_lite:
        # milvus-lite's in-process server logs a traceback for every timestamp request it does not
        # implement; the client then falls back to its own clock, so the message is noise.
        logging.getLogger("grpc._server").addFilter(_not_unimplemented)
    return MilvusClient(uri=location.uri, token=location.token or "")


def _not_unimplemented(record: logging.LogRecord) -> bool:
    return "Method not implemented" not in record.getMessage()


def write_index(index: Index, location: MilvusLocation) -> None:
    """Write `index` to the collections at `location`, replacing what was there only once all is written."""
    client = connect(location)
    try:
        name = location.collection
        staged = name + BUILDING_SUFFIX
        for stale in (staged, staged + META_SUFFIX):
            if client.has_collection(stale):
                client.drop_collection(stale)
        start = time.perf_counter()
        _write_passages(client, staged, index)
        _write_files(client, staged + META_SUFFIX, _meta_files(index))
        for old in (name, name + META_SUFFIX):
            if client.has_collection(old):
                client.drop_collection(old)
        client.rename_collection(staged, name)
        client.rename_collection(staged + META_SUFFIX, name + META_SUFFIX)
        logger.info("wrote %d passages to Milvus in %.1f s", len(index.chunks), time.perf_counter() - start)
    finally:
        client.close()


def _write_passages(client: Any, name: str, index: Index) -> None:
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    schema.add_field("chunk_id", DataType.INT64, is_primary=True)
    schema.add_field("chunk", DataType.VARCHAR, max_length=TEXT_MAX)
    schema.add_field("tokens", DataType.VARCHAR, max_length=TEXT_MAX)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=index.dim)
    schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
    params = client.prepare_index_params()
    params.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    if len(index.chunks) <= FLAT_MAX:
        params.add_index("vector", index_type="FLAT", metric_type="IP")
    else:
        hnsw = {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION}
        params.add_index("vector", index_type="HNSW", metric_type="IP", params=hnsw)
    client.create_collection(name, schema=schema, index_params=params)
    rows: list[dict[str, Any]] = []
    for row in _passage_rows(index):
        rows.append(row)
        if len(rows) == INSERT_ROWS:
            client.insert(name, rows)
            rows = []
    if rows:
        client.insert(name, rows)
    client.flush(name)


def _passage_rows(index: Index) -> Iterator[dict[str, Any]]:
    weights = index.bm25.passage_weights()
    empty = {len(index.bm25.vocab): 1.0}  # Milvus refuses an empty sparse vector; no query has this id
    for chunk, vector, passage in zip(index.chunks, index.embeddings, weights, strict=True):
        record = chunk.to_dict()
        record.pop("chunk_id")
        yield {
            "chunk_id": chunk.chunk_id,
            "chunk": json.dumps(record, ensure_ascii=False),
            "tokens": " ".join(index.tokenizer.tokenize_for_search(passage_text(chunk))),
            "vector": vector.tolist(),
            "bm25": passage or empty,
        }


def _meta_files(index: Index) -> dict[str, bytes]:
    manifest = manifest_of(index).to_dict() | {"backend_format": FORMAT_VERSION}
    manifest.pop("article_hashes", None)  # for `--add`, which Milvus indexes do not take
    files = {
        "manifest.json": json.dumps(manifest, ensure_ascii=False).encode(),
        "articles.jsonl": "".join(
            json.dumps(a.to_dict(), ensure_ascii=False) + "\n" for a in index.articles.values()
        ).encode(),
        "user_words.txt": "".join(f"{w}\n" for w in index.user_words).encode(),
        "bm25.json": json.dumps(
            {"num_docs": index.bm25.num_docs, "doc_freq": index.doc_freq, "vocab": index.bm25.vocab},
            ensure_ascii=False,
        ).encode(),
    }
    if index.model_dir is not None:
        for path in sorted(index.model_dir.rglob("*")):
            if path.is_file():
                files[f"model/{path.relative_to(index.model_dir).as_posix()}"] = path.read_bytes()
    return files


def _write_files(client: Any, name: str, files: dict[str, bytes]) -> None:
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("name", DataType.VARCHAR, max_length=1024)
    schema.add_field("part", DataType.INT64)
    schema.add_field("data", DataType.VARCHAR, max_length=TEXT_MAX)
    schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)  # Milvus requires a vector field
    params = client.prepare_index_params()
    params.add_index("unused", index_type="FLAT", metric_type="L2")
    client.create_collection(name, schema=schema, index_params=params)
    rows = []
    for name_, data in files.items():
        for part, start in enumerate(range(0, max(len(data), 1), PART_BYTES)):
            piece = base64.b64encode(data[start : start + PART_BYTES]).decode()
            rows.append({"id": len(rows), "name": name_, "part": part, "data": piece, "unused": [0.0, 0.0]})
    for start in range(0, len(rows), 100):
        client.insert(name, rows[start : start + 100])
    client.flush(name)


def read_files(client: Any, collection: str) -> dict[str, bytes]:
    """The side collection's files, reassembled from their parts."""
    parts: dict[str, list[tuple[int, str]]] = {}
    start, batch = 0, 100
    while True:  # ids run from 0 without gaps; a plain range query works on every Milvus (no iterator)
        rows = client.query(
            collection + META_SUFFIX,
            filter=f"id >= {start} and id < {start + batch}",
            output_fields=["name", "part", "data"],
        )
        for row in rows:
            parts.setdefault(row["name"], []).append((row["part"], row["data"]))
        if len(rows) < batch:
            break
        start += batch
    return {
        name: b"".join(base64.b64decode(data) for _, data in sorted(pieces)) for name, pieces in parts.items()
    }


def vectors_of(rows: list[dict[str, Any]]) -> np.ndarray:
    """float32 matrix of the `vector` field of query results, in their order."""
    return np.asarray([r["vector"] for r in rows], dtype=np.float32)
