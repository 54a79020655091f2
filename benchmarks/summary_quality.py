"""ROUGE-1/2/L (character F1) of our summaries beside lead and the greedy oracle on both summary dev sets.

    .venv/bin/python benchmarks/summary_quality.py [--max-chars 150 200] [--half even odd]

`--half` scores every other line of each file only (even: lines 0, 2, ...): tune on one half, check on the
other. Several budgets or halves give one table row per combination. The oracle is the greedy ROUGE-L
oracle under the same budget rule (`embed.eval.summary.greedy_oracle`): an upper bound, not a system.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from pathlib import Path

from embed.eval.summary import evaluate_summaries

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
    parser.add_argument("--max-chars", type=int, nargs="+", default=[150])
    parser.add_argument("--half", choices=["even", "odd"], nargs="+", default=[None])
    parser.add_argument("--json", action="store_true", help="one JSON object per set instead of a table")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if not EVAL.is_dir():
        raise SystemExit(f"{EVAL} not found: the dev sets live beside the checkout in ../shared/eval")
    if not args.json:
        print(
            "| set | half | budget | n | system R-1 / R-2 / R-L | lead R-1 / R-2 / R-L | oracle R-L | ΔR-L |"
        )
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for half in args.half:
            for max_chars in args.max_chars:
                for name in SETS:
                    path = _half(EVAL / name / "docs.jsonl", half, Path(tmp))
                    _report(name, half, evaluate_summaries(path, max_chars, oracle=True), as_json=args.json)


def _report(name: str, half: str | None, r: dict, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"set": name, "half": half or "all", **r}))
        return
    ours = " / ".join(f"{r[k]:.4f}" for k in ("rouge1", "rouge2", "rougeL"))
    lead = " / ".join(f"{r['lead'][k]:.4f}" for k in ("rouge1", "rouge2", "rougeL"))
    delta = 100 * (r["rougeL"] - r["lead"]["rougeL"])
    oracle = r["oracle"]["rougeL"]
    print(
        f"| {name} | {half or 'all'} | {r['max_chars']} | {r['n']} | {ours} | {lead} | {oracle:.4f} "
        f"| {delta:+.2f} pts |"
    )


if __name__ == "__main__":
    main()
