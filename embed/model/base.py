"""The base model: static token vectors learned from a large news corpus, shipped in `embed/data/`.

A 32-article archive cannot teach that 开放 is close to 开园 or 动工 to 开工; 65k news articles can. The base
model is trained once (`scripts/train_base_model.py`, reading ../shared/train) exactly as the built-in model
is fitted on an archive, only bigger: a jieba vocabulary of the corpus's most frequent words plus every
character, and token vectors trained contrastively on the inverse cloze task (a sentence against the rest
of its passage, the batch's other passages as negatives). It is saved as a stock sentence-transformers
model (`StaticEmbedding` + `Normalize`) in float16, so `SentenceTransformer(BASE_MODEL_DIR)` loads it.

The built-in model starts from it and adapts to the archive being indexed (`embed.model.builtin`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer as HFTokenizer

logger = logging.getLogger(__name__)

BASE_MODEL_DIR = Path(__file__).resolve().parent.parent / "data" / "base_model"
"""Where the shipped base model lives (package data)."""

BASE_WORDS = 50_000
"""Multi-character words kept in the base vocabulary. With every character (about 7k) and 256 float16
dimensions the weights take about 29 MB: under the 40 MB the repository allows for it."""

BASE_BATCH = 256
"""Passages per base training step: more in-batch negatives than the archive fit can afford."""

BASE_STEPS = 4000
"""Training steps of the base model (about four passes over 65k articles' passages at BASE_BATCH)."""

WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
WEIGHTS_KEY = "embedding.weight"
"""File and tensor names of a saved `StaticEmbedding` (the first module, saved at the model's root)."""


@dataclass(frozen=True, slots=True, eq=False)
class BaseModel:
    """A loaded base model: its tokenizer (a Unigram model over jieba pieces) and its token vectors."""

    tokenizer: HFTokenizer
    table: np.ndarray
    """float32 [vocab, dim]: row i is token i's vector, IDF already folded in (stopwords are zero rows)."""

    def embed_pieces(self, texts: Sequence[str]) -> np.ndarray:
        """Each text's sum of base token vectors: where a word the base model lacks starts from."""
        out = np.zeros((len(texts), self.table.shape[1]), dtype=np.float32)
        for row, encoding in enumerate(self.tokenizer.encode_batch(list(texts), add_special_tokens=False)):
            if encoding.ids:
                out[row] = self.table[encoding.ids].sum(axis=0)
        return out


def load_base_model(path: Path = BASE_MODEL_DIR) -> BaseModel | None:
    """The base model saved at `path`, or None when there is none (the built-in model then starts blank)."""
    path = Path(path)
    if not (path / WEIGHTS_FILE).is_file() or not (path / TOKENIZER_FILE).is_file():
        logger.warning("no base model at %s: the built-in model is fitted on the corpus alone", path)
        return None
    table = load_file(str(path / WEIGHTS_FILE))[WEIGHTS_KEY].astype(np.float32)
    tokenizer = HFTokenizer.from_file(str(path / TOKENIZER_FILE))
    if tokenizer.get_vocab_size() != len(table):
        raise ValueError(f"base model at {path}: {tokenizer.get_vocab_size()} tokens but {len(table)} rows")
    return BaseModel(tokenizer, table)


def train_base_model(
    passages: Sequence[str],
    out_dir: Path,
    seed: int = 13,
    steps: int = BASE_STEPS,
    max_words: int = BASE_WORDS,
) -> Path:
    """Train the base model on `passages` and save it (float16) as a sentence-transformers model.

    Args:
        passages: training text, one passage (a few sentences, like an index's passages) per item.
        out_dir: folder to write; `SentenceTransformer(str(out_dir))` loads it.
        seed: same passages + seed => identical vectors.
        steps: contrastive training steps of BASE_BATCH passages.
        max_words: multi-character words kept in the vocabulary.

    Returns:
        `out_dir`.
    """
    import torch

    from .builtin import INFO_FILE, fit_vectors, passage_sentences, save_model
    from .vocab import build_vocabulary

    vocab = build_vocabulary(passages, max_words=max_words)
    logger.info("base vocabulary: %d tokens", len(vocab.tokens))
    ids = passage_sentences(vocab, passages)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # reproducible, and polite on a shared machine
    try:
        table, done = fit_vectors(vocab, ids, seed, steps=steps, batch=BASE_BATCH)
    finally:
        torch.set_num_threads(threads)
    save_model(vocab.tokenizer, table.astype(np.float16), Path(out_dir))
    # The generated model card records library versions and training logs: it would make every rebuild
    # differ in git for nothing, and loading does not need it.
    (Path(out_dir) / "README.md").unlink(missing_ok=True)
    info = {"seed": seed, "vocab": len(vocab.tokens), "passages": len(passages), "steps": done}
    (Path(out_dir) / INFO_FILE).write_text(json.dumps(info, indent=2), encoding="utf-8")
    return Path(out_dir)
