from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import embed.batch.batch as batch
from embed.batch.batch import content_hash, summarize_corpus
from embed.batch.formats import read_records
from embed.errors import BadInputError
from embed.text.sentences import split_sentences

ARTICLES = [
    {
        "id": f"a{i}",
        "title": f"标题{i}",
        "date": "2019年8月18日",
        "text": f"示范区第{i}次召开工作会议，部署下一阶段重点工作。会议要求各部门提高站位、压实责任。"
        f"会议强调，要抓好项目建设，确保全年目标任务圆满完成。据介绍，今年已开工项目{i + 10}个。",
    }
    for i in range(6)
]


@pytest.fixture()
def corpus(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in ARTICLES), encoding="utf-8")
    return path


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_article_becomes_one_record_with_the_contract_fields(corpus, tmp_path):
    out = tmp_path / "out.jsonl"
    report = summarize_corpus([corpus], out, "jsonl", max_chars=40, progress=False)
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == [a["id"] for a in ARTICLES]
    assert report.articles == report.summarized == 6
    for row, article in zip(rows, ARTICLES, strict=True):
        assert {"id", "title", "source", "date", "summary", "keywords", "chars"} <= row.keys()
        sentences = split_sentences(row["summary"])
        assert sentences and all(s.text in article["text"] for s in sentences)
        assert 1 <= len(row["keywords"]) <= 10
        assert row["chars"] == len(article["text"])


def test_records_already_in_out_are_reused_unless_forced(corpus, tmp_path, monkeypatch):
    out = tmp_path / "out.jsonl"
    summarize_corpus([corpus], out, "jsonl", max_chars=40, progress=False)
    calls = []
    real = batch.summarize_article
    monkeypatch.setattr(batch, "summarize_article", lambda a, m: calls.append(a) or real(a, m))
    report = summarize_corpus([corpus], out, "jsonl", max_chars=40, progress=False)
    assert calls == [] and report.reused == 6 and report.summarized == 0
    report = summarize_corpus([corpus], out, "jsonl", max_chars=40, force=True, progress=False)
    assert len(calls) == 6 and report.summarized == 6


def test_a_new_budget_means_new_summaries(corpus, tmp_path):
    out = tmp_path / "out.jsonl"
    summarize_corpus([corpus], out, "jsonl", max_chars=40, progress=False)
    report = summarize_corpus([corpus], out, "jsonl", max_chars=200, progress=False)
    assert report.summarized == 6
    assert content_hash("x", 40) != content_hash("x", 200)


def test_ctrl_c_leaves_a_complete_file_that_a_rerun_resumes(corpus, tmp_path, monkeypatch):
    out = tmp_path / "out.jsonl"
    real = batch.summarize_article
    seen = []

    def interrupt_on_third(article, max_chars):
        seen.append(article.article_id)
        if len(seen) == 3:
            raise KeyboardInterrupt
        return real(article, max_chars)

    monkeypatch.setattr(batch, "summarize_article", interrupt_on_third)
    with pytest.raises(KeyboardInterrupt):
        summarize_corpus([corpus], out, "jsonl", max_chars=40, progress=False)
    assert [r["id"] for r in read_jsonl(out)] == ["a0", "a1"]
    assert not list(tmp_path.glob(".out.jsonl.*"))  # no temporary file left behind
    monkeypatch.setattr(batch, "summarize_article", real)
    report = summarize_corpus([corpus], out, "jsonl", max_chars=40, progress=False)
    assert report.reused == 2 and report.summarized == 4
    assert [r["id"] for r in read_jsonl(out)] == [a["id"] for a in ARTICLES]


def test_a_bad_file_is_reported_and_the_rest_is_summarized(corpus, tmp_path):
    bad = tmp_path / "broken.jsonl"
    bad.write_bytes(b"\x00\x01\x02 not json\n")
    out = tmp_path / "out.jsonl"
    report = summarize_corpus([corpus, bad], out, progress=False)
    assert report.summarized == 6
    assert any("broken.jsonl" in skip.path for skip in report.skipped)


def test_markdown_has_a_heading_per_article_and_can_be_resumed(corpus, tmp_path):
    out = tmp_path / "out.md"
    summarize_corpus([corpus], out, max_chars=40, progress=False)
    text = out.read_text(encoding="utf-8")
    assert text.count("\n## ") == 6 and "## 标题0" in text
    assert len(read_records(out, "md")) == 6
    assert summarize_corpus([corpus], out, max_chars=40, progress=False).reused == 6


def test_csv_round_trips_keywords_and_dates(corpus, tmp_path):
    out = tmp_path / "out.csv"
    summarize_corpus([corpus], out, max_chars=40, progress=False)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 6 and rows[0]["id"] == "a0"
    records = read_records(out, "csv")
    assert records[0].keywords == tuple(rows[0]["keywords"].split())


def test_parallel_workers_give_the_same_records_as_one(tmp_path):
    path = tmp_path / "many.jsonl"
    many = [dict(a, id=f"m{i}", text=a["text"] + f"第{i}篇。") for i in range(40) for a in ARTICLES[:1]]
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in many), encoding="utf-8")
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    summarize_corpus([path], one, max_chars=40, workers=1, progress=False)
    summarize_corpus([path], two, max_chars=40, workers=2, progress=False)
    assert one.read_text(encoding="utf-8") == two.read_text(encoding="utf-8")


