"""The built-in offline embedding model: a static sentence-transformers model fitted on the corpus.

How it is made, in three steps, all seeded and without any download:

1. Vocabulary: the corpus is segmented with jieba (`embed.text.words.Tokenizer`, with the index's user words);
   every piece and every character becomes a token. The pieces and their frequencies are written as a
   `tokenizers` Unigram model, whose most-probable segmentation reproduces jieba's dictionary segmentation,
   and which falls back to known sub-words and single characters for words it has never seen.
2. Vectors: each token's vector is its own vector plus the mean of its characters' vectors, times its IDF
   (function words and punctuation get zero). They are trained contrastively on self-supervised pairs from
   the corpus: a sentence against the rest of its passage, the other passages of the batch as negatives
   (the inverse cloze task), so that question-like text finds the passage it came from.
3. Saving: the vectors are baked into one row per token of a stock `StaticEmbedding` followed by `Normalize`,
   so `SentenceTransformer(path)` loads the model with no custom code and no `trust_remote_code`.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer as HFTokenizer

from ..errors import BadInputError
from ..progress import track
from ..text.sentences import split_sentences
from .base import BASE_MODEL_DIR, BaseModel, load_base_model
from .vocab import Vocabulary, build_vocabulary, extend_vocabulary

logger = logging.getLogger(__name__)

MODEL_DIM = 256
"""Vector size: big enough to keep most lexical detail of a passage, small enough for fast flat search."""

CHAR_WEIGHT = 0.5
"""Weight of a word's characters beside the word's own vector: shares evidence between related words."""

BATCH_SIZE = 128
"""Passages per training step; the other passages of the batch are each pair's negatives."""

TEMPERATURE = 0.1
"""Softmax temperature of the contrastive loss. CMRC dense doc@1 (one seed): 0.05 -> 0.943, 0.1 -> 0.947,
0.2 -> 0.941; fused with BM25: 0.958, 0.962, 0.958."""

LEARNING_RATE = 0.05
"""Adam step size; static vectors tolerate large steps."""

EPOCHS = 5
"""Passes over the passages when the step limits below allow."""

MIN_STEPS, MAX_STEPS = 200, 400
"""Small corpora get at least MIN_STEPS (cheap); large ones stop at MAX_STEPS to keep builds fast.

Measured on CMRC (1,953 passages): 76 steps gave dense doc@1 0.887, 200 gave 0.943, 500 no better (0.931)."""

BASE_WEIGHT = 1.0
"""Size of a word's base vector beside its archive vector, at the start of adaptation (mean norms).
0.5, 1 and 2 measured alike (benchmarks/base_model_quality.py; hybrid recall@1 equal on the seed and news
dev sets, dense within a question or two either way), so the plain 1 stays."""

ADAPT_LEARNING_RATE = 0.05
"""Adam step size when adapting the base model: small, so the corpus tunes what the base knows."""

ADAPT_MIN_STEPS, ADAPT_MAX_STEPS = 200, 400
"""Adaptation steps (the same EPOCHS schedule, in a narrower range): short, since the base did the work."""

KEEP_FRACTION = 0.0
"""Share of pairs whose positive keeps the query sentence (ORQA keeps 10% to also reward exact overlap)."""

INFO_FILE = "policyqa_builtin.json"
"""Training facts saved beside the model: seed, sizes, steps (for humans and for checks)."""


def train_builtin_model(
    texts: Sequence[str],
    out_dir: Path,
    seed: int = 13,
    user_words: Sequence[str] = (),
    base: Path | None = BASE_MODEL_DIR,
) -> Path:
    """Fit the built-in model on `texts` and save it as a sentence-transformers model in `out_dir`.

    Args:
        texts: the passages being indexed (one per item).
        out_dir: folder to write (created if needed); `SentenceTransformer(str(out_dir))` loads it.
        seed: makes training reproducible: same texts + seed => identical vectors.
        user_words: extra terms jieba keeps whole (e.g. learned from the corpus).
        base: the base model to start from and adapt (see `embed.model.base`); None, or a folder without
            one, fits the vectors on `texts` alone, from random ones.

    Returns:
        `out_dir`.

    Raises:
        ValueError: when `texts` holds no text at all.
    """
    if not any(t.strip() for t in texts):
        raise BadInputError("no text to fit the built-in embedding model on")
    out_dir = Path(out_dir)
    start = load_base_model(base) if base is not None else None
    threads = torch.get_num_threads()
    # One thread: small sparse steps gain nothing from more, lose much on a busy machine, stay reproducible.
    torch.set_num_threads(1)
    try:
        if start is None:
            vocab = build_vocabulary(texts, user_words)
            table, steps = fit_vectors(vocab, passage_sentences(vocab, texts), seed)
        else:
            vocab = extend_vocabulary(start.tokenizer, texts, user_words)
            table, steps = adapt_vectors(start, vocab, passage_sentences(vocab, texts), seed)
    finally:
        torch.set_num_threads(threads)
    save_model(vocab.tokenizer, table, out_dir)
    info = {
        "seed": seed,
        "dim": int(table.shape[1]),
        "vocab": len(vocab.tokens),
        "texts": len(texts),
        "steps": steps,
        "base": start is not None,
    }
    (out_dir / INFO_FILE).write_text(json.dumps(info, indent=2), encoding="utf-8")
    logger.info("built-in model: %s -> %s", info, out_dir)
    return out_dir


