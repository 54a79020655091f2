"""The Milvus backend (milvus-lite file) against the embedded folder index: same passages, scores, answers."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="the Milvus extra is not installed (pip install 'policyqa[milvus]')")
pytest.importorskip("milvus_lite", reason="milvus-lite is not installed (pip install 'policyqa[milvus]')")

from embed.archive import Archive  # noqa: E402
from embed.backend import parse_backend  # noqa: E402
from embed.config import Settings  # noqa: E402
from embed.index.index import build_index  # noqa: E402
from embed.ingest.ingest import read_corpus  # noqa: E402
from embed.milvus.search import MilvusIndex, MilvusRetriever  # noqa: E402
from embed.milvus.store import write_index  # noqa: E402
from embed.search.retrieve import Retriever  # noqa: E402

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
QUESTIONS = [
    "沁泉湖公园什么时候开园？",
    "大沙河生态治理",
    "示范区固定资产投资增长了多少？",
    "城中村改造",
    "夜市 开市 时间",
]


def _same_hits(embedded, milvus):
    assert [h.chunk for h in milvus] == [h.chunk for h in embedded]
    for a, b in zip(embedded, milvus, strict=True):
        assert b.score == pytest.approx(a.score, rel=1e-4, abs=1e-5)
        for name in ("dense_score", "bm25_score"):
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None) == (y is None) and (x is None or y == pytest.approx(x, rel=1e-4, abs=1e-5))
        assert b.highlights == a.highlights


def _same_answer(embedded, milvus):
    """Scores differ in float32 rounding only (Milvus sums BM25 weights in another order)."""
    assert (milvus.text, milvus.sentences, milvus.found) == (
        embedded.text,
        embedded.sentences,
        embedded.found,
    )
    assert milvus.confidence == pytest.approx(embedded.confidence, abs=1e-4)
    _same_hits(embedded.hits, milvus.hits)


@pytest.fixture(scope="module")
def pair(tmp_path_factory, request):
    fake = request.getfixturevalue("fake_encoder")
    index = build_index(read_corpus([SEEDS]).articles, Settings(), encoder=fake)
    location = parse_backend(f"milvus://{tmp_path_factory.mktemp('milvus')}/seeds.db/seeds")
    write_index(index, location)
    return Retriever(index, fake), MilvusRetriever(MilvusIndex.open(location), fake), index


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_milvus_search_equals_the_embedded_search(pair, mode):
    embedded, milvus, _ = pair
    for question in QUESTIONS:
        _same_hits(embedded.search(question, k=8, mode=mode), milvus.search(question, k=8, mode=mode))


def test_milvus_answers_equal_the_embedded_answers(pair):
    embedded, milvus, _ = pair
    one, other = Archive(embedded, Settings()), Archive(milvus, Settings())
    for question in QUESTIONS:
        _same_answer(one.ask(question), other.ask(question))


def test_the_milvus_index_serves_what_the_service_reads(pair):
    _, milvus, index = pair
    served = milvus.index
    assert served.articles == index.articles and len(served.chunks) == len(index.chunks)
    assert served.chunks[len(index.chunks) - 1] == index.chunks[-1]
    assert served.doc_freq == index.doc_freq and served.bm25.num_docs == index.bm25.num_docs
    assert served.tokenizer.tokenize_for_search("沁泉湖公园") == index.tokenizer.tokenize_for_search(
        "沁泉湖公园"
    )


def test_the_service_answers_and_shows_articles_from_milvus(pair):
    embedded, milvus, index = pair
    service, reference = Archive(milvus, Settings()), Archive(embedded, Settings())
    service.warm_up()
    assert service.counts() == reference.counts() == (len(index.articles), len(index.chunks))
    article_id = next(iter(index.articles))
    assert service.article(article_id) == reference.article(article_id)
    _same_answer(reference.ask(QUESTIONS[0], 5), service.ask(QUESTIONS[0], 5))


def test_a_missing_collection_says_how_to_build_it(tmp_path):
    from embed.errors import IndexNotFoundError

    with pytest.raises(IndexNotFoundError, match="policyqa index --backend"):
        MilvusIndex.open(parse_backend(f"milvus://{tmp_path}/none.db/nothing"))


@pytest.mark.slow
def test_seed_dev_questions_get_the_same_passages_and_answers_from_milvus(tmp_path, shared_eval):
    """The built-in model, fitted once; the index saved to a folder and written to milvus-lite."""
    questions = [json.loads(line)["question"] for line in (shared_eval / "seeds_qa" / "dev.jsonl").open()]
    folder = Settings(index_dir=tmp_path / "idx")
    milvus = replace(folder, backend=f"milvus://{tmp_path}/qa.db/seeds")
    index = build_index(read_corpus([SEEDS]).articles, folder)
    index.save(folder.index_dir)
    write_index(index, parse_backend(milvus.backend))
    embedded, served = Archive.open(folder), Archive.open(milvus)
    assert isinstance(served.retriever, MilvusRetriever)
    for question in questions:
        _same_hits(embedded.search(question, k=5), served.search(question, k=5))
        _same_answer(embedded.ask(question), served.ask(question))
