from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("reportlab", reason="the PDF fixtures are drawn with reportlab (pip install -e '.[dev]')")

from format_fixtures import (
    BRIDGE,
    JOBS,
    PARK,
    RIVER,
    RUNNING_HEAD,
    Story,
    chromium,
    cjk_font,
    draw_one_column_page,
    draw_shuffled_page,
    draw_stacked_page,
    draw_three_article_page,
    draw_two_column_page,
    newspaper_html,
    print_to_pdf,
    write_pdf,
)

import embed.ingest.ocr
import embed.ingest.pdf
from embed.datamodels import Skip
from embed.ingest.ingest import read_corpus
from embed.ingest.ocr import INSTALL_HINT, OCRUnavailableError


def _squeezed(text: str) -> str:
    return "".join(text.split())


def _by_title(corpus) -> dict[str, object]:
    return {a.title: a for a in corpus.articles}


def test_a_one_column_page_is_one_titled_article_with_its_page(tmp_path):
    corpus = read_corpus([write_pdf(tmp_path / "one.pdf", draw_one_column_page)])
    (article,) = corpus.articles
    assert (article.article_id, article.title, article.page) == ("one#1", PARK.title, 1)
    assert _squeezed(article.text) == PARK.text
    assert article.date == "8月15日" and article.byline == ("郭树勋",)
    assert article.text.count("\n") == len(PARK.paragraphs) - 1  # one line per paragraph


def test_a_two_column_page_reads_the_left_column_before_the_right(tmp_path):
    corpus = read_corpus([write_pdf(tmp_path / "two.pdf", draw_two_column_page)])
    (article,) = corpus.articles
    assert article.title == PARK.title and _squeezed(article.text) == PARK.text


def test_three_articles_on_a_page_come_out_whole_and_titled(tmp_path):
    corpus = read_corpus([write_pdf(tmp_path / "page3.pdf", draw_three_article_page)])
    assert [a.title for a in corpus.articles] == [PARK.title, JOBS.title, RIVER.title]
    for article, story in zip(corpus.articles, (PARK, JOBS, RIVER), strict=True):
        assert _squeezed(article.text) == story.text, article.title
        assert article.page == 1 and article.source.endswith("page3.pdf")


def test_stacked_stories_on_one_column_grid_are_not_read_across_each_other(tmp_path):
    corpus = read_corpus([write_pdf(tmp_path / "stacked.pdf", draw_stacked_page)])
    assert [a.title for a in corpus.articles] == [PARK.title, RIVER.title]
    for article, story in zip(corpus.articles, (PARK, RIVER), strict=True):
        assert _squeezed(article.text) == story.text, article.title


def test_characters_stored_in_random_order_are_read_in_reading_order(tmp_path):
    (article,) = read_corpus([write_pdf(tmp_path / "shuffled.pdf", draw_shuffled_page)]).articles
    assert article.title == JOBS.title and article.text == "\n".join(JOBS.paragraphs)


@pytest.mark.skipif(chromium() is None or cjk_font() is None, reason="needs chromium and fonts-wqy-microhei")
def test_a_page_printed_by_chromium_with_an_embedded_font_reads_the_same(tmp_path):
    corpus = read_corpus([print_to_pdf(newspaper_html(), tmp_path)])
    assert [a.title for a in corpus.articles] == [PARK.title, JOBS.title, RIVER.title]
    for article, story in zip(corpus.articles, (PARK, JOBS, RIVER), strict=True):
        assert _squeezed(article.text) == story.text, article.title


def test_a_headline_wrapped_over_two_lines_is_one_title(tmp_path):
    title = "示范区召开2023年度优化营商环境暨“万人助万企”活动推进会议"

    def page(c) -> None:
        c.setFont("STSong-Light", 22)
        c.drawString(50, 842 - 64, title[:20])
        c.drawString(50, 842 - 90, title[20:])
        draw_one_column_page(c, Story("", JOBS.paragraphs))

    (article,) = read_corpus([write_pdf(tmp_path / "wrapped.pdf", page)]).articles
    assert article.title == title and _squeezed(article.text) == JOBS.text


def test_a_headline_in_fake_bold_is_read_once(tmp_path):
    def bold_headline(c) -> None:
        draw_one_column_page(c, RIVER)
        c.setFont("STSong-Light", 20)
        c.drawString(50.4, 842 - 90 + 0.2, RIVER.title)  # the same headline again, a hair to the side

    (article,) = read_corpus([write_pdf(tmp_path / "bold.pdf", bold_headline)]).articles
    assert article.title == RIVER.title and _squeezed(article.text) == RIVER.text


