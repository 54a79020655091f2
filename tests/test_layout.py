from __future__ import annotations

import random

from embed.ingest.layout import Glyph, PageLine, Segment, page_lines, reading_order, segments_from_glyphs

EM = 10.0


def _row(text: str, x: float, y: float, size: float = EM) -> list[Glyph]:
    return [Glyph(ch, x + k * size, y, x + (k + 1) * size, y + size) for k, ch in enumerate(text)]


def _column(lines: list[str], x: float, top: float, size: float = EM) -> list[Segment]:
    return [
        Segment(line, x, top - k * 1.4 * size, x + len(line) * size, top - k * 1.4 * size + size)
        for k, line in enumerate(lines)
    ]


def test_glyphs_in_any_stored_order_come_out_as_row_segments_split_at_the_gutter():
    glyphs = _row("左栏第一行", 0, 100) + _row("右栏第一行", 60, 100) + _row("左栏第二行", 0, 86)
    random.Random(7).shuffle(glyphs)
    segments = segments_from_glyphs(glyphs)
    assert sorted(s.text for s in segments) == ["右栏第一行", "左栏第一行", "左栏第二行"]


def test_fake_bold_printed_twice_is_read_once_but_doubled_characters_stay():
    glyphs = _row("谢谢大家", 0, 100) + _row("谢谢大家", 0.4, 100.2)
    assert [s.text for s in segments_from_glyphs(glyphs)] == ["谢谢大家"]


def test_latin_words_keep_a_space_that_the_pdf_only_drew_as_a_gap():
    glyphs = _row("GDP", 0, 100) + _row("PPP", 33, 100)
    assert [s.text for s in segments_from_glyphs(glyphs)] == ["GDP PPP"]


def test_aligned_columns_are_read_one_after_the_other_not_row_by_row():
    left = _column(["甲一甲一甲", "甲二甲二甲", "甲三"], 0, 500)
    right = _column(["乙一乙一乙", "乙二乙二乙", "乙三"], 60, 500)
    order = [s.text for s in reading_order(left + right)]
    assert order == ["甲一甲一甲", "甲二甲二甲", "甲三", "乙一乙一乙", "乙二乙二乙", "乙三"]


def test_a_headline_across_two_columns_comes_before_both_and_stories_below_follow_in_turn():
    head = [Segment("通栏大标题", 0, 520, 110, 540)]
    top = _column(["上左一上左一", "上左二"], 0, 490) + _column(["上右一上右一", "上右二"], 70, 490)
    low_heads = [Segment("左下标题", 0, 430, 60, 444), Segment("右下标题", 70, 430, 130, 444)]
    low = _column(["左下正文一行", "左下正文二"], 0, 405) + _column(["右下正文一行", "右下正文二"], 70, 405)
    order = [s.text for s in reading_order(head + top + low_heads + low)]
    assert order == [
        "通栏大标题",
        "上左一上左一",
        "上左二",
        "上右一上右一",
        "上右二",
        "左下标题",
        "左下正文一行",
        "左下正文二",
        "右下标题",
        "右下正文一行",
        "右下正文二",
    ]


def test_a_headline_below_a_gap_starts_a_new_story_even_when_a_gutter_runs_the_whole_height():
    upper = [Segment("上篇标题", 0, 520, 60, 536)]
    upper += _column(["上左一上左一", "上左二"], 0, 490) + _column(["上右一上右一", "上右二"], 70, 490)
    lower = [Segment("下篇", 0, 430, 30, 446)]
    lower += _column(["下左一下左一", "下左二"], 0, 405) + _column(["下右一下右一", "下右二"], 70, 405)
    order = [s.text for s in reading_order(upper + lower)]
    assert order == [
        "上篇标题",
        "上左一上左一",
        "上左二",
        "上右一上右一",
        "上右二",
        "下篇",
        "下左一下左一",
        "下左二",
        "下右一下右一",
        "下右二",
    ]


def test_lines_of_a_paragraph_are_joined_and_an_indented_line_opens_the_next():
    segments = [
        Segment("一段首行一段首", 20, 500, 90, 510),
        Segment("一段次行一段次行一", 0, 486, 90, 496),
        Segment("一段末行。", 0, 472, 50, 482),
        Segment("二段首行二段首", 20, 458, 90, 468),
        Segment("二段末行。", 0, 444, 50, 454),
    ]
    assert page_lines(segments, 842, set()) == [
        PageLine("一段首行一段首一段次行一段次行一一段末行。"),
        PageLine("二段首行二段首二段末行。"),
    ]


def test_a_sentence_cut_at_the_foot_of_a_column_goes_on_at_the_top_of_the_next():
    left = _column(["本报讯三月一日，示范", "区召开会议，部署全年"], 0, 500)
    right = _column(
        [
            "工作任务。",
        ],
        110,
        500,
    )
    lines = page_lines(left + right, 842, set())
    assert lines == [PageLine("本报讯三月一日，示范区召开会议，部署全年工作任务。")]


def test_big_type_is_a_headline_and_is_never_glued_to_the_body():
    segments = [Segment("植树动员会", 0, 520, 110, 542)] + _column(["本报讯会议召开。"], 0, 490)
    assert page_lines(segments, 842, set()) == [
        PageLine("植树动员会", headline=True),
        PageLine("本报讯会议召开。"),
    ]


def test_a_headline_wrapped_over_two_lines_is_one_line_and_a_kicker_stays_apart():
    segments = [
        Segment("坚持开门整风 坚持领导带头", 0, 558, 150, 572),  # kicker, smaller type
        Segment("示范区力促作风建设", 0, 530, 180, 550),
        Segment("常态化长效化", 0, 506, 120, 526),
        *_column(["本报讯会议在示范区召开，部署作风建设。", "会议要求各单位压实责任。"], 0, 480),
    ]
    assert page_lines(segments, 842, set()) == [
        PageLine("坚持开门整风 坚持领导带头", headline=True),
        PageLine("示范区力促作风建设常态化长效化", headline=True),
        PageLine("本报讯会议在示范区召开，部署作风建设。会议要求各单位压实责任。"),
    ]


def test_folios_and_running_heads_in_the_page_bands_are_dropped_and_repeats_learned():
    body = _column(["正文在版心之内。"], 50, 500)
    folio = Segment("- 3 -", 280, 20, 320, 30)
    head = Segment("焦作日报 2017年8月16日 星期三 第3版", 50, 810, 300, 820)
    running: set[str] = set()
    assert page_lines([head, *body, folio], 842, running) == [PageLine("正文在版心之内。")]
    # A head without a date or page number is known from the page before.
    masthead = Segment("示范区新闻中心", 50, 810, 120, 820)
    assert page_lines([masthead, *body], 842, running) == [
        PageLine("示范区新闻中心"),
        PageLine("正文在版心之内。"),
    ]
    assert page_lines([masthead, *body], 842, running) == [PageLine("正文在版心之内。")]


def test_a_page_with_nothing_on_it_has_no_lines():
    assert page_lines([], 842, set()) == []


def test_a_dated_head_below_a_wide_top_margin_goes_but_a_lead_line_like_it_stays():
    head = Segment(
        "焦作日报 2017年8月16日 星期三", 50, 740, 250, 750
    )  # 92 pt from the top: past the margin band
    lead = Segment("本报讯（记者李明）2017年8月16日", 50, 720, 250, 730)
    body = _column(["正文在版心之内。"], 50, 500)
    assert page_lines([head, lead, *body], 842, set()) == [
        PageLine("本报讯（记者李明）2017年8月16日"),
        body_line(),
    ]


def body_line() -> PageLine:
    return PageLine("正文在版心之内。")
