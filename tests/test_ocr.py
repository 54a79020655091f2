from __future__ import annotations

from pathlib import Path

import pytest

import embed.ingest.ocr
from embed.ingest.ingest import read_corpus
from embed.ingest.ocr import INSTALL_HINT, OCRUnavailableError, ocr_available, to_fullwidth

pytest.importorskip("PIL", reason="the scanned-page fixtures are drawn with Pillow (pip install -e '.[dev]')")

from format_fixtures import (
    BRIDGE,
    JOBS,
    PARK,
    RIVER,
    cjk_font,
    draw_one_column_page,
    draw_scanned_page,
    draw_three_article_page,
    render_scan,
    write_pdf,
)

needs_ocr = pytest.mark.skipif(
    not ocr_available(), reason="OCR extra not installed: pip install -e '.[ocr]' (scripts/setup.sh --dev)"
)
needs_font = pytest.mark.skipif(
    cjk_font() is None, reason="no CJK font to render a scan: apt-get install fonts-wqy-microhei"
)


@pytest.mark.parametrize(
    ("ocr", "expected"),
    [
        ("5月20日,沁河大桥主体完工.", "5月20日，沁河大桥主体完工。"),
        ("本报讯(记者赵云)5月20日", "本报讯（记者赵云）5月20日"),
        ("会议要求:一是压实责任;二是加快进度!", "会议要求：一是压实责任；二是加快进度！"),
        ("大桥全长1.2公里,总投资3.5亿元", "大桥全长1.2公里，总投资3.5亿元"),
        ("S104 省道 (2023) GDP 5.6%", "S104 省道 (2023) GDP 5.6%"),
        ("谁来管?", "谁来管？"),
    ],
)
def test_ocr_ascii_punctuation_beside_chinese_becomes_full_width_and_figures_stay(ocr, expected):
    assert to_fullwidth(ocr) == expected


def test_full_width_mapping_only_swaps_punctuation_one_for_one():
    text = "示范区(记者李明):今年投资3.5亿元,增长12.5%.下一步?"
    mapped = to_fullwidth(text)
    assert len(mapped) == len(text)
    assert [a for a, b in zip(text, mapped, strict=True) if a != b] == list("():,.?") and "3.5" in mapped


@pytest.fixture(scope="module")
def scan(tmp_path_factory) -> Path:
    font = cjk_font()
    if font is None:
        pytest.skip("no CJK font to render a scan: apt-get install fonts-wqy-microhei")
    path = tmp_path_factory.mktemp("scan") / "bridge.png"
    render_scan(BRIDGE, font).save(path)
    return path


def _squeezed(text: str) -> str:
    return "".join(text.split())


@needs_ocr
@needs_font
def test_a_scanned_image_is_read_by_ocr_into_a_titled_article(scan):
    corpus = read_corpus([scan])
    (article,) = corpus.articles
    assert article.title == BRIDGE.title and article.page is None
    assert _squeezed(article.text) == BRIDGE.text
    assert article.text.count("\n") == 1 and article.byline == ("赵云",) and article.date == "5月20日"


@needs_ocr
@needs_font
def test_a_scanned_pdf_page_is_read_by_ocr_and_keeps_its_page_number(tmp_path):
    image = render_scan(BRIDGE, cjk_font())
    pdf = write_pdf(tmp_path / "paper.pdf", draw_one_column_page, draw_scanned_page(image))
    corpus = read_corpus([pdf])
    assert [(a.title, a.page) for a in corpus.articles][1] == (BRIDGE.title, 2)
    assert _squeezed(corpus.articles[1].text) == BRIDGE.text and corpus.skipped == ()


@needs_ocr
@needs_font
def test_a_scanned_newspaper_page_with_three_articles_in_columns_comes_out_whole(tmp_path):
    import pypdfium2

    # The page is printed, then "scanned" at 200 dpi: pixels only, columns, running head and folio.
    document = pypdfium2.PdfDocument(write_pdf(tmp_path / "printed.pdf", draw_three_article_page))
    document[0].render(scale=200 / 72).to_pil().convert("L").save(tmp_path / "scan.png")
    document.close()
    (tmp_path / "printed.pdf").unlink()
    corpus = read_corpus([tmp_path])
    assert [a.title for a in corpus.articles] == [PARK.title, JOBS.title, RIVER.title]
    for article, story in zip(corpus.articles, (PARK, JOBS, RIVER), strict=True):
        assert _squeezed(article.text) == story.text, article.title


def _without_ocr(monkeypatch) -> None:
    def missing():
        raise OCRUnavailableError(INSTALL_HINT)

    monkeypatch.setattr(embed.ingest.ocr, "_engine", missing)


def test_an_image_without_the_ocr_extra_is_reported_with_the_install_hint(tmp_path, monkeypatch):
    from PIL import Image

    _without_ocr(monkeypatch)
    Image.new("L", (200, 100), 255).save(tmp_path / "scan.png")
    corpus = read_corpus([tmp_path])
    (skip,) = corpus.skipped
    assert "pip install 'policyqa[ocr]'" in skip.reason and corpus.articles == ()


@needs_ocr
def test_an_image_too_large_to_ocr_is_reported_before_it_is_decoded(tmp_path):
    from PIL import Image

    Image.new("1", (9000, 6000), 1).save(tmp_path / "poster.png")  # 54 MP, a few KB on disk
    corpus = read_corpus([tmp_path])
    (skip,) = corpus.skipped
    assert "image too large to OCR: 9000x6000" in skip.reason


@needs_ocr
def test_a_decompression_bomb_image_is_reported(tmp_path):
    from PIL import Image

    Image.new("1", (20000, 20000), 1).save(tmp_path / "bomb.png")  # 400 MP: Pillow itself refuses it
    corpus = read_corpus([tmp_path])
    assert "image too large to OCR" in corpus.skipped[0].reason


@needs_ocr
def test_a_file_that_is_not_an_image_is_reported(tmp_path):
    (tmp_path / "photo.jpg").write_bytes(b"not a jpeg at all")
    corpus = read_corpus([tmp_path])
    assert "not a readable image" in corpus.skipped[0].reason
