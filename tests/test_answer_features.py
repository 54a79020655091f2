from __future__ import annotations

import numpy as np
import pytest

from embed.answer.features import (
    FEATURES,
    asked_unit,
    candidate_sentences,
    focus_terms,
    holds_asked_detail,
    holds_type,
    holds_unit,
    near_terms,
    question_types,
    sentence_features,
)
from embed.datamodels import Chunk, Hit
from embed.text.words import tokenize


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("沁泉湖公园什么时候开园？", ("date",)),
        ("总投资多少？", ("number",)),
        ("项目由哪家公司建设？", ("who",)),
        ("公交车场建在哪里？", ("place",)),
        ("有哪些重点工作？", ("list",)),
        ("为什么要拆迁？", ("why",)),
        ("哪天开工，要投多少钱？", ("number", "date")),
        ("城际列车一天有几趟？", ("number",)),
        ("大沙地站共有几层？", ("number",)),
        ("产品有哪几种口味？", ("list",)),
        ("封关运作定在哪一天启动？", ("date",)),
        ("会议在哪举行？", ("place",)),
        ("示范区概况", ()),
    ],
)
def test_the_question_type_is_what_it_asks_for(question, kinds):
    assert question_types(question) == kinds


def test_a_date_is_not_a_figure_for_a_how_many_question():
    assert not holds_type("会议于8月18日召开。", ["number"])
    assert holds_type("会议于8月18日召开，部署了七项工作。", ["number"])
    assert holds_type("会议于8月18日召开。", ["date"])


def test_an_approximate_count_in_chinese_numerals_is_a_figure():
    # 三十余项 answers 「要逐条达标的事项大概有多少？」 as 30项 would.
    for text in ("确定的三十余项具体工作", "十几家企业", "百余人参加", "十来个村"):
        assert holds_type(text, ["number"]), text
    assert not holds_type("一律从严", ["number"])


def test_the_asked_unit_must_count_a_figure_in_the_sentence():
    assert asked_unit("示范区占了几家？") == "家"
    assert asked_unit("一共要投多少钱？") == "元"
    assert asked_unit("沁泉湖公园什么时候开园？") is None
    assert holds_unit("示范区恒成橡胶等7家企业通过评审。", "家")
    assert holds_unit("总投资161.3亿元。", "元")
    assert not holds_unit("国家级企业。", "家")
    assert asked_unit("大沙地站共有几层？") == "层"
    assert holds_unit("车站共有两层。", "层")
    assert not holds_unit("这是一种新的车站。", "层")  # 一种, 一期, 一部 are everywhere: only the asked unit


def test_a_year_or_a_place_level_question_needs_a_sentence_that_names_one():
    assert not holds_asked_detail("公司是哪一年成立的？", "9月16日，公司工人正在加工材料。")
    assert holds_asked_detail("公司是哪一年成立的？", "公司成立于2009年。")
    assert not holds_asked_detail("蔬菜基地建在哪个村？", "合作社建设200亩露天蔬菜基地。")
    assert holds_asked_detail("蔬菜基地建在哪个村？", "基地建在史平陵村。")
    assert holds_asked_detail("马纳瓜是哪个国家的首都？", "马纳瓜是尼加拉瓜的首都。")  # no 国家 needed
    assert not holds_asked_detail("封关运作定在哪一天启动？", "下一步，海关将持续推动封关运作准备。")
    assert holds_asked_detail("封关运作定在哪一天启动？", "封关运作定于12月18日启动。")
    assert holds_asked_detail("沁泉湖公园什么时候开园？", "公园明年开园。")  # nothing pinned down


def test_the_focus_is_the_clause_that_asks():
    question = "7月5日那次集中开工的项目，一共计划投多少？"
    terms = tokenize(question)
    assert set(focus_terms(question, terms)) == {"一共", "计划", "投"}
    assert focus_terms("沁泉湖公园", ["沁泉湖", "公园"]) == ["沁泉湖", "公园"]  # nothing asked: all words


