"""`ask`'s passage order: retrieval's score beside the answer evidence each passage holds."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

import embed.answer.rerank
from embed.answer.answer import answer_question
from embed.answer.features import Candidate
from embed.answer.ranker import load_ranker
from embed.answer.rerank import evidence_order, reorder
from embed.datamodels import Chunk, Hit

ALWAYS = replace(load_ranker(), threshold=0.0)

OTHER = "示范区今年上半年经济运行平稳。固定资产投资同比增长19.5%。一般公共预算收入完成5.55亿元。"
PARK = "沁泉湖公园位于示范区中部。据介绍，沁泉湖公园将于明年5月1日正式开园。"


def hits_of(passages: list[str], scores: list[float]) -> list[Hit]:
    return [
        Hit(chunk=Chunk(i, f"a#{i}", f"标题{i}", text, 0, len(text)), score=score)
        for i, (text, score) in enumerate(zip(passages, scores, strict=True))
    ]


def candidates_of(passages: list[int]) -> list[Candidate]:
    return [Candidate(p, f"句{i}", 0, 2, i) for i, p in enumerate(passages)]


def test_a_passage_holding_far_stronger_evidence_moves_ahead_of_a_slightly_better_retrieved_one():
    hits = hits_of(["甲", "乙", "丙"], [1.0, 0.9, 0.5])
    order = evidence_order(hits, candidates_of([0, 1, 2]), np.array([0.0, 5.0, 0.0]))
    assert order == [1, 0, 2]


def test_equal_evidence_keeps_the_retrieval_order_and_equal_retrieval_lets_the_evidence_decide():
    hits = hits_of(["甲", "乙", "丙"], [1.0, 0.8, 0.6])
    assert evidence_order(hits, candidates_of([0, 1, 2]), np.zeros(3)) == [0, 1, 2]
    same = hits_of(["甲", "乙", "丙"], [1.0, 1.0, 1.0])
    assert evidence_order(same, candidates_of([0, 1, 1, 2]), np.array([0.0, -1.0, 2.0, 1.0])) == [1, 2, 0]


def test_a_passage_without_sentences_gets_no_evidence(monkeypatch):
    hits = hits_of(["甲", " ", "丙"], [1.0, 1.0, 0.2])
    assert evidence_order(hits, candidates_of([0, 2]), np.array([0.0, 3.0])) == [2, 0, 1]
    monkeypatch.setattr(embed.answer.rerank, "EVIDENCE_WEIGHT", 0.0)  # retrieval alone: ties keep the order
    assert evidence_order(hits, candidates_of([0, 2]), np.array([0.0, 3.0])) == [0, 1, 2]


def test_reordering_relabels_every_candidate_to_its_passages_new_place():
    hits = hits_of(["甲", "乙", "丙"], [1.0, 0.9, 0.5])
    candidates = candidates_of([0, 0, 1, 2])
    new_hits, relabelled = reorder(hits, candidates, [2, 0, 1])
    assert [h.chunk.text for h in new_hits] == ["丙", "甲", "乙"]
    assert [c.passage for c in relabelled] == [1, 1, 2, 0]
    assert [c.text for c in relabelled] == [c.text for c in candidates]  # their own order stays


def test_ask_shows_the_passage_its_answer_quotes_first_and_the_answer_does_not_depend_on_the_order():
    hits = hits_of([OTHER, PARK], [1.0, 0.7])
    answer = answer_question("沁泉湖公园什么时候开园？", hits, ranker=ALWAYS)
    assert [h.chunk.text for h in answer.hits] == [PARK, OTHER]
    assert "明年5月1日" in answer.sentences[0].text and answer.sentences[0].passage == 0
    for s in answer.sentences:
        assert answer.hits[s.passage].chunk.text[s.start : s.end] == s.text
    flipped = answer_question("沁泉湖公园什么时候开园？", hits[::-1], ranker=ALWAYS)
    assert flipped.text == answer.text and flipped.confidence == answer.confidence
