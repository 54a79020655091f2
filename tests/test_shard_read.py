from __future__ import annotations

import codecs
import json
import random
from pathlib import Path

import pytest

from embed.ingest.ingest import read_corpus
from embed.ingest.shards import merge_shards, plan_shards, read_shard
from embed.text.chunk import ChunkSettings, chunk_article

DATA = Path(__file__).resolve().parent / "data"
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
PAGE = "示范区召开植树动员会\n\n本报讯（记者李明）3月12日，示范区召开植树动员会，部署全年绿化任务。\n"


def _line(i: int, text: str | None = None, **extra) -> str:
    record = {
        "id": f"n-{i}",
        "text": text or f"本报讯（记者{i}号）{i}月1日，示范区第{i}号项目开工，投资{i}亿元。",
        **extra,
    }
    return json.dumps(record, ensure_ascii=False) + "\n"


@pytest.fixture(scope="module")
def awkward(tmp_path_factory) -> Path:
    """Everything that crosses files: repeated ids across JSONL files, a BOM, bad and blank lines,
    reprints, a page stem freed by an unreadable page, an unsupported file between readable ones."""
    root = tmp_path_factory.mktemp("awkward")
    (root / "a").mkdir()
    (root / "b").mkdir()
    first = codecs.BOM_UTF8 + "".join(_line(i) for i in range(40)).encode()
    first += b"\n{not json\n" + _line(3, "重复的编号。").encode() + b'["x"]\n'
    (root / "a" / "one.jsonl").write_bytes(first)
    second = "".join(_line(i) for i in range(35, 80)) + "\n\n" + _line(200, _line(5)[20:60])
    (root / "b" / "two.jsonl").write_text(
        second + _line(201, "7月1日晚，示范区夜市开市。市民纷纷前来。"), "utf-8"
    )
    (root / "a" / "page.txt").write_bytes(b"\x00\x01binary")  # unreadable: must not claim the stem "page"
    (root / "b" / "page.txt").write_text(PAGE, "utf-8")
    (root / "b" / "notes.pdf").write_bytes(b"%PDF-1.4")
    (root / "c.jsonl").write_bytes(b"")
    (root / "d").mkdir()
    (root / "d" / "reprint.txt").write_text(PAGE, "utf-8")  # read after b/page.txt, so dropped
    return root


@pytest.mark.parametrize("shard_bytes", [64, 700, 1 << 22])
def test_sharded_reading_equals_read_corpus_on_awkward_input(awkward, shard_bytes):
    paths = [awkward, DATA / "ingest", awkward / "missing.txt"]
    plan = plan_shards(paths, shard_bytes)
    results = [read_shard(s) for s in plan.shards]
    random.Random(7).shuffle(results)  # tasks finish in any order
    assert merge_shards(plan, results).corpus == read_corpus(paths)
    if shard_bytes == 64:
        assert sum(s.jsonl for s in plan.shards) > 10


def test_the_awkward_input_does_exercise_the_cross_file_rules(awkward):
    corpus = read_corpus([awkward])
    reasons = [s.reason for s in corpus.skipped]
    assert any(r.startswith("duplicate id 'n-35'") for r in reasons)
    assert corpus.duplicates_dropped >= 1
    page = next(a for a in corpus.articles if a.source.endswith("b/page.txt"))
    assert page.article_id == "page#1"  # the unreadable a/page.txt left the plain stem free


def test_shards_carry_each_kept_articles_passages(awkward):
    rules = ChunkSettings(max_chars=120, min_chars=40, overlap_chars=20)
    plan = plan_shards([SEEDS, awkward], 300)
    sharded = merge_shards(plan, [read_shard(s, rules) for s in plan.shards], rules)
    assert sharded.corpus == read_corpus([SEEDS, awkward])
    assert set(sharded.chunks) == {a.article_id for a in sharded.corpus.articles}
    for article in sharded.corpus.articles:
        assert list(sharded.chunks[article.article_id]) == chunk_article(article, rules, 0)


def test_jsonl_shards_cover_the_file_at_line_starts(awkward):
    path = awkward / "b" / "two.jsonl"
    data = path.read_bytes()
    shards = list(plan_shards([path], 100).shards)
    assert shards[0].start == 0 and shards[-1].end == len(data)
    for before, after in zip(shards, shards[1:], strict=False):
        assert before.end == after.start and data[after.start - 1 : after.start] == b"\n"
