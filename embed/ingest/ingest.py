"""Reading the corpus: walk paths, decode pages, HTML and JSONL, hand PDF/Word/scans on; report skips."""

from __future__ import annotations

import codecs
import io
import json
import logging
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

from ..datamodels import Article, Corpus, Skip
from ..progress import track
from ..text.clean import INLINE_PHOTO_CREDIT, clean_text, is_photo_news
from .articles import derive_title, drop_reprints, find_byline, find_date, split_articles
from .documents import UnreadableDocumentError
from .readers import DOCUMENT_SUFFIXES, legacy_reason, read_document
from .webpage import extract_webpage

logger = logging.getLogger(__name__)

PAGE_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm"})
"""Files read as newspaper pages (HTML and Markdown are reduced to their text first)."""

JSONL_SUFFIXES = frozenset({".jsonl"})
"""Files of one article per line: {"id", "text", "title"?, "date"?}."""

MAX_PAGE_BYTES = 8 * 1024 * 1024
"""Bigger page files are reported and skipped, unread: a newspaper page is about 20 KB, so 8 MB is a
dump of hundreds of pages, which cleaning would take minutes over (about 1.5 s per MB). Split it into
pages, or make it JSONL, which is streamed line by line with no size limit."""

MAX_RECORD_BYTES = 8 * 1024 * 1024
"""A JSONL line longer than this is reported and skipped without parsing it."""

SNIFF_BYTES = 8192
"""How much of a file is looked at to tell binary from text."""

MAX_BAD_LINE_SHARE = 0.2
"""A file with more undecodable lines than this share (and more than two) is in an unsupported encoding
as a whole; with fewer, only those lines are reported and dropped."""

MAX_KANA_SHARE = 0.05
"""More Japanese kana than this among non-ASCII characters of a GB18030 decode means the guess was wrong."""

MIN_COMMON_HANZI_SHARE = 0.3
"""Share of a GB18030 decode's characters that must be common hanzi (GB2312 level 1: the 3,755 characters
of about 99.7% of modern Chinese text) for the guess to be trusted. Chinese news scores about 1.0 and
traditional Chinese in GBK about 0.55; Shift-JIS read as GB18030 (擔杮岅偺婰帠偱偡) scores 0."""

MIN_JUDGED_CHARS = 10
"""Fewer non-ASCII letters than this are too few to judge an encoding by."""

READ_BLOCK = 1 << 16
"""Bytes read at a time while skipping the rest of an overlong JSONL line."""

UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_MD_MARKUP = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+)|!\[[^\]]*\]\([^)]*\)|\*\*|__|`")
_ISO_YEAR = re.compile(r"^\s*(\d{4})[-/.]\d{1,2}")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


class _Unreadable(Exception):
    """A file that cannot be read as text; the message is the reason reported."""


def iter_files(paths: Sequence[str | Path], skipped: list[Skip] | None = None) -> Iterator[Path]:
    """Yield the readable files under `paths` in a stable order (sorted, folders walked recursively).

    Hidden files and folders (name starting with ".") are passed over. Missing paths, folders that
    cannot be listed and files of unsupported types are appended to `skipped` with the reason.
    """
    skipped = skipped if skipped is not None else []
    for given in paths:
        root = Path(given)
        if root.is_dir():
            yield from _walk(root, skipped)
        elif root.exists() or root.is_symlink():
            if _supported(root, skipped):
                yield root
        else:
            skipped.append(Skip(str(root), "no such file or directory"))


def _walk(root: Path, skipped: list[Skip]) -> Iterator[Path]:
    def report(error: OSError) -> None:
        skipped.append(Skip(str(error.filename or root), f"cannot list folder: {error.strerror or error}"))

    for folder, dirnames, filenames in os.walk(root, onerror=report):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(folder) / name
            if not name.startswith(".") and _supported(path, skipped):
                yield path


def _supported(path: Path, skipped: list[Skip]) -> bool:
    suffix = path.suffix.lower()
    if suffix in PAGE_SUFFIXES or suffix in JSONL_SUFFIXES or suffix in DOCUMENT_SUFFIXES:
        return True
    legacy = legacy_reason(suffix)
    if legacy:
        skipped.append(Skip(str(path), legacy))
        return False
    kinds = ", ".join(sorted(PAGE_SUFFIXES | JSONL_SUFFIXES | DOCUMENT_SUFFIXES))
    skipped.append(Skip(str(path), f"unsupported file type {suffix or '(none)'!r}; expected one of {kinds}"))
    return False


def read_corpus(paths: Sequence[str | Path]) -> Corpus:
    """Read, clean and split every file under `paths` into articles; report what was skipped and why.

    Reprints (the same article on one page or across pages) are kept once. Nothing raises for bad
    input: each problem becomes a `Skip` with the file, the line where it applies, and the reason.
    """
    skipped: list[Skip] = []
    articles: list[Article] = []
    ids: dict[str, str] = {}
    stems: dict[str, Path] = {}
    files_read = 0
    for path in track(iter_files(paths, skipped), desc="reading and cleaning", unit="file"):
        try:
            found = _read_file(path, ids, stems, skipped)
        except (_Unreadable, UnreadableDocumentError) as exc:
            skipped.append(Skip(str(path), str(exc)))
            continue
        files_read += 1
        if not found:
            skipped.append(Skip(str(path), "no article text found after cleaning"))
        for article in found:
            ids.setdefault(article.article_id, str(path))
        articles.extend(found)
    kept, duplicates = drop_reprints(relative_sources(articles, paths))
    for skip in skipped:
        logger.warning("skipped %s", skip)
    logger.info(
        "read %d files: %d articles, %d skipped, %d reprints dropped",
        files_read,
        len(kept),
        len(skipped),
        duplicates,
    )
    return Corpus(
        articles=tuple(kept), skipped=tuple(skipped), files_read=files_read, duplicates_dropped=duplicates
    )


def relative_sources(articles: list[Article], paths: Sequence[str | Path]) -> list[Article]:
    """Articles whose `source` is shown relative to what was indexed, never as a server's absolute path."""
    roots = [Path(p) for p in paths]
    return [
        a if (shown := _shown_source(Path(a.source), roots)) == a.source else replace(a, source=shown)
        for a in articles
    ]


def _shown_source(path: Path, roots: list[Path]) -> str:
    """`seeds/a.txt` for a file under a given folder `…/seeds`, `a.jsonl` for a file given itself."""
    for root in roots:
        if path == root:
            return path.name
        if root in path.parents:
            relative = path.relative_to(root)
            return (Path(root.name) / relative).as_posix() if root.name else relative.as_posix()
    return path.name


def _read_file(path: Path, ids: dict[str, str], stems: dict[str, Path], skipped: list[Skip]) -> list[Article]:
    """The articles of one file, by its type."""
    if path.suffix.lower() in JSONL_SUFFIXES:
        return list(_read_jsonl(path, ids, skipped))
    stem = _unique_stem(path, stems)
    try:
        return read_paged_file(path, stem, skipped)
    except (_Unreadable, UnreadableDocumentError):
        del stems[stem]  # an unreadable file leaves its stem free for a later one
        raise


def read_paged_file(path: Path, stem: str, skipped: list[Skip]) -> list[Article]:
    """The articles of one non-JSONL file (a page, a PDF/Word/image document, a saved web page).

    Articles are numbered `<stem>#<n>`. Raises `_Unreadable` or `UnreadableDocumentError` when the whole
    file cannot be read (the message is the reason to report).
    """
    suffix = path.suffix.lower()
    if suffix in DOCUMENT_SUFFIXES:
        _open_regular(path)[0].close()  # a FIFO or a device named .pdf would hang or flood the reader
        return read_document(path, stem, skipped)
    if suffix in {".html", ".htm"}:
        html = decode_bytes(_read_bytes(path), str(path), skipped)
        page = extract_webpage(html)
        if page is None:
            return split_articles(html_to_text(html), stem, str(path))
        # A saved web page is one article; its title and date come from the page's metadata.
        article = article_from_record(f"{stem}#1", page.text, str(path), page.title, page.date)
        return [article] if article else []
    return split_articles(read_page(path, skipped), stem, str(path))


def _unique_stem(path: Path, stems: dict[str, Path]) -> str:
    """The file stem, qualified by its folder (and a counter) when another file already used it."""
    candidates = [path.stem, f"{path.parent.name}/{path.stem}"]
    candidates += [f"{path.parent.name}/{path.stem}~{n}" for n in range(2, len(stems) + 3)]
    for stem in candidates:
        if stems.setdefault(stem, path) == path:
            return stem
    raise AssertionError("unreachable: the counter always finds a free stem")


def read_page(path: Path, skipped: list[Skip] | None = None) -> str:
    """The text of a page file: decoded, and reduced to text for HTML and Markdown.

    Raises:
        _Unreadable: the file is empty, binary, too large, unreadable or in an unsupported encoding.
    """
    text = decode_bytes(_read_bytes(path), str(path), skipped)
    suffix = path.suffix.lower()
    if suffix in {".html", ".htm"}:
        return html_to_text(text)
    if suffix in {".md", ".markdown"}:
        return "\n".join(_MD_MARKUP.sub("", _MD_LINK.sub(r"\1", line)) for line in text.split("\n"))
    return text


def _open_regular(path: Path) -> tuple[io.BufferedReader, int]:
    """Open a regular file for reading (and its size); FIFOs, devices and sockets are refused unopened.

    O_NONBLOCK: opening a FIFO would otherwise wait for a writer forever. The type is checked on the
    opened descriptor, so a file swapped for a FIFO or a /dev/zero link after a check cannot slip through.
    """
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise _Unreadable("not a regular file (a FIFO, device or socket); only files are read")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise _Unreadable(f"cannot read file: {exc.strerror or exc}") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise _Unreadable("not a regular file (a FIFO, device or socket); only files are read")
    os.set_blocking(fd, True)
    return open(fd, "rb"), info.st_size  # noqa: SIM115 - the caller closes it


def _read_bytes(path: Path) -> bytes:
    handle, size = _open_regular(path)
    too_large = _Unreadable(
        f"too large for a page: {size / 2**20:.1f} MiB (limit {MAX_PAGE_BYTES / 2**20:.0f} MiB); "
        "split it into pages or convert it to JSONL"
    )
    with handle:
        if size > MAX_PAGE_BYTES:
            raise too_large
        try:
            data = handle.read(MAX_PAGE_BYTES + 1)  # bounded even if the file grows meanwhile
        except OSError as exc:
            raise _Unreadable(f"cannot read file: {exc.strerror or exc}") from exc
    if len(data) > MAX_PAGE_BYTES:
        raise too_large
    if not data.strip():
        raise _Unreadable("empty file")
    return data


def decode_bytes(data: bytes, where: str = "", skipped: list[Skip] | None = None) -> str:
    """Decode UTF-8 (with or without BOM) or GB18030/GBK text; lines that decode in neither are reported.

    Raises:
        _Unreadable: binary data, UTF-16/32, or too many undecodable lines to trust any encoding.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith(UTF16_32_BOMS):
        raise _Unreadable("UTF-16/UTF-32 text is not supported; save it as UTF-8")
    if b"\x00" in data[:SNIFF_BYTES]:
        raise _Unreadable("binary file (contains NUL bytes)")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if len(_CONTROL.findall(text[:SNIFF_BYTES])) > len(text[:SNIFF_BYTES]) * 0.1:
            raise _Unreadable("binary file (mostly control characters)")
        if encoding == "gb18030" and _misdecoded(text):
            raise _Unreadable(
                "unknown encoding: decodes as GB18030 but is not plausibly Chinese (Big5 or Shift-JIS?); "
                "save it as UTF-8"
            )
        return text
    return _decode_by_line(data, where, skipped if skipped is not None else [])


