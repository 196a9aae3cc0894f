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
    from inference.zoo_build import TINY, build_zoo

    out = tmp_path_factory.mktemp("tiny-zoo")
    build_zoo(out, TINY, quiet=True, device=torch.device("cpu"))
    return out


@pytest.fixture(scope="session")
def tiny_zoo(tiny_zoo_dir):
    from inference.zoo import Zoo

    return Zoo(tiny_zoo_dir)