def passage_sentences(vocab: Vocabulary, texts: Sequence[str]) -> list[list[np.ndarray]]:
    """Each passage as its sentences' content-token ids, tokenized exactly as the saved model will."""
    spans = [[s.text for s in split_sentences(t)] for t in texts]
    flat = [s for sents in spans for s in sents]
    ids = vocab.encode(flat)
    out: list[list[np.ndarray]] = []
    pos = 0
    for sents in spans:
        rows = [ids[pos + i] for i in range(len(sents))]
        out.append([r for r in rows if len(r)])
        pos += len(sents)
    return [p for p in out if p]


class _BagModel(torch.nn.Module):
    """Sum-pooled, L2-normalised bags of token vectors; subclasses say what a token's vector is."""

    def rows(self, ids: torch.Tensor) -> torch.Tensor:
        """The vectors of tokens `ids`."""
        raise NotImplementedError

    def forward(self, bags: list[np.ndarray]) -> torch.Tensor:
        """Unit vectors of bags of token ids (sum pooling, then L2 normalisation)."""
        ids = torch.from_numpy(np.concatenate(bags)).long()
        unique, position = torch.unique(ids, return_inverse=True)  # each distinct token's vector once
        offsets = torch.from_numpy(np.cumsum([0] + [len(b) for b in bags[:-1]]))
        pooled = torch.nn.functional.embedding_bag(position, self.rows(unique), offsets, mode="sum")
        return torch.nn.functional.normalize(pooled, dim=-1)


class _StaticModel(_BagModel):
    """Token vectors = IDF x (own vector + weighted mean of character vectors); only used for training."""

    def __init__(self, vocab: Vocabulary, generator: torch.Generator) -> None:
        super().__init__()
        n_chars = int(vocab.char_ids.max()) + 1
        self.words = torch.nn.Embedding(len(vocab.tokens), MODEL_DIM, sparse=True)
        self.chars = torch.nn.Embedding(n_chars, MODEL_DIM, sparse=True, padding_idx=0)
        with torch.no_grad():
            self.words.weight.normal_(0.0, 0.1, generator=generator)
            self.chars.weight.normal_(0.0, 0.1, generator=generator)
            self.chars.weight[0].zero_()
        self.register_buffer("char_ids", torch.from_numpy(vocab.char_ids))
        self.register_buffer("char_weights", torch.from_numpy(vocab.char_weights) * CHAR_WEIGHT)
        self.register_buffer("idf", torch.from_numpy(vocab.idf))

    def rows(self, ids: torch.Tensor) -> torch.Tensor:
        """The vectors of tokens `ids`."""
        # embedding_bag sums the weighted character vectors without materialising [n, chars, dim].
        chars = torch.nn.functional.embedding_bag(
            self.char_ids[ids],
            self.chars.weight,
            mode="sum",
            per_sample_weights=self.char_weights[ids],
            sparse=True,
            padding_idx=0,
        )
        return self.idf[ids, None] * (self.words(ids) + chars)


class _AdaptedModel(_StaticModel):
    """The archive's own token vectors (as `_StaticModel`) plus each token's base-model vector.

    The base part carries what 65k news articles taught (开放 near 开园); the archive part gives each word
    of the archive a vector of its own, so that within one district's news its own terms still tell
    passages apart. A word the archive lacks (a question's everyday word) keeps only its base vector and
    its characters: its own part starts at zero and, never seen in training, stays there.
    """

    def __init__(
        self, vocab: Vocabulary, generator: torch.Generator, base: np.ndarray, seen: np.ndarray
    ) -> None:
        super().__init__(vocab, generator)
        with torch.no_grad():
            self.words.weight[torch.from_numpy(~seen)] = 0.0
        self.base = torch.nn.Embedding.from_pretrained(torch.from_numpy(base), freeze=False, sparse=True)

    def rows(self, ids: torch.Tensor) -> torch.Tensor:
        """The vectors of tokens `ids`."""
        return super().rows(ids) + self.base(ids)


def fit_vectors(
    vocab: Vocabulary,
    passages: list[list[np.ndarray]],
    seed: int,
    steps: int | None = None,
    batch: int = BATCH_SIZE,
) -> tuple[np.ndarray, int]:
    """Train token vectors from random ones on the passages; return the baked table and the steps taken.

    `steps` None means the corpus-size schedule (EPOCHS passes within MIN_STEPS..MAX_STEPS).
    """
    model = _StaticModel(vocab, torch.Generator().manual_seed(seed))
    batch = min(batch, len(passages))
    if steps is None:
        steps = _step_count(len(passages), batch, MIN_STEPS, MAX_STEPS)
    steps = _train(model, passages, seed, steps, batch, LEARNING_RATE)
    return _bake(model, len(vocab.tokens)), steps


