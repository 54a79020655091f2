"""Files that hung, aborted or garbled a build (issue 13): each is skipped with a reason, the rest read."""

from __future__ import annotations

import io
import json
import os
import threading
from pathlib import Path

import pytest

import embed.ingest.ingest as ingest
from embed.__main__ import main
from embed.batch.batch import summarize_corpus
from embed.ingest.ingest import read_corpus

GOOD = {"id": "good", "text": "沁泉湖公园正式开园迎客。公园总面积约296亩，其中水域面积120亩。"}
JAPANESE = "日本語の記事です。東京都は本日、新しい公園の開園を発表しました。多くの市民が訪れました。\n" * 5


def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def _lone_surrogate_file(folder: Path) -> Path:
    # json.dumps writes the escape as is: the file itself is valid UTF-8, the decoded string is not text.
    bad = '{"id": "bad", "text": "孤立\\ud800代理。后面还有一句话。"}'
    return _jsonl(folder / "news.jsonl", [bad, json.dumps(GOOD, ensure_ascii=False)])


def _read_within(paths: list[Path], seconds: float = 30):
    """read_corpus in a thread, so that a regression that hangs fails the test instead of the run."""
    result = []
    thread = threading.Thread(target=lambda: result.append(read_corpus(paths)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, f"read_corpus did not finish in {seconds} s"
    return result[0]


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


@pytest.mark.parametrize("name", ["pipe.txt", "pipe.jsonl"])
def test_a_fifo_is_skipped_not_waited_on(tmp_path: Path, name: str) -> None:
    os.mkfifo(tmp_path / name)
    (tmp_path / "page.txt").write_text(GOOD["text"], encoding="utf-8")
    corpus = _read_within([tmp_path])
    assert [Path(s.path).name for s in corpus.skipped] == [name]
    assert "not a regular file" in corpus.skipped[0].reason
    assert len(corpus.articles) == 1


@pytest.mark.parametrize("name", ["zero.txt", "zero.jsonl"])
def test_a_link_to_a_device_is_skipped_not_read(tmp_path: Path, name: str) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    (tmp_path / name).symlink_to("/dev/zero")
    corpus = _read_within([tmp_path / name])
    assert corpus.articles == () and "not a regular file" in corpus.skipped[0].reason


class _CountingReader:
    """A binary file that records the size asked of every readline."""

    def __init__(self, data: bytes) -> None:
        self.inner = io.BytesIO(data)
        self.sizes: list[int] = []

    def readline(self, size: int = -1) -> bytes:
        self.sizes.append(size)
        return self.inner.readline(size)


def test_an_overlong_jsonl_line_without_a_newline_is_read_past_in_bounded_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "MAX_RECORD_BYTES", 1000)
    monkeypatch.setattr(ingest, "READ_BLOCK", 100)
    data = b'{"id": 1}\n' + b"x" * 50_000 + b"\n" + b'{"id": 2}\n' + b"y" * 5000
    reader = _CountingReader(data)
    lines = list(ingest._bounded_lines(reader))
    assert [len(line) for line in lines] == [10, 1001, 10, 1001]
    assert reader.sizes and all(0 < size <= 1001 for size in reader.sizes)
    path = tmp_path / "big.jsonl"
    path.write_bytes(json.dumps(GOOD, ensure_ascii=False).encode() + b"\n" + b"x" * 50_000)
    corpus = read_corpus([path])
    assert [a.article_id for a in corpus.articles] == ["good"]
    assert [(s.line, s.reason.startswith("line too long")) for s in corpus.skipped] == [(2, True)]


def test_shift_jis_text_is_refused_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "ja.txt").write_bytes(JAPANESE.encode("shift_jis"))
    corpus = read_corpus([tmp_path])
    assert corpus.articles == ()
    assert "not plausibly Chinese" in corpus.skipped[0].reason


@pytest.mark.parametrize(
    "text",
    [
        "沁泉湖公园正式开园迎客，数千名市民前来游览。环湖步道和儿童乐园广受欢迎。\n" * 3,
        "沁泉湖公園正式開園迎客，數千名市民前來遊覽。環湖步道與兒童樂園廣受歡迎。\n" * 3,
    ],
    ids=["simplified", "traditional"],
)
def test_chinese_in_gbk_is_still_read(tmp_path: Path, text: str) -> None:
    (tmp_path / "gbk.txt").write_bytes(text.encode("gbk"))
    corpus = read_corpus([tmp_path])
    assert corpus.skipped == () and "沁泉湖" in corpus.articles[0].text


def test_invalid_utf8_in_an_argument_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    question = os.fsdecode(b"\xed\xa0\x80") + "沁泉湖"  # how Python hands such bytes over in sys.argv
    assert main(["ask", question, "--index-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == "policyqa: error: argument '\\xed\\xa0\\x80沁泉湖' is not valid UTF-8 text\n"


def test_sources_are_shown_relative_to_what_was_indexed(tmp_path: Path) -> None:
    folder = tmp_path / "archive"
    (folder / "2019").mkdir(parents=True)
    (folder / "2019" / "page.txt").write_text(GOOD["text"], encoding="utf-8")
    single = _jsonl(tmp_path / "evil.jsonl", [json.dumps({"id": "x", "text": "大沙河治理工程全面完工。"})])
    corpus = read_corpus([folder, single])
    assert sorted(a.source for a in corpus.articles) == ["archive/2019/page.txt", "evil.jsonl"]


def test_a_relative_folder_keeps_its_own_name_in_the_source(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text(GOOD["text"], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert [a.source for a in read_corpus(["seeds"]).articles] == ["seeds/a.txt"]
    assert [a.source for a in read_corpus(["."]).articles] == ["seeds/a.txt"]


def test_a_fifo_named_like_a_document_is_skipped_not_opened(tmp_path):
    import os

    from embed.ingest.ingest import read_corpus

    os.mkfifo(tmp_path / "scan.pdf")
    (tmp_path / "page.txt").write_text("沁泉湖公园明年5月1日正式开园。", encoding="utf-8")
    corpus = read_corpus([tmp_path])
    assert [a.source for a in corpus.articles] == [f"{tmp_path.name}/page.txt"]
    assert any("scan.pdf" in s.path and "not a regular file" in s.reason for s in corpus.skipped)
