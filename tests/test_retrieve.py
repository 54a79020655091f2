from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from embed.config import Settings
from embed.datamodels import Article
from embed.errors import EmptyQueryError, ModelMismatchError
from embed.index.index import build_index
from embed.search.retrieve import Retriever, highlight_spans, is_near_duplicate, rrf

ARTICLES = [
    Article(
        "a#1",
        "沁泉湖公园",
        "沁泉湖公园占地296亩，计划明年5月1日开园。公园内建有环湖步道和湿地景观。",
        "a.txt",
        "2019-08-18",
    ),
    Article(
        "a#2",
        "大沙河治理",
        "大沙河生态治理工程完成投资3亿元。河道两岸新建绿地，水质明显改善。",
        "a.txt",
        "2019-08-19",
    ),
    Article(
        "a#3",
        "城中村改造",
        "李万街道城中村改造项目全面启动，涉及群众1200户。街道党工委强调依法拆迁。",
        "b.txt",
        None,
    ),
    Article(
        "a#4",
        "经济运行",
        "上半年示范区固定资产投资增长19.5%，规模以上工业增加值增长16.5%。",
        "b.txt",
        "2019-07-20",
    ),
]


@pytest.fixture(scope="module")
def retriever(fake_encoder, tmp_path_factory) -> Retriever:
    settings = Settings(index_dir=tmp_path_factory.mktemp("idx"))
    return Retriever(build_index(ARTICLES, settings, fake_encoder), fake_encoder)


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_each_mode_finds_the_passage_about_the_query(retriever, mode):
    hits = retriever.search("沁泉湖公园什么时候开园？", k=3, mode=mode)
    assert hits[0].chunk.article_id == "a#1"
    assert len(hits) <= 3


def test_hybrid_hits_carry_both_rankers_scores_and_are_sorted(retriever):
    hits = retriever.search("固定资产投资增长多少", k=4)
    assert hits[0].chunk.article_id == "a#4"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].bm25_score > 0 and -1.0 <= hits[0].dense_score <= 1.0


def test_numbers_and_amounts_are_searchable_whole(retriever):
    assert retriever.search("19.5%", k=1, mode="bm25")[0].chunk.article_id == "a#4"
    assert retriever.search("296亩", k=1, mode="bm25")[0].chunk.article_id == "a#1"


def test_highlights_are_offsets_of_query_words_in_the_passage(retriever):
    hit = retriever.search("大沙河水质", k=1)[0]
    marked = {hit.chunk.text[s:e] for s, e in hit.highlights}
    assert {"大沙河", "水质"} <= marked


def test_hit_to_dict_has_the_contract_passage_shape(retriever):
    d = retriever.search("城中村改造", k=1)[0].to_dict()
    assert set(d) == {"id", "text", "score", "article_id", "title", "source", "date", "highlights", "page"}
    assert d["article_id"] == "a#3" and d["date"] is None and isinstance(d["id"], str)


@pytest.mark.parametrize("query", ["", "   ", "的了吗？", "请问是什么？"])
def test_blank_or_stopword_only_queries_are_rejected(retriever, query):
    with pytest.raises(EmptyQueryError):
        retriever.search(query)


def test_bad_arguments_are_rejected(retriever):
    with pytest.raises(ValueError, match="mode"):
        retriever.search("大沙河", mode="fuzzy")
    with pytest.raises(ValueError, match="k"):
        retriever.search("大沙河", k=0)


def test_a_query_matching_nothing_in_bm25_still_gets_dense_hits(retriever):
    assert retriever.search("完全无关的量子物理", k=2, mode="bm25") == []
    assert len(retriever.search("完全无关的量子物理", k=2, mode="hybrid")) == 2


def test_near_duplicate_passages_are_collapsed(fake_encoder, tmp_path):
    reprint = replace(ARTICLES[1], article_id="c#9", source="c.txt")
    index = build_index([*ARTICLES, reprint], Settings(index_dir=tmp_path), fake_encoder)
    hits = Retriever(index, fake_encoder).search("大沙河生态治理", k=3)
    assert sum(h.chunk.text == ARTICLES[1].text for h in hits) == 1


def test_an_encoder_of_another_dimension_is_refused(retriever):
    class Wide:
        name, dim = "wide", 128

    with pytest.raises(ModelMismatchError, match="policyqa index"):
        Retriever(retriever.index, Wide())


def test_rrf_sums_weighted_reciprocal_ranks():
    fused = rrf(np.array([3, 1]), np.array([1, 2]), weights=(1.0, 2.0), k=60)
    assert fused[1] == pytest.approx(1 / 62 + 2 / 61)
    assert fused[3] == pytest.approx(1 / 61)
    assert fused[2] == pytest.approx(2 / 62)


def test_highlight_spans_merge_overlaps_and_skip_single_characters():
    assert highlight_spans("城中村改造和城中村", ["城中村", "城中村改造", "和"]) == ((0, 5), (6, 9))


def test_a_lightly_edited_reprint_is_a_near_duplicate_but_a_neighbouring_passage_is_not():
    text = "".join(f"第{i}项工作由示范区牵头推进，年底前全部完成。" for i in range(12))
    assert is_near_duplicate(text, "本报讯" + text.replace("年底前", "年底以前", 1))
    half = len(text) // 2
    assert not is_near_duplicate(text[: half + 30], text[half:])


def test_a_number_in_the_query_is_not_highlighted_inside_a_longer_number():
    text = "2019年投资1亿元，第21名"
    spans = [text[a:b] for a, b in highlight_spans(text, ["1"])]
    assert spans == ["1"]
    assert highlight_spans(text, ["1"])[0] == (text.index("1亿"), text.index("1亿") + 1)


def test_concurrent_searches_share_a_tiny_vector_cache_without_errors(retriever):
    from concurrent.futures import ThreadPoolExecutor

    from embed.model.encoder import CachingEncoder
    from embed.search.retrieve import Retriever

    cached = Retriever(retriever.index, CachingEncoder(retriever.encoder, maxsize=2))  # evicts constantly
    queries = [f"沁泉湖公园 第{i % 7}期" for i in range(200)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda q: cached.search(q, k=2), queries))
    assert all(len(hits) == 2 for hits in results)
    assert [h.chunk.chunk_id for h in results[7]] == [
        h.chunk.chunk_id for h in retriever.search(queries[7], k=2)
    ]
