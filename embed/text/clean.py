"""Page cleaning: normalise, drop layout noise, rejoin broken lines, keep repeated text once."""

from __future__ import annotations

import re

from .sentences import split_sentences
from .words import default_tokenizer

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
"""Han characters (CJK unified ideographs, extension A, compatibility)."""

CJK_CONTEXT = CJK + "\u3000-\u303f\uff00-\uffef\u2018-\u201d\u2014\u2026"
"""Han characters plus CJK marks, full-width forms, curly quotes and dashes: Chinese running text."""

TERMINATORS = "。！？!?；;…：:"
"""A line ending in one of these (plus closing quotes) ends its paragraph; a colon introduces a list."""

CONTINUING_END = "，,、“‘《（(—"
"""A line ending in one of these stops mid-sentence, whatever follows."""

OPEN_CLOSE = (("“", "”"), ("《", "》"), ("（", "）"), ("(", ")"), ("‘", "’"), ("「", "」"))
"""Bracket pairs: a line with more openers than closers is unfinished."""

LAYOUT_CREDIT = re.compile(r"^(?:责任编辑|责编|编辑|美编|版式|校对|组版|排版|审校|值班主任|终审)\s*[：:]")
"""Page-production credits (编辑：陈彬, 版式：汪洋, 校对：…组版：…): layout, not content."""

PHOTO_CREDIT = re.compile(rf"^(?:(?:本报)?(?:记者|通讯员|实习生))?\s*(?:[{CJK}·]{{2,4}}\s*){{1,3}}摄(?:影)?$")
"""A whole line crediting a photo: 张双杰 摄, 本报记者 郭树勋 摄."""

INLINE_PHOTO_CREDIT = re.compile(rf"(?:本报)?(?:记者|通讯员)\s*[{CJK}]{{2,4}}\s*摄(?:影)?")
"""A photo credit inside a line: the line is a caption (…截至8月底…18万片。本报记者 王正义 摄)."""

PHOTO_NEWS_MIN_SENTENCES = 2
"""A caption telling this many sentences is photo news (content); shorter captions are layout."""

CAPTION_START = re.compile(r"^(?:图为|上图|下图|左图|右图|图片说明|图：)")
"""How captions open when they say so."""

CAPTION_MAX_CHARS = 80
"""A line before a photo credit is its caption only if it is a short sentence, not a body paragraph."""

PROMOTION = re.compile(
    r"扫码|扫一扫|扫描.{0,8}二维码|长按识别|(?:关注|订阅|下载).{0,16}(?:公众号|微信号|视频号|抖音号|客户端)"
)
"""A call to follow the paper's channels (扫码关注…公众号); naming one (据…微信公众号消息) is not."""

PROMOTION_MAX_CHARS = 80
"""Body text may ask readers to scan a code as part of the news; only short lines that do are promotions."""

LEAD = re.compile(
    rf"^(?:【?本报讯】?|本报[{CJK}]{{0,6}}\d{{1,2}}月\d{{1,2}}日电|新华社[{CJK}]{{0,8}}\d{{1,2}}月\d{{1,2}}日电)"
)
"""The opening of a news article's first paragraph (本报讯（记者…）)."""

BYLINE = re.compile(
    rf"^(?:(?:本报)?(?:记者|通讯员|特约记者|实习生)\s*(?:[{CJK}·]{{2,4}}[\s、]*){{1,4}}(?:报道)?"
    rf"|(?:[{CJK}·]{{2,4}}[\s、]+){{1,3}}本报(?:记者|通讯员)"
    rf"|[□■◇◆]\s*[{CJK}·]{{2,4}})$"
)
"""A byline line of a feature or commentary: 本报记者 郭树勋 付凯明, 本报通讯员 张攀, □ 严实."""

ELECTRIC = "[费力网价量站厂器视话脑动子池梯缆线源路压流商]"
"""What follows 电 when it starts a word (7月1日电费), not the dateline's 电 (filed by wire)."""

