from __future__ import annotations

import codecs
import json
import logging
import os
import shutil
import time
from pathlib import Path

import pytest

from embed.ingest.ingest import MAX_PAGE_BYTES, html_to_text, iter_files, read_corpus

DATA = Path(__file__).resolve().parent / "data" / "ingest"
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
PAGE = "示范区召开植树动员会\n\n本报讯（记者李明）3月12日，示范区召开植树动员会，部署全年绿化任务。\n"


def _reasons(corpus) -> dict[tuple[str, int | None], str]:
    return {(Path(s.path).name, s.line): s.reason for s in corpus.skipped}


@pytest.fixture(scope="module")
def edge_corpus():
    return read_corpus([DATA])


def test_seeds_folder_reads_into_titled_articles_with_nothing_skipped():
    corpus = read_corpus([SEEDS])
    assert corpus.files_read == 5 and corpus.skipped == ()
    assert len(corpus.articles) >= 24
    assert corpus.articles[0].source.endswith("seeds/000_ad2b75026808bc19.txt")


def test_a_gb18030_page_is_decoded(edge_corpus):
    article = next(a for a in edge_corpus.articles if a.article_id == "gb18030_page#1")
    assert article.title == "示范区召开秋季植树动员会"
    assert "各乡镇要进一步压实责任" in article.text and "王芳" not in article.text


def test_a_utf8_page_with_bom_has_no_bom_in_its_title(edge_corpus):
    article = next(a for a in edge_corpus.articles if a.article_id == "bom_page#1")
    assert article.title == "沁河大桥主体完工" and article.date == "5月20日"


def test_html_keeps_the_text_and_drops_tags_scripts_and_styles(edge_corpus):
    article = next(a for a in edge_corpus.articles if a.source.endswith("page.html"))
    assert article.title == "新区图书馆开馆"
    assert "藏书12万册" in article.text and "免费借阅" in article.text
    assert "<" not in article.text and "color" not in article.text and "var a" not in article.text


def test_html_block_elements_become_lines():
    assert html_to_text("<div>一</div><p>二<br>三</p>").split() == ["一", "二", "三"]


def test_markdown_markup_is_dropped_and_a_repeated_stem_gets_its_folder(edge_corpus):
    article = next(a for a in edge_corpus.articles if a.source.endswith("page.md"))
    assert article.article_id == "ingest/page#1"
    assert article.title == "高新区举办招聘会" and "**" not in article.text


def test_jsonl_ids_titles_and_dates_are_kept(edge_corpus):
    by_id = {a.article_id: a for a in edge_corpus.articles}
    assert by_id["news-1"].title == "示范区启动夜市"
    assert (by_id["news-1"].date, by_id["news-1"].year, by_id["news-1"].year_basis) == (
        "2021-07-01",
        2021,
        "stated",
    )
    assert by_id["news-3"].date == "8月3日" and by_id["news-3"].byline == ("孙丽",)
    assert all(a.source.endswith("articles.jsonl") for a in (by_id["news-1"], by_id["news-3"]))


def test_bad_jsonl_lines_are_reported_with_their_line_and_the_rest_read(edge_corpus):
    reasons = _reasons(edge_corpus)
    assert reasons[("articles.jsonl", 2)].startswith("malformed JSON")
    assert "JSON object" in reasons[("articles.jsonl", 4)]
    assert "duplicate id 'news-1'" in reasons[("articles.jsonl", 5)]
    assert '"id"' in reasons[("articles.jsonl", 6)]


def test_binary_empty_undecodable_and_unsupported_files_are_reported(edge_corpus):
    reasons = _reasons(edge_corpus)
    assert "binary" in reasons[("binary.txt", None)]
    assert reasons[("empty.txt", None)] == "empty file"
    assert "unknown encoding" in reasons[("latin1.txt", None)]
    assert "corrupt or truncated PDF" in reasons[("notes.pdf", None)]


def test_an_unsupported_file_type_is_reported_with_the_types_read(tmp_path):
    (tmp_path / "table.xlsx").write_bytes(b"PK")
    (tmp_path / "a.txt").write_text(PAGE, encoding="utf-8")
    corpus = read_corpus([tmp_path])
    (reason,) = [s.reason for s in corpus.skipped]
    assert "unsupported file type '.xlsx'" in reason and ".pdf" in reason and ".docx" in reason
    assert len(corpus.articles) == 1


def test_the_run_counts_what_was_taken_and_skipped(edge_corpus, caplog):
    assert edge_corpus.files_read == 5
    assert len(edge_corpus.articles) == 6
    assert len(edge_corpus.skipped) == 8
    with caplog.at_level(logging.INFO, logger="embed.ingest.ingest"):
        read_corpus([DATA / "page.html"])
    assert "read 1 files: 1 articles, 0 skipped" in caplog.text


def test_a_missing_path_is_reported_and_the_rest_read(tmp_path):
    (tmp_path / "a.txt").write_text(PAGE, encoding="utf-8")
    corpus = read_corpus([tmp_path / "missing", tmp_path / "a.txt"])
    assert [s.reason for s in corpus.skipped] == ["no such file or directory"]
    assert len(corpus.articles) == 1


def test_a_utf8_file_with_one_bad_line_drops_only_that_line(tmp_path):
    raw = PAGE.encode("utf-8") + b"\xff\xfe broken\n" + "会议要求加快进度。\n".encode()
    (tmp_path / "page.txt").write_bytes(raw)
    corpus = read_corpus([tmp_path])
    assert [(s.line, "undecodable" in s.reason) for s in corpus.skipped] == [(4, True)]
    assert "会议要求加快进度。" in corpus.articles[0].text


