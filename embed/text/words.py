"""Word segmentation shared by BM25, the built-in model, answers and keywords: jieba plus protected spans."""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import jieba

from .lexicon import Lexicon, cached_lexicon

if TYPE_CHECKING:
    import rjieba

logger = logging.getLogger(__name__)

STOPWORDS = frozenset(
    """
    的 了 和 与 及 或 在 是 为 对 等 把 被 将 从 向 于 以 之 也 都 而 并 其 这 那 此 该 各 每 个 上 下 中 内
    有 要 就 又 还 已 已经 着 过 让 使 给 由 按 至 至于 但 而且 并且 因为 所以 如果 虽然
    可以 进行 通过 一个 一些
    我们 他们 你们 自己 什么 多少 哪些 哪个 哪里 哪 几 几个 怎么 怎样 如何 为何 何时
    什么时候 时候 是否 吗 呢 吧 啊
    请问 请 问 告诉 一下 情况 方面 有关 关于 哪年 多大 多长 多久 谁 为什么
    """.split()
)
"""Function words and question words: frequent, uninformative, and in questions never in the answer text."""

PROTECTED = re.compile(
    r"\d+(?:\.\d+)?(?:年|月|日|号|时|点|分)(?:\d+(?:\.\d+)?(?:年|月|日|号|时|点|分))*"  # 2019年8月16日
    r"|\d+(?:[.,]\d+)*(?:%|‰|万亿|亿|万|千|百)?(?:元|人|个|家|亩|平方米|米|公里|千米|吨|户|项|次|所|件|名|天)?"
    r"|[A-Za-z][A-Za-z\-]*"
)
"""Spans kept whole: dates, numbers with their magnitude and unit (19.5%, 417亿元, 296亩), Latin words."""

PLACE_SUFFIXES = ("街道", "公园", "社区", "大道", "广场", "湖", "河", "村", "镇", "乡", "湾", "山")
"""Endings of local proper nouns (沁泉湖, 大沙河, 李万街道); the names before them are learned."""

QUOTED_TERM = re.compile(r"[“「『]([\u4e00-\u9fff]{2,8})[”」』]")
"""A short all-Chinese term in quotes: news puts coined slogans and programme names in quotes (“四城联创”)."""

LEARN_MAX_CHARS = 3_000_000
"""Learning reads at most this much text: terms frequent enough to matter show up well before that."""

COHESION = 0.6
"""A word pair is a term when at least this share of the rarer word's occurrences are inside the pair."""

HMM_MAX_RUN = 200
"""Longest run of Chinese characters segmented with jieba's HMM; longer runs use the dictionary alone.
The HMM (finalseg's Viterbi) copies its best path at every character, so its cost grows with the square of
an unbroken run of unknown characters: 20,000 took 1.2 s, 200,000 about 105 s. Cutting such runs into
200-character windows made it linear but still cost about 3 s for 200,000 random characters, against
under 1 s without the HMM. News has punctuation far more often than every 200 characters, so real text
keeps the HMM (which finds names missing from the dictionary); only runs no news text has lose it."""

SEGMENT_CACHE_BLOCKS = 100_000
"""Most blocks a batch run's tokenizer remembers the segmentation of, per mode (with and without the HMM).

A batch segments the same text twice (passages for IDF, then each article's sentences for its summary),
and a block of Chinese text between two punctuation marks is short and often repeated, so remembering
block -> pieces makes the second pass nearly free. 800 news articles (450,000 characters) have about
34,000 distinct blocks at about 600 bytes each, so a full cache holds about 60 MB per mode. Once full it
keeps what it has and remembers nothing more: a batch larger than the bound still finds its first
articles' blocks when it summarizes them (emptying it, or evicting the oldest, would leave the summary
pass, which runs in the same order as the IDF pass, nothing to find). Other tokenizers (an index's, the
server's) remember nothing by default: they segment each text once, and a long-lived server should not
grow by what it has read."""

_JIEBA_BLOCK = jieba.re_han_default
"""jieba cuts each maximal run of these characters on its own and passes every other character through
(whitespace as is, `\\r\\n` as one piece), so a text's pieces are the concatenation of its blocks' pieces."""

_JIEBA_SKIP = jieba.re_skip_default

_HAN_ONLY = re.compile(r"[\u4e00-\u9fd5]+")
"""A block of jieba's own Chinese range and nothing else: where jieba-rs cuts as jieba does.

jieba-rs (rjieba) carries jieba's dictionary and HMM. On such blocks it gives jieba's pieces, with and
without the HMM: 0 differences on the 2.5M characters of the eval news without user words, and on the
summary sets with the 1,537 user words they teach. Where a block mixes in Latin letters or digits (3-4, 5G)
it keeps runs together that jieba splits, so those blocks stay with jieba. What still differs is an exact
tie between two routes, which the two round apart: 摸手+摸 against 摸+手摸, 2 of 412,000 cuts of the news
archive with its 5,323 user words (ties between user words are avoided: see USER_WORD_FREQ)."""

_NOT_HAN_ONLY = re.compile(r"[a-zA-Z0-9+#&._%\-\u9fd6-\u9fff]")
"""A character that jieba reads inside a block beside Chinese (or, past U+9FD5, outside one): a text without
any is all `_HAN_ONLY` blocks and characters jieba-rs passes through as jieba does (whitespace, punctuation),
so jieba-rs can cut it whole. That is most text once numbers and Latin words are protected (96 % of the
news archive's characters), and one call instead of one per block is what makes jieba-rs pay off."""

TOTAL_PAD = "\U000f0000\U000f0001"
"""A word no text holds (private-use characters), added to jieba-rs with the frequency that makes its
total equal jieba's: jieba's `add_word` adds a user word's whole frequency to the total even when the word
is already in the dictionary, jieba-rs replaces the old frequency, and the total is every route's
denominator (a different total splits 桥梁工程 where jieba keeps it whole)."""

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LONG_RUN = re.compile(rf"[\u4e00-\u9fff]{{{HMM_MAX_RUN + 1},}}")
_PUNCT = re.compile(r"^[\W_]+$")
_EDGE_CHARS = frozenset(
    "的了和与及或在是为对等把被将从向于以之也都而并其这那此该各每个上下中内有要就又还已着过让使给由按至但一到"
)
"""Characters that rarely start or end a name; a candidate with one at its edge is a phrase, not a term."""


USER_WORD_FREQ = 200_000
"""jieba frequency of a user word: high enough that jieba keeps the term whole even where its parts are
common words. Each word gets its own, USER_WORD_FREQ plus its rank by length (`Tokenizer.user_freq`): where
two user words overlap (吴中区纪委 + 监委 against 吴中区 + 纪委监委) equal frequencies tie exactly, and
jieba and jieba-rs round such a tie apart; distinct ones let the longer word win in both."""

_BASE_LOCK = threading.Lock()
_BASE: Lexicon | None = None


def _base_dictionary() -> Lexicon:
    """The default jieba prefix dictionary (word -> frequency; meta["total"]), by first character.

    Read from a cache of jieba's own dictionary (see embed.text.lexicon): a question reads the entries of its
    own characters in milliseconds instead of the whole dictionary (0.8 s, 60 MB).
    """
    global _BASE
    with _BASE_LOCK:  # jieba's lazy initialisation is not thread-safe
        if _BASE is None:
            _BASE = cached_lexicon(Path(jieba.__file__).parent / "dict.txt", "jieba-dict", _read_jieba)
        return _BASE


def _read_jieba() -> tuple[dict[str, int], dict[str, int]]:
    base = jieba.Tokenizer()
    base.initialize()
    return base.FREQ, {"total": base.total}