DATELINE = re.compile(
    rf"^[ \t\u3000\u00a0]*(?:[^，。！？\n]{{0,24}}?\d{{1,2}}月\d{{1,2}}日(?:电(?!{ELECTRIC})|讯|报道)"
    rf"|[^，。！？\n]{{0,20}}?[报网闻台社端快]讯|[^，。！？\n]{{0,24}}?综合报道"
    rf"|(?=[（(](?:本报)?(?:记者|通讯员|特约记者|实习生)))"
    rf"[ \t\u3000\u00a0]*(?:[（(][^（）()\n]{{0,40}}[）)])?[ \t\u3000\u00a0]*(?=[{CJK}“\d])",
    re.MULTILINE,
)
"""A news dateline opening a paragraph: the outlet, place and day the copy was filed, and its credit
(中新社华盛顿7月28日电 (记者 陈孟统), 河北日报讯（记者赵瑞雪）, 本网讯, 参考消息网8月15日报道), or the
credit alone (（记者冯华妹）). It says where the text comes from, not what happened, and is set apart from
the first sentence in print."""

CRAWL_HEADER = re.compile(r"^[\[\]\s\d/:\-]*[，,]?\s*正文[：:]\s*")
"""What a web crawl put before an article's body: a timestamp and 正文 ("body"), as in `07-21 09:22，正文：`
or `[ 2023/07/20 15:50 ]，正文：`. Furniture; left in, it glues a date onto the lead sentence."""

SUBTITLE = re.compile(r"^(?:——|--|—)")
"""A subtitle (副题) line: ——焦作国家创新型特色园区招商引资项目签约仪式侧记."""

HEADING_MAX_CHARS = 64
"""Headlines are short; a longer line without end punctuation is a broken body line."""

BODY_MIN_CHARS = 24
"""A line this long with inner punctuation is body text; short ones may be subheadings."""

LATIN_DEBRIS = re.compile(
    rf"(?<=[{CJK_CONTEXT}])\s+[a-z]{{1,6}}\s+(?=[{CJK}])|(?<=[{CJK}])(?:and|or|the|of)(?=[{CJK}])"
)
"""Lower-case English words stranded in Chinese by OCR (技术水平 and 创新能力); GDP, PPP, S104, 5G stay."""

DUP_MIN_CHARS = 12
"""Sentences shorter than this may repeat legitimately (会议要求：); longer repeats are layout or OCR."""

MAX_PASSES = 6
"""Bound on the repeated passes of clean_text; each pass only shrinks the text, so two or three do."""

