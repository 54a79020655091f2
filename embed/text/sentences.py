"""Chinese-aware sentence splitting with character spans, shared by every stage that cuts sentences."""

from __future__ import annotations

import re

from ..datamodels import Sentence

SENTENCE_END = "。！？!?；;…"
"""Characters that end a sentence. Ellipses and semicolons end one too: news lists clauses with ；."""

CLOSERS = "”’」』）)】》\"'"
"""Closing quotes and brackets that belong to the sentence before them (「……。」 keeps its 」)."""

_SENTENCE_RE = re.compile(
    rf"[^{SENTENCE_END}\n]+(?:[{SENTENCE_END}]+[{re.escape(CLOSERS)}]*|$)|[{SENTENCE_END}]+", re.M
)
"""A run of non-enders followed by enders (+ closers), or an unterminated tail: no text is ever dropped."""


def split_sentences(text: str) -> list[Sentence]:
    """Split `text` into sentences with [start, end) spans; line breaks also end a sentence.

    Leading/trailing whitespace of each sentence is trimmed (spans follow the trim); blank pieces vanish.
    Joining the sentences' spans back covers every non-blank character of `text` exactly once.
    """
    out: list[Sentence] = []
    for match in _SENTENCE_RE.finditer(text):
        start, end = match.span()
        piece = text[start:end]
        stripped = piece.strip()
        if not stripped:
            continue
        lead = len(piece) - len(piece.lstrip())
        out.append(Sentence(stripped, start + lead, start + lead + len(stripped)))
    return out
