from __future__ import annotations

import random

import pytest

from embed.eval.rouge import lcs_length, rouge_l, rouge_n, rouge_scores


def _lcs_table(a: str, b: str) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        prev = 0
        for j, y in enumerate(b):
            prev, row[j + 1] = row[j + 1], prev + 1 if x == y else max(row[j + 1], row[j])
    return row[-1]


def test_bit_parallel_lcs_matches_the_dynamic_programming_table():
    rng = random.Random(7)
    for _ in range(500):
        a = "".join(rng.choice("示范区公园开") for _ in range(rng.randint(0, 25)))
        b = "".join(rng.choice("示范区公园开") for _ in range(rng.randint(0, 25)))
        assert lcs_length(a, b) == _lcs_table(a, b)


def test_identical_texts_score_one_and_disjoint_texts_zero():
    assert rouge_scores("公园明年开园。", "公园明年开园。").rougeL == pytest.approx(1.0)
    assert rouge_scores("甲乙丙", "丁戊己") == rouge_scores("", "丁戊己")
    assert rouge_l("甲乙丙", "丁戊己") == 0.0


def test_whitespace_does_not_count():
    assert rouge_l("公园 明年\n开园", "公园明年开园") == pytest.approx(1.0)


def test_rouge_n_clips_repeated_ngrams():
    # Candidate "aaaa" has 4 unigrams, reference "ab" shares one "a": P = 1/4, R = 1/2.
    assert rouge_n("aaaa", "ab", 1) == pytest.approx(2 * 0.25 * 0.5 / 0.75)


def test_rouge_l_is_f1_of_the_longest_common_subsequence():
    # LCS("ABCBDAB", "BDCABA") = 4 (the textbook example): P = 4/7, R = 4/6.
    p, r = 4 / 7, 4 / 6
    assert rouge_l("ABCBDAB", "BDCABA") == pytest.approx(2 * p * r / (p + r))


def test_rouge2_on_chinese_counts_character_bigrams():
    # Bigrams: 示范 范区 区公 公园 vs 示范 范区 区建: 2 shared of 4 and 3.
    assert rouge_n("示范区公园", "示范区建", 2) == pytest.approx(2 * (2 / 4) * (2 / 3) / (2 / 4 + 2 / 3))
