"""Giving freed memory back to the system after an index swap."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
from collections.abc import Callable
from functools import lru_cache

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    """The C library's malloc_trim (glibc), or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def trim_memory() -> None:
    """Collect the old index's objects now and return the freed heap pages to the system.

    A reload frees a whole index (the tokenizer's dictionary copy alone is tens of MB) in many small
    blocks spread over the allocator's per-thread arenas; glibc keeps such pages, so the process grew
    by about 0.9 MB per reload although only one index stays alive (benchmarks/reload_memory.py).
    """
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