class Tokenizer:
    """jieba segmentation with stopwords, whole numbers and dates, and a user dictionary of domain terms.

    Each instance owns its jieba dictionary, so two indexes with different user words never interfere.
    The dictionary is filled one first character at a time, before jieba sees a text with that character,
    with exactly the entries `jieba.add_word` would leave there; jieba only looks up substrings of the text
    it cuts, so it segments as with the whole dictionary loaded.
    """

    def __init__(self, user_words: Iterable[str] = (), *, cache_blocks: int = 0, bulk: bool = False) -> None:
        """A tokenizer that keeps `user_words` whole.

        `cache_blocks`: how many blocks' pieces it remembers per mode (SEGMENT_CACHE_BLOCKS suits a batch
        that reads its text twice; 0, the default, remembers nothing).
        `bulk`: cut Chinese text with jieba-rs (`_HAN_ONLY`, `_NOT_HAN_ONLY`): the same pieces 7-8 times
        faster (benchmarks/segmentation_speed.py), for about 0.35 s and 57 MB on first use (importing
        rjieba, then its segmenter with these user words). For index builds and batches; a server
        answering questions keeps jieba's lazily filled table (cold start).
        """
        self._jieba = jieba.Tokenizer()
        self._base = _base_dictionary()
        self.user_words: tuple[str, ...] = tuple(sorted({w.strip() for w in user_words if w.strip()}))
        self.user_freq: dict[str, int] = {
            word: USER_WORD_FREQ + rank
            for rank, word in enumerate(sorted(self.user_words, key=lambda w: (len(w), w)))
        }
        """The jieba frequency of each user word (see USER_WORD_FREQ)."""
        self._user_by_char: dict[str, list[str]] = {}
        for word in self.user_words:
            self._user_by_char.setdefault(word[0], []).append(word)
        total = self._base.meta["total"] + sum(self.user_freq.values())  # as add_word counts
        self._jieba.FREQ, self._jieba.total, self._jieba.initialized = {}, total, True
        self._loaded: set[str] = set()
        self._load_lock = threading.Lock()
        # Block -> pieces, without and with the HMM. A block's pieces depend only on dictionary entries that
        # start with one of its own characters, which never change once loaded, so an entry stays valid.
        self._blocks: tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]] = ({}, {})
        self._cache_blocks = cache_blocks
        self._bulk = bulk
        self._rust: rjieba.Jieba | None = None

    def _fast(self) -> rjieba.Jieba:
        """The jieba-rs segmenter with this tokenizer's user words and jieba's total (made on first use)."""
        if self._rust is not None:  # made already: no lock for every text cut
            return self._rust
        with self._load_lock:
            if self._rust is None:
                # Imported here: importing rjieba loads a default segmenter (0.2 s, 30 MB), which a server
                # answering questions with jieba's lazily filled table should not pay.
                import rjieba

                engine = rjieba.Jieba()
                already = 0
                for ch, user_words in self._user_by_char.items():
                    entries = self._base.shard(ch, keep=False)
                    for word in user_words:
                        already += entries.get(word) or 0
                        engine.add_word(word, self.user_freq[word], None)
                if already:
                    engine.add_word(TOTAL_PAD, already, None)
                self._rust = engine
            return self._rust

    def _ensure(self, text: str) -> None:
        """Put the dictionary entries of every character of `text` into jieba's table (once per character)."""
        missing = set(text) - self._loaded
        if not missing:
            return
        freq = self._jieba.FREQ
        with self._load_lock:
            for ch in missing - self._loaded:
                freq.update(self._base.shard(ch, keep=False))
                for word in self._user_by_char.get(ch, ()):
                    # What jieba.add_word(word, freq) does, for this character's words only.
                    freq[word] = self.user_freq[word]
                    for end in range(1, len(word)):
                        freq.setdefault(word[:end], 0)
                self._loaded.add(ch)

    def segment(self, text: str) -> list[str]:
        """All pieces in order (no filtering), protected spans kept whole."""
        pieces: list[str] = []
        pos = 0
        for match in PROTECTED.finditer(text):
            if match.start() > pos:
                pieces.extend(self._cut(text[pos : match.start()]))
            pieces.append(match.group())
            pos = match.end()
        if pos < len(text):
            pieces.extend(self._cut(text[pos:]))
        return pieces

    def _cut(self, text: str) -> list[str]:
        """Jieba with its HMM, except on runs of Chinese characters longer than HMM_MAX_RUN (linear time)."""
        if len(text) <= HMM_MAX_RUN:
            return self._lcut(text, True)
        pieces: list[str] = []
        pos = 0
        for match in _LONG_RUN.finditer(text):
            pieces.extend(self._lcut(text[pos : match.start()], True))
            pieces.extend(self._lcut(match.group(), False))
            pos = match.end()
        pieces.extend(self._lcut(text[pos:], True))
        return pieces

    def dictionary_cut(self, text: str) -> list[str]:
        """Dictionary segmentation alone (no HMM, no protected spans): `jieba.lcut(text, HMM=False)`."""
        return self._lcut(text, False)

    def _lcut(self, text: str, hmm: bool) -> list[str]:
        """`jieba.lcut(text, HMM=hmm)` with this tokenizer's dictionary.

        A bulk tokenizer cuts a text of Chinese blocks alone in one jieba-rs call (faster than remembering
        blocks); otherwise the text goes block by block, remembered when the tokenizer caches, or, for a
        plain tokenizer that remembers nothing, in one jieba call.
        """
        if self._bulk and not _NOT_HAN_ONLY.search(text):
            return self._fast().cut(text, hmm)
        if not self._cache_blocks and not self._bulk:
            # Nothing to remember: one jieba call over the whole text (cutting block by block costs an index
            # build about 30 % more tokenizing time).
            self._ensure(text)
            return self._jieba.lcut(text, HMM=hmm)
        cache = self._blocks[hmm]
        pieces: list[str] = []
        for block in _JIEBA_BLOCK.split(text):
            if not block:
                continue
            cut = cache.get(block)
            if cut is None:
                cut = self._cut_block(block, hmm)
                if len(cache) < self._cache_blocks:
                    cache[block] = cut
            pieces.extend(cut)
        return pieces

    def _cut_block(self, block: str, hmm: bool) -> tuple[str, ...]:
        """What jieba's `cut` yields for one part of `_JIEBA_BLOCK.split` (a run or what is between)."""
        if _JIEBA_BLOCK.match(block):
            if self._bulk and _HAN_ONLY.fullmatch(block):
                return tuple(self._fast().cut(block, hmm))
            # Only a run's own characters are looked up, so only they need their dictionary entries.
            self._ensure(block)
            return tuple(self._jieba.lcut(block, HMM=hmm))
        return tuple(
            x for part in _JIEBA_SKIP.split(block) for x in ((part,) if _JIEBA_SKIP.match(part) else part)
        )

    def tokenize(self, text: str) -> list[str]:
        """Content tokens: segmented, lower-cased, without stopwords, punctuation or whitespace."""
        out = []
        for piece in self.segment(text):
            token = piece.strip().lower()
            if token and token not in STOPWORDS and not _PUNCT.match(token):
                out.append(token)
        return out

    def tokenize_for_search(self, text: str) -> list[str]:
        """Content tokens plus the dictionary words inside long ones (城中村改造 -> 城中村, 改造, 城中村改造).

        BM25 uses this for passages and questions alike, so a question that names only part of a
        compound still matches it, while the whole term (a user word is never split) matches best.
        """
        out = []
        # jieba's table holds the entries of the characters it has cut; a bulk tokenizer's cuts went to
        # jieba-rs, which knows the same words (`has_word` agrees with jieba's table on every 2-3 gram tried).
        known = self._fast().has_word if self._bulk else self._jieba.FREQ.get
        for token in self.tokenize(text):
            if len(token) > 2 and _CJK_RUN.fullmatch(token):
                for size in (2, 3):
                    for i in range(len(token) - size + 1):
                        part = token[i : i + size]
                        if part != token and known(part) and part not in STOPWORDS:
                            out.append(part)
            out.append(token)
        return out


