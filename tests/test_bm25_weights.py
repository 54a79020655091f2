from __future__ import annotations

from collections import Counter

import numpy as np

from embed.index.bm25 import BM25Index

PASSAGES = [["沁泉湖", "公园", "开园"], ["公园", "建设", "启动", "公园"], [], ["城中村", "改造", "公园"]]


def test_summing_a_passages_weights_over_the_query_tokens_gives_its_bm25_score():
    index = BM25Index.build(PASSAGES)
    weights = index.passage_weights()
    assert len(weights) == len(PASSAGES) and weights[2] == {}
    for query in (["公园"], ["公园", "公园", "开园"], ["改造", "沁泉湖", "没有的词"]):
        ids = Counter(index.vocab[t] for t in query if t in index.vocab)
        summed = [sum(count * w.get(t, 0.0) for t, count in ids.items()) for w in weights]
        np.testing.assert_allclose(summed, index.scores(query, prior=0), rtol=1e-6)  # the archive's own IDF
