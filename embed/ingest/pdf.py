"""PDF pages -> lines in reading order: the text layer via pypdfium2 (pypdf as a fallback), OCR for scans.

Pages are read one at a time and closed, so a 500-page file costs one page of memory; MAX_PDF_PAGES and
MAX_PAGE_GLYPHS bound the time a hostile or huge file can take.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..datamodels import Skip
from .documents import DocumentPage, UnreadableDocumentError
from .layout import Glyph, PageLine, Segment, page_lines, segments_from_glyphs
from .ocr import INSTALL_HINT, OCRUnavailableError, ocr_scale, ocr_segments

logger = logging.getLogger(__name__)

MAX_PDF_PAGES = 1000
"""Pages read from one file; the rest are reported. A newspaper issue is 8-32 pages, a yearbook a few
hundred; past 1000 pages the file is an archive that is better split (about 7-40 ms a text page)."""

MAX_PAGE_GLYPHS = 60_000
"""A page with more characters than this is reported, not laid out: a dense broadsheet has about 15,000;
more is a generated or hostile file whose layout would take seconds."""

MAX_OCR_PAGES = 100
"""Scanned pages read by OCR from one file; the rest are reported. OCR takes about 10 s a page on two
cores, so this bounds one file to about a quarter of an hour; split a longer scanned book."""

MAX_PAGE_SEGMENTS = 5000
"""A page whose text falls into more separate pieces than this (a broadsheet has about 1,500 line pieces)
is reported: ordering pieces costs more the more there are, and such a page is a chart or a hostile file."""

UNMAPPED_SHARE = 0.5
"""A page whose text layer is more than this share private-use codes is read as a scan (by OCR)."""

MIN_TEXT_GLYPHS = 8
"""A page with fewer text-layer characters than this is treated as scanned (a folio alone is not text)."""


def read_pdf(path: Path, skipped: list[Skip]) -> Iterator[DocumentPage]:
    """The pages of a PDF, streamed; unreadable pages are reported in `skipped` and passed over.

    Raises:
        UnreadableDocumentError: the file is encrypted, corrupt or not a PDF (before any page is yielded).
    """
    try:
        import pypdfium2  # noqa: F401 - only probing which backend is installed
    except ImportError:
        yield from _pypdf_pages(path, skipped)
        return
    yield from _pdfium_pages(path, skipped)


@dataclass
class _Run:
    """What reading one file carries from page to page."""

    path: Path
    skipped: list[Skip]
    running: set[str] = field(default_factory=set)
    ocr_pages: int = 0

    def skip(self, reason: str, page: int) -> list[PageLine]:
        self.skipped.append(Skip(str(self.path), reason, page=page))
        return []


def _pdfium_pages(path: Path, skipped: list[Skip]) -> Iterator[DocumentPage]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise UnreadableDocumentError(_pdfium_reason(str(exc))) from exc
    except OSError as exc:
        raise UnreadableDocumentError(f"cannot read file: {exc.strerror or exc}") from exc
    run = _Run(path, skipped)
    try:
        count = len(document)
        if count > MAX_PDF_PAGES:
            skipped.append(Skip(str(path), f"only the first {MAX_PDF_PAGES} of {count} pages were read"))
        for number in range(1, min(count, MAX_PDF_PAGES) + 1):
            try:
                page = document[number - 1]
                try:
                    lines = _pdfium_page_lines(page, run, number)
                finally:
                    page.close()
            except pdfium.PdfiumError as exc:
                run.skip(f"damaged page: {exc}", number)
                continue
            if lines:
                yield DocumentPage(number, tuple(lines))
    finally:
        document.close()


def _pdfium_page_lines(page: Any, run: _Run, number: int) -> list[PageLine]:
    import pypdfium2.raw as raw

    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        if count > MAX_PAGE_GLYPHS:
            return run.skip(f"too much text on one page: {count} characters", number)
        glyphs = []
        for i in range(count):
            if raw.FPDFText_IsGenerated(textpage, i):
                continue  # pdfium's own line breaks, not ink
            code = raw.FPDFText_GetUnicode(textpage, i)
            if not code or 0xD800 <= code <= 0xDFFF:
                continue
            x0, y0, x1, y1 = textpage.get_charbox(i, loose=True)
            glyphs.append(Glyph(chr(code), x0, y0, x1, y1))
    finally:
        textpage.close()
    if _unmapped(glyphs):
        # Fonts without a Unicode map give private-use codes: the text layer is there but unreadable.
        return _ocr_page(page, width, height, run, number, why="text layer without a Unicode map")
    if sum(1 for g in glyphs if not g.char.isspace()) >= MIN_TEXT_GLYPHS:
        segments = segments_from_glyphs(glyphs)
        if len(segments) > MAX_PAGE_SEGMENTS:
            return run.skip(f"text too scattered to lay out: {len(segments)} separate pieces", number)
        return page_lines(segments, height, run.running)
    if not _has_images(page):
        return []  # a blank page (or one with a folio only): nothing to read, nothing to report
    return _ocr_page(page, width, height, run, number)


def _unmapped(glyphs: list[Glyph]) -> bool:
    """Whether most characters are private-use or replacement codes (a font with no ToUnicode map)."""
    ink = [g.char for g in glyphs if not g.char.isspace()]
    bad = sum(1 for c in ink if "\ue000" <= c <= "\uf8ff" or c == "\ufffd" or c < " ")
    return len(ink) >= MIN_TEXT_GLYPHS and bad > UNMAPPED_SHARE * len(ink)


def _has_images(page: Any) -> bool:
    import pypdfium2.raw as raw

    return any(True for _ in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=2))


def _ocr_page(
    page: Any, width: float, height: float, run: _Run, number: int, why: str = "no text layer"
) -> list[PageLine]:
    """A scanned page read by OCR; reported when the OCR extra is missing or the file's OCR budget spent."""
    if run.ocr_pages >= MAX_OCR_PAGES:
        return run.skip(f"scanned page not read: OCR stops after {MAX_OCR_PAGES} pages of one file", number)
    scale = ocr_scale(width, height)
    try:
        bitmap = page.render(scale=scale)
        segments = ocr_segments(bitmap.to_numpy(), bitmap.height)
    except OCRUnavailableError:
        return run.skip(f"scanned page ({why}) skipped: {INSTALL_HINT}", number)
    run.ocr_pages += 1
    # OCR boxes are in pixels; back to points so page bands and gaps mean the same as for text pages.
    segments = [Segment(s.text, s.x0 / scale, s.y0 / scale, s.x1 / scale, s.y1 / scale) for s in segments]
    if not segments:
        return run.skip("scanned page: OCR found no text", number)
    return page_lines(segments, height, run.running)


