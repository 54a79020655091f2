"""Single process vs `--ray local` vs a two-node loopback Ray cluster: throughput and peak memory.

    python benchmarks/scale_out.py [--articles 3000] [--skip-modes] [--skip-stages]

1. modes: `policyqa index` and `policyqa summarize` on the first N articles of
   ../shared/eval/news_archive/corpus.jsonl (cut into 6 files), run three ways: one process, `--ray local`,
   and the two-node cluster of tests/ray_cluster.py (head 127.0.0.2 + worker 127.0.0.3, one CPU each). The
   Ray runs happen inside `unshare -n` (Ray listens on every interface). Wall time and the peak summed RSS of
   the whole process tree (drivers, raylets, GCS, workers), sampled every 0.25 s.
2. stages: the single-process build, step by step, at N/3 and N articles (each in a fresh process): the
   marginal seconds per passage of each step and of the peak RSS (the slope between the two sizes) and the
   fixed part; the README's 1M/10M estimate is computed from these numbers (printed here).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CORPUS = REPO.parent / "shared" / "eval" / "news_archive" / "corpus.jsonl"
FILES = 6


def _tree_rss(root: int) -> int:
    """Summed RSS (bytes) of `root` and all its descendants."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,rss="], capture_output=True, text=True).stdout
    rows = [tuple(map(int, line.split())) for line in out.splitlines() if line.strip()]
    pids, grew = {root}, True
    while grew:
        more = {pid for pid, ppid, _ in rows if ppid in pids} - pids
        pids |= more
        grew = bool(more)
    return 1024 * sum(rss for pid, _, rss in rows if pid in pids)


def _measure(cmd: list[str], cwd: Path = REPO) -> tuple[float, int, subprocess.CompletedProcess]:
    """Run `cmd`; wall seconds, peak summed RSS of its process tree, and the finished process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    sampler.join()
    done = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err[-3000:]}")
    return time.perf_counter() - start, peak[0], done


def _corpus(folder: Path, n: int) -> int:
    with CORPUS.open(encoding="utf-8") as f:
        lines = [line for _, line in zip(range(n), f, strict=False)]
    per = -(-len(lines) // FILES)
    for i in range(FILES):
        (folder / f"part{i}.jsonl").write_text("".join(lines[i * per : (i + 1) * per]), "utf-8")
    return sum(len(line.encode()) for line in lines)


def modes(n: int) -> list[dict]:
    """The three ways, end to end."""
    py = sys.executable
    rows = []
    with tempfile.TemporaryDirectory(prefix="scale-out-") as tmp:
        tmp = Path(tmp)
        (tmp / "corpus").mkdir()
        size = _corpus(tmp / "corpus", n)
        c = str(tmp / "corpus")
        local = "ip link set lo up && exec " + py + " -m embed {}"
        runs = {
            "single process": (
                [py, "-m", "embed", "index", c, "--index-dir", str(tmp / "a")],
                [py, "-m", "embed", "summarize", c, "-o", str(tmp / "a.jsonl"), "--workers", "1"],
            ),
            "single process, 2 workers (summarize)": (
                None,
                [py, "-m", "embed", "summarize", c, "-o", str(tmp / "a2.jsonl"), "--workers", "2"],
            ),
            "--ray local (2 CPUs)": (
                ["unshare", "-n", "sh", "-c", local.format(f"index {c} --ray local --index-dir {tmp / 'b'}")],
                [
                    "unshare",
                    "-n",
                    "sh",
                    "-c",
                    local.format(f"summarize {c} --ray local -o {tmp / 'b.jsonl'}"),
                ],
            ),
        }
        for name, (index_cmd, summarize_cmd) in runs.items():
            row = {"mode": name, "articles": n, "mb": size / 1e6}
            if index_cmd:
                row["index_s"], row["index_peak"], done = _measure(index_cmd)
                report = json.loads(done.stdout.strip().splitlines()[-1])
                row["passages"] = report["chunks"]
            row["summarize_s"], row["summarize_peak"], _ = _measure(summarize_cmd)
            rows.append(row)
            print(json.dumps(row), flush=True)
        cluster = tmp / "cluster"
        cluster.mkdir()
        wall, peak, _ = _measure(
            ["unshare", "-n", py, str(REPO / "tests" / "ray_cluster.py"), str(cluster), c]
        )
        report = json.loads((cluster / "cluster.json").read_text())
        row = {
            "mode": "two-node cluster (1 CPU each)",
            "articles": n,
            "mb": size / 1e6,
            "index_s": report["index_s"],
            "summarize_s": report["summarize_s"],
            "session_peak": peak,
            "session_s": wall,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
        same = [
            (tmp / "a" / "embeddings.npy").read_bytes() == (p / "embeddings.npy").read_bytes()
            for p in (tmp / "b", cluster / "ray_idx")
        ]
        print(f"vectors byte-identical to the single process: --ray local {same[0]}, cluster {same[1]}")
    return rows


def stages(n: int) -> dict:
    """Seconds per passage of every step of the single-process build, and the driver's peak RSS."""
    from embed.config import Settings
    from embed.index.bm25 import BM25Index
    from embed.index.index import Index, _fresh_encoder, _renumber, _unique, _user_words
    from embed.ingest.ingest import read_corpus
    from embed.text.chunk import ChunkSettings, chunk_article, passage_text
    from embed.text.words import Tokenizer

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    times: dict[str, float] = {}

    def step(name: str, fn):  # noqa: ANN001, ANN202
        start = time.perf_counter()
        value = fn()
        times[name] = time.perf_counter() - start
        return value

    with tempfile.TemporaryDirectory(prefix="scale-stages-") as tmp:
        tmp = Path(tmp)
        _corpus(tmp, n)
        settings = Settings(index_dir=tmp / "idx")
        corpus = step("read, clean, split [parallel]", lambda: read_corpus([tmp]))
        arts = _unique(corpus.articles)
        rules = ChunkSettings.from_settings(settings)
        chunks = step(
            "chunk [parallel]",
            lambda: _renumber([c for a in arts.values() for c in chunk_article(a, rules, 0)]),
        )
        texts = [passage_text(c) for c in chunks]
        words = step("learn terms [driver]", lambda: _user_words(arts.values(), settings))
        encoder, model_dir = step("fit model [driver]", lambda: _fresh_encoder(settings, texts, words))
        vectors = step("embed [parallel]", lambda: encoder.encode_passages(texts))
        tokenizer = Tokenizer(words)
        tokens = step("tokenize [parallel]", lambda: [tokenizer.tokenize_for_search(t) for t in texts])
        bm25 = step("BM25 [driver]", lambda: BM25Index.build(tokens))
        index = step(
            "FAISS + save [driver]",
            lambda: Index(
                chunks=chunks, articles=arts, embeddings=vectors, bm25=bm25, user_words=words,
                model=settings.model, encoder_name=encoder.name, chunk_settings=rules, model_dir=model_dir,
            ).save(settings.index_dir),
        )  # fmt: skip
        del index
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"passages": len(chunks), "articles": len(arts), "seconds": times, "peak": peak, "base": base}


