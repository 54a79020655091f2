"""Built-in model speed: fitting time per MB of passages, single-query latency, passage throughput.

    .venv/bin/python benchmarks/encoder_speed.py                 # 1 MB and 10 MB of passages
    .venv/bin/python benchmarks/encoder_speed.py --mb 1,10,35    # up to ~100k passages

Passages: CMRC and CRUD-RAG articles scaled by clause shuffles (benchmarks/scaled_corpus.py), chunked as the
index does. Each size prints one JSON line: characters, MB (UTF-8), fit seconds (wall and CPU), MB/min,
vocabulary, steps, query p50/p99 ms (one query per call, 200 CMRC questions) and passages/s.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from scaled_corpus import EVAL, real_articles, shuffled_copy  # noqa: E402

from embed.model.builtin import INFO_FILE, train_builtin_model  # noqa: E402
from embed.model.encoder import load_encoder  # noqa: E402
from embed.text.chunk import ChunkSettings, chunk_article, passage_text  # noqa: E402


def passages_of_size(mb: float) -> list[str]:
    """Passage texts (title + chunk, as indexed) adding up to about `mb` MB of UTF-8."""
    rules, base, out, size, r = ChunkSettings(), real_articles(), [], 0, 0
    while size < mb * 1e6:
        for i, article in enumerate(base):
            art = article if r == 0 else shuffled_copy(article, r, i)
            for chunk in chunk_article(art, rules, 0):
                out.append(passage_text(chunk))
                size += len(out[-1].encode("utf-8"))
            if size >= mb * 1e6:
                break
        r += 1
    return out


def questions() -> list[str]:
    """CMRC questions for query timing."""
    with open(EVAL / "cmrc2018_retrieval" / "queries.jsonl", encoding="utf-8") as f:
        return [json.loads(line)["question"] for line in f][:220]


def measure(mb: float) -> dict[str, object]:
    """Fit on `mb` MB of passages, then time queries and passage encoding."""
    texts = passages_of_size(mb)
    size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu = time.perf_counter(), time.process_time()
        model_dir = train_builtin_model(texts, Path(tmp) / "model")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        info = json.loads((model_dir / INFO_FILE).read_text(encoding="utf-8"))
        encoder = load_encoder("builtin", model_dir)
        latencies = []
        for i, question in enumerate(questions()):
            started = time.perf_counter()
            encoder.encode_queries([question])
            if i >= 20:  # the first calls warm up
                latencies.append((time.perf_counter() - started) * 1000)
        sample = texts[:20000]
        started = time.perf_counter()
        encoder.encode_passages(sample)
        throughput = len(sample) / (time.perf_counter() - started)
    latencies.sort()
    return {
        "passages": len(texts),
        "chars": sum(map(len, texts)),
        "mb": round(size, 2),
        "fit_wall_s": round(wall, 1),
        "fit_cpu_s": round(cpu, 1),
        "mb_per_min_wall": round(size / wall * 60, 2),
        "vocab": info["vocab"],
        "steps": info["steps"],
        "query_p50_ms": round(statistics.median(latencies), 2),
        "query_p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 2),
        "passages_per_s": round(throughput),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    """Run the sizes asked for and print one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", default="1,10", help="comma-separated sizes in MB of passage text")
    args = parser.parse_args()
    for mb in (float(x) for x in args.mb.split(",")):
        print(json.dumps({"size_mb": mb, **measure(mb)}), flush=True)


if __name__ == "__main__":
    main()
