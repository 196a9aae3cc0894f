"""Server states built round by round without a federation (the state-chain tests share it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.merge import Delta, merge_all
from server.state import ServerState

HEADER = CacheHeader("test-tokenizer", vocab_size=50, n_min=2, n_max=4)


def play_round(state: ServerState, round_: int, corrections: int = 20, devices: int = 4) -> None:
    """Round `round_`'s changes: `corrections` new corrections from each of a few devices, the
    adapters, device versions and a history record, merged as Federation.ingest does."""
    rng = np.random.default_rng(round_)
    deltas = []
    for d in range(devices):
        pairs = [([int(x) for x in rng.integers(0, 50, size=3)], int(rng.integers(0, 50))) for _ in range(corrections)]
        deltas.append(Delta(f"edge-{d}", round_, round_, CountTable.from_corrections(HEADER, pairs, f"edge-{d}",
                                                                                     round_)))
    merged = merge_all(HEADER, deltas)
    state.aggregate = state.aggregate.merge(merged)
    state.unsaved.append(merged)
    state.round = round_
    state.adapters = {"edge": {"layer.lora_B": np.full((4, 2), float(round_), dtype=np.float32)}}
    state.node_versions = {f"edge-{d}": {"edge": round_} for d in range(devices)}
    state.history.append({"round": round_})


def play(root: Path, rounds: int, start: ServerState | None = None) -> ServerState:
    """Play and save rounds up to `rounds` (from `start`'s round, or a fresh state)."""
    state = start or ServerState(HEADER, "digest")
    for r in range(state.round + 1, rounds + 1):
        play_round(state, r)
        state.save(root)
    return state
