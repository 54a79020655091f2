"""End to end: a folder of every format people have is indexed in one run and answers with file and page."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("reportlab", reason="the PDF fixtures are drawn with reportlab (pip install -e '.[dev]')")

from format_fixtures import (
    BRIDGE,
    JOBS,
    NEWS_PAGE,
    NOTICE_TITLE,
    PARK,
    RIVER,
    cjk_font,
    draw_scanned_page,
    draw_three_article_page,
    render_scan,
    write_docx_notice,
    write_pdf,
    write_zip_bomb_docx,
)
from reportlab.lib.pdfencrypt import StandardEncryption

from embed.archive import Archive
from embed.config import Settings
from embed.index.index import build_index
from embed.ingest.ingest import read_corpus
from embed.ingest.ocr import ocr_available

QUESTIONS = [
    ("沁泉湖公园项目总投资多少？", "4.6亿元", "paper.pdf", 1),
    ("高新区秋季招聘会提供多少个就业岗位？", "3800余个", "paper.pdf", 1),
    ("大沙河生态治理工程治理河道长度是多少？", "12.8公里", "paper.pdf", 1),
    ("文昌街道的植树任务是多少？", "12000株", "notice.docx", None),
    ("示范区今年计划新植苗木多少株？", "12万株", "news.html", None),
]
SCAN_QUESTION = ("沁河大桥全长多少公里？", "1.2公里", "paper.pdf", 2)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("archive")
    draws = [draw_three_article_page]
    font = cjk_font()
    if font is not None:
        draws.append(draw_scanned_page(render_scan(BRIDGE, font)))
    write_pdf(root / "paper.pdf", *draws)
    write_docx_notice(root / "notice.docx")
    (root / "news.html").write_text(NEWS_PAGE, encoding="utf-8")
    # The bad files of a real folder: each is reported, and the rest still indexed.
    (root / "bad").mkdir()
    write_pdf(root / "bad" / "locked.pdf", draw_three_article_page, encrypt=StandardEncryption("secret"))
    write_zip_bomb_docx(root / "bad" / "bomb.docx")
    (root / "bad" / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    (root / "bad" / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    return root


@pytest.fixture(scope="module")
def corpus(folder):
    return read_corpus([folder])


@pytest.fixture(scope="module")
def archive(corpus, tmp_path_factory) -> Archive:
    # The built-in model, fitted on these articles as `policyqa index` does (a few seconds): the answer
    # gate weighs the model's similarities, and the hashing FakeEncoder makes it decline real questions.
    settings = Settings(index_dir=tmp_path_factory.mktemp("index") / "index")
    build_index(corpus.articles, settings).save(settings.index_dir)
    return Archive.open(settings)


def _squeezed(text: str) -> str:
    return "".join(text.split())


def test_every_article_of_every_format_is_titled_and_whole(corpus):
    by_title = {a.title: a for a in corpus.articles}
    for story in (PARK, JOBS, RIVER):
        assert _squeezed(by_title[story.title].text) == story.text
        assert by_title[story.title].page == 1
    assert "乡镇：文昌街道，植树任务：12000株，责任单位：区林业局。" in by_title[NOTICE_TITLE].text
    assert by_title["示范区召开秋季植树动员会"].date == "2023-09-12"
    expected = {PARK.title, JOBS.title, RIVER.title, NOTICE_TITLE, "示范区召开秋季植树动员会"}
    if cjk_font() is not None and ocr_available():
        assert _squeezed(by_title[BRIDGE.title].text) == BRIDGE.text and by_title[BRIDGE.title].page == 2
        expected.add(BRIDGE.title)
    assert set(by_title) == expected


def test_every_bad_file_is_reported_with_its_reason(corpus):
    reasons = {Path(s.path).name: s.reason for s in corpus.skipped if s.page is None}
    assert reasons["locked.pdf"].startswith("encrypted PDF")
    assert "zip bomb" in reasons["bomb.docx"]
    assert "save it as .docx" in reasons["old.doc"]
    assert "unsupported file type '.xlsx'" in reasons["sheet.xlsx"]
    if cjk_font() is not None and not ocr_available():
        (scan,) = [s for s in corpus.skipped if s.page == 2]
        assert "pip install 'policyqa[ocr]'" in scan.reason


@pytest.mark.parametrize(("question", "fact", "file", "page"), QUESTIONS)
def test_a_question_about_each_is_answered_citing_file_and_page(archive, question, fact, file, page):
    _assert_answered(archive, question, fact, file, page)


@pytest.mark.skipif(cjk_font() is None or not ocr_available(), reason="needs a CJK font and the OCR extra")
def test_a_question_about_the_scanned_page_is_answered_citing_page_2(archive):
    _assert_answered(archive, *SCAN_QUESTION)


def _assert_answered(archive, question, fact, file, page):
    answer = archive.ask(question)
    assert answer.found and fact in answer.text, (question, answer.text)
    cited = [answer.hits[s.passage] for s in answer.sentences if fact in s.text]
    assert cited, answer.sentences
    passage = cited[0].to_dict()
    assert Path(passage["source"]).name == file and passage["page"] == page


def test_the_api_passage_carries_the_page_beside_the_source(archive):
    from api.schemas import PassageOut

    hit = archive.search("沁泉湖公园项目总投资", k=1)[0]
    shaped = PassageOut.from_hit(hit).model_dump()
    assert Path(shaped["source"]).name == "paper.pdf" and shaped["page"] == 1
