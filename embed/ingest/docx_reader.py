"""Word .docx -> lines: paragraphs in order, tables as sentences, heading styles as headlines.

Named docx_reader, not docx: a module called docx would shadow python-docx itself.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .documents import DocumentPage, UnreadableDocumentError
from .layout import HEADLINE_RATIO, PageLine

MAX_DOCX_BYTES = 64 * 1024 * 1024
"""Uncompressed size of all parts of a .docx together. A 300-page report with images is about 20 MB;
past this it is a zip bomb (kilobytes that inflate to gigabytes) or not a document to index."""

MAX_COMPRESSION_RATIO = 200
"""A part inflating more than this many times over (and past 1 MB) is a zip bomb; XML inflates 5-20x."""

LEGACY_DOC_HINT = (
    "legacy Word .doc is not supported; save it as .docx "
    "(Word: Save As .docx, or `libreoffice --headless --convert-to docx FILE`)"
)
"""What a skipped .doc says: the conversion that makes it readable."""

_LEVEL = re.compile(r"^(?:heading|标题)\s*(\d)$|^(title|标题)$|^(subtitle|副标题)$", re.IGNORECASE)


def read_docx(path: Path) -> Iterator[DocumentPage]:
    """The document as one page of lines (Word has no fixed pages): paragraphs and tables in order.

    Raises:
        UnreadableDocumentError: not a .docx (corrupt zip, no document part) or a zip bomb.
    """
    _check_zip(path)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise UnreadableDocumentError(f"corrupt .docx ({exc})") from exc
    blocks: list[tuple[str, float | None]] = []
    sizes: list[float | None] = []
    for block in document.iter_inner_content():
        if hasattr(block, "rows"):
            rows = table_rows(block)
            blocks.extend((row, None) for row in rows)
            sizes.extend(None for _ in rows)
        elif block.text.strip():
            blocks.append((block.text.strip(), _heading_level(block)))
            sizes.append(_type_size(block))
    if all(level is None for _, level in blocks):
        blocks = _levels_by_size(blocks, sizes)
    yield DocumentPage(None, tuple(_headlines(blocks)))


def _type_size(paragraph: Any) -> float | None:
    """The largest type size set on the paragraph's runs or its style, in points; None when inherited."""
    sizes = [run.font.size.pt for run in paragraph.runs if run.font.size is not None and run.text.strip()]
    if not sizes and paragraph.style is not None and paragraph.style.font.size is not None:
        sizes = [paragraph.style.font.size.pt]
    return max(sizes) if sizes else None


def _levels_by_size(
    blocks: list[tuple[str, float | None]], sizes: list[float | None]
) -> list[tuple[str, float | None]]:
    """Headlines by type size, for documents set by hand (二号小标宋 titles) without heading styles."""
    weighted = sorted(size for (text, _), size in zip(blocks, sizes, strict=True) if size for _ in text)
    if not weighted:
        return blocks
    body = weighted[len(weighted) // 2]
    return [
        (text, 0.0 if size is not None and size >= HEADLINE_RATIO * body else None)
        for (text, _), size in zip(blocks, sizes, strict=True)
    ]


def _headlines(blocks: list[tuple[str, float | None]]) -> list[PageLine]:
    """Only the top heading level used opens articles: 一、总体要求 under a Heading 1 title is a subhead.

    A subtitle right after a headline belongs to it; elsewhere it is body text like a lower heading.
    """
    top = min((level for _, level in blocks if level is not None and level >= 0), default=None)
    lines: list[PageLine] = []
    for text, level in blocks:
        after_headline = bool(lines) and lines[-1].headline
        headline = level is not None and (level == top or level < 0 and after_headline)
        lines.append(PageLine(text, headline=headline))
    return lines


def _heading_level(paragraph: Any) -> float | None:
    """0 for Title, n for Heading n, -1 for Subtitle; None for body paragraphs."""
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    match = _LEVEL.match(name.strip())
    if match is None:
        return None
    if match.group(1):
        return float(match.group(1))
    return 0.0 if match.group(2) else -1.0


def table_rows(table: Any) -> list[str]:
    """Each body row as one sentence naming its columns (项目：沁河大桥，投资：3.5亿元。).

    A row read as bare cells (沁河大桥 3.5亿元) loses what each figure is; with the header row's names
    beside them, a question about one figure finds the row, and the answer quotes a whole sentence.
    """
    rows = [[" ".join(cell.text.split()) for cell in row.cells] for row in table.rows]
    rows = [_unmerged(row) for row in rows if any(row)]
    if len(rows) < 2:
        return [_sentence("，".join(c for c in row if c)) for row in rows]
    header, body = rows[0], rows[1:]
    out = []
    for row in body:
        pairs = [f"{h}：{c}" if h and h != c else c for h, c in zip(header, row, strict=False) if c]
        # Commas, not semicolons: a semicolon ends a sentence for the splitter, and the row must stay one.
        out.append(_sentence("，".join(pairs)))
    return out


def _unmerged(row: list[str]) -> list[str]:
    # A merged cell repeats in every column it spans: keep it once.
    return [c if k == 0 or c != row[k - 1] else "" for k, c in enumerate(row)]


def _sentence(text: str) -> str:
    return text if not text or text[-1] in "。！？；" else text + "。"


def _check_zip(path: Path) -> None:
    """Refuse a .docx that is not a zip, or would inflate past MAX_DOCX_BYTES, before parsing any XML."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise UnreadableDocumentError(f"corrupt .docx: not a zip archive ({exc})") from exc
    except OSError as exc:
        raise UnreadableDocumentError(f"cannot read file: {exc.strerror or exc}") from exc
    total = sum(info.file_size for info in infos)
    if total > MAX_DOCX_BYTES:
        raise UnreadableDocumentError(
            f"zip bomb or oversized .docx: inflates to {total / 2**20:.0f} MiB "
            f"(limit {MAX_DOCX_BYTES / 2**20:.0f} MiB)"
        )
    for info in infos:
        if info.file_size > 2**20 and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise UnreadableDocumentError(
                f"zip bomb: {info.filename} inflates {info.file_size // max(info.compress_size, 1)}x"
            )
