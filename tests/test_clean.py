from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from embed.text.clean import NearDuplicates, clean_text, normalize, strip_datelines


def _no_space(text: str) -> str:
    return "".join(text.split())


def _is_subsequence(small: str, big: str) -> bool:
    it = iter(big)
    return all(char in it for char in small)


def test_layout_credits_are_removed():
    page = "编辑:陈彬\n版式:汪洋\n校对:孙 茜 组版:杨保星\n本报讯（记者王明）3月1日，示范区召开会议。"
    assert clean_text(page) == "本报讯（记者王明）3月1日，示范区召开会议。"


def test_photo_credit_and_its_caption_are_removed_but_the_headline_stays():
    page = "示范区召开动员大会\n\n动员大会现场。\n\n张双杰 摄\n\n本报讯（记者郭树勋）8月18日，召开动员大会。"
    assert clean_text(page).split("\n") == [
        "示范区召开动员大会",
        "本报讯（记者郭树勋）8月18日，召开动员大会。",
    ]


def test_a_caption_with_an_inline_credit_is_removed():
    page = "会议要求加快进度。\n9月16日，工人正在加工材料。本报记者 王正义 摄\n项目进展顺利。"
    assert "王正义" not in clean_text(page)
    assert "项目进展顺利。" in clean_text(page)


def test_photo_news_telling_several_sentences_is_kept():
    line = "9月16日，工人正在加工材料。截至8月底，该公司累计加工陶瓷字画18万片。本报记者 王正义 摄"
    assert clean_text(line) == line.replace(" ", "")


def test_promotion_lines_are_removed_even_when_broken_over_lines():
    page = "获取更多精彩资讯，\n请扫码关注“示范区\n头条”微信公众号\n标题在这里\n本报讯（记者甲乙）正文。"
    assert "公众号" not in clean_text(page)
    assert "获取更多" not in clean_text(page)


def test_body_text_that_mentions_a_qr_code_or_an_account_is_kept():
    line = "同时发放了企业服务联系卡，公开举报电话和微信二维码，打造阳光政商。"
    assert clean_text(line) == line
    report = "据中国驻俄罗斯大使馆微信公众号消息，暑期出境旅游旺季已至。"
    assert clean_text(report) == report


def test_a_line_broken_in_mid_word_is_rejoined():
    page = "王家鹏在讲话中要求,要进\n\n一步统一思想,下定决心。"
    assert clean_text(page) == "王家鹏在讲话中要求,要进一步统一思想,下定决心。"


def test_a_line_ending_in_a_comma_or_open_quote_is_rejoined():
    assert clean_text("严守工作纪律、\n廉洁纪律。") == "严守工作纪律、廉洁纪律。"
    assert clean_text("示范区以“百城提质”“城市\n双修”为抓手。") == "示范区以“百城提质”“城市双修”为抓手。"


def test_a_subheading_is_not_glued_to_the_paragraph_after_it():
    page = "上一段结束了。\n产业新城，打造焦作新名片\n东方今典集团董事长张泽保在致辞中说，投资已经10年。"
    assert clean_text(page).split("\n")[1] == "产业新城，打造焦作新名片"


def test_a_headline_is_never_swallowed_by_an_unfinished_line():
    page = "会议要求严守工作纪律、\n李万街道 “三为”服务重点项目建设\n本报讯（记者郭树勋）今年以来，服务项目。"
    assert clean_text(page).split("\n")[1] == "李万街道 “三为”服务重点项目建设"


def test_a_line_repeating_the_end_of_the_previous_one_loses_the_repeat():
    page = "底色二：项目建设加快推进。\n进。示范区实施重点项目119个。"
    assert clean_text(page) == "底色二：项目建设加快推进。\n示范区实施重点项目119个。"


def test_a_block_repeated_three_times_is_kept_once():
    block = "会议强调，沁泉湖公园项目征迁是示范区一项重大政治任务。\n会议还宣读了征迁工作方案和考核奖惩办法。"
    page = "\n".join([block, block, block, "会议最后作了部署。"])
    assert clean_text(page) == block + "\n会议最后作了部署。"


def test_near_duplicate_and_truncated_copies_are_kept_once():
    first = "会议还宣读了示范区棚户区改造征迁补偿安置实施方案，严守工作纪律、廉洁纪律。"
    ocr = first.replace("廉洁", "廉")
    truncated = first[:-8]
    assert clean_text("\n".join([first, ocr, truncated])) == first


def test_short_sentences_may_repeat():
    assert clean_text("一是要快。\n二是要稳。\n一是要快。") == "一是要快。\n二是要稳。\n一是要快。"


def test_latin_ocr_debris_between_chinese_is_dropped_and_real_terms_kept():
    text = clean_text("提升先进装备制造技术水平 and 创新能力，GDP增速第二，5G基站和PPP项目，S104道路。")
    assert text == "提升先进装备制造技术水平创新能力，GDP增速第二，5G基站和PPP项目，S104道路。"


def test_characters_are_kept_as_written_full_width_or_not():
    # No NFKC and no punctuation mapping: answers quoted from the source must still be found in it.
    text = "8月18日,示范区召开会议(扩大)；ＧＤＰ增长１２％，面积46,600m²。"
    assert clean_text(text) == text


