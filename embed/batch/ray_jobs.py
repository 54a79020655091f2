"""Batch work on a Ray cluster: reading, passages, embeddings and summaries as retried Ray tasks.

The driver keeps the steps that need the whole corpus at once (see README "Scaling out"): merging the shards
(first-wins ids, reprints), learning the corpus's terms, fitting the built-in model and building BM25. The
per-article and per-passage work runs as tasks. Each task is a pure function of its inputs, so a task lost
with its node is simply run again (`max_retries`) and the result is the same as in one process.

Workers load the model and tokenizer once per worker process: they are put in the object store once and
cached in the worker by their object id (`_cached`), because Ray reuses worker processes across tasks.
"""

from __future__ import annotations

import ipaddress
import logging
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import PolicyQAError

if TYPE_CHECKING:
    from ..datamodels import Article
    from ..ingest.shards import ShardedCorpus
    from ..text.chunk import ChunkSettings
    from .batch import CorpusVocabulary
    from .formats import SummaryRecord

logger = logging.getLogger(__name__)

MAX_RETRIES = 5
"""Times Ray reruns a task whose worker or node died (ordinary exceptions are not retried: they are bugs
or bad input, and would fail again)."""

EMBED_BLOCK = 8 * 256
"""Passages per embedding task: a whole number of the encoder's batches (BATCH_SIZE 256), so every batch
a worker encodes is one the single-process run encodes too (identical vectors, also for models whose
output depends on the batch's padding)."""

SUMMARY_BLOCK = 32
"""Articles per summarizing task (about a quarter second of work each)."""

TOKEN_SEP = "\x1f"
"""Joins a passage's tokens into one string on the way back: a list of str objects per passage held by the
driver until BM25 is built would cost several KB a passage. No token holds it: tokens are stripped of
whitespace, and Python counts this control character as whitespace."""

IN_FLIGHT_PER_CPU = 4
"""Tasks submitted ahead per cluster CPU: keeps workers busy without putting the whole corpus in flight."""

_CACHE: dict[str, Any] = {}
"""Per worker process: what was loaded for an object id (the model, a tokenizer, a vocabulary)."""


class RayUnavailableError(PolicyQAError):
    """Ray is not installed or the cluster cannot be reached."""


def connect(address: str) -> Any:
    """Join the cluster at `address` ("local" starts a private one on this machine); returns the ray module.

    The dashboard is never started. The job ships this checkout's `embed` package to the workers
    (`py_modules`), so they run the driver's code whatever is installed on their nodes.
    """
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailableError(
            "--ray needs the Ray extra: pip install 'policyqa[ray]' (scripts/setup.sh --dev includes it)"
        ) from exc
    if ray.is_initialized():
        return ray
    runtime_env = {"py_modules": [str(Path(__file__).resolve().parent.parent)], "excludes": ["__pycache__"]}
    kwargs: dict[str, Any] = {
        "include_dashboard": False,
        "logging_level": logging.WARNING,
        "log_to_driver": False,
        "runtime_env": runtime_env,
    }
    if address == "local":
        # A driver-owned cluster: its processes stop when the driver does.
        kwargs.update(address="local", _node_ip_address="127.0.0.1")
    else:
        kwargs["address"] = address
        host = address.rsplit(":", 1)[0].removeprefix("ray://")
        if _is_loopback(host):
            kwargs["_node_ip_address"] = host  # the driver's node on a loopback cluster is the head's
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise RayUnavailableError(f"cannot join the Ray cluster at {address}: {exc}") from exc
    return ray


def shutdown() -> None:
    """Leave the cluster (and stop it, when `connect("local")` started it)."""
    import ray

    if ray.is_initialized():
        ray.shutdown()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _cpus(ray: Any) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def run_ordered(ray: Any, fn: Any, items: Sequence[Any], *shared: Any) -> Iterator[tuple[int, Any]]:
    """Run `fn.remote(item, *shared)` for each item, a bounded number at a time; yield (i, result) as done."""
    window = IN_FLIGHT_PER_CPU * _cpus(ray)
    logger.info(
        "running %d %s tasks on %d CPUs", len(items), getattr(fn, "_function_name", "ray"), _cpus(ray)
    )
    pending: dict[Any, int] = {}
    todo = iter(enumerate(items))
    for i, item in todo:
        pending[fn.remote(item, *shared)] = i
        if len(pending) >= window:
            break
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        i = pending.pop(done[0])
        yield i, ray.get(done[0])
        nxt = next(todo, None)
        if nxt is not None:
            pending[fn.remote(nxt[1], *shared)] = nxt[0]


