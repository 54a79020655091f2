from __future__ import annotations

import json

import numpy as np
import pytest

from embed.answer.features import FEATURES
from embed.answer.questions import Sample
from embed.answer.ranker import (
    CONFIDENCE_FEATURES,
    RANKER_FILE,
    fit_ranker,
    load_ranker,
    save_ranker,
)
from embed.model.linear import LinearModel, fit_listwise


def test_the_shipped_ranker_lists_exactly_the_features_the_code_computes():
    ranker = load_ranker()
    assert ranker.sentence.names == FEATURES and ranker.confidence.names == CONFIDENCE_FEATURES
    assert 0.0 <= ranker.threshold < 1.0
    data = json.loads(RANKER_FILE.read_text(encoding="utf-8"))
    assert list(data["sentence"]["features"]) == list(FEATURES)


def test_a_file_with_other_features_is_refused(tmp_path):
    data = json.loads(RANKER_FILE.read_text(encoding="utf-8"))
    data["sentence"]["features"] = {"coverage": data["sentence"]["features"]["coverage"]}
    path = tmp_path / "ranker.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="lists"):
        load_ranker(path)


def test_a_saved_ranker_loads_back_identical(tmp_path):
    path = tmp_path / "ranker.json"
    save_ranker(load_ranker(), path)
    again = load_ranker(path)
    rows = np.random.default_rng(1).random((4, len(FEATURES)))
    assert np.allclose(again.sentence.logit(rows), load_ranker().sentence.logit(rows), atol=1e-5)


def test_probabilities_are_a_logistic_of_standardised_rows():
    model = LinearModel(("a",), np.array([1.0]), np.array([2.0]), np.array([3.0]), -0.5)
    assert model.logit(np.array([[3.0]]))[0] == pytest.approx(3.0 * (3.0 - 1.0) / 2.0 - 0.5)
    assert model.probability(np.array([[1.0]]))[0] == pytest.approx(1 / (1 + np.exp(0.5)))


def test_fitting_learns_that_the_feature_marking_the_fact_counts():
    rng = np.random.default_rng(3)
    samples = []
    typed = FEATURES.index("type_match")
    for i in range(200):
        rows = rng.random((6, len(FEATURES)))
        rows[:, typed] = 0.0
        labels = np.zeros(6)
        if i % 4:  # answerable: one candidate holds the fact, and holds the asked type
            gold = int(rng.integers(6))
            rows[gold, typed], labels[gold] = 1.0, 1.0
        samples.append(Sample(rows, labels, float(rng.random())))
    ranker = fit_ranker(samples, threshold=0.3, penalty=0.01)
    weights = ranker.sentence.weights()
    assert weights["type_match"] == max(weights.values()) > 0
    answerable = [s for s in samples if s.labels.any()]
    assert all(s.labels[int(np.argmax(ranker.sentence.logit(s.rows)))] for s in answerable)


def test_the_listwise_fit_ignores_what_all_of_a_questions_candidates_share():
    # Column 0 is the same for every candidate of a question (how easy the question is); column 1 marks
    # the right candidate. Only the second can tell candidates apart, so only it may get weight.
    rng = np.random.default_rng(5)
    groups = []
    for _ in range(100):
        rows = np.column_stack([np.full(5, rng.random()), rng.random(5) * 0.5])
        labels = np.zeros(5)
        gold = int(rng.integers(5))
        rows[gold, 1], labels[gold] = 1.0, 1.0
        groups.append((rows, labels))
    groups.append((rng.random((3, 2)), np.zeros(3)))  # no right candidate: left out
    model = fit_listwise(groups, ("easiness", "marker"), penalty=0.01)
    weights = model.weights()
    assert abs(weights["easiness"]) < 1e-9
    assert weights["marker"] > 0
    assert model.intercept == 0.0
    assert all(labels[int(np.argmax(model.logit(rows)))] for rows, labels in groups[:-1])
