"""Page layout: positioned text (PDF characters or OCR lines) -> blocks in reading order -> page lines.

A newspaper page sets several articles in columns. Reading its characters in the order the file stores
them, or row by row across the page, interleaves the columns (seed page 002's 「在党 况提出问题50余个」).
Here text is first grouped into line segments that never cross a column gutter, then ordered by a
recursive XY-cut (split above a headline first, else at the widest vertical gutter, else at the widest
horizontal gap), so each column is read top to bottom before the next, a headline spanning two columns
comes before both, and stacked stories are read one after the other. Lines are then joined into
paragraphs by what a typesetter does: an indented line opens a paragraph, a short line ends one.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..text.clean import ends_paragraph

GUTTER_EMS = 0.8
"""A gap this many character heights wide inside a row is a column gutter, not a space between words."""

SPACE_EMS = 0.2
"""A gap this wide between two Latin characters is a word space (PDF text often has no space glyphs)."""

OVERPRINT_EMS = 0.3
"""The same character again within this share of an em is fake bold (printed twice, offset), not text."""

ROW_TOLERANCE = 0.35
"""Characters whose bottoms differ by less than this share of their height sit on one row."""

MIN_HGAP_EMS = 0.9
"""A horizontal cut needs a gap this many body-line heights tall: wider than the leading between lines,
so two columns whose lines align are never cut into rows read across the gutter."""

HEADLINE_RATIO = 1.3
"""A line this much taller than the page's body text is a headline (or kicker/subtitle)."""

INDENT_EMS = 1.0
"""A line starting this far right of its paragraph's left edge opens a new paragraph (两字缩进)."""

SHORT_LINE_EMS = 1.5
"""A line ending this far left of its column's right edge ends its paragraph."""

MARGIN_SHARE = 0.07
"""Top and bottom bands of the page (this share of its height) where running heads and folios sit."""

HEAD_SHARE = 0.15
"""A paper's dated running head may sit this far into the page (below a wide top margin)."""

HEAD_MAX_CHARS = 40
"""A running head is a short line; a longer one matching RUNNING_HEAD is body text."""

PAGE_NUMBER = re.compile(
    r"^[-—–·\s]*(?:第\s*\d+\s*[页版]|\d+\s*/\s*\d+|[A-Z]?\d{1,4}|[ivxlcdm]{1,6}|page\s*\d+)[-—–·\s]*$",
    re.IGNORECASE,
)
"""A folio: 3, - 3 -, 第3页, 第3版, 3/12, A03, iv."""

RUNNING_HEAD = re.compile(
    r"(?:日报|晚报|时报|新闻|[^\s]报)\s*.{0,20}(?:\d{4}年\d{1,2}月\d{1,2}日|第\s*\d+\s*版)"
)
"""A running head: the paper's name with the date or the page (焦作日报 2017年8月16日 星期三 第3版)."""

_LATIN = re.compile(r"[A-Za-z0-9]")
_SENTENCE = re.compile(r"[，。；！？（(]|本报讯")


@dataclass(frozen=True, slots=True)
class Glyph:
    """One character and its box in page space (y grows upward, as in PDF)."""

    char: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text on one row that crosses no gutter; `size` is its height (the font size, roughly)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def size(self) -> float:
        """Height of the segment's boxes: stands in for the font size."""
        return self.y1 - self.y0


@dataclass(frozen=True, slots=True)
class PageLine:
    """A paragraph (or headline line) of a page in reading order."""

    text: str
    headline: bool = False


def segments_from_glyphs(glyphs: Iterable[Glyph]) -> list[Segment]:
    """Group characters into row segments, whatever order the file stored them in."""
    ink = sorted((g for g in glyphs if not g.char.isspace() and g.y1 > g.y0), key=lambda g: (-g.y0, g.x0))
    rows: list[list[Glyph]] = []
    for glyph in ink:
        height = glyph.y1 - glyph.y0
        for row in reversed(rows[-4:]):
            anchor = row[0]
            if abs(anchor.y0 - glyph.y0) <= ROW_TOLERANCE * max(height, anchor.y1 - anchor.y0):
                row.append(glyph)
                break
        else:
            rows.append([glyph])
    segments: list[Segment] = []
    for row in rows:
        segments.extend(_split_row(sorted(row, key=lambda g: g.x0)))
    return segments


