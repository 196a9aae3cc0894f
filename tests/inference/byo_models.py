"""Tiny models a user brings, built as they would: `transformers` weights and a byte-level BPE
tokenizer trained with `tokenizers`, saved with `save_pretrained` (shared by the BYO tests)."""

from __future__ import annotations

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

CORPUS = ["Q: What is 12 + 5?\nA: 17", "Q: Ava has 12 apples. She buys 15 more.\nA: 27"] * 50


def byo_tokenizer(size: int = 300, corpus: list[str] = CORPUS) -> PreTrainedTokenizerFast:
    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=size, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    bpe.train_from_iterator(corpus, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>", bos_token="<|endoftext|>")


def save_byo(folder, tok: PreTrainedTokenizerFast, hidden: int = 32, seed: int = 0, positions: int = 128):
    torch.manual_seed(seed)
    LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), hidden_size=hidden, intermediate_size=2 * hidden,
                                 num_hidden_layers=1, num_attention_heads=4, num_key_value_heads=2,
                                 max_position_embeddings=positions, eos_token_id=0, bos_token_id=0)).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder
