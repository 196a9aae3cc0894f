"""Aggregation math for federated LoRA, as pure functions on numpy arrays.

Exact heterogeneous-rank aggregation (the default). Every node of a model family shares
one frozen down-projection A (r_max x d_in) generated from a public seed
(`inference.lora_basis.frozen_a`); a node of rank
r uses A[:r] and trains only B_k (d_out x r). Zero-padding B_k to r_max columns gives
B_k A[:r] = pad(B_k) A, so

    sum_k p_k B_k A[:r_k] = (sum_k p_k pad(B_k)) A

and averaging the padded B matrices IS the weighted average of the nodes' weight updates,
exactly (frozen-A LoRA, arXiv 2404.19245 style; nested ranks as in HetLoRA, arXiv
2401.06432, and FlexLoRA, arXiv 2402.11505; federated LoRA baseline FedIT, arXiv
2403.12313). A lower-rank node later receives the first r columns of the global B.

`fedavg_ab` averages A and B separately (FedIT-style), which is NOT the average of the
products; it stays available for comparison.

Robust aggregation: per-client update-norm clipping, then coordinate-wise trimmed mean
or median of the (padded) updates. Validation drops replies with non-finite values,
wrong shapes or wrong key sets, each with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from strategies.errors import StrategyError

Adapter = dict[str, np.ndarray]  # key -> B matrix (d_out, r) or A matrix (r, d_in)


@dataclass(frozen=True)
class Reply:
    """One node's adapter for one family, with its weight (e.g. examples served)."""

    node: str
    rank: int
    weight: float
    tensors: Adapter


@dataclass(frozen=True)
class RobustConfig:
    """Robust aggregation settings (on by default)."""

    enabled: bool = True
    clip_factor: float = 2.0  # clip each update's norm to clip_factor x the median norm
    clip_norm: float | None = None  # fixed clip norm instead of the median rule
    method: str = "trimmed-mean"  # or "median"
    trim: float = 0.2  # fraction trimmed from each end (trimmed-mean)

    def __post_init__(self) -> None:
        if self.method not in ("trimmed-mean", "median"):
            raise StrategyError(f"robust method {self.method!r}: use 'trimmed-mean' or 'median'")
        if not 0 <= self.trim < 0.5:
            raise StrategyError(f"trim={self.trim} must lie in [0, 0.5)")
        if self.clip_factor <= 0 or (self.clip_norm is not None and self.clip_norm <= 0):
            raise StrategyError("clip_factor and clip_norm must be positive")


def pad_columns(b: np.ndarray, r_max: int) -> np.ndarray:
    """B (d_out, r) -> (d_out, r_max), zero columns appended."""
    if b.shape[1] > r_max:
        raise StrategyError(f"B has rank {b.shape[1]} > r_max {r_max}")
    out = np.zeros((b.shape[0], r_max), dtype=np.float64)
    out[:, : b.shape[1]] = b
    return out


def pad_rows(a: np.ndarray, r_max: int) -> np.ndarray:
    """A (r, d_in) -> (r_max, d_in), zero rows appended."""
    out = np.zeros((r_max, a.shape[1]), dtype=np.float64)
    out[: a.shape[0]] = a
    return out


def validate(replies: list[Reply], expected_shapes: dict[str, tuple[int, int]], r_max: int,
             b_keys_only: bool = True) -> tuple[list[Reply], list[tuple[str, str]]]:
    """Split replies into usable ones and (node, reason) for the dropped.

    `expected_shapes` maps each key to its full-rank shape: B keys (d_out, r_max), A keys
    (r_max, d_in). A reply of rank r must give B (d_out, r) (and A (r, d_in)).
    """
    good, dropped = [], []
    keys = set(expected_shapes)
    for reply in replies:
        if set(reply.tensors) != keys:
            missing, extra = sorted(keys - set(reply.tensors)), sorted(set(reply.tensors) - keys)
            dropped.append((reply.node, f"wrong keys (missing {missing[:2]}, unexpected {extra[:2]})"))
            continue
        if not 1 <= reply.rank <= r_max:
            dropped.append((reply.node, f"rank {reply.rank} outside [1, {r_max}]"))
            continue
        if not np.isfinite(reply.weight) or reply.weight <= 0:
            dropped.append((reply.node, f"non-positive or non-finite weight {reply.weight}"))
            continue
        reason = None
        for key, tensor in reply.tensors.items():
            full = expected_shapes[key]
            want = (full[0], reply.rank) if _is_b(key) else (reply.rank, full[1])
            if tuple(tensor.shape) != want:
                reason = f"{key} has shape {tuple(tensor.shape)}, expected {want}"
                break
            if not np.isfinite(tensor).all():
                reason = f"{key} holds NaN or Inf"
                break
        if reason:
            dropped.append((reply.node, reason))
        else:
            good.append(reply)
    return good, dropped


