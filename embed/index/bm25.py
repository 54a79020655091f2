"""BM25 over jieba tokens: a thin wrapper over bm25s (sparse, numpy backend), plus document frequencies."""

from __future__ import annotations

import gzip
import json
import logging
import math
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..text.lexicon import cached_lexicon

logger = logging.getLogger(__name__)

BM25_K1 = 0.9
BM25_B = 0.4
"""Anserini's default BM25 parameters: less length normalisation than Lucene's 1.2/0.75 suits passages
that are already packed to a similar size. benchmarks/retrieval_quality.py compares the settings."""

DF_FILE = "df.json"
"""Document frequency of every token, beside bm25s's own files: the summary helper's corpus IDF."""

BACKGROUND_DF_FILE = Path(__file__).resolve().parent.parent / "data" / "background_df.tsv.gz"
"""Passage frequencies of BM25 tokens over 153k news passages (scripts/build_background_df.py)."""

PRIOR_PASSAGES = 300
"""How many passages the background counts weigh as, beside the archive's own, in BM25's IDF. A small
archive's counts are noisy (a common word that happens to occur once looks as rare as a name); the
background smooths them: df' = df + m * df_bg / N_bg over N + m passages. 0 switches it off.
Measured (benchmarks/base_model_quality.py --priors 0,300,1000): 0 -> 300 lifts BM25 recall@1 on the 40
paraphrased seed questions from 0.575 to 0.650 and leaves the news archive and CMRC as they were
(1000: 0.675, but CMRC slips a little)."""


@dataclass(frozen=True, slots=True)
class BackgroundDF:
    """Token -> passage frequency in a large background corpus of `num_docs` passages."""

    num_docs: int
    doc_freq: Mapping[str, int]


@lru_cache(maxsize=2)
def load_background_df(path: Path = BACKGROUND_DF_FILE) -> BackgroundDF | None:
    """The shipped background table (read once per process), or None when it is not there.

    The counts are read by first character (embed.text.lexicon): a query looks up a handful of tokens, and
    parsing the whole table took 0.3 s and 20 MB of a cold `policyqa ask`.
    """
    if not path.is_file():
        return None
    table = cached_lexicon(path, "background-df", lambda: _read_background_df(path))
    return BackgroundDF(int(table.meta["num_docs"]), table)


