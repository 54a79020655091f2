"""The one adapter between the HTTP layer and the library: a loaded index, and an atomic swap on reload."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from embed.config import Settings
from embed.datamodels import Answer, Article, Hit, Summary
from embed.errors import ArticleNotFoundError, EmptyQueryError

if TYPE_CHECKING:
    from embed.index import Index

log = logging.getLogger(__name__)

ARTICLE_SUMMARY_CACHE = 512
"""Article summaries are computed on first view and kept: an article's text never changes in one index."""

VECTOR_CACHE = 50_000
"""Sentence and question vectors kept per loaded index (about 50,000 x dim x 4 bytes at most)."""


class CachedEncoder:
    """Wraps an encoder and remembers the vectors it made, text by text.

    Answers encode every sentence of the retrieved passages for every question; those sentences come
    from a fixed corpus and recur across questions, so most are encoded once per index instead of once
    per request. The encoder is deterministic, so the vectors are exactly the ones it would make again.
    """

    def __init__(self, encoder: Any, maxsize: int = VECTOR_CACHE) -> None:
        self.inner = encoder
        self.name: str = encoder.name
        self.dim: int = encoder.dim
        self._maxsize = maxsize
        self._vectors: dict[tuple[str, str], np.ndarray] = {}
        self._lock = threading.Lock()  # guards eviction; encoding itself runs outside it

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for questions."""
        return self._encode("q", texts, self.inner.encode_queries)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for passages or sentences."""
        return self._encode("p", texts, self.inner.encode_passages)

    def _encode(self, kind: str, texts: list[str], encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        found = [self._vectors.get((kind, t)) for t in texts]
        missing = list(dict.fromkeys(t for t, v in zip(texts, found, strict=True) if v is None))
        if missing:
            fresh = dict(zip(missing, np.asarray(encode(missing), dtype=np.float32), strict=True))
            with self._lock:
                if len(self._vectors) + len(fresh) > self._maxsize:
                    self._vectors.clear()  # rare, and cheaper than LRU bookkeeping on every hit
                self._vectors.update(((kind, t), v) for t, v in fresh.items())
            found = [v if v is not None else fresh[t] for t, v in zip(texts, found, strict=True)]
        if not found:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack(found)


class Service:
    """Everything a request needs from one loaded index: retrieval, answers, summaries, the article table.

    A `Service` is never mutated after construction (apart from its summary cache), so a request that
    picked it up keeps a consistent index even while a reload swaps in a new one.
    """

    def __init__(self, retriever: Any, settings: Settings) -> None:
        self.retriever = retriever
        self.index = retriever.index
        self.settings = settings
        self.model_name: str = getattr(retriever.encoder, "name", "unknown")
        self._article_ids: list[str] = list(self.index.articles)
        self._summaries: dict[str, Summary] = {}
        self._idf: dict[str, float] | None = None

    @classmethod
    def load(cls, settings: Settings) -> Service:
        """Open the index at settings.index_dir with the encoder it was built with.

        Builds the index from settings.seeds_dir first when there is none, so that a fresh clone serves.
        """
        from embed.pipeline import ensure_index

        return cls.from_index(ensure_index(settings), settings)

    @classmethod
    def from_index(cls, index: Index, settings: Settings) -> Service:
        """Serve an index that is already loaded, with the encoder it was built with."""
        from embed.backend import make_retriever
        from embed.index import load_encoder_for

        return cls(make_retriever(index, CachedEncoder(load_encoder_for(index))), settings)

    def search(self, query: str, k: int) -> list[Hit]:
        """The k best passages for a query."""
        return list(self.retriever.search(query, k=k))

    def ask(self, question: str, k: int) -> Answer:
        """An extractive answer citing the k best passages (the same path as `policyqa ask`)."""
        from embed.pipeline import ask

        return ask(self.retriever, question, k=k, max_chars=self.settings.answer_max_chars)

    def summarize(self, text: str, max_chars: int) -> Summary:
        """An extractive summary of loose text, cleaned as indexing cleans a page.

        Keywords use the general IDF: the text need not come from the archive.
        """
        from embed.summarize import summarize_page

        return summarize_page(text, max_chars=max_chars, tokenizer=self.index.tokenizer)

    def _corpus_idf(self) -> dict[str, float]:
        if self._idf is None:
            from embed.keywords import passage_idf

            # The same table `policyqa summarize` builds for its own files (batch.CorpusVocabulary).
            self._idf = passage_idf(self.index.doc_freq, self.index.bm25.num_docs)
        return self._idf

    def articles(self, offset: int, limit: int) -> tuple[int, list[Article]]:
        """The total count and one page of articles, in index order."""
        ids = self._article_ids[offset : offset + limit]
        return len(self._article_ids), [self.index.articles[i] for i in ids]

    def article(self, article_id: str) -> tuple[Article, Summary]:
        """One article and its summary; ArticleNotFoundError for an unknown id."""
        article = self.index.articles.get(article_id)
        if article is None:
            raise ArticleNotFoundError(article_id)
        summary = self._summaries.get(article_id)
        if summary is None:
            from embed.summarize import summarize_text

            # The index's tokenizer keeps district terms whole; its IDF makes keywords what sets this
            # article apart within the archive, not within general Chinese.
            summary = summarize_text(
                article.text,
                max_chars=self.settings.summary_max_chars,
                idf=self._corpus_idf(),
                tokenizer=self.index.tokenizer,
            )
            if len(self._summaries) < ARTICLE_SUMMARY_CACHE:
                self._summaries[article_id] = summary  # dict assignment is atomic under the GIL
        return article, summary

    def warm_up(self) -> None:
        """Answer one question from the index's own first title, so lazy loads don't land on a user.

        The first ask in a process pays for tokenizer tables and first model calls (about 0.4 s here);
        later ones take about 10 ms.
        """
        if self.index.chunks:
            try:
                self.ask(self.index.chunks[0].title or self.index.chunks[0].text[:50], 5)
            except EmptyQueryError:
                pass  # a title of only stopwords: nothing to warm with, nothing wrong either
            except Exception:  # noqa: BLE001 - best effort: a failing ask must not stop search and articles
                log.exception("warm-up question failed; serving anyway")

    def counts(self) -> tuple[int, int]:
        """(articles, chunks) of the loaded index."""
        return len(self.index.articles), len(self.index.chunks)


Loader = Callable[[Settings], Service]


def preloaded_loader(first: Service, then: Loader = Service.load) -> Loader:
    """Serve `first` at start-up (its index is already loaded), then load from disk on every reload."""
    pending = [first]

    def load(settings: Settings) -> Service:
        return pending.pop() if pending else then(settings)

    return load


class ServiceHolder:
    """Holds the current `Service`; `reload` builds a new one beside it and swaps the reference.

    Readers take `holder.current` once per request (a plain attribute read, atomic), so requests in
    flight finish on the service they started with and nobody waits while a new index loads.
    """

    def __init__(self, settings: Settings, loader: Loader = Service.load) -> None:
        self.settings = settings
        self._loader = loader
        self._current: Service | None = None
        self._reload_lock = threading.Lock()

    @property
    def current(self) -> Service | None:
        """The service answering new requests (None before startup finished)."""
        return self._current

    def load(self) -> Service:
        """Load the index and make it current (startup)."""
        service = self._loader(self.settings)
        service.warm_up()
        self._current = service
        return service

    def reload(self) -> Service | None:
        """Load the index again and swap it in; None when another reload is already running.

        A failed load raises and leaves the previous service in place.
        """
        if not self._reload_lock.acquire(blocking=False):
            return None
        try:
            fresh = self._loader(self.settings)
            fresh.warm_up()  # before the swap: the first request on the new index is not the slow one
            self._current = fresh
            log.info("index reloaded: %d articles, %d chunks", *fresh.counts())
            return fresh
        finally:
            self._reload_lock.release()