def _split_row(row: list[Glyph]) -> list[Segment]:
    """Cut one row at gutters and at jumps in size (a headline beside body text)."""
    kept = [row[0]]
    for glyph in row[1:]:
        prev = kept[-1]
        # Fake bold prints each character twice, a hair apart; 谢谢 and 常常 stand a whole em apart.
        if glyph.char != prev.char or abs(glyph.x0 - prev.x0) >= OVERPRINT_EMS * (prev.y1 - prev.y0):
            kept.append(glyph)
    out: list[Segment] = []
    run: list[Glyph] = [kept[0]]
    for prev, glyph in zip(kept, kept[1:], strict=False):
        size = max(prev.y1 - prev.y0, glyph.y1 - glyph.y0)
        ratio = (glyph.y1 - glyph.y0) / (prev.y1 - prev.y0)
        if glyph.x0 - prev.x1 > GUTTER_EMS * size or not 1 / HEADLINE_RATIO < ratio < HEADLINE_RATIO:
            out.append(_segment(run))
            run = []
        run.append(glyph)
    out.append(_segment(run))
    return out


def _segment(run: list[Glyph]) -> Segment:
    parts = [run[0].char]
    for prev, glyph in zip(run, run[1:], strict=False):
        gap = glyph.x0 - prev.x1
        if gap > SPACE_EMS * (prev.y1 - prev.y0) and _LATIN.match(prev.char) and _LATIN.match(glyph.char):
            parts.append(" ")
        parts.append(glyph.char)
    return Segment(
        text="".join(parts),
        x0=min(g.x0 for g in run),
        y0=min(g.y0 for g in run),
        x1=max(g.x1 for g in run),
        y1=max(g.y1 for g in run),
    )


def body_size(segments: Sequence[Segment]) -> float:
    """The height of most of the page's text (weighted by characters): what body lines are set in."""
    sizes = [round(s.size, 1) for s in segments for _ in s.text]
    return statistics.median_low(sizes) if sizes else 0.0


def reading_order(segments: Sequence[Segment], body: float | None = None) -> list[Segment]:
    """Segments in reading order by recursive XY-cut: columns left to right, each top to bottom."""
    body = body if body is not None else body_size(segments)
    return [seg for seg, _ in _ordered(segments, body)]


@dataclass(frozen=True, slots=True)
class _Column:
    """The left and right edges of a column's body text: where lines start and where full lines end."""

    left: float
    right: float


def _column_of(group: Sequence[Segment], body: float) -> _Column:
    text = [s for s in group if s.size < HEADLINE_RATIO * body] or list(group)
    return _Column(min(s.x0 for s in text), max(s.x1 for s in text))


def _ordered(segments: Sequence[Segment], body: float) -> list[tuple[Segment, _Column]]:
    """Segments in reading order, each with the column it was cut out of (the page, where no gutter)."""
    out: list[tuple[Segment, _Column]] = []
    if not segments:
        return out
    stack = [(list(segments), _column_of(segments, body))]
    while stack:
        group, column = stack.pop()
        cut = _cut(group, body)
        if cut is None:
            out.extend((s, column) for s in sorted(group, key=lambda s: (-s.y1, s.x0)))
            continue
        vertical, parts = cut
        # A gutter makes columns with edges of their own; a gap across a column stays in that column.
        stack.extend(reversed([(part, _column_of(part, body) if vertical else column) for part in parts]))
    return out


def _cut(group: list[Segment], body: float) -> tuple[bool, list[list[Segment]]] | None:
    """Split a group of segments in two, in reading order; None when it is one column of lines.

    First at a gap with a headline just below it (a new story starts there, whatever the columns do);
    else at the widest vertical gutter; else at the widest horizontal gap. The first rule matters when
    two stacked stories share a column grid and the lower headline fits one column: the gutter then runs
    the page's whole height, and cutting there first would read both stories' left columns first.

    Returns whether the cut is vertical, and the parts.
    """
    if len(group) < 2:
        return None
    # Top to bottom is decreasing y: rows are cut on the negated axis so the upper part comes first.
    rows = _gaps([(-s.y1, -s.y0) for s in group])
    heads = [(-s.y1, s.size) for s in group if s.size >= HEADLINE_RATIO * body]
    breaks = [(gap, at) for gap, at in rows if _headline_below(heads, at + gap)] if heads else []
    if breaks:
        return False, _split_rows(group, max(breaks)[1])
    columns = _gaps([(s.x0, s.x1) for s in group])
    if columns and max(columns)[0] > GUTTER_EMS * body:
        at = max(columns)[1]
        return True, [[s for s in group if s.x1 <= at], [s for s in group if s.x1 > at]]
    if rows and max(rows)[0] > MIN_HGAP_EMS * body:
        return False, _split_rows(group, max(rows)[1])
    return None


