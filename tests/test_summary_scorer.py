from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import NO_SHARED

from embed.summarize.features import FEATURES, sentence_features
from embed.summarize.scorer import MODEL_PATH, SummaryScorer, load_scorer
from embed.summarize.selection import MODEL_PATH as SELECTOR_PATH
from embed.summarize.summarize import sentence_graph
from embed.text.sentences import split_sentences
from embed.text.words import tokenize

REPO = Path(__file__).resolve().parent.parent
TRAIN = REPO.parent / "shared" / "train" / "crud_event_summary" / "docs.jsonl"

TEXT = (
    "本报讯 8月18日，示范区召开安全生产工作会议，部署节日期间安全工作。\n"
    "会议指出，全区今年排查隐患126处，整改率达98%。\n"
    "会议要求，各部门要压实责任。\n"
    "（记者 郭树勋）"
)


def _rows(text: str) -> np.ndarray:
    sentences = split_sentences(text)
    graph, _ = sentence_graph([tokenize(s.text) for s in sentences])
    return sentence_features(text, sentences, graph)


def test_the_shipped_model_has_one_weight_per_feature_and_says_what_it_was_trained_on():
    scorer = load_scorer()
    assert scorer.model.names == FEATURES
    assert len(scorer.model.coef) == len(FEATURES) and np.all(scorer.model.scale > 0)
    assert "crud_event_summary" in scorer.meta["trained_on"] and scorer.meta["articles"] > 600


def test_a_label_opens_furniture_only_when_the_sentence_is_a_short_credit_line():
    lead = (
        "来源：金融界网站今日下午消息上海市公安局浦东分局发布消息，通报了上海证大文化创意发展有限公司"
        "涉嫌非法吸收公众存款案立案侦查进展情况。"
    )
    credit, promotion = "来源：浦东公安", "扫码关注更多精彩资讯，内容持续更新中，欢迎转发。"
    text = f"{lead}\n目前，公安机关已初步追缴现金约2亿元。\n{credit}\n{promotion}"
    column = _rows(text)[:, FEATURES.index("boilerplate")]
    assert column.tolist() == [0, 0, 1, 1]  # a glued lead is content; the credit and the promotion are not


def test_features_read_what_the_sentences_say():
    rows = _rows(TEXT)
    column = {name: rows[:, i] for i, name in enumerate(FEATURES)}
    assert rows.shape == (4, len(FEATURES))
    assert column["dateline"].tolist() == [1, 0, 0, 1]
    assert column["boilerplate"].tolist() == [0, 0, 0, 1]
    assert column["numbers"][1] > 0 and column["numbers"][2] == 0
    assert column["exhortation"][2] == 1 and column["paragraph_start"].tolist() == [1, 1, 1, 1]
    assert column["first_cosine"][0] == pytest.approx(1.0)


def test_the_shipped_scorer_rates_a_byline_below_the_news():
    scores = load_scorer().score(_rows(TEXT))
    assert np.all((scores > 0) & (scores < 1))
    assert scores[3] < scores[:3].min()


def test_the_json_form_round_trips_and_a_stale_model_is_refused(tmp_path):
    scorer = load_scorer()
    path = tmp_path / "model.json"
    scorer.save(path)
    again = SummaryScorer.from_dict(json.loads(path.read_text(encoding="utf-8")))
    rows = _rows(TEXT)
    assert np.allclose(again.score(rows), scorer.score(rows))
    stale = json.loads(path.read_text(encoding="utf-8"))
    stale["features"].pop("quote")
    with pytest.raises(ValueError, match="retrain"):
        SummaryScorer.from_dict(stale)


@pytest.mark.slow
def test_the_training_script_rebuilds_the_shipped_model_byte_for_byte(tmp_path):
    if not TRAIN.is_file():
        pytest.skip(NO_SHARED)
    out = tmp_path / "summary_scorer.json"
    selector_out = tmp_path / "summary_selector.json"
    subprocess.run(
        [
            sys.executable,
            "scripts/train_summary_scorer.py",
            "--out",
            str(out),
            "--selector-out",
            str(selector_out),
        ],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": ""},
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == MODEL_PATH.read_bytes()
    assert selector_out.read_bytes() == SELECTOR_PATH.read_bytes()
