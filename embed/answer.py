"""Extractive answers: the passages' best sentences for a question, cited, in a budget, or "not found"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .datamodels import Answer, AnswerSentence, Hit
from .errors import EmptyQueryError
from .keywords import idf_lookup
from .sentences import split_sentences
from .tokenize import Tokenizer, default_tokenizer

if TYPE_CHECKING:
    from .encoder import Encoder

NOT_FOUND = "没有找到与问题相关的内容。"
"""What the answer says when the passages do not address the question."""

RELATIVE_CUTOFF = 0.2
"""A sentence joins the answer only if it scores at least this fraction of the best one."""

REDUNDANCY = 0.6
"""MMR discount: a candidate loses this share of its score per unit of character overlap with the picks."""

NEIGHBOUR_SHARE = 0.3
"""A sentence inherits this share of its neighbours' relevance: the answer often sits beside the words
the question repeats (the question paraphrases one sentence, the fact is in the next)."""

RANK_DECAY = 0.15
"""Passage prior 1 / (1 + RANK_DECAY × rank): the retriever's order is evidence, not the last word."""

TYPE_BONUS = 0.5
"""Score boost for a sentence holding what the question's type asks for (a figure, a date, a list)."""

MIN_COVERAGE = 0.25
"""Below this share of the question's weighted words in its best sentence, lexical evidence alone does not
count as found; the dense ranking can still vouch for it when both rankings agree on the top sentence."""

LENGTH_SCALE = 50
LENGTH_PENALTY = 1.0
"""Scores are divided by (1 + chars / LENGTH_SCALE) ** LENGTH_PENALTY: a long sentence matches many question
words by chance and spends the budget that a short, exact one would leave for a second fact."""

DENSE_SHARE = 0.3
"""Weight of the encoder's (relative) cosine in a sentence's relevance when an encoder is given."""

LOCAL_IDF_FLOOR = 0.1
"""Smallest local IDF factor: a question word found in every candidate still counts a little."""

QUESTION_TYPES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    # Amounts: 多少/几/多大/比例 want a figure with or without a unit.
    (
        re.compile(r"多少|几[个家项名次年月天岁人倍成]?|多大|多高|多长|多远|多久|多重|多深|多宽|比例|百分之"),
        re.compile(r"\d|[一二两三四五六七八九十百千万亿]+[个家项名次年月天岁人倍成%元米亩吨户]|百分之"),
    ),
    # Dates: 什么时候/何时/哪年 want a date or a time.
    (
        re.compile(r"什么时候|何时|哪一?年|哪一?天|几月|几号|什么时间|哪个时候|日期"),
        re.compile(
            r"\d{1,4}\s*[年月日号]|[一二三四五六七八九十〇零]+[年月日]|年底|年初|年内|上半年|下半年|明年|今年|去年|世纪|朝|时期"
        ),
    ),
    # Lists: 哪些 wants enumerations.
    (
        re.compile(r"哪些|有哪|包括什么|几项|几个方面"),
        re.compile(r"[、；;]|[一二三四五六七八九十]是|包括|分别"),
    ),
    # Ways and measures: 怎么/如何/怎样 want what was done (enumerated steps, 通过/采取/加强 ...).
    (
        re.compile(r"怎么|怎样|如何|什么办法|哪些措施|什么措施"),
        re.compile(r"[一二三四五六七八九十]是|通过|采取|加强|实施|推进|开展|措施|坚持"),
    ),
    # Definitions: 什么是/是什么/什么意思 want "X 是/指 ...".
    (re.compile(r"什么是|是什么|什么意思|指什么|含义"), re.compile(r"是|指|即|称为|意思")),
)
"""(question pattern, sentence pattern) pairs: if the question matches, matching sentences get TYPE_BONUS."""


@dataclass(frozen=True, slots=True)
class _Candidate:
    """One sentence of one passage."""

    passage: int
    text: str
    start: int
    end: int