_CJK_SPACE = re.compile(rf"(?<=[{CJK_CONTEXT}])[ \t\u3000]+(?=[{CJK_CONTEXT}])(?!记者|通讯员)")
_SPACES = re.compile(r"[ \t\u3000\u00a0]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_LEAD_INSIDE = re.compile(r"(?<=\S)\s*(?=本报讯)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_CLAUSE_MARK = re.compile(r"[，、]")
_INNER_PUNCT = re.compile(r"[。，,、；;：:！？!?]")
_END_PUNCT = re.compile(r"[。！？!?；;]")
_OVERLAP = re.compile(r"^[^。！？；;!?\s]{1,4}[。！？；;!?]")
_PUNCT_SPACE = re.compile(
    rf"(?<=[，。、；：！？（“])\s+|\s+(?=[，。、；：！？）”])|(?<=[{CJK}][,;:!?])[ \t]+"
)
_CLOSERS = "”’」』）)】》\"'"


def normalize(text: str) -> str:
    """Unix newlines, no control or zero-width characters, no byte-order mark; nothing else changes.

    Characters are kept as written, full-width or not: NFKC or mapping ASCII punctuation to Chinese
    would change the text that answers are quoted from (on the CMRC 2018 dev questions, NFKC plus
    that mapping made 24 of 2,253 answer strings no longer appear in their passage).
    """
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def is_heading_like(line: str) -> bool:
    """A short line with no sentence punctuation and no dangling clause: a headline, kicker or subheading."""
    return (
        0 < len(line) <= HEADING_MAX_CHARS
        and not _END_PUNCT.search(line)
        and line[-1] not in CONTINUING_END
        and not LEAD.match(line)
        and all(line.count(a) == line.count(b) for a, b in OPEN_CLOSE)
    )


def ends_paragraph(line: str) -> bool:
    """Whether a line ends with a sentence terminator (closing quotes after it allowed)."""
    stripped = line.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in TERMINATORS


def clean_text(text: str) -> str:
    """Clean one page (or article) of newspaper text into one paragraph per line.

    Drops layout and photo credits, captions and promotions, rejoins lines broken mid-sentence,
    removes Latin OCR debris and column-wrap spaces, and keeps repeated sentences once. It only ever
    deletes characters or turns whitespace into line breaks, so every kept character came from the
    input in order, and it is idempotent: the passes are repeated until nothing changes.
    """
    current = _settle(text)
    for _ in range(MAX_PASSES):
        deduped = "\n".join(_drop_repeats(current.split("\n"))) if current else current
        if deduped == current:
            break
        # Removing a repeat makes new neighbours, which may need rejoining; repeats are checked again
        # only if that changed something (on unchanged lines the check would drop nothing more).
        current = _settle(deduped)
        if current == deduped:
            break
    return current


def _settle(text: str) -> str:
    """Repeat the line pass until it changes nothing."""
    for _ in range(MAX_PASSES):
        cleaned = _clean_pass(text)
        if cleaned == text:
            break
        text = cleaned
    return text


def _clean_pass(text: str) -> str:
    lines = [CRAWL_HEADER.sub("", _SPACES.sub(" ", line).strip()) for line in normalize(text).split("\n")]
    lines = [piece for line in lines if line for piece in _split_inline_lead(line)]
    lines = _drop_noise(lines)
    lines = _rejoin(lines)
    lines = [_tidy_body(line) for line in lines]
    return "\n".join(t for t in lines if t and not (len(t) <= PROMOTION_MAX_CHARS and PROMOTION.search(t)))


def _split_inline_lead(line: str) -> list[str]:
    """`示范区 扎实创建美丽学校 本报讯（…）连日` -> the headline and the lead on their own lines."""
    match = _LEAD_INSIDE.search(line)
    if match and match.start() > 0:
        head = line[: match.start()].strip()
        if is_heading_like(head):
            return [head, line[match.end() :]]
    return [line]


def _drop_noise(lines: list[str]) -> list[str]:
    """Remove layout credits, photo credits with their captions, captions and promotions."""
    keep = [True] * len(lines)
    for i, line in enumerate(lines):
        if LAYOUT_CREDIT.match(line) or CAPTION_START.match(line) and len(line) <= CAPTION_MAX_CHARS:
            keep[i] = False
        elif PHOTO_CREDIT.match(line):
            keep[i] = False
            # The caption sits just before its credit and is a short sentence (a headline has no 。).
            if i > 0 and len(lines[i - 1]) <= CAPTION_MAX_CHARS and ends_paragraph(lines[i - 1]):
                keep[i - 1] = keep[i - 1] and bool(LEAD.match(lines[i - 1]))
        elif INLINE_PHOTO_CREDIT.search(line) and not LEAD.match(line):
            keep[i] = is_photo_news(line)
    return [line for line, kept in zip(lines, keep, strict=True) if kept]


def is_photo_news(line: str) -> bool:
    """A caption with its photographer's credit inside that tells news in two or more sentences.

    Such a photo-news item (9月16日，…工人正在加工。…累计加工18万片。本报记者 王正义 摄) is content:
    it is kept, and split_articles makes it an article of its own. One-sentence captions are dropped.
    """
    credit = INLINE_PHOTO_CREDIT.search(line)
    if credit is None or LEAD.match(line):
        return False
    return len(split_sentences(line[: credit.start()] + line[credit.end() :])) >= PHOTO_NEWS_MIN_SENTENCES


def _protected(lines: list[str]) -> set[int]:
    """Lines never joined to a neighbour: leads, bylines, subtitles and the headline block before them."""
    protected = {i for i, line in enumerate(lines) if is_photo_news(line)}
    for i, line in enumerate(lines):
        if LEAD.match(line) or BYLINE.match(line) or SUBTITLE.match(line):
            protected.add(i)
            j = i - 1
            while j >= 0 and i - j <= 4 and is_heading_like(lines[j]) and not ends_paragraph(lines[j]):
                protected.add(j)
                j -= 1
    return protected


def _rejoin(lines: list[str]) -> list[str]:
    """Join each line broken in mid-sentence with the line that continues it."""
    protected = _protected(lines)
    out: list[str] = []
    joinable = False
    for i, line in enumerate(lines):
        line = _drop_overlap(out[-1], line) if out else line
        if not line:
            continue
        if out and joinable and i not in protected and _continues(out[-1], line):
            out[-1] = _glue(out[-1], line)
        else:
            out.append(line)
            joinable = i not in protected or bool(LEAD.match(line))
    return out


def _drop_overlap(head: str, tail: str) -> str:
    """`…加快推进。` then `进。示范区…`: a line that repeats the end of the previous one loses the repeat."""
    match = _OVERLAP.match(tail)
    if match and head.endswith(match.group()):
        return tail[match.end() :].lstrip()
    return tail


def _continues(head: str, tail: str) -> bool:
    """Whether `tail` continues the sentence that `head` leaves unfinished."""
    if ends_paragraph(head):
        return False
    if head[-1] in CONTINUING_END or any(head.count(a) > head.count(b) for a, b in OPEN_CLOSE):
        return True
    if PROMOTION.search(head):
        return False
    if len(head) >= BODY_MIN_CHARS and _INNER_PUNCT.search(head):
        return True
    return _word_spans(head, tail)


def _word_spans(head: str, tail: str) -> bool:
    """Whether jieba reads a word across the break (要进 | 一步 -> 进一步): the line was cut inside it."""
    left, right = head[-4:], tail[:4]
    if not (re.match(f"[{CJK}]", left[-1]) and re.match(f"[{CJK}]", right[0])):
        return False
    pos = 0
    # The shared tokenizer cuts as jieba's whole default dictionary does (`jieba.lcut(text, HMM=False)`),
    # but loads only the entries of the characters it meets instead of the whole dictionary (1.5 s).
    for word in default_tokenizer().dictionary_cut(left + right):
        if pos < len(left) < pos + len(word):
            return True
        pos += len(word)
    return False


def _glue(head: str, tail: str) -> str:
    # Latin words broken across lines keep a space; Chinese text has none.
    if head[-1].isascii() and head[-1].isalnum() and tail[0].isascii() and tail[0].isalnum():
        return f"{head} {tail}"
    return head + tail


def _tidy_body(line: str) -> str:
    """In body lines: drop column-wrap spaces between Chinese characters and stranded Latin words.

    Headlines keep their spaces: they separate kicker, title and subtitle parts.
    """
    if is_heading_like(line) and not LEAD.match(line):
        return line
    line = LATIN_DEBRIS.sub("", line)
    return _PUNCT_SPACE.sub("", _CJK_SPACE.sub("", line))


def _drop_repeats(lines: list[str]) -> list[str]:
    """Keep each sentence once per page (exact or near-duplicate), and each headline once."""
    seen_headings: set[str] = set()
    sentences = NearDuplicates()
    out: list[str] = []
    for line in lines:
        if is_heading_like(line) and not LEAD.match(line):
            key = line.replace(" ", "")
            if len(key) >= DUP_MIN_CHARS // 2 and not BYLINE.match(line) and key in seen_headings:
                continue
            # A long unfinished clause that repeats earlier body text is a truncated copy, not a headline.
            if _CLAUSE_MARK.search(line) and sentences.repeats(line):
                continue
            seen_headings.add(key)
            out.append(line)
            continue
        kept = [
            s.text for s in split_sentences(line) if len(s.text) < DUP_MIN_CHARS or not sentences.seen(s.text)
        ]
        if kept:
            out.append("".join(kept))
    return out


NGRAM = 3
"""Character n-gram size for near-duplicate tests: 3-grams tell Chinese sentences apart well."""

NEAR_DUP_JACCARD = 0.8
"""Two texts whose n-gram sets overlap this much (Jaccard) are the same text with OCR noise."""

NEAR_DUP_CONTAINED = 0.9
"""A text whose n-grams are this much inside an earlier one is a truncated copy of it."""

NEAR_DUP_MIN_CHARS = 20
"""Shorter texts are compared exactly only: a few changed characters can change their meaning."""

BUCKET_LIMIT = 64
"""Candidates checked per sketch key; bounds the work on huge inputs (a rare miss, never a wrong drop)."""


def ngrams(text: str, n: int = NGRAM) -> frozenset[str]:
    """The set of character n-grams of `text` without whitespace (the text itself when shorter)."""
    text = "".join(text.split())
    if len(text) <= n:
        return frozenset([text]) if text else frozenset()
    return frozenset(text[i : i + n] for i in range(len(text) - n + 1))


class NearDuplicates:
    """Remembers texts and says whether a new one repeats an earlier one, exactly or nearly.

    Nearly means: most character n-grams shared (NEAR_DUP_JACCARD) or contained (NEAR_DUP_CONTAINED),
    and no number that the earlier text lacks.

    Candidates come from a small sketch (the smallest and largest n-gram, the first and last
    characters), so each check costs a few set comparisons instead of one per earlier text.
    """

    def __init__(self) -> None:
        self._exact: set[str] = set()
        self._grams: list[frozenset[str]] = []
        self._numbers: list[frozenset[str]] = []
        self._buckets: dict[tuple[int, str], list[int]] = {}

    def seen(self, text: str) -> bool:
        """True if `text` repeats an earlier text; otherwise remember it and return False."""
        if self.repeats(text):
            return True
        key = "".join(text.split())
        self._exact.add(key)
        if len(key) >= NEAR_DUP_MIN_CHARS:
            grams = ngrams(key)
            index = len(self._grams)
            self._grams.append(grams)
            self._numbers.append(frozenset(_NUMBER.findall(key)))
            for bucket_key in _sketch(key, grams):
                self._buckets.setdefault(bucket_key, []).append(index)
        return False

    def repeats(self, text: str) -> bool:
        """True if `text` is, exactly or nearly, a text seen before (without remembering it)."""
        key = "".join(text.split())
        if key in self._exact:
            return True
        if len(key) < NEAR_DUP_MIN_CHARS:
            return False
        grams = ngrams(key)
        numbers = frozenset(_NUMBER.findall(key))
        for bucket_key in _sketch(key, grams):
            for j in self._buckets.get(bucket_key, ())[-BUCKET_LIMIT:]:
                # A copy never brings figures of its own: 第12号 and 第123号 are different news.
                if numbers <= self._numbers[j] and _near(grams, self._grams[j]):
                    return True
        return False


def _sketch(key: str, grams: frozenset[str]) -> list[tuple[int, str]]:
    # Extremes of the n-gram set survive scattered OCR edits; head and tail survive truncation.
    return [(0, min(grams)), (1, max(grams)), (2, key[: 2 * NGRAM]), (3, key[-2 * NGRAM :])]


def _near(new: frozenset[str], old: frozenset[str]) -> bool:
    common = len(new & old)
    return common >= NEAR_DUP_JACCARD * len(new | old) or common >= NEAR_DUP_CONTAINED * len(new)


def strip_datelines(text: str) -> str:
    """`text` without the datelines (DATELINE) that open its paragraphs: what a summary leaves out."""
    return DATELINE.sub("", text)
