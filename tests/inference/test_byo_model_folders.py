"""Model folders a user brings: a damaged folder is a ZooError naming the file and the fix."""

from __future__ import annotations

import json

import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from inference.errors import ZooError
from inference.zoo import load_causal_lm

CORPUS = ["Q: What is 12 + 5?\nA: 17", "Q: Ava has 12 apples. She buys 15 more.\nA: 27"] * 50


def _tokenizer() -> PreTrainedTokenizerFast:
    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    bpe.train_from_iterator(CORPUS, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>", bos_token="<|endoftext|>")


def _save(folder, tok: PreTrainedTokenizerFast, hidden: int = 32, seed: int = 0):
    torch.manual_seed(seed)
    LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), hidden_size=hidden, intermediate_size=2 * hidden,
                                 num_hidden_layers=1, num_attention_heads=4, num_key_value_heads=2,
                                 max_position_embeddings=128, eos_token_id=0, bos_token_id=0)).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def test_byo_truncated_weights_are_a_zoo_error_naming_the_file(tmp_path):
    folder = _save(tmp_path / "device", _tokenizer())
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:5])
    with pytest.raises(ZooError) as err:
        load_causal_lm(folder)
    assert f"{weights} cannot be read" in str(err.value) and "truncated or damaged" in str(err.value)
    assert "save_pretrained" in str(err.value)


def test_byo_eval_on_a_truncated_device_exits_2(tiny_zoo_dir, tmp_path, capsys):
    from fedhybrid.cli import main

    folder = _save(tmp_path / "device", _tokenizer())
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    workload = tmp_path / "w.jsonl"
    workload.write_text(json.dumps({"prompt": "Q: 1?\nA:"}) + "\n")
    assert main(["--zoo", str(tiny_zoo_dir), "eval", "--workload", str(workload), "--device", str(folder),
                 "--policies", "confidence", "--out", str(tmp_path / "eval")]) == 2
    err = capsys.readouterr().err
    assert f"{weights} cannot be read" in err and "internal error" not in err


def test_byo_folder_without_tokenizer_json_names_the_fix(tmp_path):
    folder = _save(tmp_path / "device", _tokenizer())
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ZooError) as err:
        load_causal_lm(folder)
    assert str(err.value) == (f"tokenizer.json is missing in {folder}: save the tokenizer with save_pretrained "
                              "beside the model")
