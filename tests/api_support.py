"""Shared set-up of the API tests: a few short articles with edge cases, indexed with the fake encoder."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from api.server import server_config
from embed.archive import Archive
from embed.config import Settings
from embed.datamodels import Article
from embed.index.index import Index, build_index
from embed.model.encoder import CachingEncoder
from embed.search.retrieve import Retriever

ARTICLES = (
    Article(
        article_id="qinquan#1",
        title="沁泉湖公园开园迎客",
        text="5月1日上午，沁泉湖公园正式开园迎客。公园总面积约296亩，其中水域面积120亩。"
        "开园当天，数千名市民前来游览。公园内设有环湖步道、儿童乐园和湿地科普馆。",
        source="test/qinquan.txt",
        date="2020-05-01",
    ),
    Article(
        article_id="industry#1",
        title="示范区培育百亿产业集群",
        text="示范区成立六个重点工作领导小组，全力打造百亿产业集群。领导小组每月召开一次推进会。"
        "到2025年，装备制造产业规模将突破100亿元。",
        source="test/industry.txt",
    ),
    Article(
        # A JSONL id may hold a slash; markup in the text must stay text.
        article_id="news/2019#3",
        title="营商环境持续优化",
        text="示范区着力构建“亲清”新型政商关系。目前全区已有5家大中型企业和11家小微企业签订了联创共建意见书。"
        "<script>alert(1)</script>这段文字摘自网页。",
        source="test/news.jsonl",
        date="2019-08-16",
    ),
    Article(
        # A character outside the BMP: offsets count code points, not UTF-16 units.
        article_id="emoji#1",
        title="垃圾分类进社区 🌱",
        text="🌱社区开展垃圾分类宣传活动。志愿者向居民发放宣传手册两千余份。居民参与垃圾分类的热情高涨。",
        source="test/emoji.txt",
        date="2021-03-12",
    ),
)


def build_test_index(folder: Path, encoder: object, articles: tuple[Article, ...] = ARTICLES) -> Index:
    """Index `articles` with `encoder` and save it to `folder`."""
    settings = Settings(index_dir=folder)
    index = build_index(articles, settings, encoder)
    index.save(folder)
    return index


def disk_loader(encoder: object) -> Callable[[Settings], Archive]:
    """A loader reading whatever index is on disk at settings.index_dir, searched with `encoder`.

    The same as `Archive.load` but for the encoder, which the index's manifest would not name.
    """

    def load(settings: Settings) -> Archive:
        return Archive(Retriever(Index.load(settings.index_dir), CachingEncoder(encoder)), settings)

    return load


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(app: FastAPI, startup_s: float = 30) -> Iterator[str]:
    """Serve `app` with uvicorn on a free loopback port in a thread; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(server_config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
