"""The built-in model: fitted on the corpus, saved as a plain sentence-transformers model, reproducible."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embed.errors import BadInputError
from embed.model.base import load_base_model
from embed.model.builtin import INFO_FILE, train_builtin_model
from embed.model.encoder import load_encoder
from embed.model.vocab import UNK, build_vocabulary, extend_vocabulary

PASSAGES = [
    "沁泉湖公园位于示范区东部，占地面积约300亩。公园计划明年5月1日正式开园，届时将免费向市民开放。",
    "示范区召开安全生产工作会议，部署清明节期间的防火工作。会议要求确保全区烟花爆竹清零。",
    "电商产业园已入驻企业8家，年底前将入驻13家企业。园区为企业提供办公场地和物流配套服务。",
    "美丽乡村建设全面推进，今年计划打造6个示范村、12个达标村。各乡镇加大资金投入力度。",
    "示范区上半年固定资产投资增长19.5%，一般公共预算收入完成5.55亿元。重点项目建设进展顺利。",
    "文昌街道开展扬尘污染治理，对渣土车实行全程密闭运输。施工工地做到围挡和洒水降尘。",
    "康华医药物流母港项目总投资5亿元，建成后将成为区域医药物流中心。项目已完成土地平整。",
    "疫情期间示范区严防境外输入，落实五个一律措施。社区对返乡人员开展排查登记。",
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_builtin_model(PASSAGES * 3, tmp_path_factory.mktemp("builtin"), seed=13)


def test_model_folder_is_a_stock_sentence_transformers_model(model_dir: Path) -> None:
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    types = [m["type"] for m in modules]
    # Library classes only: loading needs no custom code and no trust_remote_code.
    assert all(t.startswith("sentence_transformers.") for t in types)
    assert [t.rsplit(".", 1)[1] for t in types] == ["StaticEmbedding", "Normalize"]
    info = json.loads((model_dir / INFO_FILE).read_text(encoding="utf-8"))
    assert info["seed"] == 13 and info["steps"] > 0 and info["base"] is True


def test_plain_sentence_transformer_loads_it_in_a_fresh_process(model_dir: Path) -> None:
    code = (
        "import sys, numpy as np\n"
        "from sentence_transformers import SentenceTransformer\n"
        "m = SentenceTransformer(sys.argv[1], device='cpu')\n"
        "v = m.encode(['沁泉湖公园什么时候开园？', '安全生产会议'])\n"
        "print(v.shape[0], v.shape[1], round(float(np.linalg.norm(v[0])), 4))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(model_dir)], capture_output=True, text=True, check=True
    )
    rows, dim, norm = out.stdout.split()
    assert (int(rows), int(dim), float(norm)) == (2, 256, 1.0)


def test_encoder_gives_float32_unit_rows(model_dir: Path) -> None:
    encoder = load_encoder("builtin", model_dir)
    vectors = encoder.encode_passages(PASSAGES)
    assert encoder.name == "builtin" and vectors.dtype == np.float32 and vectors.shape == (8, encoder.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_paraphrased_question_finds_its_passage(model_dir: Path) -> None:
    encoder = load_encoder("builtin", model_dir)
    passages = encoder.encode_passages(PASSAGES)
    questions = ["沁泉湖公园哪天开放？", "电商园区年底有多少家企业入驻？", "怎样治理工地扬尘？"]
    best = (encoder.encode_queries(questions) @ passages.T).argmax(axis=1)
    assert best.tolist() == [0, 2, 5]


def test_unseen_words_fall_back_to_their_characters(model_dir: Path) -> None:
    encoder = load_encoder("builtin", model_dir)
    # "沁泉湖畔" never occurs; its characters do, and lead to the park passage.
    vector = encoder.encode_queries(["沁泉湖畔"])[0]
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert int((encoder.encode_passages(PASSAGES) @ vector).argmax()) == 0


def test_text_without_known_tokens_gets_a_zero_vector(model_dir: Path) -> None:
    encoder = load_encoder("builtin", model_dir)
    assert not encoder.encode_queries(["的了吗？！"]).any()


def test_same_corpus_and_seed_give_identical_vectors(tmp_path: Path) -> None:
    texts = PASSAGES * 2
    first = load_encoder("builtin", train_builtin_model(texts, tmp_path / "a", seed=7))
    second = load_encoder("builtin", train_builtin_model(texts, tmp_path / "b", seed=7))
    other = load_encoder("builtin", train_builtin_model(texts, tmp_path / "c", seed=8))
    probe = texts[:5] + ["示范区重点工作"]
    assert np.array_equal(first.encode_passages(probe), second.encode_passages(probe))
    assert not np.array_equal(first.encode_passages(probe), other.encode_passages(probe))


def test_user_words_stay_whole_and_stopwords_get_no_weight() -> None:
    vocab = build_vocabulary(PASSAGES, user_words=["沁泉湖公园"])
    ids = vocab.encode(["沁泉湖公园的开园时间"])[0]
    tokens = [vocab.tokens[i] for i in ids]
    assert "沁泉湖公园" in tokens and "的" not in tokens
    assert vocab.idf[vocab.tokens.index(UNK)] == 0


def test_the_adapted_vocabulary_is_the_base_one_plus_the_corpus_words_kept_whole() -> None:
    base = load_base_model()
    assert base is not None
    vocab = extend_vocabulary(base.tokenizer, PASSAGES, user_words=["沁泉湖公园", "文昌街道"])
    known = base.tokenizer.get_vocab_size()
    # Base tokens keep their ids (their rows are the base vectors); the corpus's words come after them.
    assert vocab.tokens[:known] == tuple(base.tokenizer.id_to_token(i) for i in range(known))
    assert {"沁泉湖公园", "文昌街道"} <= set(vocab.tokens[known:])
    tokens = [vocab.tokens[i] for i in vocab.encode(["沁泉湖公园在文昌街道吗"])[0]]
    assert tokens == ["沁泉湖公园", "文昌街道"]


def test_the_index_model_starts_from_the_base_and_keeps_user_words_whole(tmp_path: Path) -> None:
    out = train_builtin_model(PASSAGES, tmp_path, user_words=["沁泉湖公园"])
    info = json.loads((out / INFO_FILE).read_text(encoding="utf-8"))
    base = load_base_model()
    assert info["base"] is True and info["vocab"] > base.tokenizer.get_vocab_size()
    encoder = load_encoder("builtin", out)
    tokenizer = encoder.tokenizer  # the index model is read without sentence-transformers
    assert tokenizer.encode("沁泉湖公园", add_special_tokens=False).tokens == ["沁泉湖公园"]


def test_the_index_model_keeps_what_the_base_knows_about_words_the_corpus_lacks(model_dir: Path) -> None:
    # None of these words occurs in PASSAGES: only the base model can relate them.
    assert not any(w in p for p in PASSAGES for w in ("动工", "开工", "疫苗"))
    encoder = load_encoder("builtin", model_dir)
    work, start, vaccine = encoder.encode_queries(["动工", "开工", "疫苗"])
    assert float(work @ start) > float(work @ vaccine) + 0.05


def test_without_a_base_the_model_is_fitted_on_the_corpus_alone(tmp_path: Path) -> None:
    out = train_builtin_model(PASSAGES, tmp_path, base=None)
    info = json.loads((out / INFO_FILE).read_text(encoding="utf-8"))
    assert info["base"] is False and info["vocab"] < 1000
    assert load_encoder("builtin", out).encode_queries(["沁泉湖"]).any()


def test_training_on_no_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no text"):
        train_builtin_model(["", "  "], tmp_path)


def test_a_single_passage_still_makes_a_model(tmp_path: Path) -> None:
    encoder = load_encoder("builtin", train_builtin_model([PASSAGES[0]], tmp_path))
    assert encoder.encode_queries(["沁泉湖"]).shape == (1, encoder.dim)


@pytest.mark.slow
def test_dense_search_alone_finds_most_cmrc_gold_passages_first(shared_eval: Path, cmrc_index: Path) -> None:
    from embed.archive import Archive
    from embed.config import Settings

    queries = [json.loads(line) for line in (shared_eval / "cmrc2018_retrieval" / "queries.jsonl").open()]
    retriever = Archive.open(Settings(index_dir=cmrc_index)).retriever
    assert retriever.encoder.name == "builtin"  # the model fitted on the CMRC corpus when it was indexed
    firsts = [retriever.search(q["question"], k=1, mode="dense")[0].chunk.article_id for q in queries]
    hits = np.mean([first == q["context_id"] for first, q in zip(firsts, queries, strict=True)])
    # Plain jieba BM25 finds 0.95-0.96 of them; a dense model that earns its place in the hybrid is close.
    assert hits >= 0.92
