"""load_encoder: pretrained models by path (a tiny BERT built here), query instructions, fast failures."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from embed.errors import ModelLoadError
from embed.model.encoder import BGE_ZH_QUERY_INSTRUCTION, Encoder, SentenceTransformerEncoder, load_encoder

CHARS = "示范区沁泉湖公园开园时间安全生产会议部署电商产业企业入驻什么哪些多少年月日的了是在"


def _tiny_bert(folder: Path, prompts: dict[str, str] | None = None) -> Path:
    """A 2-layer, 32-wide BERT with a character WordPiece vocabulary as a sentence-transformers model."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    raw = folder / "raw"
    raw.mkdir(parents=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *dict.fromkeys(CHARS), "？", "。"]
    (raw / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(raw / "vocab.txt")).save_pretrained(str(raw))
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    import torch

    torch.manual_seed(0)
    BertModel(config).save_pretrained(str(raw))
    transformer = Transformer(str(raw), max_seq_length=64)
    model = SentenceTransformer(modules=[transformer, Pooling(32, "mean")], prompts=prompts, device="cpu")
    out = folder / "tiny-bert"
    model.save(str(out))
    return out


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny_bert(tmp_path_factory.mktemp("models"))


def test_a_local_model_folder_encodes_float32_unit_rows(tiny_bert: Path) -> None:
    encoder = load_encoder(str(tiny_bert), None)
    assert isinstance(encoder, Encoder)
    assert encoder.name == str(tiny_bert) and encoder.dim == 32
    for vectors in (
        encoder.encode_queries(["沁泉湖公园什么时候开园？"]),
        encoder.encode_passages(["安全生产会议"] * 3),
    ):
        assert vectors.dtype == np.float32 and vectors.shape[1] == 32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_no_texts_give_an_empty_matrix(tiny_bert: Path) -> None:
    assert load_encoder(str(tiny_bert), None).encode_passages([]).shape == (0, 32)


def test_a_model_without_prompts_gets_no_query_instruction(tiny_bert: Path) -> None:
    encoder = load_encoder(str(tiny_bert), None)
    assert isinstance(encoder, SentenceTransformerEncoder) and encoder.query_prompt is None


def test_the_models_own_query_prompt_is_used_for_queries_only(tmp_path: Path) -> None:
    path = _tiny_bert(tmp_path, prompts={"query": "查询：", "document": ""})
    encoder = load_encoder(str(path), None)
    assert isinstance(encoder, SentenceTransformerEncoder) and encoder.query_prompt == "查询："
    query, passage = encoder.encode_queries(["示范区"]), encoder.encode_passages(["示范区"])
    assert not np.allclose(query, passage)


def test_bge_chinese_models_get_their_retrieval_instruction(tiny_bert: Path, tmp_path: Path) -> None:
    # The name decides: a copy of the tiny model in a folder named like BGE gets the BGE instruction.
    named = tmp_path / "bge-small-zh-v1.5"
    named.symlink_to(tiny_bert, target_is_directory=True)
    encoder = load_encoder(str(named), None)
    assert isinstance(encoder, SentenceTransformerEncoder)
    assert encoder.query_prompt == BGE_ZH_QUERY_INSTRUCTION


def test_a_missing_local_path_fails_at_once(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ModelLoadError, match="no such folder"):
        load_encoder(str(tmp_path / "nowhere"), None)
    assert time.monotonic() - started < 1.0


def test_a_folder_without_model_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="modules.json"):
        load_encoder(str(tmp_path), None)


def test_a_broken_model_folder_is_a_model_load_error(tmp_path: Path) -> None:
    (tmp_path / "modules.json").write_text(
        json.dumps([{"idx": 0, "name": "0", "path": "", "type": "nope.X"}])
    )
    with pytest.raises(ModelLoadError):
        load_encoder(str(tmp_path), None)


def test_an_unreachable_hub_name_fails_within_seconds() -> None:
    started = time.monotonic()
    with pytest.raises(ModelLoadError):
        load_encoder("policyqa-tests/no-such-model-anywhere", None)
    assert time.monotonic() - started < 10.0


def test_the_builtin_model_needs_its_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="model_dir"):
        load_encoder("builtin", None)
    with pytest.raises(ModelLoadError, match="rebuild"):
        load_encoder("builtin", tmp_path)


@pytest.fixture(scope="module")
def static_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from embed.model.builtin import train_builtin_model

    texts = [
        "沁泉湖公园明年5月1日开园。公园总投资3.2亿元。",
        "大沙河生态治理项目占地4354亩。示范区召开会议。",
    ]
    return train_builtin_model(texts * 4, tmp_path_factory.mktemp("static"), seed=3)


def test_the_builtin_model_is_read_without_sentence_transformers_and_encodes_the_same(
    static_model: Path,
) -> None:
    from embed.model.encoder import StaticEncoder, _sentence_transformer

    fast = load_encoder("builtin", static_model)
    assert isinstance(fast, StaticEncoder)
    reference = SentenceTransformerEncoder(_sentence_transformer(str(static_model), True), "builtin")
    texts = ["沁泉湖公园什么时候开园？", "", "！！", "大沙河治理占地多少亩", "GDP 5G abc 123"]
    assert fast.dim == reference.dim
    assert np.allclose(fast.encode_queries(texts), reference.encode_queries(texts), atol=1e-5)
    assert np.allclose(fast.encode_passages(texts), reference.encode_passages(texts), atol=1e-5)


def test_a_static_model_with_a_truncated_table_is_a_model_load_error(
    static_model: Path, tmp_path: Path
) -> None:
    import shutil

    broken = tmp_path / "model"
    shutil.copytree(static_model, broken)
    (broken / "model.safetensors").write_bytes((broken / "model.safetensors").read_bytes()[:100])
    with pytest.raises(ModelLoadError, match="cannot load the built-in model"):
        load_encoder("builtin", broken)


def test_the_static_table_is_mapped_with_the_values_safetensors_reads(tmp_path):
    import numpy as np
    from safetensors.numpy import load_file, save_file

    from embed.model.encoder import map_safetensors_table

    table = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32)
    save_file({"embedding.weight": table}, str(tmp_path / "model.safetensors"))
    mapped = map_safetensors_table(tmp_path / "model.safetensors")
    assert np.array_equal(mapped, load_file(str(tmp_path / "model.safetensors"))["embedding.weight"])
    (tmp_path / "short.safetensors").write_bytes((tmp_path / "model.safetensors").read_bytes()[:-8])
    with pytest.raises(ValueError, match="truncated"):
        map_safetensors_table(tmp_path / "short.safetensors")
