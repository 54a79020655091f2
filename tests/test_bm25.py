from __future__ import annotations

import numpy as np

from embed.index.bm25 import BM25Index, load_background_df

DOCS = [
    ["沁泉湖", "公园", "开园"],
    ["大沙河", "治理", "生态"],
    ["公园", "绿化", "公园"],
    [],
]


def test_the_passage_with_the_rare_query_word_ranks_first():
    rows, scores = BM25Index.build(DOCS).top(["沁泉湖", "公园"], 3)
    assert rows[0] == 0
    assert list(scores) == sorted(scores, reverse=True)


def test_only_passages_with_a_positive_score_are_returned():
    rows, _ = BM25Index.build(DOCS).top(["治理"], 10)
    assert rows.tolist() == [1]


def test_words_outside_the_vocabulary_match_nothing():
    index = BM25Index.build(DOCS)
    rows, scores = index.top(["不存在"], 5)
    assert rows.size == 0 and scores.size == 0
    assert not index.scores(["不存在"]).any()


def test_rarer_words_have_a_higher_idf():
    index = BM25Index.build(DOCS)
    assert index.idf("沁泉湖") > index.idf("公园") > 0
    assert index.idf("从未出现") > index.idf("沁泉湖")
    assert index.doc_freq["公园"] == 2


def test_save_and_load_give_the_same_scores(tmp_path):
    index = BM25Index.build(DOCS)
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    query = ["公园", "生态"]
    np.testing.assert_array_equal(index.scores(query), loaded.scores(query))
    assert loaded.doc_freq == index.doc_freq and loaded.num_docs == 4


def test_the_background_corpus_lowers_a_common_word_that_is_rare_in_a_small_archive():
    # Both words occur in one passage of four; only the background knows that 工作 is everywhere in news.
    docs = [["沁泉湖", "开园"], ["工作", "部署"], ["大沙河", "治理"], ["绿化"]]
    index = BM25Index.build(docs)
    background = load_background_df()
    assert (
        background is not None and background.doc_freq["工作"] > 1000 and "沁泉湖" not in background.doc_freq
    )
    assert index.scores(["工作"], prior=0).max() == index.scores(["沁泉湖"], prior=0).max()
    assert index.scores(["工作"]).max() < 0.5 * index.scores(["沁泉湖"]).max()
    # Tokens keep their ranking order within the archive: only their weights change.
    assert index.scores(["工作"]).argmax() == 1


def test_a_loaded_index_scores_exactly_as_bm25s_without_importing_it(seeds_dir, tmp_path):
    import bm25s

    from embed.index.bm25 import SavedScores
    from embed.text.words import Tokenizer

    tokenizer = Tokenizer(["沁泉湖", "大沙河"])
    texts = [line for p in sorted(seeds_dir.glob("*.txt")) for line in p.read_text("utf-8").split("。")]
    built = BM25Index.build(tokenizer.tokenize_for_search(t) for t in texts)
    built.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25", mmap=True)
    reference = bm25s.BM25.load(str(tmp_path / "bm25"), verbosity=0)
    assert isinstance(loaded._model, SavedScores)
    for query in [*texts[::7], "沁泉湖公园什么时候开园？", "不存在的词"]:
        tokens = tokenizer.tokenize_for_search(query)
        ids = loaded._model.get_tokens_ids(tokens)
        assert ids == reference.get_tokens_ids(tokens)
        if ids:
            assert np.array_equal(loaded._model.get_scores(ids), reference.get_scores(ids))
        assert np.array_equal(loaded.scores(tokens), built.scores(tokens))
    loaded.save(tmp_path / "again")
    for name in ("data.csc.index.npy", "vocab.index.json", "params.index.json"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "bm25" / name).read_bytes()


def test_a_mapped_index_stays_mapped_but_slices_as_plain_arrays(tmp_path):
    # Mapped: a query reads only its tokens' columns. Plain ndarrays: np.memmap's Python hooks ran on every
    # slice a query takes, and cost more under load than the scoring (benchmarks/load.py, /api/ask).
    from embed.index.bm25 import SavedScores

    BM25Index.build(DOCS).save(tmp_path)
    loaded = BM25Index.load(tmp_path, mmap=True)
    assert isinstance(loaded._model, SavedScores)
    for name in ("data", "indices", "indptr"):
        array = loaded._model.scores[name]
        assert type(array) is np.ndarray
        assert isinstance(array.base, np.memmap)
    assert loaded.top(["沁泉湖", "公园"], 3)[0][0] == 0
