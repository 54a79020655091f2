from __future__ import annotations

import json

import pytest

from embed.config import Settings
from embed.datamodels import Answer, AnswerSentence, Article, Chunk, Hit
from embed.errors import BadInputError
from embed.eval.qa import QAItem, calibration, evaluate_qa, is_relevant, read_qa, score_answers, score_ranking
from embed.index.index import build_index
from embed.search.retrieve import Retriever

ARTICLES = [
    Article("d#1", "沁泉湖", "沁泉湖公园计划明年5月1日开园。", "d.txt"),
    Article("d#2", "大沙河", "大沙河治理完成投资3亿元。", "d.txt"),
    Article("d#3", "投资", "固定资产投资增长19.5%。", "d.txt"),
]


def _hit(text: str, article_id: str = "x") -> Hit:
    return Hit(Chunk(0, article_id, "", text, 0, len(text)), 1.0)


def _write(tmp_path, rows) -> str:
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return str(path)


def test_relevance_ignores_whitespace():
    assert is_relevant("明年 5月\n1日开园", ["明年5月1日"])
    assert not is_relevant("明年开园", ["5月1日"])
    assert not is_relevant("任何文字", [" "])


def test_a_relevant_passage_at_rank_two_scores_half_mrr():
    item = QAItem("q", "问", ("答案",), context_id="y")
    scores = score_ranking([_hit("无关", "y"), _hit("这是答案", "z")], item)
    assert scores == {"recall@1": 0.0, "recall@5": 1.0, "mrr@10": 0.5, "doc@1": 1.0}


def test_no_relevant_passage_scores_zero_and_doc_at_1_needs_a_context_id():
    scores = score_ranking([_hit("无关")], QAItem("q", "问", ("答案",)))
    assert scores == {"recall@1": 0.0, "recall@5": 0.0, "mrr@10": 0.0}


def test_evaluate_reports_every_mode_and_the_answer_hit_rate(tmp_path, fake_encoder):
    retriever = Retriever(build_index(ARTICLES, Settings(index_dir=tmp_path), fake_encoder), fake_encoder)
    qa = _write(
        tmp_path,
        [
            {
                "qid": "1",
                "question": "沁泉湖公园什么时候开园？",
                "answers": ["明年5月1日"],
                "context_id": "d#1",
            },
            {"qid": "2", "question": "大沙河治理投资多少？", "answers": ["3亿元"], "context_id": "d#2"},
            {"qid": "3", "question": "的了吗", "answers": ["不存在的答案"], "context_id": "d#3"},
        ],
    )
    result = evaluate_qa(
        retriever, qa, ask_fn=lambda q: _answer(q, "明年5月1日开园。" if "沁泉湖" in q else "")
    )
    assert result["n"] == 3 and result["mode"] == "hybrid"
    assert set(result["modes"]) == {"bm25", "dense", "hybrid"}
    for metrics in result["modes"].values():
        assert metrics["recall@1"] == pytest.approx(2 / 3, abs=1e-3)
        assert metrics["doc@1"] == pytest.approx(2 / 3, abs=1e-3)
    assert result["recall@5"] == result["modes"]["hybrid"]["recall@5"]
    assert result["answer_hit"] == pytest.approx(1 / 3, abs=1e-3)


def test_the_passages_as_asked_are_scored_apart_and_the_baselines_read_retrievals_order(tmp_path):
    top = Hit(Chunk(0, "a#1", "标题", "示范区召开会议。", 0, 8), 0.9)
    second = Hit(Chunk(1, "a#2", "标题", "沁泉湖公园明年5月1日开园。", 0, 14), 0.5)

    class TwoHits:
        def search(self, query, k=5, mode="hybrid"):
            return [top, second]

    def ask(question):  # an answer that shows the passage it quotes first
        sentence = AnswerSentence(second.chunk.text, 0, 0, 14)
        return Answer(question, sentence.text, (sentence,), (second, top), found=True, confidence=0.9)

    qa = _write(tmp_path, [{"qid": "1", "question": "开园", "answers": ["5月1日"], "context_id": "a#2"}])
    result = evaluate_qa(TwoHits(), qa, modes=("hybrid",), ask_fn=ask)
    assert result["recall@1"] == 0.0 and result["doc@1"] == 0.0
    assert result["ask_order"] == {"recall@1": 1.0, "recall@5": 1.0, "mrr@10": 1.0, "doc@1": 1.0}
    assert result["baselines"]["lead"]["first_hit"] == 0.0  # the top retrieved passage's first sentence


