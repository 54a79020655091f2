"""Vocabulary of the built-in model: jieba pieces of the corpus as a `tokenizers` Unigram model, plus IDF."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from tokenizers import Tokenizer as HFTokenizer
from tokenizers import models, normalizers, pre_tokenizers

from ..text.words import STOPWORDS, Tokenizer

MAX_VOCAB = 150_000
"""Most multi-character pieces kept (by frequency); rarer words fall back to sub-words and characters."""

MAX_CHARS_PER_TOKEN = 8
"""Characters of a token that feed its vector (longer tokens are numbers or Latin words)."""

ENCODE_SLICE = 2048
"""Texts tokenized per call (bounds the memory of the tokenizer's Encoding objects)."""

NEW_WORD_MIN_COUNT = 2
"""A corpus word the base model lacks joins the vocabulary when seen this often (once is often noise)."""

UNK = "<unk>"
"""Token of characters never seen in the corpus: it has a zero vector."""

FALLBACK_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz%."
"""Always in the vocabulary, so that unseen numbers and Latin words still split into known pieces."""

_NON_CONTENT = re.compile(r"^[\W_]+$")
"""Punctuation and symbols: like stopwords, they carry no meaning and get a zero vector."""


@dataclass(frozen=True, slots=True, eq=False)
class Vocabulary:
    """Tokens, the Rust tokenizer that produces them, and per-token IDF and character composition.

    `idf` is zero for `<unk>`, stopwords and punctuation; `char_ids[i]` are 1-based character ids of token
    i (0 pads) and `char_weights[i]` their weights (1/len for CJK words, zero otherwise).
    """

    tokens: tuple[str, ...]
    tokenizer: HFTokenizer
    idf: np.ndarray
    char_ids: np.ndarray
    char_weights: np.ndarray

    def encode(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Content-token ids of each text (tokens with zero IDF dropped), as the saved model tokenizes."""
        return [ids[self.idf[ids] > 0] for ids in token_ids(self.tokenizer, texts)]


def token_ids(tokenizer: HFTokenizer, texts: Sequence[str]) -> Iterator[np.ndarray]:
    """Token ids of each text, tokenized in slices: Encoding objects are large, so few live at once."""
    for start in range(0, len(texts), ENCODE_SLICE):
        piece = list(texts[start : start + ENCODE_SLICE])
        for encoding in tokenizer.encode_batch(piece, add_special_tokens=False):
            yield np.asarray(encoding.ids, dtype=np.int32)


def build_vocabulary(
    texts: Sequence[str], user_words: Sequence[str] = (), max_words: int = MAX_VOCAB
) -> Vocabulary:
    """Segment `texts` with jieba and turn the pieces into a Unigram tokenizer, IDF and character tables.

    `max_words` caps the multi-character pieces (the most frequent are kept); every character stays.
    """
    counts = _piece_counts(texts, user_words, max_words)
    tokens = (UNK, *sorted(counts, key=lambda p: (-counts[p], p)))
    total = sum(counts.values())
    # Unigram scores are log-probabilities: the most probable split of a run of characters is jieba's own
    # dictionary segmentation (jieba also maximises the product of word frequencies).
    pieces = [(UNK, 0.0)] + [(p, math.log(counts[p] / total)) for p in tokens[1:]]
    return _vocabulary(pieces, texts)


def extend_vocabulary(
    base: HFTokenizer,
    texts: Sequence[str],
    user_words: Sequence[str] = (),
    min_count: int = NEW_WORD_MIN_COUNT,
) -> Vocabulary:
    """A base model's vocabulary plus the corpus's own words that it lacks, base ids first and unchanged.

    New words are jieba pieces of `texts` (with `user_words` kept whole) seen at least `min_count` times,
    every user word and every unseen character. They score as in the corpus, user words as the base's
    likeliest piece, so the tokenizer keeps a district term such as 沁泉湖 whole rather than splitting it.
    """
    pieces = [(str(p), float(s)) for p, s in json.loads(base.to_str())["model"]["vocab"]]
    known = {p for p, _ in pieces}
    counts = _piece_counts(texts, user_words, MAX_VOCAB)
    total = sum(counts.values())
    top = max(s for p, s in pieces if p != UNK)
    users = {_normalize(w) for w in user_words}
    # Unseen characters always join: without them a rare name would be <unk> and vanish from the vector.
    fresh = sorted(
        p for p, n in counts.items() if p not in known and (len(p) == 1 or n >= min_count or p in users)
    )
    pieces += [(p, top if p in users else math.log(counts[p] / total)) for p in fresh]
    return _vocabulary(pieces, texts)


def _vocabulary(pieces: list[tuple[str, float]], texts: Sequence[str]) -> Vocabulary:
    """The Unigram tokenizer over `pieces` (token id = position), with IDF over `texts` and char tables."""
    tokens = tuple(p for p, _ in pieces)
    tokenizer = HFTokenizer(models.Unigram(pieces, unk_id=0, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    content = np.array([_is_content(t) for t in tokens])
    idf = _idf(tokenizer, texts, len(tokens)) * content
    char_ids, char_weights = _char_tables(tokens, content)
    return Vocabulary(tokens, tokenizer, idf.astype(np.float32), char_ids, char_weights)


def _normalize(text: str) -> str:
    """The tokenizer's own normalisation (NFKC, lower case), so jieba sees the text the model will see."""
    return unicodedata.normalize("NFKC", text).lower()


def _piece_counts(texts: Sequence[str], user_words: Sequence[str], max_words: int) -> Counter[str]:
    """Frequencies of jieba pieces (capped at `max_words` words) and of every character (at least 1)."""
    jieba = Tokenizer((_normalize(w) for w in user_words), bulk=True)
    words: Counter[str] = Counter()
    chars: Counter[str] = Counter(FALLBACK_CHARS)
    for text in texts:
        for piece in jieba.segment(_normalize(text)):
            if not piece or any(c.isspace() for c in piece):
                continue
            if len(piece) == 1:
                chars[piece] += 1
            else:
                words[piece] += 1
                chars.update(set(piece))  # every character is a token: the fallback for unseen words
    kept = Counter(dict(words.most_common(max_words)))
    kept.update(chars)
    return kept


def _is_content(token: str) -> bool:
    """Whether a token carries meaning (not `<unk>`, a stopword or punctuation)."""
    return token != UNK and token not in STOPWORDS and not _NON_CONTENT.match(token)


def _idf(tokenizer: HFTokenizer, texts: Sequence[str], size: int) -> np.ndarray:
    """Smoothed IDF of every token over `texts`, counted on the tokenizer's own output."""
    df = np.zeros(size, dtype=np.float64)
    for ids in token_ids(tokenizer, texts):
        df[np.unique(ids)] += 1
    return np.log((len(texts) + 1) / (df + 1)) + 1.0


def _char_tables(tokens: Sequence[str], content: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1-based character ids and weights of each CJK content token (0 and 0 elsewhere)."""
    ids = np.zeros((len(tokens), MAX_CHARS_PER_TOKEN), dtype=np.int64)
    weights = np.zeros((len(tokens), MAX_CHARS_PER_TOKEN), dtype=np.float32)
    index: dict[str, int] = {}
    for row, token in enumerate(tokens):
        if not content[row] or token.isascii() or len(token) > MAX_CHARS_PER_TOKEN:
            continue
        for col, char in enumerate(token):
            ids[row, col] = index.setdefault(char, len(index) + 1)
            weights[row, col] = 1.0 / len(token)
    return ids, weights
