"""Article splitting: a cleaned page -> articles with title, byline, date and year; reprints kept once."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..datamodels import Article, YearBasis
from ..text.clean import (
    BYLINE,
    CJK,
    INLINE_PHOTO_CREDIT,
    LEAD,
    SUBTITLE,
    NearDuplicates,
    clean_text,
    is_heading_like,
    is_photo_news,
)

MAX_TITLE_LINES = 3
"""Kicker, main title and subtitle: a longer run of short lines before a lead is mostly fragments."""

TITLE_MIN_CHARS = 6
"""Shorter heading-like lines are column fragments (委会副, 主任常绪凯), not headline lines."""

MOVE_MARGIN = 0.2
"""A headline line moves to the article before it only when it matches that article this much better."""

INTERLEAVE_WINDOW = 6
"""How many lines up an untitled article's headline may sit when columns are interleaved."""

DERIVED_TITLE_MAX_CHARS = 40
"""An untitled article is titled by its first clause, cut to this length."""

LEAD_CREDIT = re.compile(r"^(?:【?本报讯】?)\s*[（(]([^（）()]{0,40})[）)]")
"""The credit in a lead: 本报讯（记者郭树勋、付凯明 通讯员张攀）."""

ROLE = re.compile(r"本报|特约|记者|通讯员|实习生|报道$|[□■◇◆]")
"""Role words around the names of a byline."""

NAME = re.compile(rf"^[{CJK}·]{{2,4}}$")
"""A personal name: two to four Han characters."""

DATE = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日")
"""A date as newspapers write it: 8月18日, 2020年3月20日."""

NOT_EVENT_DATE = re.compile(r"(?:明年|去年|前年|截至|截止|到|至|于|前|计划|预计)$")
"""Words just before a date that make it a deadline or plan, not the day of the news."""

YEAR = re.compile(r"(\d{4})年|([〇零一二三四五六七八九]{4})年")
"""A year written in Arabic or Chinese digits (2017年, 二〇一七年)."""

_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_CLAUSE_END = re.compile(r"[，。；：！？,;:!?]")
_REPRINT_MARK = re.compile(r"^[（(]?原标题[：:]\s*")
_BIGRAM_RE = re.compile(r"\s+")
_BARE_DATE = re.compile(r"(?:\d{4}年)?\d{1,2}月\d{1,2}日(?:[上下]午|晚|早)?")
_INNER_MARK = re.compile(r"[，,、；;：:]")
_NAME_AFTER_ROLE = re.compile(rf"(?:记者|通讯员)\s*([{CJK}]{{2,3}})")


@dataclass
class _Draft:
    """An article being assembled from page lines."""

    title: list[str] = field(default_factory=list)
    bylines: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    photo: bool = False


def split_articles(text: str, stem: str, source: str) -> list[Article]:
    """Split one page into its articles, numbered `<stem>#1`, `<stem>#2`, … in page order.

    Args:
        text: the page as read (it is cleaned here with `clean_text`; cleaning twice changes nothing).
        stem: the file stem the ids are built from.
        source: the file path recorded on each article.

    Returns:
        The articles that have body text; a page without any gives an empty list.
    """
    lines = [line for line in clean_text(text).split("\n") if line]
    drafts = _segment(lines)
    _move_misplaced_titles(drafts)
    articles = []
    for draft in drafts:
        if draft.body:
            articles.append(_to_article(draft, f"{stem}#{len(articles) + 1}", source))
    return articles