def _misdecoded(text: str) -> bool:
    """Big5 and Shift-JIS bytes also decode as GB18030: into Japanese kana, or into rare hanzi.

    Big5 gives kana that Chinese text lacks; Shift-JIS gives hanzi (擔杮岅偺) far outside the common ones.
    """
    sample = text[: 16 * SNIFF_BYTES]
    kana = len(_KANA.findall(sample))
    letters = [char for char in sample if not char.isascii() and char.isalpha()]
    if kana >= 5 and kana > MAX_KANA_SHARE * sum(1 for char in sample if not char.isascii()):
        return True
    return len(letters) >= MIN_JUDGED_CHARS and _common_hanzi_share(letters) < MIN_COMMON_HANZI_SHARE


def _common_hanzi_share(letters: list[str]) -> float:
    common = 0
    for char in letters:
        try:
            encoded = char.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += 0xB0 <= encoded[0] <= 0xD7  # GB2312 rows 16-55: level 1 hanzi
    return common / len(letters)


def _decode_by_line(data: bytes, where: str, skipped: list[Skip]) -> str:
    """Keep the lines that decode in the encoding most lines agree on; report the others."""
    lines = data.split(b"\n")
    best: tuple[list[str], list[int]] | None = None
    for encoding in ("utf-8", "gb18030"):
        good, bad = [], []
        for number, raw in enumerate(lines, 1):
            try:
                good.append(raw.decode(encoding))
            except UnicodeDecodeError:
                bad.append(number)
        if best is None or len(bad) < len(best[1]):
            best = (good, bad)
            best_encoding = encoding
    assert best is not None
    good, bad = best
    nonblank = sum(1 for raw in lines if raw.strip())
    if len(bad) >= nonblank or len(bad) > max(2, MAX_BAD_LINE_SHARE * nonblank):
        raise _Unreadable(
            f"unknown encoding: not UTF-8 or GB18030 ({len(bad)} of {nonblank} lines undecodable)"
        )
    for number in bad:
        skipped.append(Skip(where, f"undecodable bytes (file is {best_encoding}); line dropped", number))
    return "\n".join(good)


