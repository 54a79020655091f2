"""Saved web pages -> one article: trafilatura keeps the main text, title and date, and drops the rest."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

logger = logging.getLogger(__name__)

MIN_MAIN_TEXT_CHARS = 80
"""Below this much main text, trafilatura falls back to its crude baseline (which breaks lines at inline
tags: 藏书\\n12万\\n册); such a short page or fragment is read by plain tag stripping instead."""

_FULL_PAGE = re.compile(r"<(?:html|body|head)\b", re.IGNORECASE)
_SITE_SUFFIX = re.compile(r"\s*(?:[_|｜]|\s[-—–]\s)\s*[^_|｜]{2,20}$")


@dataclass(frozen=True, slots=True)
class WebPage:
    """The main content of a saved web page."""

    title: str | None
    date: str | None
    text: str


def extract_webpage(html: str) -> WebPage | None:
    """Main text, title and date of a saved news or government page; None for a fragment or tiny page.

    Navigation, related links, comments, footers and ads are left out by trafilatura; 责任编辑 and
    other layout credits are then dropped by the cleaning every page gets.
    """
    if not _FULL_PAGE.search(html[:4096]):
        return None
    try:
        import trafilatura
    except ImportError:
        logger.warning("trafilatura is not installed: web pages are read by plain tag stripping")
        return None
    found = trafilatura.bare_extraction(
        html, with_metadata=True, include_tables=True, include_comments=False, include_images=False
    )
    if found is None or len((found.text or "").strip()) < MIN_MAIN_TEXT_CHARS:
        return None
    title = _SITE_SUFFIX.sub("", found.title).strip() if found.title else None
    text = found.text.strip()
    if title and text.split("\n", 1)[0].strip() == title:
        text = text.split("\n", 1)[1] if "\n" in text else ""
    return WebPage(title=title or None, date=found.date or None, text=text)
