"""HTTP API through a real uvicorn server on a free loopback port: concurrency, reload, raw HTTP."""

from __future__ import annotations

import contextlib
import select
import shutil
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from api_support import ARTICLES, build_test_index, disk_loader, running_server

from api.main import create_app
from embed.archive import Archive
from embed.config import Settings


@pytest.fixture(scope="module")
def index_dirs(tmp_path_factory: pytest.TempPathFactory, fake_encoder) -> tuple[Path, Path]:
    """(two-article index, full index)."""
    base = tmp_path_factory.mktemp("server")
    build_test_index(base / "small", fake_encoder, ARTICLES[:2])
    build_test_index(base / "full", fake_encoder, ARTICLES)
    return base / "small", base / "full"


@pytest.fixture(scope="module")
def base_url(index_dirs: tuple[Path, Path], fake_encoder):
    app = create_app(Settings(index_dir=index_dirs[1]), loader=disk_loader(fake_encoder))
    with running_server(app) as url:
        yield url


def test_ask_over_real_http_returns_utf8_json(base_url: str) -> None:
    r = httpx.post(f"{base_url}/api/ask", json={"question": "沁泉湖公园有多大？"}, timeout=30)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["question"] == "沁泉湖公园有多大？"
    assert "沁泉湖" in r.content.decode("utf-8")
    assert body["passages"][0]["article_id"] == "qinquan#1"


def test_the_page_is_served_over_real_http(base_url: str) -> None:
    r = httpx.get(f"{base_url}/", timeout=30)
    assert r.status_code == 200
    assert "政策问答" in r.text


def test_concurrent_requests_are_all_served(base_url: str) -> None:
    questions = ["沁泉湖公园什么时候开园", "百亿产业集群", "垃圾分类", "亲清政商关系", "领导小组推进会"]

    def one(i: int) -> int:
        q = questions[i % len(questions)]
        with httpx.Client(base_url=base_url, timeout=60) as client:
            if i % 3 == 0:
                return client.post("/api/ask", json={"question": q, "top_k": 3}).status_code
            if i % 3 == 1:
                return client.get("/api/search", params={"q": q}).status_code
            return client.get("/api/articles/qinquan%231").status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(one, range(96)))
    assert statuses == [200] * 96


def _raw_http(base_url: str, request: bytes) -> bytes:
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


def test_a_chunked_oversized_body_is_refused_with_413(base_url: str) -> None:
    parts = urlsplit(base_url)
    piece = b"x" * 65536
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    head = (
        b"POST /api/summarize HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    # No length is declared, so the cap can only act while counting. Send a chunk at a time and stop
    # once the reply is there: bytes left unread when the server closes would make it send a reset.
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head)
        for _ in range(Settings().max_body_bytes // len(piece) + 8):  # past the default cap
            sock.sendall(chunk)
            if select.select([sock], [], [], 0.05)[0]:
                break
        reply = b""
        with contextlib.suppress(ConnectionResetError):
            while data := sock.recv(65536):
                reply += data
    assert reply.startswith(b"HTTP/1.1 413")
    assert b"request body too large" in reply


def test_a_lying_content_length_is_refused_before_the_body_is_read(base_url: str) -> None:
    request = (
        b"POST /api/ask HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Content-Length: 999999999\r\nConnection: close\r\n\r\n{}"
    )
    reply = _raw_http(base_url, request)
    assert reply.startswith(b"HTTP/1.1 413")


class _SlowService(Archive):
    """Searches take `delay` seconds of blocking sleep, like a heavy model call.

    Long enough that a loaded machine's scheduling delays stay well below it.
    """

    delay = 1.5

    def search(self, query: str, k: int):
        time.sleep(self.delay)
        return super().search(query, k)


def test_blocking_work_runs_off_the_event_loop(index_dirs: tuple[Path, Path], fake_encoder) -> None:
    def load(settings: Settings) -> Archive:
        return _SlowService(disk_loader(fake_encoder)(settings).retriever, settings)

    app = create_app(Settings(index_dir=index_dirs[1]), loader=load)
    with running_server(app) as url, ThreadPoolExecutor(max_workers=8) as pool:
        slow = [
            pool.submit(httpx.get, f"{url}/api/search", params={"q": "公园"}, timeout=30) for _ in range(6)
        ]
        time.sleep(0.1)  # the searches are now sleeping in worker threads
        start = time.perf_counter()
        health = httpx.get(f"{url}/healthz", timeout=30)
        waited = time.perf_counter() - start
        assert health.status_code == 200
        assert waited < _SlowService.delay / 2, f"/healthz waited {waited:.2f}s behind the searches"
        assert [f.result().status_code for f in slow] == [200] * 6


def test_a_request_in_flight_finishes_on_the_old_index_while_reload_swaps(
    tmp_path: Path, index_dirs: tuple[Path, Path], fake_encoder
) -> None:
    small, full = index_dirs
    folder = tmp_path / "index"
    shutil.copytree(small, folder)
    entered, release = threading.Event(), threading.Event()
    loads: list[Archive] = []

    class GatedService(Archive):
        def search(self, query: str, k: int):
            if self is loads[0]:  # only the first (old) service blocks
                entered.set()
                release.wait(timeout=30)
            return super().search(query, k)

    def load(settings: Settings) -> Archive:
        service = GatedService(disk_loader(fake_encoder)(settings).retriever, settings)
        loads.append(service)
        return service

    app = create_app(Settings(index_dir=folder, api_key="k3y"), loader=load)
    with running_server(app) as url, ThreadPoolExecutor(max_workers=2) as pool:
        pending = pool.submit(
            httpx.get, f"{url}/api/search", params={"q": "垃圾分类", "top_k": 5}, timeout=60
        )
        assert entered.wait(timeout=30)
        staged = tmp_path / "staged"
        shutil.copytree(full, staged)
        shutil.rmtree(folder)
        staged.rename(folder)
        reloaded = httpx.post(f"{url}/api/reload", headers={"X-API-Key": "k3y"}, timeout=60)
        assert reloaded.status_code == 200 and reloaded.json()["articles"] == len(ARTICLES)
        assert not pending.done(), "the old request must still be running, not restarted or failed"
        release.set()
        old = pending.result()
        assert old.status_code == 200
        assert {p["article_id"] for p in old.json()["passages"]} <= {a.article_id for a in ARTICLES[:2]}
        new = httpx.get(f"{url}/api/search", params={"q": "垃圾分类", "top_k": 1}, timeout=30)
        assert new.json()["passages"][0]["article_id"] == "emoji#1"


@pytest.mark.slow
def test_a_fresh_start_builds_the_seeds_index_and_answers_with_the_real_model(
    tmp_path: Path, seeds_dir
) -> None:
    settings = Settings(index_dir=tmp_path / "index", seeds_dir=seeds_dir)
    # The default loader: ensure_index trains the built-in model on seeds/ (minutes on a busy machine).
    with running_server(create_app(settings), startup_s=1200) as url:
        health = httpx.get(f"{url}/healthz", timeout=30).json()
        assert health["articles"] > 0 and health["model"] == "builtin"
        r = httpx.post(f"{url}/api/ask", json={"question": "沁泉湖公园什么时候开园？"}, timeout=60)
        assert r.status_code == 200
        body = r.json()
        assert body["passages"] and "沁泉湖" in body["passages"][0]["text"]
    assert (tmp_path / "index" / "manifest.json").is_file()
