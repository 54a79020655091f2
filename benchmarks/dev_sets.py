"""The dev QA sets the answer benchmarks share: where each set's questions and corpus are, and its index.

Everything is read from ../shared/eval (never copied into the project); indexes are built once into a
folder the caller keeps (`--keep`), so a second run reuses them.
"""

from __future__ import annotations

from pathlib import Path

from embed.config import Settings
from embed.pipeline import build

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
EVAL = SHARED / "eval"
SEEDS_QA = EVAL / "seeds_qa"

QA_SETS: dict[str, tuple[str, list[Path]]] = {
    "seeds dev": ("seeds", [SEEDS_QA / "dev.jsonl"]),
    "seeds paraphrased": (
        "seeds",
        [SEEDS_QA / "paraphrased_dev.jsonl", REPO / "benchmarks/data/seeds_paraphrase.jsonl"],
    ),
    "seeds unanswerable": ("seeds", [SEEDS_QA / "unanswerable_dev.jsonl"]),
    "news archive": ("news", [EVAL / "news_archive" / "dev.jsonl"]),
    "CMRC (first 600)": ("cmrc", [EVAL / "cmrc2018_retrieval" / "queries.jsonl"]),
}
"""Set name -> (corpus name, QA files)."""

CORPORA: dict[str, list[Path]] = {
    "seeds": [REPO / "seeds"],
    "news": [EVAL / "news_archive" / "corpus.jsonl"],
    "cmrc": [EVAL / "cmrc2018_retrieval" / "corpus.jsonl"],
}

QUESTION_LIMIT = 600
"""Questions used per set at most (CMRC has 2,253; 600 keep a run within minutes)."""


def index_dir(root: Path, corpus: str) -> Path:
    """The index of `corpus` under `root`, built with the default model the first time."""
    folder = root / corpus
    if not (folder / "manifest.json").exists():
        build(Settings(index_dir=folder), CORPORA[corpus])
    return folder
