"""`fedhybrid bench models`: size, quality and speed of every zoo model."""

from __future__ import annotations

import torch

from inference.zoo import Zoo, load_causal_lm
from training import evaluate
from workloads import wordmath


def run(zoo: Zoo, problems: int = 200, seed: int = 1) -> list[dict]:
    """One row per zoo model; quality on held-out data, speed at batch 1 (medians)."""
    rows = []
    eval_set = wordmath.generate("heldout", problems, seed=seed)
    heldout_code = None
    for name in sorted(zoo.names, key=lambda n: zoo.entry(n)["params"]):
        model, tokenizer = load_causal_lm(name, zoo)
        if heldout_code is None:
            heldout_code = evaluate.pycode_heldout_stream(tokenizer)
        tok_s, fwd_ms = evaluate.decode_speed(model)
        rows.append({
            "name": name,
            "tiers": sorted(t for t, m in zoo.tiers.items() if m == name),
            "params": sum(p.numel() for p in model.parameters()),
            "bytes": (zoo.path(name) / "model.safetensors").stat().st_size,
            "wordmath_acc": evaluate.wordmath_accuracy(model, tokenizer, eval_set),
            # the same arithmetic phrased unlike the templates (no zoo model trained on it)
            "paraphrase_acc": evaluate.paraphrase_accuracy(model, tokenizer, problems, seed=seed),
            "pycode_loss": evaluate.lm_loss(model, heldout_code),
            "decode_tok_s": tok_s,
            "prefix128_ms": fwd_ms,
            "threads": torch.get_num_threads(),
            "problems": problems,
        })
    return rows


COLUMNS = [("name", "{}"), ("tiers", "{}"), ("params", "{:,}"), ("bytes", "{:,}"),
           ("wordmath_acc", "{:.3f}"), ("paraphrase_acc", "{:.3f}"), ("pycode_loss", "{:.3f}"), ("decode_tok_s", "{:.0f}"),
           ("prefix128_ms", "{:.1f}")]