def read_user_words(path: str | Path | None) -> list[str]:
    """Words of a user dictionary file: one per line (jieba's `word [freq] [tag]` format also works).

    Blank lines and lines starting with `#` are ignored. A missing path gives a clear FileNotFoundError.
    """
    if path is None:
        return []
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"user dictionary {path} does not exist; fix POLICYQA_USER_DICT or create it")
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.append(line.split()[0])
    return words


def learn_user_words(texts: Iterable[str], min_count: int = 2) -> list[str]:
    """Domain terms of a corpus that plain jieba would split: quoted terms, place names, cohesive pairs.

    Args:
        texts: the corpus (article texts, titles); only the first LEARN_MAX_CHARS characters are read.
        min_count: how often a place name must occur to be trusted (word pairs need one more).

    Returns:
        Sorted terms, none of which contains punctuation or a digit.
    """
    words: set[str] = set()
    runs: list[str] = []
    total = 0
    for text in texts:
        if total >= LEARN_MAX_CHARS:
            break
        total += len(text)
        words.update(m.group(1) for m in QUOTED_TERM.finditer(text))
        runs.extend(_CJK_RUN.findall(text))
    words = {w for w in words if len(w) <= 6 and w[0] not in _EDGE_CHARS}
    plain = bulk_tokenizer()
    segmented = [plain.dictionary_cut(run) for run in runs]
    words.update(_place_names(segmented, min_count))
    words.update(_cohesive_pairs(segmented, min_count + 1))
    learned = sorted(w for w in words if w not in STOPWORDS)
    logger.info("learned %d user words from %d characters", len(learned), total)
    return learned


