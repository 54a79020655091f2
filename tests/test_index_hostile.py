"""Faults and leftovers around the index folder (issue 13): kills, stray files, full disks, bad records."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_index import ARTICLES, kill_during_save

import embed.index.store
import embed.model.builtin
import embed.model.encoder
from embed.__main__ import main
from embed.config import Settings
from embed.errors import IndexCorruptError, IndexWriteError
from embed.index.index import Index, build_index
from embed.pipeline import ensure_index

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", chunk_max_chars=200, chunk_min_chars=60)


@pytest.fixture()
def saved(settings: Settings, fake_encoder) -> Index:
    index = build_index(ARTICLES[:4], settings, fake_encoder)
    index.save(settings.index_dir)
    return index


def _leftovers(settings: Settings) -> list[str]:
    return sorted(p.name for p in settings.index_dir.parent.iterdir() if p.name != "index")


def test_the_next_build_removes_the_temp_folder_of_a_killed_one(saved, settings, fake_encoder) -> None:
    kill_during_save(settings)
    assert [name.startswith(".index.tmp-") for name in _leftovers(settings)] == [True]
    build_index(ARTICLES, settings, fake_encoder).save(settings.index_dir)
    assert _leftovers(settings) == []
    assert len(Index.load(settings.index_dir).articles) == len(ARTICLES)


def test_only_temp_folders_of_dead_processes_are_removed(saved, settings, fake_encoder) -> None:
    parent = settings.index_dir.parent
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    for name in (f".index.tmp-{int(dead.stdout)}-model-x1", ".index.tmp-abc", f".index.tmp-{os.getppid()}-y"):
        (parent / name).mkdir()
    (parent / ".other.tmp-1-z").mkdir()  # another index's: not ours to judge
    build_index(ARTICLES, settings, fake_encoder).save(settings.index_dir)
    assert _leftovers(settings) == sorted([f".index.tmp-{os.getppid()}-y", ".other.tmp-1-z"])


def test_the_built_in_model_is_fitted_beside_the_index_and_removed_after_the_save(
    settings, fake_encoder, monkeypatch
) -> None:
    fitted: list[Path] = []

    def fake_training(texts, out_dir, seed=13, user_words=()):
        fitted.append(out_dir)
        (out_dir / "weights.bin").write_bytes(b"w")
        return out_dir

    monkeypatch.setattr(embed.model.builtin, "train_builtin_model", fake_training)
    monkeypatch.setattr(embed.model.encoder, "load_encoder", lambda name, folder: fake_encoder)
    index = build_index(ARTICLES, settings)
    assert fitted[0].parent == settings.index_dir.parent.resolve()
    assert fitted[0].name.startswith(f".index.tmp-{os.getpid()}-model-")
    index.save(settings.index_dir)
    assert (settings.index_dir / "model" / "weights.bin").is_file()
    assert not fitted[0].exists() and _leftovers(settings) == []


def test_a_stray_previous_file_does_not_make_builds_fail(settings, fake_encoder) -> None:
    settings.index_dir.parent.mkdir(parents=True, exist_ok=True)
    stray = settings.index_dir.parent / ".index.previous"
    for _ in range(2):  # the first build creates the folder, the second swaps one out
        stray.write_text("not a backup", encoding="utf-8")
        build_index(ARTICLES, settings, fake_encoder).save(settings.index_dir)
        assert len(Index.load(settings.index_dir).articles) == len(ARTICLES)
        assert _leftovers(settings) == []


def test_an_index_dir_that_is_a_file_is_refused_and_left_alone(settings, fake_encoder) -> None:
    settings.index_dir.parent.mkdir(parents=True, exist_ok=True)
    settings.index_dir.write_text("my notes", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="is a file, not an index folder"):
        Index.load(settings.index_dir)
    with pytest.raises(IndexCorruptError, match="is a file, not an index folder"):
        ensure_index(settings)  # serve: no rebuild over the user's file
    with pytest.raises(IndexCorruptError, match="is a file, not an index folder"):
        build_index(ARTICLES, settings, fake_encoder).save(settings.index_dir)
    assert settings.index_dir.read_text(encoding="utf-8") == "my notes"
    assert _leftovers(settings) == []


def _disk_full(*args, **kwargs):
    # What faiss raises when its write fails: a RuntimeError carrying the C++ location and the OS reason.
    raise RuntimeError(
        "Error in void faiss::write_index(const Index*, IOWriter*) at /project/faiss/impl/index_write.cpp:"
        "580: Error: 'ret == (1)' failed: write error in faiss.index: 0 != 1 (No space left on device)"
    )


def test_a_full_disk_during_the_write_keeps_the_old_index_and_says_what_to_do(
    saved, settings, fake_encoder, monkeypatch
):
    monkeypatch.setattr(embed.index.store.faiss, "write_index", _disk_full)
    with pytest.raises(IndexWriteError) as caught:
        build_index(ARTICLES, settings, fake_encoder).save(settings.index_dir)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300
    assert "No space left on device" in message and "free some disk space" in message
    assert len(Index.load(settings.index_dir).articles) == 4
    assert _leftovers(settings) == []


def test_the_cli_reports_a_full_disk_in_one_line(saved, settings, monkeypatch, capsys, tmp_path) -> None:
    (tmp_path / "page.txt").write_text("沁泉湖公园正式开园迎客。公园总面积约296亩。\n", encoding="utf-8")
    monkeypatch.setattr(embed.index.store.faiss, "write_index", _disk_full)
    code = main(["index", str(tmp_path / "page.txt"), "--index-dir", str(settings.index_dir)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith(f"policyqa: error: cannot write the index to {settings.index_dir}")
    assert "Traceback" not in "\n".join(err)


def _copytree_error(src, dst, *args, **kwargs):
    # shutil.Error lists every file that failed: thousands of characters for a model folder.
    reason = str(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "x"))
    raise __import__("shutil").Error([(f"{src}/f{i}", f"{dst}/f{i}", reason) for i in range(200)])


def test_a_failed_model_copy_is_one_short_line(settings) -> None:
    error = embed.index.store.write_error(settings.index_dir, _raises(_copytree_error, "a", "b"))
    assert str(error).count("No space left on device") == 1 and len(str(error)) < 300


def _raises(fn, *args) -> BaseException:
    try:
        fn(*args)
    except BaseException as exc:  # noqa: BLE001 - handed to the code under test
        return exc
    raise AssertionError("did not raise")


def test_a_file_size_limit_keeps_the_old_index_and_is_one_line(saved, settings) -> None:
    script = f"""
