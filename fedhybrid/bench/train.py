"""`fedhybrid bench train`: what length buckets save in a training step, and that they change
nothing else.

Each zoo model takes the word-problem batches of the build's equations stage (`zoo build
--widen equations`: 60% `phrasings`, 40% templates), and each batch's forward and backward
pass is timed twice on the same weights: as one batch padded to its longest row, and in length
buckets (`training.buckets`). The first batch's two gradients are compared; pycode batches (one
fixed window, no padding) are left out, since buckets leave them one batch.
"""

from __future__ import annotations

import dataclasses
import statistics
import time

import torch

from inference.zoo import Zoo, load_causal_lm
from training import buckets
from training.train import Batches
from training.zoo_build import EQUATIONS


def _grad(model: torch.nn.Module) -> torch.Tensor:
    """All parameter gradients as one flat vector (P,), then cleared."""
    flat = torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])
    model.zero_grad(set_to_none=True)
    return flat


def _padded_backward(model: torch.nn.Module, ids: torch.Tensor, labels: torch.Tensor) -> None:
    model(input_ids=ids, labels=labels).loss.backward()


def measure(model: torch.nn.Module, batch_list: list[tuple[torch.Tensor, torch.Tensor]],
            max_parts: int) -> dict:
    """Median forward+backward seconds per batch, padded and bucketed (alternating, so drift
    on a noisy machine hits both alike), the share of the padded grid that holds a token, and
    the relative difference of the first batch's gradients."""
    model.train()
    padded_s, bucket_s, filled, parts = [], [], [], []
    ids, labels = batch_list[0]
    _padded_backward(model, ids, labels)
    reference = _grad(model)
    buckets.backward(model, ids, labels, max_parts)
    grad_diff = float((_grad(model) - reference).norm() / reference.norm())
    for i, (ids, labels) in enumerate(batch_list):
        lengths = buckets.row_lengths(labels)
        filled.append(sum(lengths) / labels.numel())
        parts.append(len(buckets.plan(lengths, max_parts)))
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for which in order:
            started = time.perf_counter()
            if which == 0:
                _padded_backward(model, ids, labels)
            else:
                buckets.backward(model, ids, labels, max_parts)
            (padded_s if which == 0 else bucket_s).append(time.perf_counter() - started)
            model.zero_grad(set_to_none=True)
    padded, bucketed = statistics.median(padded_s), statistics.median(bucket_s)
    return {"batches": len(batch_list), "rows": int(batch_list[0][0].shape[0]),
            "grid_filled": statistics.median(filled), "parts": statistics.median(parts),
            "padded_s": padded, "buckets_s": bucketed, "speedup": padded / bucketed,
            "grad_rel_diff": grad_diff}


def run(zoo: Zoo, names: list[str] | None = None, batches: int = 8, max_parts: int = buckets.MAX_PARTS,
        on_model=None) -> list[dict]:
    """One row per zoo model (smallest first), on its equations stage's word-problem batches."""
    rows = []
    stages = {m.name: m.widen for m in EQUATIONS.models}
    for name in sorted(names or zoo.names, key=lambda n: zoo.entry(n)["params"]):
        if on_model is not None:
            on_model(name)
        model, tokenizer = load_causal_lm(name, zoo)  # float32, as training runs
        cfg = dataclasses.replace(stages.get(name, stages["cloud"]), code_fraction=0.0)
        stream = Batches(tokenizer, None, cfg)
        batch_list = [stream.next()[1:] for _ in range(batches)]
        rows.append({"name": name, "params": sum(p.numel() for p in model.parameters()),
                     **measure(model, batch_list, max_parts), "max_parts": max_parts,
                     "threads": torch.get_num_threads()})
    return rows


COLUMNS = [("name", "{}"), ("params", "{:,}"), ("rows", "{}"), ("grid_filled", "{:.0%}"), ("parts", "{:g}"),
           ("padded_s", "{:.3f}"), ("buckets_s", "{:.3f}"), ("speedup", "{:.2f}x"), ("grad_rel_diff", "{:.1e}")]
