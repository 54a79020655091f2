"""Count background document frequencies of BM25 tokens over ../shared/train/news_corpus (deterministic).

    .venv/bin/python scripts/build_background_df.py                  # writes embed/data/background_df.tsv.gz
    .venv/bin/python scripts/build_background_df.py --limit 5000 --out /tmp/df.tsv.gz

Passages are cut as `policyqa index` cuts them and tokenized as BM25 tokenizes them (jieba search tokens,
no learned words), so a token's count here is comparable with its passage frequency in an index.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from train_base_model import CORPUS, read_passages  # noqa: E402

from embed.index.bm25 import BACKGROUND_DF_FILE, write_background_df  # noqa: E402
from embed.text.words import Tokenizer  # noqa: E402

logger = logging.getLogger("build_background_df")

MIN_DF = 3
"""Tokens in fewer passages are left out (they would be rare in any archive anyway); keeps the file small."""


def main() -> int:
    """Count, filter and write the table; log its size and the time taken."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=BACKGROUND_DF_FILE)
    parser.add_argument("--limit", type=int, help="read only the first N articles")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    start = time.perf_counter()
    passages = read_passages(args.corpus, args.limit)
    tokenizer = Tokenizer(bulk=True)
    df: Counter[str] = Counter()
    for number, passage in enumerate(passages):
        df.update(set(tokenizer.tokenize_for_search(passage)))
        if number % 20_000 == 0:
            logger.info("%d/%d passages", number, len(passages))
    kept = {t: n for t, n in df.items() if n >= MIN_DF and "\t" not in t and "\n" not in t}
    write_background_df(kept, len(passages), args.out)
    logger.info(
        "%d tokens of %d passages -> %s (%.1f MB) in %.0f s",
        len(kept),
        len(passages),
        args.out,
        args.out.stat().st_size / 1e6,
        time.perf_counter() - start,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
