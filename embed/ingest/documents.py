"""Laid-out documents (PDF, Word, scans) -> articles: headline lines open sections, text rules do the rest."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from ..datamodels import Article
from ..errors import PolicyQAError
from ..text.clean import clean_text
from .articles import split_articles
from .layout import PageLine


class UnreadableDocumentError(PolicyQAError):
    """A whole file that cannot be read (encrypted, corrupt, wrong type); the message says why."""


@dataclass(frozen=True, slots=True)
class DocumentPage:
    """One page's lines in reading order; `number` is 1-based for paged formats (PDF), else None."""

    number: int | None
    lines: tuple[PageLine, ...]


@dataclass
class _Section:
    """A headline and the body lines after it, up to the next headline (possibly pages later)."""

    page: int | None
    title: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)


def articles_from_pages(pages: Iterable[DocumentPage], stem: str, source: str) -> list[Article]:
    """Articles of a document, numbered `<stem>#1`, … in reading order, each with the page it starts on.

    Where the layout marks headlines (bigger type, Word heading styles), each headline opens a section;
    a section is then cleaned and split by the same rules as a text page (so two 本报讯 stories under one
    headline still come apart), and its first article is titled by the layout's headline. A section
    runs on across page breaks: a notice set over three pages stays one article.
    """
    articles: list[Article] = []
    current = _Section(page=None)
    for page in pages:
        for line in page.lines:
            if line.headline:
                if current.body:
                    articles.extend(_section_articles(current, stem, source))
                    current = _Section(page=page.number)
                elif not current.title:
                    current.page = page.number
                current.title.append(line.text)
            else:
                if current.page is None:
                    current.page = page.number
                current.body.append(line.text)
    articles.extend(_section_articles(current, stem, source))
    return [replace(a, article_id=f"{stem}#{n}") for n, a in enumerate(articles, 1)]


def _section_articles(section: _Section, stem: str, source: str) -> list[Article]:
    if not section.body:
        return []
    found = split_articles("\n".join(section.title + section.body), stem, source)
    if found and section.title:
        found[0] = _titled(found[0], section.title)
    return [replace(a, page=section.page) for a in found]


def _titled(article: Article, title_lines: list[str]) -> Article:
    """The article under the layout's headline, which wins over a title guessed from the text.

    Cleaning may have glued a one-line headline to the first paragraph (nothing in plain text says where a
    headline ends); the layout knows, so the headline comes off the text again.
    """
    headline = " ".join(line for line in clean_text("\n".join(title_lines)).split("\n") if line)
    squeezed = headline.replace(" ", "")
    if not squeezed or squeezed in article.title.replace(" ", ""):
        return article
    text = article.text
    if text.replace(" ", "").startswith(squeezed):
        cut = _prefix_end(text, squeezed)
        text = text[cut:].lstrip()
    return replace(article, title=headline, text=text or article.text)


def _prefix_end(text: str, squeezed: str) -> int:
    """Where in `text` the space-free prefix `squeezed` ends (spaces inside it skipped)."""
    seen = 0
    for i, char in enumerate(text):
        if seen == len(squeezed):
            return i
        if char != " ":
            seen += 1
    return len(text)
