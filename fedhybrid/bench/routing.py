"""`fedhybrid bench routing`: every policy over a threshold sweep, plus speed checks.

Rows: policy, threshold, cloud share, accuracy (wordmath exact match), agreement with the
cloud-only output (position-aligned token match), identical (share of outputs equal to
cloud-only), tok/s. Separate measurements: pycode agreement per policy, reward-head cost
against a device step, and hybrid decoding with KV caches against recomputing the prefix.
"""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path

import numpy as np
import torch

from fedhybrid.stats import bootstrap_ratios
from inference.cloud import LocalCloud
from inference.decoder import HybridDecoder
from inference.device_model import DeviceModel
from inference.generation import DecodeConfig, Provenance
from inference.reward_head import RewardHead
from inference.router import make_policy
from workloads import pycode, wordmath

CONFIDENCE_SWEEP = (0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99)
# taus swept besides the head's calibration table, whose grid (quantiles of the head's scores)
# leaves the 5-10% shares between two far-apart points: interpolating there would misjudge the head
REWARD_SWEEP = (0.15, 0.3, 0.5, 0.8, 1.3, 2.0, 3.0)
FUSION_SWEEP = (0.5, 0.8, 0.95)
# the federated head (--head-from) has no calibration table of its own: a fixed tau grid
FEDERATED_TAUS = (0.0, 0.005, 0.01, 0.02, 0.035, 0.06, 0.1, 0.2, 0.35, 0.6, 1.0, 1.5, 2.0, 3.0)
MATCHED_SHARES = (0.05, 0.075, 0.10, 0.125, 0.15, 0.175, 0.20)


def agreement(outputs: list[list[int]], reference: list[list[int]]) -> tuple[float, float]:
    """(mean position-aligned token agreement, share of identical outputs)."""
    rates, same = [], 0
    for out, ref in zip(outputs, reference):
        n = max(len(out), len(ref), 1)
        rates.append(sum(a == b for a, b in zip(out, ref)) / n)
        same += out == ref
    return sum(rates) / len(rates), same / len(reference)


def _run(decoder: HybridDecoder, policy, prompts: list[str], cfg: DecodeConfig) -> dict:
    outputs, texts, tokens, cloud, seconds = [], [], 0, 0, 0.0
    for prompt in prompts:
        gen = decoder.generate(prompt, policy, cfg, use_cache=False)
        outputs.append(gen.token_ids)
        texts.append(gen.text)
        tokens += len(gen.token_ids)
        cloud += gen.count(Provenance.CLOUD)
        seconds += gen.elapsed_s
    return {"outputs": outputs, "texts": texts, "cloud_share": cloud / max(1, tokens),
            "tok_s": tokens / seconds if seconds else 0.0, "tokens": tokens}


def sweep(device_model, cloud: LocalCloud, tokenizer, head: RewardHead, taus: list[float],
          problems: int, seed: int = 0, max_new_tokens: int = 128,
          progress=None, federated: RewardHead | None = None) -> list[dict]:
    """Rows per (policy, threshold); with `federated` (a head the fleet trained) also
    "reward-federated" over FEDERATED_TAUS."""
    probs = wordmath.generate("heldout", problems, seed=f"bench-routing/{seed}")
    prompts = [p.prompt for p in probs]
    decoder = HybridDecoder(device_model, tokenizer, cloud)
    cfg = DecodeConfig(max_new_tokens=max_new_tokens, deadline_s=30.0)
    configs = ([("cloud-only", None), ("slm-only", None)] + [("reward", t) for t in taus]
               + [("confidence", t) for t in CONFIDENCE_SWEEP] + [("fusion", t) for t in FUSION_SWEEP])
    if federated is not None:
        configs += [("reward-federated", t) for t in FEDERATED_TAUS]
    rows, reference = [], None
    for i, (name, threshold) in enumerate(configs):
        policy = (make_policy("reward", threshold, head=federated) if name == "reward-federated"
                  else make_policy(name, threshold, head=head))
        result = _run(decoder, policy, prompts, cfg)
        if reference is None:
            reference = result["outputs"]
        agree, identical = agreement(result["outputs"], reference)
        correct = [int(wordmath.is_correct(p, t)) for p, t in zip(probs, result["texts"])]
        rows.append({"policy": name, "threshold": threshold, "cloud_share": result["cloud_share"],
                     "accuracy": sum(correct) / len(probs), "agreement": agree, "identical": identical,
                     "tok_s": result["tok_s"], "problems": len(probs), "correct": correct})
        if progress:
            progress(i + 1, len(configs))
    return rows


