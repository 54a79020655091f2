"""What makes a sentence an answer: readable features of (question, candidate sentence) pairs.

Each candidate sentence of the retrieved passages gets one row of FEATURES. The weights that turn a row
into a score are learned from synthetic questions (`scripts/train_answer_ranker.py`), not set by hand;
this module only measures.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..datamodels import Hit
from ..text.keywords import idf_lookup
from ..text.sentences import split_sentences

if TYPE_CHECKING:
    from ..model.encoder import Encoder

MEASURE_WORDS = "趟班列架艘轮届期组支只头棵层栋间张本部篇份种门"
"""More measure words a count is asked in (几趟, 几层, 几轮: a figure; 哪几种 asks for a list instead). Only
a figure in the asked one (两层 for 几层) answers it (`asked_unit`): 一种, 一期, 一部 are everywhere."""

QUESTION_TYPES: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    # 多少/几/多大/比例 want a figure, with or without a unit.
    "number": (
        re.compile(
            r"多少|几[个家项名次年月天岁人倍成十百千万亿批条所座处辆]|多大|多高|多长|多远|多久|多重|多深|多宽|比例|百分之|第几"
            rf"|(?<!哪)几[{MEASURE_WORDS}]"
        ),
        re.compile(
            r"\d|[一二两三四五六七八九十百千万亿]+[余多几来]?[个家项名次年月天岁人倍成%元米亩吨户批条所座处辆]|百分之"
        ),
    ),
    # 什么时候/何时/哪年 want a date or a time.
    "date": (
        re.compile(r"什么时候|何时|哪一?年|哪一?天|哪个月|几月|几号|几点|什么时间|日期|哪一?日"),
        re.compile(
            r"\d{1,4}\s*[年月日号时点]|[一二三四五六七八九十〇零]+[年月日号]|年底|年初|年内|上半年|下半年|明年|今年|去年|"
            r"近日|日前|目前|前夕|期间|当天|世纪|时期|季度"
        ),
    ),
    # 谁/哪家/哪个单位 want a person or an organisation.
    "who": (
        re.compile(
            r"谁|哪位|哪家|哪个单位|哪个部门|哪些单位|哪些部门|什么单位|什么部门|什么人|哪个机构|哪个公司|什么机构|什么公司|由哪"
        ),
        re.compile(
            r"公司|集团|企业|银行|大学|学院|医院|中心|协会|委员会|[局委厅部院所办处署站队]|政府|党委|党工委|管委会|"
            r"书记|主任|局长|部长|市长|县长|区长|主席|总经理|董事长|专家|同志|记者"
        ),
    ),
    # 哪里/在哪 want a place.
    "place": (
        re.compile(
            r"哪里|在哪(?!一?[天年日月])|什么地方|哪个地方|何地|何处|哪个省|哪个市|哪个县|哪个区|哪个国家|去哪"
        ),
        re.compile(r"[省市县区镇乡村街路道湖河山港湾岛园馆场站]|国内|全国|境外|海外|当地"),
    ),
    # 哪些/包括什么 want an enumeration.
    "list": (
        re.compile(r"哪些|有哪|包括什么|包括哪|几项|几个方面|哪几"),
        re.compile(r"[、；;]|[一二三四五六七八九十]是|包括|分别|以及"),
    ),
    # 怎么/如何 want what was done.
    "how": (
        re.compile(r"怎么|怎样|如何|什么办法|哪些措施|什么措施|靠什么"),
        re.compile(r"[一二三四五六七八九十]是|通过|采取|加强|实施|推进|开展|措施|坚持|建立|完善|推动"),
    ),
    # 为什么/原因 want a cause or a purpose.
    "why": (
        re.compile(r"为什么|为何|什么原因|原因是|因为什么|目的是|为了什么"),
        re.compile(r"因为|由于|原因|为了|旨在|目的|导致|造成|因此|所以"),
    ),
    # 是什么/指什么 want a definition.
    "what": (
        re.compile(r"什么是|是什么|什么意思|指什么|含义|叫什么|名称"),
        re.compile(r"是|指|即|称为|名为|叫做|简称"),
    ),
}
"""(question pattern, sentence pattern) per question type: what a question asks for, and what holds it."""

FEATURES: tuple[str, ...] = (
    "coverage",  # IDF-weighted share of the question's words found in the sentence
    "coverage_rel",  # the same, relative to the best candidate's
    "bigrams",  # share of the question's character bigrams found in the sentence
    "focus",  # coverage of the words of the question's asking clause (总投资 in 总投资多少)
    "near",  # coverage of the words right beside the question word (主讲 in 由谁主讲; `near_terms`)
    "titled",  # coverage of the question's words in the sentence read after its article's title (`_titled`)
    "beyond_lead",  # coverage of the question's words the passage's opening sentence lacks (`_beyond_lead`)
    "chars",  # share of the question's characters beyond its article's title found in the sentence (`_chars`)
    "neighbour",  # best coverage of the adjacent sentences of the same passage
    "novelty",  # share of the sentence's characters not in the question: a fact adds something
    "log_chars",  # log of the sentence's length
    "dense",  # cosine of sentence and question (inner product of unit vectors)
    "dense_rel",  # the same, relative to the best candidate's
    "type_match",  # the question asks for a type (a figure, a date...) and the sentence holds one
    "unit_match",  # the question asks 多少/几 + a unit (家, 亩, 元...) and the sentence has a figure in it
)
"""The feature columns, in order; their learned weights live in the shipped ranker file.