def _segment(lines: list[str]) -> list[_Draft]:
    """Cut lines into drafts: each lead, byline or subtitle starts an article with its headline lines."""
    drafts: list[_Draft] = [_Draft()]
    current = drafts[0]
    i = 0
    while i < len(lines):
        if is_photo_news(lines[i]):
            # Photo news is its own item; the lines after it still continue the article it interrupts.
            credit = INLINE_PHOTO_CREDIT.search(lines[i])
            assert credit is not None
            text = " ".join((lines[i][: credit.start()] + " " + lines[i][credit.end() :]).split())
            drafts.append(_Draft(bylines=[credit.group().rstrip("摄影 ")], body=[text], photo=True))
            i += 1
            continue
        end = _header_end(lines, i)
        header = lines[i:end]
        starts = (
            end < len(lines)
            and LEAD.match(lines[end])
            or any(BYLINE.match(h) or SUBTITLE.match(h) for h in header)
        )
        if not starts:
            current.body.extend(header or [lines[i]])
            i = max(end, i + 1)
            continue
        leftover, title = _split_title(header)
        current.body.extend(leftover)
        current = _Draft(
            title=[h for h in title if not BYLINE.match(h)], bylines=[h for h in header if BYLINE.match(h)]
        )
        drafts.append(current)
        if end < len(lines) and LEAD.match(lines[end]):
            current.body.append(lines[end])
            end += 1
        i = end
    return drafts


def _header_end(lines: list[str], start: int) -> int:
    """End of the run of headline, subtitle and byline lines starting at `start`."""
    end = start
    while end < len(lines) and (BYLINE.match(lines[end]) or is_heading_like(lines[end])):
        end += 1
    return end


def _split_title(header: list[str]) -> tuple[list[str], list[str]]:
    """The headline lines are the last few long-enough lines of the run; earlier ones are fragments."""
    cut = len(header)
    taken = 0
    while cut > 0 and taken < MAX_TITLE_LINES:
        line = header[cut - 1]
        if not BYLINE.match(line):
            if len(line.replace(" ", "")) < TITLE_MIN_CHARS and not SUBTITLE.match(line):
                break
            taken += 1
        cut -= 1
    return header[:cut], header[cut:]


def _move_misplaced_titles(drafts: list[_Draft]) -> None:
    """Give back headline lines printed after their own article (the page put them before the next one).

    A leading headline line moves to the previous article when it shares clearly more words with that
    article's text than with the next article's text.
    """
    drafts = [d for d in drafts if not d.photo]
    for prev, nxt in zip(drafts, drafts[1:], strict=False):
        if not nxt.title:
            _claim_interleaved_headline(prev, nxt)
        if len(nxt.title) < 2 or not prev.body:
            continue
        prev_grams, next_grams = _bigrams("".join(prev.body)), _bigrams("".join(nxt.body))
        while len(nxt.title) > 1:
            line = _bigrams(nxt.title[0])
            if not line or not _overlap(line, prev_grams) > _overlap(line, next_grams) + MOVE_MARGIN:
                break
            prev.title.append(nxt.title.pop(0))


def _claim_interleaved_headline(prev: _Draft, nxt: _Draft) -> None:
    """An untitled article whose headline sits a few lines up, column fragments in between, starts there.

    The headline is a punctuation-free line near the end of the previous article that matches the
    untitled article better; it and the lines after it move to the untitled article.
    """
    for k in range(max(1, len(prev.body) - INTERLEAVE_WINDOW), len(prev.body)):
        line = prev.body[k]
        if not (_headline_like(line) and not _INNER_MARK.search(line)):
            continue
        grams = _bigrams(line)
        before = _bigrams("".join(prev.body[:k]))
        after = _bigrams("".join(prev.body[k + 1 :] + nxt.body))
        if grams and _overlap(grams, after) > _overlap(grams, before) + MOVE_MARGIN:
            nxt.title = [line]
            nxt.body[:0] = prev.body[k + 1 :]
            del prev.body[k:]
            return


