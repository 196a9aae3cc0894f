"""Assemble a device's decoding stack from the zoo: models, cloud, reward head, threshold."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

from transformers import PreTrainedModel, PreTrainedTokenizerFast

from inference.cloud import Cloud, LocalCloud
from inference.errors import InferenceError
from inference.reward_head import RewardHead
from inference.tier_profile import TierProfile
from inference.zoo import Zoo, load_causal_lm


def head_dir(device_folder: Path, cloud_name: str) -> Path:
    """Where the reward head of (device, cloud) lives: next to the device model."""
    return device_folder / f"reward-{cloud_name}"


def load_head(device_folder: Path, cloud_name: str) -> tuple[RewardHead, dict]:
    return RewardHead.load(head_dir(device_folder, cloud_name))


def resolve_threshold(policy: str, explicit: float | None, profile: TierProfile | None,
                      head_meta: dict | None) -> float | None:
    """The request's threshold: explicit > tier profile > calibrated tau (reward only).

    Raises:
        InferenceError: a thresholded policy with nothing to take the threshold from.
    """
    if policy in ("slm-only", "cloud-only"):
        return None
    if explicit is not None:
        return explicit
    if policy == "reward":
        if profile is not None and profile.reward_threshold is not None:
            return profile.reward_threshold
        if head_meta and "target" in head_meta:
            return float(head_meta["target"]["tau"])
        raise InferenceError("no threshold given and the reward head has no calibrated target: pass "
                             "--threshold or run `fedhybrid calibrate --target-cloud-share X`")
    raise InferenceError(f"policy {policy!r} needs --threshold")


@dataclass
class Stack:
    """What one device needs to decode."""

    device_model: PreTrainedModel
    tokenizer: PreTrainedTokenizerFast
    device_folder: Path
    cloud: Cloud | None
    cloud_name: str


def load_stack(zoo: Zoo, device: str, cloud: str | None = "cloud", device_str: str = "cpu") -> Stack:
    """Load the device model (tier or path) and a local cloud model sharing its tokenizer."""
    # a zoo model is checked against the zoo's tokenizer; a model folder a user brings may
    # have its own, and the cloud must then share the device's (both hashes named if not)
    device_model, tokenizer = load_causal_lm(device, zoo, device=device_str)
    folder = zoo.folder(device)
    local = None
    cloud_name = ""
    if cloud is not None:
        # named against the device model: with `--device PATH` and the zoo's default cloud, the
        # zoo cloud is not the one out of step with "the fleet", the model brought is
        cloud_model, _ = load_causal_lm(cloud, zoo, device=device_str, expected_tokenizer=tokenizer,
                                        expected_from=f"the device model {folder}")
        local = LocalCloud(cloud_model)
        cloud_name = zoo.folder(cloud).name  # a zoo model's folder is named after it
    return Stack(device_model, tokenizer, folder, local, cloud_name)


def tau_for_share(meta: dict, share: float) -> float:
    """Interpolate the calibration table: the tau expected to give `share` cloud share."""
    rows = sorted(meta["table"], key=lambda r: r["tau"])
    if not rows:
        raise InferenceError("the calibration table is empty: run `fedhybrid calibrate` again")
    for a, b in itertools.pairwise(rows):
        if (a["cloud_share"] - share) * (b["cloud_share"] - share) <= 0:
            span = a["cloud_share"] - b["cloud_share"]
            t = 0.0 if math.isclose(span, 0.0) else (a["cloud_share"] - share) / span
            return a["tau"] + t * (b["tau"] - a["tau"])
    return min(rows, key=lambda r: abs(r["cloud_share"] - share))["tau"]