Measured and left out (benchmarks/answer_ranker_features.py): the passage's rank and fused score, and
whether the sentence opens its passage, raised top-sentence accuracy on synthetic questions but lowered it
on every dev set: real questions name the article's topic, so the top passage's lead is a decoy."""

_NON_WORD = re.compile(r"[\s\W_]+")
_CLAUSE_MARK = re.compile(r"[，,；;：:。？?！!]")
_DATE = re.compile(r"\d{1,4}\s*[年月日号]|[一二三四五六七八九十〇零]+[月日号]")
_FIGURE = r"[\d一二两三四五六七八九十百千万亿零〇.]+(?:余|多)?"
_ASKED_UNIT = re.compile(
    r"(?:多少|几)(?:个)?(个|家|项|名|次|天|岁|人|倍|批|条|所|座|处|辆|亩|元|吨|户|公里|米|平方米|万|亿|类|件|台|套|场|年|月"
    rf"|[{MEASURE_WORDS}])"
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One sentence of one retrieved passage: `hits[passage].chunk.text[start:end] == text`."""

    passage: int
    text: str
    start: int
    end: int
    position: int
    """The sentence's position inside its passage (0 = first)."""
    title: str = ""
    """The title of the article the passage belongs to."""


def candidate_sentences(hits: Sequence[Hit]) -> list[Candidate]:
    """Every sentence of every passage once (passages overlap: the higher-ranked one keeps a repeat)."""
    seen: set[str] = set()
    out: list[Candidate] = []
    for passage, hit in enumerate(hits):
        for position, sentence in enumerate(split_sentences(hit.chunk.text)):
            if sentence.text.strip() and sentence.text not in seen:
                seen.add(sentence.text)
                out.append(
                    Candidate(passage, sentence.text, sentence.start, sentence.end, position, hit.chunk.title)
                )
    return out


def question_types(question: str) -> tuple[str, ...]:
    """The types a question asks for (several for a two-part question), in QUESTION_TYPES order."""
    return tuple(name for name, (asks, _) in QUESTION_TYPES.items() if asks.search(question))


def holds_type(text: str, kinds: Sequence[str]) -> bool:
    """Whether `text` holds what any of `kinds` asks for (a date is not a figure: 8月18日 counts no items)."""
    return any(QUESTION_TYPES[k][1].search(_DATE.sub("", text) if k == "number" else text) for k in kinds)


def asked_unit(question: str) -> str | None:
    """The unit a 多少/几 question counts in (几家 -> 家, 多少钱 -> 元), or None."""
    if "多少钱" in question or "投多少" in question or "花多少" in question:
        return "元"
    match = _ASKED_UNIT.search(question)
    return match.group(1) if match else None


def holds_unit(text: str, unit: str | None) -> bool:
    """Whether `text` has a figure counted in `unit` (49个, 三十余项, 1.5亿元)."""
    if not unit:
        return False
    return re.search(_FIGURE + rf"\s*(?:万|亿|千|百)?{unit[0]}", _DATE.sub("", text)) is not None


_ASKED_YEAR = re.compile(r"哪一?年|什么年份|哪个年份|几几年")
_YEAR = re.compile(r"\d{2,4}\s*年|[一二三四五六七八九〇零]{2,4}年|[今去明前当同]年")
_ASKED_DAY = re.compile(r"哪一?天|哪一?日|几月几[日号]|几号")
_DAY = re.compile(r"\d{1,2}\s*[日号]|[一二三四五六七八九十]{1,3}[日号]|[今明昨前后当同次]天|[当同次]日")
_ASKED_LEVEL = re.compile(r"(?:哪个|哪一?|什么)(省|市|县|镇|乡|村|街道|社区|区(?![域别间]))")