def test_a_malformed_line_names_the_file_and_line(tmp_path):
    path = _write(tmp_path, [{"qid": "1", "question": "问", "answers": ["答"]}, {"qid": "2"}])
    with pytest.raises(BadInputError, match=r"qa.jsonl:2"):
        read_qa(path)


def test_the_seed_dev_file_reads_without_context_ids(shared_eval):
    items = read_qa(shared_eval / "seeds_qa" / "dev.jsonl")
    assert items and all(item.answers and item.context_id is None for item in items)


def test_doc_at_1_counts_only_questions_that_name_their_article(tmp_path):
    hit = Hit(Chunk(0, "a#1", "标题", "沁泉湖公园明年5月1日开园。", 0, 14), 1.0)

    class OneHit:
        def search(self, query, k=5, mode="hybrid"):
            return [hit]

    qa = tmp_path / "qa.jsonl"
    rows = [
        {"qid": "1", "question": "开园", "answers": ["5月1日"], "context_id": "a#1"},
        {"qid": "2", "question": "开园", "answers": ["5月1日"]},
    ]
    qa.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = evaluate_qa(OneHit(), qa, modes=("hybrid",))
    assert result["doc@1"] == 1.0 and result["recall@1"] == 1.0


def _answer(question: str, *texts: str, confidence: float = 0.9) -> Answer:
    """An answer of the given sentences (none: declined), citing passage 0."""
    sentences = tuple(AnswerSentence(t, 0, 0, len(t)) for t in texts if t)
    text = "".join(s.text for s in sentences)
    return Answer(question, text, sentences, (), found=bool(sentences), confidence=confidence)


def test_answers_are_scored_on_the_first_sentence_length_and_declines(tmp_path):
    items = [
        QAItem("1", "开园？", ("5月1日",)),
        QAItem("2", "投资？", ("3亿元",)),
        QAItem("3", "面积？", ("296亩",)),
        QAItem("4", "门票？", ()),
        QAItem("5", "高考？", ()),
    ]
    answers = [
        _answer("开园？", "5月1日开园。"),  # first sentence holds it
        _answer("投资？", "项目位于示范区。", "总投资3亿元。"),  # holds it, but not first
        _answer("面积？"),  # declined although answerable
        _answer("门票？"),  # rightly declined
        _answer("高考？", "分数线另行公布。", confidence=0.8),  # answered though unanswerable
    ]
    scores = score_answers(items, answers)
    assert scores["answer_hit"] == pytest.approx(2 / 3, abs=1e-3)
    assert scores["first_hit"] == pytest.approx(1 / 3, abs=1e-3)
    assert scores["answered"] == pytest.approx(2 / 3, abs=1e-3)
    assert scores["declined"] == 0.5
    assert scores["answer_chars"] == (len("5月1日开园。") + len("项目位于示范区。总投资3亿元。")) / 2
    # Three answers given at 0.9, 0.9 and 0.8: one holds the fact first.
    assert scores["calibration"]["brier"] == pytest.approx((0.1**2 + 0.9**2 + 0.8**2) / 3, abs=1e-3)


def test_calibration_error_is_zero_when_confidence_matches_the_hit_rate():
    pairs = [(0.5, True), (0.5, False), (0.9, True)] * 10
    perfect = calibration([(0.5, True), (0.5, False)] * 10)
    assert perfect["ece"] == 0.0 and perfect["bins"] == [[0.5, 0.5, 20]]
    assert calibration(pairs)["ece"] > 0.0


def test_the_baselines_answer_from_the_same_passages_in_the_same_run(tmp_path, fake_encoder):
    retriever = Retriever(build_index(ARTICLES, Settings(index_dir=tmp_path), fake_encoder), fake_encoder)
    qa = _write(tmp_path, [{"qid": "1", "question": "沁泉湖公园什么时候开园？", "answers": ["明年5月1日"]}])
    result = evaluate_qa(retriever, qa, modes=("hybrid",), ask_fn=lambda q: ask_with(retriever, q))
    assert set(result["baselines"]) == {"best_sentence", "lead"}
    for baseline in result["baselines"].values():
        assert set(baseline) >= {"answer_hit", "first_hit", "answer_chars"}
        assert baseline["answer_hit"] == baseline["first_hit"]  # one sentence each


def ask_with(retriever: Retriever, question: str) -> Answer:
    hits = retriever.search(question, k=5)
    return Answer(question, "", (), tuple(hits), found=False)
