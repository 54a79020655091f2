from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from embed.config import Settings
from embed.datamodels import Article
from embed.errors import (
    ArticleNotFoundError,
    BadInputError,
    IndexCorruptError,
    IndexNotFoundError,
    ModelMismatchError,
)
from embed.index.index import Index, build_index, make_ann, update_index
from embed.index.store import FORMAT_VERSION
from embed.search.retrieve import Retriever

REPO = Path(__file__).resolve().parent.parent


def _article(n: int, topic: str) -> Article:
    text = "".join(
        f"示范区{topic}第{i}阶段工作有序推进，{topic}项目投资{n * 10 + i}亿元。" for i in range(12)
    )
    return Article(f"page#{n}", f"{topic}进展", text, "page.txt", date=f"2020-0{1 + n % 9}-01")


TOPICS = ["沁泉湖公园建设", "大沙河治理", "李万街道城中村改造", "四城联创", "固定资产投资", "疫情防控"]
ARTICLES = [_article(n, t) for n, t in enumerate(TOPICS)]


@pytest.fixture()
def settings(tmp_path) -> Settings:
    return Settings(index_dir=tmp_path / "index", chunk_max_chars=200, chunk_min_chars=60)


@pytest.fixture()
def saved(settings, fake_encoder) -> Index:
    index = build_index(ARTICLES[:4], settings, fake_encoder)
    index.save(settings.index_dir)
    return index


def _results(index: Index, encoder, query: str, mode: str = "hybrid") -> list[tuple]:
    hits = Retriever(index, encoder).search(query, k=5, mode=mode)
    return [(h.chunk.article_id, h.chunk.text, round(h.score, 6)) for h in hits]


def test_a_built_index_aligns_chunks_vectors_and_bm25_rows(settings, fake_encoder):
    index = build_index(ARTICLES, settings, fake_encoder)
    n = len(index.chunks)
    assert n > len(ARTICLES)
    assert index.vectors.ntotal == n == index.bm25.num_docs == index.embeddings.shape[0]
    assert [c.chunk_id for c in index.chunks] == list(range(n))
    assert list(index.articles) == [a.article_id for a in ARTICLES]


def test_save_writes_the_documented_layout_and_manifest(saved, settings):
    folder = settings.index_dir
    names = {p.name for p in folder.iterdir()}
    assert {
        "manifest.json",
        "faiss.index",
        "bm25",
        "chunks.jsonl",
        "articles.jsonl",
        "user_words.txt",
    } <= names
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"] == "fake-hash-64" and manifest["dim"] == 64
    assert manifest["counts"]["chunks"] == len(saved.chunks)
    assert manifest["chunk_settings"] == {"max_chars": 200, "min_chars": 60, "overlap_chars": 60}
    assert set(manifest["article_hashes"]) == set(saved.articles)
    assert "chunks.jsonl" in manifest["checksums"]


def test_load_gives_back_the_same_index(saved, settings, fake_encoder):
    loaded = Index.load(settings.index_dir)
    assert loaded.chunks == saved.chunks and loaded.articles == saved.articles
    assert loaded.user_words == saved.user_words
    assert _results(loaded, fake_encoder, "大沙河治理投资") == _results(saved, fake_encoder, "大沙河治理投资")
    assert loaded.idf("大沙河") == saved.idf("大沙河") > loaded.idf("示范区")


def test_loading_a_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexNotFoundError, match="policyqa index"):
        Index.load(tmp_path / "nothing")


def test_loading_a_half_written_index_says_to_rebuild(saved, settings):
    (settings.index_dir / "manifest.json").unlink()
    with pytest.raises(IndexCorruptError, match="policyqa index"):
        Index.load(settings.index_dir)