def _read_background_df(path: Path) -> tuple[dict[str, int], dict[str, int]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        num_docs = int(f.readline())
        doc_freq = {}
        for line in f:
            token, count = line.rstrip("\n").split("\t")
            doc_freq[token] = int(count)
    return doc_freq, {"num_docs": num_docs}


def lucene_idf(df: float, num_docs: float) -> float:
    """Lucene's smoothed IDF, log(1 + (N - df + 0.5) / (df + 0.5)) (what bm25s's "lucene" method uses)."""
    return math.log(1.0 + (num_docs - df + 0.5) / (df + 0.5))


def idf_rescale(token: str, doc_freq: dict[str, int], num_docs: int, prior: int = PRIOR_PASSAGES) -> float:
    """By how much a token's BM25 score moves from the archive's IDF to the background-smoothed one.

    The smoothed IDF counts the archive plus `prior` passages drawn from the background corpus; the
    stored scores (bm25s's, or the weights kept in Milvus) use the archive's own, so a search multiplies
    each query token's contribution by this factor. 1.0 without a background table or with prior 0.
    """
    background = load_background_df() if prior > 0 else None
    if background is None:
        return 1.0
    df = doc_freq.get(token, 0)
    smoothed = df + prior * background.doc_freq.get(token, 0) / background.num_docs
    return lucene_idf(smoothed, num_docs + prior) / lucene_idf(df, num_docs)


def write_background_df(doc_freq: dict[str, int], num_docs: int, path: Path) -> None:
    """Write the table as gzipped text: the passage count, then `token<TAB>df` lines, most frequent first.

    gzip's mtime is fixed so that the same counts give the same bytes (a rebuild changes nothing in git).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{num_docs}\n"] + [
        f"{t}\t{n}\n" for t, n in sorted(doc_freq.items(), key=lambda x: (-x[1], x[0]))
    ]
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write("".join(lines).encode("utf-8"))


SAVED_FILES = (
    "params.index.json",
    "vocab.index.json",
    *(f"{n}.csc.index.npy" for n in ("data", "indices", "indptr")),
)
"""What bm25s's `BM25.save` writes for a Lucene-BM25 index without a corpus."""


class SavedScores:
    """bm25s's saved eager score matrix, searched without importing bm25s.

    Importing bm25s imports scipy: 0.4 s and 20 MB of a cold `policyqa ask`, for a search that only sums
    the stored weights of the query's tokens. This reads the files bm25s wrote and sums their columns
    exactly as bm25s's numpy backend does (`np.add.at` per token, in query order), so the scores are
    bm25s's own; building still goes through bm25s (see `BM25Index.build`). Only the Lucene method is
    read this way: the methods that add a non-occurrence term are loaded with bm25s.
    """

    def __init__(self, folder: Path, mmap: bool = False) -> None:
        params = json.loads((folder / SAVED_FILES[0]).read_text(encoding="utf-8"))
        self.folder = folder
        self.vocab_dict: dict[str, int] = json.loads((folder / SAVED_FILES[1]).read_text(encoding="utf-8"))
        mode = "r" if mmap else None
        # np.asarray drops the np.memmap subclass and keeps the mapping: every query slices these arrays
        # once per token, and the subclass's Python hooks on each slice cost more than the scoring itself.
        self.scores: dict[str, Any] = {
            name: np.asarray(np.load(folder / f"{name}.csc.index.npy", allow_pickle=False, mmap_mode=mode))
            for name in ("data", "indices", "indptr")
        }
        self.scores["num_docs"] = int(params["num_docs"])
        self.dtype = np.dtype(params.get("dtype", "float32"))
        self.int_dtype = np.dtype(params.get("int_dtype", "int32"))

    @staticmethod
    def readable(folder: Path) -> bool:
        """Whether `folder` holds a Lucene-BM25 index this class reads (else bm25s loads it)."""
        try:
            params = json.loads((folder / SAVED_FILES[0]).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(params, dict) and params.get("method") == "lucene"

    def get_tokens_ids(self, tokens: list[str]) -> list[int]:
        """Ids of the tokens in the vocabulary (others are left out), as bm25s's method of that name."""
        return [self.vocab_dict[t] for t in tokens if t in self.vocab_dict]

    def get_scores(self, token_ids: list[int]) -> np.ndarray:
        """Every passage's score for these token ids: bm25s's `get_scores` for the Lucene method."""
        data, indices, indptr = self.scores["data"], self.scores["indices"], self.scores["indptr"]
        ids = np.asarray(token_ids, dtype=self.int_dtype)
        if int(ids.max(initial=0)) >= len(indptr) - 1:
            raise ValueError(f"token id {int(ids.max())} is beyond the {len(indptr) - 1} tokens of the index")
        scores = np.zeros(self.scores["num_docs"], dtype=self.dtype)
        for start, end in zip(indptr[ids], indptr[ids + 1], strict=True):
            np.add.at(scores, indices[start:end], data[start:end])
        return scores

    def save(self, folder: str) -> None:
        """Copy the files (a loaded index is saved unchanged)."""
        for name in SAVED_FILES:
            shutil.copyfile(self.folder / name, Path(folder) / name)


class BM25Index:
    """Okapi BM25 (Lucene variant) over pre-tokenized passages; row i is chunk i."""

    def __init__(self, model: Any, doc_freq: dict[str, int], num_docs: int) -> None:
        """Wrap a bm25s.BM25 (or the SavedScores of one) with its document frequencies."""
        self._model = model
        self.doc_freq = doc_freq
        self.num_docs = num_docs
        if PRIOR_PASSAGES > 0:
            load_background_df()  # about 0.3 s, paid here rather than by the first query

    @classmethod
    def build(cls, corpus_tokens: Iterable[list[str]]) -> BM25Index:
        """Index token lists (one per passage, in chunk order), streaming them into id arrays.

        Each passage becomes a small int32 array as it arrives, so 100k passages cost tens of MB here
        rather than a Python string or int object per token (which took over 1 GB).
        """
        import bm25s
        from bm25s.tokenization import Tokenized

        vocab: dict[str, int] = {}
        ids: list[np.ndarray] = []
        uniques: list[np.ndarray] = []
        for tokens in corpus_tokens:
            row = np.fromiter((vocab.setdefault(t, len(vocab)) for t in tokens), dtype=np.int32)
            ids.append(row)
            uniques.append(np.unique(row))
        if not vocab:
            vocab[""] = 0  # bm25s needs one column; "" is the token it uses for empty passages anyway
        counts = np.bincount(np.concatenate(uniques), minlength=len(vocab)) if uniques else np.zeros(0)
        doc_freq = {token: int(counts[i]) for token, i in vocab.items() if i < len(counts) and token}
        model = bm25s.BM25(method="lucene", k1=BM25_K1, b=BM25_B, backend="numpy")
        # An empty passage (or corpus) is fine: bm25s adds an empty token so every row has a column.
        model.index(Tokenized(ids=ids, vocab=vocab), show_progress=False)
        return cls(model, doc_freq, len(ids))

    def scores(self, query_tokens: list[str], prior: int | None = None) -> np.ndarray:
        """BM25 score of every passage for the query tokens (unknown tokens contribute nothing).

        With a background table and a `prior` (default PRIOR_PASSAGES) above 0, each token's score is
        rescaled from the archive's IDF to the smoothed one (see PRIOR_PASSAGES).
        """
        ids = self._model.get_tokens_ids(query_tokens)
        if not ids:
            return np.zeros(self.num_docs, dtype=np.float32)
        prior = PRIOR_PASSAGES if prior is None else prior
        if prior <= 0 or load_background_df() is None:
            return self._model.get_scores(ids)
        out = np.zeros(self.num_docs, dtype=np.float32)
        for token in query_tokens:
            token_ids = self._model.get_tokens_ids([token])
            if token_ids:
                out += idf_rescale(token, self.doc_freq, self.num_docs, prior) * self._model.get_scores(
                    token_ids
                )
        return out

    def top(self, query_tokens: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        """Row ids and scores of the best `n` passages with a positive score, best first."""
        scores = self.scores(query_tokens)
        n = min(n, len(scores))
        if n == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        rows = np.argpartition(-scores, n - 1)[:n]
        rows = rows[np.argsort(-scores[rows], kind="stable")]
        keep = scores[rows] > 0
        return rows[keep], scores[rows][keep]

    @property
    def vocab(self) -> dict[str, int]:
        """bm25s's id of every token (the columns of `passage_weights`)."""
        return self._model.vocab_dict

    def passage_weights(self) -> list[dict[int, float]]:
        """Each passage's precomputed BM25 weight per token id (bm25s's eager score matrix, by row).

        A passage's score for a query is the sum of its weights for the query's tokens, each counted as
        often as it occurs in the query: what `scores` computes, and what a sparse inner product gives.
        """
        matrix = self._model.scores  # column-compressed by token: indptr over tokens, indices = passages
        indptr, passages, data = matrix["indptr"], matrix["indices"], matrix["data"]
        tokens = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        order = np.argsort(passages, kind="stable")
        bounds = np.searchsorted(passages[order], np.arange(self.num_docs + 1))
        out = []
        for row in range(self.num_docs):
            picked = order[bounds[row] : bounds[row + 1]]
            out.append(
                {int(t): float(w) for t, w in zip(tokens[picked], data[picked], strict=True) if w != 0}
            )
        return out

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency over the archive's passages, as Lucene's BM25."""
        return lucene_idf(self.doc_freq.get(token, 0), self.num_docs)

    def save(self, folder: Path) -> None:
        """Write bm25s's files and the document frequencies into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        if isinstance(self._model, SavedScores):
            self._model.save(str(folder))
        else:
            self._model.save(str(folder), show_progress=False)
        payload = {"num_docs": self.num_docs, "doc_freq": self.doc_freq}
        (folder / DF_FILE).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, mmap: bool = False) -> BM25Index:
        """Read what `save` wrote.

        `mmap` maps the score matrix instead of reading it: a query reads only its own tokens' columns.
        """
        if SavedScores.readable(folder):
            model: Any = SavedScores(folder, mmap=mmap)
        else:
            import bm25s

            model = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0, mmap=mmap)
        payload = json.loads((folder / DF_FILE).read_text(encoding="utf-8"))
        return cls(model, payload["doc_freq"], int(payload["num_docs"]))
