from __future__ import annotations

from embed.progress import Progress, track


def test_off_a_terminal_progress_is_plain_lines_ending_with_the_total(capsys):
    with Progress(3, desc="embedding", done="embedded", unit="passage") as progress:
        for _ in range(3):
            progress.update()
    err = capsys.readouterr().err
    assert err.startswith("embedded 3/3 passages (") and "/s, ETA" in err


def test_an_unknown_total_still_ends_with_the_count(capsys):
    assert list(track(iter("abc"), desc="reading", unit="file")) == ["a", "b", "c"]
    assert capsys.readouterr().err.startswith("reading 3 files (")


def test_progress_can_be_switched_off(capsys):
    assert list(track([1, 2], mode=False, desc="x")) == [1, 2]
    assert capsys.readouterr().err == ""
