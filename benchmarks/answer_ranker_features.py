"""Which features and regularisation the answer ranker uses: top-sentence accuracy on the dev sets.

The ranker is trained on synthetic questions only (as scripts/train_answer_ranker.py does, on a smaller
archive here for speed); this script then asks, on each dev set, how often the top-ranked candidate
sentence holds an answer string (threshold 0: never declining), for:
- the plain baselines: IDF-weighted question-word coverage, and coverage of the asking clause (focus);
- the shipped feature set fitted two ways: a per-candidate logistic regression at several strengths, and
  the shipped conditional logit (a softmax over each question's candidates) at several penalties;
- the shipped set without each feature, and with passage-position features added (rank, fused score,
  first sentence of its passage), which the shipped set leaves out.

    .venv/bin/python benchmarks/answer_ranker_features.py [--articles 900] [--keep /tmp/pq]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import tempfile
from pathlib import Path

import numpy as np
from dev_sets import QA_SETS, QUESTION_LIMIT, SHARED, index_dir

from embed.answer.features import FEATURES, candidate_sentences, sentence_features
from embed.answer.questions import make_questions
from embed.answer.ranker import SENTENCE_PENALTY
from embed.archive import Archive
from embed.config import Settings
from embed.eval.qa import is_relevant, read_qa
from embed.model.linear import fit_linear, fit_listwise
from embed.pipeline import build

NEWS = SHARED / "train" / "news_corpus" / "docs.jsonl.gz"
DEV = {name: QA_SETS[name] for name in ("seeds dev", "seeds paraphrased", "news archive", "CMRC (first 600)")}
EXTRA = ("passage_prior", "passage_score", "first_in_passage")


def samples_with_position(retriever, questions):
    """(rows with EXTRA columns appended, labels) per question; questions are (text, answers)."""
    out = []
    for text, answers in questions:
        hits = retriever.search(text, k=5)
        candidates = candidate_sentences(hits)
        terms = list(dict.fromkeys(retriever.index.tokenizer.tokenize(text)))
        if not candidates or not terms:
            continue
        rows = sentence_features(text, terms, candidates, retriever.encoder)
        extra = np.array(
            [
                [1 / (1 + c.passage), min(max(hits[c.passage].score, 0), 1), c.position == 0]
                for c in candidates
            ],
            dtype=float,
        )
        labels = np.array([is_relevant(c.text, answers) for c in candidates], dtype=float)
        out.append((np.hstack([rows, extra]), labels))
    return out


def synthetic(articles: int, seed: int = 13):
    with gzip.open(NEWS, "rt", encoding="utf-8") as handle:
        texts = [t for t in (json.loads(line)["text"] for line in handle) if 300 <= len(t) <= 3000]
    texts = random.Random(seed).sample(texts, articles)
    indexed, questions = make_questions(texts, [], random.Random(seed), near_share=0.0)
    tmp = Path(tempfile.mkdtemp(prefix="policyqa-features-"))
    corpus = tmp / "archive.jsonl"
    lines = (json.dumps({"id": f"s{i}", "text": t}, ensure_ascii=False) for i, t in enumerate(indexed))
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    build(Settings(index_dir=tmp / "index"), [corpus])
    retriever = Archive.open(Settings(index_dir=tmp / "index")).retriever
    return samples_with_position(retriever, [(q.text, [q.answer]) for q in questions])


def dev_samples(root: Path):
    out = {}
    for name, (corpus, paths) in DEV.items():
        items = [it for p in paths for it in read_qa(p) if it.answerable][:QUESTION_LIMIT]
        retriever = Archive.open(Settings(index_dir=index_dir(root, corpus))).retriever
        out[name] = samples_with_position(retriever, [(i.question, i.answers) for i in items])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=900)
    parser.add_argument("--keep", type=Path, help="dev indexes here, reused when there")
    args = parser.parse_args()
    names = list(FEATURES) + list(EXTRA)
    train = [s for s in synthetic(args.articles) if s[1].any()]
    dev = dev_samples(args.keep or Path(tempfile.mkdtemp(prefix="policyqa-dev-")))
    print(f"{'ranker':34}" + "".join(f"{k:>19}" for k in dev))

    def report(label, score):
        rates = [np.mean([y[int(np.argmax(score(x)))] for x, y in rows]) for rows in dev.values()]
        print(f"{label:34}" + "".join(f"{r:19.3f}" for r in rates))

    def variant(label, feats, penalty=SENTENCE_PENALTY):
        cols = [names.index(f) for f in feats]
        model = fit_listwise([(x[:, cols], y) for x, y in train], tuple(feats), penalty)
        report(label, lambda x: model.logit(x[:, cols]))

    def pointwise(label, c):
        model = fit_linear(
            np.concatenate([x[:, : len(FEATURES)] for x, _ in train]),
            np.concatenate([y for _, y in train]),
            FEATURES,
            c,
        )
        report(label, lambda x: model.logit(x[:, : len(FEATURES)]))

    report(
        "baseline: coverage", lambda x: x[:, names.index("coverage")] + 1e-3 * x[:, names.index("log_chars")]
    )
    report(
        "baseline: focus coverage",
        lambda x: x[:, names.index("focus")] + 1e-3 * x[:, names.index("coverage")],
    )
    for c in (0.001, 0.01, 0.1, 1.0):
        pointwise(f"per-candidate logistic, C={c}", c)
    for penalty in (1.0, 0.3, SENTENCE_PENALTY, 0.03, 0.01):
        variant(f"conditional logit, penalty={penalty}", list(FEATURES), penalty)
    for feature in FEATURES:
        variant(f"  without {feature}", [f for f in FEATURES if f != feature])
    variant("  with passage position", names)


if __name__ == "__main__":
    main()
