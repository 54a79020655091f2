"""Synthetic questions for training the answer ranker: hide a fact of a sentence and ask for it.

No question written by a person is used. A sentence's date, figure or organisation is replaced by the
matching question word, and only part of the sentence's other words are kept (people ask with fewer
words than the text has), sometimes with a word of the article's lead (people say which meeting or
project they mean). Questions are answerable (the article is in the archive searched), unanswerable and
near (the sentence was cut out of its article before indexing: the archive is about the topic, yet never
states the fact), or unanswerable and far (the article is not in the archive).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..text.sentences import split_sentences
from ..text.words import STOPWORDS, default_tokenizer
from .features import candidate_sentences, sentence_features

if TYPE_CHECKING:
    from ..search.retrieve import Retriever

FACTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?:\d{4}年)?\d{1,2}月\d{1,2}日"), "什么时候"),
    (
        re.compile(
            r"\d+(?:\.\d+)?(?:%|万亿|亿|万|千)?(?:元|人|个|家|亩|平方米|米|公里|吨|户|项|次|所|件|名|辆|台|套|倍|条|座)"
        ),
        "多少",
    ),
)
"""(fact pattern, question word): figures and dates that can be hidden, and how a person asks for them."""

ORGANISATION = re.compile(r"[\u4e00-\u9fff]{2,8}(?:公司|集团|银行|大学|医院|委员会|研究院|管理局|人民政府)")
"""An organisation's name; its start is cut after the last ORG_BOUNDARY character (据X大学 -> X大学)."""

ORG_BOUNDARY = re.compile(r"^.*[据在于往向由与和及的是对从到为被把了经]")

DROP_SHARE = 0.4
"""Share of the kept clause's other words left out of the question (askers use fewer words than the text)."""

TOPIC_SHARE = 0.5
"""Chance that a question also names its article's topic: a word of the article's first sentence, as people
say which meeting or project they mean. This makes the lead sentences the decoys they are in real use."""

_CLAUSE = re.compile(r"[，,；;：:]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Question:
    """A synthetic question; `answer` is the hidden fact, `answerable` whether the archive still holds it."""

    text: str
    answer: str
    answerable: bool


@dataclass(frozen=True, slots=True, eq=False)
class Sample:
    """One searched question: its candidates' feature rows, which hold the fact, the top passage's cosine."""

    rows: np.ndarray
    labels: np.ndarray
    passage_dense: float


def make_question(sentence: str, rng: random.Random, topic: str = "") -> Question | None:
    """Hide one fact of `sentence` and ask for it, or None when the sentence has no usable fact.

    `topic` (the article's first sentence) may lend the question one of its words.
    """
    if not 15 <= len(sentence) <= 150:
        return None
    found = [(m.group(), word) for pattern, word in FACTS for m in pattern.finditer(sentence)]
    names = (ORG_BOUNDARY.sub("", m.group()) for m in ORGANISATION.finditer(sentence))
    found += [(name, "哪个单位") for name in names if len(name) >= 4]
    if not found:
        return None
    fact, word = rng.choice(found)
    clauses = _CLAUSE.split(sentence)
    at = next((i for i, c in enumerate(clauses) if fact in c), None)
    if at is None:  # the fact spans a clause mark
        return None
    kept = clauses[max(0, at - rng.randint(0, 1)) : at + 1]
    text = "，".join(kept).replace(fact, "\0", 1).rstrip("。！？!?；;…”’")
    tokenizer = default_tokenizer()
    words = []
    for piece in tokenizer.segment(text):
        content = piece.strip() and piece not in STOPWORDS and "\0" not in piece
        if content and rng.random() < DROP_SHARE:
            continue
        words.append(piece)
    asked = word if word != "多少" else re.sub(r"\d+(?:\.\d+)?", "多少", fact, count=1)
    question = "".join(words).replace("\0", asked) + "？"
    topic_words = [w for w in tokenizer.tokenize(topic) if len(w) >= 2 and w not in question]
    if topic_words and rng.random() < TOPIC_SHARE:
        question = rng.choice(topic_words) + question
    if "\0" in "".join(words) and len(tokenizer.tokenize(question)) >= 2:
        return Question(question, fact, True)
    return None


def make_questions(
    archive: list[str], outside: list[str], rng: random.Random, near_share: float
) -> tuple[list[str], list[Question]]:
    """The archive as it will be indexed (near-unanswerable sentences cut out) and all questions."""
    indexed, questions = [], []
    for text in archive:
        sentences = [s.text for s in split_sentences(text)]
        made = [(s, q) for s in sentences[1:] if (q := make_question(s, rng, sentences[0]))]
        if not made:
            indexed.append(text)
            continue
        sentence, question = rng.choice(made)
        if rng.random() < near_share and text.count(question.answer) == 1:
            indexed.append(text.replace(sentence, ""))
            questions.append(replace(question, answerable=False))
        else:
            indexed.append(text)
            questions.append(question)
    for text in outside:
        sentences = [s.text for s in split_sentences(text)]
        made = [q for s in sentences[1:] if (q := make_question(s, rng, sentences[0]))]
        if made:
            questions.append(replace(rng.choice(made), answerable=False))
    return indexed, questions


def question_samples(retriever: Retriever, questions: Sequence[Question]) -> list[Sample]:
    """Search each question (hybrid, top 5); measure its candidates, labelled by holding the hidden fact."""
    tokenizer, encoder = retriever.index.tokenizer, retriever.encoder
    out = []
    for q in questions:
        hits = retriever.search(q.text, k=5)
        candidates = candidate_sentences(hits)
        if not candidates:
            continue
        terms = list(dict.fromkeys(tokenizer.tokenize(q.text)))
        rows = sentence_features(q.text, terms, candidates, encoder)
        answer = _SPACE.sub("", q.answer)
        labels = np.array(
            [q.answerable and answer in _SPACE.sub("", c.text) for c in candidates], dtype=float
        )
        out.append(Sample(rows, labels, float(hits[0].dense_score or 0.0)))
    return out
