"""Federated averaging of reward heads, one global head per model family.

Each device fine-tunes the family's global head on the labels it collected while serving
(inference/reward_labels.py, inference/reward_head.fine_tune) and sends the weights back
with the number of labels. The server takes every valid head as an update against the
global one it sent, clips and averages the updates exactly as it does for adapters
(`strategies.lora_math`: label-weighted mean, or trimmed mean / median when robust), and
adds the result: FedAvg (McMahan et al., arXiv 1602.05629) with the same robust rule.
A reply whose weights miss a key, change a shape, hold NaN/Inf or carry no labels is left
out with its reason; it never changes the head.
"""

from __future__ import annotations

import numpy as np

from strategies.lora_math import RobustConfig, clip_updates, robust_mean

Head = dict[str, np.ndarray]


def check_head(previous: Head, head: Head, labels: float) -> str | None:
    """Why `head` cannot be averaged into `previous` (None: it can)."""
    if not labels > 0 or not np.isfinite(labels):
        return f"reward head with {labels} labels"
    if set(head) != set(previous):
        return f"reward head keys {sorted(head)} differ from the global head's"
    for key, value in head.items():
        value = np.asarray(value)
        if value.shape != previous[key].shape:
            return f"reward head {key} has shape {value.shape}, expected {previous[key].shape}"
        if not np.isfinite(value).all():
            return f"reward head {key} holds NaN or Inf"
    return None


def aggregate_heads(previous: Head, replies: list[tuple[str, float, Head]], cfg: RobustConfig = RobustConfig()
                    ) -> tuple[Head, dict]:
    """(new global head, info) from (device, labels, head) replies; invalid ones are dropped
    (named in info["dropped"]) and, with none valid, the previous head is kept."""
    good, dropped = [], []
    for device, labels, head in replies:
        reason = check_head(previous, head, labels)
        if reason is None:
            good.append((device, float(labels), head))
        else:
            dropped.append((device, reason))
    if not good:
        return previous, {"heads": 0, "labels": 0.0, "dropped": dropped}
    weights = np.array([n for _, n, _ in good], dtype=np.float64)
    updates = [{k: np.asarray(h[k], dtype=np.float64) - previous[k] for k in previous} for _, _, h in good]
    updates, norms = clip_updates(updates, cfg)
    new = {k: (previous[k] + robust_mean(np.stack([u[k] for u in updates]), weights, cfg)).astype(np.float32)
           for k in previous}
    return new, {"heads": len(good), "labels": float(weights.sum()), "dropped": dropped, "update_norms": norms}