def test_utf16_text_is_reported_as_unsupported(tmp_path):
    (tmp_path / "u16.txt").write_bytes(codecs.BOM_UTF16_LE + PAGE.encode("utf-16-le"))
    corpus = read_corpus([tmp_path])
    assert "UTF-16" in corpus.skipped[0].reason and corpus.articles == ()


def test_big5_text_is_reported_not_read_as_mojibake(tmp_path):
    page = "示範區召開新型城鎮化建設工作會議\n本報訊（記者郭樹勳）7月7日，示範區召開會議，部署重點工作。\n"
    (tmp_path / "big5.txt").write_bytes(page.encode("big5"))
    corpus = read_corpus([tmp_path])
    assert "Big5" in corpus.skipped[0].reason and corpus.articles == ()


def test_a_50_mb_page_is_reported_without_reading_it_and_the_rest_read(tmp_path):
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    (tmp_path / "small.txt").write_text(PAGE, encoding="utf-8")
    started = time.perf_counter()
    corpus = read_corpus([tmp_path])
    assert time.perf_counter() - started < 5
    assert MAX_PAGE_BYTES < big.stat().st_size
    assert "too large" in _reasons(corpus)[("big.txt", None)]
    assert [a.article_id for a in corpus.articles] == ["small#1"]


def test_a_large_jsonl_file_is_streamed(tmp_path):
    path = tmp_path / "many.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for n in range(3000):
            text = f"本报讯（记者李明）3月{n % 28 + 1}日，第{n}号项目开工，总投资{n}万元，预计年底建成投产。"
            handle.write(json.dumps({"id": f"n{n}", "text": text}, ensure_ascii=False) + "\n")
    started = time.perf_counter()
    corpus = read_corpus([path])
    assert time.perf_counter() - started < 30
    assert len(corpus.articles) == 3000 and corpus.skipped == ()


def test_thousands_of_files_are_read_in_a_stable_sorted_order(tmp_path):
    for n in range(2000):
        folder = tmp_path / f"d{n % 10}"
        folder.mkdir(exist_ok=True)
        text = f"第{n}号新闻标题\n本报讯（记者李明）第{n}号项目开工，总投资{n}万元，带动就业{n * 3}人。\n"
        (folder / f"p{n:04d}.txt").write_text(text, encoding="utf-8")
    started = time.perf_counter()
    corpus = read_corpus([tmp_path])
    assert time.perf_counter() - started < 60
    assert corpus.files_read == 2000 and len(corpus.articles) == 2000
    sources = [a.source for a in corpus.articles]
    assert sources == sorted(sources)
    assert [a.article_id for a in read_corpus([tmp_path]).articles] == [a.article_id for a in corpus.articles]


def test_hidden_files_and_folders_are_passed_over(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text(PAGE, encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text(PAGE, encoding="utf-8")
    assert list(iter_files([tmp_path])) == []


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads files whatever their mode"
)
def test_an_unreadable_file_is_reported(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(PAGE, encoding="utf-8")
    path.chmod(0)
    try:
        corpus = read_corpus([tmp_path])
    finally:
        path.chmod(0o644)
    assert "cannot read file" in corpus.skipped[0].reason


def test_a_read_error_is_reported_and_the_rest_read(tmp_path, monkeypatch):
    # Simulates an unreadable file also when the suite runs as root (where chmod 000 does not block reads).
    (tmp_path / "a.txt").write_text(PAGE, encoding="utf-8")
    (tmp_path / "b.txt").write_text(PAGE.replace("植树", "护林"), encoding="utf-8")
    real_open = os.open

    def os_open(path, flags, *args, **kwargs):
        if Path(path).name == "a.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    corpus = read_corpus([tmp_path])
    assert [(Path(s.path).name, s.reason) for s in corpus.skipped] == [
        ("a.txt", "cannot read file: Permission denied")
    ]
    assert [a.article_id for a in corpus.articles] == ["b#1"]


def test_a_folder_given_as_a_file_path_or_a_directory_with_a_page_suffix_does_not_crash(tmp_path):
    (tmp_path / "odd.txt").mkdir()
    (tmp_path / "odd.txt" / "inner.txt").write_text(PAGE, encoding="utf-8")
    corpus = read_corpus([tmp_path])
    assert [a.article_id for a in corpus.articles] == ["inner#1"]


def test_the_same_page_under_two_names_is_kept_once(tmp_path):
    shutil.copy(SEEDS / "004_6036fc136ad9b319.txt", tmp_path / "a.txt")
    shutil.copy(SEEDS / "004_6036fc136ad9b319.txt", tmp_path / "b.txt")
    corpus = read_corpus([tmp_path])
    assert {a.source for a in corpus.articles} == {f"{tmp_path.name}/a.txt"}  # relative to what was indexed
    assert corpus.duplicates_dropped == len(corpus.articles)


def test_a_page_with_only_layout_noise_is_reported(tmp_path):
    (tmp_path / "noise.txt").write_text("编辑:陈彬\n版式:汪洋\n", encoding="utf-8")
    corpus = read_corpus([tmp_path])
    assert corpus.files_read == 1 and corpus.skipped[0].reason == "no article text found after cleaning"
