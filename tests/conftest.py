"""Shared fixtures: paths to the corpus and eval data, and a fast deterministic stand-in encoder."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from embed.text.words import tokenize

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SHARED_EVAL = REPO.parent / "shared" / "eval"
NO_SHARED = "../shared is not beside this checkout (the evaluation and training data; see the README)"
"""The skip reason of every test that needs ../shared: counted and explained at the end of a run."""


class FakeEncoder:
    """Hashes jieba tokens into a 64-dimensional unit vector: fast, deterministic, no model files.

    zlib.crc32, not hash(): Python salts str hashes per process, which would make runs differ.
    """

    name = "fake-hash-64"
    dim = 64

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text):
                out[row, zlib.crc32(token.encode()) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)


@pytest.fixture(scope="session")
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def shared_eval() -> Path:
    if not SHARED_EVAL.is_dir():
        pytest.skip(NO_SHARED)
    return SHARED_EVAL


@pytest.fixture(scope="session")
def cmrc_index(shared_eval: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CMRC 2018 corpus indexed once per run as `policyqa index` does (the built-in model is fitted
    on it: about 20 s), for every test that measures on CMRC."""
    from embed.config import Settings
    from embed.pipeline import build

    folder = tmp_path_factory.mktemp("cmrc") / "index"
    build(Settings(index_dir=folder), [shared_eval / "cmrc2018_retrieval" / "corpus.jsonl"])
    return folder


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say plainly how many quality tests were skipped because ../shared is missing, and what to do."""
    skipped = terminalreporter.stats.get("skipped", [])
    missing = sum(NO_SHARED in str(getattr(report, "longrepr", "")) for report in skipped)
    if missing:
        terminalreporter.write_line(
            f"{missing} quality test(s) skipped: {NO_SHARED}. Put the shared data folder beside the "
            "checkout (../shared/eval, ../shared/train) and run again to measure quality."
        )
