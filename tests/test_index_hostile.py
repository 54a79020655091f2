"""Faults and leftovers around the index folder (issue 13): kills, stray files, full disks, bad records."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from test_index import ARTICLES

from embed.__main__ import main
from embed.config import Settings
from embed.errors import IndexCorruptError
from embed.index import Index, build_index


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", chunk_max_chars=200, chunk_min_chars=60)


@pytest.fixture()
def saved(settings: Settings, fake_encoder) -> Index:
    index = build_index(ARTICLES[:4], settings, fake_encoder)
    index.save(settings.index_dir)
    return index


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
