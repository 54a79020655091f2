"""Encoders: the `Encoder` protocol and `load_encoder` over sentence-transformers models (unit rows)."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

import numpy as np

from ..config import BUILTIN_MODEL
from ..errors import ModelLoadError

logger = logging.getLogger(__name__)

BGE_ZH_QUERY_INSTRUCTION = "为这个句子生成表示以用于检索相关文章："
"""The query instruction the BGE Chinese models were trained with (their model cards); passages get none."""

HUB_PROBE_TIMEOUT_S = 5.0
"""How long to wait for the Hugging Face hub before calling a model name unreachable (no retries)."""

BATCH_SIZE = 256
"""Texts per encoding batch (static models: 1,450 passages/s at 256 against 1,250 at 64)."""

_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")
"""`owner/name`, the only form of a hub id we download (a bare word is taken for a missing local path)."""


@runtime_checkable
class Encoder(Protocol):
    """What indexing and search need from an embedding model."""

    name: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """float32 [n, dim], unit rows (zero rows for texts with no known token)."""
        ...

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """float32 [n, dim], unit rows (zero rows for texts with no known token)."""
        ...


class SentenceTransformerEncoder:
    """An `Encoder` over a loaded `SentenceTransformer`, with the model's query instruction if it has one."""

    def __init__(self, model: object, name: str, query_prompt: str | None = None) -> None:
        """Args: a loaded SentenceTransformer, the name to record in indexes, and the query instruction."""
        self.model = model
        self.name = name
        self.query_prompt = query_prompt
        # sentence-transformers 6 renamed the method; 3.x-5.x only have the old name.
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = get_dim()
        if not dim:
            raise ModelLoadError(f"model {name!r} does not say its embedding size")
        self.dim = int(dim)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed questions (with the query instruction, where the model has one)."""
        return self._encode(texts, self.query_prompt)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages (never with an instruction)."""
        return self._encode(texts, None)

    def _encode(self, texts: list[str], prompt: str | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            prompt=prompt,
            batch_size=BATCH_SIZE,
            convert_to_numpy=True,
            normalize_embeddings=True,  # inner product == cosine on unit vectors
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class StaticEncoder:
    """An `Encoder` over a stock StaticEmbedding + Normalize model folder, read with numpy and `tokenizers`.

    It computes exactly what `SentenceTransformer(path).encode(..., normalize_embeddings=True)` does for such
    a model (the mean of the tokens' rows, L2-normalised; zero for a text with no token), without importing
    torch and sentence-transformers: a cold `policyqa ask` spends seconds and hundreds of MB on those.
    """

    STATIC_MODULES = ("static_embedding.StaticEmbedding", "normalize.Normalize")
    """The module types, in order, of a folder this encoder reads (as modules.json names them)."""

    def __init__(self, model_dir: Path, name: str) -> None:
        """Read the tokenizer and the embedding table of `model_dir` (see `is_static`)."""
        from tokenizers import Tokenizer

        self.name = name
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self._table = map_safetensors_table(model_dir / "model.safetensors")
        self.dim = int(self._table.shape[1])

    @classmethod
    def is_static(cls, model_dir: Path) -> bool:
        """Whether `model_dir` holds a StaticEmbedding + Normalize model with its files at the top level."""
        try:
            modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        types = tuple(str(m.get("type", "")) for m in modules if isinstance(m, dict))
        return (
            len(types) == len(cls.STATIC_MODULES)
            and all(t.endswith(want) for t, want in zip(types, cls.STATIC_MODULES, strict=True))
            and modules[0].get("path") == ""
            and (model_dir / "model.safetensors").is_file()
            and (model_dir / "tokenizer.json").is_file()
        )

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed questions (a static model has no query instruction)."""
        return self.encode_passages(texts)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Unit rows: the mean of each text's token rows, normalised (inner product == cosine)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), BATCH_SIZE):
            batch = self.tokenizer.encode_batch(
                list(texts[start : start + BATCH_SIZE]), add_special_tokens=False
            )
            for row, encoding in enumerate(batch, start):
                if encoding.ids:
                    out[row] = np.asarray(self._table[encoding.ids], dtype=np.float32).sum(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16}
"""The table types a built-in model is stored in (safetensors' names)."""


def map_safetensors_table(path: Path) -> np.ndarray:
    """The one tensor of a safetensors file, memory-mapped read-only (rows are read as they are used).

    A query touches a few hundred of the table's rows: mapping it costs nothing where reading the file
    took 0.4 s and 58 MB. The layout is safetensors' own: an 8-byte header length, a JSON header with
    each tensor's dtype, shape and data offsets, then the data (little-endian, C order).

    Raises:
        ValueError: not a file with exactly one 2-D float tensor.
    """
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) < 8:
            raise ValueError(f"{path} is too short for a safetensors file")
        length = int.from_bytes(raw, "little")
        if length > 100_000_000:
            raise ValueError(f"{path}: implausible safetensors header length {length}")
        try:
            header = json.loads(f.read(length))
        except ValueError as exc:
            raise ValueError(f"{path}: damaged safetensors header ({exc})") from exc
    tensors = [v for k, v in header.items() if k != "__metadata__"] if isinstance(header, dict) else []
    if len(tensors) != 1 or not isinstance(tensors[0], dict):
        raise ValueError(f"{path} should hold exactly one tensor")
    (tensor,) = tensors
    dtype, shape, (start, end) = tensor.get("dtype"), tensor.get("shape"), tensor.get("data_offsets", (0, -1))
    if dtype not in SAFETENSORS_DTYPES or not isinstance(shape, list) or len(shape) != 2:
        raise ValueError(f"{path}: expected a 2-D float table, found {dtype} {shape}")
    dt = np.dtype(SAFETENSORS_DTYPES[dtype]).newbyteorder("<")
    if end - start != shape[0] * shape[1] * dt.itemsize or 8 + length + end > path.stat().st_size:
        raise ValueError(f"{path}: the table's size does not match its header (truncated?)")
    return np.memmap(path, dtype=dt, mode="r", offset=8 + length + start, shape=(shape[0], shape[1]))


VECTOR_CACHE = 50_000
"""Sentence and question vectors a CachingEncoder keeps (about 50,000 x dim x 4 bytes at most)."""


class CachingEncoder:
    """Wraps an encoder and remembers the vectors it made, text by text.

    Answers encode every sentence of the retrieved passages for every question; those sentences come
    from a fixed corpus and recur across questions, so most are encoded once per index instead of once
    per request. The encoder is deterministic, so the vectors are exactly the ones it would make again.
    """

    def __init__(self, encoder: Encoder, maxsize: int = VECTOR_CACHE) -> None:
        """Wrap `encoder`, keeping up to `maxsize` vectors (then starting afresh)."""
        self.inner = encoder
        self.name: str = encoder.name
        self.dim: int = encoder.dim
        self._maxsize = maxsize
        self._vectors: dict[tuple[str, str], np.ndarray] = {}
        self._lock = threading.Lock()  # guards eviction; encoding itself runs outside it

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for questions."""
        return self._encode("q", texts, self.inner.encode_queries)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for passages or sentences."""
        return self._encode("p", texts, self.inner.encode_passages)

    def _encode(self, kind: str, texts: list[str], encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        found = [self._vectors.get((kind, t)) for t in texts]
        missing = list(dict.fromkeys(t for t, v in zip(texts, found, strict=True) if v is None))
        if missing:
            fresh = dict(zip(missing, np.asarray(encode(missing), dtype=np.float32), strict=True))
            with self._lock:
                if len(self._vectors) + len(fresh) > self._maxsize:
                    self._vectors.clear()  # rare, and cheaper than LRU bookkeeping on every hit
                self._vectors.update(((kind, t), v) for t, v in fresh.items())
            found = [v if v is not None else fresh[t] for t, v in zip(texts, found, strict=True)]
        if not found:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack(found)


def load_encoder(model: str, model_dir: Path | None) -> Encoder:
    """Load the encoder named `model`.

    Args:
        model: "builtin" for the built-in model saved at `model_dir`; otherwise a local folder holding a
            sentence-transformers model, or a hub id (`owner/name`), used from the local cache when there and
            downloaded only when the hub answers within a few seconds.
        model_dir: the built-in model's folder (ignored for other models).

    Raises:
        ModelLoadError: missing or broken model files, or a hub id that is neither cached nor reachable.
    """
    if model == BUILTIN_MODEL:
        if model_dir is None:
            raise ModelLoadError("the built-in model needs its folder (model_dir); none was given")
        return _load_builtin(Path(model_dir))
    if not model or not model.strip():
        raise ModelLoadError("empty model name")
    path = Path(model).expanduser()
    if path.exists():
        return _load_local(path, model)
    if not _HUB_NAME.match(model):
        raise ModelLoadError(f"model {model!r}: no such folder, and not a hub id of the form owner/name")
    return _load_hub(model)


def _load_builtin(model_dir: Path) -> Encoder:
    if not (model_dir / "modules.json").is_file():
        raise ModelLoadError(f"no built-in model at {model_dir} (modules.json missing): rebuild the index")
    if StaticEncoder.is_static(model_dir):
        from safetensors import SafetensorError

        try:
            return StaticEncoder(model_dir, BUILTIN_MODEL)
        except (OSError, ValueError, SafetensorError) as exc:  # truncated or foreign files
            raise ModelLoadError(f"cannot load the built-in model at {model_dir}: {exc}") from exc
    st = _sentence_transformer(str(model_dir), local_files_only=True)
    return SentenceTransformerEncoder(st, BUILTIN_MODEL)


def _load_local(path: Path, name: str) -> Encoder:
    if not path.is_dir():
        raise ModelLoadError(f"model {name!r} is a file; give the folder of a sentence-transformers model")
    if not any((path / f).is_file() for f in ("modules.json", "config.json")):
        raise ModelLoadError(f"model {name!r}: {path} holds no modules.json or config.json")
    st = _sentence_transformer(str(path), local_files_only=True)
    return SentenceTransformerEncoder(st, name, _query_prompt(st, name))


def _load_hub(name: str) -> Encoder:
    """From the local hub cache when it is there; else download, if the hub answers quickly."""
    if not _in_hub_cache(name):
        _probe_hub(name)
    st = _sentence_transformer(name, local_files_only=_in_hub_cache(name))
    return SentenceTransformerEncoder(st, name, _query_prompt(st, name))


def _in_hub_cache(name: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    # modules.json for sentence-transformers models, config.json for plain transformers ones (mean pooling).
    return any(isinstance(try_to_load_from_cache(name, f), str) for f in ("modules.json", "config.json"))


def _probe_hub(name: str) -> None:
    """One short connection to the hub: offline use fails in seconds instead of a minute of retries."""
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        raise ModelLoadError(
            f"model {name!r} is not in the local cache and the hub is switched off (offline)"
        )
    endpoint = urlsplit(constants.ENDPOINT)
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        with socket.create_connection((endpoint.hostname or "", port), timeout=HUB_PROBE_TIMEOUT_S):
            pass
    except OSError as exc:  # DNS failure, refused, unreachable, timeout
        raise ModelLoadError(
            f"model {name!r} is no local folder, not in the hub cache, and the hub ({endpoint.hostname}) "
            f"cannot be reached: {exc}; download the model elsewhere and pass its folder"
        ) from exc


def _sentence_transformer(name_or_path: str, local_files_only: bool) -> object:
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(name_or_path, device="cpu", local_files_only=local_files_only)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ModelLoadError(f"cannot load model {name_or_path!r}: {exc}") from exc


def _query_prompt(model: object, name: str) -> str | None:
    """The model's own query prompt when it ships one; the BGE Chinese instruction for bge-*-zh models."""
    prompts = getattr(model, "prompts", None) or {}
    for key in ("query", "retrieval.query", "search_query"):
        if prompts.get(key):
            return prompts[key]
    lowered = name.lower()
    if "bge" in lowered and "zh" in lowered and "m3" not in lowered:
        return BGE_ZH_QUERY_INSTRUCTION
    return None
