"""Batch summary records and their three file formats (JSONL, Markdown, CSV), written and read back."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMATS = ("jsonl", "md", "csv")
"""Output formats of `policyqa summarize`."""

SUFFIXES = {".jsonl": "jsonl", ".md": "md", ".markdown": "md", ".csv": "csv"}

CSV_FIELDS = ("id", "title", "source", "date", "summary", "keywords", "chars", "hash")

_MD_RECORD = re.compile(r"^<!-- policyqa (\{.*\}) -->$", re.M)
"""Markdown keeps each record as JSON in an HTML comment (invisible when rendered) so a rerun can resume."""


@dataclass(frozen=True, slots=True)
class SummaryRecord:
    """One article's batch output. `content_hash` identifies the text and budget it was made from."""

    article_id: str
    title: str
    source: str
    date: str | None
    summary: str
    keywords: tuple[str, ...]
    chars: int
    content_hash: str

    def to_dict(self) -> dict[str, Any]:
        """The record as written: {id, title, source, date, summary, keywords, chars, hash}."""
        return {
            "id": self.article_id,
            "title": self.title,
            "source": self.source,
            "date": self.date,
            "summary": self.summary,
            "keywords": list(self.keywords),
            "chars": self.chars,
            "hash": self.content_hash,
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> SummaryRecord:
        """Parse a written record; raises KeyError/TypeError/ValueError when it is not one."""
        keywords = row["keywords"]
        if isinstance(keywords, str):  # CSV keeps them space-separated
            keywords = keywords.split()
        return cls(
            article_id=str(row["id"]),
            title=str(row.get("title") or ""),
            source=str(row.get("source") or ""),
            date=row.get("date") or None,
            summary=str(row["summary"]),
            keywords=tuple(str(k) for k in keywords),
            chars=int(row["chars"]),
            content_hash=str(row["hash"]),
        )


def format_for(out: Path, fmt: str | None) -> str:
    """The format to write: `fmt` when given (validated), else from OUT's suffix, else jsonl."""
    if fmt is None:
        return SUFFIXES.get(out.suffix.lower(), "jsonl")
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return fmt


def render_records(records: list[SummaryRecord], fmt: str) -> str:
    """The whole output file's text."""
    if fmt == "jsonl":
        return "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in records)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        for record in records:
            row = record.to_dict()
            writer.writerow({**row, "keywords": " ".join(record.keywords), "date": record.date or ""})
        return buffer.getvalue()
    return "# 文章摘要\n\n" + "".join(_markdown(r) for r in records)


def _markdown(record: SummaryRecord) -> str:
    meta = json.dumps(record.to_dict(), ensure_ascii=False).replace("-->", "--\\u003e")
    facts = " | ".join(
        f"{name}：{value}"
        for name, value in (("编号", record.article_id), ("来源", record.source), ("日期", record.date))
        if value
    )
    return (
        f"## {record.title or record.article_id}\n\n<!-- policyqa {meta} -->\n\n"
        f"- {facts} | 字数：{record.chars}\n- 关键词：{'、'.join(record.keywords)}\n\n{record.summary}\n\n"
    )


def read_records(path: Path, fmt: str) -> list[SummaryRecord]:
    """Records of an earlier output file, for resuming.

    Raises:
        ValueError: the file has content but no record of this format (it is some other file).
    """
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    rows = list(_rows(text, fmt))
    records = []
    for row in rows:
        try:
            records.append(SummaryRecord.from_dict(row))
        except (KeyError, TypeError, ValueError):
            log.warning("%s: ignoring a record that is not a summary: %.80r", path, row)
    if text.strip() and not records:
        raise ValueError(
            f"{path} exists and is not a {fmt} summaries file; choose another path or use --force"
        )
    return records


def _rows(text: str, fmt: str) -> list[dict[str, Any]]:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    if fmt == "md":
        blobs = _MD_RECORD.findall(text)
    else:
        blobs = [line for line in text.splitlines() if line.strip()]
    rows = []
    for blob in blobs:
        try:
            row = json.loads(blob)
        except json.JSONDecodeError:
            continue  # a foreign or damaged line: it will simply be summarized again
        if isinstance(row, dict):
            rows.append(row)
    return rows
