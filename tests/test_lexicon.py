from __future__ import annotations

import os

import pytest

from embed.text.lexicon import Lexicon, cached_lexicon

TABLE = {"沁泉湖": 3, "沁": 0, "公园": 7, "公": 1, "a": 2, "abc": 5}


def test_a_written_lexicon_reads_back_the_same_table(tmp_path):
    Lexicon.from_table(TABLE, {"total": 18}).write(tmp_path / "t.lexicon")
    lexicon = Lexicon.open(tmp_path / "t.lexicon")
    assert lexicon.meta == {"total": 18}
    assert dict(lexicon) == TABLE and len(lexicon) == len(TABLE)
    assert lexicon["公园"] == 7 and lexicon.get("公园园", -1) == -1 and lexicon.get("") is None
    assert "沁" in lexicon and "湖" not in lexicon and "" not in lexicon
    assert lexicon.shard("沁") == {"沁泉湖": 3, "沁": 0} and lexicon.shard("湖") == {}


def test_opening_reads_only_the_shards_looked_up(tmp_path):
    Lexicon.from_table(TABLE).write(tmp_path / "t.lexicon")
    lexicon = Lexicon.open(tmp_path / "t.lexicon")
    assert lexicon.get("公") == 1
    assert set(lexicon._shards) == {"公"}
    assert lexicon.shard("a", keep=False) == {"a": 2, "abc": 5} and set(lexicon._shards) == {"公"}


def test_the_cache_is_made_once_and_remade_when_the_source_changes(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    source = tmp_path / "source.txt"
    source.write_text("x", encoding="utf-8")
    reads = []

    def read():
        reads.append(1)
        return {"词": len(reads)}, {"n": len(reads)}

    assert cached_lexicon(source, "t", read)["词"] == 1
    assert cached_lexicon(source, "t", read)["词"] == 1 and len(reads) == 1
    os.utime(source, ns=(1, 1))
    assert cached_lexicon(source, "t", read).meta == {"n": 2}


def test_an_unwritable_cache_folder_only_costs_speed(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "missing"))
    source = tmp_path / "source.txt"
    source.write_text("x", encoding="utf-8")
    assert cached_lexicon(source, "t", lambda: ({"词": 1}, {}))["词"] == 1


@pytest.mark.parametrize("junk", [b"", b"\x05\x00\x00\x00\x00\x00\x00\x00abc"])
def test_a_damaged_cache_is_read_again_from_the_source(tmp_path, monkeypatch, junk):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    source = tmp_path / "source.txt"
    source.write_text("x", encoding="utf-8")
    cached_lexicon(source, "t", lambda: ({"词": 1}, {}))
    (cache,) = tmp_path.glob("policyqa-*.lexicon")
    cache.write_bytes(junk)
    assert cached_lexicon(source, "t", lambda: ({"词": 2}, {}))["词"] == 2