def test_spaces_after_punctuation_in_chinese_text_go():
    assert clean_text("坚持开门整风, 高标准、 严要求。") == "坚持开门整风,高标准、严要求。"


def test_headline_spaces_stay_and_column_wrap_spaces_in_body_go():
    page = "坚持开门整风 坚持领导带头\n本报讯（记者郭树勋）示 范区紧密结合实际，努力把握新 形势下的规律。"
    assert clean_text(page).split("\n") == [
        "坚持开门整风 坚持领导带头",
        "本报讯（记者郭树勋）示范区紧密结合实际，努力把握新形势下的规律。",
    ]


def test_a_headline_printed_on_the_lead_line_is_split_off():
    page = "示范区 扎实创建美丽学校 本报讯(记者付凯明 通讯员李惠敏)连日\n来，示范区多措并举。"
    assert clean_text(page).split("\n") == [
        "示范区 扎实创建美丽学校",
        "本报讯(记者付凯明 通讯员李惠敏)连日来，示范区多措并举。",
    ]


def test_a_web_crawls_timestamp_and_body_marker_before_the_lead_are_dropped():
    assert clean_text("07-21 09:22，正文：宁德时代项目有了新进展。") == "宁德时代项目有了新进展。"
    assert clean_text("[  2023/07/20  15:50  ]，正文：中国经济网北京7月20日讯") == "中国经济网北京7月20日讯"
    assert clean_text("他说正文：不是这样。") == "他说正文：不是这样。"  # only a line's header goes


def test_empty_and_blank_input_clean_to_empty():
    assert clean_text("") == ""
    assert clean_text(" \n\n\t\u3000\n") == ""


def test_near_duplicates_remembers_and_compares():
    seen = NearDuplicates()
    assert not seen.seen("示范区召开全区重点工作推进会议，部署六项重点工作。")
    assert seen.seen("示范区召开全区重点工作推进会议，部署六项重点工作。")
    assert seen.seen("示范区召开全区重点工作推进会议，部署六项重点工作")
    assert not seen.seen("苏家作乡通过改变种植模式和种植方式，大力实施农业现代化工程。")


NEWS_PIECES = st.sampled_from(
    [
        "本报讯（记者王明）",
        "本报讯(通讯员李华)",
        "张双杰 摄",
        "本报记者 郭树勋 摄",
        "编辑:陈彬",
        "扫码关注公众号",
        " and ",
        "GDP",
        "——侧记",
        "□ 严实",
        "示范区召开会议",
        "要进",
        "一步统一思想",
        "会议强调，要加快推进项目建设。",
        "，",
        ",",
        "。",
        "、",
        "“",
        "”",
        "(",
        ")",
        ":",
        "...",
        "…",
        " ",
        "\n",
        "\n\n",
        "\r\n",
        "\u3000",
        "\ufeff",
        "ＧＤＰ１２",
    ]
)
NEWS_TEXT = st.lists(
    st.one_of(NEWS_PIECES, st.text(alphabet="示范区项目建设年月日一二三abcXYZ0123456789 ", max_size=8)),
    max_size=30,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(NEWS_TEXT)
def test_cleaning_is_idempotent_on_news_like_text(text):
    once = clean_text(text)
    assert clean_text(once) == once


@settings(max_examples=150, deadline=None)
@given(NEWS_TEXT)
def test_every_kept_character_comes_from_the_input_in_order(text):
    # Cleaning only deletes characters and turns whitespace into line breaks.
    assert _is_subsequence(_no_space(clean_text(text)), _no_space(text))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_unicode_text_cleans_without_error_idempotently_and_in_order(text):
    once = clean_text(text)
    assert clean_text(once) == once
    assert _is_subsequence(_no_space(once), _no_space(normalize(text)))


def test_datelines_opening_a_paragraph_are_stripped_and_nothing_else():
    cases = {
        "中新社华盛顿7月28日电 (记者 陈孟统)当地时间27日，中国驻美国使馆": "当地时间27日，中国驻美国使馆",
        "河北日报讯（记者赵瑞雪）8月17日，第三届联赛开幕": "8月17日，第三届联赛开幕",
        "本报讯 连日来，都昌县应急管理局": "连日来，都昌县应急管理局",
        "新京报快讯据佛山市公安局消息": "据佛山市公安局消息",
        "参考消息网8月15日报道 据今日俄罗斯电视台网站": "据今日俄罗斯电视台网站",
        "12月17日讯今天下午，娄底市中级人民法院": "今天下午，娄底市中级人民法院",
        "标题一行\n本报讯(记者邹某)今天，示范区": "标题一行\n今天，示范区",
        "（记者冯华妹）浙江省余姚市三名拆迁干部": "浙江省余姚市三名拆迁干部",
    }
    for text, stripped in cases.items():
        assert strip_datelines(text) == stripped
    for text in (
        "国网淮南供电公司高压用电检查班发现异常。",  # 电 of a name, not a dateline
        "供电公司7月1日电费账单显示用电量上升。",  # 电 of 电费
        "2名犯罪嫌疑人每晚7点开启高压计量箱，短接电流实施窃电。",
        "8月18日，示范区召开大会。",  # a date opening a sentence
        "会上，记者提问。据新华社7月1日电，会议召开。",  # not at a paragraph's start
        "（图为开园现场）市民前来游览。",  # a caption's brackets, no credit
    ):
        assert strip_datelines(text) == text
