"""Reward-head labels a device collects while it serves, for the fleet to train the head.

The head regresses r_t = log p_cloud(y_t|ctx) - max_v log p_cloud(v|ctx) (inference/
reward_head.py, arXiv 2409.13757). A device learns r_t for its own tokens at almost no extra
cloud cost:
- escalated tokens: the cloud's answer carries its top-k log-probabilities, so the device's
  proposal gets r = lp(proposal) - lp(top-1), or the label floor when the proposal is not
  among the cloud's top k (far enough from the cloud's choice for routing);
- accepted tokens before an escalation: the escalation's call scores every position the
  cloud had not seen (the decoder's observations), so each such token gets its exact r;
- accepted tokens after the request's last cloud call are never scored for free. With the
  exploration rate eps, a request is spot-checked once it ends: one cloud call scores its
  tail. The coin is thrown per request, independently of the tokens, so every accepted
  token is labelled with a known probability: 1 (scored for free) or eps (the tail). Each
  label carries the weight 1 / that probability (Horvitz-Thompson), which makes weighted
  sums over the labelled accepted tokens unbiased estimates of the sums over all accepted
  tokens; without the spot checks the labels would only cover tokens that preceded an
  escalation, a biased sample of what the head accepts.
Only the top of an escalation chain labels (a hub's scores are not the cloud's). Tokens the
cache served have no device step, hence no features, and are not labelled.

Shapes: a feature row is the device's last hidden state (d) then its top-k next-token
log-probabilities (k), float32, exactly the head's input before its LayerNorm.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import torch

from inference.errors import InferenceError
from inference.reward_head import RewardHead, fine_tune, head_arrays

# score histograms of a device's routed tokens (summed per tier by the server, server/head_round.py).
# The head predicts r in [label_floor, 0] and most tokens score near 0, where the thresholds
# lie (calibrated taus of 0.01-0.3): geometric bins from -8.5 to -1e-4, then a few above 0.
HIST_EDGES = np.concatenate([-np.geomspace(8.5, 1e-4, 300), [0.0, 0.05, 0.1, 0.2, 0.5]])


def score_histogram(scores: np.ndarray) -> list[float]:
    """Counts of head scores per bin of HIST_EDGES (outside values land in the end bins)."""
    clipped = np.clip(np.asarray(scores, dtype=np.float64), HIST_EDGES[0], HIST_EDGES[-1] - 1e-9)
    counts, _ = np.histogram(clipped, bins=HIST_EDGES)
    return [float(c) for c in counts]


def threshold_for(hist: np.ndarray, share: float) -> float | None:
    """tau >= 0 such that `share` of the scores lie below -tau, interpolated within the bin
    where the cumulative share crosses it (None: no scores)."""
    total = float(hist.sum())
    if total <= 0:
        return None
    cdf = np.concatenate([[0.0], np.cumsum(hist) / total])  # cdf[i]: share of scores < HIST_EDGES[i]
    i = int(np.searchsorted(cdf, share, side="left"))  # first edge at or past the target share
    if i == 0:
        return max(0.0, -float(HIST_EDGES[0]))
    i = min(i, len(HIST_EDGES) - 1)
    lo, hi = cdf[i - 1], cdf[i]
    frac = 0.0 if hi <= lo else (share - lo) / (hi - lo)
    edge = float(HIST_EDGES[i - 1] + frac * (HIST_EDGES[i] - HIST_EDGES[i - 1]))
    return max(0.0, -edge)


@dataclass(frozen=True)
class LabelConfig:
    top_k: int = 8  # the head's k
    explore: float = 0.0  # share of requests spot-checked at their end
    floor: float = -8.0  # label of a proposal outside the cloud's top k
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.explore <= 1.0:
            raise InferenceError(f"explore={self.explore} must lie in [0, 1]")
        if self.top_k <= 0 or self.floor >= 0:
            raise InferenceError("top_k must be positive and floor negative")


@dataclass
class Labels:
    """What one device collected: rows, labels, weights and how each label was obtained."""

    features: list[np.ndarray] = field(default_factory=list)  # (d + k,) float32 each
    labels: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # "escalated", "observed", "explored"
    positions: list[int] = field(default_factory=list)  # the token's position in its request
    proposed: list[np.ndarray] = field(default_factory=list)  # every routed token's features, labelled or not
    accepted_tail: int = 0  # accepted tokens after a request's last cloud call (explored or not)
    explore_calls: int = 0
    explore_tokens_computed: int = 0

    def __len__(self) -> int:
        return len(self.labels)

    def arrays(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(N, d + k) features, (N,) labels, (N,) weights as float32 tensors."""
        if not self.labels:
            raise InferenceError("no reward labels collected")
        return (torch.from_numpy(np.stack(self.features)).float(), torch.tensor(self.labels, dtype=torch.float32),
                torch.tensor(self.weights, dtype=torch.float32))

    def count(self, kind: str) -> int:
        return sum(1 for k in self.kinds if k == kind)

    def extend(self, other: Labels, max_rows: int | None = None) -> None:
        """Append `other`'s labels (a device agent gathers each request's into one store); with
        `max_rows`, the oldest labelled and proposed rows are dropped beyond it (bounded memory:
        a row is ~1.6 KB at d=384)."""
        for name in _ROW_LISTS:
            rows = getattr(self, name)
            rows.extend(getattr(other, name))
            if max_rows is not None:
                del rows[:max(0, len(rows) - max_rows)]
        self.accepted_tail += other.accepted_tail
        self.explore_calls += other.explore_calls
        self.explore_tokens_computed += other.explore_tokens_computed


