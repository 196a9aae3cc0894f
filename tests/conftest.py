"""Shared fixtures: a micro-zoo built once per test session (seconds, CPU, offline)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

# the tests run on 2-core machines next to other work: keep torch from oversubscribing
torch.set_num_threads(1)
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_zoo_dir(tmp_path_factory) -> Path:
    """A micro-zoo (tokenizer + edge/client/cloud) built with the real build code."""
    from training.zoo_build import TINY, build_zoo

    out = tmp_path_factory.mktemp("tiny-zoo")
    build_zoo(out, TINY, quiet=True, device=torch.device("cpu"))
    calibrate_tiny(out)
    return out


def calibrate_tiny(root: Path) -> None:
    """Reward heads for both device models of a micro-zoo (seconds)."""
    from inference.cloud import LocalCloud
    from inference.runtime import head_dir
    from inference.zoo import Zoo, load_causal_lm
    from training.calibrate import CalibrationConfig, calibrate

    zoo = Zoo(root)
    cloud_model, _ = load_causal_lm("cloud", zoo)
    cloud = LocalCloud(cloud_model)
    cfg = CalibrationConfig(train_problems=8, calib_problems=4, max_new_tokens=16, epochs=5, grid=4,
                            bisect_steps=4)
    for name in ("edge", "client"):
        device, tok = load_causal_lm(name, zoo)
        calibrate(device, cloud, tok, head_dir(zoo.path(name), "cloud"), cfg, target_cloud_share=0.3,
                  meta={"device": name, "cloud": "cloud"})
    cloud.close()


@pytest.fixture(scope="session")
def tiny_zoo(tiny_zoo_dir):
    from inference.zoo import Zoo

    return Zoo(tiny_zoo_dir)


@pytest.fixture(scope="module")
def pair(tiny_zoo):
    """(device model, cloud model, tokenizer) from the micro-zoo."""
    from inference.zoo import load_causal_lm

    device, tok = load_causal_lm("edge", tiny_zoo)
    cloud, _ = load_causal_lm("cloud", tiny_zoo)
    return device, cloud, tok