def _split_rows(group: list[Segment], at: float) -> list[list[Segment]]:
    return [[s for s in group if -s.y0 <= at], [s for s in group if -s.y0 > at]]


def _headline_below(heads: list[tuple[float, float]], top: float) -> bool:
    """Whether a headline (negated top, size) sits in the row starting at `top`, just below a gap."""
    return any(top <= head < top + size / 2 for head, size in heads)


def _gaps(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The empty stretches between the union of spans on one axis: (width, position of its start)."""
    spans = sorted(spans)
    found = []
    reach = spans[0][1]
    for start, end in spans[1:]:
        if start > reach:
            found.append((start - reach, reach))
        reach = max(reach, end)
    return found


def page_lines(segments: Sequence[Segment], page_height: float, running: set[str]) -> list[PageLine]:
    """The page's paragraphs and headline lines in reading order, folios and running heads left out.

    Args:
        segments: the page's row segments.
        page_height: the page's height, to find its top and bottom bands.
        running: texts seen in those bands on earlier pages (digits removed); updated here, so a head
            that repeats on every page is dropped from the second page on, whatever it says.
    """
    body = body_size(segments)
    kept = [s for s in segments if not _furniture(s, page_height, running)]
    lines: list[PageLine] = []
    previous: tuple[Segment, _Column] | None = None
    for seg, column in _ordered(kept, body):
        headline = seg.size >= HEADLINE_RATIO * body
        if previous is None or headline != lines[-1].headline:
            joined = False
        elif headline:
            joined = _wraps_headline(previous[0], seg)
        else:
            joined = _goes_on(*previous, seg, column, body)
        if joined:
            lines[-1] = PageLine(lines[-1].text + _joiner(lines[-1].text, seg.text) + seg.text, headline)
        else:
            lines.append(PageLine(seg.text, headline))
        previous = (seg, column)
    return lines


def _wraps_headline(prev: Segment, seg: Segment) -> bool:
    """Whether `seg` is the second line of a headline too long for one: same type, right below.

    A kicker (引题) or subtitle is set in another size, so it stays a line of its own.
    """
    return abs(seg.size - prev.size) < 0.1 * prev.size and 0 <= prev.y0 - seg.y1 < 0.6 * prev.size


def _goes_on(prev: Segment, prev_column: _Column, seg: Segment, column: _Column, body: float) -> bool:
    """Whether `seg` continues the paragraph whose last line is `prev`.

    Only when `prev` runs to its column's right edge (a short line ends a paragraph) and `seg` is set in
    the same size. In the same column `seg` must sit just below and start at the column's left edge (an
    indented line opens a paragraph: 两字缩进). At the top of the next column, a sentence cut off at the
    foot of the last one always goes on; a finished one goes on only into an unindented line.
    """
    em = max(prev.size, body)
    if prev.x1 < prev_column.right - SHORT_LINE_EMS * em or abs(seg.size - prev.size) > 0.25 * em:
        return False
    indented = seg.x0 > column.left + INDENT_EMS * em
    if column == prev_column:
        return 0 <= prev.y0 - seg.y1 < 1.2 * em and not indented
    return seg.y1 > prev.y1 and (not indented or not ends_paragraph(prev.text))


def _joiner(head: str, tail: str) -> str:
    # Chinese lines wrap mid-word with no space; Latin words broken across lines keep one.
    return " " if head[-1:].isascii() and head[-1:].isalnum() and tail[:1].isascii() else ""


def _furniture(seg: Segment, page_height: float, running: set[str]) -> bool:
    """A folio or running head: in the page's top or bottom band (a paper's dated head a little wider)."""
    near_edge = min(seg.y0, page_height - seg.y1)
    if near_edge > HEAD_SHARE * page_height:
        return False
    if near_edge > MARGIN_SHARE * page_height:
        # Below the margin band only a dated head of the paper's own counts: short, and no sentence.
        return (
            len(seg.text) <= HEAD_MAX_CHARS
            and bool(RUNNING_HEAD.search(seg.text))
            and not _SENTENCE.search(seg.text)
        )
    key = re.sub(r"\d+", "#", seg.text.replace(" ", ""))
    furniture = bool(PAGE_NUMBER.match(seg.text) or RUNNING_HEAD.search(seg.text)) or key in running
    running.add(key)
    return furniture
