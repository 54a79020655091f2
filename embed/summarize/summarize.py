"""Extractive article summaries: whole sentences under the budget rule, in reading order.

A learned selector rates whole candidate summaries (`selection`); outside what it was trained on,
prior × centrality × learned sentence scorer with MMR picks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..datamodels import Sentence, Summary
from ..errors import BadInputError
from ..ingest.articles import split_articles
from ..text.clean import strip_datelines
from ..text.keywords import extract_keywords, idf_lookup
from ..text.sentences import split_sentences
from ..text.words import Tokenizer, tokenize
from .features import FEATURES, SentenceGraph, sentence_features
from .scorer import SummaryScorer, load_scorer
from .selection import CANDIDATES, SentenceView, SummarySelector, load_selector

MAX_CANDIDATES = 300
"""Only the first sentences compete (the scorer rates late sentences low anyway); the whole text still
defines what is central. Keeps a 200,000-character input to a 300 × 300 graph."""

POSITION_DECAY = 1.1
"""Position prior 1 / (1 + i) ** POSITION_DECAY: news puts the event first (inverted pyramid)."""

CENTRALITY_POWER = 0.5
"""Score = prior × centrality ** CENTRALITY_POWER × learned ** SCORER_POWER: centrality breaks near-ties
of the prior, it does not overrule it (plain TextRank, with no prior, loses 2–8 ROUGE-L points to lead)."""

SCORER_POWER = 0.25
"""Weight of the learned sentence scorer (`scorer`). Chosen on the even halves of the two summary
dev sets (benchmarks/summary_quality.py --half even) among 0, 0.25, 0.5 and 1; larger powers let the
training set's habits (references that skip the lead) cost points on CAIL2022."""

BOILERPLATE_WEIGHT = 1e-3
"""Score multiplier of page furniture (`features.is_furniture`): picked last, never dropped."""

REDUNDANCY = 0.65
"""MMR-style discount: a candidate's score is multiplied by 1 - REDUNDANCY × (max cosine to the picks)."""

OVERSHOOT = 0.1
"""The budget rule lets the last sentence cross the budget; when the best candidate would cross it by more
than this share of the budget, a shorter candidate worth nearly as much (NEAR_BEST) is taken instead."""

NEAR_BEST = 0.75
"""How near (share of the best gain) a shorter candidate must come to replace an overshooting one."""

DUPLICATE_COSINE = 0.9
"""A candidate this similar to a pick says the same thing again (reprinted lead, repeated slogan): never
picked while anything else is left."""

DAMPING = 0.85
"""PageRank damping of LexRank (Erkan & Radev 2004)."""

KEYWORDS = 8
"""Keywords per summary (the issue asks for 5–10)."""


def select_by_budget(order: Sequence[int], lengths: Sequence[int], max_chars: int) -> list[int]:
    """Take sentences in `order` while the total is shorter than `max_chars` (the last may cross it).

    Returns the picks sorted back into reading order.
    """
    picked: list[int] = []
    total = 0
    for i in order:
        if total >= max_chars:
            break
        picked.append(i)
        total += lengths[i]
    return sorted(picked)


def lead_summary(text: str, max_chars: int = 200) -> Summary:
    """The lead baseline: the first sentences of `text` under the contract's budget rule."""
    sentences = split_sentences(text)
    lengths = [len(s.text) for s in sentences]
    picks = select_by_budget(range(len(sentences)), lengths, max_chars)
    return _summary(sentences, picks, ())


def summarize_text(
    text: str,
    max_chars: int = 200,
    *,
    idf: Mapping[str, float] | None = None,
    keywords: int = KEYWORDS,
    tokenizer: Tokenizer | None = None,
    scorer: SummaryScorer | None = None,
    selector: SummarySelector | None = None,
) -> Summary:
    """An extractive summary of one article: whole sentences copied verbatim, in reading order, plus keywords.

    Args:
        text: the article (cleaned text; line breaks end sentences). Datelines that open its paragraphs
            (本报讯（记者…）, 新华社北京8月1日电) are left out (`clean.strip_datelines`): they say where the
            copy comes from, and a summary that leads with one spends its budget on the credit.
        max_chars: the budget; sentences are added while the summary is shorter, so the last may cross it.
        idf: word -> IDF of the corpus (better keywords and similarities); jieba's general table when None.
        keywords: how many keywords to return.
        tokenizer: the index's tokenizer, whose user words keep local names whole (王家鹏, not 王家);
            the shared default tokenizer when None.
        scorer: rates each sentence (how likely a summary draws on it); the shipped model when None.
        selector: rates whole candidate summaries (`selection`); the shipped model when None. For
            an article shorter than any it was trained on, or when no set of the first sentences fills the
            budget, the rules pick (score, MMR, `_fit_budget`).

    Returns:
        A `Summary`; blank text gives an empty one.
    """
    if max_chars <= 0:
        raise BadInputError(f"max_chars must be positive, got {max_chars}")
    text = strip_datelines(text)
    sentences = split_sentences(text)
    cut = tokenize if tokenizer is None else tokenizer.tokenize
    tokens = [cut(s.text) for s in sentences]
    words = extract_keywords(text, keywords, idf, tokens=[t for ts in tokens for t in ts])
    if len(sentences) <= 1:
        return _summary(sentences, list(range(len(sentences))), words)
    graph, similarity = sentence_graph(tokens, idf)
    rows = sentence_features(text, sentences, graph)
    learned = (scorer or load_scorer()).score(rows)
    lengths = [len(s.text) for s in sentences]
    picks = _select_sets(text, sentences, graph, similarity, rows, learned, max_chars, selector)
    if picks is not None:
        return _summary(sentences, picks, words)
    scores = _rule_scores(graph, rows, learned)
    picks = _select_mmr(scores, similarity, lengths[: len(scores)], max_chars)
    short = max_chars - sum(lengths[i] for i in picks)
    if short > 0:  # every candidate taken and still short: the rule says keep adding, in reading order
        picks += select_by_budget(range(len(scores), len(sentences)), lengths, short)
    return _summary(sentences, picks, words)