def test_folio_and_running_head_are_not_text(tmp_path):
    corpus = read_corpus([write_pdf(tmp_path / "page3.pdf", draw_three_article_page)])
    text = "".join(a.title + a.text for a in corpus.articles)
    assert "焦作日报" not in text and "星期三" not in text
    assert not any(a.text.rstrip().endswith("3") for a in corpus.articles)
    assert RUNNING_HEAD.split()[0] not in text


def test_each_article_keeps_the_page_it_starts_on(tmp_path):
    pdf = write_pdf(
        tmp_path / "issue.pdf",
        lambda c: draw_one_column_page(c, PARK, folio=1),
        lambda c: draw_two_column_page(c, RIVER, folio=2),
        lambda c: draw_one_column_page(c, JOBS, folio=3),
    )
    corpus = read_corpus([pdf])
    assert [(a.title, a.page) for a in corpus.articles] == [
        (PARK.title, 1),
        (RIVER.title, 2),
        (JOBS.title, 3),
    ]


def test_an_article_running_over_a_page_break_stays_one_article(tmp_path):
    clauses = [
        f"第{n}条：各部门要按照职责分工，抓好第{n}项任务的落实，建立台账、明确时限，确保按期完成并及时报送进展。"
        for n in range(1, 41)
    ]
    pdf = write_pdf(
        tmp_path / "policy.pdf",
        lambda c: draw_one_column_page(
            c, Story("示范区促进民营经济发展若干措施", tuple(clauses[:20])), folio=1
        ),
        lambda c: draw_one_column_page(c, Story("", tuple(clauses[20:])), folio=2),
    )
    corpus = read_corpus([pdf])
    (article,) = corpus.articles
    assert (article.title, article.page) == ("示范区促进民营经济发展若干措施", 1)
    assert article.text.split("\n") == clauses


def test_an_encrypted_pdf_is_reported_and_the_rest_read(tmp_path):
    from reportlab.lib.pdfencrypt import StandardEncryption

    write_pdf(tmp_path / "locked.pdf", draw_one_column_page, encrypt=StandardEncryption("secret"))
    write_pdf(tmp_path / "open.pdf", lambda c: draw_one_column_page(c, RIVER))
    corpus = read_corpus([tmp_path])
    assert [(Path(s.path).name, s.reason.split(" (")[0]) for s in corpus.skipped] == [
        ("locked.pdf", "encrypted PDF")
    ]
    assert [a.title for a in corpus.articles] == [RIVER.title]


def test_corrupt_and_truncated_pdfs_are_reported(tmp_path):
    whole = write_pdf(tmp_path / "whole.pdf", draw_three_article_page).read_bytes()
    (tmp_path / "truncated.pdf").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    (tmp_path / "empty.pdf").write_bytes(b"")
    corpus = read_corpus([tmp_path])
    reasons = {Path(s.path).name: s.reason for s in corpus.skipped}
    assert set(reasons) == {"truncated.pdf", "garbage.pdf", "empty.pdf"}
    assert all("corrupt or truncated PDF" in r for r in reasons.values()), reasons
    assert len(corpus.articles) == 3


def test_a_500_page_pdf_is_streamed_in_bounded_time(tmp_path):
    stories = [
        Story(
            f"第{n}号项目开工建设",
            (f"本报讯（记者李明）3月{n % 28 + 1}日，第{n}号项目开工，总投资{n}万元。",),
        )
        for n in range(500)
    ]
    draws = [lambda c, s=s, n=n: draw_one_column_page(c, s, folio=n + 1) for n, s in enumerate(stories)]
    pdf = write_pdf(tmp_path / "yearbook.pdf", *draws)
    started = time.perf_counter()
    corpus = read_corpus([pdf])
    assert time.perf_counter() - started < 60
    assert len(corpus.articles) == 500 and corpus.skipped == ()
    assert corpus.articles[499].page == 500 and corpus.articles[499].title == "第499号项目开工建设"


def test_pages_past_the_limit_are_reported_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(embed.ingest.pdf, "MAX_PDF_PAGES", 2)
    pdf = write_pdf(
        tmp_path / "three.pdf",
        *(lambda c, s=s: draw_one_column_page(c, s) for s in (PARK, JOBS, RIVER)),
    )
    corpus = read_corpus([pdf])
    assert [a.title for a in corpus.articles] == [PARK.title, JOBS.title]
    assert [s.reason for s in corpus.skipped] == ["only the first 2 of 3 pages were read"]


