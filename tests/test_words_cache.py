"""The tokenizer's block cache: the same pieces as jieba over the whole text, cold or warm, and bounded."""

from __future__ import annotations

import json

import jieba
import pytest

import embed.text.words as words
from embed.text.words import Tokenizer, learn_user_words

TRICKY = [
    "",
    "沁泉湖公园正式开园迎客，数千名市民前来游览。",
    "2019年8月16日，GDP增长6.5%，417亿元投向S104国道；C++ & C# 人才_计划.",
    "行首  两个空格\r\n换行\n\t制表\u3000全角空格 end",
    "鿖鿗罕用字夹在中间鿘，以及 emoji 😀 与 ｆｕｌｌ ｗｉｄｔｈ。",
    "沁" * 450 + "，公园开园。" + "鑫淼" * 300 + "abc" + "湖" * 201,
    "a-b_c.d%e#f&g+h 新区-东区 3.5-4.0",
]


class Uncached(Tokenizer):
    """The tokenizer as it was: jieba's lcut over each whole piece of text, nothing remembered."""

    def _lcut(self, text: str, hmm: bool) -> list[str]:
        self._ensure(text)
        return self._jieba.lcut(text, HMM=hmm)


def _texts(seeds_dir) -> list[str]:
    return TRICKY + [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*"))]


def _assert_same(
    texts: list[str], user_words: list[str], cache_blocks: int = words.SEGMENT_CACHE_BLOCKS
) -> Tokenizer:
    cached, plain = Tokenizer(user_words, cache_blocks=cache_blocks), Uncached(user_words)
    for _ in ("cold", "warm"):
        for text in texts:
            assert cached.segment(text) == plain.segment(text), text[:40]
            assert cached.dictionary_cut(text) == plain.dictionary_cut(text), text[:40]
            assert cached.tokenize_for_search(text) == plain.tokenize_for_search(text), text[:40]
    return cached


def test_the_uncached_reference_is_jieba_itself():
    assert Uncached().dictionary_cut(TRICKY[3]) == jieba.lcut(TRICKY[3], HMM=False)


def test_cached_segmentation_is_jiebas_on_the_seed_pages(seeds_dir):
    texts = _texts(seeds_dir)
    cached = _assert_same(texts, learn_user_words(texts))
    assert cached._blocks[True] and cached._blocks[False]  # the cache was used, not bypassed


def test_the_cache_is_bounded_and_still_right_when_it_overflows(seeds_dir):
    cached = _assert_same(_texts(seeds_dir), [], cache_blocks=50)
    assert 0 < len(cached._blocks[True]) <= 50
    assert 0 < len(cached._blocks[False]) <= 50


def test_a_tokenizer_remembers_nothing_unless_asked(seeds_dir):
    plain = _assert_same(_texts(seeds_dir), [], cache_blocks=0)
    assert not plain._blocks[True] and not plain._blocks[False]


def test_a_warm_cache_does_no_segmentation_of_its_own(monkeypatch):
    tok = Tokenizer(cache_blocks=100)
    first = "沁泉湖公园正式开园迎客，数千名市民前来游览。"
    second = "2019年8月16日，GDP增长6.5%，417亿元投向S104国道。"
    expected = tok.segment(first + second)
    monkeypatch.setattr(tok._jieba, "lcut", lambda *a, **k: pytest.fail("segmented again"))
    assert tok.segment(second + first) == tok.segment(second) + tok.segment(first)
    assert tok.segment(first + second) == expected


@pytest.mark.slow
def test_cached_segmentation_is_jiebas_on_the_eval_news(shared_eval):
    texts = []
    for name in ("crud_rag_event_summary", "cail2022_yqzy_lawbench"):
        with open(shared_eval / name / "docs.jsonl", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    record = json.loads(line)
                    texts.extend(t for t in (record.get("title"), record.get("text")) if t)
    _assert_same(texts, learn_user_words(texts))