import resource, sys
sys.path.insert(0, {str(REPO)!r}); sys.path.insert(0, {str(REPO / "tests")!r})
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
from conftest import FakeEncoder
from embed.config import Settings
from embed.errors import IndexWriteError
from embed.index.index import build_index
from test_index import ARTICLES
try:
    build_index(ARTICLES, Settings(), FakeEncoder()).save({str(settings.index_dir)!r})
except IndexWriteError as exc:
    print(exc)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.count("\n") == 1, out.stdout + out.stderr
    assert "File too large" in out.stdout and "ulimit -f" in out.stdout
    assert len(Index.load(settings.index_dir).articles) == 4
    assert _leftovers(settings) == []


def _rewrite_with_checksum(folder: Path, name: str, edit) -> None:
    """Edit a stored file and update its checksum: damage that the checksums cannot see."""
    path = folder / name
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    edit(rows)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["checksums"][name] = hashlib.sha256(path.read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "edit", "said"),
    [
        ("chunks.jsonl", lambda rows: rows[1].update(text=123), "chunks.jsonl row 1: 'text' is int"),
        ("chunks.jsonl", lambda rows: rows[0].update(start="0"), "'start' is str, expected int"),
        ("chunks.jsonl", lambda rows: rows[2].update(chunk_id=7), "row 2 has chunk_id 7"),
        ("chunks.jsonl", lambda rows: rows.__setitem__(0, [1, 2]), "row 0 is not a JSON object"),
        ("articles.jsonl", lambda rows: rows[0].update(byline=[1]), "'byline' must hold strings"),
        ("articles.jsonl", lambda rows: rows[0].update(year=True), "'year' is bool"),
    ],
)
def test_type_damaged_records_are_refused_on_load(saved, settings, name, edit, said) -> None:
    _rewrite_with_checksum(settings.index_dir, name, edit)
    with pytest.raises(IndexCorruptError, match="rebuild") as caught:
        Index.load(settings.index_dir)
    assert said in str(caught.value)


def test_the_cli_refuses_a_type_damaged_index_in_one_line(saved, settings, capsys) -> None:
    _rewrite_with_checksum(settings.index_dir, "chunks.jsonl", lambda rows: rows[1].update(text=123))
    assert main(["search", "沁泉湖", "--index-dir", str(settings.index_dir)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be read" in err
