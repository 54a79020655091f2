"""Index and summarize a few hundred articles on Ray (a local two-node cluster, and `--ray local`) and
compare with the single-process run: same files, byte for byte, even with the worker node killed mid-run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from embed.batch.batch import summarize_corpus
from embed.config import Settings
from embed.pipeline import build

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "eval" / "news_archive" / "corpus.jsonl"
ARTICLES, FILES = 1200, 6
"""Enough that summarizing keeps the worker node busy for seconds: the kill must land while one of its
processes runs a summarizing task, and 300 articles (summarized in under a second since the bulk
tokenizers) let the run finish before the watcher saw one, now and then."""


def _can_isolate() -> str | None:
    """Why a private network namespace cannot be made here (None when it can)."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs unshare and ip (util-linux, iproute2)"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    return None if probe.returncode == 0 else f"unshare -n failed: {probe.stderr.strip()} (needs root)"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    pytest.importorskip("ray", reason="the Ray extra is not installed (pip install 'policyqa[ray]')")
    reason = _can_isolate()
    if reason:
        pytest.skip(
            f"Ray listens on every interface; its test clusters run in a private network namespace: {reason}"
        )
    if not CORPUS.is_file():
        pytest.skip(f"{CORPUS} is not beside this checkout")
    folder = tmp_path_factory.mktemp("news")
    with CORPUS.open(encoding="utf-8") as f:
        lines = [next(f) for _ in range(ARTICLES)]
    per_file = ARTICLES // FILES  # several files, so reading is several tasks
    for i in range(FILES):
        (folder / f"part{i}.jsonl").write_text("".join(lines[i * per_file : (i + 1) * per_file]), "utf-8")
    return folder


@pytest.fixture(scope="module")
def single(corpus, tmp_path_factory) -> Path:
    """The single-process index and summaries of the corpus."""
    out = tmp_path_factory.mktemp("single")
    build(Settings(index_dir=out / "idx"), [corpus])
    summarize_corpus([corpus], out / "summaries.jsonl", workers=1, progress=False)
    return out


def _assert_same_index(expected: Path, got: Path) -> None:
    files = sorted(p.relative_to(expected) for p in expected.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(got) for p in got.rglob("*") if p.is_file())
    for name in files:
        if name.name != "manifest.json":
            assert (got / name).read_bytes() == (expected / name).read_bytes(), name
    manifests = [json.loads((folder / "manifest.json").read_text()) for folder in (expected, got)]
    for manifest in manifests:
        manifest.pop("built_at")
    assert manifests[0] == manifests[1]


def test_a_two_node_cluster_gives_the_single_process_output_though_its_worker_node_is_killed(
    corpus, single, tmp_path
):
    run = subprocess.run(
        ["unshare", "-n", sys.executable, str(REPO / "tests" / "ray_cluster.py"), str(tmp_path), str(corpus),
         "--kill-worker"],
        capture_output=True, text=True, timeout=1500,
    )  # fmt: skip
    report = json.loads((tmp_path / "cluster.json").read_text())
    assert run.returncode == 0, run.stderr[-2000:]
    assert report["nodes_at_start"] == 2
    assert report["index_rc"] == 0, (tmp_path / "index.log").read_text()[-2000:]
    _assert_same_index(single / "idx", tmp_path / "ray_idx")
    assert report["killed_during"] == "ray::_summarize_block" and report["running_at_kill"]
    assert report["summarize_rc"] == 0, (tmp_path / "summarize.log").read_text()[-2000:]
    assert (tmp_path / "ray_summaries.jsonl").read_bytes() == (single / "summaries.jsonl").read_bytes()
    records = len((single / "summaries.jsonl").read_text().splitlines())
    assert report["resume_report"]["summarized"] == 0 and report["resume_report"]["reused"] == records
    assert report["left_running"] == []


def test_ray_local_gives_the_single_process_output(corpus, single, tmp_path):
    script = (
        "ip link set lo up && "
        f"{sys.executable} -m embed index {corpus} --ray local --index-dir {tmp_path / 'idx'} && "
        f"{sys.executable} -m embed summarize {corpus} --ray local -o {tmp_path / 'summaries.jsonl'}"
    )
    run = subprocess.run(
        ["unshare", "-n", "sh", "-c", script], cwd=REPO, capture_output=True, text=True, timeout=900
    )
    assert run.returncode == 0, run.stderr[-2000:]
    _assert_same_index(single / "idx", tmp_path / "idx")
    assert (tmp_path / "summaries.jsonl").read_bytes() == (single / "summaries.jsonl").read_bytes()
