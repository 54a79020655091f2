from __future__ import annotations

import json

import numpy as np
import pytest

from embed.model.linear import LinearModel
from embed.summarize.selection import (
    SET_FEATURES,
    SentenceView,
    SummarySelector,
    candidate_sets,
    load_selector,
)
from embed.summarize.summarize import summarize_text
from embed.text.clean import strip_datelines

# Thirteen news sentences (about 490 characters): long enough for the selector, which leaves shorter
# articles than any it was trained on to the rules.
LONG_ARTICLE = (
    "本报讯 8月18日，示范区召开“四城联创”集中攻坚动员大会，部署近期创建工作任务。"
    "会议通报了上半年全区创建工作进展，全区共排查整改问题点位1260处，整改率达到98%。"
    "会议指出，“四城联创”是推动高质量发展的有效载体，要在项目建设、城市管理和环境整治上再发力。"
    "区住建局负责人介绍，今年以来全区新建改建城市道路23条，新增停车泊位4100个，老旧小区改造惠及居民1.2万户。"
    "区城管局表示，将在9月底前完成主次干道占道经营和乱堆乱放的集中整治，并建立长效管护机制。"
    "区生态环境分局称，上半年全区空气质量优良天数比例为82.3%，同比提高4.1个百分点。"
    "区教育局介绍，今年秋季学期全区新增公办学位3200个，新建改扩建中小学和幼儿园共9所，已全部按期交付使用。"
    "区卫健委表示，全区15家社区卫生服务中心已完成标准化改造，家庭医生签约服务覆盖率提高到67%。"
    "会议要求，全区上下要统一思想，下定决心，以昂扬斗志打好攻坚战。"
    "各街道要对照测评标准逐项自查，发现问题立即整改，做到底数清、情况明。"
    "区领导及各部门负责人参加会议。"
    "会议强调，要夯实责任，形成合力，确保“四城联创”攻坚工作取得实效。"
    "（记者 郭树勋）"
)


def _allowed(lengths: list[int], picks: list[int], budget: int, complete: bool) -> bool:
    total = sum(lengths[i] for i in picks)
    return total - max(lengths[i] for i in picks) < budget and (total >= budget or complete)


def test_candidate_sets_are_exactly_the_sets_the_budget_rule_allows():
    lengths = np.array([30.0, 50.0, 20.0, 70.0, 10.0])
    masks = candidate_sets(lengths, 90, complete=False)
    got = {tuple(np.flatnonzero(m)) for m in masks}
    for code in range(1, 1 << len(lengths)):
        picks = [i for i in range(len(lengths)) if code >> i & 1]
        assert (tuple(picks) in got) == _allowed(lengths.tolist(), picks, 90, complete=False)


def test_when_the_article_is_short_of_the_budget_the_only_set_is_all_of_it():
    masks = candidate_sets(np.array([30.0, 20.0]), 200, complete=True)
    assert masks.tolist() == [[1.0, 1.0]]
    assert len(candidate_sets(np.array([30.0, 20.0]), 200, complete=False)) == 0


def test_the_shipped_selector_has_one_weight_per_feature_and_says_what_it_was_trained_on():
    selector = load_selector()
    assert selector.model.names == SET_FEATURES and np.all(selector.model.scale > 0)
    assert "crud_event_summary" in selector.meta["trained_on"] and selector.meta["articles"] > 600
    assert 300 < selector.meta["min_article_chars"] < len(LONG_ARTICLE)


@pytest.mark.parametrize("budget", [80, 150, 200])
def test_a_long_article_gets_whole_sentences_in_reading_order_under_the_budget_rule(budget):
    summary = summarize_text(LONG_ARTICLE, max_chars=budget)
    positions = [LONG_ARTICLE.index(s) for s in summary.sentences]
    assert positions == sorted(positions)
    lengths = [len(s) for s in summary.sentences]
    assert sum(lengths) >= budget and sum(lengths) - max(lengths) < budget
    assert "（记者 郭树勋）" not in summary.sentences


def test_the_selector_decides_for_a_long_article_and_the_rules_for_a_short_one():
    shipped = load_selector().model
    coef = np.zeros(len(SET_FEATURES))
    coef[SET_FEATURES.index("first")] = -1.0  # a selector that never takes the first sentence
    contrarian = SummarySelector(
        LinearModel(shipped.names, shipped.mean, shipped.scale, coef, 0.0), {"min_article_chars": 300}
    )
    body = strip_datelines(LONG_ARTICLE)  # what the summarizer reads: 本报讯 is set apart
    first = body[: body.index("。") + 1]
    assert summarize_text(LONG_ARTICLE, 150, selector=contrarian).sentences[0] != first
    short = LONG_ARTICLE[:200]
    assert summarize_text(short, 60, selector=contrarian).sentences[0] == first


def test_the_json_form_round_trips_and_a_stale_model_is_refused(tmp_path):
    selector = load_selector()
    path = tmp_path / "selector.json"
    selector.save(path)
    again = SummarySelector.from_dict(json.loads(path.read_text(encoding="utf-8")))
    view = SentenceView(
        lengths=np.array([40.0, 60.0, 50.0]),
        similarity=np.eye(3),
        centroid_cosine=np.array([0.5, 0.4, 0.3]),
        lexrank=np.array([1.0, 0.8, 0.6]),
        rows=np.zeros((3, 15)),
        scorer=np.array([0.3, 0.2, 0.1]),
        sentence_count=3,
        article_chars=600,
    )
    assert again.choose(view, 90) == selector.choose(view, 90)
    stale = json.loads(path.read_text(encoding="utf-8"))
    stale["features"].pop("redundancy")
    with pytest.raises(ValueError, match="retrain"):
        SummarySelector.from_dict(stale)
