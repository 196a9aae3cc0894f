"""`fedhybrid bench sync --ledger-devices N --ledger-rounds R`: the aggregate's ledger at fleet scale.

N devices each report one delta a round for R rounds (sequence numbers 1..R), merged into
the server's ledger round by round, as `Federation.ingest` does. Measured for the ledger the
server keeps (`cache_sync.ledger.Ledger`: runs per device) and for the set of (device, seq)
pairs it replaced (a frozenset merged with the same inclusion / overlap / union checks, and
serialized as the sorted pairs, as state files held it): memory held, bytes in a snapshot,
seconds to merge a round, to serialize and load the ledger, and to read every device's
confirmed numbers (the `acked-seqs` a round sends each device).
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterable

import msgpack

from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.ledger import Ledger
from cache_sync.merge import Aggregate

Pairs = frozenset[tuple[str, int]]
_HEADER = CacheHeader("ledger-bench", vocab_size=2, n_min=2, n_max=2)


def _merge_pairs(held: Pairs, new: Pairs) -> Pairs:
    # the checks Aggregate.merge made on a pair set before the runs (the baseline; no longer
    # in the code base): inclusion both ways, overlap, then union
    if new <= held:
        return held
    if held <= new:
        return new
    if held & new:
        raise RuntimeError("a round's deltas overlap the held ones")
    return held | new


def _merge_runs(held: Ledger, new: Ledger) -> Ledger:
    # the server's own rule (Aggregate.merge), on empty tables so that only the ledger is measured
    return Aggregate(CountTable(_HEADER), held).merge(Aggregate(CountTable(_HEADER), new)).ledger


def _acked_pairs(held: Pairs, keep: int = 64) -> dict[str, list[int]]:
    by_device: dict[str, list[int]] = {}
    for device, seq in held:
        by_device.setdefault(device, []).append(seq)
    return {device: sorted(seqs)[-keep:] for device, seqs in by_device.items()}


def _measure(name: str, devices: list[str], rounds: int, build: Callable[[Iterable], object],
             merge: Callable, to_wire: Callable, from_wire: Callable, acked: Callable, progress) -> dict:
    held = build(())
    merge_s = []
    for seq in range(1, rounds + 1):
        new = build((d, seq) for d in devices)
        started = time.perf_counter()
        held = merge(held, new)
        merge_s.append(time.perf_counter() - started)
        if progress and (seq % 10 == 0 or seq == rounds):
            progress(f"{name}: round {seq}/{rounds}, merge {merge_s[-1]:.3f} s")
    started = time.perf_counter()
    blob = msgpack.packb(to_wire(held), use_bin_type=True)
    save_s = time.perf_counter() - started
    started = time.perf_counter()
    loaded = from_wire(msgpack.unpackb(blob, raw=False))
    load_s = time.perf_counter() - started
    if len(loaded) != len(devices) * rounds:  # a benchmark that loses deltas measures nothing
        raise RuntimeError(f"{name}: {len(loaded)} deltas loaded, {len(devices) * rounds} merged")
    started = time.perf_counter()
    confirmed = acked(held)
    acked_s = time.perf_counter() - started
    if len(confirmed) != len(devices):
        raise RuntimeError(f"{name}: confirmations for {len(confirmed)} of {len(devices)} devices")
    del held, loaded, confirmed
    # memory held (MiB, as snapshot_mb): the same final ledger built once under tracemalloc (tracing slows the
    # merges above, so they run untraced); `current` after the build is what it keeps
    gc.collect()
    tracemalloc.start()
    final = build((d, s) for d in devices for s in range(1, rounds + 1))
    gc.collect()
    held_bytes, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del final
    gc.collect()
    return {"ledger": name, "devices": len(devices), "rounds": rounds, "deltas": len(devices) * rounds,
            "memory_mb": held_bytes / 2**20, "snapshot_mb": len(blob) / 2**20,
            "merge_s_median": statistics.median(merge_s), "merge_s_last": merge_s[-1],
            "save_s": save_s, "load_s": load_s, "acked_all_s": acked_s}


def run(devices: int = 100_000, rounds: int = 100, progress=None) -> list[dict]:
    names = [f"edge-{d:06d}" for d in range(devices)]
    pairs = _measure("pairs (before)", names, rounds, frozenset, _merge_pairs,
                     lambda held: sorted([d, s] for d, s in held),
                     lambda raw: frozenset((str(d), int(s)) for d, s in raw), _acked_pairs, progress)
    runs = _measure("runs (now)", names, rounds, Ledger.from_pairs, _merge_runs, Ledger.to_wire, Ledger.from_wire,
                    lambda held: {d: held.latest(d, 64) for d in held.devices()}, progress)
    return [pairs, runs]


COLUMNS = [("ledger", "{}"), ("devices", "{:,}"), ("rounds", "{}"), ("deltas", "{:,}"), ("memory_mb", "{:,.1f}"),
           ("snapshot_mb", "{:,.2f}"), ("merge_s_median", "{:.3f}"), ("merge_s_last", "{:.3f}"),
           ("save_s", "{:.2f}"), ("load_s", "{:.2f}"), ("acked_all_s", "{:.2f}")]
