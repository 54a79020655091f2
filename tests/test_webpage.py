from __future__ import annotations

from format_fixtures import GOV_PAGE, NEWS_PAGE

from embed.ingest.ingest import read_corpus
from embed.ingest.webpage import extract_webpage


def test_a_saved_news_page_keeps_the_story_title_and_date_and_drops_the_site(tmp_path):
    (tmp_path / "news.html").write_text(NEWS_PAGE, encoding="utf-8")
    corpus = read_corpus([tmp_path])
    (article,) = corpus.articles
    assert (article.title, article.date, article.year) == ("示范区召开秋季植树动员会", "2023-09-12", 2023)
    assert article.text.startswith("本报讯（记者李明）9月12日") and article.text.endswith("进行了安排部署。")
    for junk in ("首页", "政务公开", "相关新闻", "沁河大桥", "责任编辑", "扫码", "版权所有", "ICP", "来源"):
        assert junk not in article.text, junk
    assert article.byline == ("李明",)


def test_a_government_notice_page_in_gbk_keeps_the_notice_and_drops_the_portal(tmp_path):
    (tmp_path / "notice.html").write_bytes(GOV_PAGE.encode("gb18030"))
    (article,) = read_corpus([tmp_path]).articles
    assert (article.title, article.date) == ("关于2023年秋季义务植树活动安排的通知", "2023-09-20")
    assert article.text.startswith("各乡镇人民政府、区直各部门：") and article.text.endswith("2023年9月20日")
    assert "文昌街道12000株" in article.text
    for junk in (
        "当前位置",
        "字体",
        "浏览次数",
        "打印本页",
        "分享到",
        "相关链接",
        "森林防火",
        "主办单位",
        "ICP",
    ):
        assert junk not in article.text, junk


def test_a_gb18030_saved_page_is_decoded_first(tmp_path):
    (tmp_path / "gbk.html").write_bytes(
        NEWS_PAGE.replace('charset="utf-8"', 'charset="gbk"').encode("gb18030")
    )
    (article,) = read_corpus([tmp_path]).articles
    assert article.title == "示范区召开秋季植树动员会" and "12万株" in article.text


def test_the_site_name_after_the_title_is_dropped_but_a_subtitle_dash_is_not():
    # No og:title and no <h1>: the title comes from <title>, which carries the site's name.
    page = NEWS_PAGE.replace('<meta property="og:title" content="示范区召开秋季植树动员会">', "")
    page = page.replace("<h1>示范区召开秋季植树动员会</h1>", "")
    assert extract_webpage(page).title == "示范区召开秋季植树动员会"
    dashed = page.replace("示范区召开秋季植树动员会_焦作新闻网", "植树动员会——部署全年任务")
    assert extract_webpage(dashed).title == "植树动员会——部署全年任务"


def test_fragments_and_tiny_pages_are_left_to_plain_tag_stripping():
    assert extract_webpage("<p>本报讯（记者赵云）新区图书馆开馆。</p>") is None
    assert extract_webpage("<html><body><p>很短。</p></body></html>") is None
