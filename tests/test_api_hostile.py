"""HTTP API under hostile input (issue 13): bounded work, bounded error replies, HEAD, safe paths."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

import pytest
from api_support import ARTICLES, build_test_index, disk_loader
from fastapi.testclient import TestClient

from api.main import MAX_LISTED_ERRORS, create_app, open_service
from api.memory import trim_memory
from embed.config import Settings
from embed.datamodels import Article
from embed.errors import IndexNotFoundError

SUMMARIZE_BOUND_S = 5.0
"""Issue 13's bound for the largest accepted /api/summarize body (it took about 105 s before)."""

UNBROKEN = Article(
    article_id="unbroken#1",
    title="一篇没有标点的长文",
    text="沁" * 50_000,
    source="test/unbroken.txt",
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, fake_encoder):
    folder = tmp_path_factory.mktemp("hostile") / "index"
    build_test_index(folder, fake_encoder, (*ARTICLES, UNBROKEN))
    app = create_app(Settings(index_dir=folder), loader=disk_loader(fake_encoder))
    with TestClient(app) as c:
        yield c


def test_summarizing_200000_unbroken_characters_answers_within_the_bound(client: TestClient) -> None:
    start = time.perf_counter()
    r = client.post("/api/summarize", json={"text": "沁" * 200_000})
    took = time.perf_counter() - start
    assert r.status_code == 200
    assert took < SUMMARIZE_BOUND_S, f"took {took:.1f} s"


def test_the_first_view_of_a_long_unbroken_article_answers_within_the_bound(client: TestClient) -> None:
    start = time.perf_counter()
    r = client.get("/api/articles/unbroken%231")
    took = time.perf_counter() - start
    assert r.status_code == 200 and len(r.json()["text"]) == 50_000
    assert took < SUMMARIZE_BOUND_S, f"took {took:.1f} s"


def test_a_422_lists_the_first_few_problems_with_names_cut_short(client: TestClient) -> None:
    body = {"question": "沁泉湖", **{str(i): 0 for i in range(200_000)}}
    r = client.post("/api/ask", json=body)
    assert r.status_code == 422
    assert len(r.content) < 5_000, f"{len(r.content)} bytes"
    reply = r.json()
    assert len(reply["errors"]) == MAX_LISTED_ERRORS
    assert reply["detail"].endswith(f"and {200_000 - MAX_LISTED_ERRORS} more problems")


def test_a_422_does_not_echo_a_huge_field_name(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": "沁泉湖", "k" * 1_000_000: 1})
    assert r.status_code == 422
    assert len(r.content) < 2_000
    assert r.json()["detail"].startswith("kkkk")


@pytest.mark.parametrize("path", ["/", "/healthz", "/api/articles", "/api/articles/qinquan%231"])
def test_head_answers_like_get_without_a_body(client: TestClient, path: str) -> None:
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"]


def test_head_on_a_post_only_path_is_still_a_405(client: TestClient) -> None:
    assert client.head("/api/ask").status_code == 405


@pytest.fixture
def default_loader_app(tmp_path: Path, fake_encoder, monkeypatch: pytest.MonkeyPatch):
    """An app with the default loader (as `policyqa serve` makes it) over a two-article index."""
    import embed.index.index
    import embed.pipeline

    # Both names, so that each is restored afterwards: embed.pipeline binds the function when it is first
    # imported, and an import during this patch would keep the fake for every later test (`index --add`).
    monkeypatch.setattr(embed.index.index, "load_encoder_for", lambda index: fake_encoder)
    monkeypatch.setattr(embed.pipeline, "load_encoder_for", lambda index: fake_encoder)
    folder = tmp_path / "index"
    build_test_index(folder, fake_encoder, ARTICLES[:2])
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "page.txt").write_text("沁泉湖公园正式开园迎客。公园总面积约296亩。\n", encoding="utf-8")
    settings = Settings(index_dir=folder, seeds_dir=seeds, api_key="k")
    return create_app(settings), folder


def test_reload_with_the_index_folder_gone_is_a_503_and_the_old_index_stays(default_loader_app) -> None:
    app, folder = default_loader_app
    with TestClient(app) as client:
        shutil.rmtree(folder)
        r = client.post("/api/reload", headers={"X-API-Key": "k"})
        assert r.status_code == 503
        assert r.json()["detail"].startswith("reload failed, still serving the previous index: no index at")
        assert not folder.exists(), "a reload must not build an index from seeds/ inside the request"
        assert client.get("/healthz").json()["articles"] == 2


def test_reload_of_a_type_damaged_index_is_a_503(default_loader_app) -> None:
    app, folder = default_loader_app
    with TestClient(app) as client:
        path = folder / "chunks.jsonl"
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        rows[0]["text"] = 123
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        manifest["checksums"]["chunks.jsonl"] = hashlib.sha256(path.read_bytes()).hexdigest()
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        r = client.post("/api/reload", headers={"X-API-Key": "k"})
        assert r.status_code == 503 and "'text' is int" in r.json()["detail"]
        assert client.post("/api/ask", json={"question": "沁泉湖公园"}).status_code == 200


def test_the_serve_loader_opens_what_is_on_disk_and_never_builds(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError):
        open_service(Settings(index_dir=tmp_path / "absent", seeds_dir=tmp_path))
    assert not (tmp_path / "absent").exists()


def test_a_reload_gives_freed_memory_back(default_loader_app, monkeypatch: pytest.MonkeyPatch) -> None:
    import api.routes

    calls: list[int] = []
    monkeypatch.setattr(api.routes, "trim_memory", lambda: calls.append(1))
    app, folder = default_loader_app
    with TestClient(app) as client:
        assert client.post("/api/reload", headers={"X-API-Key": "k"}).status_code == 200
        shutil.rmtree(folder)
        assert client.post("/api/reload", headers={"X-API-Key": "k"}).status_code == 503
    assert calls == [1, 1]


def test_trimming_memory_reaches_glibc_where_there_is_glibc() -> None:
    import platform

    import api.memory

    if platform.libc_ver()[0] == "glibc":
        assert api.memory._malloc_trim() is not None
    trim_memory()
