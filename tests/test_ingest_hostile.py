"""Files that hung, aborted or garbled a build (issue 13): each is skipped with a reason, the rest read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embed.__main__ import main
from embed.batch import summarize_corpus
from embed.ingest import read_corpus

GOOD = {"id": "good", "text": "沁泉湖公园正式开园迎客。公园总面积约296亩，其中水域面积120亩。"}


def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def _lone_surrogate_file(folder: Path) -> Path:
    # json.dumps writes the escape as is: the file itself is valid UTF-8, the decoded string is not text.
    bad = '{"id": "bad", "text": "孤立\\ud800代理。后面还有一句话。"}'
    return _jsonl(folder / "news.jsonl", [bad, json.dumps(GOOD, ensure_ascii=False)])


def test_a_lone_surrogate_line_is_skipped_and_reported_and_the_rest_read(tmp_path: Path) -> None:
    corpus = read_corpus([_lone_surrogate_file(tmp_path)])
    assert [a.article_id for a in corpus.articles] == ["good"]
    assert [(s.line, "lone surrogate" in s.reason) for s in corpus.skipped] == [(1, True)]


def test_summarize_writes_the_rest_past_a_lone_surrogate_line(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    report = summarize_corpus([_lone_surrogate_file(tmp_path)], out, progress=False)
    assert report.summarized == 1 and len(report.skipped) == 1
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == ["good"]


def test_index_and_add_skip_a_lone_surrogate_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "first").mkdir()
    first = _jsonl(tmp_path / "first" / "base.jsonl", [json.dumps(GOOD, ensure_ascii=False)])
    (tmp_path / "more").mkdir()
    more = _lone_surrogate_file(tmp_path / "more")
    second = {
        "id": "second",
        "text": "示范区成立六个重点工作领导小组，全力打造百亿产业集群。领导小组每月召开推进会。",
    }
    more.write_text(
        more.read_text(encoding="utf-8").replace(json.dumps(GOOD, ensure_ascii=False), json.dumps(second)),
        encoding="utf-8",
    )
    index_dir = str(tmp_path / "index")
    assert main(["index", str(first), str(more), "--index-dir", index_dir]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["articles"] == 2 and any("lone surrogate" in s for s in report["skipped"])
    assert main(["index", "--add", str(more), "--index-dir", index_dir]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["articles"] == 2 and any("lone surrogate" in s for s in report["skipped"])
