"""Train the answer ranker (embed/data/answer_ranker.json) from synthetic questions over unlabeled news.

No question written by a person is used: questions are made from ../shared/train/news_corpus by hiding a
fact (a date, a figure, an organisation) in a sentence and asking for it with the matching question word,
keeping only part of the sentence's other words (people ask with fewer words than the text has).

- answerable: the article holding the sentence is in the archive that is searched;
- unanswerable, near: the article is in the archive but that sentence was cut out of it before indexing
  (the archive is about the topic, yet never states the fact: the hardest case to decline);
- unanswerable, far: the article is not in the archive at all.

The archive is indexed exactly as `policyqa index` does (built-in model), each question is searched
(hybrid, top 5), and every candidate sentence gets its features. The sentence model learns which candidate
holds the hidden fact; the confidence model learns, from the best candidate's evidence, whether it does.

    .venv/bin/python scripts/train_answer_ranker.py [--articles 1500] [--threshold 0.05] [--seed 13]

Deterministic for a given seed and corpus. Takes about 3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import random
import re
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from embed.answer_features import FEATURES, candidate_sentences, sentence_features
from embed.answer_ranker import (
    CONFIDENCE_FEATURES,
    RANKER_FILE,
    AnswerRanker,
    confidence_features,
    fit_linear,
    save_ranker,
)
from embed.config import Settings
from embed.pipeline import build, open_retriever
from embed.sentences import split_sentences
from embed.tokenize import STOPWORDS, default_tokenizer

REPO = Path(__file__).resolve().parent.parent
NEWS = REPO.parent / "shared" / "train" / "news_corpus" / "docs.jsonl.gz"

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

SENTENCE_C = 0.01
"""Inverse regularisation of the sentence model. Synthetic questions make some features (the asked type)
near-perfect signals that real questions do not; strong regularisation keeps their weights modest.
Chosen among 0.001-1.0 on the dev sets (top-sentence accuracy), the only thing chosen there."""

_CLAUSE = re.compile(r"[，,；;：:]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Question:
    """A synthetic question; `answer` is the hidden fact, `answerable` whether the archive still holds it."""

    text: str
    answer: str
    answerable: bool


def read_news(path: Path, n: int, seed: int) -> list[str]:
    """`n` articles of 300-3,000 characters, drawn with `seed`."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        texts = [t for t in (json.loads(line)["text"] for line in handle) if 300 <= len(t) <= 3000]
    return random.Random(seed).sample(texts, n)


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


def featurize(retriever, questions: list[Question]) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Per question: candidate feature rows, labels (holds the hidden fact), the top passage's cosine."""
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
        out.append((rows, labels, float(hits[0].dense_score or 0.0)))
    return out


def train(data: list[tuple[np.ndarray, np.ndarray, float]], threshold: float) -> AnswerRanker:
    """Fit the sentence model on answerable questions, then the confidence model on all of them."""
    rows = np.concatenate([r for r, y, _ in data if y.any()])
    labels = np.concatenate([y for _, y, _ in data if y.any()])
    sentence = fit_linear(rows, labels, FEATURES, c=SENTENCE_C)
    evidence = np.stack([confidence_features(sentence.logit(r), r, d) for r, _, d in data])
    right = np.array([y[int(np.argmax(sentence.logit(r)))] for r, y, _ in data])
    confidence = fit_linear(evidence, right, CONFIDENCE_FEATURES)
    return AnswerRanker(sentence, confidence, threshold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1500, help="articles in the synthetic archive")
    parser.add_argument("--outside", type=int, default=300, help="articles whose questions it cannot answer")
    parser.add_argument(
        "--near-share", type=float, default=0.2, help="share of questions cut from the archive"
    )
    parser.add_argument(
        "--threshold", type=float, default=0.35, help="confidence below which answers decline"
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, default=RANKER_FILE)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    start = time.perf_counter()
    rng = random.Random(args.seed)
    texts = read_news(NEWS, args.articles + args.outside, args.seed)
    indexed, questions = make_questions(texts[: args.articles], texts[args.articles :], rng, args.near_share)
    with tempfile.TemporaryDirectory(prefix="policyqa-ranker-") as tmp:
        corpus = Path(tmp) / "archive.jsonl"
        lines = (
            json.dumps({"id": f"syn-{i:05d}", "text": t}, ensure_ascii=False) for i, t in enumerate(indexed)
        )
        corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
        settings = Settings(index_dir=Path(tmp) / "index")
        build(settings, [corpus])
        data = featurize(open_retriever(settings), questions)
    ranker = train(data, args.threshold)
    save_ranker(ranker, args.out)
    answerable = sum(q.answerable for q in questions)
    print(f"{len(questions)} questions ({answerable} answerable), {len(data)} with passages")
    print(f"first candidate holds the fact: {_top_hit_rate(ranker, data):.3f} of answerable questions")
    for model in (ranker.sentence, ranker.confidence):
        for name, weight in sorted(zip(model.names, model.coef, strict=True), key=lambda p: -abs(p[1])):
            print(f"  {name:18} {weight:+.3f}")
        print()
    print(f"wrote {args.out} in {time.perf_counter() - start:.0f} s")


def _top_hit_rate(ranker: AnswerRanker, data: list[tuple[np.ndarray, np.ndarray, float]]) -> float:
    answerable = [(r, y) for r, y, _ in data if y.any()]
    return sum(y[int(np.argmax(ranker.sentence.logit(r)))] for r, y in answerable) / max(len(answerable), 1)


if __name__ == "__main__":
    main()
