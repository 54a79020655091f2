from __future__ import annotations

import pytest

from embed.backend import BackendError, MilvusLocation, parse_backend
from embed.config import Settings


def test_a_server_uri_names_host_port_and_collection():
    assert parse_backend("milvus://127.0.0.1:19530/news") == MilvusLocation("http://127.0.0.1:19530", "news")


def test_credentials_become_the_client_token_and_milvuss_means_tls():
    location = parse_backend("milvuss://reader:s%40cret@milvus.internal:443/news_2024")
    assert location == MilvusLocation("https://milvus.internal:443", "news_2024", "reader:s@cret")
    assert not location.is_lite


def test_a_server_without_port_gets_milvus_default_port():
    assert parse_backend("milvus://db/news").uri == "http://db:19530"


def test_a_file_uri_is_a_milvus_lite_database():
    location = parse_backend("milvus:///var/lib/qa/index.db/news")
    assert location == MilvusLocation("/var/lib/qa/index.db", "news") and location.is_lite
    assert parse_backend("milvus://./data/qa.db/news").uri == "data/qa.db"


@pytest.mark.parametrize(
    "spec",
    [
        "http://127.0.0.1:19530/news",
        "milvus://127.0.0.1:19530/",
        "milvus://h:1/bad-name",
        "milvus:///news",
        "milvus://h:1/extra/news",
    ],
)
def test_bad_backend_values_are_refused_with_the_expected_form(spec):
    with pytest.raises(BackendError, match="--backend"):
        parse_backend(spec)


def test_backend_and_ray_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("POLICYQA_BACKEND", "milvus:///tmp/x.db/news")
    monkeypatch.delenv("POLICYQA_RAY", raising=False)
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.2:6379")
    settings = Settings.from_env()
    assert settings.backend == "milvus:///tmp/x.db/news" and settings.ray == "127.0.0.2:6379"
    assert Settings.from_env(ray="local").ray == "local"
    monkeypatch.delenv("RAY_ADDRESS")
    monkeypatch.delenv("POLICYQA_BACKEND")
    assert Settings.from_env().ray is None and Settings.from_env().backend is None
