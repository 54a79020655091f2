"""Readable features of an article's sentences, for the learned summary scorer (one row per candidate)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..datamodels import Sentence

FEATURES = (
    "paragraph_start",
    "short",
    "centroid_cosine",
    "first_cosine",
    "lexrank",
    "numbers",
    "date",
    "organisation",
    "reported_speech",
    "exhortation",
    "boilerplate",
    "dateline",
    "quote",
    "unterminated",
    "content_share",
)
"""Column names of `sentence_features`, in order; the shipped model stores one weight per name.

Position and length are not among them, on purpose: learned from the training set's references (written
to cover the whole article, about 200 characters) they carry over as "skip the lead, take long sentences",
which lost 0.4-2.7 ROUGE-L points to lead on CAIL2022, whose references stay at the top and are shorter.
Position enters the summary score as a fixed prior instead (summarize.POSITION_DECAY)."""

BOILERPLATE = re.compile(
    r"^[（(【\[][^（()）】\]]{0,60}[）)】\]][。.]?$"  # a lone bracketed byline: （记者 郭树勋）
    r"|本文来自|版权归|转载请|点击此处|扫码关注|关注.{0,8}公众号"
)
"""Page furniture wherever it stands in a sentence: bylines, reprint notes, promotions."""

LABEL_LINE = re.compile(
    r"^[【\[]?(?:来源|编辑|责编|责任编辑|免责声明|特别声明|打开APP|作者|审核|编审|监制|出品)|扫码"
)
"""Furniture labels (来源：…, 编辑 …, 扫码…), furniture only in a short sentence (LABEL_LINE_CHARS)."""

LABEL_LINE_CHARS = 40
"""A longer sentence that opens with a label is a lead glued to it (「来源：金融界网站今日下午消息上海市
公安局…」, 134 characters): content, not furniture. Credit lines are short."""

DATELINE = re.compile(
    r"^\s*(?:【[^】]{0,20}】|本报讯|新华社|中新网|中新社|人民网|央视网|[^，。]{0,12}(?:电|讯|消息)\s*[（(]|"
    r"[（(]?(?:记者|通讯员)[^）)]{0,20}[）)])"
)
"""How news copy opens with its source (本报讯, 新华社北京8月1日电, （记者 …）): the lead, usually.
The summarizer cuts a dateline that opens a paragraph before it scores (`text.clean.strip_datelines`);
this flag reads any sentence, so it still sees one in mid-paragraph (a lead glued to a headline) or
【…】 brackets."""

DATE = re.compile(r"\d{1,2}月\d{1,2}日|\d{4}年|[上下]半年|今年|近日|日前|昨[天日]|当天|当日")
"""A date or a relative day: news facts carry one."""

NUMBER = re.compile(r"\d+(?:\.\d+)?(?:%|万|亿)?|[一二三四五六七八九十百千万亿]+(?:万|亿|余|多)")
"""Figures: amounts, counts, shares."""

ORGANISATION = re.compile(
    r"[\u4e00-\u9fff]{2,}(?:部|局|委|厅|院|署|办|政府|法院|检察院|公安局|委员会|公司|集团|银行|协会|中心|大学)"
)
"""A named organisation: Han characters ending in an institution suffix (应急管理部, 淮南市检察院)."""

REPORTED_SPEECH = re.compile(r"表示|指出|强调|认为|介绍|称|说|透露|坦言|提到|据悉|据了解|记者(?:了解|获悉)")
"""Reported speech: the article quoting someone, usually detail rather than the event itself."""

EXHORTATION = re.compile(
    r"^(?:要|必须|务必|应当|应该|希望|号召|呼吁|各地|各级|请|下一步)|要求|一要|二要|三要"
)
"""Calls to action of official speeches: frequent in government news, seldom the news."""

QUOTE = re.compile(r"[“「『\"]")
"""Opening quotation marks."""

ENDERS = "。！？!?；;…”’」』）)】》\"'"
"""A sentence that ends in none of these was cut off (truncated texts end mid-sentence)."""

SHORT_CHARS = 15
"""Shorter sentences are mostly headings, bylines and fragments."""


@dataclass(frozen=True, slots=True)
class SentenceGraph:
    """What the features need from the similarity stage: per-candidate cosines and centrality."""

    centroid_cosine: np.ndarray
    first_cosine: np.ndarray
    lexrank: np.ndarray
    content_tokens: np.ndarray


def sentence_features(text: str, sentences: Sequence[Sentence], graph: SentenceGraph) -> np.ndarray:
    """Feature rows (float64, len(graph.lexrank) × len(FEATURES)) for the first sentences of `text`.

    Args:
        text: the text the sentences were split from (paragraph starts are read from it).
        sentences: all sentences of `text`, in order.
        graph: similarities and centrality of the candidates (the first len(graph.lexrank) sentences).
    """
    n = len(graph.lexrank)
    rows = np.zeros((n, len(FEATURES)))
    for i, sentence in enumerate(sentences[:n]):
        chars = len(sentence.text)
        rows[i] = (
            i == 0 or "\n" in text[sentences[i - 1].end : sentence.start],
            chars < SHORT_CHARS,
            graph.centroid_cosine[i],
            graph.first_cosine[i],
            graph.lexrank[i],
            min(len(NUMBER.findall(sentence.text)), 5) / 5,
            bool(DATE.search(sentence.text)),
            min(len(ORGANISATION.findall(sentence.text)), 3) / 3,
            bool(REPORTED_SPEECH.search(sentence.text)),
            bool(EXHORTATION.search(sentence.text)),
            is_furniture(sentence.text),
            bool(DATELINE.match(sentence.text)),
            bool(QUOTE.search(sentence.text)),
            sentence.text[-1] not in ENDERS,
            graph.content_tokens[i] / max(chars, 1),
        )
    return rows


def is_furniture(text: str) -> bool:
    """Page furniture: BOILERPLATE anywhere, or a short sentence that opens with a LABEL_LINE label."""
    return bool(BOILERPLATE.search(text)) or (len(text) <= LABEL_LINE_CHARS and bool(LABEL_LINE.search(text)))
