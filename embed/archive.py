"""The application layer: one opened archive that the command line, the HTTP service and batch jobs share."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .config import Settings
from .datamodels import Answer, Article, Hit, Summary
from .errors import ArticleNotFoundError, EmptyQueryError
from .model.encoder import CachingEncoder

if TYPE_CHECKING:
    from .index.index import Index
    from .search.retrieve import Mode, Retriever

log = logging.getLogger(__name__)

ARTICLE_SUMMARY_CACHE = 512
"""Article summaries are computed on first view and kept: an article's text never changes in one index."""


class Archive:
    """One opened archive: search, answers, summaries and the article table over one loaded index.

    The command line, the HTTP service and the benchmarks all go through this object, so a question is
    answered the same way everywhere. An `Archive` is never mutated after construction (apart from its
    caches), so a request that picked it up keeps a consistent index even while a reload swaps in a new one.
    """

    def __init__(self, retriever: Retriever, settings: Settings) -> None:
        """Serve `retriever`'s index (its encoder should be a CachingEncoder: see `from_index`)."""
        self.retriever = retriever
        self.index = retriever.index
        self.settings = settings
        self.model_name: str = getattr(retriever.encoder, "name", "unknown")
        self._article_ids: list[str] = list(self.index.articles)
        self._summaries: dict[str, Summary] = {}
        self._idf: dict[str, float] | None = None

    @classmethod
    def open(cls, settings: Settings) -> Archive:
        """The index where settings say (the folder, or Milvus) as it is, never building one."""
        from .backend import load_index

        return cls.from_index(load_index(settings), settings)

    @classmethod
    def load(cls, settings: Settings) -> Archive:
        """Like `open`, but builds the index from settings.seeds_dir first when there is none.

        A fresh clone serves this way; an index that is there but broken is not rebuilt behind the
        user's back (see `ensure_index`).
        """
        from .pipeline import ensure_index

        return cls.from_index(ensure_index(settings), settings)

    @classmethod
    def from_index(cls, index: Index, settings: Settings) -> Archive:
        """Serve an index that is already loaded, with the encoder it was built with (vectors cached)."""
        from .backend import make_retriever
        from .index.index import load_encoder_for

        return cls(make_retriever(index, CachingEncoder(load_encoder_for(index))), settings)

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid") -> list[Hit]:
        """The k best passages for a query."""
        return list(self.retriever.search(query, k=k, mode=mode))

    def ask(self, question: str, k: int = 5) -> Answer:
        """An extractive answer from the k best passages: the sentence holding the fact first, or none."""
        from .answer.answer import answer_question

        hits = self.retriever.search(question, k=k)
        return answer_question(
            question,
            hits,
            tokenizer=self.index.tokenizer,
            encoder=self.retriever.encoder,
            max_chars=self.settings.answer_max_chars,
        )

    def summarize(self, text: str, max_chars: int) -> Summary:
        """An extractive summary of loose text, cleaned as indexing cleans a page.

        Keywords use the general IDF: the text need not come from the archive.
        """
        from .summarize.summarize import summarize_page

        return summarize_page(text, max_chars=max_chars, tokenizer=self.index.tokenizer)

    def _corpus_idf(self) -> dict[str, float]:
        if self._idf is None:
            from .text.keywords import passage_idf

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
            from .summarize.summarize import summarize_text

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
