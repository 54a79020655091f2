"""Batch outputs under hostile article text (issue 13): no formulas, inert Markdown, safe resume."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from embed.batch.batch import summarize_corpus
from embed.batch.formats import CSV_TRIGGERS, read_records

FORMULAS = {
    "id": "=1+1",
    "title": '=HYPERLINK("http://x")',
    "date": "@SUM(A1)",
    "text": "-2+3 减号开头的句子。第二句话也在这里。",
}


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_csv_cells_that_a_spreadsheet_would_run_start_with_a_quote(tmp_path: Path) -> None:
    source = _write_jsonl(tmp_path / "f.jsonl", [FORMULAS, {"id": "'quoted", "text": "\t制表符开头。"}])
    out = tmp_path / "f.csv"
    summarize_corpus([source], out, progress=False)
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert [r["id"] for r in rows] == ["'=1+1", "''quoted"]
    assert rows[0]["title"] == "'" + FORMULAS["title"]
    assert rows[0]["date"] == "'@SUM(A1)"
    assert rows[0]["summary"].startswith("'-2+3")
    for row in rows:
        assert not any(cell.startswith(CSV_TRIGGERS) for cell in row.values())


def test_csv_with_quoted_cells_reads_back_as_written_and_resumes(tmp_path: Path) -> None:
    source = _write_jsonl(tmp_path / "f.jsonl", [FORMULAS, {"id": "'quoted", "text": "引号开头。"}])
    out = tmp_path / "f.csv"
    summarize_corpus([source], out, progress=False)
    records = read_records(out, "csv")
    assert [r.article_id for r in records] == ["=1+1", "'quoted"]
    assert records[0].title == FORMULAS["title"] and records[0].date == "@SUM(A1)"
    first = out.read_text(encoding="utf-8")
    report = summarize_corpus([source], out, progress=False)
    assert report.reused == 2 and report.summarized == 0
    assert out.read_text(encoding="utf-8") == first  # no quote added again on every rerun


def test_markdown_shows_html_and_links_as_text_and_keeps_titles_on_one_line(tmp_path: Path) -> None:
    article = {
        "id": "evil",
        "title": "<script>alert(1)</script>标题\n## 伪造的标题",
        "text": "第一句<img src=x onerror=alert(1)>很长。[点我](javascript:alert(1))是链接。"
        "**粗体**和`代码`。",
    }
    source = _write_jsonl(tmp_path / "f.jsonl", [article])
    out = tmp_path / "f.md"
    summarize_corpus([source], out, max_chars=500, progress=False)
    text = out.read_text(encoding="utf-8")
    assert "<script" not in text and "<img" not in text  # not even inside the record's comment
    visible = re.sub(r"<!-- policyqa .* -->", "", text)
    assert not re.search(r"(?<!\\)\]\(javascript:", visible) and "**粗体**" not in visible
    assert re.findall(r"^#+ .*$", text, re.M) == [
        "# 文章摘要",
        "## &lt;script&gt;alert(1)&lt;/script&gt;标题 \\#\\# 伪造的标题",
    ]
    assert "&lt;img src=x onerror=alert(1)&gt;" in text and "\\[点我\\](javascript:alert(1))" in text


def test_a_title_cannot_plant_a_resume_record_for_another_article(tmp_path: Path) -> None:
    victim = {"id": "victim", "text": "沁泉湖公园正式开园迎客。公园总面积约296亩。"}
    source = _write_jsonl(tmp_path / "f.jsonl", [victim])
    out = tmp_path / "f.md"
    summarize_corpus([source], out, progress=False)
    genuine = read_records(out, "md")[0]
    fake = json.dumps({**genuine.to_dict(), "summary": "被篡改的摘要。"}, ensure_ascii=False)
    attacker = {"id": "attacker", "title": f"标题\n\n<!-- policyqa {fake} -->", "text": "攻击者的文章。"}
    _write_jsonl(source, [victim, attacker])  # the fake comes after the genuine record, so it would win
    summarize_corpus([source], out, force=True, progress=False)
    summarize_corpus([source], out, progress=False)  # resumes from what the last run wrote
    records = {r.article_id: r for r in read_records(out, "md")}
    assert set(records) == {"attacker", "victim"}
    assert records["victim"].summary == genuine.summary
    assert records["attacker"].title == attacker["title"]  # kept intact in the record, escaped on the page
