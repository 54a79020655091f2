"""A corpus of any size for the speed benchmarks: CMRC passages and CRUD-RAG news, scaled by clause shuffles.

Copy 0 is the real articles unchanged; copy r >= 1 of article i cuts it into clauses after ，、；：。！？
(closing quotes stay), shuffles them with random.Random(f"{r}:{i}") and appends the tag 〔r-i〕, so no copy
repeats another (the same scheme as ../shared/bench/peers_retrieval.py). Articles are added until their
passages reach the size asked for.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from embed.datamodels import Article
from embed.text.chunk import ChunkSettings, chunk_article

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
CLAUSE = re.compile(r"[^，、；：。！？\n]*(?:[，、；：。！？]+[”’」』）)》]*|$)")


def real_articles() -> list[Article]:
    """CMRC passages and CRUD-RAG news articles as Articles."""
    out = []
    for path in (
        EVAL / "cmrc2018_retrieval" / "corpus.jsonl",
        EVAL / "crud_rag_event_summary" / "docs.jsonl",
    ):
        with open(path, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                out.append(Article(str(row["id"]), row.get("title") or "", row["text"], path.parent.name))
    return out


def shuffled_copy(article: Article, r: int, i: int) -> Article:
    clauses = [c for c in CLAUSE.findall(article.text) if c]
    random.Random(f"{r}:{i}").shuffle(clauses)
    text = "".join(clauses) + f"〔{r}-{i}〕"
    return Article(f"{article.article_id}~{r}", article.title, text, article.source, article.date)


def scaled_articles(n_passages: int, rules: ChunkSettings | None = None) -> list[Article]:
    """Articles whose passages number at least `n_passages` (the last article may overshoot a little)."""
    rules = rules or ChunkSettings()
    base = real_articles()
    out: list[Article] = []
    total, r = 0, 0
    while total < n_passages:
        for i, article in enumerate(base):
            art = article if r == 0 else shuffled_copy(article, r, i)
            out.append(art)
            total += len(chunk_article(art, rules, 0))
            if total >= n_passages:
                break
        r += 1
    return out


def questions(n: int, seed: int = 2018) -> list[str]:
    """`n` CMRC questions, sampled reproducibly."""
    with open(EVAL / "cmrc2018_retrieval" / "queries.jsonl", encoding="utf-8") as f:
        rows = [json.loads(line)["question"] for line in f]
    return random.Random(seed).sample(rows, n)