def _pdfium_reason(message: str) -> str:
    """The load error of pdfium in words a user acts on."""
    if "password" in message.lower():
        return "encrypted PDF (password protected); save an unprotected copy to index it"
    if "format" in message.lower() or "file" in message.lower():
        return f"corrupt or truncated PDF ({message})"
    return f"cannot open PDF ({message})"


def _pypdf_pages(path: Path, skipped: list[Skip]) -> Iterator[DocumentPage]:
    """The fallback when pypdfium2 is absent: pypdf's text runs with their positions (no OCR)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise UnreadableDocumentError("encrypted PDF (password protected); save an unprotected copy")
        count = len(reader.pages)
    except (PdfReadError, OSError, ValueError) as exc:
        raise UnreadableDocumentError(f"corrupt or truncated PDF ({exc})") from exc
    running: set[str] = set()
    for number in range(1, min(count, MAX_PDF_PAGES) + 1):
        try:
            page = reader.pages[number - 1]
            segments = _pypdf_segments(page)
        except (PdfReadError, ValueError, KeyError, TypeError) as exc:
            skipped.append(Skip(str(path), f"damaged page: {exc}", page=number))
            continue
        if sum(len(s.text) for s in segments) < MIN_TEXT_GLYPHS:
            if page.images:
                skipped.append(
                    Skip(str(path), f"scanned page (no text layer) skipped: {INSTALL_HINT}", page=number)
                )
            continue
        lines = page_lines(segments, float(page.mediabox.height), running)
        if lines:
            yield DocumentPage(number, tuple(lines))


def _pypdf_segments(page: Any) -> list[Segment]:
    """Text runs as segments; pypdf gives each run's origin and font size, so its width is estimated."""
    runs: list[Glyph] = []

    def visit(text: str, cm: list[float], tm: list[float], font_dict: Any, font_size: float) -> None:
        size = abs(tm[3] * cm[3]) * font_size if font_size else 0
        x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
        for char in text.replace("\n", ""):
            # CJK glyphs are one em wide, Latin about half: close enough to find rows and gutters.
            width = size / 2 if char.isascii() else size
            runs.append(Glyph(char, x, y, x + width, y + size))
            x += width

    page.extract_text(visitor_text=visit)
    return segments_from_glyphs(runs)
