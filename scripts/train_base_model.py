"""Train the shipped base model (embed/data/base_model) on ../shared/train/news_corpus; deterministic.

    .venv/bin/python scripts/train_base_model.py                       # the shipped model (see the README)
    .venv/bin/python scripts/train_base_model.py --limit 5000 --out /tmp/base --steps 500   # a quick try

Each article is cut into passages as `policyqa index` cuts an archive (embed.text.chunk), so the base model
learns from text shaped like what it will embed. Only the articles' own text is used (self-supervised): no
question of any evaluation set is read.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from embed.datamodels import Article  # noqa: E402
from embed.model.base import BASE_MODEL_DIR, BASE_STEPS, BASE_WORDS, train_base_model  # noqa: E402
from embed.text.chunk import ChunkSettings, chunk_article  # noqa: E402

logger = logging.getLogger("train_base_model")

CORPUS = REPO.parent / "shared" / "train" / "news_corpus" / "docs.jsonl.gz"


def read_passages(path: Path, limit: int | None) -> list[str]:
    """The corpus's articles (the first `limit`, in file order) cut into index-sized passages."""
    rules = ChunkSettings()
    passages: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f):
            if limit is not None and number >= limit:
                break
            row = json.loads(line)
            article = Article(row["id"], "", row["text"], path.name, row.get("date"))
            passages.extend(chunk.text for chunk in chunk_article(article, rules, 0))
    return passages


def main() -> int:
    """Read the corpus, train, save; log the passage count, the model's size and the time taken."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=BASE_MODEL_DIR)
    parser.add_argument("--limit", type=int, help="read only the first N articles")
    parser.add_argument("--steps", type=int, default=BASE_STEPS)
    parser.add_argument("--max-words", type=int, default=BASE_WORDS)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("jieba", "sentence_transformers", "urllib3", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    start = time.perf_counter()
    passages = read_passages(args.corpus, args.limit)
    logger.info("%d passages read in %.0f s", len(passages), time.perf_counter() - start)
    train_base_model(passages, args.out, seed=args.seed, steps=args.steps, max_words=args.max_words)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    logger.info("base model -> %s (%.1f MB) in %.0f s", args.out, size / 1e6, time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
