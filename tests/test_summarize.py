from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embed.errors import BadInputError
from embed.summarize.summarize import (
    _fit_budget,
    lead_summary,
    page_text,
    select_by_budget,
    summarize_page,
    summarize_text,
)
from embed.text.clean import strip_datelines
from embed.text.sentences import split_sentences
from embed.text.words import Tokenizer

ARTICLE = (
    "本报讯 8月18日，示范区召开“四城联创”集中攻坚动员大会，部署近期创建工作任务。"
    "会议要求，全区上下要统一思想，下定决心，以昂扬斗志打好攻坚战。"
    "区领导及各部门负责人参加会议。"
    "会议指出，“四城联创”是推动高质量发展的有效载体，要在项目建设、城市管理和环境整治上再发力。"
    "会议强调，要夯实责任，形成合力，确保“四城联创”攻坚工作取得实效。"
    "（记者 郭树勋）"
)


def test_the_summary_is_whole_sentences_of_the_text_in_reading_order():
    summary = summarize_text(ARTICLE, max_chars=80)
    positions = [ARTICLE.index(s) for s in summary.sentences]
    assert positions == sorted(positions)
    originals = {s.text for s in split_sentences(strip_datelines(ARTICLE))}
    assert all(s in originals for s in summary.sentences)
    assert summary.text == "".join(summary.sentences)


def test_sentences_are_added_while_the_summary_is_shorter_than_the_budget():
    for budget in (20, 60, 100, 150):
        summary = summarize_text(ARTICLE, max_chars=budget)
        lengths = [len(s) for s in summary.sentences]
        assert sum(lengths[:-1]) < budget <= sum(lengths) or sum(lengths) == len(ARTICLE) - ARTICLE.count(" ")


def test_a_text_shorter_than_the_budget_is_its_own_summary():
    summary = summarize_text("示范区召开会议。会议部署了工作。", max_chars=200)
    assert summary.text == "示范区召开会议。会议部署了工作。"


def test_the_news_lead_sentence_is_kept_without_its_dateline():
    assert summarize_text(ARTICLE, max_chars=60).sentences[0].startswith("8月18日，示范区召开")


def test_a_dateline_is_left_out_wherever_it_opens_a_paragraph():
    text = (
        "中新社华盛顿7月28日电 (记者 陈孟统)当地时间27日，中国驻美国使馆举办开放日活动。"
        "数百名当地民众参加了活动。\n河北日报讯（记者赵瑞雪）8月17日，冰球联赛决赛在石家庄开幕。"
    )
    summary = summarize_text(text, max_chars=200)
    assert summary.sentences[0].startswith("当地时间27日") and summary.sentences[-1].startswith("8月17日")
    assert not any(credit in summary.text for credit in ("中新社", "陈孟统", "河北日报讯", "赵瑞雪"))
    assert lead_summary(text, max_chars=200).text.startswith("中新社华盛顿")  # lead reads the raw text


def test_a_sentence_that_repeats_a_picked_one_is_not_picked_again():
    text = "示范区建设沁泉湖公园，明年开园。示范区建设沁泉湖公园，明年开园！会议部署了城市管理工作。"
    summary = summarize_text(text, max_chars=20)
    assert len(summary.sentences) == 2
    assert summary.sentences[1] == "会议部署了城市管理工作。"


def test_a_byline_is_left_out_while_real_sentences_remain():
    summary = summarize_text(ARTICLE, max_chars=150)
    assert "（记者 郭树勋）" not in summary.sentences
    assert "（记者 郭树勋）" in lead_summary(ARTICLE, max_chars=150).sentences or len(ARTICLE) > 150


def test_source_and_disclaimer_lines_are_picked_last():
    text = (
        "来源：示范区融媒体中心。示范区召开项目建设推进会。会议部署了下一步重点工作。免责声明：本文仅供参考。"
    )
    summary = summarize_text(text, max_chars=20)
    assert summary.sentences == ("示范区召开项目建设推进会。", "会议部署了下一步重点工作。")
    longer = summarize_text(text, max_chars=30).sentences  # both real ones fit: one more line is needed
    assert (
        len(longer) == 3 and "示范区召开项目建设推进会。" in longer and "会议部署了下一步重点工作。" in longer
    )


def test_a_headline_and_a_lead_are_content_not_boilerplate():
    text = "原标题：示范区沁泉湖公园开园。本报讯 近日，沁泉湖公园正式开园，市民纷纷前来游玩。公园占地600亩。"
    summary = summarize_text(text, max_chars=40)
    assert summary.sentences[0].startswith("原标题") and any(
        "近日，沁泉湖公园正式开园" in s for s in summary.sentences
    )


def test_a_shorter_nearly_as_good_sentence_is_preferred_over_one_that_overshoots_far():
    gains = np.array([1.0, 0.8, 0.5])
    assert _fit_budget(gains, [100, 20, 10], total=0, max_chars=50) == 1  # 50 over: the 20-char one
    assert _fit_budget(gains, [52, 20, 10], total=0, max_chars=50) == 0  # 2 over: keep the best
    assert _fit_budget(np.array([1.0, 0.5]), [100, 10], total=0, max_chars=50) == 0  # no near-equal one