def _boundaries(pieces: list[str]) -> set[int]:
    ends, pos = {0}, 0
    for piece in pieces:
        pos += len(piece)
        ends.add(pos)
    return ends


def _place_names(segmented: list[list[str]], min_count: int) -> set[str]:
    """Shortest name + suffix that ends on a word boundary and whose left neighbours vary.

    Varied left neighbours mean the name starts there rather than one word earlier (沁泉湖, not 在沁泉湖).
    """
    counts: Counter[str] = Counter()
    left: defaultdict[str, set[str]] = defaultdict(set)
    for pieces in segmented:
        run, ends = "".join(pieces), _boundaries(pieces)
        for suffix in PLACE_SUFFIXES:
            start = run.find(suffix)
            while start != -1:
                if start + len(suffix) in ends:
                    for size in (2, 3):
                        begin = start - size
                        if begin < 0:
                            break
                        cand = run[begin : start + len(suffix)]
                        counts[cand] += 1
                        left[cand].add(run[begin - 1] if begin > 0 else "^")
                start = run.find(suffix, start + 1)
    found = set()
    for cand, n in counts.items():
        name = cand[: -next(len(s) for s in PLACE_SUFFIXES if cand.endswith(s))]
        if n < min_count or len(left[cand]) < 2 or name[0] in _EDGE_CHARS or name[-1] in _EDGE_CHARS:
            continue
        if len(name) == 3 and counts.get(cand[1:], 0) >= n and len(left[cand[1:]]) >= 2:
            continue  # the two-character name already explains it
        found.add(cand)
    return found


def _cohesive_pairs(segmented: list[list[str]], min_count: int) -> set[str]:
    """Two adjacent jieba words (2-3 characters each) that occur together most of the time the rarer does."""
    words: Counter[str] = Counter(w for pieces in segmented for w in pieces)
    pairs: Counter[tuple[str, str]] = Counter()
    for pieces in segmented:
        for first, second in zip(pieces, pieces[1:], strict=False):
            if 2 <= len(first) <= 3 and 2 <= len(second) <= 3:
                pairs[(first, second)] += 1
    found = set()
    for (first, second), n in pairs.items():
        if n >= min_count and n >= COHESION * min(words[first], words[second]):
            found.add(first + second)
    return found


_DEFAULT: Tokenizer | None = None


def default_tokenizer() -> Tokenizer:
    """A process-wide tokenizer without user words (for summaries of loose text)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Tokenizer()
    return _DEFAULT


_BULK: Tokenizer | None = None


def bulk_tokenizer() -> Tokenizer:
    """A process-wide bulk tokenizer without user words (for learning an archive's user words)."""
    global _BULK
    if _BULK is None:
        _BULK = Tokenizer(bulk=True)
    return _BULK


def tokenize(text: str) -> list[str]:
    """Content tokens of `text` with the default tokenizer."""
    return default_tokenizer().tokenize(text)