def answer_question(
    question: str,
    hits: Sequence[Hit],
    *,
    tokenizer: Tokenizer | None = None,
    encoder: Encoder | None = None,
    max_chars: int = 200,
) -> Answer:
    """Answer `question` with sentences copied from `hits`, each citing its passage, or say none was found.

    Sentences are scored by relevance to the question (IDF-weighted words and character bigrams, plus the
    encoder's cosine when one is given), helped by their neighbours and by holding what the question's
    type asks for (a figure, a date, a list), weighted by the passage's rank and per character (short exact
    sentences leave budget for a second fact); the best are picked with MMR while the answer is shorter
    than `max_chars` (the last may cross it), and shown passage by passage in reading order.

    Args:
        question: the user's question.
        hits: the retrieved passages, best first; `AnswerSentence.passage` indexes into them.
        tokenizer: the index's tokenizer (its user words); the default one when None.
        encoder: the index's encoder; without one the answer is lexical only.
        max_chars: the answer's length budget.

    Raises:
        EmptyQueryError: the question is blank or has no content words.
        ValueError: `max_chars` is not positive.
    """
    if max_chars <= 0:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    tokenizer = tokenizer or default_tokenizer()
    terms = list(dict.fromkeys(tokenizer.tokenize(question.strip())))
    if not terms:
        raise EmptyQueryError("the question has no searchable words (it is blank or only stopwords)")
    hits = tuple(hits)
    candidates = _candidates(hits)
    if not candidates:
        return _not_found(question, hits)
    lexical = _lexical(terms, candidates)
    dense = _dense(question, candidates, encoder)
    if not _is_found(lexical, dense):
        return _not_found(question, hits)
    scores = _scores(question, candidates, lexical, dense)
    picks = _select(candidates, scores, max_chars)
    return _answer(question, hits, [candidates[i] for i in picks])


def _candidates(hits: Sequence[Hit]) -> list[_Candidate]:
    """Every sentence of every passage once (passages overlap: the higher-ranked one keeps a repeat)."""
    seen: set[str] = set()
    out: list[_Candidate] = []
    for passage, hit in enumerate(hits):
        for sentence in split_sentences(hit.chunk.text):
            if sentence.text in seen:
                continue
            seen.add(sentence.text)
            out.append(_Candidate(passage, sentence.text, sentence.start, sentence.end))
    return out


def _lexical(terms: list[str], candidates: list[_Candidate]) -> np.ndarray:
    """Per sentence: mean of IDF-weighted question-word coverage and question character-bigram coverage.

    A word's weight is its general IDF times its IDF among the candidate sentences, so a word that every
    passage repeats (the place the whole archive is about) counts less than the word that singles one out.
    Words are matched as substrings, so a segmentation that differs between question and text still counts.
    """
    general = idf_lookup(None)
    present = np.array([[t in c.text for c in candidates] for t in terms])
    local = np.log((len(candidates) + 1) / (present.sum(axis=1) + 0.5))
    weights = np.array([general(t) for t in terms]) * np.maximum(local, LOCAL_IDF_FLOOR)
    words = (weights @ present) / weights.sum()
    grams = _bigrams("".join(terms))
    if not grams:
        return words
    chars = np.array([len(grams & _bigrams(c.text)) / len(grams) for c in candidates])
    return (words + chars) / 2


def _dense(question: str, candidates: list[_Candidate], encoder: Encoder | None) -> np.ndarray | None:
    """Cosine of each sentence to the question (inner product == cosine on unit vectors), or None."""
    if encoder is None:
        return None
    query = np.asarray(encoder.encode_queries([question]), dtype=np.float32)[0]
    rows = np.asarray(encoder.encode_passages([c.text for c in candidates]), dtype=np.float32)
    return rows @ query


def _is_found(lexical: np.ndarray, dense: np.ndarray | None) -> bool:
    """Enough of the question's words in one sentence, or both rankings agreeing on the same best sentence."""
    if lexical.max() >= MIN_COVERAGE:
        return True
    if dense is None or dense.max() <= 0:
        return False
    # Agreement, not a cosine threshold: the dense favourite must also be a lexical front-runner.
    top_dense = int(np.argmax(dense))
    return lexical[top_dense] >= 0.5 * MIN_COVERAGE and top_dense in np.argsort(-lexical)[:3]


