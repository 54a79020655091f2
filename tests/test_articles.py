from __future__ import annotations

import re
from pathlib import Path

import pytest

from embed.datamodels import Article
from embed.ingest.articles import derive_title, drop_reprints, find_byline, find_date, split_articles
from embed.text.clean import INLINE_PHOTO_CREDIT, LAYOUT_CREDIT, PHOTO_CREDIT, PROMOTION
from embed.text.sentences import split_sentences

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

EXPECTED_TITLES = {
    "000_ad2b75026808bc19": [
        "示范区“四城联创”集中攻坚暨省级文明单位创建动员大会强调"
        " 下定决心 把握关键 夯实责任 以昂扬斗志打好攻坚战",
        "提高政治站位 创造安全稳定的良好环境 示范区“迎国庆、保稳定”工作推进会强调",
        "示范区着力构建“亲清”政商关系",
        "示范区城中村改造(沁泉湖公园项目)征迁动员会强调 高质量按时完成征迁任务 确保沁泉湖公园如期开园",
        "李万街道 “三为”服务重点项目建设",
        "史平陵村发动群众积极参与“四城联创”",
        "牢牢把握稳增长主旋律 示范区亮出国家高新区高质量发展底色",
    ],
    "001_3a1a967272ad7249": [
        "示范区重点工作推进会要求 正视问题 明确目标 狠抓落实 强化保障",
        "整合资源 合理配置 示范区保障有力促发展",
        "示范区两张流程图 彰显效能革命",
        "第二批焦作市科技型中小企业揭晓 示范区7家企业榜上有名",
        "示范区建立六项重点工作推进机制",
        "9月16日,焦作市亚召艺术陶瓷字画有限公司工人正在加工台前放置材料",
        "加快“一城一区一改造” 示范区强力推进六项重点工作",
    ],
    "003_9d0e4784a406f90c": [
        "示范区党工委(扩大)会议暨新冠肺炎疫情防控指挥部第九次会议强调"
        " 加压奋进 狠抓落实 向市委市政府交上满意答卷"
        " 示范区召开党工委(扩大)会议 学习王小平在示范区调研讲话精神并部署贯彻落实工作",
        "示范区党工委(扩大)会议暨统筹 经济社会发展指挥部第二次会议召开"
        " 就下一阶段经济工作和疫情防控工作作出部署",
        "示范区召开安全生产工作会议",
        "示范区召开沁泉湖公园征迁攻坚会",
        "万方“云”会更无前 ——焦作国家创新型特色园区招商引资项目签约仪式侧记",
    ],
    "004_6036fc136ad9b319": [
        "抢抓发展机遇 突出工作重点 保障工作实效 示范区召开新型城镇化建设工作会议",
        "抓好落实加油干",
        "科学推进新型城镇化是建设“五个示范区”",
        "放飞产业发展梦想 ——示范区二〇一七年第三批重点项目集中开工侧记",
    ],
}

RECOVERED_FROM_INTERLEAVED_PAGE = [
    "坚持开门整风 坚持领导带头 坚持分类推进 示范区力促作风建设常态化长效化",
    "区国土资源部门 严防换届期间违法占地行为",
    "示范区 扎实创建美丽学校",
    "苏家作乡 倾力推进农业转型升级",
    "政治理论教育 致富创收培训 法制意识培养 先进文化传播 示范区着力发挥远程教育四大作用",
    "示范保障 奖惩保障 机制保障 示范区美丽乡村建设强化",
]


@pytest.fixture(scope="module")
def pages() -> dict[str, list[Article]]:
    return {
        path.stem: split_articles(path.read_text(encoding="utf-8"), path.stem, f"seeds/{path.name}")
        for path in sorted(SEEDS.glob("*.txt"))
    }


@pytest.fixture(scope="module")
def articles(pages) -> list[Article]:
    return [article for found in pages.values() for article in found]