def holds_asked_detail(question: str, text: str) -> bool:
    """Whether `text` names what a year, day or place-level question pins down (True for other questions).

    哪一年 wants a year, and 9月16日 alone is not one; 哪一天 wants a day, which 下一步 or 今年 do not
    give; 哪个村 wants a village, and a sentence that names no 村 cannot say which. Countries are left
    out: a sentence names one (德国) without saying 国家.
    """
    if _ASKED_YEAR.search(question) and not _YEAR.search(text):
        return False
    if _ASKED_DAY.search(question) and not _DAY.search(text):
        return False
    level = _ASKED_LEVEL.search(question)
    return level is None or level.group(1) in text


def _question_word(question: str) -> tuple[int, int] | None:
    """Where the question's first question word (of any QUESTION_TYPES) is, or None when it has none."""
    spans = [m.span() for asks, _ in QUESTION_TYPES.values() if (m := asks.search(question))]
    return min(spans) if spans else None


def focus_terms(question: str, terms: Sequence[str]) -> list[str]:
    """The terms of the question's clause that holds its question word: what is asked about.

    The other clauses usually name the topic, to say which meeting or project is meant. All terms when
    the question has no question word.
    """
    asked = _question_word(question)
    if asked is None:
        return list(terms)
    at = asked[0]
    start = max((m.end() for m in _CLAUSE_MARK.finditer(question, 0, at)), default=0)
    end = next((m.start() for m in _CLAUSE_MARK.finditer(question, at)), len(question))
    clause = question[start:end]
    return [t for t in terms if t in clause] or list(terms)


NEAR_CHARS = 2
"""How close to the question word a term must start or end to be `near_terms`. On the dev sets (top sentence,
ranker retrained with the feature added): 2 → news archive 0.627 → 0.678, CMRC's questions after the first
600 0.706 → 0.721, seeds paraphrased 0.673 → 0.692, seeds dev unchanged; 4 and 8 gained less."""


def near_terms(question: str, terms: Sequence[str]) -> list[str]:
    """The terms right beside the question's (first) question word: what exactly is asked.

    The asking clause (`focus_terms`) is often the whole question. The words touching 谁 or 多少 are the
    ones the answer sentence most often repeats (「……第二讲由谁主讲」 → 「主讲人上海社会科学院研究员马军…」),
    while the rest restates the article's lead (「…第二讲…开讲」). All terms when the question has no
    question word.
    """
    asked = _question_word(question)
    if asked is None:
        return list(terms)
    start, end = asked
    near = [
        t
        for t in terms
        if (at := question.find(t)) >= 0 and start - NEAR_CHARS <= at + len(t) and at <= end + NEAR_CHARS
    ]
    return near or list(terms)


def coverage(terms: Sequence[str], texts: Sequence[str]) -> np.ndarray:
    """IDF-weighted share of `terms` found (as substrings: segmentations may differ) in each text."""
    if not terms or not texts:
        return np.zeros(len(texts))
    idf = idf_lookup(None)
    weights = np.array([idf(t) for t in terms])
    present = np.array([[t in text for text in texts] for t in terms], dtype=float)
    return (weights @ present) / weights.sum()


def sentence_features(
    question: str, terms: Sequence[str], candidates: Sequence[Candidate], encoder: Encoder | None = None
) -> np.ndarray:
    """The FEATURES of every candidate, one row each (float64, [len(candidates), len(FEATURES)])."""
    n = len(candidates)
    texts = [c.text for c in candidates]
    compact = [_NON_WORD.sub("", t) for t in texts]
    cov = coverage(terms, texts)
    grams = _bigrams("".join(terms))
    # A bigram of the question is a bigram of the sentence exactly when it is a substring of its compact form.
    bigrams = np.array([sum(g in c for g in grams) / len(grams) if grams else 0.0 for c in compact])
    dense = _dense(question, texts, encoder)
    kinds = question_types(question)
    typed = np.array([holds_type(t, kinds) for t in texts], dtype=float) if kinds else np.zeros(n)
    unit = asked_unit(question)
    question_chars = str.maketrans(dict.fromkeys(_NON_WORD.sub("", question)))
    columns = {
        "coverage": cov,
        "coverage_rel": cov / max(cov.max(), 1e-6),
        "bigrams": bigrams,
        "focus": coverage(focus_terms(question, terms), texts),
        "near": coverage(near_terms(question, terms), texts),
        "titled": _titled(terms, candidates),
        "beyond_lead": _beyond_lead(terms, candidates),
        "chars": _chars(terms, candidates),
        "neighbour": _neighbour(cov, candidates),
        "novelty": np.array([_novelty(c, question_chars) for c in compact]),
        "log_chars": np.array([math.log1p(len(t)) for t in texts]),
        "dense": dense,
        "dense_rel": np.maximum(dense, 0) / max(dense.max(), 1e-6),
        "type_match": typed,
        "unit_match": np.array([holds_unit(t, unit) for t in texts], dtype=float),
    }
    return np.stack([columns[name] for name in FEATURES], axis=1) if n else np.zeros((0, len(FEATURES)))


