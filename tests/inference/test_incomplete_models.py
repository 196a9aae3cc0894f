"""A model folder a user brings that cannot answer is refused at load, in one line: a base model
without its LM head (transformers initialised the head at random, printed a table, and `eval`
printed a full table of a random model's answers, exit 0), or an embedding smaller than its
tokenizer (an IndexError, exit 3, once a request met a token past the end)."""

from __future__ import annotations

import pytest
from transformers import BertConfig, BertModel, LlamaConfig, LlamaForCausalLM

from fedhybrid.cli import main
from inference.errors import ZooError
from inference.tokenizer import load_tokenizer
from inference.zoo import load_causal_lm


@pytest.fixture
def folders(tiny_zoo_dir, tmp_path):
    tok = load_tokenizer(tiny_zoo_dir / "cloud")
    base = tmp_path / "bert-base"
    BertModel(BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=64)).save_pretrained(base)
    small = tmp_path / "small-vocab"
    LlamaForCausalLM(LlamaConfig(vocab_size=len(tok) // 2, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                 num_attention_heads=2, num_key_value_heads=1)).save_pretrained(small)
    for folder in (base, small):
        tok.save_pretrained(folder)
    return base, small, len(tok)


def test_a_base_model_without_its_lm_head_is_refused_in_one_line(folders, capsys):
    base, _, _ = folders
    with pytest.raises(ZooError, match=r"lack \d+ tensor\(s\) BertLMHeadModel needs \(cls\.predictions"):
        load_causal_lm(base)
    assert main(["generate", "Q: 1 + 1?\nA:", "--tier", str(base), "--cloud", str(base), "--policy", "slm-only",
                 "--max-new-tokens", "2"]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "not a causal LM's checkpoint" in lines[0], err  # no load-report table


def test_an_embedding_smaller_than_the_tokenizer_is_refused_with_both_sizes(folders):
    _, small, vocab = folders
    with pytest.raises(ZooError, match=f"has {vocab // 2} embedding rows and its tokenizer {vocab} tokens"):
        load_causal_lm(small)