@pytest.mark.parametrize("name", ["chunks.jsonl", "faiss.index", "bm25/vocab.index.json", "embeddings.npy"])
def test_loading_a_damaged_file_is_caught_by_its_checksum(saved, settings, name):
    path = settings.index_dir / name
    path.write_bytes(path.read_bytes()[:-7] + b"garbage")
    with pytest.raises(IndexCorruptError, match="checksum"):
        Index.load(settings.index_dir)


def test_loading_an_index_of_another_format_version_says_to_rebuild(saved, settings):
    path = settings.index_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(manifest | {"format_version": 0}), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="rebuild"):
        Index.load(settings.index_dir)


def test_loading_with_another_model_names_both_models(saved, settings):
    with pytest.raises(ModelMismatchError, match="fake-hash-64.*other-model"):
        Index.load(settings.index_dir, model="other-model")
    assert Index.load(settings.index_dir, model="fake-hash-64").chunks == saved.chunks


def test_a_failed_save_leaves_the_previous_index_intact(saved, settings, fake_encoder, monkeypatch):
    bigger = build_index(ARTICLES, settings, fake_encoder)

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("embed.index.bm25.BM25Index.save", explode)
    with pytest.raises(OSError, match="disk full"):
        bigger.save(settings.index_dir)
    assert len(Index.load(settings.index_dir).articles) == 4
    assert [p.name for p in settings.index_dir.parent.iterdir()] == ["index"]


