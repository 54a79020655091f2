"""Plain answer baselines that `policyqa eval --qa` reports beside the system, from the same passages.

- `best_sentence`: the one sentence of the passages with the most IDF-weighted question words.
- `lead`: the first sentence of the top passage (what a reader sees first without any answering).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..datamodels import Answer, AnswerSentence, Hit
from ..text.keywords import idf_lookup
from ..text.sentences import split_sentences
from ..text.words import default_tokenizer


def best_sentence(question: str, hits: Sequence[Hit]) -> Answer:
    """The sentence holding the most IDF-weighted question words (substring match), alone."""
    terms = set(default_tokenizer().tokenize(question))
    idf = idf_lookup(None)
    best: tuple[float, AnswerSentence] | None = None
    for passage, hit in enumerate(hits):
        for s in split_sentences(hit.chunk.text):
            score = sum(idf(t) for t in terms if t in s.text)
            if best is None or score > best[0]:
                best = (score, AnswerSentence(s.text, passage, s.start, s.end))
    return _single(question, hits, best[1] if best else None)


def lead(question: str, hits: Sequence[Hit]) -> Answer:
    """The first sentence of the top passage."""
    first = split_sentences(hits[0].chunk.text)[:1] if hits else []
    sentence = AnswerSentence(first[0].text, 0, first[0].start, first[0].end) if first else None
    return _single(question, hits, sentence)


def _single(question: str, hits: Sequence[Hit], sentence: AnswerSentence | None) -> Answer:
    """A one-sentence answer that is always given (baselines never decline) or empty without passages."""
    if sentence is None:
        return Answer(question, "", (), tuple(hits), found=False, confidence=0.0)
    return Answer(question, sentence.text, (sentence,), tuple(hits), found=True, confidence=1.0)


BASELINES: dict[str, Callable[[str, Sequence[Hit]], Answer]] = {
    "best_sentence": best_sentence,
    "lead": lead,
}
"""The baselines by the name `eval` reports them under."""
