"""The index folder on disk: plain files, a manifest with checksums, written aside and swapped in."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import faiss
import numpy as np

from ..datamodels import Article, Chunk
from ..errors import IndexCorruptError, IndexNotFoundError, IndexWriteError, ModelMismatchError
from ..text.chunk import ChunkSettings
from .bm25 import BM25Index

if TYPE_CHECKING:
    from .index import Index

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FAISS_FILE = "faiss.index"
EMBEDDINGS_FILE = "embeddings.npy"
CHUNKS_FILE = "chunks.jsonl"
ARTICLES_FILE = "articles.jsonl"
USER_WORDS_FILE = "user_words.txt"
BM25_DIR = "bm25"
MODEL_DIR = "model"
"""The folder layout; the manifest is written last, so a folder without one is known to be half-written."""

REBUILD = "run `policyqa index` to rebuild it"

FORMAT_VERSION = 1
"""The folder format this code writes and reads; another version is refused with the fix."""


@dataclass(frozen=True, slots=True)
class Counts:
    """How many of each thing the folder holds; position is identity, so they must agree on load."""

    articles: int
    chunks: int
    vectors: int
    bm25_docs: int


@dataclass(frozen=True, slots=True)
class Manifest:
    """manifest.json: what the folder holds and how it was built; written last, read and checked first."""

    model: str
    encoder_name: str
    dim: int
    counts: Counts
    chunk_settings: ChunkSettings
    ann: str
    article_hashes: dict[str, str]
    built_at: str
    format_version: int = FORMAT_VERSION
    checksums: dict[str, str] = field(default_factory=dict)
    """sha256 of every other file, by its path in the folder (added by the writer)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        """Read the JSON form back; ValueError (or KeyError/TypeError) when a field is missing or mistyped."""
        fields = dict(data)
        fields["counts"] = Counts(**fields["counts"])
        fields["chunk_settings"] = ChunkSettings(**fields["chunk_settings"])
        manifest = cls(**fields)
        if not isinstance(manifest.model, str) or not isinstance(manifest.dim, int):
            raise ValueError("model must be a string and dim an integer")
        return manifest


@dataclass(frozen=True, slots=True, eq=False)
class IndexFiles:
    """What an index folder holds, read and verified: the parts an `Index` is made of."""

    manifest: Manifest
    chunks: list[Chunk]
    articles: dict[str, Article]
    embeddings: np.ndarray
    bm25: BM25Index
    user_words: list[str]
    vectors: faiss.Index
    model_dir: Path | None


WRITE_HINTS = {
    errno.ENOSPC: "free some disk space",
    errno.EDQUOT: "free some space within your disk quota",
    errno.EFBIG: "raise the file size limit (ulimit -f)",
    errno.EACCES: "make the folder writable",
    errno.EPERM: "make the folder writable",
    errno.EROFS: "choose a folder on a writable disk",
}
"""What to do about the usual reasons a write fails, by errno (also found by message in foreign errors)."""


def write_folder(index: Index, folder: Path) -> Path:
    """Write `index` into a fresh sibling temp folder, then swap it in place of `folder`.

    Raises:
        IndexCorruptError: `folder` is a file, not a folder (it is left alone).
        IndexWriteError: the disk is full, a file is too large, ...: one line saying what to do.
    """
    folder = folder.resolve()
    try:
        tmp = scratch_folder(folder)
    except OSError as exc:
        raise write_error(folder, exc) from exc
    try:
        _write_files(index, tmp)
        _swap_in(tmp, folder)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError | RuntimeError):  # faiss reports a failed write as a RuntimeError
            raise write_error(folder, exc) from exc
        raise
    logger.info("index saved to %s (%d chunks)", folder, len(index.chunks))
    return folder


