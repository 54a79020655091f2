"""Word segmentation shared by BM25, the built-in model, answers and keywords: jieba plus protected spans."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

import jieba

STOPWORDS = frozenset(
    """
    的 了 和 与 及 或 在 是 为 对 等 把 被 将 从 向 于 以 之 也 都 而 并 其 这 那 此 该 各 每 个 上 下 中 内
    有 要 就 又 还 已 已经 着 过 让 使 给 由 按 至 至于 但 而且 并且 因为 所以 如果 虽然 可以 进行 通过 一个 一些
    我们 他们 你们 自己 什么 多少 哪些 哪个 哪里 哪 几 几个 怎么 怎样 如何 为何 何时 什么时候 时候 是否 吗 呢 吧 啊
    请问 请 问 告诉 一下 情况 方面 有关 关于 哪年 多大 多长 多久 谁 为什么
    """.split()
)
"""Function words and question words: frequent, uninformative, and in questions never in the answer text."""

PROTECTED = re.compile(
    r"\d+(?:\.\d+)?(?:年|月|日|号|时|点|分)(?:\d+(?:\.\d+)?(?:年|月|日|号|时|点|分))*"  # dates: 2019年8月16日, 5月1日
    r"|\d+(?:[.,]\d+)*(?:%|‰|万亿|亿|万|千|百)?(?:元|人|个|家|亩|平方米|米|公里|千米|吨|户|项|次|所|件|名|天)?"
    r"|[A-Za-z][A-Za-z\-]*"
)
"""Spans kept whole: dates, numbers with their magnitude and unit (19.5%, 417亿元, 296亩), Latin words."""

_PUNCT = re.compile(r"^[\W_]+$")


class Tokenizer:
    """jieba segmentation with stopwords, whole numbers and dates, and a user dictionary of domain terms.

    Each instance owns its jieba dictionary, so two indexes with different user words never interfere.
    """

    def __init__(self, user_words: Iterable[str] = ()) -> None:
        self._jieba = jieba.Tokenizer()
        self._lock = threading.Lock()  # jieba's lazy initialisation is not thread-safe
        self.user_words: tuple[str, ...] = tuple(sorted({w for w in user_words if w.strip()}))
        for word in self.user_words:
            # A high frequency makes jieba keep the term whole even where its parts are common words.
            self._jieba.add_word(word, freq=200_000)

    def segment(self, text: str) -> list[str]:
        """All pieces in order (no filtering), protected spans kept whole."""
        with self._lock:
            self._jieba.initialize()
        pieces: list[str] = []
        pos = 0
        for match in PROTECTED.finditer(text):
            if match.start() > pos:
                pieces.extend(self._jieba.lcut(text[pos : match.start()], HMM=True))
            pieces.append(match.group())
            pos = match.end()
        if pos < len(text):
            pieces.extend(self._jieba.lcut(text[pos:], HMM=True))
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """Content tokens: segmented, lower-cased, without stopwords, punctuation or whitespace."""
        out = []
        for piece in self.segment(text):
            token = piece.strip().lower()
            if token and token not in STOPWORDS and not _PUNCT.match(token):
                out.append(token)
        return out


_DEFAULT: Tokenizer | None = None


def default_tokenizer() -> Tokenizer:
    """A process-wide tokenizer without user words (for summaries of loose text)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Tokenizer()
    return _DEFAULT


def tokenize(text: str) -> list[str]:
    """Content tokens of `text` with the default tokenizer."""
    return default_tokenizer().tokenize(text)
