"""The tokenizer's block cache and its bulk (jieba-rs) mode: the same pieces as jieba over the whole text,
cold or warm, and bounded."""

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
    "行首  两个空格\r\n换行\n\t制表\u3000全角空格，「引号」……破折号——完。\r\n",  # cut whole by jieba-rs
    "全角ｆｕｌｌ与表情😀混排，〇与㐀也在：不含半角字母。",  # cut whole too
    "鿖鿗罕用字夹在中间鿘，以及 emoji 😀 与 ｆｕｌｌ ｗｉｄｔｈ。",
    "沁" * 450 + "，公园开园。" + "鑫淼" * 300 + "abc" + "湖" * 201,
    "a-b_c.d%e#f&g+h 新区-东区 3.5-4.0",
    "每条线路只有1-2台车辆，还将面临3-4亿立方米的缺口，越来越多40-50岁的人。",  # jieba-rs joins 3-4
    "桥梁工程与右翼政党人民党成为议会第一大党。",  # near-ties that hang on the total
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
    bulk = Tokenizer(user_words, cache_blocks=cache_blocks, bulk=True)
    for _ in ("cold", "warm"):
        for text in texts:
            expected = plain.segment(text), plain.dictionary_cut(text), plain.tokenize_for_search(text)
            for tokenizer in (cached, bulk):
                assert tokenizer.segment(text) == expected[0], text[:40]
                assert tokenizer.dictionary_cut(text) == expected[1], text[:40]
                assert tokenizer.tokenize_for_search(text) == expected[2], text[:40]
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


def test_bulk_segmentation_is_jiebas_with_the_user_words_an_archive_learns(seeds_dir):
    texts = _texts(seeds_dir)
    user_words = learn_user_words(texts) + ["右翼政党", "人民党"]
    plain = _assert_same(texts, user_words, cache_blocks=0)  # the bulk one remembers nothing either
    assert plain._rust is None  # a plain tokenizer never loads jieba-rs


def test_bulk_mode_weighs_routes_by_jiebas_total():
    # User words already in the dictionary: jieba adds their whole frequency to its total, jieba-rs only
    # the difference. suggest_freq divides by the total in both, so it shows whether the totals agree.
    user_words = ["中国", "发展", "经济发展", "沁泉湖"]
    tokenizer, reference = Tokenizer(user_words, bulk=True), jieba.Tokenizer()
    for word in user_words:
        reference.add_word(word, tokenizer.user_freq[word])
    bulk = tokenizer._fast()
    for segment in ("中国发展", "经济社会", "发展中国家"):
        assert bulk.suggest_freq(segment) == reference.suggest_freq(segment), segment


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
