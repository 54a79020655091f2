"""Large word tables (jieba's dictionary, IDF tables) stored by first character: a text reads only its own.

A cold `policyqa ask` looks up a few hundred words, but loading jieba's prefix dictionary took about 0.8 s
and 60 MB, its IDF table 0.4 s and 40 MB, and the background BM25 counts 0.3 s. Here each table is written
once into a cache file of marshalled dicts, one per first character, and read back one character at a
time through a memory map, so a question pays only for the characters it contains. The values are the
ones the full table holds, so lookups give exactly what the full table gives.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import mmap
import os
import struct
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

FORMAT = 1
"""Version of the cache file layout; part of the cache file's name, so a new layout never reads old files."""

_HEADER = struct.Struct("<Q")
"""The file starts with the byte length of the marshalled header {meta, size, char -> (offset, length)};
the shards follow it, offsets counted from the end of the header."""


class Lexicon(Mapping[str, Any]):
    """A read-only word -> value table whose words are grouped by their first character.

    `shard(ch)` is the dict of words starting with `ch`; Mapping lookups read that shard on first use and
    keep it. `meta` holds figures about the whole table (jieba's frequency total, a median) so that no
    caller needs to read every shard for them.
    """

    def __init__(self, meta: dict[str, Any], shards: dict[str, dict[str, Any]], size: int) -> None:
        self.meta = meta
        self._shards = shards
        self._size = size
        self._spans: dict[str, tuple[int, int]] = {}
        self._buffer: mmap.mmap | None = None
        self._base = 0

    @classmethod
    def from_table(cls, table: Mapping[str, Any], meta: dict[str, Any] | None = None) -> Lexicon:
        """A lexicon over a table already in memory."""
        return cls(dict(meta or {}), _group(table), len(table))

    @classmethod
    def open(cls, path: Path) -> Lexicon:
        """Map a file written by `write`; only its header is read now."""
        with open(path, "rb") as f:
            buffer = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        (length,) = _HEADER.unpack_from(buffer, 0)
        header = marshal.loads(buffer[_HEADER.size : _HEADER.size + length])
        lexicon = cls(header["meta"], {}, header["size"])
        lexicon._spans, lexicon._buffer = header["spans"], buffer
        lexicon._base = _HEADER.size + length  # spans count from the end of the header
        return lexicon

    def write(self, path: Path) -> None:
        """Write the table to `path` atomically (a temp file renamed into place)."""
        shards = {ch: self.shard(ch) for ch in self.chars()}
        blobs, spans, offset = [], {}, 0
        for ch, shard in shards.items():
            blob = marshal.dumps(shard)
            spans[ch] = (offset, len(blob))
            blobs.append(blob)
            offset += len(blob)
        header = marshal.dumps({"meta": self.meta, "size": self._size, "spans": spans})
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_HEADER.pack(len(header)))
                f.write(header)
                for blob in blobs:
                    f.write(blob)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def chars(self) -> list[str]:
        """Every first character the table has words for."""
        return list(self._spans or self._shards)

    def shard(self, ch: str, keep: bool = True) -> dict[str, Any]:
        """The words starting with `ch` (empty when there are none); `keep=False` reads without caching.

        The returned dict is shared with the lexicon when kept: copy it before changing it.
        """
        found = self._shards.get(ch)
        if found is not None:
            return found
        span = self._spans.get(ch)
        if span is None or self._buffer is None:
            return {}
        start = self._base + span[0]
        shard = marshal.loads(self._buffer[start : start + span[1]])
        if keep:
            self._shards[ch] = shard
        return shard

    def __getitem__(self, word: str) -> Any:
        if not word:
            raise KeyError(word)
        return self.shard(word[0])[word]

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and bool(word) and word in self.shard(word[0])

    def get(self, word: str, default: Any = None) -> Any:
        """The value of `word`, or `default`."""
        return self.shard(word[0]).get(word, default) if word else default

    def __iter__(self) -> Iterator[str]:
        for ch in self.chars():
            yield from self.shard(ch)

    def __len__(self) -> int:
        return self._size


def _group(table: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    shards: dict[str, dict[str, Any]] = {}
    for word, value in table.items():
        if word:
            shards.setdefault(word[0], {})[word] = value
    return shards


def cached_lexicon(
    source: Path, name: str, read: Callable[[], tuple[Mapping[str, Any], dict[str, Any]]]
) -> Lexicon:
    """The lexicon of `source` from its cache file, made with `read()` (table, meta) when there is none.

    The cache lives in the temp folder (as jieba's own cache does), named after this user, the source
    file's path, size and mtime and FORMAT, so a changed source or layout gets a new file. A cache that
    cannot be written (read-only temp folder) only costs speed: the table is served from memory.
    """
    path = _cache_path(source, name)
    if path is not None and path.is_file():
        try:
            if path.stat().st_uid == os.getuid():  # never trust a file another user could have planted
                return Lexicon.open(path)
        except (OSError, ValueError, EOFError, TypeError, KeyError, struct.error) as exc:
            logger.warning("ignoring unreadable word cache %s: %s", path, exc)
    table, meta = read()
    lexicon = Lexicon.from_table(table, meta)
    if path is not None:
        try:
            lexicon.write(path)
        except OSError as exc:
            logger.info("cannot write word cache %s (%s); the table stays in memory", path, exc)
    return lexicon


def _cache_path(source: Path, name: str) -> Path | None:
    try:
        stat = source.stat()
    except OSError:
        return None
    key = f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{FORMAT}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"policyqa-{os.getuid()}-{name}-{digest}.lexicon"
