"""How closely the Milvus backend (milvus-lite) agrees with the embedded folder index, and how fast it is.

    python benchmarks/milvus_agreement.py [--corpus PATH --qa FILE ...]

Indexes seeds/ (or --corpus) once (built-in model), saves it to a folder and writes it to a milvus-lite file,
then for every question of ../shared/eval/seeds_qa/{dev,paraphrased_dev,unanswerable_dev}.jsonl (or --qa)
compares the hybrid top-5 (passage ids, in order), the largest fused-score difference and the answer text;
plus search latency.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
QA = REPO.parent / "shared" / "eval" / "seeds_qa"
QA_FILES = ("dev", "paraphrased_dev", "unanswerable_dev")


def main() -> None:
    """Print one line per QA file and the latency of both backends."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO / "seeds")
    parser.add_argument("--qa", type=Path, nargs="+", default=[QA / f"{n}.jsonl" for n in QA_FILES])
    args = parser.parse_args()
    from embed.archive import Archive
    from embed.backend import parse_backend
    from embed.config import Settings
    from embed.index.index import build_index
    from embed.ingest.ingest import read_corpus
    from embed.milvus.store import write_index

    with tempfile.TemporaryDirectory(prefix="milvus-agree-") as tmp:
        folder = Settings(index_dir=Path(tmp) / "idx")
        milvus = Settings(index_dir=Path(tmp) / "idx", backend=f"milvus://{tmp}/qa.db/seeds")
        index = build_index(read_corpus([args.corpus]).articles, folder)
        index.save(folder.index_dir)
        start = time.perf_counter()
        write_index(index, parse_backend(milvus.backend))
        print(f"wrote {len(index.chunks)} passages to milvus-lite in {time.perf_counter() - start:.1f} s")
        embedded, served = Archive.open(folder), Archive.open(milvus)
        times: dict[str, list[float]] = {"embedded": [], "milvus": []}
        for path in args.qa:
            name = f"{path.parent.name}/{path.name}"
            questions = [json.loads(line)["question"] for line in path.open(encoding="utf-8")]
            same_top, same_answer, worst = 0, 0, 0.0
            for q in questions:
                hits = {}
                for label, retriever in (("embedded", embedded), ("milvus", served)):
                    t = time.perf_counter()
                    hits[label] = retriever.search(q, k=5)
                    times[label].append(time.perf_counter() - t)
                a, b = hits["embedded"], hits["milvus"]
                same_top += [h.chunk.chunk_id for h in a] == [h.chunk.chunk_id for h in b]
                worst = max([worst, *(abs(x.score - y.score) for x, y in zip(a, b, strict=False))])
                same_answer += embedded.ask(q).text == served.ask(q).text
            n = len(questions)
            print(f"{name}: {n} questions; same top-5 (ids, order) {same_top}/{n}; "
                  f"same answer {same_answer}/{n}; largest fused-score difference {worst:.2e}")  # fmt: skip
        for label, values in times.items():
            values = sorted(values)
            p50, p99 = statistics.median(values), values[int(0.99 * (len(values) - 1))]
            print(f"search latency {label}: p50 {p50 * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