def page_text(text: str) -> str:
    """Loose text cleaned as `policyqa index` cleans a page, for summarizing.

    The same steps as indexing (`articles.split_articles`): layout and photo credits, captions, promotion
    lines (扫码关注…) and OCR repeats are dropped and broken lines rejoined; headline lines are set apart
    from the body, so a title is never read as (or glued to) the first sentence. A page holding several
    articles gives their bodies in page order. Empty when nothing is left.
    """
    return "\n".join(article.text for article in split_articles(text, stem="text", source=""))


def summarize_page(
    text: str,
    max_chars: int = 200,
    *,
    idf: Mapping[str, float] | None = None,
    keywords: int = KEYWORDS,
    tokenizer: Tokenizer | None = None,
) -> Summary:
    """`summarize_text` of `page_text(text)`: what `/api/summarize` answers for pasted or raw page text."""
    return summarize_text(page_text(text), max_chars, idf=idf, keywords=keywords, tokenizer=tokenizer)


def _rule_scores(graph: SentenceGraph, rows: np.ndarray, learned: np.ndarray) -> np.ndarray:
    """Each candidate's score when the rules pick; page furniture is scored last.

    Score = position prior × centrality ** CENTRALITY_POWER × learned ** SCORER_POWER. Centrality is the
    mean of two views over TF-IDF sentence vectors, each scaled to max 1: LexRank and cosine to the whole
    text's centroid. `learned` is the shipped scorer's probability that a reference summary draws on it.
    """
    centrality = (graph.lexrank + _unit_max(graph.centroid_cosine)) / 2
    prior = 1.0 / (1.0 + np.arange(len(centrality))) ** POSITION_DECAY
    scores = prior * centrality**CENTRALITY_POWER * learned**SCORER_POWER
    boilerplate = rows[:, FEATURES.index("boilerplate")] > 0
    return np.where(boilerplate, scores * BOILERPLATE_WEIGHT, scores)


def _select_sets(
    text: str,
    sentences: Sequence[Sentence],
    graph: SentenceGraph,
    similarity: np.ndarray,
    rows: np.ndarray,
    learned: np.ndarray,
    max_chars: int,
    selector: SummarySelector | None,
) -> list[int] | None:
    """The learned selector's choice among the first CANDIDATES sentences; None leaves it to the rules."""
    selector = selector or load_selector()
    view = selection_view(text, sentences, graph, similarity, rows, learned)
    return selector.choose(view, max_chars) if selector.applies_to(view) else None


def selection_view(
    text: str,
    sentences: Sequence[Sentence],
    graph: SentenceGraph,
    similarity: np.ndarray,
    rows: np.ndarray,
    learned: np.ndarray,
) -> SentenceView:
    """What the set selector reads about the first CANDIDATES sentences (also its training rows)."""
    n = min(len(rows), CANDIDATES)
    return SentenceView(
        lengths=np.array([len(s.text) for s in sentences[:n]], dtype=np.float64),
        similarity=similarity[:n, :n],
        centroid_cosine=graph.centroid_cosine[:n],
        lexrank=graph.lexrank[:n],
        rows=rows[:n],
        scorer=learned[:n],
        sentence_count=len(sentences),
        article_chars=len("".join(text.split())),
    )


