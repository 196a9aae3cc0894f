"""Which device serves each request of a workload file.

A request that names a `device` goes to it, one with a `partition` to device
`partition % len(devices)`; the rest are split by a rule, fixed per request (the same request
always reaches the same device, as a user keeps talking to their own device):
- `uniform`: each device equally likely;
- `zipf`: device k (in fleet order) gets a share proportional to (k + 1)^-s, a few busy
  devices and a long tail;
- `dirichlet`: device shares drawn once from Dirichlet(alpha) (quantity skew, the usual
  non-IID split in federated learning: alpha -> 0 puts almost everything on a few devices,
  large alpha is near uniform; Hsu et al., arXiv 1909.06335).
A request naming a device the fleet does not have is an error, not a silent reroute.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from workloads.errors import WorkloadError
from workloads.requests import Request

SPLITS = ("uniform", "zipf", "dirichlet")


def device_shares(devices: int, split: str, seed: int = 0, zipf_s: float = 1.1, alpha: float = 0.5) -> np.ndarray:
    """(devices,) probabilities a request without device/partition lands on each device."""
    if devices <= 0:
        raise WorkloadError("a fleet needs at least one device")
    if split == "uniform":
        return np.full(devices, 1.0 / devices)
    if split == "zipf":
        if not zipf_s > 0:
            raise WorkloadError(f"--zipf-s={zipf_s} must be positive")
        weights = 1.0 / np.arange(1, devices + 1) ** zipf_s
        return weights / weights.sum()
    if split == "dirichlet":
        if not alpha > 0:
            raise WorkloadError(f"--dirichlet-alpha={alpha} must be positive")
        return np.random.default_rng([seed, devices]).dirichlet(np.full(devices, alpha))
    raise WorkloadError(f"split {split!r} is unknown: use one of {', '.join(SPLITS)}")


def assign(requests: Sequence[Request], devices: Sequence[str], split: str = "uniform", seed: int = 0,
           zipf_s: float = 1.1, alpha: float = 0.5) -> list[str]:
    """The device of every request, in order (see the module docstring)."""
    devices = list(devices)
    shares = np.cumsum(device_shares(len(devices), split, seed, zipf_s, alpha))
    out = []
    for req in requests:
        if req.device is not None:
            if req.device not in devices:
                raise WorkloadError(f"request {req.id!r} names device {req.device!r}; the fleet has {devices}: "
                                    "name one of those, or give a partition, or neither (the split places it)")
            out.append(req.device)
        elif req.partition is not None:
            out.append(devices[req.partition % len(devices)])
        else:
            # a uniform number from the request's id: stable across runs and file order
            digest = hashlib.sha256(f"{seed}/{req.id}".encode()).digest()
            u = int.from_bytes(digest[:8], "big") / 2.0**64
            out.append(devices[min(int(np.searchsorted(shares, u, side="right")), len(devices) - 1)])
    return out