def test_a_tokenizer_with_user_words_keeps_names_whole_in_keywords():
    text = "王家鹏在示范区调研。王家鹏强调，要抓好项目建设。王家鹏指出，示范区要加快发展。"
    assert "王家鹏" not in summarize_text(text).keywords  # the default tokenizer splits the name
    assert "王家鹏" in summarize_text(text, tokenizer=Tokenizer(["王家鹏"])).keywords
    assert summarize_text(text, tokenizer=Tokenizer(["王家鹏"])).text == summarize_text(text).text


def test_the_summary_has_five_to_ten_keywords_by_default():
    keywords = summarize_text(ARTICLE).keywords
    assert 5 <= len(keywords) <= 10
    assert "四城联创" in "".join(keywords) or "攻坚" in keywords


def test_blank_text_gives_an_empty_summary_and_a_bad_budget_an_error():
    assert summarize_text("   ").text == ""
    with pytest.raises(BadInputError, match="max_chars"):
        summarize_text(ARTICLE, max_chars=0)


def test_a_very_long_text_is_summarized_quickly_from_its_first_sentences():
    text = ARTICLE * 400  # about 70,000 characters, 2,400 sentences
    summary = summarize_text(text, max_chars=100)
    assert summary.text and len(summary.text) < 300


def test_a_budget_past_the_compared_sentences_is_filled_in_reading_order():
    text = "".join(f"第{i}条。" for i in range(400))  # more sentences than compete for the summary
    budget = len(text) - 20
    summary = summarize_text(text, max_chars=budget)
    lengths = [len(s) for s in summary.sentences]
    assert sum(lengths) >= budget > sum(lengths) - max(lengths)


def test_lead_takes_the_first_sentences_under_the_same_rule():
    lead = lead_summary(ARTICLE, max_chars=50)
    first = [s.text for s in split_sentences(ARTICLE)]
    assert lead.sentences == tuple(first[:2])
    assert select_by_budget([2, 0, 1], [30, 30, 30], 50) == [0, 2]


@pytest.mark.slow
def test_summaries_beat_lead_on_both_dev_sets(shared_eval):
    from embed.eval.summary import evaluate_summaries

    for name in ("crud_rag_event_summary", "cail2022_yqzy_lawbench"):
        for budget in (150, 200):
            report = evaluate_summaries(shared_eval / name / "docs.jsonl", budget)
            assert report["rougeL"] > report["lead"]["rougeL"], (name, budget, report)


def test_every_dev_summary_is_made_of_article_sentences(shared_eval):
    path = shared_eval / "cail2022_yqzy_lawbench" / "docs.jsonl"
    rows = [json.loads(line) for line in path.open(encoding="utf-8")][:20]
    for row in rows:
        summary = summarize_text(row["text"], 150)
        assert all(s in row["text"] for s in summary.sentences)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet="示范区公园会议项目建设。！？；，\n 12abc", min_size=0, max_size=40), max_size=12
    ).map("".join),
    st.integers(min_value=1, max_value=300),
)
def test_any_text_gives_whole_sentences_in_order_within_the_budget_rule(text, budget):
    summary = summarize_text(text, max_chars=budget)
    originals = [s.text for s in split_sentences(text)]
    picked = list(summary.sentences)
    it = iter(originals)
    assert all(any(p == o for o in it) for p in picked)  # a subsequence of the text's sentences
    lengths = [len(p) for p in picked]
    # Whatever sentence was added last, everything before it was shorter than the budget, so dropping
    # the longest pick must leave less than the budget (picks are shown in reading order, not pick order).
    assert sum(lengths) - max(lengths, default=0) < budget
    assert picked or not originals
    if sum(lengths) < budget:  # stopping short of the budget only when the text has run out
        assert len(picked) == len(originals)


RAW_PAGE = (
    "获取更多精彩资讯，\n请扫码关注“示范区\n头条”微信公众号\n编辑:陈彬\n版式:汪洋校对:张雪晖\n\n"
    "示范区召开重点工作推进会\n\n"
    "本报讯(记者付凯明)9月15日上午,示范区召开全区重点工作推进会议。会议部署了当前重点工作。\n"
    "会议要求,各部门要狠抓落实,确保完成全年目标任务。\n"
)


def test_a_raw_page_is_cleaned_and_its_headline_set_apart_before_summarizing():
    body = page_text(RAW_PAGE)
    assert body.startswith("本报讯") and "示范区召开重点工作推进会\n" not in body
    assert not any(noise in body for noise in ("扫码", "公众号", "版式", "校对", "编辑"))
    summary = summarize_page(RAW_PAGE, max_chars=30)
    assert summary.sentences[0].startswith("9月15日上午,示范区召开")
    assert summarize_page("编辑:陈彬\n版式:汪洋").text == ""


def test_the_learned_score_changes_the_ranking_but_not_the_budget_rule():
    from embed.model.linear import LinearModel
    from embed.summarize.features import FEATURES
    from embed.summarize.scorer import SummaryScorer

    n = len(FEATURES)
    weights = np.zeros(n)
    weights[FEATURES.index("numbers")] = -50.0  # a scorer that wants no figures
    averse = SummaryScorer(LinearModel(FEATURES, np.zeros(n), np.ones(n), weights, 0.0), {})
    text = "全年新开工项目36个，总投资128亿元。示范区召开工作会议。会议听取了各部门汇报。"
    default = summarize_text(text, max_chars=12)
    no_figures = summarize_text(text, max_chars=12, scorer=averse)
    assert default.sentences[0] == "全年新开工项目36个，总投资128亿元。"
    assert no_figures.sentences == ("示范区召开工作会议。", "会议听取了各部门汇报。")