def adapt_vectors(
    base: BaseModel, vocab: Vocabulary, passages: list[list[np.ndarray]], seed: int
) -> tuple[np.ndarray, int]:
    """Start from the base model's vectors and adapt them, with the archive's own, to its passages.

    `vocab` is the base vocabulary extended with the corpus's new words (`extend_vocabulary`): base tokens
    keep their rows; a new word's base part is the sum of the base vectors of the pieces the base tokenizer
    cuts it into (what the base model made of it), an unseen character's is zero. The base part is scaled
    to BASE_WEIGHT times the archive part's typical size, then both train on the inverse cloze task.
    """
    known = len(base.table)
    start = np.zeros((len(vocab.tokens), base.table.shape[1]), dtype=np.float32)
    start[:known] = base.table
    start[known:] = base.embed_pieces(vocab.tokens[known:])
    start[vocab.idf == 0] = 0.0  # stopwords and punctuation carry nothing, as in the base
    counts = np.bincount(np.concatenate([np.concatenate(p) for p in passages]), minlength=len(vocab.tokens))
    seen = counts > 0
    model = _AdaptedModel(vocab, torch.Generator().manual_seed(seed), start, seen)
    with torch.no_grad():
        ids = torch.from_numpy(np.flatnonzero(seen & (vocab.idf > 0)))
        own = _StaticModel.rows(model, ids).norm(dim=1).mean()
        base_norm = model.base(ids).norm(dim=1).mean()
        model.base.weight *= BASE_WEIGHT * own / max(float(base_norm), 1e-6)
    batch = min(BATCH_SIZE, len(passages))
    steps = _step_count(len(passages), batch, ADAPT_MIN_STEPS, ADAPT_MAX_STEPS)
    steps = _train(model, passages, seed, steps, batch, ADAPT_LEARNING_RATE)
    return _bake(model, len(vocab.tokens)), steps


BAKE_ROWS = 8192
"""Token vectors computed at a time when baking the table: the whole table at once made several
full-size temporaries (characters, words, base, their sums), about 350 MB at 57k tokens."""


def _bake(model: _BagModel, n_tokens: int) -> np.ndarray:
    """Every token's vector (float32 [n_tokens, dim]), BAKE_ROWS rows at a time; rows are independent."""
    out: np.ndarray | None = None
    with torch.no_grad():
        for start in range(0, n_tokens, BAKE_ROWS):
            block = model.rows(torch.arange(start, min(n_tokens, start + BAKE_ROWS))).numpy()
            if out is None:
                out = np.empty((n_tokens, block.shape[1]), dtype=np.float32)
            out[start : start + len(block)] = block
    return out if out is not None else np.zeros((0, MODEL_DIM), dtype=np.float32)


def _step_count(passages: int, batch: int, low: int, high: int) -> int:
    """EPOCHS passes over the passages, kept within [low, high] steps; none without two passages a batch."""
    return 0 if batch < 2 else min(high, max(low, EPOCHS * passages // batch))


def _train(
    model: _BagModel, passages: list[list[np.ndarray]], seed: int, steps: int, batch: int, lr: float
) -> int:
    """Inverse-cloze contrastive training: each sentence must find the rest of its own passage."""
    rng = random.Random(seed)
    optimizer = torch.optim.SparseAdam(list(model.parameters()), lr=lr)
    order: list[int] = []
    started = time.perf_counter()
    for step in track(range(steps), desc="fitting the built-in model", unit="step"):
        if len(order) < batch:
            order = list(range(len(passages)))
            rng.shuffle(order)
        picked, order = order[:batch], order[batch:]
        queries, positives = zip(*(_pair(passages[i], rng, KEEP_FRACTION) for i in picked), strict=True)
        logits = model(list(queries)) @ model(list(positives)).T / TEMPERATURE
        loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(picked)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0:
            logger.debug(
                "step %d/%d loss %.3f (%.0f s)", step, steps, loss.item(), time.perf_counter() - started
            )
    return steps


def _pair(sentences: list[np.ndarray], rng: random.Random, keep: float) -> tuple[np.ndarray, np.ndarray]:
    """A query-like piece of a passage and the rest of it (inverse cloze task); `keep`: chance to keep it."""
    if len(sentences) >= 2:
        k = rng.randrange(len(sentences))
        rest = sentences if rng.random() < keep else sentences[:k] + sentences[k + 1 :]
        return sentences[k], np.concatenate(rest)
    # One sentence: its first third asks, the rest answers, so that every passage still takes part.
    ids = sentences[0]
    cut = max(1, len(ids) // 3)
    return ids[:cut], ids[cut:] if len(ids) > cut else ids


def save_model(tokenizer: HFTokenizer, table: np.ndarray, out_dir: Path) -> None:
    """Write a stock StaticEmbedding + Normalize sentence-transformers model."""
    # Imported here, after training: sentence-transformers (with transformers) holds about 260 MB, which
    # training never needs; a build imports it only to write the finished table.
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, StaticEmbedding

    out_dir.mkdir(parents=True, exist_ok=True)
    embedding = StaticEmbedding(tokenizer, embedding_weights=torch.from_numpy(table))
    model = SentenceTransformer(modules=[embedding, Normalize()], device="cpu")
    model.save(str(out_dir))
