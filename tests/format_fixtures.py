"""Files of every format, generated in the tests: laid-out PDF pages, scans, Word notices, saved web pages.

reportlab's built-in CID font STSong-Light needs no font file; the scanned pages are rendered with a CJK
font from Debian's packages (fonts-wqy-microhei, installed by scripts/setup.sh --dev).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
PAGE_W, PAGE_H = 595.0, 842.0  # A4 in points
MARGIN = 50.0
GUTTER = 16.0
BODY = 10.5
FONT = "STSong-Light"


@dataclass(frozen=True)
class Story:
    title: str
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        return "".join(self.paragraphs)


PARK = Story(
    "沁泉湖公园项目建设正式启动",
    (
        "本报讯（记者郭树勋）8月15日，计划明年5月1日正式开园的沁泉湖公园项目建设正式启动。"
        "该项目总投资4.6亿元，规划面积约1200亩，建成后将成为示范区最大的城市公园。",
        "项目分三期实施，一期工程包括湖区开挖、环湖步道和游客服务中心建设。"
        "区住建局负责人表示，将倒排工期、挂图作战，确保各个节点按期完成，让群众早日享受生态红利。",
        "据介绍，公园建成后将新增水域面积380亩，种植乔木两万余株，并配套建设停车场和公共厕所。",
    ),
)
JOBS = Story(
    "高新区举办秋季招聘会",
    (
        "本报讯（记者王芳）9月3日，高新区在人才市场举办秋季招聘会，126家企业提供就业岗位3800余个，"
        "涉及装备制造、电子信息和现代物流等行业。",
        "现场共有2100余人次进场求职，初步达成就业意向860人。",
    ),
)
RIVER = Story(
    "大沙河生态治理工程通过验收",
    (
        "本报讯（通讯员张攀）9月5日，大沙河生态治理工程通过市级验收。工程治理河道长度12.8公里，"
        "新建生态护岸9.6公里，栽植各类苗木3.2万株。",
        "治理后河道防洪标准提高到二十年一遇，沿岸群众出行和休闲条件明显改善。",
    ),
)
BRIDGE = Story(
    "沁河大桥主体完工",
    (
        "本报讯（记者赵云）5月20日，沁河大桥主体工程完工，标志着这座连接南北两岸的交通要道进入附属工程施工阶段。",
        "大桥全长1.2公里，总投资3.5亿元，双向六车道设计，预计年底通车。",
    ),
)
RUNNING_HEAD = "焦作日报  2017年8月16日 星期三  第3版"


def cjk_font() -> Path | None:
    """A CJK TrueType font from Debian's packages, or None when none is installed."""
    return next((p for p in CJK_FONTS if p.is_file()), None)


def _canvas(target: Path | io.BytesIO, **kwargs):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    where = str(target) if isinstance(target, Path) else target
    return canvas.Canvas(where, pagesize=(PAGE_W, PAGE_H), **kwargs)


def _wrap(paragraphs: tuple[str, ...], width: float, size: float = BODY) -> list[tuple[str, bool]]:
    """Lines of `paragraphs` set in `width` points, each paragraph indented two characters.

    Returns (line, starts_paragraph) pairs.
    """
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[tuple[str, bool]] = []
    for paragraph in paragraphs:
        line, first = "", True
        for char in paragraph:
            indent = 2 * size if first else 0
            if stringWidth(line + char, FONT, size) + indent > width:
                lines.append((line, first))
                line, first = "", False
            line += char
        lines.append((line, first))
    return lines


def _set_column(c, lines: list[tuple[str, bool]], x: float, top: float, size: float = BODY) -> float:
    """Draw lines down from `top`; returns the y below the last line."""
    y = top
    c.setFont(FONT, size)
    for line, first in lines:
        c.drawString(x + (2 * size if first else 0), y, line)
        y -= size * 1.45
    return y