def _bigrams(text: str) -> set[str]:
    text = _BIGRAM_RE.sub("", text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _overlap(part: set[str], whole: set[str]) -> float:
    return len(part & whole) / len(part)


def _to_article(draft: _Draft, article_id: str, source: str) -> Article:
    if not draft.title and len(draft.body) > 1 and _headline_like(draft.body[0]):
        # An untitled piece opening with a headline-shaped line (编者按 …) is titled by that line.
        draft.title.append(draft.body.pop(0))
    title = " ".join(draft.title) or derive_title(draft.body)
    # Interleaved columns can put fragments before the lead; the lead still holds date and credit.
    first = next((k for k, p in enumerate(draft.body) if LEAD.match(p)), 0)
    date, year, basis = find_date(draft.body[first : first + 2], title)
    return Article(
        article_id=article_id,
        title=title,
        text="\n".join(draft.body),
        source=source,
        date=date,
        year=year,
        year_basis=basis,
        byline=find_byline(draft.body[first], draft.bylines),
    )


def _headline_like(line: str) -> bool:
    return is_heading_like(line) and len(line) >= TITLE_MIN_CHARS and not LEAD.match(line)


def derive_title(paragraphs: list[str]) -> str:
    """A title for an untitled article: the first clause of its first real paragraph (lead credit skipped).

    A clause shorter than TITLE_MIN_CHARS (近期) or only a date gives way to its whole sentence,
    cut to length.
    """
    candidates = [p for p in paragraphs if len(p) >= 2 * TITLE_MIN_CHARS] or paragraphs
    paragraph = candidates[0]
    match = LEAD_CREDIT.match(paragraph) or LEAD.match(paragraph)
    rest = (paragraph[match.end() :] if match else paragraph).strip()
    # A reprint opens with the original's headline (原标题：…, a third of the news archive's articles):
    # that headline is the title, not the marker.
    rest = _REPRINT_MARK.sub("", rest) or rest
    clause = _CLAUSE_END.split(rest, maxsplit=1)[0].strip()
    if len(clause) < TITLE_MIN_CHARS or _BARE_DATE.fullmatch(clause):
        clause = re.split(r"[。！？；]", rest, maxsplit=1)[0]
    return clause[:DERIVED_TITLE_MAX_CHARS]


def find_byline(first_paragraph: str, byline_lines: Iterable[str] = ()) -> tuple[str, ...]:
    """Names of reporters and correspondents, from the lead's credit and from byline lines."""
    sources = list(byline_lines)
    match = LEAD_CREDIT.match(first_paragraph)
    if match:
        sources.insert(0, match.group(1))
    names: list[str] = []
    for text in sources:
        found = [p for p in re.split(r"[、，,\s]+", ROLE.sub(" ", text)) if NAME.match(p)]
        # A credit garbled by interleaved columns still names the reporter right after 记者.
        for name in found or _NAME_AFTER_ROLE.findall(text):
            if name not in names:
                names.append(name)
    return tuple(names)


def find_date(paragraphs: list[str], title: str = "") -> tuple[str | None, int | None, YearBasis | None]:
    """The news date as written, and its year with how it is known.

    The date is the first one in the opening paragraphs that is not a plan or deadline (明年5月1日).
    The year is "stated" when the date carries it (2020年3月20日) and "inferred" when the sentence
    holding the date, or the headline, names exactly one year (7月5日，全市2017年第三批重点项目…).
    """
    for paragraph in paragraphs:
        for match in DATE.finditer(paragraph):
            if NOT_EVENT_DATE.search(paragraph[max(0, match.start() - 2) : match.start()]):
                continue
            if match.group(1):
                return match.group(), int(match.group(1)), "stated"
            years = _years(_sentence_around(paragraph, match.start())) or _years(title)
            if len(years) == 1:
                return match.group(), years.pop(), "inferred"
            return match.group(), None, None
    return None, None, None


def _sentence_around(paragraph: str, pos: int) -> str:
    start = max(paragraph.rfind(mark, 0, pos) for mark in "。！？；") + 1
    ends = [e for e in (paragraph.find(mark, pos) for mark in "。！？；") if e >= 0]
    return paragraph[start : min(ends) + 1 if ends else len(paragraph)]


def _years(text: str) -> set[int]:
    found = set()
    for arabic, chinese in YEAR.findall(text):
        year = int(arabic or chinese.translate(_CN_DIGITS))
        if 1900 <= year <= 2100:
            found.add(year)
    return found


def drop_reprints(articles: Iterable[Article]) -> tuple[list[Article], int]:
    """Keep the first of articles whose texts are the same or nearly so (a reprint); count the rest."""
    seen = NearDuplicates()
    kept: list[Article] = []
    dropped = 0
    for article in articles:
        if seen.seen(article.text):
            dropped += 1
        else:
            kept.append(article)
    return kept, dropped
