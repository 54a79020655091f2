"""Reading the corpus in shards (one page file, or a byte range of a JSONL file) and merging them back.

`read_corpus` reads file after file in one process. Here each shard is read, cleaned, split (and, for
indexing, chunked) on its own, so shards can run anywhere (`embed.batch.ray_jobs` runs them on Ray), and
`merge_shards` then applies, in file order, the few rules that span files: unique page stems, first-wins
article ids, the skip list's order and reprint removal. The result equals `read_corpus(paths)` exactly
(tests/test_shard_read.py compares them on awkward inputs). Nothing here imports Ray.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..datamodels import Article, Chunk, Corpus, Skip
from ..text.chunk import ChunkSettings, chunk_article
from .articles import drop_reprints

# The reader's own rules are reused, not copied, so both paths keep one definition of them.
from .ingest import (
    JSONL_SUFFIXES,
    _unique_stem,
    _Unreadable,
    iter_files,
    jsonl_lines,
    jsonl_record,
    read_paged_file,
    relative_sources,
)
from .readers import UnreadableDocumentError

logger = logging.getLogger(__name__)

SHARD_BYTES = 4 * 1024 * 1024
"""JSONL files are cut into byte ranges of about this size (at line ends): a few thousand articles each,
enough work per task to hide scheduling overhead, small enough that one file spreads over many workers."""


@dataclass(frozen=True, slots=True)
class Shard:
    """One unit of reading work: a whole page file, or the lines of a JSONL file in [start, end)."""

    file: int
    path: str
    jsonl: bool
    stem: str = ""
    part: int = 0
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True)
class Entry:
    """One outcome of a shard, in reading order: an article (with its chunks), or a skipped input.

    `line` counts from 1 within the shard (JSONL); `merge_shards` makes it a line of the file.
    """

    line: int | None
    article: Article | None = None
    chunks: tuple[Chunk, ...] = ()
    skip: Skip | None = None


@dataclass(frozen=True, slots=True)
class ShardResult:
    """What reading one shard produced; `unreadable` says why the whole file could not be read."""

    shard: Shard
    entries: tuple[Entry, ...] = ()
    lines: int = 0
    unreadable: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """The shards of a set of paths, and the skips found while walking them (with where they fall)."""

    shards: tuple[Shard, ...]
    walk_skips: tuple[Skip, ...] = ()
    skips_before: tuple[int, ...] = field(default=())
    """For file i, how many walk skips came before it (`read_corpus` interleaves them the same way)."""
    paths: tuple[str, ...] = ()
    """The paths given, against which sources are shown (as `read_corpus` shows them)."""


def plan_shards(paths: Sequence[str | Path], shard_bytes: int = SHARD_BYTES) -> Plan:
    """Walk `paths` as `read_corpus` does and cut the files into shards.

    Page stems are assigned here as if every page were readable; `merge_shards` fixes the rare case
    where an unreadable page would have left its stem free for a later file.
    """
    walk: list[Skip] = []
    shards: list[Shard] = []
    before: list[int] = []
    stems: dict[str, Path] = {}
    for number, path in enumerate(iter_files(paths, walk)):
        before.append(len(walk))
        if path.suffix.lower() in JSONL_SUFFIXES:
            shards.extend(_jsonl_shards(number, path, shard_bytes))
        else:
            shards.append(Shard(number, str(path), False, stem=_unique_stem(path, stems)))
    return Plan(tuple(shards), tuple(walk), tuple(before), tuple(str(p) for p in paths))


def _jsonl_shards(number: int, path: Path, shard_bytes: int) -> list[Shard]:
    """Byte ranges that start at line starts; one empty range for an empty or unreadable file."""
    try:
        size = path.stat().st_size
        cuts = [0]
        with path.open("rb") as f:
            while cuts[-1] + shard_bytes < size:
                f.seek(cuts[-1] + shard_bytes)
                f.readline()  # to the start of the next line
                if f.tell() >= size:
                    break
                cuts.append(f.tell())
    except OSError:
        size, cuts = 0, [0]  # the reader reports the error, as read_corpus does
    ends = [*cuts[1:], size]
    return [
        Shard(number, str(path), True, part=i, start=s, end=e)
        for i, (s, e) in enumerate(zip(cuts, ends, strict=True))
    ]


def read_shard(shard: Shard, rules: ChunkSettings | None = None) -> ShardResult:
    """Read, clean and split one shard; with `rules`, also cut each article into passages (ids from 0)."""
    path = Path(shard.path)
    skipped: list[Skip] = []
    try:
        if shard.jsonl:
            entries, lines = _read_jsonl_range(shard, path, rules)
        else:
            articles = read_paged_file(path, shard.stem, skipped)
            entries, lines = [Entry(None, a, _chunks(a, rules)) for a in articles], 0
    except (_Unreadable, UnreadableDocumentError) as exc:
        return ShardResult(shard, tuple(Entry(s.line, skip=s) for s in skipped), 0, str(exc))
    page_skips = [Entry(s.line, skip=s) for s in skipped]
    return ShardResult(shard, tuple(page_skips + entries), lines)


def _read_jsonl_range(shard: Shard, path: Path, rules: ChunkSettings | None) -> tuple[list[Entry], int]:
    """The lines of one byte range, read as ingest reads them (ids are checked at the merge)."""
    entries: list[Entry] = []
    number = 0
    for number, raw in jsonl_lines(path, shard.start, shard.end):
        result = jsonl_record(raw, path)
        if isinstance(result, str):
            entries.append(Entry(number, skip=Skip(shard.path, result)))
        elif result is not None:
            entries.append(Entry(number, result, _chunks(result, rules)))
    return entries, number


def _chunks(article: Article, rules: ChunkSettings | None) -> tuple[Chunk, ...]:
    return tuple(chunk_article(article, rules, 0)) if rules is not None else ()


@dataclass(frozen=True, slots=True)
class ShardedCorpus:
    """The merged corpus (equal to `read_corpus`'s) and each kept article's passages (ids from 0)."""

    corpus: Corpus
    chunks: dict[str, tuple[Chunk, ...]]


def merge_shards(
    plan: Plan, results: Sequence[ShardResult], rules: ChunkSettings | None = None
) -> ShardedCorpus:
    """Put shard results together in file order, applying the rules that span files.

    Args:
        plan: what `plan_shards` returned.
        results: one result per shard of the plan, in any order.
        rules: passage rules, used only to re-read a page whose stem changed.
    """
    by_shard = {(r.shard.file, r.shard.part): r for r in results}
    results = _fix_stems(plan, [by_shard[(s.file, s.part)] for s in plan.shards], rules)
    skipped: list[Skip] = []
    articles: list[Article] = []
    chunks: dict[int, tuple[Chunk, ...]] = {}
    ids: dict[str, str] = {}
    files_read, walked = 0, 0
    for file_results in _by_file(results):
        first = file_results[0].shard
        skipped.extend(plan.walk_skips[walked : plan.skips_before[first.file]])
        walked = plan.skips_before[first.file]
        found = _merge_file(file_results, ids, skipped, articles, chunks)
        if found is None:
            continue
        files_read += 1
        if not found:
            skipped.append(Skip(first.path, "no article text found after cleaning"))
    skipped.extend(plan.walk_skips[walked:])
    shown = relative_sources(articles, plan.paths)  # sources as read_corpus shows them, chunks likewise
    chunks = {
        id(new): tuple(replace(c, source=new.source) for c in chunks[id(old)])
        for old, new in zip(articles, shown, strict=True)
    }
    kept, duplicates = drop_reprints(shown)
    for skip in skipped:
        logger.warning("skipped %s", skip)
    by_id = {a.article_id: chunks[id(a)] for a in kept}
    corpus = Corpus(tuple(kept), tuple(skipped), files_read, duplicates)
    return ShardedCorpus(corpus, by_id)


def _merge_file(
    file_results: list[ShardResult],
    ids: dict[str, str],
    skipped: list[Skip],
    articles: list[Article],
    chunks: dict[int, tuple[Chunk, ...]],
) -> list[Article] | None:
    """One file's articles in line order, checked against the ids seen so far; None when unreadable."""
    bad = next((r for r in file_results if r.unreadable is not None), None)
    if bad is not None:
        skipped.extend(e.skip for e in bad.entries if e.skip is not None)
        skipped.append(Skip(bad.shard.path, bad.unreadable or ""))
        return None
    found: list[Article] = []
    offset = 0
    for result in file_results:
        for entry in result.entries:
            line = entry.line + offset if entry.line is not None and result.shard.jsonl else entry.line
            if entry.skip is not None:
                skipped.append(replace(entry.skip, line=line))
                continue
            article = entry.article
            if result.shard.jsonl:
                if article.article_id in ids:
                    reason = f"duplicate id {article.article_id!r} (first in {ids[article.article_id]})"
                    skipped.append(Skip(result.shard.path, reason, line))
                    continue
                ids[article.article_id] = f"{result.shard.path}:{line}"
            found.append(article)
            chunks[id(article)] = entry.chunks
        offset += result.lines
    for article in found:
        ids.setdefault(article.article_id, file_results[0].shard.path)
    articles.extend(found)
    return found


def _by_file(results: list[ShardResult]) -> list[list[ShardResult]]:
    groups: list[list[ShardResult]] = []
    for result in results:
        if groups and groups[-1][0].shard.file == result.shard.file:
            groups[-1].append(result)
        else:
            groups.append([result])
    return groups


def _fix_stems(plan: Plan, results: list[ShardResult], rules: ChunkSettings | None) -> list[ShardResult]:
    """Re-read the pages whose stem differs once unreadable pages are known not to claim theirs."""
    stems: dict[str, Path] = {}
    fixed: list[ShardResult] = []
    for result in results:
        shard = result.shard
        if shard.jsonl or result.unreadable is not None:
            fixed.append(result)
            continue
        stem = _unique_stem(Path(shard.path), stems)
        fixed.append(result if stem == shard.stem else read_shard(replace(shard, stem=stem), rules))
    return fixed
