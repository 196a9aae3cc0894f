"""Offline evaluation of one model: wordmath exact match, pycode loss, decode speed."""

from __future__ import annotations

import time

import torch
from transformers import DynamicCache, PreTrainedModel, PreTrainedTokenizerFast

from inference.kv import forward_kv
from training.errors import TrainingError
from workloads import paraphrase, pycode, wordmath
from workloads.graders import last_number


@torch.no_grad()
def greedy_batch(model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast, prompts: list[str],
                 max_new_tokens: int, batch: int = 32) -> list[str]:
    """Greedy continuations of `prompts`, in their order (left-padded batches, stop at EOS).

    Prompts are batched by token length, so a batch pads little and its rows, asked about
    stories of similar length, tend to stop together (a batch decodes until its last row stops).
    """
    device = next(model.parameters()).device
    eos = tokenizer.eos_token_id
    outs: list[str] = [""] * len(prompts)
    tokenizer.padding_side = "left"
    encoded = tokenizer(prompts)["input_ids"] if prompts else []  # each prompt tokenized once
    order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
    for start in range(0, len(order), batch):
        rows = order[start: start + batch]
        enc = tokenizer.pad({"input_ids": [encoded[i] for i in rows]}, return_tensors="pt")
        gen = model.generate(
            input_ids=enc["input_ids"].to(device), attention_mask=enc["attention_mask"].to(device),
            max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=eos, eos_token_id=eos)
        new = gen[:, enc["input_ids"].shape[1]:]
        for i, text in zip(rows, tokenizer.batch_decode(new, skip_special_tokens=True)):
            outs[i] = text
    return outs


def wordmath_accuracy(model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast,
                      problems: list[wordmath.Problem], max_new_tokens: int = 128) -> float:
    """Exact-match share of final answers under greedy decoding."""
    outs = greedy_batch(model, tokenizer, [p.prompt for p in problems], max_new_tokens)
    return sum(wordmath.is_correct(p, o) for p, o in zip(problems, outs)) / len(problems)


@torch.no_grad()
def lm_loss(model: PreTrainedModel, stream: torch.Tensor, window: int = 256,
            max_tokens: int = 65536, batch: int = 16) -> float:
    """Mean next-token cross-entropy (nats) over non-overlapping windows of `stream`."""
    device = next(model.parameters()).device
    n_windows = min(len(stream) - 1, max_tokens) // window
    if n_windows == 0:
        raise TrainingError(f"stream of {len(stream)} tokens is shorter than one window ({window})")
    rows = stream[: n_windows * window].view(n_windows, window)
    total, count = 0.0, 0
    for start in range(0, n_windows, batch):
        chunk = rows[start: start + batch].to(device)
        out = model(input_ids=chunk, labels=chunk)
        # HF averages over (window - 1) shifted positions per row
        total += float(out.loss) * chunk.numel()
        count += chunk.numel()
    return total / count


def pycode_heldout_stream(tokenizer: PreTrainedTokenizerFast, max_bytes: int = 400_000
                          ) -> torch.Tensor:
    from training.train import encode_corpus

    return encode_corpus(tokenizer, pycode.texts("heldout", max_bytes=max_bytes))


@torch.no_grad()
def decode_speed(model: PreTrainedModel, prompt_len: int = 128, new_tokens: int = 64,
                 repeats: int = 3) -> tuple[float, float]:
    """(KV-cached greedy decode tokens/s at batch 1, ms per forward of the prompt); medians."""
    device = next(model.parameters()).device
    vocab = model.config.vocab_size
    gen = torch.Generator().manual_seed(0)
    prompt = torch.randint(0, vocab, (1, prompt_len), generator=gen).to(device)
    tok_s, fwd_ms = [], []
    for _ in range(repeats + 1):  # the first round warms up
        t0 = time.perf_counter()
        past = DynamicCache()
        out = forward_kv(model, prompt, past)
        t1 = time.perf_counter()
        nxt = out.logits[:, -1:].argmax(-1)
        t2 = time.perf_counter()
        for _ in range(new_tokens):
            out = forward_kv(model, nxt, past)
            nxt = out.logits[:, -1:].argmax(-1)
        t3 = time.perf_counter()
        fwd_ms.append((t1 - t0) * 1e3)
        tok_s.append(new_tokens / (t3 - t2))
    return sorted(tok_s[1:])[repeats // 2], sorted(fwd_ms[1:])[repeats // 2]


def paraphrase_accuracy(model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast, n: int,
                        seed: int | str = "zoo-eval", max_new_tokens: int = 256) -> float:
    """Share of `n` held-out `paraphrase` problems (phrasings no zoo model trained on) whose
    output's last number is the answer (the `exact-number` grader), greedy; 256 new tokens, since
    a worked solution restates each sentence of these longer questions."""
    problems = paraphrase.generate(n, seed=seed)
    outs = greedy_batch(model, tokenizer, [p.prompt for p in problems], max_new_tokens)
    return sum(last_number(o) == p.answer for p, o in zip(problems, outs)) / len(problems)