def read_on_ray(ray: Any, paths: Sequence[str | Path], rules: ChunkSettings | None) -> ShardedCorpus:
    """`read_corpus(paths)` (and, with `rules`, every article's passages) with the shards read as tasks."""
    from ..ingest.shards import merge_shards, plan_shards, read_shard

    plan = plan_shards(paths)
    task = ray.remote(max_retries=MAX_RETRIES, num_cpus=1)(read_shard)
    results = [result for _, result in run_ordered(ray, task, plan.shards, rules)]
    return merge_shards(plan, results, rules)


def embed_on_ray(
    ray: Any, texts: list[str], model: str, model_dir: Path | None, user_words: Sequence[str]
) -> tuple[np.ndarray, Iterator[list[str]]]:
    """Vectors and BM25 tokens of `texts`, in order, computed by tasks in blocks of EMBED_BLOCK.

    The tokens come as an iterator for `BM25Index.build`, which streams them into small id arrays.
    """
    files = _model_files(model_dir) if model_dir is not None else {}
    model_ref = ray.put((model, files))
    words_ref = ray.put(tuple(user_words))
    blocks = [texts[i : i + EMBED_BLOCK] for i in range(0, len(texts), EMBED_BLOCK)]
    task = ray.remote(max_retries=MAX_RETRIES, num_cpus=1)(_embed_block)
    out: list[tuple[np.ndarray, list[str]] | None] = [None] * len(blocks)
    for i, result in run_ordered(ray, task, blocks, [model_ref], [words_ref]):
        out[i] = result
    if not out:
        return np.zeros((0, 0), dtype=np.float32), iter(())
    vectors = np.concatenate([v for v, _ in out]).astype(np.float32, copy=False)
    tokens = (joined.split(TOKEN_SEP) if joined else [] for _, block in out for joined in block)
    return vectors, tokens


def _model_files(model_dir: Path) -> dict[str, bytes]:
    """The model folder as bytes: workers on other machines do not see the driver's temp folder."""
    return {
        p.relative_to(model_dir).as_posix(): p.read_bytes()
        for p in sorted(model_dir.rglob("*"))
        if p.is_file()
    }


def _embed_block(
    texts: list[str], model_box: list[Any], words_box: list[Any]
) -> tuple[np.ndarray, list[str]]:
    """Task: encode a block of passages and tokenize it for BM25 (model and tokenizer cached per worker).

    The object refs come wrapped in a list so Ray passes the refs, not their values: the cache key is the
    ref's id, and the value is fetched only on a worker's first task.
    """
    import ray

    from ..text.words import Tokenizer

    encoder = _cached(model_box[0], lambda: _load_model(*ray.get(model_box[0])))
    tokenizer = _cached(words_box[0], lambda: Tokenizer(ray.get(words_box[0]), bulk=True))
    vectors = np.asarray(encoder.encode_passages(texts), dtype=np.float32)
    return vectors, [TOKEN_SEP.join(tokenizer.tokenize_for_search(t)) for t in texts]


def _cached(ref: Any, load: Callable[[], Any]) -> Any:
    key = ref.hex()
    if key not in _CACHE:
        _CACHE[key] = load()
    return _CACHE[key]


def _load_model(model: str, files: dict[str, bytes]) -> Any:
    """The encoder in a worker: the built-in model written to a local folder first, else by name."""
    from ..config import BUILTIN_MODEL
    from ..model.encoder import load_encoder

    if model != BUILTIN_MODEL:
        return load_encoder(model, None)
    # The built-in encoder reads its files into memory when loaded, so the folder can go at once.
    with tempfile.TemporaryDirectory(prefix="policyqa-ray-model-") as tmp:
        for name, data in files.items():
            (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / name).write_bytes(data)
        return load_encoder(BUILTIN_MODEL, Path(tmp))


def summarize_on_ray(
    ray: Any, todo: list[Article], max_chars: int, vocabulary: CorpusVocabulary
) -> Iterator[SummaryRecord]:
    """Summary records of `todo`, yielded as tasks finish (any order), SUMMARY_BLOCK articles a task."""
    vocabulary_ref = ray.put(vocabulary)
    blocks = [todo[i : i + SUMMARY_BLOCK] for i in range(0, len(todo), SUMMARY_BLOCK)]
    task = ray.remote(max_retries=MAX_RETRIES, num_cpus=1)(_summarize_block)
    for _, records in run_ordered(ray, task, blocks, max_chars, [vocabulary_ref]):
        yield from records


def _summarize_block(
    articles: list[Article], max_chars: int, vocabulary_box: list[Any]
) -> list[SummaryRecord]:
    """Task: summarize a block of articles with the run's vocabulary (set once per worker process)."""
    import ray

    from .batch import summarize_article, use_vocabulary

    ref = vocabulary_box[0]
    if _CACHE.get("vocabulary") != ref.hex():
        use_vocabulary(ray.get(ref))
        _CACHE["vocabulary"] = ref.hex()
    return [summarize_article(a, max_chars) for a in articles]