def test_a_page_with_too_much_text_is_reported_with_its_page(tmp_path, monkeypatch):
    monkeypatch.setattr(embed.ingest.pdf, "MAX_PAGE_GLYPHS", 200)
    pdf = write_pdf(tmp_path / "dense.pdf", lambda c: draw_one_column_page(c, BRIDGE), draw_one_column_page)
    corpus = read_corpus([pdf])
    assert [a.title for a in corpus.articles] == [BRIDGE.title]
    (skip,) = corpus.skipped
    assert skip.page == 2 and "too much text" in skip.reason and str(skip).startswith(f"{pdf} p. 2: ")


def test_a_page_of_scattered_text_is_reported_not_laid_out(tmp_path, monkeypatch):
    monkeypatch.setattr(embed.ingest.pdf, "MAX_PAGE_SEGMENTS", 10)
    corpus = read_corpus([write_pdf(tmp_path / "chart.pdf", draw_three_article_page)])
    assert [(s.page, s.reason.split(":")[0]) for s in corpus.skipped] == [
        (1, "text too scattered to lay out"),
        (None, "no article text found after cleaning"),
    ]


def test_a_text_layer_of_private_use_codes_is_treated_as_a_scan():
    from embed.ingest.layout import Glyph

    def glyphs(text: str) -> list[Glyph]:
        return [Glyph(ch, k * 10, 0, k * 10 + 10, 10) for k, ch in enumerate(text)]

    assert embed.ingest.pdf._unmapped(glyphs("\ue001\ue002\ue003\ue004\ue005\ue006\ue007\ue008示范"))
    assert not embed.ingest.pdf._unmapped(glyphs("示范区召开植树动员会\ue001"))


def _scan_draw():
    from PIL import Image, ImageDraw

    image = Image.new("L", (600, 200), 255)
    ImageDraw.Draw(image).rectangle((40, 40, 560, 160), fill=0)

    def draw(c) -> None:
        from reportlab.lib.utils import ImageReader

        c.drawImage(ImageReader(image), 50, 500, 500, 160)

    return draw


def test_a_scanned_page_without_the_ocr_extra_is_reported_with_the_install_hint(tmp_path, monkeypatch):
    def missing():
        raise OCRUnavailableError(INSTALL_HINT)

    monkeypatch.setattr(embed.ingest.ocr, "_engine", missing)
    pdf = write_pdf(tmp_path / "mixed.pdf", draw_one_column_page, _scan_draw())
    corpus = read_corpus([pdf])
    assert [a.title for a in corpus.articles] == [PARK.title]
    (skip,) = corpus.skipped
    assert skip.page == 2 and "pip install 'policyqa[ocr]'" in skip.reason


def test_scanned_pages_past_the_ocr_budget_are_reported_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(embed.ingest.pdf, "MAX_OCR_PAGES", 0)
    corpus = read_corpus([write_pdf(tmp_path / "scans.pdf", draw_one_column_page, _scan_draw())])
    assert [s.page for s in corpus.skipped] == [2] and "OCR stops after 0 pages" in corpus.skipped[0].reason
    assert [a.title for a in corpus.articles] == [PARK.title]


def test_a_blank_page_is_passed_over_silently(tmp_path):
    pdf = write_pdf(tmp_path / "blank.pdf", lambda c: None, draw_one_column_page)
    corpus = read_corpus([pdf])
    assert [(a.title, a.page) for a in corpus.articles] == [(PARK.title, 2)] and corpus.skipped == ()


def test_the_pypdf_fallback_reads_columns_in_order_too(tmp_path):
    pdf = write_pdf(tmp_path / "page3.pdf", draw_three_article_page)
    skipped: list[Skip] = []
    pages = list(embed.ingest.pdf._pypdf_pages(pdf, skipped))
    lines = [line.text for page in pages for line in page.lines]
    assert [line for page in pages for line in page.lines if line.headline][0].text == PARK.title
    joined = "".join(lines)
    for story in (PARK, JOBS, RIVER):
        assert story.title in joined and "".join(story.paragraphs[-1].split()) in joined
    assert joined.index(PARK.title) < joined.index(JOBS.title) < joined.index(RIVER.title)
    assert skipped == []
