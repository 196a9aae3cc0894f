"""Which n-grams leave the server, and to which tier.

Rules, in order:
1. Contribution cap: a device's deltas of one round add at most `per_device_cap` entries
   in all (server/ingest.py: a lone delta is cut to its highest-count entries, a later one
   that no longer fits is deferred to a later round), which bounds any one device's
   influence per round however many deltas it sends. Every entry of a delta must carry
   exactly its device's sketch bit, or the delta is rejected (support counts devices).
2. k-anonymous release: an entry reaches other devices only when >= k distinct devices
   reported it (support = popcount of the OR-merged device sketch, a lower bound on the
   true count, so the rule never releases early).
3. Optional differential privacy: support is noised with Laplace(cap / epsilon) before
   the threshold (each device changes the support of at most `cap` keys by 1, so the L1
   sensitivity is `cap`); the epsilon of every release is reported.
4. Per-tier views: the cloud keeps everything; client/edge/iot get their top-K by score
   within their n-gram orders. The device sketch is cleared from released entries so no
   device learns which (hashed) devices contributed.
A device always keeps its own corrections locally; this module only governs what
travels to OTHER devices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cache_sync.correction_cache import CountTable
from server.errors import ServerError


@dataclass(frozen=True)
class ReleasePolicy:
    min_devices: int = 5  # k
    per_device_cap: int = 5000  # entries per device per round, over all its deltas (server/ingest.py)
    dp_epsilon: float | None = None  # None: no noise
    seed: int = 0

    def __post_init__(self) -> None:
        if self.min_devices < 1:
            raise ServerError(f"min_devices={self.min_devices} must be >= 1")
        if self.per_device_cap < 1:
            raise ServerError(f"per_device_cap={self.per_device_cap} must be >= 1")
        if self.dp_epsilon is not None and self.dp_epsilon <= 0:
            raise ServerError(f"dp_epsilon={self.dp_epsilon} must be positive (or None for no noise)")


def cap_delta(table: CountTable, cap: int) -> CountTable:
    """A device's delta cut to its `cap` highest-count entries (ties: key order)."""
    if len(table) <= cap:
        return table
    order = np.argsort(-table.entries["count"].astype(np.int64), kind="stable")[:cap]
    keep = np.zeros(len(table), dtype=bool)
    keep[order] = True
    return table.select(keep)


@dataclass(frozen=True)
class Release:
    released: CountTable  # entries other devices may receive (sketch cleared)
    withheld: int  # entries below the support threshold
    epsilon: float | None


def release(table: CountTable, policy: ReleasePolicy, round_: int) -> Release:
    """Apply the support threshold (optionally noised) to the global table."""
    support = table.support.astype(np.float64)
    if policy.dp_epsilon is not None:
        rng = np.random.default_rng([policy.seed, round_])
        support = support + rng.laplace(0.0, policy.per_device_cap / policy.dp_epsilon, size=len(support))
    ok = support >= policy.min_devices
    released = table.select(ok)
    released.entries["devices"] = 0
    return Release(released, int((~ok).sum()), policy.dp_epsilon)


def tier_view(released: CountTable, budget: int | None, max_order: int, round_: int) -> CountTable:
    """The part of the released table a tier keeps: its top `budget` entries (None: all) of
    orders <= `max_order` (the tier profile's cache budget and n-gram orders)."""
    if budget is None and max_order >= released.header.n_max:
        return released
    return released.prune(budget if budget is not None else len(released), round_, max_order=max_order)