@pytest.mark.parametrize("stem", sorted(EXPECTED_TITLES))
def test_each_clean_page_splits_into_its_articles_with_their_titles(pages, stem):
    assert [a.title for a in pages[stem]] == EXPECTED_TITLES[stem]


def test_the_column_interleaved_page_recovers_its_headlined_articles(pages):
    titles = [a.title for a in pages["002_6b8e1fb979ac6062"]]
    for expected in RECOVERED_FROM_INTERLEAVED_PAGE:
        assert any(expected in title for title in titles), expected


def test_the_seed_pages_give_at_least_two_dozen_titled_articles(articles):
    assert len(articles) >= 24
    assert all(a.title.strip() and a.text.strip() for a in articles)


def test_ids_are_stem_and_number_in_page_order_and_source_is_the_path(pages):
    for stem, found in pages.items():
        assert [a.article_id for a in found] == [f"{stem}#{n}" for n in range(1, len(found) + 1)]
        assert {a.source for a in found} == {f"seeds/{stem}.txt"}


def test_no_layout_photo_or_promotion_noise_is_left(articles):
    for article in articles:
        for line in article.text.split("\n"):
            assert not LAYOUT_CREDIT.match(line), line
            assert not PHOTO_CREDIT.match(line), line
            assert not INLINE_PHOTO_CREDIT.search(line), line
            assert not (PROMOTION.search(line) and len(line) < 80), line
        for caption_word in ("张双杰", "王正义", "摄", "图为", "动员大会现场。"):
            assert not re.search(rf"{caption_word}$", article.text.split("\n")[0]) or caption_word == "摄"
    text = "\n".join(a.text for a in articles)
    assert "张双杰" not in text and "王正义" not in text and "图为焦作" not in text


def test_no_sentence_is_repeated_within_an_article(articles):
    for article in articles:
        sentences = ["".join(s.text.split()) for s in split_sentences(article.text) if len(s.text) >= 8]
        assert len(sentences) == len(set(sentences)), article.article_id


def test_blocks_repeated_by_layout_appear_once_per_page(pages):
    page000 = "\n".join(a.text for a in pages["000_ad2b75026808bc19"])
    assert page000.count("沁泉湖公园项目征迁是示范区一项重大政治任务") == 1
    assert page000.count("会议还宣读了《示范区2019年棚户区") == 1
    page003 = "\n".join(a.text for a in pages["003_9d0e4784a406f90c"])
    assert page003.count("会议强调,不等不靠,抓紧行动") == 1


def test_the_broken_line_is_rejoined(pages):
    first = pages["000_ad2b75026808bc19"][0]
    assert "王家鹏在讲话中要求,要进一步统一思想" in first.text
    assert not any(line.endswith("要进") for line in first.text.split("\n"))


def test_the_headline_is_not_repeated_in_the_text(articles):
    for article in articles:
        assert article.text.split("\n")[0] != article.title


def test_latin_debris_is_dropped_and_real_terms_kept(articles):
    text = "\n".join(a.text for a in articles)
    assert "技术水平创新能力" in text and " and " not in text
    assert "GDP增速" in text and "PPP" in text and "S104" in text


def test_bylines_dates_and_years_are_found(pages):
    first = pages["000_ad2b75026808bc19"][0]
    assert (first.date, first.byline) == ("8月18日", ("郭树勋",))
    qinquan = pages["000_ad2b75026808bc19"][3]
    assert qinquan.date == "8月16日"  # not 明年5月1日, the planned opening
    meeting = pages["004_6036fc136ad9b319"][0]
    assert meeting.byline == ("郭树勋", "付凯明", "张攀")
    commentary = pages["004_6036fc136ad9b319"][1]
    assert commentary.byline == ("严实",)
    feature = pages["004_6036fc136ad9b319"][3]
    assert (feature.date, feature.year, feature.year_basis) == ("7月5日", 2017, "inferred")
    sketch = pages["003_9d0e4784a406f90c"][4]
    assert sketch.byline == ("郭树勋",)
    assert pages["003_9d0e4784a406f90c"][0].date == "3月20日"


