"""A cloud whose tokenizer splits text otherwise than its device's is refused, even with one
vocabulary (one tokenizer hash)."""

from __future__ import annotations

import json

import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from inference.errors import TokenizerMismatchError
from inference.tokenizer import tokenizer_hash
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


def _digits_split(folder):
    """Re-save the folder's tokenizer with every digit its own piece: one vocabulary, other splits."""
    path = folder / "tokenizer.json"
    spec = json.loads(path.read_text())
    spec["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True}, spec["pre_tokenizer"]]}
    path.write_text(json.dumps(spec))
    return folder


def test_byo_cloud_splitting_text_otherwise_is_refused_with_the_probe_and_both_ids(tmp_path):
    tok = _tokenizer()
    device = _save(tmp_path / "device", tok)
    cloud = _digits_split(_save(tmp_path / "cloud", tok, hidden=64, seed=1))
    _, device_tok = load_causal_lm(device)
    _, cloud_tok = load_causal_lm(cloud)
    assert tokenizer_hash(cloud_tok) == tokenizer_hash(device_tok)  # the hash alone cannot tell them apart
    with pytest.raises(TokenizerMismatchError) as err:
        load_causal_lm(cloud, expected_tokenizer=device_tok, expected_from=f"the device model {device}")
    probe = "Q: What is 12 + 5?\nA: 17"
    message = str(err.value)
    assert repr(probe) in message
    assert str(cloud_tok(probe)["input_ids"]) in message and str(device_tok(probe)["input_ids"]) in message
    load_causal_lm(device, expected_tokenizer=device_tok)  # a tokenizer that splits alike passes


def test_byo_eval_refuses_a_cloud_that_splits_text_otherwise(tiny_zoo_dir, tmp_path, capsys):
    from fedhybrid.cli import main

    tok = _tokenizer()
    device = _save(tmp_path / "device", tok)
    cloud = tmp_path / "cloud"
    _digits_split(_save(cloud, tok, hidden=64, seed=1))
    workload = tmp_path / "w.jsonl"
    workload.write_text(json.dumps({"prompt": "Q: What is 12 + 5?\nA:"}) + "\n")
    assert main(["--zoo", str(tiny_zoo_dir), "eval", "--workload", str(workload), "--device", str(device),
                 "--cloud", str(cloud), "--policies", "confidence", "--out", str(tmp_path / "eval")]) == 2
    err = capsys.readouterr().err
    assert "splits text otherwise than the device model" in err and "'Q: What is 12 + 5?\\nA: 17'" in err