def kill_during_save(settings: Settings) -> None:
    """Run a save in a child process and kill -9 it while it writes into its temp folder."""
    script = f"""
import sys, time
sys.path.insert(0, {str(REPO)!r}); sys.path.insert(0, {str(REPO / "tests")!r})
import embed.index.bm25
from conftest import FakeEncoder
from embed.config import Settings
from embed.index.index import build_index
from test_index import ARTICLES
def slow_save(self, folder):
    print("writing", flush=True)
    time.sleep(60)
embed.index.bm25.BM25Index.save = slow_save
build_index(ARTICLES, Settings(), FakeEncoder()).save({str(settings.index_dir)!r})
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert proc.stdout.readline().strip() == "writing"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def test_a_build_killed_mid_write_leaves_the_previous_index_intact(saved, settings):
    kill_during_save(settings)
    assert len(Index.load(settings.index_dir).articles) == 4


def test_an_interrupted_swap_is_undone_on_the_next_load(saved, settings):
    backup = settings.index_dir.parent / ".index.previous"
    os.rename(settings.index_dir, backup)  # the state between the two renames of a swap
    assert len(Index.load(settings.index_dir).articles) == 4
    assert not backup.exists()


def test_adding_articles_matches_a_full_rebuild(saved, settings, fake_encoder):
    updated, report = update_index(saved, ARTICLES, settings, fake_encoder)
    full = build_index(ARTICLES, settings, fake_encoder)
    assert report.added == ("page#4", "page#5") and report.unchanged == 4 and not report.changed
    assert updated.chunks == full.chunks
    np.testing.assert_allclose(updated.embeddings, full.embeddings, atol=1e-6)
    for query in ["沁泉湖公园建设", "四城联创投资", "疫情防控第3阶段"]:
        for mode in ("bm25", "dense", "hybrid"):
            assert _results(updated, fake_encoder, query, mode) == _results(full, fake_encoder, query, mode)


class CountingEncoder:
    def __init__(self, inner):
        self.inner, self.name, self.dim, self.passages = inner, inner.name, inner.dim, 0

    def encode_passages(self, texts):
        self.passages += len(texts)
        return self.inner.encode_passages(texts)

    def encode_queries(self, texts):
        return self.inner.encode_queries(texts)


def test_only_new_and_changed_articles_are_embedded(saved, settings, fake_encoder):
    counting = CountingEncoder(fake_encoder)
    edited = replace(ARTICLES[1], text=ARTICLES[1].text + "大沙河治理工程全面完工。")
    updated, report = update_index(saved, [ARTICLES[0], edited, ARTICLES[4]], settings, counting)
    assert report.changed == ("page#1",) and report.added == ("page#4",) and report.unchanged == 3
    new_chunks = [c for c in updated.chunks if c.article_id in ("page#1", "page#4")]
    assert counting.passages == len(new_chunks)
    assert updated.articles["page#1"].text.endswith("全面完工。")
    assert list(updated.articles) == ["page#0", "page#1", "page#2", "page#3", "page#4"]


def test_removing_an_article_drops_its_passages(saved, settings, fake_encoder):
    updated, report = update_index(saved, [], settings, fake_encoder, remove=["page#2"])
    assert report.removed == ("page#2",)
    assert "page#2" not in updated.articles
    assert all(c.article_id != "page#2" for c in updated.chunks)
    full = build_index([ARTICLES[0], ARTICLES[1], ARTICLES[3]], settings, fake_encoder)
    assert _results(updated, fake_encoder, "城中村改造") == _results(full, fake_encoder, "城中村改造")


def test_removing_an_unknown_article_is_an_error(saved, settings, fake_encoder):
    with pytest.raises(ArticleNotFoundError, match="page#99"):
        update_index(saved, [], settings, fake_encoder, remove=["page#99"])


def test_an_updated_index_saves_over_the_old_one_and_loads(saved, settings, fake_encoder):
    updated, _ = update_index(saved, ARTICLES, settings, fake_encoder)
    updated.save(settings.index_dir)
    assert len(Index.load(settings.index_dir).articles) == len(ARTICLES)


def test_large_collections_get_an_approximate_index(monkeypatch):
    monkeypatch.setattr("embed.index.index.FLAT_MAX", 100)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ann = make_ann(vectors)
    assert "HNSW" in type(ann).__name__ and ann.ntotal == 300
    _, rows = ann.search(vectors[:5], 1)
    assert rows[:, 0].tolist() == [0, 1, 2, 3, 4]


def test_duplicate_article_ids_keep_the_first(settings, fake_encoder):
    twin = replace(ARTICLES[0], text="另一篇文章。")
    index = build_index([ARTICLES[0], twin], settings, fake_encoder)
    assert index.articles["page#0"] == ARTICLES[0]


def test_the_user_dictionary_file_reaches_the_tokenizer(tmp_path, fake_encoder):
    words = tmp_path / "words.txt"
    words.write_text("有序推进工作\n", encoding="utf-8")
    index = build_index(ARTICLES[:1], Settings(index_dir=tmp_path / "i", user_dict=words), fake_encoder)
    assert "有序推进工作" in index.user_words


def test_save_is_quick_for_a_small_index(settings, fake_encoder):
    index = build_index(ARTICLES, settings, fake_encoder)
    start = time.perf_counter()
    index.save(settings.index_dir)
    Index.load(settings.index_dir)
    assert time.perf_counter() - start < 5


def test_building_from_no_articles_is_a_clear_error(settings, fake_encoder):
    with pytest.raises(BadInputError, match="no articles"):
        build_index([], settings, fake_encoder)


@pytest.mark.slow
def test_the_built_in_model_travels_with_the_index_and_serves_updates(tmp_path):
    from embed.index.index import load_encoder_for

    settings = Settings(index_dir=tmp_path / "index", chunk_max_chars=200, chunk_min_chars=60)
    index = build_index(ARTICLES[:4], settings)
    index.save(settings.index_dir)
    assert (settings.index_dir / "model").is_dir() and index.model == "builtin"
    loaded = Index.load(settings.index_dir, model="builtin")
    encoder = load_encoder_for(loaded)
    updated, report = update_index(loaded, ARTICLES, settings, encoder)
    updated.save(settings.index_dir)
    again = Index.load(settings.index_dir)
    assert report.added == ("page#4", "page#5") and len(again.articles) == len(ARTICLES)
    hits = Retriever(again, load_encoder_for(again)).search("疫情防控", k=3)
    assert hits[0].chunk.article_id == "page#5"
