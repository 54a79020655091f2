"""Reading speed per file format (pages per second), from generated files, and the extras' install sizes.

    .venv/bin/python benchmarks/ingest_formats.py [--pages 200] [--scans 3] [--docs 50]

Each row times `read_corpus` on a folder of one format: reading, layout, cleaning and article splitting
(no embedding). Text PDF pages are newspaper pages with three articles in columns; scans are rendered
with a CJK font from Debian (fonts-wqy-microhei) and read by OCR (needs the `ocr` extra); Word documents
are one-page notices with a table; web pages are saved news pages. Needs the dev extra (reportlab).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from format_fixtures import (  # noqa: E402 - the fixtures live with the tests
    BRIDGE,
    NEWS_PAGE,
    cjk_font,
    draw_scanned_page,
    draw_three_article_page,
    render_scan,
    write_docx_notice,
    write_pdf,
)

import embed.ingest.pdf  # noqa: E402
from embed.ingest.ingest import read_corpus  # noqa: E402
from embed.ingest.ocr import ocr_available  # noqa: E402

CORE = ["torch", "sentence-transformers", "faiss-cpu", "fastapi", "uvicorn", "pydantic", "jieba", "bm25s"]
"""The runtime dependencies the project had before the file formats."""

EXTRAS = {
    "formats (runtime)": ["pypdfium2", "pypdf", "python-docx", "trafilatura", "lxml_html_clean"],
    "ocr extra": ["rapidocr", "onnxruntime"],
}


def _time(folder: Path, units: int, label: str, unit: str) -> dict[str, object]:
    started = time.perf_counter()
    corpus = read_corpus([folder])
    seconds = time.perf_counter() - started
    return {
        "format": label,
        unit: units,
        "articles": len(corpus.articles) + corpus.duplicates_dropped,
        "skipped": len(corpus.skipped),
        "seconds": round(seconds, 2),
        f"{unit}_per_s": round(units / seconds, 2),
    }


def _closure(names: list[str]) -> set[str]:
    """These distributions and everything they require (extras not asked for left out), as installed."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    todo = [canonicalize_name(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        seen.add(name)
        for line in requires:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(req.name))
    return seen


def _installed_mib(names: list[str], already: set[str]) -> tuple[float, list[str]]:
    """MiB on disk that these distributions add, with what they pull in, beyond the `already` installed."""
    added = sorted(_closure(names) - already)
    total = 0
    for name in added:
        dist = importlib.metadata.distribution(name)
        for file in dist.files or ():
            path = Path(dist.locate_file(file))
            if path.is_file():
                total += path.stat().st_size
    return total / 2**20, added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200, help="text PDF pages")
    parser.add_argument("--scans", type=int, default=3, help="scanned PDF pages (OCR)")
    parser.add_argument("--docs", type=int, default=50, help="Word documents and web pages")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)

        def folder(name: str, make: Callable[[Path], None]) -> Path:
            path = root / name
            path.mkdir()
            make(path)
            return path

        pages = [draw_three_article_page] * args.pages
        text_pdf = folder("pdf", lambda p: write_pdf(p / "issue.pdf", *pages))
        rows.append(_time(text_pdf, args.pages, "PDF text layer (pypdfium2)", "pages"))
        real = embed.ingest.pdf.read_pdf
        embed.ingest.pdf.read_pdf = lambda path, skipped: embed.ingest.pdf._pypdf_pages(path, skipped)
        try:
            rows.append(_time(text_pdf, args.pages, "PDF text layer (pypdf fallback)", "pages"))
        finally:
            embed.ingest.pdf.read_pdf = real
        if ocr_available() and cjk_font() is not None:
            image = render_scan(BRIDGE, cjk_font())
            scanned = [draw_scanned_page(image)] * args.scans
            scans = folder("scan", lambda p: write_pdf(p / "scan.pdf", *scanned))
            rows.append(_time(scans, args.scans, "PDF scanned pages (OCR)", "pages"))
        else:
            print("# scanned pages not timed: needs the ocr extra and fonts-wqy-microhei", file=sys.stderr)
        docx = folder("docx", lambda p: [write_docx_notice(p / f"n{k}.docx") for k in range(args.docs)])
        rows.append(_time(docx, args.docs, "Word .docx (one-page notices)", "pages"))
        html = folder(
            "html",
            lambda p: [(p / f"n{k}.html").write_text(NEWS_PAGE, encoding="utf-8") for k in range(args.docs)],
        )
        rows.append(_time(html, args.docs, "saved web pages (trafilatura)", "pages"))
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    # What each adds on top of the core install (torch, sentence-transformers, faiss, fastapi, ...).
    already = _closure(CORE)
    for extra, names in EXTRAS.items():
        mib, added = _installed_mib(names, already)
        print(json.dumps({"install": extra, "adds_MiB": round(mib, 1), "distributions": added}))
        already |= set(added)


if __name__ == "__main__":
    main()
