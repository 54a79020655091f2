"""ROUGE-1/2/L (character F1) of our summaries beside the lead baseline on both summary dev sets.

    .venv/bin/python benchmarks/summary_quality.py [--max-chars 150] [--half even|odd]

`--half` scores every other article only: tune on one half, check on the other.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from pathlib import Path

from embed.summary_eval import evaluate_summaries

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
SETS = ("crud_rag_event_summary", "cail2022_yqzy_lawbench")


def _half(path: Path, half: str | None, tmp: Path) -> Path:
    if half is None:
        return path
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out = tmp / f"{path.parent.name}-{half}.jsonl"
    out.write_text("".join(lines[0 if half == "even" else 1 :: 2]), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-chars", type=int, default=150)
    parser.add_argument("--half", choices=["even", "odd"], default=None)
    parser.add_argument("--json", action="store_true", help="one JSON object per set instead of a table")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if not EVAL.is_dir():
        raise SystemExit(f"{EVAL} not found: the dev sets live beside the checkout in ../shared/eval")
    print(f"| set (budget {args.max_chars}) | n | system R-1 / R-2 / R-L | lead R-1 / R-2 / R-L | ΔR-L |")
    print("| --- | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for name in SETS:
            path = _half(EVAL / name / "docs.jsonl", args.half, Path(tmp))
            r = evaluate_summaries(path, args.max_chars)
            if args.json:
                print(json.dumps({"set": name, **r}))
                continue
            ours = " / ".join(f"{r[k]:.4f}" for k in ("rouge1", "rouge2", "rougeL"))
            lead = " / ".join(f"{r['lead'][k]:.4f}" for k in ("rouge1", "rouge2", "rougeL"))
            delta = 100 * (r["rougeL"] - r["lead"]["rougeL"])
            print(f"| {name} | {r['n']} | {ours} | {lead} | {delta:+.2f} pts |")


if __name__ == "__main__":
    main()