def sentence_graph(
    tokens: Sequence[Sequence[str]], idf: Mapping[str, float] | None = None
) -> tuple[SentenceGraph, np.ndarray]:
    """Similarities and centrality of the first MAX_CANDIDATES sentences over TF-IDF sentence vectors.

    Returns:
        (the graph the features read: cosine to the whole text's centroid and to the first sentence,
        LexRank scaled to max 1, content words per sentence; the candidates' cosine similarity matrix).
    """
    rows = _tfidf_rows(tokens, idf)
    vocab: dict[str, int] = {}
    for row in rows[:MAX_CANDIDATES]:
        for token in row:
            vocab.setdefault(token, len(vocab))
    candidates = np.zeros((min(len(rows), MAX_CANDIDATES), max(len(vocab), 1)))
    for i, row in enumerate(rows[:MAX_CANDIDATES]):
        for token, value in row.items():
            candidates[i, vocab[token]] = value
    centroid: dict[str, float] = {}
    for row in rows:  # all sentences define the centre, not only the candidates
        for token, value in row.items():
            centroid[token] = centroid.get(token, 0.0) + value
    norm = max(float(np.sqrt(sum(v * v for v in centroid.values()))), 1e-12)
    direction = np.zeros(candidates.shape[1])
    for token, column in vocab.items():
        direction[column] = centroid[token] / norm
    similarity = candidates @ candidates.T
    graph = SentenceGraph(
        centroid_cosine=np.maximum(candidates @ direction, 0.0),
        first_cosine=similarity[:, 0].copy(),
        lexrank=_unit_max(lexrank(similarity)),
        content_tokens=np.array([len(t) for t in tokens[: len(candidates)]], dtype=np.float64),
    )
    return graph, similarity


def lexrank(similarity: np.ndarray, damping: float = DAMPING, iterations: int = 30) -> np.ndarray:
    """Continuous LexRank: PageRank over the cosine graph (no self-loops), by power iteration."""
    n = len(similarity)
    weights = np.maximum(similarity, 0.0)
    np.fill_diagonal(weights, 0.0)
    row_sums = weights.sum(axis=1, keepdims=True)
    # A sentence with no neighbours (no content words) links uniformly, so the chain stays stochastic.
    transition = np.where(row_sums > 0, weights / np.maximum(row_sums, 1e-12), 1.0 / n)
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        rank = (1 - damping) / n + damping * (transition.T @ rank)
    return rank


def _tfidf_rows(tokens: Sequence[Sequence[str]], idf: Mapping[str, float] | None) -> list[dict[str, float]]:
    """Unit-length TF-IDF vectors (word -> weight), one per sentence; empty for one without content words."""
    weight = idf_lookup(idf)
    rows = []
    for sentence_tokens in tokens:
        row: dict[str, float] = {}
        for token in sentence_tokens:
            row[token] = row.get(token, 0.0) + weight(token)
        norm = float(np.sqrt(sum(v * v for v in row.values())))
        rows.append({t: v / norm for t, v in row.items()} if norm > 0 else {})
    return rows


def _unit_max(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.ones_like(values)


def _select_mmr(scores: np.ndarray, similarity: np.ndarray, lengths: list[int], max_chars: int) -> list[int]:
    """Greedy picks by score, discounted by similarity to what is already picked, until the budget is met.

    Every pick is made while the total is shorter than `max_chars` (the contract's rule); only the choice
    of the sentence that crosses the budget looks at length (see `_fit_budget`).
    """
    remaining = list(range(len(scores)))
    picked: list[int] = []
    total = 0
    while remaining and total < max_chars:
        if picked:
            overlap = similarity[np.ix_(remaining, picked)].max(axis=1)
            gains = scores[remaining] * (1.0 - REDUNDANCY * overlap)
            gains[overlap >= DUPLICATE_COSINE] -= scores.max() + 1.0  # last resort only
        else:
            gains = scores[remaining]
        choice = _fit_budget(gains, [lengths[i] for i in remaining], total, max_chars)
        best = remaining.pop(choice)
        picked.append(best)
        total += lengths[best]
    return sorted(picked)


def _fit_budget(gains: np.ndarray, lengths: Sequence[int], total: int, max_chars: int) -> int:
    """The candidate to pick: the best, or a shorter near-equal one when the best crosses the budget by far.

    A sentence that crosses the budget by more than OVERSHOOT × budget mostly adds length past what was
    asked for; the shortest candidate within NEAR_BEST of the best gain is taken instead. Picking it keeps
    the contract's rule (it is added while the summary is still shorter than the budget).
    """
    best = int(np.argmax(gains))
    if gains[best] <= 0 or total + lengths[best] - max_chars <= OVERSHOOT * max_chars:
        return best
    size = np.asarray(lengths)
    near = np.flatnonzero((gains >= NEAR_BEST * gains[best]) & (size < size[best]))
    return int(near[np.argmin(size[near])]) if len(near) else best


def _summary(sentences: Sequence[Sentence], picks: Sequence[int], keywords: Sequence[str]) -> Summary:
    chosen = tuple(sentences[i].text for i in picks)
    return Summary(text="".join(chosen), sentences=chosen, keywords=tuple(keywords))
