"""Assemble a device's decoding stack from the zoo: models, cloud, reward head, threshold."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
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


CLOUD_IDENTITY = "cloud_identity"  # head.json: the identity of the cloud model the head was calibrated for
DEVICE_IDENTITY = "device_identity"  # head.json: the identity of the device model it reads the hidden states of


def load_head(device_folder: Path, cloud_name: str, zoo: Zoo | None = None, cloud: str | None = None,
              identify: Callable[[Path], str] | None = None,
              device_model: PreTrainedModel | None = None) -> tuple[RewardHead, dict]:
    """The reward head of (device, cloud) and its metadata.

    With `cloud` (a zoo tier or model, or a model folder) and `identify` (a folder's content
    fingerprint: inference.model_identity.folder_identity), the head must have been calibrated for
    that cloud model: a head is found by the cloud folder's name, and another model in a folder of
    that name needs its own (see `calibrated_for`). A remote cloud passes no `cloud`. With
    `device_model`, the head must read that model's hidden states (`check_head_device`).

    Raises:
        InferenceError: no readable head, one calibrated for another cloud model (both named,
            with the calibrate command to run), or one made for another device model.
    """
    folder = head_dir(device_folder, cloud_name)
    head, meta = RewardHead.load(folder)
    if device_model is not None:
        check_head_device(head, meta, folder, device_model, identify)
    if cloud is not None and identify is not None:
        check_head_cloud(meta, folder, zoo, cloud, identify)
    return head, meta


def check_head_device(head: RewardHead, meta: dict, folder: Path, model: PreTrainedModel,
                      identify: Callable[[Path], str] | None) -> None:
    """Refuse a head that cannot read `model`'s hidden states: another width (every request would
    fail), or, where calibration recorded it, another device model's content (its scores would
    mean nothing for this one's states).

    Raises:
        InferenceError: naming the head, both sizes or identities, and the calibrate command.
    """
    device = folder.parent
    width = getattr(model.config, "hidden_size", None)
    fix = f"run `fedhybrid calibrate --device {device} --cloud <its cloud>` for this model"
    if isinstance(width, int) and width != head.cfg.hidden_size:
        raise InferenceError(f"the reward head in {folder} reads hidden states of {head.cfg.hidden_size} values and "
                             f"the device model {device} has {width}: it was made for another model; {fix}")
    recorded = meta.get(DEVICE_IDENTITY)
    if isinstance(recorded, str) and identify is not None and (actual := identify(device)) != recorded:
        raise InferenceError(f"the reward head in {folder} was calibrated on another device model (identity "
                             f"{recorded[:12]}) than {device} (identity {actual[:12]}): a head copied or left beside "
                             f"a replaced model scores states it never saw; {fix}")


def remote_head_name(device_folder: Path, default: str, card: dict | None, zoo: Zoo | None,
                     identify: Callable[[Path], str]) -> str:
    """The cloud name whose head (`reward-<name>` beside the device model) routes for a remote
    cloud whose model card is `card` (None: not read, the cloud being down at start): the head
    calibrated for the model the card reports (`model_identity`), else the one named after the
    served model, else `default` (the zoo cloud's) when there, else the only head there, else
    `default` (whose absence the caller reports)."""
    import json

    from inference.reward_head import CONFIG_FILE

    heads: dict[str, dict] = {}
    for folder in sorted(device_folder.glob("reward-*")):
        try:
            meta = json.loads((folder / CONFIG_FILE).read_text())
        except (OSError, ValueError):  # not a head (or an unreadable one: loading it names the damage)
            continue
        if isinstance(meta, dict):
            heads[folder.name.removeprefix("reward-")] = meta
    card = card or {}
    served = card.get("model_identity")
    if isinstance(served, str):
        for name, meta in heads.items():
            if calibrated_for(meta, head_dir(device_folder, name), zoo, identify)[0] == served:
                return name
    served_name = Path(str(card.get("id") or "")).name
    if served_name in heads:
        return served_name
    if default in heads or len(heads) != 1:
        return default
    return next(iter(heads))


def calibrated_for(meta: dict, folder: Path, zoo: Zoo | None, identify: Callable[[Path], str]
                   ) -> tuple[str | None, bool]:
    """(identity of the cloud model the head in `folder` was calibrated for, whether it was recorded).

    `fedhybrid calibrate` records it; a head without one (written before it was) beside a zoo
    model is the zoo's, calibrated for the zoo's model of its folder's name (not recorded);
    any other such head is of an unknown cloud: (None, False), accepted as before."""
    recorded = meta.get(CLOUD_IDENTITY)
    if isinstance(recorded, str):
        return recorded, True
    cloud_name = folder.name.removeprefix("reward-")
    device = folder.parent
    if (zoo is not None and cloud_name in zoo.names and device.name in zoo.names
            and device.resolve().parent == zoo.root.resolve()):
        return identify(zoo.path(cloud_name)), False
    return None, False


def check_head_cloud(meta: dict, folder: Path, zoo: Zoo | None, cloud: str,
                     identify: Callable[[Path], str]) -> None:
    """Refuse the head in `folder` unless it was calibrated for the cloud model `cloud` names.

    Raises:
        InferenceError: naming both identities and the calibrate command for this pair.
    """
    expected, recorded = calibrated_for(meta, folder, zoo, identify)
    if expected is None:
        return
    cloud_folder = zoo.folder(cloud) if zoo is not None else Path(cloud)
    actual = identify(cloud_folder)
    if actual != expected:
        device = folder.parent
        how = "recorded at calibration" if recorded else f"the zoo's own {folder.name.removeprefix('reward-')} model"
        copy = "" if recorded else (" on a copy of the zoo's device model (`cp -r` it, then --device the copy: "
                                    "calibrating the zoo's own would replace the zoo's head)")
        raise InferenceError(
            f"the reward head in {folder} was calibrated for another cloud model (identity {expected[:12]}, {how}) "
            f"than --cloud {cloud} (identity {actual[:12]}, {cloud_folder}): a head is found by the cloud folder's "
            f"name only; run `fedhybrid calibrate --device {device} --cloud {cloud}`{copy} for this pair")


def remote_pin(meta: dict, device_folder: Path, cloud_name: str, zoo: Zoo | None,
               identify: Callable[[Path], str]) -> tuple[str | None, str]:
    """(identity, why) a remote cloud must serve for the reward head of (device, cloud name):
    the identity its calibration recorded (or the zoo's cloud, for the zoo's own head), and the
    sentence a refusal ends with. (None, "") when the head's cloud is not known: nothing pinned."""
    folder = head_dir(device_folder, cloud_name)
    expected, _ = calibrated_for(meta, folder, zoo, identify)
    if expected is None:
        return None, ""
    return expected, (f"the reward head in {folder} was calibrated for that model: serve it there (`fedhybrid cloud "
                      f"serve --model <its folder>`), or calibrate a head for the served model (`fedhybrid calibrate "
                      f"--device {device_folder} --cloud <the served model's folder>`, on a copy of a zoo model)")


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
