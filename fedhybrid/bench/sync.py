"""`fedhybrid bench sync`: cost of secure cache propagation.

Seal/open throughput of real delta payloads, fixed overhead per envelope, merge rate
for 100 devices x 10k entries, release + per-tier publication time, bytes per entry
on the wire (sealed delta bytes / entries).
"""

from __future__ import annotations

import time

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from cache_sync.correction_cache import CacheHeader
from cache_sync.envelope import Opener, key_id, seal
from cache_sync.versioned import VersionedView
from fedhybrid.bench.cache import device_deltas, merge_rate
from inference.tier_profile import DEFAULT_PROFILES
from server.release import ReleasePolicy, release, tier_view


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def run(header: CacheHeader, stream: np.ndarray, devices: int = 100, per_device: int = 10_000,
        repeats: int = 3) -> dict:
    agg = X25519PrivateKey.generate()
    signers = {f"dev-{d}": Ed25519PrivateKey.generate() for d in range(devices)}
    deltas = device_deltas(header, stream, devices, per_device)
    payloads = [d.to_bytes() for d in deltas]
    # seal/open: every device's real delta once per repeat
    seal_times, open_times, envelopes = [], [], []
    for _ in range(repeats):
        started = time.perf_counter()
        envelopes = [seal(p, sender=f"dev-{d}", signing_key=signers[f"dev-{d}"], aggregator=agg.public_key(),
                          run=0, round_=1, seq=1) for d, p in enumerate(payloads)]
        seal_times.append(time.perf_counter() - started)
        opener = Opener({key_id(agg.public_key()): agg}, {k: v.public_key() for k, v in signers.items()})
        started = time.perf_counter()
        opened = [opener.open(e)[1] for e in envelopes]
        open_times.append(time.perf_counter() - started)
        if opened != payloads:  # a benchmark that decrypts garbage measures nothing
            raise RuntimeError("opened payloads differ from the sealed ones")
    mb = sum(len(p) for p in payloads) / 1e6
    merge = merge_rate(header, deltas, repeats)
    aggregate = merge["aggregate"]
    policy = ReleasePolicy(min_devices=5)
    release_times = []
    for _ in range(repeats):
        started = time.perf_counter()
        rel = release(aggregate.table, policy, 1)
        for tier in ("client", "edge", "iot"):
            VersionedView(header).publish(tier_view(rel.released, DEFAULT_PROFILES[tier].cache_budget,
                                                     DEFAULT_PROFILES[tier].ngram_orders[1], 1))
        release_times.append(time.perf_counter() - started)
    overhead = len(envelopes[0]) - len(payloads[0])
    return {
        "devices": devices, "entries_per_device": per_device, "payload_mb": mb,
        "seal_mb_s": mb / _median(seal_times), "open_mb_s": mb / _median(open_times),
        "overhead_bytes": overhead, "merge_entries_s": merge["merge_entries_s"],
        "merged_entries": len(aggregate.table), "release_s": _median(release_times),
        "released": len(rel.released), "withheld": rel.withheld,
        "wire_bytes_per_entry": sum(len(e) for e in envelopes) / merge["entries_in"],
    }


COLUMNS = [("devices", "{}"), ("entries_per_device", "{:,}"), ("payload_mb", "{:.1f}"), ("seal_mb_s", "{:.0f}"),
           ("open_mb_s", "{:.0f}"), ("overhead_bytes", "{}"), ("merge_entries_s", "{:,.0f}"),
           ("merged_entries", "{:,}"), ("release_s", "{:.3f}"), ("released", "{:,}"),
           ("wire_bytes_per_entry", "{:.1f}")]
