"""The public LoRA basis: every node of a model family derives the same frozen A from a seed.

Frozen-A LoRA (arXiv 2404.19245 style) makes heterogeneous-rank aggregation exact: a node of
rank r trains only B against A[:r], so averaging zero-padded B matrices is averaging the
weight updates (see `strategies.lora_math`). The construction lives here, numpy only, because
both sides rely on it: devices build their adapters from it (`inference.lora`) and the
aggregation's exactness is stated against it.
"""

from __future__ import annotations

import hashlib

import numpy as np


def frozen_a(seed: int, key: str, r_max: int, d_in: int) -> np.ndarray:
    """The family's shared down-projection for one LoRA module, from a public seed.

    Kaiming-uniform like peft's default A init, deterministic per (seed, module key); the
    stream is keyed by the seed and the sha256 of the key, so no two modules share an A.
    The first r rows do not depend on r_max (rows are drawn in order), so a node of rank r
    can build its A[:r] without knowing the family's largest rank.
    """
    words = np.frombuffer(hashlib.sha256(key.encode("utf-8")).digest(), dtype=">u4").tolist()
    stream = np.random.default_rng([seed, *words])
    bound = np.sqrt(6.0 / d_in) / np.sqrt(1.0 + 5.0)  # kaiming_uniform(a=sqrt(5))
    return stream.uniform(-bound, bound, size=(r_max, d_in)).astype(np.float32)