_ROW_LISTS = ("features", "labels", "weights", "kinds", "positions", "proposed")  # Labels' per-row lists


class LabelCollector:
    """Collects labels across a device's requests (one per device; the decoder calls it)."""

    def __init__(self, cfg: LabelConfig = LabelConfig()):
        self.cfg = cfg
        self.out = Labels()
        self._rng = random.Random(cfg.seed)
        self._pending: dict[int, tuple[np.ndarray, bool]] = {}  # position -> (features, escalated)

    # -- per request (the decoder's side) ------------------------------------------------------
    def begin(self) -> None:
        self._pending = {}

    def proposed(self, position: int, hidden: torch.Tensor, logprobs: torch.Tensor) -> None:
        """The device proposed a token at `position` (accepted or about to be escalated)."""
        top = torch.topk(logprobs, self.cfg.top_k).values
        row = torch.cat([hidden.float(), top.float()]).numpy().copy()
        self._pending[position] = (row, False)
        self.out.proposed.append(row)

    def escalated(self, position: int, proposal: int, top_ids: list[int], top_logprobs: list[float]) -> None:
        """The cloud answered the escalation at `position`: label the device's proposal."""
        row = self._pending.pop(position, None)
        if row is None or not top_logprobs:
            return
        lp = dict(zip(top_ids, top_logprobs))
        r = lp[proposal] - top_logprobs[0] if proposal in lp else self.cfg.floor
        self._add(position, row[0], max(r, self.cfg.floor), 1.0, "escalated")

    def dropped(self, position: int) -> None:
        """The position's token was not the device's (a hub answered it, the cloud replaced it)."""
        self._pending.pop(position, None)

    def observed(self, position: int, reward: float, weight: float = 1.0, kind: str = "observed") -> None:
        """The cloud scored the device's token at `position` (r exactly)."""
        row = self._pending.pop(position, None)
        if row is not None:
            self._add(position, row[0], max(reward, self.cfg.floor), weight, kind)

    def truncate(self, length: int) -> None:
        """A rollback removed every position >= length."""
        self._pending = {p: v for p, v in self._pending.items() if p < length}

    def spot_check(self) -> bool:
        """At the end of a request with unlabelled accepted tokens: throw the exploration coin
        (counting those tokens as the tail either way)."""
        self.out.accepted_tail += len(self._pending)
        if not self._pending or self.cfg.explore <= 0:
            return False
        return self._rng.random() < self.cfg.explore

    @property
    def tail_weight(self) -> float:
        return 1.0 / self.cfg.explore

    def tail_start(self) -> int | None:
        return min(self._pending) if self._pending else None

    def _add(self, position: int, features: np.ndarray, label: float, weight: float, kind: str) -> None:
        self.out.positions.append(position)
        self.out.features.append(features)
        self.out.labels.append(float(label))
        self.out.weights.append(float(weight))
        self.out.kinds.append(kind)

    def take(self) -> Labels:
        """Everything collected so far (then forgotten here)."""
        out, self.out = self.out, Labels()
        return out


MIN_HEAD_LABELS = 10  # fewer labels: no head update from this device this round


def tune_on_labels(head: RewardHead, labels: Labels, epochs: int, lr: float, seed: int):
    """(fine-tuned head weights or None, score histogram of the routed tokens, metrics) from a
    round's reward labels: what a device sends back for the fleet's head (server/head_round.py)."""
    metrics = {"head-labels": 0.0, "head-escalated": float(labels.count("escalated")),
               "head-observed": float(labels.count("observed")), "head-explored": float(labels.count("explored")),
               "explore-calls": float(labels.explore_calls),
               "explore-tokens-computed": float(labels.explore_tokens_computed)}
    tuned, arrays = head, None
    if len(labels) >= MIN_HEAD_LABELS:
        x, y, w = labels.arrays()
        tuned, stats = fine_tune(head, x, y, w, epochs=epochs, lr=lr, seed=seed)
        arrays = head_arrays(tuned)
        metrics.update({"head-labels": float(len(labels)), "head-loss-before": stats["loss_before"],
                        "head-loss-after": stats["loss_after"]})
    return arrays, routed_histogram(tuned, labels), metrics


def routed_histogram(head: RewardHead, labels: Labels) -> list[float] | None:
    """`head`'s score histogram on the tokens the labels' requests routed (None: none routed)."""
    if not labels.proposed:
        return None
    rows = torch.from_numpy(np.stack(labels.proposed)).float()  # (N, d + k)
    with torch.no_grad():
        scores = head.predict_rows(rows).numpy()
    return score_histogram(scores)
