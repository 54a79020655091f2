"""A cold `policyqa ask`: wall time and peak memory of a fresh process answering one question.

Each run is a new `python -m embed ask` process (imports, index and model loading included), as a user
typing the command meets it. The index is built from seeds/ into --index-dir when there is none.

    .venv/bin/python benchmarks/cold_ask.py [--index-dir /tmp/pq/seeds] [--runs 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = ("沁泉湖公园什么时候开园？", "大沙河生态治理项目占地多少亩？", "示范区有哪些重点工作？")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, default=REPO / ".policyqa")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    command = [sys.executable, "-m", "embed"]
    if not (args.index_dir / "manifest.json").exists():
        subprocess.run(
            [*command, "index", str(REPO / "seeds"), "--index-dir", str(args.index_dir)], check=True
        )
    times, cpu, peaks = [], [], []
    for run in range(args.runs):
        question = QUESTIONS[run % len(QUESTIONS)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [*command, "ask", question, "--index-dir", str(args.index_dir)], check=True, capture_output=True
        )
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU seconds (user + system) move less than wall time when other work shares the machine.
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        # ru_maxrss of children is the largest so far (KB on Linux): it grows only if this run peaked higher.
        peaks.append(max(after.ru_maxrss, before.ru_maxrss) / 1024)
    print(
        f"cold ask over {args.runs} runs: median {statistics.median(times):.2f} s, "
        f"min {min(times):.2f} s, max {max(times):.2f} s; CPU median {statistics.median(cpu):.2f} s; "
        f"peak RSS {max(peaks):.0f} MB"
    )


if __name__ == "__main__":
    main()
