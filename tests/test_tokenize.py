from __future__ import annotations

import re

import pytest

from embed.text.words import HMM_MAX_RUN, Tokenizer, learn_user_words, read_user_words, tokenize

DISTRICT_TERMS = ["沁泉湖", "大沙河", "李万街道", "四城联创", "城中村改造"]


def _raw_seed_texts(seeds_dir):
    # Raw pages break lines mid-word; joining the lines is enough for learning terms.
    return [re.sub(r"\s+", "", p.read_text(encoding="utf-8")) for p in sorted(seeds_dir.glob("*.txt"))]


@pytest.fixture(scope="module")
def seed_words(seeds_dir):
    return learn_user_words(_raw_seed_texts(seeds_dir))


def test_district_terms_are_learned_from_the_seed_corpus(seed_words):
    assert set(DISTRICT_TERMS) <= set(seed_words)


def test_district_terms_are_never_split_once_learned(seed_words):
    tok = Tokenizer(seed_words)
    for term in DISTRICT_TERMS:
        assert term in tok.tokenize(f"关于{term}的最新进展")
        assert term in tok.tokenize_for_search(f"{term}有什么进展？")


def test_learned_words_come_from_quotes_place_names_and_cohesive_pairs():
    texts = [
        "示范区全力推进“两转两提”工作。",
        "“两转两提”取得实效，群众在青龙湖边散步。",
        "市民到青龙湖游玩，青龙湖水质改善。",
        "老旧小区提质改造持续推进，老旧小区提质改造惠及群众，老旧小区提质改造稳步实施。",
    ]
    learned = set(learn_user_words(texts))
    assert {"两转两提", "青龙湖"} <= learned
    assert "到青龙湖" not in learned


def test_numbers_dates_and_amounts_stay_whole():
    tokens = tokenize("2019年8月16日，投资417亿元，增长19.5%，占地296亩")
    assert {"2019年8月16日", "417亿元", "19.5%", "296亩"} <= set(tokens)


def test_stopwords_and_punctuation_are_dropped():
    assert tokenize("请问沁泉湖公园什么时候开园？") == [t for t in tokenize("沁泉湖公园开园") if t]
    assert tokenize("的了吗？！") == []


def test_search_tokens_add_the_dictionary_words_inside_a_long_term():
    tok = Tokenizer(["城中村改造"])
    tokens = tok.tokenize_for_search("城中村改造")
    assert "城中村改造" in tokens and "城中村" in tokens and "改造" in tokens
    assert tok.tokenize("城中村改造") == ["城中村改造"]


def test_two_tokenizers_keep_separate_user_dictionaries():
    with_word = Tokenizer(["李万街道"])
    assert "李万街道" in with_word.tokenize("李万街道办事处")
    assert "李万街道" not in Tokenizer().tokenize("李万街道办事处")


def test_a_user_dictionary_file_adds_words_and_skips_comments(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("# district terms\n沁泉湖 100 ns\n\n大沙河\n", encoding="utf-8")
    assert read_user_words(path) == ["沁泉湖", "大沙河"]
    assert read_user_words(None) == []


def test_a_missing_user_dictionary_names_the_setting_to_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="POLICYQA_USER_DICT"):
        read_user_words(tmp_path / "absent.txt")


def test_a_long_unbroken_run_never_reaches_the_hmm_and_keeps_every_character(monkeypatch):
    tok = Tokenizer()
    with_hmm: list[int] = []
    real = tok._jieba.lcut

    def spy(text, HMM=True):  # noqa: N803 - jieba's own keyword
        if HMM:
            with_hmm.append(len(text))
        return real(text, HMM=HMM)

    monkeypatch.setattr(tok._jieba, "lcut", spy)
    text = "沁" * 5000 + "，公园开园。" + "鑫淼" * 1000
    assert "".join(tok.segment(text)) == text
    assert with_hmm and max(with_hmm) <= HMM_MAX_RUN


def test_text_with_ordinary_sentences_segments_as_before():
    tok = Tokenizer()
    sentence = "沁泉湖公园正式开园迎客，数千名市民前来游览。"
    assert tok.segment(sentence * 50) == tok._jieba.lcut(sentence, HMM=True) * 50


def _eager_tokenizer(user_words):
    """The tokenizer as it was before lazy loading: jieba's whole dictionary, then jieba.add_word per word."""
    import jieba

    tok = Tokenizer(user_words)
    whole = jieba.Tokenizer()
    whole.initialize()
    for word in tok.user_words:
        whole.add_word(word, freq=tok.user_freq[word])
    tok._jieba = whole
    tok._ensure = lambda text: None
    return tok


def _dev_questions(shared_eval):
    import json

    out = []
    for name in ("dev.jsonl", "paraphrased_dev.jsonl", "unanswerable_dev.jsonl"):
        with open(shared_eval / "seeds_qa" / name, encoding="utf-8") as f:
            out.extend(json.loads(line)["question"] for line in f if line.strip())
    return out


@pytest.mark.slow
def test_lazily_loaded_dictionary_segments_exactly_as_the_whole_one(seeds_dir, seed_words, shared_eval):
    """BM25 matches tokens: a question must be cut at query time exactly as passages were at build time."""
    texts = _dev_questions(shared_eval) + [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*"))]
    lazy, eager = Tokenizer(seed_words), _eager_tokenizer(seed_words)
    for text in texts:
        assert lazy.segment(text) == eager.segment(text), text[:40]
        assert lazy.tokenize_for_search(text) == eager.tokenize_for_search(text), text[:40]
    loaded = {w: f for w, f in eager._jieba.FREQ.items() if w[0] in lazy._loaded}
    assert lazy._jieba.FREQ == loaded
    assert lazy._jieba.total == eager._jieba.total


def test_a_question_loads_only_its_own_characters_of_the_dictionary(seed_words):
    question = "沁泉湖公园什么时候开园？"
    lazy, eager = Tokenizer(seed_words), _eager_tokenizer(seed_words)
    assert lazy.tokenize_for_search(question) == eager.tokenize_for_search(question)
    assert lazy._loaded <= set(question) and set(question) - {"？"} <= lazy._loaded
    assert len(lazy._jieba.FREQ) < len(eager._jieba.FREQ) / 10