def test_near_terms_are_the_words_beside_the_question_word():
    question = "静安区工人文化宫（北宫）这个工程预计要投入多少钱？"
    assert near_terms(question, tokenize(question)) == ["投入", "钱"]
    question = "7月5日那次集中开工的项目，一共计划投多少？"
    assert near_terms(question, tokenize(question)) == ["计划", "投"]
    assert near_terms("沁泉湖公园", ["沁泉湖", "公园"]) == ["沁泉湖", "公园"]  # nothing asked: all words


def test_beyond_lead_credits_the_question_words_the_passage_opening_lacks():
    text = "路德维希·普朗特（Ludwig Prandtl）德国力学家。普朗特1901年在机械厂工作。1953年8月15日卒于哥廷根。"
    hits = [Hit(Chunk(0, "a#0", "题", text, 0, len(text)), 1.0)]
    question = "路德维希·普朗特卒于哪年？"
    rows = sentence_features(question, tokenize(question), candidate_sentences(hits))
    beyond = rows[:, FEATURES.index("beyond_lead")]
    coverage = rows[:, FEATURES.index("coverage")]
    # The opening repeats the name and gets nothing for it; the answer holds what the opening lacks.
    assert beyond[0] == 0.0 < beyond[1] < beyond[2] == 1.0
    assert coverage[0] > coverage[2]


def test_titled_reads_each_sentence_with_its_article_title():
    # An entry names its subject once; the sentence that answers leaves it out.
    text = "邵伯温，字子文，洛阳人。著有《邵氏闻见录》。邵伯温有三子。"
    other = "魔岩唱片是滚石唱片的子公司。"
    hits = [
        Hit(Chunk(0, "a#0", "邵伯温", text, 0, len(text)), 1.0),
        Hit(Chunk(1, "b#0", "魔岩唱片", other, 0, len(other)), 0.5),
    ]
    candidates = candidate_sentences(hits)
    assert [c.title for c in candidates] == ["邵伯温", "邵伯温", "邵伯温", "魔岩唱片"]
    question = "邵伯温曾著有什么书？"
    rows = sentence_features(question, tokenize(question), candidates)
    column = dict(zip(FEATURES, rows.T, strict=True))
    # On the sentence alone the name outweighs 著有; read with the title, the answer holds both.
    assert column["coverage"][1] < column["coverage"][2]
    assert column["titled"][1] > column["titled"][2] > column["titled"][3]


def test_chars_credit_the_asked_characters_a_terse_sentence_shares_beyond_the_title():
    # 颜色 is not a word of 「体淡绿色」, but 体 and 色 are its characters; the opening has only the title's.
    text = "美洲似银汉鱼为银汉鱼目银汉鱼科的其中一种。体淡绿色，体侧具一银色纵带。分布于北美洲。"
    hits = [Hit(Chunk(0, "a#0", "美洲似银汉鱼", text, 0, len(text)), 1.0)]
    candidates = candidate_sentences(hits)
    question = "美洲似银汉鱼整体是什么颜色？"
    rows = sentence_features(question, tokenize(question), candidates)
    chars = rows[:, FEATURES.index("chars")]
    coverage = rows[:, FEATURES.index("coverage")]
    assert coverage[0] > coverage[1]
    assert chars[1] > chars[0] and chars[1] > chars[2]
    assert 0.0 <= chars.min() and chars.max() <= 1.0


def test_every_candidate_gets_one_row_of_every_feature(fake_encoder):
    texts = ["沁泉湖公园明年5月1日开园。公园总投资3.2亿元。", "公园总投资3.2亿元。示范区召开会议。"]
    hits = [Hit(Chunk(i, f"a#{i}", "题", t, 0, len(t)), 1.0) for i, t in enumerate(texts)]
    candidates = candidate_sentences(hits)
    assert [c.text for c in candidates] == [
        "沁泉湖公园明年5月1日开园。",
        "公园总投资3.2亿元。",
        "示范区召开会议。",
    ]
    question = "沁泉湖公园什么时候开园？"
    rows = sentence_features(question, tokenize(question), candidates, fake_encoder)
    assert rows.shape == (3, len(FEATURES)) and np.isfinite(rows).all()
    column = dict(zip(FEATURES, rows.T, strict=True))
    assert column["type_match"].tolist() == [1.0, 0.0, 0.0]
    assert column["coverage"][0] == column["coverage"].max() == 1.0
