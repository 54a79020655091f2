"""Dependencies inside embed/ point one way: down the pipeline, from the entry points to the shared base."""

from __future__ import annotations

import ast
from pathlib import Path

EMBED = Path(__file__).resolve().parent.parent / "embed"

LAYERS = [
    ["config", "errors", "datamodels", "progress"],  # the shared base: settings, errors, records, progress
    ["text"],  # sentences, words, cleaning, passages, keywords
    ["ingest"],  # files -> articles
    ["model"],  # encoders and the built-in model; the linear scorer
    ["index"],  # passages + vectors + BM25, and the index folder
    ["search"],  # fused retrieval over an index
    ["milvus"],  # the same index and search, kept in Milvus
    ["answer"],  # extractive answers over retrieved passages
    ["summarize"],  # extractive article summaries
    ["batch"],  # offline summaries of a corpus, and building on Ray
    ["eval"],  # `policyqa eval`: QA and summary metrics
    ["backend", "archive", "pipeline"],  # the application layer the CLI, the API and batch jobs share
    ["__init__", "__main__"],  # the public API (lazy) and the command line
]
"""Layers from the bottom up: a module may import its own layer and the ones below it, never one above.

A layer's name is a sub-package of embed/ or a top-level module. Lazy (in-function) and type-checking imports
count too: they are dependencies all the same.
"""

LAYER_OF = {name: rank for rank, names in enumerate(LAYERS) for name in names}

ALLOWED_BACK_EDGES: set[tuple[str, str]] = set()
"""(importing module, imported module) pairs that go up a layer on purpose; none today."""

OUTSIDE = ("api", "fastapi", "uvicorn", "starlette")
"""The HTTP edge: only the command line (`policyqa serve`) may reach it."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(EMBED.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 2 else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports (absolute names), with its line; relative imports resolved."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            if node.module is None:  # `from . import x`: x is a module of that package
                found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, module))
    return found


def _layer(module: str) -> str:
    """`embed.search.retrieve` -> "search"; `embed.archive` -> "archive"; `embed` -> "__init__"."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _modules() -> list[Path]:
    return sorted(EMBED.rglob("*.py"))


def test_every_module_of_embed_belongs_to_a_layer():
    unplaced = sorted({_layer(_module_name(path)) for path in _modules()} - LAYER_OF.keys())
    assert not unplaced, f"add these to LAYERS in tests/test_layers.py: {unplaced}"


def test_no_module_imports_a_higher_layer():
    offences = []
    for path in _modules():
        module = _module_name(path)
        for line, imported in _imports(path):
            if imported.split(".")[0] != "embed" or (module, imported) in ALLOWED_BACK_EDGES:
                continue
            low, high = _layer(module), _layer(imported)
            if LAYER_OF.get(high, -1) > LAYER_OF.get(low, len(LAYERS)):
                rel = path.relative_to(EMBED.parent)
                offences.append(f"{rel}:{line} imports {imported} ({high} is above {low})")
    assert not offences, "imports that point up the layers:\n" + "\n".join(offences)


def test_only_the_command_line_reaches_the_http_edge():
    offences = [
        f"{path.relative_to(EMBED.parent)}:{line} imports {imported}"
        for path in _modules()
        if path != EMBED / "__main__.py"
        for line, imported in _imports(path)
        if imported.split(".")[0] in OUTSIDE
    ]
    assert not offences, "\n".join(offences)


def test_the_layer_check_resolves_relative_imports():
    found = {name: line for line, name in _imports(EMBED / "search" / "retrieve.py")}
    assert "embed.index.index" in found and "embed.datamodels" in found
