"""Offline batch summaries: every article of every file, in parallel, resumable, written atomically."""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..config import usable_cores
from ..datamodels import Article, Corpus, Skip
from ..errors import BadInputError
from ..ingest.ingest import read_corpus
from ..progress import Progress
from ..summarize.summarize import summarize_text
from ..text.chunk import ChunkSettings, chunk_article, passage_text
from ..text.keywords import passage_idf
from ..text.words import SEGMENT_CACHE_BLOCKS, Tokenizer, learn_user_words
from .formats import SummaryRecord, format_for, read_records, render_records

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 15.0
"""While running, OUT is rewritten (atomically) this often, so even a killed run keeps most of its work."""


CHUNKSIZE = 8
"""Articles sent to a worker at a time: amortises inter-process overhead, keeps progress smooth."""


@dataclass(frozen=True, slots=True)
class BatchReport:
    """What a batch run did: how many articles were summarized or reused, what was skipped, how fast."""

    out: Path | None
    articles: int
    summarized: int
    reused: int
    skipped: tuple[Skip, ...]
    seconds: float

    @property
    def rate(self) -> float:
        """Articles summarized per second (reused ones excluded)."""
        return self.summarized / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (skips as "path[:line]: reason" strings)."""
        return {
            "out": str(self.out) if self.out is not None else None,
            "articles": self.articles,
            "summarized": self.summarized,
            "reused": self.reused,
            "skipped": [str(s) for s in self.skipped],
            "seconds": round(self.seconds, 3),
            "articles_per_s": round(self.rate, 1),
        }


def content_hash(text: str, max_chars: int) -> str:
    """Identity of a summary: the article's text and the budget (another budget makes another summary)."""
    return hashlib.sha256(f"{max_chars}\n{text}".encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class CorpusVocabulary:
    """What keywords are weighed against: the run's own terms (kept whole) and their IDF over its passages.

    Both are made exactly as an index of the same articles makes them (terms learned from titles and
    texts; IDF over the index's passages with their title and date, search tokens, BM25's IDF), so an
    article's keywords here equal those of `/api/articles/{id}` on an index of the same files.
    """

    user_words: tuple[str, ...] = ()
    idf: dict[str, float] | None = None
    tokenizer: Tokenizer | None = field(default=None, compare=False, repr=False)
    """The tokenizer that learned the IDF, when made here: it has segmented every passage already, so
    summarizing with it finds most sentences' blocks in its cache (and forked workers inherit it)."""

    @classmethod
    def of(cls, articles: Sequence[Article]) -> CorpusVocabulary:
        """Learn the terms of `articles` and the document frequencies of their passages."""
        user_words = tuple(learn_user_words([t for a in articles for t in (a.title, a.text) if t]))
        tokenizer = Tokenizer(user_words, cache_blocks=SEGMENT_CACHE_BLOCKS, bulk=True)
        doc_freq: Counter[str] = Counter()
        passages = 0
        rules = ChunkSettings()
        for article in articles:
            for chunk in chunk_article(article, rules, 0):
                doc_freq.update(set(tokenizer.tokenize_for_search(passage_text(chunk))))
                passages += 1
        return cls(user_words, passage_idf(doc_freq, passages), tokenizer)

    def __reduce__(self) -> tuple[type[CorpusVocabulary], tuple[tuple[str, ...], dict[str, float] | None]]:
        # Pickled (Ray, spawned workers) without the tokenizer: it holds a lock and a large cache, and
        # `use_vocabulary` makes an equal one from the user words where it lands.
        return (CorpusVocabulary, (self.user_words, self.idf))

    def make_tokenizer(self) -> Tokenizer:
        """The tokenizer of these user words: the one that learned the IDF when there is one."""
        return self.tokenizer if self.tokenizer is not None else Tokenizer(self.user_words, bulk=True)


_VOCABULARY: tuple[Tokenizer, dict[str, float] | None] | None = None
"""This process's tokenizer and IDF, set once per run (and once per worker, by the pool initializer)."""


def use_vocabulary(vocabulary: CorpusVocabulary) -> None:
    """Make `vocabulary` the one `summarize_article` uses in this process."""
    global _VOCABULARY
    _VOCABULARY = (vocabulary.make_tokenizer(), vocabulary.idf)


def summarize_article(article: Article, max_chars: int) -> SummaryRecord:
    """One record for one article (the unit of work a worker process runs)."""
    tokenizer, idf = _VOCABULARY if _VOCABULARY is not None else (None, None)
    summary = summarize_text(article.text, max_chars, idf=idf, tokenizer=tokenizer)
    return SummaryRecord(
        article_id=article.article_id,
        title=article.title,
        source=article.source,
        date=article.date,
        summary=summary.text,
        keywords=summary.keywords,
        chars=len(article.text),
        content_hash=content_hash(article.text, max_chars),
    )


def summarize_corpus(
    paths: Sequence[str | Path],
    out: str | Path | None,
    fmt: str | None = None,
    max_chars: int = 200,
    workers: int | None = None,
    force: bool = False,
    *,
    progress: bool | None = None,
    stdout: TextIO | None = None,
    ray: str | None = None,
) -> BatchReport:
    """Summarize every article found under `paths` into OUT, one record per article.

    Articles are read and cleaned exactly as for indexing (`read_corpus`); unreadable files are reported
    in the report's `skipped` and logged. Records already in OUT with the same content hash are kept
    as they are (resume) unless `force`. OUT is only ever replaced whole (write to a temporary file,
    then rename), also every CHECKPOINT_SECONDS and on Ctrl-C, so it is never half-written.

    Args:
        paths: files or folders (.txt/.md/.html pages, .jsonl of {"id", "text", "title"?, "date"?}).
        out: the output file; None writes the records to `stdout` (sys.stdout) when all are done.
        fmt: "jsonl", "md" or "csv"; None means from OUT's suffix (jsonl when it has none of these).
        max_chars: summary budget (whole sentences, the last may cross it).
        workers: worker processes (1 = in this process; None = one per core this process may use).
        force: summarize everything again, ignoring OUT's content.
        progress: None shows a bar (rate, ETA) on a terminal and a plain line every
            embed.progress.PROGRESS_SECONDS otherwise, on stderr; True always the bar; False nothing.
        stdout: where records go when `out` is None.
        ray: a Ray cluster address ("local" starts one here): reading and summarizing run there as tasks
            (`embed.batch.ray_jobs`); `workers` is then unused. The output is the same.

    Raises:
        ValueError: bad `fmt`, `max_chars` or `workers`, or OUT exists but is not a summaries file of
            that format (it is left untouched; pass `force` to replace it).
    """
    out = Path(out) if out is not None else None
    fmt = format_for(out or Path("-"), fmt)
    workers = workers if workers is not None else usable_cores()
    if max_chars <= 0:
        raise BadInputError(f"max_chars must be positive, got {max_chars}")
    if workers < 1:
        raise BadInputError(f"workers must be at least 1, got {workers}")
    start = time.perf_counter()
    corpus = _read(paths, ray)
    previous = {} if force or out is None else _previous_records(out, fmt)
    records: dict[str, SummaryRecord] = {}
    todo: list[Article] = []
    for article in corpus.articles:
        kept = previous.get(content_hash(article.text, max_chars))
        if kept is not None:
            records[article.article_id] = kept
        else:
            todo.append(article)
    log.info(
        "%d articles: %d to summarize, %d already in %s", len(corpus.articles), len(todo), len(records), out
    )
    order = [a.article_id for a in corpus.articles]
    save = _saver(out, fmt, order, stdout)
    vocabulary = CorpusVocabulary.of(corpus.articles) if todo else CorpusVocabulary()
    use_vocabulary(vocabulary)  # for work done in this process; workers get it from the pool initializer
    try:
        done = _run(todo, max_chars, workers if ray is None else ray, records, save, progress, vocabulary)
    finally:
        use_vocabulary(CorpusVocabulary())
    save(records, final=True)
    reused = len(records) - done
    return BatchReport(out, len(corpus.articles), done, reused, corpus.skipped, time.perf_counter() - start)


def _read(paths: Sequence[str | Path], ray: str | None) -> Corpus:
    if ray is None:
        return read_corpus(paths)
    from .ray_jobs import connect, read_on_ray

    return read_on_ray(connect(ray), paths, None).corpus


def _saver(out: Path | None, fmt: str, order: list[str], stdout: TextIO | None) -> Callable[..., None]:
    """Writes the records in corpus order: atomically to OUT, or once (when final) to stdout."""

    def save(records: dict[str, SummaryRecord], final: bool = False) -> None:
        content = render_records([records[i] for i in order if i in records], fmt)
        if out is not None:
            _write_atomically(out, content)
        elif final:
            (stdout or sys.stdout).write(content)

    return save


def _previous_records(out: Path, fmt: str) -> dict[str, SummaryRecord]:
    """Records of an earlier run by content hash; nothing when OUT does not exist."""
    if not out.exists():
        return {}
    records = read_records(out, fmt)
    return {r.content_hash: r for r in records}


def _run(
    todo: list[Article],
    max_chars: int,
    workers: int | str,
    records: dict[str, SummaryRecord],
    save: Callable[..., None],
    progress: bool | None,
    vocabulary: CorpusVocabulary,
) -> int:
    """Summarize `todo` into `records`, checkpointing OUT; on Ctrl-C save what is done, then re-raise."""
    bar = Progress(len(todo), progress, desc="summarizing", done="summarized", unit="article")
    last_save = time.monotonic()
    done = 0
    try:
        for record in _results(todo, max_chars, workers, vocabulary):
            records[record.article_id] = record
            done += 1
            bar.update()
            if time.monotonic() - last_save > CHECKPOINT_SECONDS:
                save(records)
                last_save = time.monotonic()
    except KeyboardInterrupt:
        save(records)
        log.warning(
            "interrupted after %d of %d articles; what was done is saved, run again to resume",
            done,
            len(todo),
        )
        raise
    finally:
        bar.close()
    return done


def _results(
    todo: list[Article], max_chars: int, workers: int | str, vocabulary: CorpusVocabulary
) -> Iterator[SummaryRecord]:
    if isinstance(workers, str):  # a Ray address
        from .ray_jobs import connect, summarize_on_ray

        yield from summarize_on_ray(connect(workers), todo, max_chars, vocabulary)
        return
    if workers == 1 or len(todo) < 2 * CHUNKSIZE:
        for article in todo:
            yield summarize_article(article, max_chars)
        return
    summarize_text("预热。")  # load jieba and the IDF table once here, so forked workers inherit them
    with ProcessPoolExecutor(max_workers=workers, initializer=use_vocabulary, initargs=(vocabulary,)) as pool:
        try:
            yield from pool.map(summarize_article, todo, [max_chars] * len(todo), chunksize=CHUNKSIZE)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _write_atomically(out: Path, content: str) -> None:
    """Write to a temporary file beside OUT, flush it to disk, then rename it over OUT (atomic on POSIX)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline="", dir=out.parent, prefix=f".{out.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(content)
            handle.flush()
            # A temporary file is created 0600; the summaries get the permissions any new file would.
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            os.fsync(handle.fileno())
        os.replace(handle.name, out)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask (read by setting it and putting it back: the os module has no getter)."""
    mask = os.umask(0o22)
    os.umask(mask)
    return mask
