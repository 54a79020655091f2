"""Quality gates through the real pipeline (built-in model, hybrid search, extractive answers).

Slow: each module fixture fits the built-in model on a corpus. The dev files stay in ../shared/eval.
The answer gates sit a little below what was measured when they were set (README, "Quality and speed"):
they catch regressions; the issue's targets for held-out questions are higher and not all met yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from embed.config import Settings
from embed.pipeline import build, evaluate

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
PARAPHRASE = REPO / "benchmarks" / "data" / "seeds_paraphrase.jsonl"
CMRC_FIRST_HIT = 0.65
"""Measured 0.692 on the 2,253 dev questions (0.704 for the best-sentence baseline, which never declines)."""


@pytest.fixture(scope="module")
def seeds_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(index_dir=tmp_path_factory.mktemp("quality") / "seeds")
    build(settings, [REPO / "seeds"])
    return settings


@pytest.fixture(scope="module")
def cmrc(shared_eval: Path, cmrc_index: Path) -> dict[str, Any]:
    return evaluate(Settings(index_dir=cmrc_index), shared_eval / "cmrc2018_retrieval" / "queries.jsonl")


def test_seed_questions_are_found_and_answered_leading_with_the_fact(seeds_settings, shared_eval):
    result = evaluate(seeds_settings, shared_eval / "seeds_qa" / "dev.jsonl")
    assert result["recall@1"] >= 0.90 and result["mrr@10"] >= 0.93 and result["recall@5"] == 1.0
    # Measured 0.60 first_hit, 90 characters: the fact leads, the answer stays short (the budget is a
    # ceiling). The ranker ties the plain best-sentence baseline here (0.60); one of these 20 questions sits
    # near the not-found threshold and may be declined, hence the one-question allowance.
    assert result["first_hit"] >= 0.55 and result["answer_chars"] <= 150
    assert result["first_hit"] >= result["baselines"]["best_sentence"]["first_hit"] - 0.05


def test_questions_the_archive_cannot_answer_are_mostly_declined(seeds_settings, shared_eval):
    result = evaluate(seeds_settings, shared_eval / "seeds_qa" / "unanswerable_dev.jsonl")
    # Measured 0.833 (20 of 24): 0.708 from the confidence and the figure rule, and 3 more since a year or
    # a village asked for must be named (`holds_asked_detail`) and 几趟/几层 count as figure questions.
    # These questions name the article's own topic; what is missing is one fact, which the confidence
    # features see only partly (see README, "Answers"). Two questions of slack.
    assert result["declined"] >= 0.75


def test_the_hybrid_beats_bm25_alone_on_paraphrased_seed_questions(seeds_settings):
    modes = evaluate(seeds_settings, PARAPHRASE)["modes"]
    assert modes["hybrid"]["mrr@10"] > modes["bm25"]["mrr@10"]
    assert modes["hybrid"]["recall@1"] > modes["bm25"]["recall@1"]


def test_asks_passage_order_puts_the_right_passage_first_more_often_than_bm25_on_paraphrased_questions(
    seeds_settings,
):
    # Measured 0.775 against BM25's 0.650 and hybrid's 0.700 (40 questions; README, "Quality and speed"):
    # the answer evidence reorders hybrid's passages. The margin is 0.05.
    result = evaluate(seeds_settings, PARAPHRASE)
    assert result["ask_order"]["recall@1"] >= result["modes"]["bm25"]["recall@1"] + 0.05


def test_cmrc_puts_the_right_article_first_and_leads_with_the_answer(cmrc):
    assert cmrc["doc@1"] >= 0.97
    assert cmrc["doc@1"] >= cmrc["modes"]["bm25"]["doc@1"]
    assert cmrc["first_hit"] >= CMRC_FIRST_HIT and cmrc["answer_chars"] <= 150
