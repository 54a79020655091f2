"""Settings: one frozen record of defaults, overridable by POLICYQA_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import BadInputError

BUILTIN_MODEL = "builtin"
"""Model name meaning "train the offline model on the corpus being indexed" (no download)."""


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, which containers and `taskset` narrow)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores or 1


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise BadInputError(f"{name} must be an integer, got {raw!r}") from exc


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable. Build it directly in tests; `from_env()` everywhere else.

    This is the only place that reads `os.environ`.
    """

    index_dir: Path = Path(".policyqa")
    model: str = BUILTIN_MODEL
    seeds_dir: Path = Path("seeds")
    user_dict: Path | None = None
    chunk_max_chars: int = 400
    chunk_min_chars: int = 150
    chunk_overlap_chars: int = 60
    answer_max_chars: int = 200
    summary_max_chars: int = 200
    api_key: str | None = field(default=None, repr=False)
    max_body_bytes: int = 3_000_000
    seed: int = 13
    ray: str | None = None
    """Ray cluster address for batch work ("local" starts one here); None runs in this process."""
    backend: str | None = None
    """Where the index lives: None for the folder at index_dir, or milvus://... (see embed/backend.py)."""
    serve_threads: int = 0
    """Requests the HTTP service computes at once (its worker threads); 0 means twice the CPU cores this
    process may use. The handlers are CPU-bound Python, so threads beyond the cores only wait for the
    GIL: on 2 cores under benchmarks/load.py, 4 threads served /api/ask with p99 87-127 ms against
    142-164 ms for anyio's default of 40, and more requests a second. Raise it when the index lives in
    a remote Milvus: its searches wait on the network, not the CPU."""

    def __post_init__(self) -> None:
        if not 50 <= self.chunk_max_chars <= 4000:
            raise BadInputError("chunk_max_chars must be between 50 and 4000")
        if not 0 <= self.chunk_min_chars <= self.chunk_max_chars:
            raise BadInputError("chunk_min_chars must be between 0 and chunk_max_chars")
        if not 0 <= self.chunk_overlap_chars < self.chunk_max_chars:
            raise BadInputError("chunk_overlap_chars must be smaller than chunk_max_chars")
        if self.serve_threads < 0:
            raise BadInputError("serve_threads must be 0 (automatic) or a positive number of threads")

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then POLICYQA_* variables, then explicit keyword overrides (e.g. from the CLI)."""
        env = os.environ
        base = cls(
            index_dir=Path(env.get("POLICYQA_INDEX_DIR") or ".policyqa"),
            model=env.get("POLICYQA_MODEL") or BUILTIN_MODEL,
            seeds_dir=Path(env.get("POLICYQA_SEEDS_DIR") or "seeds"),
            user_dict=Path(env["POLICYQA_USER_DICT"]) if env.get("POLICYQA_USER_DICT") else None,
            chunk_max_chars=_env_int("POLICYQA_CHUNK_MAX_CHARS", 400),
            chunk_min_chars=_env_int("POLICYQA_CHUNK_MIN_CHARS", 150),
            chunk_overlap_chars=_env_int("POLICYQA_CHUNK_OVERLAP_CHARS", 60),
            api_key=env.get("POLICYQA_API_KEY") or None,
            max_body_bytes=_env_int("POLICYQA_MAX_BODY_BYTES", 3_000_000),
            ray=env.get("POLICYQA_RAY") or env.get("RAY_ADDRESS") or None,
            backend=env.get("POLICYQA_BACKEND") or None,
            serve_threads=_env_int("POLICYQA_SERVE_THREADS", 0),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(base, **given) if given else base

    def worker_threads(self) -> int:
        """How many requests the HTTP service computes at once (`serve_threads`, or twice the cores)."""
        return self.serve_threads or 2 * usable_cores()
