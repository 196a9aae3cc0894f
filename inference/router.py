"""Routing policies: decide, per token, whether the device's proposal stands or the cloud is asked.

A policy has two questions to answer (the decoder does the rest):
- `escalate(step)`: should the cloud be asked for this position?
- `choose(step, prediction, proposal)`: which token to take once the cloud answered.
Policies are cheap immutable objects built per request, so the threshold is a runtime
dial: nothing is reloaded to change it.

References: reward routing, arXiv 2409.13757; BiLD fallback, arXiv 2302.07863; Floe
log-probability fusion, arXiv 2602.14302.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import torch

from inference.cloud import CloudPrediction
from inference.device_model import DeviceStep
from inference.errors import InferenceError
from inference.reward_head import RewardHead

POLICIES = ("slm-only", "cloud-only", "reward", "confidence", "fusion")


class Policy(Protocol):
    name: str
    threshold: float | None

    def escalate(self, step: DeviceStep) -> bool: ...

    def choose(self, step: DeviceStep, prediction: CloudPrediction, proposal: int) -> int: ...


def _cloud_choice(prediction: CloudPrediction) -> int:
    return prediction.greedy


@dataclass(frozen=True)
class SlmOnly:
    """Never ask the cloud."""

    name: str = "slm-only"
    threshold: float | None = None

    def escalate(self, step: DeviceStep) -> bool:
        return False

    def choose(self, step: DeviceStep, prediction: CloudPrediction, proposal: int) -> int:
        return proposal


@dataclass(frozen=True)
class CloudOnly:
    """Ask the cloud for every token (the quality and cost baseline)."""

    name: str = "cloud-only"
    threshold: float | None = None

    def escalate(self, step: DeviceStep) -> bool:
        return True

    def choose(self, step: DeviceStep, prediction: CloudPrediction, proposal: int) -> int:
        return _cloud_choice(prediction)


@dataclass(frozen=True)
class RewardPolicy:
    """Accept the device token when the reward head predicts r >= -tau (arXiv 2409.13757).

    tau >= 0 is the quality/cost dial: 0 escalates everything not predicted to be the
    cloud's own choice; larger tau tolerates more divergence and calls the cloud less.
    """

    head: RewardHead
    threshold: float  # tau
    name: str = "reward"

    def __post_init__(self) -> None:
        if not math.isfinite(self.threshold) or self.threshold < 0:
            raise InferenceError(f"reward threshold tau={self.threshold} must be a finite number >= 0 "
                                 "(accept when r_hat >= -tau)")

    def escalate(self, step: DeviceStep) -> bool:
        return self.head.score(step.hidden, step.logprobs) < -self.threshold

    def choose(self, step: DeviceStep, prediction: CloudPrediction, proposal: int) -> int:
        return _cloud_choice(prediction)


@dataclass(frozen=True)
class ConfidencePolicy:
    """BiLD fallback (arXiv 2302.07863): ask the cloud when the device's top probability < threshold."""

    threshold: float
    name: str = "confidence"

    def __post_init__(self) -> None:
        if not 0 <= self.threshold <= 1:
            raise InferenceError(f"confidence threshold {self.threshold} must lie in [0, 1]")

    def escalate(self, step: DeviceStep) -> bool:
        return step.top_prob < self.threshold

    def choose(self, step: DeviceStep, prediction: CloudPrediction, proposal: int) -> int:
        return _cloud_choice(prediction)


@dataclass(frozen=True)
class FusionPolicy:
    """Floe-style fusion (arXiv 2602.14302): escalate on low device confidence, then take
    argmax of w * log p_cloud + (1 - w) * log p_device over the union of both top-k sets.

    The cloud reports only its top-k; a device candidate outside it is scored with the
    k-th cloud log-probability, an upper bound on its true value. w = 1 gives the cloud's
    choice, w = 0 the device's.
    """

    threshold: float
    weight: float = 0.7  # cloud weight w
    name: str = "fusion"

    def __post_init__(self) -> None:
        if not 0 <= self.threshold <= 1:
            raise InferenceError(f"fusion threshold {self.threshold} must lie in [0, 1]")
        if not 0 <= self.weight <= 1:
            raise InferenceError(f"fusion weight {self.weight} must lie in [0, 1]")

    def escalate(self, step: DeviceStep) -> bool:
        return step.top_prob < self.threshold

    def choose(self, step: DeviceStep, prediction: CloudPrediction, proposal: int) -> int:
        k = len(prediction.top_ids)
        cloud_lp = dict(zip(prediction.top_ids, prediction.top_logprobs))
        floor = min(prediction.top_logprobs)
        device_top = torch.topk(step.logprobs, k).indices.tolist()
        candidates = list(dict.fromkeys(prediction.top_ids + device_top))  # cloud's first: ties go to it
        ids = torch.tensor(candidates, dtype=torch.long)
        cloud = torch.tensor([cloud_lp.get(t, floor) for t in candidates], dtype=torch.float32)
        fused = self.weight * cloud + (1 - self.weight) * step.logprobs[ids]
        return int(ids[int(fused.argmax())])


def make_policy(name: str, threshold: float | None = None, head: RewardHead | None = None,
                weight: float = 0.7) -> Policy:
    """Build a policy by name with its threshold (see each class for its meaning).

    Raises:
        ValueError: unknown name, a missing threshold, or `reward` without a head.
    """
    if name == "slm-only":
        return SlmOnly()
    if name == "cloud-only":
        return CloudOnly()
    if threshold is None:
        raise InferenceError(f"policy {name!r} needs a threshold")
    if name == "reward":
        if head is None:
            raise InferenceError("policy 'reward' needs a reward head: run `fedhybrid calibrate` "
                             "for this device/cloud pair first")
        return RewardPolicy(head, threshold)
    if name == "confidence":
        return ConfidencePolicy(threshold)
    if name == "fusion":
        return FusionPolicy(threshold, weight)
    raise InferenceError(f"unknown policy {name!r}: use one of {POLICIES}")