def fit_line(small: dict, large: dict) -> dict:
    """Per-passage (marginal) cost and fixed cost of every step, and of the driver's peak RSS, from two sizes.

    The fit's training steps are capped (MAX_STEPS), so much of its cost is fixed; a ratio at one size would
    charge that to every passage. The slope between two sizes is what another passage costs.
    """
    dp = large["passages"] - small["passages"]
    slope = {k: (large["seconds"][k] - small["seconds"][k]) / dp for k in large["seconds"]}
    fixed = {k: large["seconds"][k] - slope[k] * large["passages"] for k in large["seconds"]}
    mem_slope = (large["peak"] - small["peak"]) / dp
    return {
        "slope": slope,
        "fixed": fixed,
        "mem_slope": mem_slope,
        "mem_fixed": large["peak"] - mem_slope * large["passages"],
    }


def estimate(line: dict, workers: tuple[int, ...] = (1, 8, 32, 128)) -> None:
    """Time and driver memory for 1M and 10M passages from the measured marginal and fixed costs."""
    par = sum(v for k, v in line["slope"].items() if "[parallel]" in k)
    drv = sum(v for k, v in line["slope"].items() if "[driver]" in k)
    fixed = sum(line["fixed"].values())
    print(f"\nper passage: parallel steps {par * 1e3:.3f} ms, driver steps {drv * 1e3:.3f} ms; "
          f"fixed {fixed:.0f} s; driver memory {line['mem_slope'] / 1e3:.1f} KB per passage "
          f"+ {line['mem_fixed'] / 1e6:.0f} MB")  # fmt: skip
    for k, v in line["slope"].items():
        print(f"  {k}: {v * 1e3:.3f} ms per passage, {line['fixed'][k]:.1f} s fixed")
    print("| passages | workers | parallel steps | driver steps | total | driver peak memory |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for total in (1_000_000, 10_000_000):
        for n in workers:
            p, d = par * total / n, drv * total + fixed
            memory = line["mem_slope"] * total + line["mem_fixed"]
            hours = f"{p / 3600:.2f} h | {d / 3600:.2f} h | {(p + d) / 3600:.2f} h"
            print(f"| {total:,} | {n} | {hours} | {memory / 1e9:.0f} GB |")


def _stages_in_child(n: int) -> dict:
    """`stages(n)` in a fresh process, so its peak RSS is its own."""
    out = subprocess.run([sys.executable, __file__, "--stages-only", str(n)], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print the modes table (JSON lines), the stage costs, and the estimate."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--skip-modes", action="store_true")
    parser.add_argument("--skip-stages", action="store_true")
    parser.add_argument("--stages-only", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not CORPUS.is_file():
        sys.exit(f"{CORPUS} not found")
    if args.stages_only:
        print(json.dumps(stages(args.stages_only)))
        return
    if not args.skip_modes:
        rows = modes(args.articles)
        print("\n| mode | index s | index peak RSS | summarize s | summarize peak RSS |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for r in rows:
            idx = f"{r['index_s']:.1f}" if "index_s" in r else "–"
            ipk = f"{r['index_peak'] / 1e6:.0f} MB" if "index_peak" in r else "–"
            spk = f"{r['summarize_peak'] / 1e6:.0f} MB" if "summarize_peak" in r else "–"
            if "session_peak" in r:
                ipk = spk = f"{r['session_peak'] / 1e6:.0f} MB (whole session)"
            print(f"| {r['mode']} | {idx} | {ipk} | {r['summarize_s']:.1f} | {spk} |")
    if not args.skip_stages:
        small, large = _stages_in_child(args.articles // 3), _stages_in_child(args.articles)
        print(json.dumps(small))
        print(json.dumps(large))
        estimate(fit_line(small, large))


if __name__ == "__main__":
    main()
