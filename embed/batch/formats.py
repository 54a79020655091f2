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

from ..errors import BadInputError

log = logging.getLogger(__name__)

FORMATS = ("jsonl", "md", "csv")
"""Output formats of `policyqa summarize`."""

SUFFIXES = {".jsonl": "jsonl", ".md": "md", ".markdown": "md", ".csv": "csv"}

CSV_FIELDS = ("id", "title", "source", "date", "summary", "keywords", "chars", "hash")

_MD_RECORD = re.compile(r"^## [^\n]*\n\n<!-- policyqa (\{.*\}) -->$", re.M)
"""Markdown keeps each record as JSON in an HTML comment (invisible when rendered) so a rerun can resume.
Only a comment right below a heading counts, and article text is escaped so it can never form one."""

CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet treats a cell starting with one of these as a formula (=HYPERLINK(...) in a title). Such
cells get a leading single quote (OWASP's advice), as do cells already starting with one, so that reading
the file back (resume) can drop exactly the quote that was added."""

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}|#~!])")
"""Markdown syntax characters, escaped with a backslash in article text: no links, images or emphasis."""

_JSON_IN_COMMENT = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})

_MD_LINE_START = re.compile(r"^(?:([-+>])|(\d{1,9})([.)]))")
"""What starts a list or a quote at the beginning of a line."""


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
    """The format to write: `fmt` when given (validated), else from OUT's suffix (jsonl when it has none).

    Raises:
        ValueError: a bad `fmt`, or an OUT suffix that names no format (out.txt would get JSON lines
            that its name does not promise).
    """
    if fmt is None:
        suffix = out.suffix.lower()
        if suffix and suffix not in SUFFIXES:
            known = ", ".join(SUFFIXES)
            raise BadInputError(
                f"cannot tell the format of {out.name} from its suffix: name it {known}, or give --format"
            )
        return SUFFIXES.get(suffix, "jsonl")
    if fmt not in FORMATS:
        raise BadInputError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
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
            row = {**record.to_dict(), "keywords": " ".join(record.keywords), "date": record.date or ""}
            writer.writerow({key: _csv_cell(value) for key, value in row.items()})
        return buffer.getvalue()
    return "# 文章摘要\n\n" + "".join(_markdown(r) for r in records)


def _csv_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith((*CSV_TRIGGERS, "'")):
        return "'" + value
    return value


def _csv_value(value: object) -> object:
    """A cell as it was before `_csv_cell`."""
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


def _markdown(record: SummaryRecord) -> str:
    # No <, > or & inside the comment: "-->" or a browser's "--!>" would end it early and expose the rest.
    meta = json.dumps(record.to_dict(), ensure_ascii=False).translate(_JSON_IN_COMMENT)
    facts = " | ".join(
        f"{name}：{_md_text(value)}"
        for name, value in (("编号", record.article_id), ("来源", record.source), ("日期", record.date))
        if value
    )
    keywords = "、".join(_md_text(k) for k in record.keywords)
    return (
        f"## {_md_text(record.title or record.article_id)}\n\n<!-- policyqa {meta} -->\n\n"
        f"- {facts} | 字数：{record.chars}\n- 关键词：{keywords}\n\n{_md_text(record.summary)}\n\n"
    )


def _md_text(text: str) -> str:
    """Article text as inert Markdown on one line: HTML, links and emphasis shown as typed, never active.

    One line, because a newline in a title would start a new block (a heading, a fake record comment).
    """
    line = " ".join(text.split())
    line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    line = _MD_SPECIAL.sub(r"\\\1", line)
    return _MD_LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", line)


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
        raise BadInputError(
            f"{path} exists and is not a {fmt} summaries file; choose another path or use --force"
        )
    return records


def _rows(text: str, fmt: str) -> list[dict[str, Any]]:
    if fmt == "csv":
        return [{k: _csv_value(v) for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]
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
