from __future__ import annotations

import json

import pytest

from embed.errors import BadInputError
from embed.eval.summary import evaluate_summaries, greedy_oracle, read_summary_examples

ROWS = [
    {
        "id": "x1",
        "text": "示范区召开安全生产会议，部署节日安全工作。会议要求排查隐患。与会人员参观了展览。",
        "summary": "示范区召开安全生产会议，部署节日安全工作。",
    },
    {
        "id": "x2",
        "text": "沁泉湖公园将于明年5月1日开园。公园占地600亩。天气晴朗。",
        "summary": "沁泉湖公园明年5月1日开园，占地600亩。",
    },
]


def write(tmp_path, rows, name="s.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_the_report_has_system_and_lead_scores_side_by_side(tmp_path):
    report = evaluate_summaries(write(tmp_path, ROWS), max_chars=20)
    assert report["n"] == 2 and report["max_chars"] == 20
    assert report["lead"]["n"] == 2  # the contract: the same keys under "lead"
    for scores in (report, report["lead"]):
        for key in ("rouge1", "rouge2", "rougeL"):
            assert 0.0 < scores[key] <= 1.0
    json.dumps(report)  # JSON-ready for `eval --summaries --json`


def test_a_reference_equal_to_the_lead_gives_lead_a_perfect_score(tmp_path):
    rows = [{"id": "a", "text": "第一句话。第二句话。第三句话。", "summary": "第一句话。"}]
    report = evaluate_summaries(write(tmp_path, rows), max_chars=4)
    assert report["lead"]["rougeL"] == pytest.approx(1.0)


def test_a_malformed_line_names_the_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "1", "text": "a", "summary": "b"}\n{"id": 2, "text": 5}\n', encoding="utf-8")
    with pytest.raises(BadInputError, match="bad.jsonl:2"):
        read_summary_examples(path)
    path.write_text("not json\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="bad.jsonl:1"):
        evaluate_summaries(path)


def test_an_empty_file_is_an_error(tmp_path):
    with pytest.raises(BadInputError, match="no examples"):
        evaluate_summaries(write(tmp_path, []))


def test_the_greedy_oracle_takes_what_the_reference_says_in_reading_order():
    sentences = ["天气晴朗。", "沁泉湖公园明年5月1日开园。", "公园占地600亩。", "市民很期待。"]
    picks = greedy_oracle(sentences, "沁泉湖公园明年5月1日开园，占地600亩。", max_chars=100)
    assert picks == [1, 2]
    assert greedy_oracle(sentences, "毫不相干", max_chars=100) == []  # nothing shared


def test_the_greedy_oracle_stops_once_the_budget_is_reached():
    sentences = ["甲乙丙丁。", "戊己庚辛。", "壬癸子丑。"]
    assert greedy_oracle(sentences, "甲乙丙丁戊己庚辛壬癸子丑", max_chars=5) == [0]
    assert greedy_oracle(sentences, "甲乙丙丁戊己庚辛壬癸子丑", max_chars=6) == [0, 1]


def test_the_oracle_is_reported_only_when_asked_and_bounds_both_systems(tmp_path):
    path = write(tmp_path, ROWS)
    assert "oracle" not in evaluate_summaries(path, max_chars=20)
    report = evaluate_summaries(path, max_chars=20, oracle=True)
    assert report["oracle"]["n"] == 2
    assert report["oracle"]["rougeL"] >= max(report["rougeL"], report["lead"]["rougeL"])