def _set_columns(c, story: Story, x0: float, x1: float, top: float, columns: int) -> float:
    """The story's body flowed down `columns` columns between x0 and x1 (balanced); returns the bottom."""
    width = (x1 - x0 - GUTTER * (columns - 1)) / columns
    lines = _wrap(story.paragraphs, width)
    per = -(-len(lines) // columns)
    bottom = top
    for k in range(columns):
        bottom = min(bottom, _set_column(c, lines[k * per : (k + 1) * per], x0 + k * (width + GUTTER), top))
    return bottom


def _headline(c, text: str, x: float, y: float, size: float) -> None:
    c.setFont(FONT, size)
    c.drawString(x, y, text)


def _furniture(c, folio: int) -> None:
    c.setFont(FONT, 9)
    c.drawString(MARGIN, PAGE_H - 30, RUNNING_HEAD)
    c.drawCentredString(PAGE_W / 2, 25, str(folio))


def draw_one_column_page(c, story: Story = PARK, folio: int = 1) -> None:
    _furniture(c, folio)
    _headline(c, story.title, MARGIN, PAGE_H - 90, 20)
    _set_columns(c, story, MARGIN, PAGE_W - MARGIN, PAGE_H - 125, 1)


def draw_two_column_page(c, story: Story = PARK, folio: int = 1) -> None:
    _furniture(c, folio)
    _headline(c, story.title, MARGIN, PAGE_H - 90, 22)
    _set_columns(c, story, MARGIN, PAGE_W - MARGIN, PAGE_H - 125, 2)


def draw_three_article_page(c, stories: tuple[Story, ...] = (PARK, JOBS, RIVER), folio: int = 3) -> None:
    """A newspaper page: the lead story across two columns on top, two stories side by side below.

    The lower stories' headlines sit on one row and their lines align across the gutter, so reading the
    page row by row would interleave them.
    """
    _furniture(c, folio)
    top, left, right = stories
    _headline(c, top.title, MARGIN, PAGE_H - 90, 22)
    bottom = _set_columns(c, top, MARGIN, PAGE_W - MARGIN, PAGE_H - 125, 2)
    mid = PAGE_W / 2
    row = bottom - 40
    _headline(c, left.title, MARGIN, row, 16)
    _headline(c, right.title, mid + GUTTER / 2, row, 16)
    _set_columns(c, left, MARGIN, mid - GUTTER / 2, row - 30, 1)
    _set_columns(c, right, mid + GUTTER / 2, PAGE_W - MARGIN, row - 30, 1)


def write_pdf(path: Path, *draws, **canvas_kwargs) -> Path:
    """A PDF with one page per drawing function (each called with the canvas)."""
    c = _canvas(path, **canvas_kwargs)
    for draw in draws:
        draw(c)
        c.showPage()
    c.save()
    return path


def render_scan(story: Story, font: Path, width: int = 1240) -> object:
    """A PIL image of a scanned page: headline and body lines as pixels, no text anywhere."""
    from PIL import Image, ImageDraw, ImageFont

    body, head = ImageFont.truetype(str(font), 30), ImageFont.truetype(str(font), 48)
    lines = [(line, first) for line, first in _pixel_wrap(story.paragraphs, body, width - 160)]
    image = Image.new("L", (width, 260 + 48 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    draw.text((80, 60), story.title, font=head, fill=0)
    y = 170
    for line, first in lines:
        draw.text((80 + (60 if first else 0), y), line, font=body, fill=0)
        y += 48
    return image


def _pixel_wrap(paragraphs: tuple[str, ...], font, width: int) -> list[tuple[str, bool]]:
    lines = []
    for paragraph in paragraphs:
        line, first = "", True
        for char in paragraph:
            if font.getlength(line + char) + (60 if first else 0) > width:
                lines.append((line, first))
                line, first = "", False
            line += char
        lines.append((line, first))
    return lines


def draw_scanned_page(image) -> object:
    """A drawing function putting `image` on a page as a picture (a scan: no text layer)."""
    from reportlab.lib.utils import ImageReader

    def draw(c) -> None:
        w, h = image.size
        scale = (PAGE_W - 2 * MARGIN) / w
        c.drawImage(ImageReader(image), MARGIN, PAGE_H - MARGIN - h * scale, w * scale, h * scale)

    return draw


NOTICE_TITLE = "关于开展2023年秋季义务植树活动的通知"


def write_docx_notice(path: Path) -> Path:
    """A Word notice: a Heading 1 title, body paragraphs, a Heading 2 subhead and a table."""
    import docx

    document = docx.Document()
    document.add_heading(NOTICE_TITLE, level=1)
    document.add_paragraph("各乡镇人民政府、区直各部门：")
    document.add_paragraph(
        "为加快国土绿化步伐，改善人居环境，经研究，决定在全区开展2023年秋季义务植树活动。现将有关事项通知如下。"
    )
    document.add_heading("一、任务分解", level=2)
    document.add_paragraph("各单位植树任务如下表，请于11月30日前完成。")
    table = document.add_table(rows=3, cols=3)
    rows = (
        ("乡镇", "植树任务", "责任单位"),
        ("文昌街道", "12000株", "区林业局"),
        ("苏家作乡", "8500株", "区农业农村局"),
    )
    for row, cells in zip(table.rows, rows, strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_paragraph("示范区管委会办公室")
    document.save(path)
    return path


NEWS_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>示范区召开秋季植树动员会_焦作新闻网</title>
<meta property="og:title" content="示范区召开秋季植树动员会">
<meta name="pubdate" content="2023-09-12 10:00"></head>
<body><div class="nav"><a href="/">首页</a> | <a href="/news">本地新闻</a> | <a href="/gov">政务公开</a></div>
<div class="main"><h1>示范区召开秋季植树动员会</h1><div class="info">来源：焦作日报 发布时间：2023-09-12</div>
<div class="content">
<p>本报讯（记者李明）9月12日，示范区召开秋季植树动员会，部署全年绿化任务，今年计划新植苗木12万株。</p>
<p>会议要求，各乡镇要进一步压实责任，确保植树成活率达到95%以上，11月底前全部完成。</p>
<p>会议还对森林防火和古树名木保护工作进行了安排部署。</p>
<p>责任编辑：王芳</p></div>
<div class="related"><h3>相关新闻</h3><ul><li><a href="/a">高新区举办招聘会圆满结束</a></li>
<li><a href="/b">沁河大桥主体完工即将通车</a></li></ul></div>
<div class="ad">广告：扫码关注焦作日报微信公众号</div></div>
<div class="footer">版权所有 焦作日报社 豫ICP备12345678号</div></body></html>"""


GOV_PAGE = """<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>关于2023年秋季义务植树活动安排的通知-焦作市示范区管委会</title>
<meta name="ArticleTitle" content="关于2023年秋季义务植树活动安排的通知">
<meta name="PubDate" content="2023-09-20 09:30"></head>
<body><div id="top"><a href="#">网站首页</a><a href="#">政务公开</a>
<a href="#">办事服务</a><a href="#">互动交流</a></div>
<div class="position">当前位置：首页 &gt; 政务公开 &gt; 通知公告</div>
<div class="article"><h1>关于2023年秋季义务植树活动安排的通知</h1>
<div class="meta">发布时间：2023-09-20 来源：示范区林业局
【字体：<a>大</a> <a>中</a> <a>小</a>】 浏览次数：1024</div>
<div class="TRS_Editor"><p>各乡镇人民政府、区直各部门：</p>
<p>为加快国土绿化步伐，改善人居环境，经研究，决定在全区开展2023年秋季义务植树活动，现将有关事项通知如下。</p>
<p>一、活动时间：2023年10月15日至11月30日。</p>
<p>二、任务分解：全区计划植树10万株，其中文昌街道12000株、苏家作乡8500株。</p>
<p>三、工作要求：各单位要高度重视，精心组织，确保苗木成活率达到95%以上。</p>
<p style="text-align:right">示范区管委会办公室</p><p style="text-align:right">2023年9月20日</p></div>
<div class="tools"><a>打印本页</a> <a>关闭窗口</a> 分享到：微信 微博</div></div>
<div class="links"><h3>相关链接</h3><ul><li><a>示范区召开秋季植树动员会</a></li>
<li><a>关于做好森林防火工作的通知</a></li></ul></div>
<div id="footer">主办单位：焦作市示范区管委会 承办：示范区大数据中心
豫ICP备00000000号 网站标识码：4108000001</div></body></html>"""
"""A notice saved from a government site (declared gb2312), with its site chrome around it."""


def write_zip_bomb_docx(path: Path, inflated_mib: int = 80) -> Path:
    """A .docx-shaped zip whose document part inflates to `inflated_mib` MiB of nothing."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as part:
            chunk = b" " * 2**20
            for _ in range(inflated_mib):
                part.write(chunk)
    return path


def draw_stacked_page(c, stories: tuple[Story, ...] = (PARK, RIVER), folio: int = 4) -> None:
    """Two stories one above the other, each in two columns on the same grid; the lower headline is
    short enough to fit its left column, so a gutter runs from the top of the page to the bottom."""
    _furniture(c, folio)
    top = PAGE_H - 90
    for story in stories:
        _headline(c, story.title, MARGIN, top, 16)
        top = _set_columns(c, story, MARGIN, PAGE_W - MARGIN, top - 30, 2) - 40


def draw_shuffled_page(c, story: Story = JOBS, seed: int = 3) -> None:
    """One story drawn a character at a time in random order, as some typesetting systems store text."""
    import random

    from reportlab.pdfbase.pdfmetrics import stringWidth

    placed = [(story.title, MARGIN, PAGE_H - 90, 20.0)]
    y = PAGE_H - 125
    for line, first in _wrap(story.paragraphs, PAGE_W - 2 * MARGIN):
        placed.append((line, MARGIN + (2 * BODY if first else 0), y, BODY))
        y -= BODY * 1.45
    chars = []
    for text, x, y, size in placed:
        for k, char in enumerate(text):
            chars.append((char, x + stringWidth(text[:k], FONT, size), y, size))
    random.Random(seed).shuffle(chars)
    for char, x, y, size in chars:
        c.setFont(FONT, size)
        c.drawString(x, y, char)


def chromium() -> str | None:
    """Debian's chromium (scripts/setup.sh --dev installs it for the browser test), or None."""
    import shutil

    return shutil.which("chromium") or shutil.which("chromium-browser")


def newspaper_html(stories: tuple[Story, Story, Story] = (PARK, JOBS, RIVER)) -> str:
    """A page laid out by CSS: the lead story in two flowing columns, two stories side by side below."""
    top, left, right = stories

    def paragraphs(story: Story) -> str:
        return "".join(f"<p>{p}</p>" for p in story.paragraphs)

    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body{{font-family:"WenQuanYi Micro Hei";margin:40px;width:700px}} h1{{font-size:30px;margin:0 0 12px}}
h2{{font-size:22px;margin:16px 0 8px}} p{{margin:0;text-indent:2em}}
.cols{{column-count:2;column-gap:24px;font-size:14px;line-height:1.6}}
.row{{display:flex;gap:24px}} .row>div{{flex:1;font-size:14px;line-height:1.6}} .head{{font-size:11px}}
</style></head><body><div class="head">{RUNNING_HEAD}</div>
<h1>{top.title}</h1><div class="cols">{paragraphs(top)}</div>
<div class="row"><div><h2>{left.title}</h2>{paragraphs(left)}</div>
<div><h2>{right.title}</h2>{paragraphs(right)}</div></div></body></html>"""


def print_to_pdf(html: str, folder: Path, name: str = "chromium.pdf") -> Path:
    """The page printed to PDF by headless chromium: another producer, with an embedded subset CJK font."""
    import subprocess

    source = folder / "page.html"
    source.write_text(html, encoding="utf-8")
    target = folder / name
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"]
    subprocess.run(
        [*command, f"--print-to-pdf={target}", str(source)], check=True, capture_output=True, timeout=120
    )
    source.unlink()
    return target
