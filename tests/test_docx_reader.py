from __future__ import annotations

import zipfile

import docx
import pytest
from format_fixtures import NOTICE_TITLE, write_docx_notice, write_zip_bomb_docx

import embed.ingest.docx_reader
from embed.ingest.docx_reader import read_docx
from embed.ingest.ingest import read_corpus


def test_a_word_notice_is_one_article_titled_by_its_heading_with_the_table_as_sentences(tmp_path):
    corpus = read_corpus([write_docx_notice(tmp_path / "notice.docx")])
    (article,) = corpus.articles
    assert article.title == NOTICE_TITLE and article.page is None
    lines = article.text.split("\n")
    assert lines[0] == "各乡镇人民政府、区直各部门："
    # A lower heading stays in the text as a subhead, in its place.
    assert lines.index("一、任务分解") < lines.index(
        "乡镇：文昌街道，植树任务：12000株，责任单位：区林业局。"
    )
    assert "乡镇：苏家作乡，植树任务：8500株，责任单位：区农业农村局。" in lines
    assert lines[-1] == "示范区管委会办公室" and corpus.skipped == ()


def test_each_top_level_heading_opens_its_own_article(tmp_path):
    document = docx.Document()
    for title, body in (
        ("沁河大桥主体完工", "大桥全长1.2公里，预计年底通车。"),
        ("高新区举办招聘会", "提供岗位3800余个。"),
    ):
        document.add_heading(title, level=1)
        document.add_paragraph(body)
    document.save(tmp_path / "two.docx")
    corpus = read_corpus([tmp_path / "two.docx"])
    assert [(a.article_id, a.title, a.text) for a in corpus.articles] == [
        ("two#1", "沁河大桥主体完工", "大桥全长1.2公里，预计年底通车。"),
        ("two#2", "高新区举办招聘会", "提供岗位3800余个。"),
    ]


def test_without_heading_styles_big_type_makes_the_titles(tmp_path):
    from docx.shared import Pt

    document = docx.Document()
    for title, body in (
        ("沁河大桥主体完工", "大桥全长1.2公里，预计年底通车。"),
        ("高新区举办招聘会", "提供岗位3800余个。"),
    ):
        document.add_paragraph().add_run(title).font.size = Pt(22)  # 二号, set by hand
        document.add_paragraph().add_run(body).font.size = Pt(16)  # 三号仿宋 body
    document.save(tmp_path / "plain.docx")
    corpus = read_corpus([tmp_path / "plain.docx"])
    assert [(a.title, a.text) for a in corpus.articles] == [
        ("沁河大桥主体完工", "大桥全长1.2公里，预计年底通车。"),
        ("高新区举办招聘会", "提供岗位3800余个。"),
    ]


def test_a_merged_table_cell_is_read_once(tmp_path):
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells, ("项目", "投资", "工期"), strict=True):
        cell.text = text
    merged = table.cell(1, 1).merge(table.cell(1, 2))
    table.cell(1, 0).text, merged.text = "沁河大桥", "待定"
    lines = [line.text for page in _pages(document, tmp_path) for line in page.lines]
    assert lines == ["项目：沁河大桥，投资：待定。"]


def _pages(document, tmp_path):
    path = tmp_path / "t.docx"
    document.save(path)
    return list(read_docx(path))


def test_a_zip_bomb_docx_is_refused_before_parsing(tmp_path):
    write_zip_bomb_docx(tmp_path / "bomb.docx", inflated_mib=80)
    write_docx_notice(tmp_path / "notice.docx")
    corpus = read_corpus([tmp_path])
    (skip,) = corpus.skipped
    assert skip.path.endswith("bomb.docx") and "zip bomb" in skip.reason
    assert [a.title for a in corpus.articles] == [NOTICE_TITLE]


def test_a_highly_compressed_part_is_a_bomb_even_under_the_total_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(embed.ingest.docx_reader, "MAX_DOCX_BYTES", 2**40)
    write_zip_bomb_docx(tmp_path / "bomb.docx", inflated_mib=4)
    (skip,) = read_corpus([tmp_path]).skipped
    assert "zip bomb: word/document.xml inflates" in skip.reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"not a zip", "not a zip archive"), (b"", "not a zip archive"), (None, "corrupt .docx")],
)
def test_corrupt_docx_files_are_reported(tmp_path, content, reason):
    path = tmp_path / "broken.docx"
    if content is None:  # a zip, but with no Word document inside
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("hello.txt", "你好")
    else:
        path.write_bytes(content)
    (skip,) = read_corpus([path]).skipped
    assert reason in skip.reason


def test_a_legacy_doc_is_reported_with_the_conversion_hint(tmp_path):
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    (skip,) = read_corpus([tmp_path]).skipped
    assert "save it as .docx" in skip.reason and "libreoffice --headless --convert-to docx" in skip.reason
