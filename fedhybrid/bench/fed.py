"""`fedhybrid bench fed`: server aggregation cost, round overhead, bytes, per-round metrics."""

from __future__ import annotations

import time

import numpy as np

from strategies.lora_math import Reply, RobustConfig, aggregate_frozen_a


def aggregation_rows(shapes: dict[str, tuple[int, int]], r_max: int, clients: tuple[int, ...],
                     ranks: tuple[int, ...], repeats: int = 3) -> list[dict]:
    """Median seconds to validate-free aggregate `n` rank-`r` adapters of a real family's shapes."""
    rows = []
    rng = np.random.default_rng(0)
    for n in clients:
        for rank in ranks:
            width = max(rank, r_max)
            previous = {k: np.zeros((shape[0], width), dtype=np.float32) for k, shape in shapes.items()}
            replies = [Reply(f"n{i}", rank, 1.0 + i % 3,
                             {k: rng.normal(scale=0.01, size=(shape[0], rank)).astype(np.float32)
                              for k, shape in shapes.items()}) for i in range(n)]
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                aggregate_frozen_a(replies, previous, width, RobustConfig())
                times.append(time.perf_counter() - started)
            params = sum(shape[0] * rank for shape in shapes.values())
            rows.append({"clients": n, "rank": rank, "aggregate_s": sorted(times)[repeats // 2],
                         "params_per_adapter": params})
    return rows


def round_rows(run_config: dict) -> tuple[list[dict], dict]:
    """Run the federation in-process; per round: wall time, time inside ClientApps, overhead."""
    from clients.app import app as client_app
    from fleet.config import FederationConfig
    from server.app import run_federation
    from server.inprocess_grid import InProcessGrid
    from server.round_log import full_history

    cfg = FederationConfig.from_run_config(run_config)
    grid = InProcessGrid(client_app, run_config, [{"partition-id": i, "num-partitions": len(cfg.fleet_tiers)}
                                                  for i in range(len(cfg.fleet_tiers))])
    marks = {"client": 0.0, "t": time.perf_counter()}
    timing = []

    def on_round(rnd, record):
        now = time.perf_counter()
        client = grid.client_seconds - marks["client"]
        wall = now - marks["t"]
        timing.append({"round": rnd, "wall_s": wall, "client_s": client, "round_overhead_s": wall - client})
        marks["client"], marks["t"] = grid.client_seconds, now

    marks["t"] = time.perf_counter()
    state = run_federation(grid, cfg, on_round=on_round)
    return timing, {"history": list(full_history(state.history, cfg.state_path)), "state_hash": state.state_hash()}
