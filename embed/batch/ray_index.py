"""`policyqa index --ray`: the same index as `build_index`, with reading and embedding run on Ray.

The steps follow `embed.index.index.build_index` one for one, so the result is the same articles, the
same chunk ids and byte-identical vectors (tests/test_ray_cluster.py compares them):

1. read, clean, split and chunk: Ray tasks, one per page file or JSONL byte range (`embed.ingest.shards`);
2. learn the corpus's terms and fit the built-in model: in the driver, once, on all passages (the limit of
   this design: see README "Scaling out");
3. embed and tokenize the passages: Ray tasks, the fitted model shipped once to every worker;
4. BM25 over the tokens, and the index: in the driver.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

from ..config import Settings
from ..datamodels import Corpus
from ..index.bm25 import BM25Index

# The single-process build's own steps, reused so that both paths stay one definition.
from ..index.index import Index, _fresh_encoder, _renumber, _unique, _user_words
from ..text.chunk import ChunkSettings, passage_text
from .ray_jobs import connect, embed_on_ray, read_on_ray

logger = logging.getLogger(__name__)


def build_on_ray(
    settings: Settings, paths: Sequence[str | Path], address: str
) -> tuple[Index | None, Corpus]:
    """Read and index `paths` on the Ray cluster at `address`.

    Returns:
        The index (not yet saved; None when no article was found) and the corpus read.

    Raises:
        RayUnavailableError: Ray is missing or the cluster cannot be joined.
    """
    ray = connect(address)
    rules = ChunkSettings.from_settings(settings)
    start = time.perf_counter()
    sharded = read_on_ray(ray, paths, rules)
    corpus = sharded.corpus
    logger.info("read %d articles on Ray in %.1f s", len(corpus.articles), time.perf_counter() - start)
    arts = _unique(corpus.articles)
    if not arts:
        return None, corpus
    chunks = _renumber([c for a in arts.values() for c in sharded.chunks[a.article_id]])
    user_words = _user_words(arts.values(), settings)
    texts = [passage_text(c) for c in chunks]
    encoder, model_dir = _fresh_encoder(settings, texts, user_words)
    logger.info("embedding %d passages of %d articles on Ray", len(chunks), len(arts))
    embeddings, tokens = embed_on_ray(ray, texts, settings.model, model_dir, user_words)
    index = Index(
        chunks=chunks,
        articles=arts,
        embeddings=embeddings,
        bm25=BM25Index.build(tokens),
        user_words=user_words,
        model=settings.model,
        encoder_name=encoder.name,
        chunk_settings=rules,
        model_dir=model_dir,
    )
    return index, corpus