def _dense(question: str, texts: Sequence[str], encoder: Encoder | None) -> np.ndarray:
    """Cosine of each sentence to the question (inner product == cosine on unit vectors); zeros without."""
    if encoder is None or not texts:
        return np.zeros(len(texts))
    query = np.asarray(encoder.encode_queries([question]), dtype=np.float32)[0]
    rows = np.asarray(encoder.encode_passages(list(texts)), dtype=np.float32)
    return (rows @ query).astype(np.float64)


def _titled(terms: Sequence[str], candidates: Sequence[Candidate]) -> np.ndarray:
    """Coverage of the question's words in each sentence read after its article's title.

    Sentences inside an article leave its subject out: an encyclopedia entry goes on 「卒于高宗绍兴四年
    （1134年）。」 and 「著有《邵氏闻见录》。」 after naming 邵伯温 once, a news report says 该区 or nothing
    for the district its headline names. A question names the subject, so on coverage alone the one
    sentence that repeats it (mostly the opening) beats the one that answers. Read with the title, every
    sentence of the article has the subject, and the words that differ are the asked ones.
    """
    return coverage(terms, [f"{c.title}\n{c.text}" for c in candidates])


def _beyond_lead(terms: Sequence[str], candidates: Sequence[Candidate]) -> np.ndarray:
    """Coverage of the question's words that its passage's opening sentence lacks (0 for that sentence).

    A passage opens by naming its topic (a news lead, an encyclopedia entry's definition), and a question
    repeats the topic to say what it is about: 「路德维希·普朗特卒于哪年？」 shares its name with the
    opening 「路德维希·普朗特（Ludwig Prandtl）德国力学家。」, which holds no answer. The words the opening
    lacks (卒, 年) are what is asked, and the answer sentence holds them (「1953年8月15日卒于哥廷根」).
    The opening is a passage's first candidate: overlapping passages leave a repeated sentence to the
    higher-ranked one.
    """
    members: dict[int, list[int]] = {}
    for i, cand in enumerate(candidates):
        members.setdefault(cand.passage, []).append(i)
    out = np.zeros(len(candidates))
    for rows in members.values():
        opening = candidates[rows[0]].text
        rest = [t for t in terms if t not in opening]
        if rest and len(rows) > 1:
            out[rows[1:]] = coverage(rest, [candidates[i].text for i in rows[1:]])
    return out


def _chars(terms: Sequence[str], candidates: Sequence[Candidate]) -> np.ndarray:
    """IDF-weighted share of the question words' characters, less its article title's, in each sentence.

    An entry names its subject in the title and then writes tersely: 「美洲似银汉鱼整体是什么颜色？」 is
    answered by 「体淡绿色，体侧具一银色纵带…」, which shares no word with the question (颜色 against 绿色)
    but its characters 体 and 色, while the entry's opening repeats the whole subject and nothing asked.
    Characters of the title are left out: every sentence of the article is about it.
    """
    chars = list(dict.fromkeys(ch for t in terms for ch in t if not ch.isspace()))
    by_title: dict[str, list[int]] = {}
    for i, cand in enumerate(candidates):
        by_title.setdefault(cand.title, []).append(i)
    out = np.zeros(len(candidates))
    for title, rows in by_title.items():
        asked = [ch for ch in chars if ch not in title]
        out[rows] = coverage(asked, [candidates[i].text for i in rows])
    return out


def _neighbour(cov: np.ndarray, candidates: Sequence[Candidate]) -> np.ndarray:
    """Best coverage among the sentences just before and after, inside the same passage.

    The question often paraphrases one sentence while the fact sits in the next.
    """
    out = np.zeros(len(candidates))
    for i, cand in enumerate(candidates):
        near = [
            cov[j]
            for j in (i - 1, i + 1)
            if 0 <= j < len(candidates) and candidates[j].passage == cand.passage
        ]
        out[i] = max(near, default=0.0)
    return out


def _novelty(compact: str, question_chars: dict[int, None]) -> float:
    """Share of a compact sentence's characters that the question lacks (`question_chars` deletes its own)."""
    return len(compact.translate(question_chars)) / len(compact) if compact else 0.0


def _bigrams(text: str) -> set[str]:
    compact = _NON_WORD.sub("", text)
    return {compact[i : i + 2] for i in range(len(compact) - 1)}