def test_an_unrelated_existing_out_file_is_not_overwritten(corpus, tmp_path):
    out = tmp_path / "notes.jsonl"
    out.write_text("my own notes, not JSON\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="not a jsonl summaries file"):
        summarize_corpus([corpus], out, progress=False)
    assert out.read_text(encoding="utf-8") == "my own notes, not JSON\n"


def test_bad_arguments_are_rejected(corpus, tmp_path):
    with pytest.raises(BadInputError, match="format"):
        summarize_corpus([corpus], tmp_path / "o", "xml", progress=False)
    with pytest.raises(BadInputError, match="max_chars"):
        summarize_corpus([corpus], tmp_path / "o", max_chars=0, progress=False)
    with pytest.raises(BadInputError, match="workers"):
        summarize_corpus([corpus], tmp_path / "o", workers=0, progress=False)


def test_without_out_the_records_go_to_stdout_as_json_lines(corpus):
    import io

    stream = io.StringIO()
    report = summarize_corpus([corpus], None, max_chars=40, progress=False, stdout=stream)
    rows = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["id"] for r in rows] == [a["id"] for a in ARTICLES]
    assert report.out is None and report.to_dict()["articles"] == 6


def test_when_stderr_is_not_a_terminal_progress_is_plain_lines_with_rate_and_eta(corpus, tmp_path, capsys):
    summarize_corpus([corpus], tmp_path / "out.jsonl", max_chars=40, workers=1)
    err = capsys.readouterr().err
    assert "summarized 6/6 articles" in err and "/s, ETA" in err


def test_the_report_is_json_ready(corpus, tmp_path):
    report = summarize_corpus([corpus], tmp_path / "out.jsonl", max_chars=40, progress=False)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["summarized"] == 6 and data["out"].endswith("out.jsonl") and data["articles_per_s"] > 0


def test_batch_keywords_keep_the_corpus_terms_whole(tmp_path):
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    out = tmp_path / "seeds.jsonl"
    summarize_corpus([seeds], out, workers=1, progress=False)
    records = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert "四城联创" in records["000_ad2b75026808bc19#1"]["keywords"]
    assert "沁泉湖公园" in records["000_ad2b75026808bc19#4"]["keywords"]


def test_an_articles_keywords_and_summary_are_the_same_from_batch_and_api(seeds_dir, tmp_path, fake_encoder):
    from embed.archive import Archive
    from embed.config import Settings
    from embed.index.index import build_index
    from embed.ingest.ingest import read_corpus
    from embed.search.retrieve import Retriever

    settings = Settings(index_dir=tmp_path / "index")
    index = build_index(read_corpus([seeds_dir]).articles, settings, fake_encoder)
    service = Archive(Retriever(index, fake_encoder), settings)
    out = tmp_path / "out.jsonl"
    summarize_corpus([seeds_dir], out, "jsonl", max_chars=settings.summary_max_chars, progress=False)
    rows = read_jsonl(out)
    assert len(rows) >= 30
    for row in rows[:30]:
        _, summary = service.article(row["id"])
        assert row["keywords"] == list(summary.keywords), row["id"]
        assert row["summary"] == summary.text, row["id"]


def test_a_raw_page_is_cleaned_before_its_articles_are_summarized(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text(
        "获取更多精彩资讯，\n请扫码关注“示范区\n头条”微信公众号\n编辑:陈彬\n版式:汪洋校对:张雪晖\n\n"
        "沁泉湖公园正式开园迎客\n\n本报讯(记者郭树勋)5月1日上午,沁泉湖公园正式开园迎客。"
        "公园总面积约296亩,其中水域面积120亩。\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    summarize_corpus([page], out, "jsonl", max_chars=2000, progress=False)
    (row,) = read_jsonl(out)
    assert row["title"] == "沁泉湖公园正式开园迎客"
    assert row["summary"].startswith("5月1日上午,沁泉湖公园正式开园迎客")  # no headline, no dateline
    assert not any(noise in row["summary"] for noise in ("扫码", "版式", "校对", "编辑"))


def test_an_out_suffix_that_names_no_format_is_refused_not_guessed(corpus, tmp_path):
    with pytest.raises(BadInputError, match=r"out\.txt.*\.jsonl, \.md, \.markdown, \.csv"):
        summarize_corpus([corpus], out=tmp_path / "out.txt")
    assert not (tmp_path / "out.txt").exists()
    report = summarize_corpus([corpus], out=tmp_path / "out.txt", fmt="csv")  # an explicit format wins
    assert report.articles and (tmp_path / "out.txt").read_text(encoding="utf-8").startswith("id,")


def test_the_summaries_file_gets_the_usual_permissions(corpus, tmp_path):
    import os

    old = os.umask(0o022)
    try:
        summarize_corpus([corpus], out=tmp_path / "out.jsonl")
    finally:
        os.umask(old)
    assert (tmp_path / "out.jsonl").stat().st_mode & 0o777 == 0o644


def test_summaries_reuse_the_tokenizer_that_learned_the_idf_and_a_pickle_leaves_it_behind(monkeypatch):
    import pickle

    from embed.datamodels import Article

    articles = [Article(a["id"], a["title"], a["text"], "news.jsonl") for a in ARTICLES]
    vocabulary = batch.CorpusVocabulary.of(articles)
    assert vocabulary.tokenizer is not None and vocabulary.tokenizer.user_words == vocabulary.user_words
    monkeypatch.setattr(batch, "_VOCABULARY", None)
    batch.use_vocabulary(vocabulary)
    assert batch._VOCABULARY is not None and batch._VOCABULARY[0] is vocabulary.tokenizer
    # Ray and spawned workers get the words and IDF only; they make an equal tokenizer from them.
    travelled = pickle.loads(pickle.dumps(vocabulary))
    assert travelled == vocabulary and travelled.tokenizer is None
    assert travelled.make_tokenizer().user_words == vocabulary.user_words
