"""Format dispatch for laid-out files: PDF, Word .docx and scanned images -> articles."""

from __future__ import annotations

from pathlib import Path

from ..datamodels import Article, Skip
from .documents import DocumentPage, UnreadableDocumentError, articles_from_pages
from .docx_reader import LEGACY_DOC_HINT
from .layout import page_lines

PDF_SUFFIXES = frozenset({".pdf"})
"""PDF files: the text layer where there is one, OCR for scanned pages (with the OCR extra)."""

WORD_SUFFIXES = frozenset({".docx"})
"""Word documents (Office Open XML)."""

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"})
"""Scanned pages saved as images, read by OCR (with the OCR extra)."""

DOCUMENT_SUFFIXES = PDF_SUFFIXES | WORD_SUFFIXES | IMAGE_SUFFIXES
"""Every suffix read_document handles."""

LEGACY_SUFFIXES = frozenset({".doc", ".wps"})
"""Old binary office formats: reported with the conversion that makes them readable."""


def read_document(path: Path, stem: str, skipped: list[Skip]) -> list[Article]:
    """The articles of one PDF, .docx or image file; pages that cannot be read are reported in `skipped`.

    Raises:
        UnreadableDocumentError: the whole file cannot be read (the message is the reason to report).
    """
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        from .pdf import read_pdf

        return articles_from_pages(read_pdf(path, skipped), stem, str(path))
    if suffix in WORD_SUFFIXES:
        from .docx_reader import read_docx

        return articles_from_pages(read_docx(path), stem, str(path))
    if suffix in IMAGE_SUFFIXES:
        return articles_from_pages([_read_image(path)], stem, str(path))
    raise UnreadableDocumentError(f"not a document type: {suffix!r}")


def legacy_reason(suffix: str) -> str | None:
    """Why a legacy office file is skipped, with the conversion hint; None for other suffixes."""
    return LEGACY_DOC_HINT if suffix.lower() in LEGACY_SUFFIXES else None


def _read_image(path: Path) -> DocumentPage:
    from .ocr import ImageTooLargeError, OCRUnavailableError, ocr_image_file

    try:
        segments, height = ocr_image_file(path)
    except (OCRUnavailableError, ImageTooLargeError) as exc:
        raise UnreadableDocumentError(f"scanned image skipped: {exc}") from exc
    except OSError as exc:
        raise UnreadableDocumentError(f"not a readable image ({exc})") from exc
    return DocumentPage(None, tuple(page_lines(segments, height, set())))
