"""POST /api/summarize through TestClient: raw page text is cleaned as indexing cleans it."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_support import build_test_index, disk_loader
from fastapi.testclient import TestClient

from api.main import create_app
from api.routes import NOTHING_TO_SUMMARIZE
from embed.config import Settings

RAW_PAGE = (
    "获取更多精彩资讯，\n请扫码关注“示范区\n头条”微信公众号\n\n"
    "编辑:陈彬\n版式:汪洋校对:张雪晖\n\n"
    "沁泉湖公园正式开园迎客\n\n"
    "本报讯(记者郭树勋)5月1日上午,沁泉湖公园正式开园迎客。公园总面积约296亩,其中水域面积120亩。\n"
    "开园当天,数千名市民前来游览。公园内设有环湖步道、\n儿童乐园和湿地科普馆。\n"
    "开园当天,数千名市民前来游览。\n"
    "图为市民在公园内游览。\n张双杰 摄\n"
)
"""A newspaper page as a user pastes it: promotion, layout credits, a headline, the article with a line
broken mid-sentence and a sentence repeated by the layout, a photo caption."""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, fake_encoder):
    folder = tmp_path_factory.mktemp("api-summaries") / "index"
    build_test_index(folder, fake_encoder)
    app = create_app(Settings(index_dir=Path(folder)), loader=disk_loader(fake_encoder))
    with TestClient(app) as c:
        yield c


def _summarize(client: TestClient, text: str, max_chars: int = 2000) -> dict:
    r = client.post("/api/summarize", json={"text": text, "max_chars": max_chars})
    assert r.status_code == 200, r.text
    return r.json()


def test_credits_promotions_and_captions_never_reach_the_summary(client: TestClient) -> None:
    body = _summarize(client, RAW_PAGE)  # a budget past the whole text: every kept sentence is in it
    assert body["sentences"]
    for noise in ("扫码", "公众号", "版式", "校对", "编辑", "图为", "摄"):
        assert noise not in body["summary"], noise
    assert not any(noise in k for k in body["keywords"] for noise in ("扫码", "版式", "校对"))
    assert "公园内设有环湖步道、儿童乐园和湿地科普馆。" in body["sentences"]  # the broken line, rejoined
    assert body["sentences"].count("开园当天,数千名市民前来游览。") == 1  # the repeat, kept once


def test_the_headline_is_not_glued_to_the_first_sentence(client: TestClient) -> None:
    body = _summarize(client, RAW_PAGE, max_chars=40)
    assert body["sentences"][0].startswith("5月1日上午,沁泉湖公园正式开园迎客")  # the dateline set apart too
    assert "沁泉湖公园正式开园迎客\n" not in body["summary"]
    assert all("开园迎客本报讯" not in s for s in body["sentences"])


def test_clean_text_is_summarized_as_before(client: TestClient) -> None:
    text = "示范区召开项目建设推进会。会议部署了下一步重点工作。全区上下要狠抓落实。"
    body = _summarize(client, text, max_chars=20)
    assert body["sentences"] == ["示范区召开项目建设推进会。", "会议部署了下一步重点工作。"]


def test_text_that_is_only_page_furniture_gets_a_422_saying_so(client: TestClient) -> None:
    r = client.post("/api/summarize", json={"text": "编辑:陈彬\n版式:汪洋\n校对:张雪晖"})
    assert r.status_code == 422
    assert r.json()["detail"] == NOTHING_TO_SUMMARIZE


@pytest.mark.parametrize("body", [{"text": " \n "}, {"text": "一句话。", "max_chars": 19}, {}])
def test_bad_bodies_still_get_a_422(client: TestClient, body: dict) -> None:
    r = client.post("/api/summarize", json=body)
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str)
