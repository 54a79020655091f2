"""Bulk segmentation (jieba-rs) against jieba: time over the eval news, and how many cuts differ.

    .venv/bin/python benchmarks/segmentation_speed.py [--corpus news_archive] [--no-user-words]

Reads one ../shared/eval corpus (its article texts) and learns its user words as an index build does
(unless --no-user-words). Then it does what a build does with a plain tokenizer (jieba, its table filled
lazily) and with a bulk one (`Tokenizer(bulk=True)`: jieba-rs for Chinese blocks): the dictionary cut of
every Chinese run (term learning) and `segment` of every text (with the HMM: BM25, keywords, summaries).
Prints one JSON line per task: characters, seconds for each, the speed-up, the items whose pieces differ,
and the Chinese runs that differ when cut on their own (pinning a difference to its block), with examples.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from embed.text.words import Tokenizer, learn_user_words  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"
FILES = {
    "news_archive": EVAL / "news_archive" / "corpus.jsonl",
    "crud": EVAL / "crud_rag_event_summary" / "docs.jsonl",
    "cail": EVAL / "cail2022_yqzy_lawbench" / "docs.jsonl",
}
HAN = re.compile(r"[\u4e00-\u9fd5]+")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=sorted(FILES), default="news_archive")
    parser.add_argument("--no-user-words", action="store_true")
    args = parser.parse_args()
    path = FILES[args.corpus]
    if not path.is_file():
        raise SystemExit(f"{path} not found (../shared/eval is needed)")
    with open(path, encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle if line.strip()]
    user_words = [] if args.no_user_words else learn_user_words(texts)
    plain, bulk = Tokenizer(user_words), Tokenizer(user_words, bulk=True)
    bulk.dictionary_cut("预热")  # load both segmenters' tables before timing: a build pays that once
    plain.dictionary_cut("".join(sorted(set("".join(texts)))))
    runs = [run for text in texts for run in HAN.findall(text)]
    # What a build does: term learning cuts Chinese runs by the dictionary, BM25 and keywords segment texts.
    tasks = {
        "dictionary_cut of Chinese runs (term learning)": (lambda t, x: t.dictionary_cut(x), runs, False),
        "segment of texts (BM25, keywords, summaries)": (lambda t, x: t.segment(x), texts, True),
    }
    for label, (cut, items, hmm) in tasks.items():
        timed = {}
        for name, tokenizer in (("jieba", plain), ("bulk", bulk)):
            start = time.perf_counter()
            timed[name] = [cut(tokenizer, item) for item in items]
            timed[name + "_s"] = time.perf_counter() - start
        differing = [run for run in runs if plain._lcut(run, hmm) != bulk._lcut(run, hmm)]
        examples = [{"jieba": plain._lcut(run, hmm), "bulk": bulk._lcut(run, hmm)} for run in differing[:3]]
        print(
            json.dumps(
                {
                    "corpus": args.corpus,
                    "user_words": len(user_words),
                    "task": label,
                    "chars": sum(map(len, items)),
                    "jieba_s": round(timed["jieba_s"], 2),
                    "bulk_s": round(timed["bulk_s"], 2),
                    "speedup": round(timed["jieba_s"] / max(timed["bulk_s"], 1e-9), 1),
                    "items_differing": sum(
                        a != b for a, b in zip(timed["jieba"], timed["bulk"], strict=True)
                    ),
                    "runs": len(runs),
                    "runs_differing": len(differing),
                    "examples": examples,
                },
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    main()