def _is_b(key: str) -> bool:
    return "lora_B" in key


def robust_mean(stack: np.ndarray, weights: np.ndarray, cfg: RobustConfig) -> np.ndarray:
    """stack (K, ...) -> (...): weighted mean, or trimmed mean / median when robust."""
    if not cfg.enabled:
        return np.tensordot(weights / weights.sum(), stack, axes=1)
    if cfg.method == "median":
        return np.median(stack, axis=0)
    k = stack.shape[0]
    cut = int(np.floor(cfg.trim * k))
    if cut == 0:
        return np.tensordot(weights / weights.sum(), stack, axes=1)
    ordered = np.sort(stack, axis=0)
    return ordered[cut: k - cut].mean(axis=0)


def clip_updates(updates: list[Adapter], cfg: RobustConfig) -> tuple[list[Adapter], list[float]]:
    """Scale each client's update (all its tensors together) to norm <= the clip norm."""
    norms = [float(np.sqrt(sum(float((t.astype(np.float64) ** 2).sum()) for t in u.values()))) for u in updates]
    if not cfg.enabled or not updates:
        return updates, norms
    limit = cfg.clip_norm if cfg.clip_norm is not None else cfg.clip_factor * float(np.median(norms))
    out = []
    for update, norm in zip(updates, norms):
        scale = 1.0 if norm <= limit or norm == 0 else limit / norm
        out.append({k: v * scale for k, v in update.items()})
    return out, norms


def aggregate_frozen_a(replies: list[Reply], previous: Adapter, r_max: int,
                       cfg: RobustConfig = RobustConfig()) -> tuple[Adapter, dict]:
    """Exact heterogeneous-rank aggregation of B matrices (A frozen and shared).

    `previous` is the global B adapter of the last round (d_out, r_max) per key; updates
    are taken against it (for clipping), padded to r_max and combined.
    Returns (new global B per key, float32; info).
    """
    if not replies:
        return previous, {"clients": 0}
    weights = np.array([r.weight for r in replies], dtype=np.float64)
    updates = [{k: pad_columns(t, r_max) - previous[k] for k, t in r.tensors.items()} for r in replies]
    updates, norms = clip_updates(updates, cfg)
    new = {}
    for key in previous:
        stack = np.stack([u[key] for u in updates])  # (K, d_out, r_max)
        new[key] = (previous[key] + robust_mean(stack, weights, cfg)).astype(np.float32)
    return new, {"clients": len(replies), "update_norms": norms}


def mean_from_sum(weighted: Adapter, weight: float, previous: Adapter) -> Adapter:
    """The frozen-A average from a secure sum: sum_k w_k pad(B_k) / sum_k w_k, which is what
    `aggregate_frozen_a` computes without robust aggregation (previous + the mean update
    = the weighted mean of the padded B). A round in which nobody served keeps `previous`."""
    if set(weighted) != set(previous):
        raise StrategyError("the secure sum's keys differ from the global adapter's")
    if not np.isfinite(weight) or weight <= 0:
        return previous
    return {k: (np.asarray(weighted[k], dtype=np.float64) / weight).astype(np.float32) for k in previous}


def aggregate_fedavg_ab(replies: list[Reply], r_max: int) -> tuple[Adapter, dict]:
    """FedAvg of A and B separately (zero-padded to r_max): the inexact baseline."""
    weights = np.array([r.weight for r in replies], dtype=np.float64)
    weights /= weights.sum()
    keys = replies[0].tensors.keys()
    out = {}
    for key in keys:
        pad = pad_columns if _is_b(key) else pad_rows
        out[key] = np.tensordot(weights, np.stack([pad(r.tensors[key], r_max) for r in replies]), axes=1
                                ).astype(np.float32)
    return out, {"clients": len(replies)}


def effective_delta(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The weight update B A of one module (scaling 1: every node uses alpha = r)."""
    return b.astype(np.float64) @ a.astype(np.float64)


def truncate_for_rank(global_b: Adapter, rank: int) -> Adapter:
    """What a node of `rank` receives: the first `rank` columns of each global B."""
    return {k: np.ascontiguousarray(v[:, :rank]) for k, v in global_b.items()}
