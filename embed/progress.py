"""Progress of long work (indexing stages, batch summaries): a tqdm bar on a terminal, plain lines in logs."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

PROGRESS_SECONDS = 5.0
"""When stderr is not a terminal, a progress line is written at most this often (and once at the end)."""


class Progress:
    """A tqdm bar (rate, ETA) on a terminal; otherwise a plain stderr line every PROGRESS_SECONDS.

    Args:
        total: how many steps there are (None when unknown: the line gives the count and the rate).
        mode: True forces the bar, False shows nothing, None (default) picks by whether stderr is a terminal.
        desc: what is going on, for the bar ("summarizing", "embedding").
        done: the verb of the plain lines ("summarized"); `desc` when empty.
        unit: what is counted, singular ("article"); the plain lines add an "s".
    """

    def __init__(
        self, total: int | None, mode: bool | None = None, desc: str = "", done: str = "", unit: str = "item"
    ) -> None:
        self.total = total
        self.count = 0
        self.start = self.last = time.monotonic()
        self.lines = mode is None and not sys.stderr.isatty()
        self.done, self.unit = done or desc, unit
        self._bar = None
        if mode or (mode is None and not self.lines):
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit=unit, desc=desc, dynamic_ncols=True)

    def update(self, n: int = 1) -> None:
        """Count `n` more steps done."""
        self.count += n
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        if self.lines and (now - self.last >= PROGRESS_SECONDS or self.count == self.total):
            self.last = now
            self._line(now)

    def _line(self, now: float) -> None:
        rate = self.count / max(now - self.start, 1e-9)
        if self.total is None:
            where = f"{self.count} {self.unit}s ({rate:.1f}/s)"
        else:
            eta = (self.total - self.count) / rate if rate > 0 else 0.0
            where = f"{self.count}/{self.total} {self.unit}s ({rate:.1f}/s, ETA {eta:.0f}s)"
        # A progress display, like tqdm's bar: it goes to stderr whatever the logging level.
        sys.stderr.write(f"{self.done} {where}\n")
        sys.stderr.flush()

    def close(self) -> None:
        """End the bar; with an unknown total, the plain lines end with the final count."""
        if self._bar is not None:
            self._bar.close()
        elif self.lines and self.total is None and self.count:
            self._line(time.monotonic())

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def track(
    items: Iterable[T], total: int | None = None, mode: bool | None = None, desc: str = "", unit: str = "item"
) -> Iterator[T]:
    """Yield `items`, counting each one on a `Progress` (its total from len() when it has one)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with Progress(total, mode, desc=desc, unit=unit) as progress:
        for item in items:
            yield item
            progress.update()