def _scores(
    question: str, candidates: list[_Candidate], lexical: np.ndarray, dense: np.ndarray | None
) -> np.ndarray:
    """Relevance (lexical, blended with dense when given), helped by neighbours and type, rank-weighted."""
    relevance = lexical
    if dense is not None:
        # Relative cosine (to the best sentence's): absolute cosines differ from model to model.
        relevance = (1 - DENSE_SHARE) * lexical + DENSE_SHARE * np.maximum(dense, 0) / max(dense.max(), 1e-6)
    smoothed = relevance.copy()
    for i, cand in enumerate(candidates):
        near = [
            relevance[j]
            for j in (i - 1, i + 1)
            if 0 <= j < len(candidates) and candidates[j].passage == cand.passage
        ]
        if near:
            smoothed[i] += NEIGHBOUR_SHARE * max(near)
    wanted = [sentence_re for question_re, sentence_re in QUESTION_TYPES if question_re.search(question)]
    typed = np.array([1.0 + TYPE_BONUS * any(p.search(c.text) for p in wanted) for c in candidates])
    prior = 1.0 / (1.0 + RANK_DECAY * np.array([c.passage for c in candidates], dtype=float))
    return smoothed * typed * prior


def _select(candidates: list[_Candidate], scores: np.ndarray, max_chars: int) -> list[int]:
    """MMR picks, by value per character, of the sentences above the relative relevance cut-off.

    Picks are added while the answer is shorter than `max_chars`. A pick that ends with a colon
    announces what follows, so the next sentence of its passage comes with it.
    """
    floor = RELATIVE_CUTOFF * scores.max()
    remaining = [i for i in np.argsort(-scores, kind="stable").tolist() if scores[i] >= floor]
    length = np.array([len(c.text) for c in candidates], dtype=float)
    value = scores / (1.0 + length / LENGTH_SCALE) ** LENGTH_PENALTY
    grams = [_bigrams(c.text) for c in candidates]
    picked: list[int] = []
    total = 0
    while remaining and total < max_chars:

        def gain(i: int) -> float:
            overlap = max((_containment(grams[i], grams[j]) for j in picked), default=0.0)
            return value[i] * (1.0 - REDUNDANCY * overlap)

        best = max(remaining, key=gain)
        for i in _with_continuation(candidates, best):
            if i in remaining:
                remaining.remove(i)
            # The budget rule holds for a continuation too: nothing is added once the budget is reached.
            if i not in picked and total < max_chars:
                picked.append(i)
                total += len(candidates[i].text)
    return picked


def _with_continuation(candidates: list[_Candidate], i: int) -> list[int]:
    """`i`, plus the next sentence of the same passage when sentence `i` ends with a colon."""
    nxt = i + 1
    if candidates[i].text.rstrip().endswith(("：", ":")) and nxt < len(candidates):
        if candidates[nxt].passage == candidates[i].passage:
            return [i, nxt]
    return [i]


def _answer(question: str, hits: tuple[Hit, ...], picks: list[_Candidate]) -> Answer:
    """Picks in reading order: passages in the order of their best pick, sentences by position inside each."""
    first_pick = {}
    for rank, cand in enumerate(picks):
        first_pick.setdefault(cand.passage, rank)
    ordered = sorted(picks, key=lambda c: (first_pick[c.passage], c.start))
    sentences = tuple(AnswerSentence(c.text, c.passage, c.start, c.end) for c in ordered)
    return Answer(question, "".join(s.text for s in sentences), sentences, hits, found=True)


def _not_found(question: str, hits: tuple[Hit, ...]) -> Answer:
    return Answer(question, "", (), hits, found=False, message=NOT_FOUND)


def _bigrams(text: str) -> set[str]:
    compact = re.sub(r"[\s\W_]+", "", text)
    return {compact[i : i + 2] for i in range(len(compact) - 1)}


def _containment(a: set[str], b: set[str]) -> float:
    """Share of `a`'s bigrams also in `b`: 1.0 when sentence a repeats what b already says."""
    return len(a & b) / len(a) if a else 1.0