def pycode_agreement(device_model, cloud: LocalCloud, tokenizer, head: RewardHead, tau: float,
                     tasks: int, max_new_tokens: int = 24) -> list[dict]:
    """Line completion on held-out stdlib files: agreement with cloud-only, exact lines."""
    items = pycode.line_tasks("heldout", tasks, seed=0)
    prompts = [t.prefix for t in items]
    decoder = HybridDecoder(device_model, tokenizer, cloud)
    cfg = DecodeConfig(max_new_tokens=max_new_tokens, stop_at_eos=True, deadline_s=30.0)
    rows, reference = [], None
    for name, threshold in (("cloud-only", None), ("slm-only", None), ("reward", tau),
                            ("confidence", 0.8)):
        result = _run(decoder, make_policy(name, threshold, head=head), prompts, cfg)
        if reference is None:
            reference = result["outputs"]
        agree, _ = agreement(result["outputs"], reference)
        exact = sum(text.split("\n")[0] == t.line for text, t in zip(result["texts"], items)) / len(items)
        rows.append({"policy": name, "threshold": threshold, "cloud_share": result["cloud_share"],
                     "agreement": agree, "line_exact": exact, "tasks": len(items)})
    return rows


@torch.no_grad()
def head_cost(device_model, tokenizer, head: RewardHead, repeats: int = 300) -> dict:
    """Median seconds of one device step and of one reward-head score (same inputs)."""
    device = DeviceModel(device_model)
    prompt = tokenizer(wordmath.generate("heldout", 1, seed=3)[0].prompt)["input_ids"]
    tokens = list(prompt)
    step_times, head_times = [], []
    step = device.step(tokens)
    for _ in range(repeats):
        tokens.append(step.top_token)
        if len(tokens) >= device.max_positions - 1:
            tokens = list(prompt)
            device.reset()
        t0 = time.perf_counter()
        step = device.step(tokens)
        t1 = time.perf_counter()
        head.score(step.hidden, step.logprobs)
        t2 = time.perf_counter()
        step_times.append(t1 - t0)
        head_times.append(t2 - t1)
    step_s = sorted(step_times)[len(step_times) // 2]
    head_s = sorted(head_times)[len(head_times) // 2]
    return {"device_step_ms": step_s * 1e3, "head_ms": head_s * 1e3, "head_share": head_s / step_s,
            "head_backend": head.backend}


def kv_speedup(device_model, cloud_model, tokenizer, head: RewardHead, tau: float, problems: int
               ) -> dict:
    """Hybrid decoding (reward policy) with KV caches vs recomputing the prefix every step."""
    prompts = [p.prompt for p in wordmath.generate("heldout", problems, seed="bench-kv")]
    policy = make_policy("reward", tau, head=head)
    cfg = DecodeConfig(max_new_tokens=128, deadline_s=60.0)
    out = {}
    for label, use_kv in (("kv", True), ("recompute", False)):
        cloud = LocalCloud(cloud_model, use_kv_cache=use_kv)
        decoder = HybridDecoder(device_model, tokenizer, cloud, use_kv_cache=use_kv)
        result = _run(decoder, policy, prompts, cfg)
        cloud.close()
        out[f"{label}_tok_s"] = result["tok_s"]
        out[f"{label}_outputs"] = result["outputs"]
    out["speedup"] = out["kv_tok_s"] / out["recompute_tok_s"]
    out["identical_outputs"] = out.pop("kv_outputs") == out.pop("recompute_outputs")
    return out


def at_shares(rows: list[dict], shares=MATCHED_SHARES) -> list[dict]:
    """Accuracy of each swept policy at equal cloud shares: linear interpolation between its
    two thresholds that bracket the share (None outside the swept range)."""
    out = []
    for name in sorted({r["policy"] for r in rows if r["threshold"] is not None}):
        pts = _points(rows, name, "accuracy")
        row = {"policy": name}
        for share in shares:
            found = _bracket(pts, share)
            row[f"{share:.1%}"] = (None if found is None else
                                   (1 - found[2]) * rows[found[0]]["accuracy"] + found[2] * rows[found[1]]["accuracy"])
        out.append(row)
    return out


def _points(rows: list[dict], policy: str, field: str) -> list[tuple[float, int]]:
    """(cloud share, row index) of `policy`'s swept rows that carry `field`, by share."""
    return sorted((r["cloud_share"], k) for k, r in enumerate(rows) if r["policy"] == policy and field in r)


def _bracket(pts: list[tuple[float, int]], share: float) -> tuple[int, int, float] | None:
    """(i, j, w): the share lies between swept points i and j at weight w of the way (None outside)."""
    for (x0, i), (x1, j) in pairwise(pts):
        if x0 <= share <= x1:
            return i, j, 0.0 if x1 == x0 else (share - x0) / (x1 - x0)
    return None


def gaps_at_shares(rows: list[dict], baseline: str = "confidence", shares=MATCHED_SHARES,
                   resamples: int = 2000, seed: int = 0) -> list[dict]:
    """Each policy's accuracy minus `baseline`'s at equal cloud share, with a 95% paired
    percentile bootstrap interval over problems (fedhybrid/stats.py).

    At a share between two swept thresholds a problem counts as the interpolation of its
    correctness at both (the same weights `at_shares` uses), so the point estimate is the
    difference of the `at_shares` rows; both policies are judged on the same resampled
    problems. The interpolation weights come from the full sample. Rows without per-problem
    `correct` lists are skipped. Returns [{"policy", share: Interval or None}].
    """
    def at(pts, share) -> np.ndarray | None:
        found = _bracket(pts, share)
        if found is None:
            return None
        i, j, w = found
        return (1 - w) * np.asarray(rows[i]["correct"], float) + w * np.asarray(rows[j]["correct"], float)

    base = _points(rows, baseline, "correct")
    out = []
    for name in sorted({r["policy"] for r in rows if r["threshold"] is not None} - {baseline}):
        pts, row, columns, ratios = _points(rows, name, "correct"), {"policy": name}, {}, {}
        for share in shares:
            a, b = at(pts, share), at(base, share)
            row[f"{share:.1%}"] = None
            if a is not None and b is not None:
                columns[f"{share:.1%}"], ratios[f"{share:.1%}"] = a - b, (f"{share:.1%}", "problems")
        if columns:
            columns["problems"] = np.ones(len(next(iter(columns.values()))))
            row.update(bootstrap_ratios(columns, ratios, resamples=resamples, seed=seed))
        out.append(row)
    return out


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    markers = {"reward": "o-", "reward-federated": "D-", "confidence": "s--", "fusion": "^:", "slm-only": "kx",
               "cloud-only": "k*"}
    for name in ("reward", "reward-federated", "confidence", "fusion", "slm-only", "cloud-only"):
        pts = sorted((r["cloud_share"], r["accuracy"]) for r in rows if r["policy"] == name)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], markers[name], label=name, markersize=8)
    ax.set_xlabel("cloud share (tokens generated by the cloud)")
    ax.set_ylabel("wordmath held-out accuracy (exact match)")
    ax.set_title("Accuracy vs cloud share per routing policy")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


COLUMNS = [("policy", "{}"), ("threshold", "{:.3g}"), ("cloud_share", "{:.1%}"), ("accuracy", "{:.1%}"),
           ("agreement", "{:.1%}"), ("identical", "{:.1%}"), ("tok_s", "{:.0f}")]
