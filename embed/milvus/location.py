"""Where a Milvus index lives: a `--backend milvus://...` value parsed into a collection location.

`--backend` (or POLICYQA_BACKEND) takes:

- `milvus://HOST:PORT/COLLECTION` — a Milvus server (`milvus://USER:PASSWORD@HOST:PORT/COLLECTION` with
  authentication on; `milvuss://` for TLS);
- `milvus:///ABSOLUTE/PATH/FILE.db/COLLECTION` or `milvus://./RELATIVE/FILE.db/COLLECTION` — a milvus-lite
  file (same client API, no server).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import BadInputError

COLLECTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,200}$")
"""Milvus's rule for collection names (letters, digits, underscores; not starting with a digit)."""


class BackendError(BadInputError):
    """A --backend value that cannot be used (bad form, or its extra is not installed)."""


@dataclass(frozen=True, slots=True)
class MilvusLocation:
    """A Milvus collection: the client URI (server address or milvus-lite file), the collection, a token."""

    uri: str
    collection: str
    token: str | None = None

    @property
    def is_lite(self) -> bool:
        """Whether this is a local milvus-lite file rather than a server."""
        return not self.uri.startswith(("http://", "https://"))


def parse_backend(spec: str) -> MilvusLocation:
    """Parse a `milvus://` backend value (see the module docstring).

    Raises:
        BackendError: another scheme, no collection, or a collection name Milvus would refuse.
    """
    parts = urlsplit(spec)
    if parts.scheme not in ("milvus", "milvuss"):
        raise BackendError(
            f"--backend {spec!r}: expected milvus://HOST:PORT/COLLECTION or milvus:///FILE.db/COLLECTION"
        )
    folder, _, collection = parts.path.rpartition("/")
    if not COLLECTION_NAME.match(collection):
        raise BackendError(
            f"--backend {spec!r}: collection {collection!r} must be letters, digits and underscores"
        )
    if parts.netloc in ("", "."):
        if not folder or folder == "/":
            raise BackendError(
                f"--backend {spec!r}: a milvus-lite file needs a path, e.g. milvus:///tmp/qa.db/news"
            )
        path = Path(folder.lstrip("/")) if parts.netloc == "." else Path(folder)
        return MilvusLocation(str(path), collection)
    if folder:
        raise BackendError(f"--backend {spec!r}: a server URI is milvus://HOST:PORT/COLLECTION (no path)")
    scheme = "https" if parts.scheme == "milvuss" else "http"
    token = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}" if parts.username else None
    host = parts.hostname or ""
    return MilvusLocation(f"{scheme}://{host}:{parts.port or 19530}", collection, token)
