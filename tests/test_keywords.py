from __future__ import annotations

import math

import pytest

from embed.text.keywords import build_idf, extract_keywords, idf_lookup, passage_idf
from embed.text.words import Tokenizer

TEXT = (
    "沁泉湖公园位于示范区中部。沁泉湖公园总投资3.2亿元，占地600亩，将于明年5月1日开园。"
    "公园建成后，沁泉湖将成为市民休闲的好去处。"
)


def test_keywords_are_the_texts_salient_words_best_first():
    words = extract_keywords(TEXT, k=5)
    assert 1 <= len(words) <= 5
    assert "沁泉湖" in words or "沁泉湖公园" in words
    assert all(w in TEXT for w in words)


def test_numbers_dates_and_single_characters_are_not_keywords():
    words = extract_keywords(TEXT, k=20)
    assert all(len(w) >= 2 for w in words)
    assert not any(w[0].isdigit() for w in words)


def test_blank_text_or_zero_k_gives_no_keywords():
    assert extract_keywords("   ") == []
    assert extract_keywords(TEXT, k=0) == []


def test_a_corpus_idf_downweights_words_every_article_uses():
    docs = [["示范区", "公园"], ["示范区", "道路"], ["示范区", "学校"], ["示范区", "沁泉湖"]]
    idf = build_idf(docs)
    assert idf["示范区"] < idf["沁泉湖"]
    words = extract_keywords("示范区沁泉湖。示范区沁泉湖。", k=1, idf=idf)
    assert words == ["沁泉湖"]


def test_a_word_missing_from_a_corpus_table_counts_as_the_rarest():
    weight = idf_lookup({"示范区": 0.5, "公园": 2.0})
    assert weight("从未见过") == 2.0
    assert weight("示范区") == 0.5


def test_a_tokenizer_with_user_words_keeps_a_name_whole():
    text = "王家鹏在示范区调研。王家鹏强调，要抓好项目建设。"
    assert "王家鹏" in extract_keywords(text, k=3, tokenizer=Tokenizer(["王家鹏"]))
    assert extract_keywords(text, k=3, tokens=["王家鹏", "调研"], tokenizer=Tokenizer()) == ["王家鹏", "调研"]


def test_speech_enumerations_and_exhortations_are_not_keywords():
    text = "一要加强领导。二要务必落实责任。三要必须确保安全生产。四要加强安全生产检查。安全生产是底线。"
    keywords = extract_keywords(text, k=8)
    assert {"安全", "生产"} <= set(keywords)
    assert not {"一要", "二要", "三要", "四要", "务必", "必须", "确保"} & set(keywords)


def test_passage_idf_is_bm25s_smoothed_idf_rarest_highest():
    idf = passage_idf({"示范区": 9, "沁泉湖": 1}, num_docs=10)
    assert idf["沁泉湖"] > idf["示范区"] > 0
    assert idf["沁泉湖"] == pytest.approx(math.log(1 + (10 - 1 + 0.5) / 1.5))


def test_the_api_and_the_batch_weigh_keywords_with_the_same_table(tmp_path, fake_encoder):
    from embed.batch.batch import CorpusVocabulary
    from embed.config import Settings
    from embed.datamodels import Article
    from embed.index.index import build_index

    articles = [
        Article(f"a{i}", f"标题{i}", f"示范区召开第{i}次会议。沁泉湖公园建设顺利。会议部署了任务{i}。", "t")
        for i in range(4)
    ]
    index = build_index(articles, Settings(index_dir=tmp_path / "index"), fake_encoder)
    vocabulary = CorpusVocabulary.of(articles)
    assert vocabulary.user_words == index.user_words
    assert vocabulary.idf == passage_idf(index.doc_freq, index.bm25.num_docs)