class _TextExtractor(HTMLParser):
    """Collects visible text; block elements start new lines, scripts and styles are dropped."""

    BLOCKS = frozenset(
        "p div br li ul ol h1 h2 h3 h4 h5 h6 tr td th table section article header footer title "
        "blockquote pre hr figcaption dd dt".split()
    )
    HIDDEN = frozenset({"script", "style", "noscript", "template", "head"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML document, one block element per line (tags stripped, entities decoded)."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def _read_jsonl(path: Path, ids: dict[str, str], skipped: list[Skip]) -> Iterator[Article]:
    """Articles of a JSONL file, streamed line by line; each bad line is reported and skipped."""
    for number, raw in jsonl_lines(path):
        result = jsonl_record(raw, path)
        if result is None:
            continue
        if isinstance(result, str):
            skipped.append(Skip(str(path), result, number))
        elif result.article_id in ids:
            reason = f"duplicate id {result.article_id!r} (first in {ids[result.article_id]})"
            skipped.append(Skip(str(path), reason, number))
        else:
            ids[result.article_id] = f"{path}:{number}"
            yield result


def jsonl_record(raw: bytes, path: Path) -> Article | str | None:
    """One raw JSONL line as an article, the reason it is not one, or None for a blank line."""
    if not raw.strip():
        return None
    if len(raw) > MAX_RECORD_BYTES:
        return f"line too long: over {MAX_RECORD_BYTES >> 20} MiB"
    return _jsonl_article(raw, path)


def jsonl_lines(path: Path, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes]]:
    """(line number within the range, raw line) of a JSONL file's lines that start in [start, end).

    Only a regular file is opened, and every line is bounded (`_bounded_lines`); a BOM on the file's first
    line is dropped. Raises `_Unreadable` for a file that cannot be read or is empty.
    """
    handle, size = _open_regular(path)
    with handle:
        if size == 0:
            raise _Unreadable("empty file")
        handle.seek(start)
        for number, raw in enumerate(_bounded_lines(handle), 1):
            if start == 0 and number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            yield number, raw
            if end is not None and handle.tell() >= end:
                break


def _bounded_lines(handle: io.BufferedReader) -> Iterator[bytes]:
    """The file's lines, none kept longer than MAX_RECORD_BYTES + 1 bytes.

    The rest of an overlong line is read past in blocks, never held: one line without a newline can
    otherwise be as large as the disk.
    """
    while line := handle.readline(MAX_RECORD_BYTES + 1):
        if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            while (block := handle.readline(READ_BLOCK)) and not block.endswith(b"\n"):
                pass
        yield line


def _jsonl_article(raw: bytes, path: Path) -> Article | str:
    """One JSONL line as an article, or the reason it is not one."""
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return "undecodable bytes (JSONL must be UTF-8)"
    except json.JSONDecodeError as exc:
        return f"malformed JSON: {exc.msg} (column {exc.colno})"
    if not isinstance(record, dict):
        return 'expected a JSON object with "id" and "text"'
    article_id, text = record.get("id"), record.get("text")
    if isinstance(article_id, int) and not isinstance(article_id, bool):
        article_id = str(article_id)
    if not isinstance(article_id, str) or not article_id.strip():
        return 'missing or empty "id" (a string)'
    if not isinstance(text, str):
        return 'missing "text" (a string)'
    title, date = record.get("title"), record.get("date")
    if title is not None and not isinstance(title, str) or date is not None and not isinstance(date, str):
        return '"title" and "date" must be strings when given'
    for name, value in (("id", article_id), ("text", text), ("title", title), ("date", date)):
        if value and _SURROGATE.search(value):
            # JSON allows "\ud800" escapes that are no character at all; such a string cannot be
            # written as UTF-8 anywhere downstream (index files, outputs, the model's tokenizer).
            return f'"{name}" holds a lone surrogate escape (\\ud800-\\udfff), which is not text'
    return (
        article_from_record(article_id.strip(), text, str(path), title, date) or 'empty "text" after cleaning'
    )


def article_from_record(
    article_id: str, text: str, source: str, title: str | None = None, date: str | None = None
) -> Article | None:
    """An article from an already separated text (a JSONL record); None when no text is left."""
    # A record is one article: photo news inside it stays its text, less the photographer's credit.
    paragraphs = [
        " ".join(INLINE_PHOTO_CREDIT.sub(" ", p).split()) if is_photo_news(p) else p
        for p in clean_text(text).split("\n")
    ]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return None
    title = (title or "").strip() or derive_title(paragraphs)
    found_date, year, basis = find_date([date] if date else paragraphs[:2], title)
    iso_year = _ISO_YEAR.match(date or "")
    if iso_year and year is None:
        year, basis = int(iso_year.group(1)), "stated"
    return Article(
        article_id=article_id,
        title=title,
        text="\n".join(paragraphs),
        source=source,
        date=date.strip() if date else found_date,
        year=year,
        year_basis=basis,
        byline=find_byline(paragraphs[0]),
    )
