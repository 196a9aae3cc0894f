"""The federated reward head, server side: one global head per model family, a threshold per tier.

Each round (federated-head=true):
1. every node's train message carries its family's global head (safetensors bytes) and
   the exploration rate; the first round's head is the zoo's calibrated one;
2. a device labels its tokens while serving, fine-tunes the head and replies with it, the
   number of labels, and a histogram of its fine-tuned head's scores on the tokens it routed
   (inference/reward_labels.py; a simulated device within the round, fleet/device_node.py; a
   device agent on what it served since the last round, agent/head.py);
3. here, per family, the heads are averaged (strategies/reward_heads.py: label-weighted,
   clipped, robust when `robust`), and with target-escalation-share > 0 each tier's
   threshold tau becomes the one at which that share of the tier's routed tokens scores
   below -tau (the tier's histograms summed). The histograms come from each device's
   fine-tuned head, the closest stand-in for the average it will run next round.
Heads and thresholds live in the server state (checkpointed with the round).
"""

from __future__ import annotations

import logging

import numpy as np

from inference.errors import InferenceError
from inference.reward_head import head_arrays, pack_head, unpack_head
from inference.reward_labels import HIST_EDGES, threshold_for
from server.errors import ServerError
from strategies.lora_math import RobustConfig
from strategies.reward_heads import aggregate_heads

log = logging.getLogger("fedhybrid.server")


class HeadRound:
    def __init__(self, state, zoo_heads: dict, tier_family: dict[str, str], thresholds: dict[str, float],
                 explore: float, target: float, robust: RobustConfig):
        """`zoo_heads`: family -> RewardHead (the starting point); `thresholds`: the calibrated taus,
        replaced by the state's when it has recalibrated ones (a resumed run)."""
        self.state, self.tier_family = state, tier_family
        self.explore, self.target, self.robust = explore, target, robust
        for family, head in zoo_heads.items():
            state.heads.setdefault(family, head_arrays(head))
        thresholds.update(state.thresholds)  # what the last round recalibrated
        self.thresholds = thresholds
        self._packed: dict[str, bytes] = {}  # family -> its head's bytes, packed once per round
        self._packed_round = 0

    def payload(self, tier: str, round_: int) -> dict:
        if round_ != self._packed_round:
            self._packed, self._packed_round = {}, round_
        family = self.tier_family[tier]
        if family not in self._packed:
            self._packed[family] = pack_head(self.state.heads[family])
        return {"reward-head": self._packed[family], "explore-rate": self.explore}

    def finish(self, round_: int, accepted: list) -> dict:
        """Average the accepted replies' heads per family, recalibrate the tiers; returns the round's record."""
        replies: dict[str, list] = {f: [] for f in self.state.heads}
        hists: dict[str, np.ndarray] = {}
        dropped = []
        for a in accepted:
            family = self.tier_family.get(a.node.tier)
            raw = a.config.get("reward-head")
            if family is None or raw is None:
                continue  # a replayed device, or too few labels this round: no head
            try:
                head = unpack_head(raw)
                labels = float(a.metrics.get("head-labels", 0.0))
                hist = np.asarray(a.config.get("route-hist", []), dtype=np.float64)
            except (InferenceError, TypeError, ValueError) as exc:
                dropped.append((a.node.device, f"reward head unreadable ({exc})"))
                continue
            replies[family].append((a.node.device, labels, head))
            if hist.shape == (len(HIST_EDGES) - 1,) and np.isfinite(hist).all() and (hist >= 0).all():
                hists[a.node.tier] = hists.get(a.node.tier, 0) + hist
            elif hist.size:
                dropped.append((a.node.device, f"route histogram of shape {hist.shape} ignored"))
        record: dict = {"families": {}, "thresholds": {}}
        for family, items in replies.items():
            if not items:
                continue
            new, info = aggregate_heads(self.state.heads[family], items, self.robust)
            self.state.heads[family] = new
            dropped += info["dropped"]
            record["families"][family] = {"heads": info["heads"], "labels": info["labels"]}
        if self.target > 0:
            for tier, hist in sorted(hists.items()):
                tau = threshold_for(hist, self.target)
                if tau is not None:
                    self.thresholds[tier] = self.state.thresholds[tier] = tau
        record["thresholds"] = dict(sorted(self.thresholds.items()))
        record["dropped"] = [list(d) for d in dropped]
        for device, reason in dropped:
            log.warning("round %d: reward head of %s left out: %s", round_, device, reason)
        return record


def build_head_round(cfg, zoo, state, thresholds: dict[str, float]) -> HeadRound:
    """The HeadRound of a run from its config and zoo (the zoo heads start every family)."""
    from inference.runtime import load_head

    tier_family = {t: zoo.model_name(cfg.profile(t).model) for t in sorted(set(cfg.fleet_tiers))}
    heads = {}
    for family in sorted(set(tier_family.values())):
        try:
            heads[family], _ = load_head(zoo.path(family), zoo.model_name("cloud"))
        except InferenceError as exc:
            raise ServerError(f"federated-head=true starts from the zoo's reward head of {family}: {exc}") from exc
    return HeadRound(state, heads, tier_family, thresholds, cfg.explore_rate, cfg.target_escalation_share,
                     RobustConfig(enabled=cfg.robust, method=cfg.robust_method, trim=cfg.trim))
