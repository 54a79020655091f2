"""Quality targets through the real pipeline (built-in model, hybrid search, extractive answers).

Slow: each module fixture fits the built-in model on a corpus. The dev files stay in ../shared/eval.
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


@pytest.fixture(scope="module")
def seeds_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(index_dir=tmp_path_factory.mktemp("quality") / "seeds")
    build(settings, [REPO / "seeds"])
    return settings


@pytest.fixture(scope="module")
def cmrc(shared_eval: Path) -> dict[str, Any]:
    folder = shared_eval / "cmrc2018_retrieval"
    return evaluate(Settings(), folder / "queries.jsonl", corpus=[folder / "corpus.jsonl"])


def test_seed_questions_meet_the_retrieval_and_answer_targets(seeds_settings, shared_eval):
    result = evaluate(seeds_settings, shared_eval / "seeds_qa" / "dev.jsonl")
    assert result["recall@1"] >= 0.90 and result["mrr@10"] >= 0.93 and result["recall@5"] == 1.0
    assert result["answer_hit"] >= 0.85


def test_the_hybrid_beats_bm25_alone_on_paraphrased_seed_questions(seeds_settings):
    modes = evaluate(seeds_settings, PARAPHRASE)["modes"]
    assert modes["hybrid"]["mrr@10"] > modes["bm25"]["mrr@10"]
    assert modes["hybrid"]["recall@1"] > modes["bm25"]["recall@1"]


def test_cmrc_puts_the_right_article_first_and_answers_most_questions(cmrc):
    assert cmrc["doc@1"] >= 0.97
    assert cmrc["doc@1"] >= cmrc["modes"]["bm25"]["doc@1"]
    assert cmrc["answer_hit"] >= 0.80
