"""Fleet workload: per-device query streams with Zipf recurrence, shared and private parts.

Every device draws its queries per round from two pools of held-out wordmath problems:
- a shared pool, the same for the whole fleet (popular questions many devices ask);
- a private pool per device, about protagonists only that device knows (synthetic names
  made of random syllables: canaries that must never reach another device).
Within each pool, question rank r is drawn with probability proportional to r^-s (Zipf),
so a few questions recur often: the regime a correction cache exploits. Streams are a
pure function of (seed, device, round): any node can regenerate its own slice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from workloads import wordmath
from workloads.errors import WorkloadError
from workloads.partition import assign
from workloads.requests import Request

_SYLLABLES = ("ka", "zo", "ri", "mu", "te", "vax", "lo", "qui", "ne", "dra", "sy", "bel",
              "xo", "fen", "ul", "pra", "ji", "wor", "ek", "sam")


@dataclass(frozen=True)
class FleetWorkloadConfig:
    """Shape of the fleet's query streams."""

    devices: int
    queries_per_round: int = 8
    shared_pool: int = 48  # distinct shared questions
    private_pool: int = 6  # distinct private questions per device
    private_fraction: float = 0.25  # share of a device's queries drawn from its private pool
    zipf_s: float = 1.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.devices <= 0 or self.queries_per_round <= 0:
            raise WorkloadError(f"devices={self.devices} and queries_per_round="
                             f"{self.queries_per_round} must be positive")
        if self.shared_pool <= 0 or self.private_pool < 0:
            raise WorkloadError("shared_pool must be positive and private_pool non-negative")
        if not 0 <= self.private_fraction <= 1:
            raise WorkloadError(f"private_fraction={self.private_fraction} must lie in [0, 1]")
        if self.private_fraction > 0 and self.private_pool == 0:
            raise WorkloadError("private_fraction > 0 needs private_pool > 0")
        if self.zipf_s <= 0:
            raise WorkloadError(f"zipf_s={self.zipf_s} must be positive")


@dataclass(frozen=True)
class Query:
    """One request of one device in one round: a generated problem, or a request of a
    workload file (then `problem` is None and `request` holds it)."""

    device: int
    round: int
    problem: wordmath.Problem | None
    private: bool
    key: str  # which pool entry: "shared/12", "private/3/2" or "file/<request id>"
    request: Request | None = None


def private_name(seed: int, device: int, index: int = 0) -> str:
    """A synthetic protagonist only `device` knows (deterministic from the seed)."""
    rng = random.Random(f"fleet-private-name/{seed}/{device}/{index}")
    name = "".join(rng.choice(_SYLLABLES) for _ in range(3))
    return name[0].upper() + name[1:]


def _zipf_probs(n: int, s: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** s
    return weights / weights.sum()


class FleetWorkload:
    """The fleet's query streams (held-out problems, so no model trained on them)."""

    def __init__(self, cfg: FleetWorkloadConfig):
        self.cfg = cfg
        self.shared = wordmath.generate("heldout", cfg.shared_pool, seed=f"fleet/{cfg.seed}")
        self._private: dict[int, list[wordmath.Problem]] = {}

    def private_pool(self, device: int) -> list[wordmath.Problem]:
        """The problems only `device` asks about (its canaries)."""
        if not 0 <= device < self.cfg.devices:
            raise WorkloadError(f"device {device} is outside the fleet of {self.cfg.devices}")
        if device not in self._private and self.cfg.private_pool:
            names = tuple(private_name(self.cfg.seed, device, i) for i in range(2))
            self._private[device] = wordmath.generate(
                "heldout", self.cfg.private_pool, seed=f"fleet/{self.cfg.seed}/private/{device}",
                names=names)
        return self._private.get(device, [])

    def queries(self, device: int, round_: int) -> list[Query]:
        """The queries `device` serves in round `round_` (deterministic)."""
        cfg = self.cfg
        rng = np.random.default_rng([cfg.seed, device, round_])
        shared_p = _zipf_probs(len(self.shared), cfg.zipf_s)
        private = self.private_pool(device)
        private_p = _zipf_probs(len(private), cfg.zipf_s) if private else None
        out = []
        for _ in range(cfg.queries_per_round):
            if private and rng.random() < cfg.private_fraction:
                index = int(rng.choice(len(private), p=private_p))
                out.append(Query(device, round_, private[index], True, f"private/{device}/{index}"))
            else:
                index = int(rng.choice(len(self.shared), p=shared_p))
                out.append(Query(device, round_, self.shared[index], False, f"shared/{index}"))
        return out


class FileFleetWorkload:
    """A workload file as the rounds serve it: each request belongs to one device
    (workloads.partition: its `device`, its `partition`, else the split rule), and in round r a
    device serves the next `queries_per_round` requests of its own share, cycling, so what
    recurs is what recurs in the file. A `sensitive` request is the device's private one."""

    def __init__(self, requests: list[Request], device_names: list[str], queries_per_round: int,
                 split: str = "uniform", seed: int = 0, zipf_s: float = 1.1, alpha: float = 0.5):
        if queries_per_round <= 0:
            raise WorkloadError(f"queries_per_round={queries_per_round} must be positive")
        self.requests = list(requests)
        self.queries_per_round = queries_per_round
        owners = assign(self.requests, device_names, split, seed, zipf_s, alpha)
        self.pools: list[list[Request]] = [[r for r, o in zip(self.requests, owners) if o == name]
                                           for name in device_names]

    def items(self) -> list[tuple[str, Request]]:
        """Every request the rounds can serve, by query key (for the cloud-only baseline)."""
        return [(f"file/{r.id}", r) for r in self.requests]

    def queries(self, device: int, round_: int) -> list[Query]:
        if not 0 <= device < len(self.pools):
            raise WorkloadError(f"device {device} is outside the fleet of {len(self.pools)}")
        pool = self.pools[device]
        if not pool:
            return []
        start = (round_ - 1) * self.queries_per_round
        picked = [pool[(start + i) % len(pool)] for i in range(self.queries_per_round)]
        return [Query(device, round_, None, r.sensitive, f"file/{r.id}", r) for r in picked]