def test_a_date_with_its_year_states_the_year():
    assert find_date(["本报讯（记者王明）2020年3月20日下午，会议召开。"]) == ("2020年3月20日", 2020, "stated")
    assert find_date(["近日，会议召开。"]) == (None, None, None)


def test_bylines_come_from_the_lead_credit_and_byline_lines():
    assert find_byline("本报讯（记者郭树勋、付凯明 通讯员张攀）7月7日，会议召开。") == (
        "郭树勋",
        "付凯明",
        "张攀",
    )
    assert find_byline("正文。", ["付凯明 本报记者", "本报通讯员 张攀"]) == ("付凯明", "张攀")


def test_an_untitled_article_is_titled_by_its_first_clause():
    assert (
        derive_title(["科学推进新型城镇化是建设“五个示范区”，打造增长极。"])
        == "科学推进新型城镇化是建设“五个示范区”"
    )


def test_a_reprint_is_titled_by_the_original_headline_it_names_not_by_the_marker():
    reprint = "原标题：300余家企业人员集中听课！武汉新洲警方开展主题宣传活动。"
    assert derive_title([reprint]) == "300余家企业人员集中听课"
    bracketed = "（原标题：北京一高管酒后偷开警车，被诉盗窃罪）新京报快讯。"
    assert derive_title([bracketed]) == "北京一高管酒后偷开警车"
    assert derive_title(["原标题："]) == "原标题："  # nothing after the marker: keep what there is


def test_a_page_without_text_has_no_articles():
    assert split_articles("编辑:陈彬\n\n张双杰 摄\n", "x", "x.txt") == []


def test_a_reprint_on_the_same_page_is_kept_once():
    story = "示范区召开植树动员会\n本报讯（记者李明）3月12日，示范区召开植树动员会，部署全年绿化任务。"
    found = split_articles(
        f"{story}\n另一篇新闻的标题\n本报讯（记者王芳）今天，新区开放图书馆。\n{story}", "p", "p.txt"
    )
    assert [a.title for a in found] == ["示范区召开植树动员会", "另一篇新闻的标题"]


def test_reprints_across_pages_are_dropped_and_counted(pages):
    first = pages["001_3a1a967272ad7249"]
    copy = split_articles(
        (SEEDS / "001_3a1a967272ad7249.txt").read_text(encoding="utf-8"), "copy", "copy.txt"
    )
    kept, dropped = drop_reprints(first + copy)
    assert kept == first and dropped == len(copy)


def test_photo_news_becomes_an_article_credited_to_its_photographer(pages):
    photo = pages["002_6b8e1fb979ac6062"][6]
    assert photo.text == (
        "11月21日,蒙牛乳业(焦作)有限公司生产车间一派忙碌景象。"
        "截至10月底,该公司牛奶产量21.28万吨,产值超过 24亿元。"
    )
    assert (photo.title, photo.date, photo.byline) == (
        "11月21日,蒙牛乳业(焦作)有限公司生产车间一派忙碌景象",
        "11月21日",
        ("王正义",),
    )


def test_the_article_a_photo_interrupts_goes_on_after_it():
    page = (
        "示范区召开会议\n本报讯（记者李明）会议指出，要加快建设。\n"
        "工人正在施工。项目进展顺利。本报记者 王正义 摄\n会议要求，要确保质量。"
    )
    meeting, photo = split_articles(page, "p", "p.txt")
    assert meeting.text.split("\n")[-1] == "会议要求，要确保质量。"
    assert photo.text == "工人正在施工。项目进展顺利。" and photo.byline == ("王正义",)


def test_a_feature_with_a_byline_line_starts_an_article():
    page = "上一篇结束了。\n示范区新建公园开园\n本报记者 李明 报道\n5月1日，新建公园开园。"
    found = split_articles(page, "s", "s.txt")
    assert [(a.title, a.byline, a.date) for a in found[1:]] == [("示范区新建公园开园", ("李明",), "5月1日")]
