"""Strict JSON-lines reading for evaluation files: every line an object, or an error naming file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import BadInputError


def iter_objects(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of `path`.

    Raises:
        FileNotFoundError: `path` does not exist.
        ValueError: a line is not valid JSON or not a JSON object (the message names file and line).
    """
    with Path(path).open(encoding="utf-8-sig") as handle:  # -sig: a BOM on line 1 is not an error
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BadInputError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise BadInputError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
            yield number, row
