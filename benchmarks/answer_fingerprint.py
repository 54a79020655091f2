"""Every search result and answer on the seed dev questions, as one JSON document: diff two checkouts.

Quality must stay exactly the same when only speed or memory work changes the code, so two runs (the
branch and main, on the same index) must print identical bytes:

    .venv/bin/python benchmarks/answer_fingerprint.py --index-dir /tmp/pq/s > new.json
    (cd ../main && .venv/bin/python ../wt/benchmarks/answer_fingerprint.py --index-dir /tmp/pq/s) > old.json
    cmp old.json new.json

Each question gives its top 10 (chunk id, score to 6 places) per search mode and the answer's sentences and
confidence. The embed package is imported from the current directory, so run it from the checkout to test.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SEEDS_QA = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "seeds_qa"
FILES = ("dev.jsonl", "paraphrased_dev.jsonl", "unanswerable_dev.jsonl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--qa-dir", type=Path, default=SEEDS_QA)
    args = parser.parse_args()
    sys.path.insert(0, str(Path.cwd()))
    from embed.archive import Archive
    from embed.config import Settings

    archive = Archive.open(Settings.from_env(index_dir=args.index_dir))
    out = []
    for name in FILES:
        with open(args.qa_dir / name, encoding="utf-8") as f:
            questions = [json.loads(line)["question"] for line in f if line.strip()]
        for question in questions:
            for mode in ("bm25", "dense", "hybrid"):
                hits = archive.search(question, k=10, mode=mode)
                out.append([question, mode, [(h.chunk.chunk_id, round(h.score, 6)) for h in hits]])
            answer = archive.ask(question)
            out.append([question, "ask", [s.text for s in answer.sentences], round(answer.confidence, 6)])
    json.dump(out, sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
