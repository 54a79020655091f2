"""The "not found" gate's trade-off: answers found vs off-topic questions declined, per coverage threshold.

Indexes seeds/ and the CMRC corpus (built-in model) into temporary folders, then for each MIN_COVERAGE
value prints answer_hit on the seed dev questions, the paraphrased seed questions and 400 CMRC questions,
and the share of off-topic questions declined (CMRC questions asked of the seeds index, seed questions
asked of the CMRC index).

    .venv/bin/python benchmarks/answer_gate.py [--thresholds 0.25 0.2 0.15 0.1]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

import embed.answer as answer_module
from embed.config import Settings
from embed.errors import EmptyQueryError
from embed.pipeline import ask, build, open_retriever
from embed.qa_eval import QAItem, is_relevant, read_qa
from embed.retrieve import Retriever

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO.parent / "shared" / "eval"


def hit_rate(retriever: Retriever, items: list[QAItem]) -> float:
    return sum(is_relevant(ask(retriever, i.question).text, i.answers) for i in items) / len(items)


def decline_rate(retriever: Retriever, items: list[QAItem]) -> float:
    declined = 0
    for item in items:
        try:
            declined += not ask(retriever, item.question).found
        except EmptyQueryError:
            declined += 1
    return declined / len(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--thresholds", nargs="+", type=float, default=[0.25, 0.2, 0.15, 0.1])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        seeds_settings = Settings(index_dir=Path(tmp) / "seeds")
        cmrc_settings = Settings(index_dir=Path(tmp) / "cmrc")
        build(seeds_settings, [REPO / "seeds"])
        build(cmrc_settings, [EVAL / "cmrc2018_retrieval" / "corpus.jsonl"])
        seeds, cmrc = open_retriever(seeds_settings), open_retriever(cmrc_settings)
        dev = read_qa(EVAL / "seeds_qa" / "dev.jsonl")
        para = read_qa(REPO / "benchmarks" / "data" / "seeds_paraphrase.jsonl")
        cmrc_q = read_qa(EVAL / "cmrc2018_retrieval" / "queries.jsonl")
        random.Random(1).shuffle(cmrc_q)
        cmrc_q = cmrc_q[:400]
        print("threshold  dev_hit  para_hit  cmrc_hit  declined(cmrc->seeds)  declined(seeds->cmrc)")
        for threshold in args.thresholds:
            answer_module.MIN_COVERAGE = threshold
            print(
                f"{threshold:9.2f}  {hit_rate(seeds, dev):7.3f}  {hit_rate(seeds, para):8.3f}"
                f"  {hit_rate(cmrc, cmrc_q):8.3f}  {decline_rate(seeds, cmrc_q[:200]):21.3f}"
                f"  {decline_rate(cmrc, dev + para):21.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
