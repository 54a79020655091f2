"""Batch summarization speed (articles per second) on the ../shared/eval news files, by worker count.

    .venv/bin/python benchmarks/summarize_speed.py [--workers 1 2] [--max-chars 200]

Wall time includes reading and cleaning the files and starting the workers, as `policyqa summarize` does.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from pathlib import Path

from embed.batch.batch import summarize_corpus

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
FILES = [EVAL / "crud_rag_event_summary" / "docs.jsonl", EVAL / "cail2022_yqzy_lawbench" / "docs.jsonl"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--max-chars", type=int, default=200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if not all(f.is_file() for f in FILES):
        raise SystemExit(f"news files not found under {EVAL}")
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            out = Path(tmp) / f"summaries-{workers}.jsonl"
            report = summarize_corpus(
                FILES, out, "jsonl", args.max_chars, workers, force=True, progress=False
            )
            resumed = summarize_corpus(FILES, out, "jsonl", args.max_chars, workers, progress=False)
            print(
                json.dumps(
                    {
                        "workers": workers,
                        "articles": report.articles,
                        "seconds": round(report.seconds, 2),
                        "articles_per_s": round(report.articles / report.seconds, 1),
                        "resume_seconds": round(resumed.seconds, 2),
                        "resume_reused": resumed.reused,
                    }
                )
            )


if __name__ == "__main__":
    main()
