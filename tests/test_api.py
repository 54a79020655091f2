"""HTTP API through TestClient: the contract's shapes, strict input handling, errors, reload."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from anyio import to_thread
from api_support import ARTICLES, build_test_index, disk_loader
from fastapi.testclient import TestClient

from api.main import create_app
from api.service import preloaded_loader
from embed.archive import Archive
from embed.config import Settings
from embed.datamodels import Article
from embed.errors import IndexCorruptError
from embed.model.encoder import CachingEncoder

STATIC = Path(__file__).resolve().parent.parent / "api" / "static"
JSON = {"Content-Type": "application/json"}
PASSAGE_KEYS = {"id", "text", "score", "article_id", "title", "source", "date", "highlights"}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, fake_encoder) -> Path:
    folder = tmp_path_factory.mktemp("api") / "index"
    build_test_index(folder, fake_encoder)
    return folder


@pytest.fixture(scope="module")
def client(index_dir: Path, fake_encoder):
    app = create_app(Settings(index_dir=index_dir), loader=disk_loader(fake_encoder))
    with TestClient(app) as c:
        yield c


def _check_passage(p: dict) -> None:
    assert PASSAGE_KEYS <= set(p)
    assert isinstance(p["id"], str) and isinstance(p["score"], float)
    for start, end in p["highlights"]:
        assert 0 <= start < end <= len(p["text"])


# --- the contract's shapes -------------------------------------------------------------------------


def test_healthz_reports_counts_and_model(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["articles"] == len(ARTICLES)
    assert body["chunks"] >= len(ARTICLES)
    assert body["model"] == "fake-hash-64"


def test_ask_returns_sentences_copied_from_cited_passages(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": "沁泉湖公园的总面积是多少？", "top_k": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["question"] == "沁泉湖公园的总面积是多少？"
    assert 1 <= len(body["passages"]) <= 3
    assert isinstance(body["took_ms"], float)
    for p in body["passages"]:
        _check_passage(p)
    assert body["sentences"], "the fixture's facts should give an answer"
    for s in body["sentences"]:
        passage = body["passages"][s["passage"]]
        assert passage["text"][s["start"] : s["end"]] == s["text"]
        assert s["text"] in body["answer"]
    assert "296亩" in body["sentences"][0]["text"]  # the sentence holding the fact leads
    assert body["found"] is True and 0.0 <= body["confidence"] <= 1.0


def test_an_unanswerable_question_is_declined_with_its_confidence(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "身份证到期了，换新证要带哪些材料？"}).json()
    assert body["found"] is False and body["answer"] == "" and body["sentences"] == []
    assert 0.0 <= body["confidence"] < 0.5 and body["message"]


def test_the_service_computes_as_many_requests_at_once_as_its_settings_say(
    index_dir: Path, fake_encoder
) -> None:
    # anyio's default is 40 worker threads; CPU-bound handlers beyond the cores only wait for the GIL.
    app = create_app(Settings(index_dir=index_dir, serve_threads=3), loader=disk_loader(fake_encoder))
    with TestClient(app) as c:
        assert c.portal.call(lambda: to_thread.current_default_thread_limiter().total_tokens) == 3
        assert c.post("/api/ask", json={"question": "沁泉湖公园什么时候开园？"}).status_code == 200


def test_ask_defaults_top_k_to_five(tmp_path: Path, fake_encoder) -> None:
    # Eight articles that all match: the shared fixture has only four passages, too few to tell.
    many = tuple(
        Article(f"sort#{i}", f"垃圾分类宣传第{i}站", f"第{i}场垃圾分类宣传活动在社区举行。", "t.txt")
        for i in range(8)
    )
    build_test_index(tmp_path / "index", fake_encoder, many)
    app = create_app(Settings(index_dir=tmp_path / "index"), loader=disk_loader(fake_encoder))
    with TestClient(app) as c:
        body = c.post("/api/ask", json={"question": "垃圾分类宣传活动"}).json()
    assert len(body["passages"]) == 5


def test_search_returns_passages_with_highlighted_query_terms(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": "百亿产业集群", "top_k": 2})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == "百亿产业集群"
    assert len(body["passages"]) <= 2
    top = body["passages"][0]
    _check_passage(top)
    assert top["article_id"] == "industry#1"
    marked = [top["text"][s:e] for s, e in top["highlights"]]
    assert any("产业" in m or "百亿" in m for m in marked)


def test_highlight_offsets_count_code_points_past_an_emoji(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "垃圾分类宣传", "top_k": 1}).json()
    p = body["passages"][0]
    assert p["article_id"] == "emoji#1"
    assert any(p["text"][s:e] in ("垃圾分类", "宣传", "垃圾", "分类") for s, e in p["highlights"])


def test_summarize_returns_whole_sentences_within_budget(client: TestClient) -> None:
    text = ARTICLES[0].text
    r = client.post("/api/summarize", json={"text": text, "max_chars": 40})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"summary", "sentences", "keywords"}
    assert body["sentences"] and all(s in text for s in body["sentences"])
    assert "".join(body["sentences"]) == body["summary"].replace("\n", "")
    lengths = [len(s) for s in body["sentences"]]
    assert sum(lengths) - max(lengths) < 40  # whole sentences added while under budget
    assert all(isinstance(k, str) for k in body["keywords"])


def test_articles_are_listed_in_pages_with_total(client: TestClient) -> None:
    first = client.get("/api/articles", params={"offset": 0, "limit": 3}).json()
    rest = client.get("/api/articles", params={"offset": 3, "limit": 3}).json()
    assert first["total"] == rest["total"] == len(ARTICLES)
    ids = [i["id"] for i in first["items"] + rest["items"]]
    assert sorted(ids) == sorted(a.article_id for a in ARTICLES)
    row = first["items"][0]
    assert set(row) == {"id", "title", "source", "date", "chars"}


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.article_id)
def test_an_article_is_served_whole_by_its_encoded_id(client: TestClient, article) -> None:
    from urllib.parse import quote

    r = client.get("/api/articles/" + quote(article.article_id, safe=""))
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == article.article_id
    assert body["text"] == article.text
    assert body["summary"] and body["summary"].replace("\n", "") in article.text.replace("\n", "")
    assert isinstance(body["keywords"], list)


# --- bad input gets a 4xx with a readable detail -------------------------------------------------------

BAD_ASK = [
    ({"question": ""}, 422, "question: String should have at least 1 character"),
    ({"question": "   \n\t"}, 422, "question: must not be blank"),
    ({"question": "\u200b\ufeff\u200b"}, 422, "question: must not be blank"),
    ({"question": "问" * 501}, 422, "question: String should have at most 500 characters"),
    ({"question": 42}, 422, "question: Input should be a valid string"),
    ({"question": None}, 422, "question: Input should be a valid string"),
    ({"question": ["问题"]}, 422, "question: Input should be a valid string"),
    ({}, 422, "question: Field required"),
    ({"question": "公园", "top_k": 0}, 422, "top_k: Input should be greater than or equal to 1"),
    ({"question": "公园", "top_k": 21}, 422, "top_k: Input should be less than or equal to 20"),
    ({"question": "公园", "top_k": "5"}, 422, "top_k: Input should be a valid integer"),
    ({"question": "公园", "top_k": 2.5}, 422, "top_k: Input should be a valid integer"),
    ({"question": "公园", "top_k": True}, 422, "top_k: Input should be a valid integer"),
    ({"question": "公园", "k": 3}, 422, "k: Extra inputs are not permitted"),
    (["公园"], 422, "body: Input should be a valid dictionary"),
    ("公园", 422, "body: Input should be a valid dictionary"),
]


@pytest.mark.parametrize(("body", "status", "detail"), BAD_ASK)
def test_bad_ask_bodies_get_a_4xx_saying_what_is_wrong(client: TestClient, body, status, detail) -> None:
    r = client.post("/api/ask", json=body)
    assert r.status_code == status
    assert r.json()["detail"].startswith(detail)


def test_a_question_of_only_stopwords_is_refused_not_crashed(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": "？？？的了吗"})
    assert r.status_code == 422
    assert "nothing searchable" in r.json()["detail"]


def test_malformed_json_is_a_400(client: TestClient) -> None:
    r = client.post(
        "/api/ask", content='{"question": "公园'.encode(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["detail"].startswith("malformed JSON body")


def test_invalid_utf8_is_a_400(client: TestClient) -> None:
    r = client.post(
        "/api/ask", content=b'{"question": "\xff\xfe"}', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_not_declared_as_json_is_a_415(client: TestClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    r = client.post("/api/ask", content='{"question": "公园"}'.encode(), headers=headers)
    assert r.status_code == 415
    assert "application/json" in r.json()["detail"]


def test_a_json_content_type_with_charset_is_accepted(client: TestClient) -> None:
    r = client.post(
        "/api/ask",
        content='{"question": "公园面积"}'.encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 200


def test_an_oversized_body_is_refused_with_413_before_parsing(client: TestClient) -> None:
    big = b'{"text": "' + "长".encode() * 1_100_000 + b'"}'
    r = client.post("/api/summarize", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert "limit is 3000000 bytes" in r.json()["detail"]


def test_an_oversized_body_without_length_is_cut_off_while_streaming(client: TestClient) -> None:
    def chunks():
        yield b'{"text": "'
        for _ in range(40):
            yield "长".encode() * 30_000  # 3.6 MB in all, past the 3 MB default cap
        yield b'"}'

    r = client.post("/api/summarize", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_summarize_refuses_text_over_200000_characters(client: TestClient) -> None:
    r = client.post("/api/summarize", json={"text": "a" * 200_001})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("text: String should have at most 200000 characters")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"text": "一句话。", "max_chars": 19}, "max_chars: Input should be greater than or equal to 20"),
        ({"text": "一句话。", "max_chars": 2001}, "max_chars: Input should be less than or equal to 2000"),
        ({"text": " "}, "text: must not be blank"),
        ({"text": 1}, "text: Input should be a valid string"),
    ],
)
def test_bad_summarize_bodies_get_a_422(client: TestClient, body, detail) -> None:
    r = client.post("/api/summarize", json=body)
    assert r.status_code == 422
    assert r.json()["detail"].startswith(detail)


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({}, "q: Field required"),
        ({"q": ""}, "q: String should have at least 1 character"),
        ({"q": "  "}, "q: must not be blank"),
        ({"q": "x" * 501}, "q: String should have at most 500 characters"),
        ({"q": "公园", "top_k": "many"}, "top_k: Input should be a valid integer"),
        ({"q": "公园", "top_k": 0}, "top_k: Input should be greater than or equal to 1"),
        ({"q": "公园", "top_k": 99}, "top_k: Input should be less than or equal to 20"),
    ],
)
def test_bad_search_parameters_get_a_422(client: TestClient, params, detail) -> None:
    r = client.get("/api/search", params=params)
    assert r.status_code == 422
    assert r.json()["detail"].startswith(detail)


@pytest.mark.parametrize(
    ("params", "detail"),
    [({"offset": -1}, "offset: Input should be greater"), ({"limit": 0}, "limit: Input should be greater")],
)
def test_bad_article_paging_gets_a_422(client: TestClient, params, detail) -> None:
    r = client.get("/api/articles", params=params)
    assert r.status_code == 422
    assert r.json()["detail"].startswith(detail)


def test_an_unknown_article_id_is_a_404(client: TestClient) -> None:
    r = client.get("/api/articles/nope%2399")
    assert r.status_code == 404
    assert r.json()["detail"] == "no article with id 'nope#99'"


@pytest.mark.parametrize(
    "path",
    ["..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "..%5C..%5Cwindows", "a%00b", "news%2F..%2F..%2Fsecret"],
)
def test_an_article_id_that_looks_like_a_path_is_a_400(client: TestClient, path: str) -> None:
    r = client.get("/api/articles/" + path)
    assert r.status_code == 400
    assert "invalid article id" in r.json()["detail"]


def test_an_overlong_article_id_is_a_422(client: TestClient) -> None:
    assert client.get("/api/articles/" + "a" * 300).status_code == 422


def test_an_unknown_path_is_a_json_404(client: TestClient) -> None:
    r = client.get("/api/nothing-here")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found"}


def test_a_wrong_method_is_a_405(client: TestClient) -> None:
    assert client.get("/api/ask").status_code == 405


# --- request ids and unexpected failures ---------------------------------------------------------------


def test_every_reply_carries_a_request_id_and_a_tame_incoming_one_is_kept(client: TestClient) -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/healthz").headers["X-Request-ID"])
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\twith junk"}).headers["X-Request-ID"]
    assert replaced != "bad id\twith junk"


def test_an_unexpected_exception_is_a_json_500_without_internals_and_is_logged(
    index_dir: Path, fake_encoder, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self, question, k):
        raise RuntimeError("secret internals /etc/shadow")

    monkeypatch.setattr(Archive, "ask", broken)
    app = create_app(Settings(index_dir=index_dir), loader=disk_loader(fake_encoder))
    with (
        TestClient(app, raise_server_exceptions=False) as c,
        caplog.at_level(logging.ERROR, logger="api.main"),
    ):
        r = c.post("/api/ask", json={"question": "公园"})
    assert r.status_code == 500
    body = r.json()
    assert body["detail"] == "internal server error"
    assert "secret" not in r.text
    assert body["request_id"] == r.headers["X-Request-ID"]
    assert any(body["request_id"] in rec.getMessage() for rec in caplog.records)


# --- the app factory, startup, reload ------------------------------------------------------------------


def test_creating_the_app_loads_nothing_until_startup(tmp_path: Path) -> None:
    calls: list[Settings] = []
    app = create_app(Settings(index_dir=tmp_path / "none"), loader=calls.append)
    assert calls == [] and app.state.holder.current is None
    assert not (tmp_path / "none").exists()


def test_importing_api_main_builds_an_app_without_loading_an_index() -> None:
    import api.main

    assert api.main.app.state.holder.current is None


def test_startup_fails_loudly_on_a_broken_index(reload_setup, fake_encoder) -> None:
    _, folder = reload_setup
    (folder / "chunks.jsonl").write_text("damaged\n", encoding="utf-8")
    app = create_app(Settings(index_dir=folder), loader=disk_loader(fake_encoder))
    with pytest.raises(IndexCorruptError), TestClient(app):
        pass


@pytest.fixture(scope="module")
def small_index_dir(tmp_path_factory: pytest.TempPathFactory, fake_encoder) -> Path:
    folder = tmp_path_factory.mktemp("api-small") / "index"
    build_test_index(folder, fake_encoder, ARTICLES[:2])
    return folder


@pytest.fixture
def reload_setup(tmp_path: Path, small_index_dir: Path, fake_encoder):
    """A fresh copy of the two-article index, and a client factory serving it with a given key."""
    folder = tmp_path / "index"
    shutil.copytree(small_index_dir, folder)

    def make(api_key: str | None) -> TestClient:
        app = create_app(Settings(index_dir=folder, api_key=api_key), loader=disk_loader(fake_encoder))
        return TestClient(app)

    return make, folder


def _replace_index(folder: Path, source: Path) -> None:
    """Put a rebuilt index in place the way `Index.save` does: complete beside, then renamed over."""
    staged = folder.with_name("staged")
    shutil.copytree(source, staged)
    shutil.rmtree(folder)
    staged.rename(folder)


def test_a_preloaded_service_starts_the_app_and_reloads_come_from_disk(reload_setup, index_dir, fake_encoder):
    _, folder = reload_setup
    settings = Settings(index_dir=folder, api_key="k")
    first = disk_loader(fake_encoder)(settings)
    app = create_app(settings, loader=preloaded_loader(first, then=disk_loader(fake_encoder)))
    with TestClient(app) as client:
        assert app.state.holder.current is first
        _replace_index(folder, index_dir)
        assert client.post("/api/reload", headers={"X-API-Key": "k"}).json()["articles"] == len(ARTICLES)
        assert app.state.holder.current is not first


def test_reload_is_off_without_an_api_key(reload_setup) -> None:
    make, _ = reload_setup
    client = make(None)
    with client:
        r = client.post("/api/reload", headers={"X-API-Key": "anything"})
    assert r.status_code == 403
    assert "POLICYQA_API_KEY" in r.json()["detail"]


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}])
def test_reload_needs_the_right_key(reload_setup, headers: dict) -> None:
    make, _ = reload_setup
    client = make("s3cret")
    with client:
        assert client.post("/api/reload", headers=headers).status_code == 401


def test_reload_swaps_in_a_rebuilt_index(reload_setup, index_dir: Path) -> None:
    make, folder = reload_setup
    with make("s3cret") as client:
        assert client.get("/healthz").json()["articles"] == 2
        _replace_index(folder, index_dir)
        assert client.get("/healthz").json()["articles"] == 2  # nothing changes until asked
        r = client.post("/api/reload", headers={"X-API-Key": "s3cret"})
        assert r.status_code == 200
        assert r.json()["articles"] == len(ARTICLES)
        assert client.get("/healthz").json()["articles"] == len(ARTICLES)
        assert client.get("/api/articles/emoji%231").status_code == 200


def test_a_failed_reload_keeps_serving_the_previous_index(reload_setup) -> None:
    make, folder = reload_setup
    with make("s3cret") as client:
        (folder / "manifest.json").write_text("{broken", encoding="utf-8")
        r = client.post("/api/reload", headers={"X-API-Key": "s3cret"})
        assert r.status_code == 503
        assert "still serving the previous index" in r.json()["detail"]
        assert client.get("/healthz").json()["articles"] == 2
        assert client.post("/api/ask", json={"question": "沁泉湖公园"}).status_code == 200


def test_the_cached_encoder_gives_the_inner_vectors_and_encodes_each_text_once(fake_encoder) -> None:
    calls: list[list[str]] = []

    class Counting:
        name, dim = fake_encoder.name, fake_encoder.dim

        def encode_queries(self, texts):
            calls.append(list(texts))
            return fake_encoder.encode_queries(texts)

        encode_passages = encode_queries

    cached = CachingEncoder(Counting(), maxsize=3)
    texts = ["公园开园。", "产业集群。", "公园开园。"]
    assert np.array_equal(cached.encode_passages(texts), fake_encoder.encode_passages(texts))
    assert np.array_equal(cached.encode_passages(texts[:2]), fake_encoder.encode_passages(texts[:2]))
    assert calls == [["公园开园。", "产业集群。"]]
    cached.encode_passages(["第三句。", "第四句。"])  # over maxsize: the cache starts again
    assert len(cached._vectors) <= 3
    assert cached.encode_passages([]).shape == (0, fake_encoder.dim)


# --- the page and the docs ------------------------------------------------------------------------------


def test_the_chat_page_is_served_as_utf8_html_with_a_strict_policy(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert '<meta charset="utf-8">' in r.text
    policy = r.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    for asset in ("app.js", "app.css"):
        assert client.get("/static/" + asset).status_code == 200


def test_the_page_loads_nothing_from_elsewhere_and_never_parses_data_as_html() -> None:
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE), path.name
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script


def test_openapi_docs_list_every_contract_path(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/ask", "/api/search", "/api/summarize", "/api/articles", "/healthz"):
        assert path in paths
    assert any(p.startswith("/api/articles/{") for p in paths)


def test_startup_and_reload_warm_the_service_before_it_takes_requests(reload_setup, monkeypatch) -> None:
    make, _ = reload_setup
    warmed: list[Archive] = []
    monkeypatch.setattr(Archive, "warm_up", lambda self: warmed.append(self))
    client = make("k")
    with client:
        first = client.app.state.holder.current
        assert warmed == [first]
        client.post("/api/reload", headers={"X-API-Key": "k"})
        assert warmed == [first, client.app.state.holder.current] and warmed[1] is not first


def test_the_error_table_answers_bad_input_with_a_422_and_an_unknown_library_error_with_a_500(
    client: TestClient,
) -> None:
    from embed.errors import BadInputError, PolicyQAError

    def bad_input() -> None:
        raise BadInputError("budget must be positive")

    def unmapped() -> None:
        raise PolicyQAError("nobody mapped this")

    client.app.add_api_route("/test/bad-input", bad_input)
    client.app.add_api_route("/test/unmapped", unmapped)
    r = client.get("/test/bad-input")
    assert r.status_code == 422 and r.json() == {"detail": "budget must be positive"}
    r = client.get("/test/unmapped")
    assert r.status_code == 500 and "detail" in r.json() and "nobody mapped" not in r.text