def scratch_folder(folder: Path, what: str = "") -> Path:
    """A new temp folder beside the index `folder`, named for this process.

    A build killed with -9 cannot clean up after itself; the next one removes the folders whose process
    is gone (`remove_stale_scratch`), so at most one build's leftovers exist at any time.
    """
    folder = folder.resolve()
    _refuse_a_file(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    _restore_previous(folder)
    remove_stale_scratch(folder)
    tag = f"{what}-" if what else ""
    return Path(tempfile.mkdtemp(prefix=f"{_scratch_prefix(folder)}{os.getpid()}-{tag}", dir=folder.parent))


def is_scratch(path: Path) -> bool:
    """Whether `path` is a folder made by `scratch_folder`."""
    return path.name.startswith(".") and ".tmp-" in path.name


def remove_stale_scratch(folder: Path) -> None:
    """Remove the temp folders of earlier builds of `folder` whose process no longer runs."""
    prefix = _scratch_prefix(folder)
    for path in folder.parent.iterdir() if folder.parent.is_dir() else ():
        if not path.name.startswith(prefix):
            continue
        owner = path.name[len(prefix) :].split("-", 1)[0]
        if owner.isdigit() and _running(int(owner)):
            continue  # a build in progress (or this one)
        logger.info("removing %s, left by an interrupted build", path)
        _remove(path)


def _scratch_prefix(folder: Path) -> str:
    return f".{folder.name}.tmp-"


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _remove(path: Path) -> None:
    """Remove a folder or a file (our backup and temp names can be taken by a stray file)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _refuse_a_file(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise IndexCorruptError(
            f"{folder} is a file, not an index folder; it was left as it is: "
            "point --index-dir or POLICYQA_INDEX_DIR at a folder"
        )


def write_error(folder: Path, exc: BaseException) -> IndexWriteError:
    """One line for a failed write: what failed, and what to do; the previous index is untouched."""
    reason, code = _short_reason(exc)
    hint = WRITE_HINTS.get(code, "fix that") if code is not None else "fix that"
    return IndexWriteError(
        f"cannot write the index to {folder}: {reason}; the previous index is unchanged: {hint} and run again"
    )


def _short_reason(exc: BaseException) -> tuple[str, int | None]:
    """A short reason and its errno (shutil.Error lists every file; faiss, safetensors wrap the OS error)."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        return _short_reason(OSError(str(exc.args[0][0][-1])))
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc.strerror or os.strerror(exc.errno), exc.errno
    text = str(exc)
    for code in WRITE_HINTS:
        if os.strerror(code) in text:
            return os.strerror(code), code
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first[:200], None


def _write_files(index: Index, tmp: Path) -> None:
    faiss.write_index(index.vectors, str(tmp / FAISS_FILE))
    np.save(tmp / EMBEDDINGS_FILE, index.embeddings)
    _write_jsonl(tmp / CHUNKS_FILE, (c.to_dict() for c in index.chunks))
    _write_jsonl(tmp / ARTICLES_FILE, (a.to_dict() for a in index.articles.values()))
    (tmp / USER_WORDS_FILE).write_text("".join(f"{w}\n" for w in index.user_words), encoding="utf-8")
    index.bm25.save(tmp / BM25_DIR)
    if index.model_dir is not None:
        shutil.copytree(index.model_dir, tmp / MODEL_DIR)
    manifest = replace(manifest_of(index), checksums=_checksums(tmp))
    # The manifest goes last: its presence marks a complete folder.
    _write_durable(tmp / MANIFEST, json.dumps(manifest.to_dict(), ensure_ascii=False, indent=1))


def manifest_of(index: Index) -> Manifest:
    """The manifest of an index about to be written (without checksums: the writer adds them)."""
    return Manifest(
        model=index.model,
        encoder_name=index.encoder_name,
        dim=index.dim,
        counts=Counts(len(index.articles), len(index.chunks), int(index.vectors.ntotal), index.bm25.num_docs),
        chunk_settings=index.chunk_settings,
        ann=type(index.vectors).__name__,
        article_hashes=dict(index.hashes),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )


def _swap_in(tmp: Path, folder: Path) -> None:
    """Replace `folder` by `tmp` with renames only; `_restore_previous` undoes a crash between the two."""
    previous = _previous_path(folder)
    if previous.exists() or previous.is_symlink():
        _remove(previous)  # a leftover, or a stray file under our backup name
    if folder.exists():
        os.rename(folder, previous)
    os.rename(tmp, folder)
    _fsync_dir(folder.parent)
    _remove(previous)  # the new index is in place: failing to tidy up must not fail the build


def _previous_path(folder: Path) -> Path:
    return folder.parent / f".{folder.name}.previous"


def _restore_previous(folder: Path) -> None:
    """A kill between the two renames leaves only the previous index, under its backup name: put it back."""
    previous = _previous_path(folder)
    if not folder.exists() and (previous / MANIFEST).is_file():
        logger.warning("restoring the previous index from %s (an update was interrupted)", previous)
        os.rename(previous, folder)


def read_folder(folder: Path, model: str | None) -> IndexFiles:
    """Verify and read an index folder: manifest, checksums, every file, and that the counts agree."""
    _restore_previous(folder.resolve())
    _refuse_a_file(folder)
    if not folder.is_dir():
        raise IndexNotFoundError(f"no index at {folder}: run `policyqa index` to build one")
    manifest = _read_manifest(folder)
    if model is not None and model != manifest.model:
        raise ModelMismatchError(
            f"index at {folder} was built with model {manifest.model!r}, not {model!r}: "
            f"run `policyqa index --model {model}` to rebuild it, or use the model it was built with"
        )
    _verify_checksums(folder, manifest.checksums)
    try:
        files = _read_files(folder, manifest)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorruptError(f"index at {folder} cannot be read ({exc}): {REBUILD}") from exc
    _verify_counts(folder, files)
    return files


def _read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST
    if not path.is_file():
        raise IndexCorruptError(f"{folder} has no {MANIFEST} (half-written or not an index): {REBUILD}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{path} is damaged ({exc}): {REBUILD}") from exc
    if not isinstance(data, dict):
        raise IndexCorruptError(f"{path} lacks required fields: {REBUILD}")
    if data.get("format_version") != FORMAT_VERSION:
        found = data.get("format_version")
        raise IndexCorruptError(
            f"index at {folder} has format {found}, this version reads {FORMAT_VERSION}: {REBUILD}"
        )
    try:
        return Manifest.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexCorruptError(f"{path} lacks required fields ({exc}): {REBUILD}") from exc


CHUNK_TYPES: dict[str, Any] = {
    "chunk_id": int,
    "article_id": str,
    "title": str,
    "text": str,
    "start": int,
    "end": int,
    "source": str,
    "date": str | None,
    "page": int | None,
}
ARTICLE_TYPES: dict[str, Any] = {
    "article_id": str,
    "title": str,
    "text": str,
    "source": str,
    "date": str | None,
    "year": int | None,
    "year_basis": str | None,
    "byline": list,
    "page": int | None,
}
"""Field types of the stored records. Checksums catch damage, not a file rewritten with its checksum;
such a file must fail here, at load, rather than as a 500 on some later request."""


def _checked(row: Any, types: dict[str, Any], where: str) -> dict[str, Any]:
    """`row` when it is an object whose fields have the stored types; ValueError saying what is wrong."""
    if not isinstance(row, dict):
        raise ValueError(f"{where} is not a JSON object")
    for name, value in row.items():
        expected = types.get(name)
        if expected is None:
            raise ValueError(f"{where} has an unknown field {name[:40]!r}")
        if isinstance(value, bool) or not isinstance(value, expected):  # bool is an int to isinstance
            shown = getattr(expected, "__name__", expected)
            raise ValueError(f"{where}: {name!r} is {type(value).__name__}, expected {shown}")
    return row


def _read_files(folder: Path, manifest: Manifest) -> IndexFiles:
    chunks = []
    for number, row in enumerate(_read_jsonl(folder / CHUNKS_FILE)):
        chunk = Chunk(**_checked(row, CHUNK_TYPES, f"{CHUNKS_FILE} row {number}"))
        if chunk.chunk_id != number:  # position is identity
            raise ValueError(f"{CHUNKS_FILE} row {number} has chunk_id {chunk.chunk_id}")
        chunks.append(chunk)
    articles = {}
    for number, row in enumerate(_read_jsonl(folder / ARTICLES_FILE)):
        row = _checked(row, ARTICLE_TYPES, f"{ARTICLES_FILE} row {number}")
        if not all(isinstance(name, str) for name in row.get("byline") or ()):
            raise ValueError(f"{ARTICLES_FILE} row {number}: 'byline' must hold strings")
        row["byline"] = tuple(row.get("byline") or ())
        articles[row["article_id"]] = Article(**row)
    words = (folder / USER_WORDS_FILE).read_text(encoding="utf-8").split("\n")
    model_dir = folder / MODEL_DIR
    return IndexFiles(
        manifest=manifest,
        chunks=chunks,
        articles=articles,
        # Memory-mapped: a search reads a few rows of these, so only those pages become resident
        # (at 100k passages the vectors alone are 100 MB, held twice: here and in FAISS).
        embeddings=np.load(folder / EMBEDDINGS_FILE, allow_pickle=False, mmap_mode="r"),
        bm25=BM25Index.load(folder / BM25_DIR, mmap=True),
        user_words=[w for w in words if w],
        vectors=faiss.read_index(str(folder / FAISS_FILE), faiss.IO_FLAG_MMAP_IFC),
        model_dir=model_dir if model_dir.is_dir() else None,
    )


def _verify_counts(folder: Path, files: IndexFiles) -> None:
    """Position is identity: chunks, vectors, BM25 docs and the manifest must all agree."""
    counts = files.manifest.counts
    found = {
        "chunks": len(files.chunks),
        "vectors": int(files.vectors.ntotal),
        "embeddings": int(files.embeddings.shape[0]),
        "bm25_docs": files.bm25.num_docs,
        "articles": len(files.articles),
    }
    expected = {
        "chunks": counts.chunks,
        "vectors": counts.chunks,
        "embeddings": counts.chunks,
        "bm25_docs": counts.chunks,
        "articles": counts.articles,
    }
    bad = {k: (found[k], expected[k]) for k in found if found[k] != expected[k]}
    embeddings = files.embeddings
    if bad or embeddings.ndim != 2 or embeddings.shape[1] != files.manifest.dim:
        raise IndexCorruptError(f"index at {folder} is inconsistent (found, expected: {bad}): {REBUILD}")


def _checksums(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): _sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _verify_checksums(folder: Path, expected: dict[str, str]) -> None:
    if not expected:
        raise IndexCorruptError(f"index at {folder} has no checksums: {REBUILD}")
    for name, digest in expected.items():
        path = folder / name
        if not path.is_file():
            raise IndexCorruptError(f"index at {folder} lacks {name}: {REBUILD}")
        if _sha256(path) != digest:
            raise IndexCorruptError(f"{path} does not match its checksum (damaged or edited): {REBUILD}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_jsonl(path: Path, rows: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _write_durable(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
