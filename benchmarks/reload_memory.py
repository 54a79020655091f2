"""Server memory across index reloads: resident size after each batch of reloads, with and without trimming.

Loads the index the way the service does (`open_service`), answers a few questions, then reloads it
again and again through the same `ServiceHolder` that POST /api/reload uses, reading VmRSS from /proc.
With `--no-trim` the reloads skip `api.memory.trim_memory`, which the reload route calls after a swap.

    .venv/bin/python benchmarks/reload_memory.py                    # 100 reloads of a seeds/ index
    .venv/bin/python benchmarks/reload_memory.py --reloads 100 --no-trim --json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

QUESTIONS = ["沁泉湖公园什么时候开园？", "大沙河治理", "李万街道城中村改造", "四城联创", "固定资产投资增长"]


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def measure(index_dir: Path, reloads: int, every: int, trim: bool) -> dict:
    """Reload `reloads` times; RSS after the first load and after every `every` reloads."""
    from concurrent.futures import ThreadPoolExecutor

    from api.main import open_service
    from api.memory import trim_memory
    from api.service import ServiceHolder
    from embed.config import Settings

    holder = ServiceHolder(Settings(index_dir=index_dir), open_service)
    # Requests and reloads run on worker threads in the server (glibc gives threads their own arenas).
    pool = ThreadPoolExecutor(max_workers=4)
    pool.submit(holder.load).result()

    def ask_a_few() -> None:
        service = holder.current
        list(pool.map(lambda q: service.ask(q, 5), QUESTIONS))

    ask_a_few()
    if trim:
        trim_memory()
    samples = [(0, round(rss_mb(), 1))]
    start = time.perf_counter()
    for n in range(1, reloads + 1):
        pool.submit(holder.reload).result()
        if trim:
            pool.submit(trim_memory).result()
        ask_a_few()
        if n % every == 0:
            samples.append((n, round(rss_mb(), 1)))
    seconds = time.perf_counter() - start
    first, last = samples[0][1], samples[-1][1]
    return {
        "trim": trim,
        "reloads": reloads,
        "rss_mb": samples,
        "growth_mb": round(last - first, 1),
        "mb_per_reload": round((last - first) / reloads, 3),
        "seconds_per_reload": round(seconds / reloads, 3),
    }


def main() -> None:
    """Build a seeds/ index if none is given, then measure."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--index-dir", type=Path, help="an existing index (default: build one from seeds/)")
    p.add_argument("--reloads", type=int, default=100)
    p.add_argument("--every", type=int, default=10, help="sample RSS after this many reloads")
    p.add_argument("--no-trim", action="store_true", help="skip trim_memory after each reload")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="policyqa-reload-") as tmp:
        index_dir = args.index_dir
        if index_dir is None:
            from embed.config import Settings
            from embed.pipeline import build

            index_dir = Path(tmp) / "index"
            build(Settings(index_dir=index_dir), [REPO / "seeds"])
        result = measure(index_dir, args.reloads, args.every, trim=not args.no_trim)
    if args.json:
        print(json.dumps(result))
        return
    print(f"trim={result['trim']}  {result['reloads']} reloads, {result['seconds_per_reload']} s each")
    for n, mb in result["rss_mb"]:
        print(f"  after {n:4d} reloads: {mb:8.1f} MB")
    print(f"growth {result['growth_mb']} MB = {result['mb_per_reload']} MB per reload")


if __name__ == "__main__":
    main()
