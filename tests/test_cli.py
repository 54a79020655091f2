"""The `policyqa` command line end to end on the seed pages, with the built-in model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from embed.__main__ import main

PASSAGE_KEYS = {"id", "text", "score", "article_id", "title", "source", "date", "highlights"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "index"
    assert main(["index", str(seeds_dir), "--index-dir", str(folder)]) == 0
    return folder


def test_help_is_instant_because_heavy_libraries_load_lazily() -> None:
    code = "import sys, embed.__main__; print([m for m in ('torch', 'faiss', 'jieba') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_index_reports_the_articles_and_chunks_it_built(index_dir: Path) -> None:
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["articles"] >= 24
    assert manifest["counts"]["chunks"] >= manifest["counts"]["articles"]


def test_search_prints_one_contract_passage_per_line(capsys, index_dir: Path) -> None:
    code, out, _ = run(
        capsys, "search", "沁泉湖公园", "--top-k", "3", "--json", "--index-dir", str(index_dir)
    )
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 3
    assert all(PASSAGE_KEYS <= set(p) for p in lines)
    assert "沁泉湖" in lines[0]["text"] or "沁泉湖" in lines[0]["title"]


def test_ask_answers_with_sentences_copied_from_the_cited_passages(capsys, index_dir: Path) -> None:
    code, out, _ = run(capsys, "ask", "沁泉湖公园什么时候开园？", "--json", "--index-dir", str(index_dir))
    result = json.loads(out)
    assert code == 0 and result["sentences"]
    for sentence in result["sentences"]:
        assert sentence["text"] in result["passages"][sentence["passage"]]["text"]
    assert result["answer"] == "".join(s["text"] for s in result["sentences"])


def test_asking_without_an_index_exits_2_and_names_the_fix(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "ask", "沁泉湖公园什么时候开园？", "--index-dir", str(tmp_path / "none"))
    assert code == 2
    assert "policyqa index" in err


def test_indexing_a_folder_without_articles_fails_and_keeps_nothing(capsys, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(capsys, "index", str(empty), "--index-dir", str(tmp_path / "index"))
    assert code == 2 and "no articles" in err
    assert not (tmp_path / "index").exists()


def test_eval_qa_reports_all_three_modes_in_one_run(capsys, index_dir: Path, shared_eval: Path) -> None:
    qa = shared_eval / "seeds_qa" / "dev.jsonl"
    code, out, _ = run(capsys, "eval", "--qa", str(qa), "--json", "--index-dir", str(index_dir))
    result = json.loads(out)
    assert code == 0
    assert {"n", "recall@1", "recall@5", "mrr@10", "answer_hit"} <= set(result)
    assert set(result["modes"]) == {"bm25", "dense", "hybrid"}
    assert 0.0 <= result["recall@1"] <= result["recall@5"] <= 1.0


def test_summarize_writes_one_record_per_article(capsys, tmp_path: Path, seeds_dir: Path) -> None:
    out_file = tmp_path / "summaries.jsonl"
    code, _, _ = run(capsys, "summarize", str(seeds_dir), "-o", str(out_file), "--max-chars", "120")
    records = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    assert code == 0 and len(records) >= 24
    for record in records:
        assert {"id", "title", "source", "date", "summary", "keywords", "chars"} <= set(record)
        assert record["summary"]


def test_index_add_and_remove_update_an_index_in_place(capsys, tmp_path: Path, seeds_dir: Path) -> None:
    folder = tmp_path / "index"
    first = sorted(seeds_dir.glob("*.txt"))[:2]
    assert main(["index", *map(str, first), "--index-dir", str(folder)]) == 0
    built = json.loads(capsys.readouterr().out)

    extra = tmp_path / "extra.jsonl"
    text = "大沙河生态治理二期工程今年十月开工。工程投资三亿元。"
    record = {"id": "extra-1", "title": "新增文章", "text": text}
    extra.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "index", "--add", str(extra), "--index-dir", str(folder))
    added = json.loads(out)
    assert code == 0 and added["added"] == ["extra-1"] and added["articles"] == built["articles"] + 1

    args = ("search", "大沙河生态治理二期", "--json", "--top-k", "1", "--index-dir", str(folder))
    code, out, _ = run(capsys, *args)
    assert code == 0 and json.loads(out.splitlines()[0])["article_id"] == "extra-1"

    code, out, _ = run(capsys, "index", "--remove", "extra-1", "--index-dir", str(folder))
    assert code == 0 and json.loads(out)["articles"] == built["articles"]
    code, _, err = run(capsys, "index", "--remove", "no-such-id", "--index-dir", str(folder))
    assert code == 2 and "no-such-id" in err


@pytest.mark.parametrize(
    "argv",
    [
        ("eval", "--summaries", "{bad}"),
        ("eval", "--summaries", "{missing}"),
        ("index", "--add", "{missing}", "--index-dir", "{tmp}"),
    ],
)
def test_bad_input_files_exit_2_with_one_line_and_no_traceback(capsys, tmp_path: Path, argv) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    names = {"bad": str(bad), "missing": str(tmp_path / "missing.jsonl"), "tmp": str(tmp_path / "idx")}
    code, _, err = run(capsys, *(a.format(**names) for a in argv))
    assert code == 2
    assert err.startswith("policyqa: error:") and "Traceback" not in err


def test_serve_on_a_busy_port_says_which_port_and_builds_nothing(tmp_path, capsys):
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        code = main(["serve", "--port", str(port), "--index-dir", str(tmp_path / "index")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"port {port} on 127.0.0.1 is already in use" in err and "--port" in err
    assert not (tmp_path / "index").exists()  # refused before any build


def test_import_embed_is_light_and_exposes_the_archive_lazily():
    code = (
        "import sys, embed\n"
        "assert not {'faiss', 'torch', 'jieba'} & set(sys.modules), sorted(sys.modules)\n"
        "from embed.archive import Archive\n"
        "assert embed.Archive is Archive and 'Archive' in embed.__all__\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


def test_bad_input_is_one_line_but_a_bug_keeps_its_traceback(monkeypatch, capsys, tmp_path):
    import embed.__main__ as cli
    from embed.errors import BadInputError

    def bad_input(args):
        raise BadInputError("questions.jsonl:3: expected {qid, question, answers}")

    def bug(args):
        raise ValueError("an internal invariant broke")

    monkeypatch.setattr(cli, "cmd_search", bad_input)
    parser_args = ["search", "沁泉湖", "--index-dir", str(tmp_path)]
    assert main(parser_args) == 2
    assert capsys.readouterr().err.strip() == (
        "policyqa: error: questions.jsonl:3: expected {qid, question, answers}"
    )
    monkeypatch.setattr(cli, "cmd_search", bug)
    with pytest.raises(ValueError, match="internal invariant"):
        main(parser_args)
