"""policyqa as the system under test of ../shared/bench/peers_retrieval.py (its --sut-cmd protocol).

    .venv/bin/python ../shared/bench/peers_retrieval.py --sizes real --peers '' \
        --sut-cmd '.venv/bin/python benchmarks/peers_sut.py {corpus}' --sut-name policyqa

Each harness chunk becomes one article (its passages are the chunk itself: chunks are at most 300
characters), indexed with the built-in model; answers are hybrid searches, ids best first.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main(corpus: str, mode: str = "hybrid") -> None:
    from embed.config import Settings
    from embed.datamodels import Article
    from embed.errors import EmptyQueryError
    from embed.index.index import build_index, load_encoder_for
    from embed.search.retrieve import Retriever

    logging.getLogger("jieba").setLevel(logging.WARNING)
    with open(corpus, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    articles = [Article(str(r["id"]), "", r["text"], str(r.get("doc_id", ""))) for r in rows]
    index = build_index(articles, Settings())
    retriever = Retriever(index, load_encoder_for(index))
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        query = json.loads(line)
        try:
            hits = retriever.search(query["question"], k=int(query.get("k", 10)), mode=mode)
        except EmptyQueryError:
            hits = []
        print(json.dumps({"qid": query["qid"], "ids": [h.chunk.article_id for h in hits]}), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
