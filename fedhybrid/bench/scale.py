"""`fedhybrid bench fed --nodes N ...`: what a round costs the server as the fleet grows.

Each fleet size runs in a fresh process (so its peak RSS is its own) on the in-process
engine, through the real ServerApp and ClientApp message path, with replay nodes
(`fleet.replay`) that answer from a corpus recorded from a real run: no decoding, the
same sealed deltas, signed updates and adapters. Per round, the server's time by phase
(`server.app` times them), bytes per node, state bytes written; per size the peak RSS;
across sizes, each phase's growth exponent (the slope of log time over log nodes).
"""

from __future__ import annotations

import math
import multiprocessing
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from server.memory import peak_rss_mb

PHASES = ("configure", "exchange", "aggregate", "ingest", "release", "save")
SERVER_PHASES = ("configure", "aggregate", "ingest", "release", "save")  # exchange is transport + nodes
SECAGG_PHASES = ("secagg_setup", "secagg_unmask")  # secure aggregation's extra exchanges (and their math)


def fleet_tiers(base: tuple[str, ...], n: int) -> str:
    """`n` devices with the tier mix of `base` (repeated, then cut)."""
    return ",".join(base[i % len(base)] for i in range(n))


def record_corpus(run_config: dict, folder: Path, rounds: int) -> float:
    """A real in-process run of the configured fleet that records every node's replies; seconds."""
    from fedhybrid import engines

    started = time.perf_counter()
    engines.run_inprocess({**run_config, "num-rounds": rounds, "record-dir": str(folder),
                           "state-dir": str(folder / "run")})
    return time.perf_counter() - started


def run_size(run_config: dict, n: int, rounds: int, work: Path, drop: float = 0.0, tag: str = "") -> dict:
    """One fleet size, in this process: per-round rows, the process's peak RSS and the final
    adapters. `drop`: the share of nodes that crash in every train step (after any secure
    aggregation key and share steps: a dropout in mid-round)."""
    from clients.app import app as client_app
    from fleet.config import FederationConfig
    from server.app import run_federation
    from server.inprocess_grid import InProcessGrid

    tiers = tuple(str(run_config["fleet-tiers"]).split(","))
    rc = {**run_config, "fleet-tiers": fleet_tiers(tiers, n), "num-rounds": rounds,
          "state-dir": str(work / f"n{n}{tag}"), "key-dir": str(work / f"keys-{n}{tag}")}
    cfg = FederationConfig.from_run_config(rc)
    if cfg.secure:  # the replay fleet's keys, as `fedhybrid keys init` makes them: a server given
        # key-dir creates none, and outside the state folder they stay out of state_bytes
        from cache_sync.keys import init_keys

        init_keys(cfg.key_path, [cfg.device_name(i) for i in range(n)])
    grid = InProcessGrid(client_app, rc, [{"partition-id": i, "num-partitions": n} for i in range(n)])
    ids = sorted(grid.contexts)
    grid.failing = set(ids[:: max(1, round(1 / drop))][: math.ceil(drop * n)]) if drop > 0 else set()
    rows, mark = [], {"client": 0.0}

    def on_round(rnd: int, record: dict) -> None:
        client = grid.client_seconds - mark["client"]
        mark["client"] = grid.client_seconds
        nodes = record["nodes"].values()
        phases = record["phases"]
        secagg = record.get("secagg", {})
        rows.append({
            "nodes": n, "round": rnd, "replies": len(record["nodes"]), "dropped": len(record["dropped"]),
            **{f"{p}_s": phases.get(f"{p}_s", 0.0) for p in (*PHASES, *SECAGG_PHASES)}, "nodes_s": client,
            # the nodes' own time spans every exchange (secure aggregation steps included)
            "transport_s": phases["exchange_s"] + sum(phases.get(f"{p}_s", 0.0) for p in SECAGG_PHASES) - client,
            "server_s": sum(phases.values()) - client,
            # per replying node; secure aggregation's key/share/unmask messages spread over them
            "bytes_up_per_node": (statistics.fmean(v.get("bytes-up", 0.0) for v in nodes)
                                  + secagg.get("bytes_up", 0) / len(nodes)) if nodes else 0.0,
            "bytes_down_per_node": (statistics.fmean(v.get("bytes-down", 0.0) for v in nodes)
                                    + secagg.get("bytes_down", 0) / len(nodes)) if nodes else 0.0,
            "state_bytes": record["state_bytes"], "merged": record["ingest"].get("merged", 0),
            "released": record["release"].get("released", 0),
            "global_entries": record["release"].get("global_entries", 0),
            "forgotten": record["release"].get("forgotten", 0), "rss_mb": peak_rss_mb(),
            "workers_rss_mb": record["ingest"].get("workers_rss_mb", 0.0)})
        print(f"  {n} nodes, round {rnd}: server {rows[-1]['server_s']:.2f} s "
              f"(nodes {client:.2f} s), state {record['state_bytes'] / 1e6:.1f} MB, global table "
              f"{rows[-1]['global_entries']:,} entries ({rows[-1]['forgotten']:,} forgotten)", flush=True)

    started = time.perf_counter()
    state = run_federation(grid, cfg, on_round=on_round)
    return {"nodes": n, "rows": rows, "peak_rss_mb": peak_rss_mb(), "wall_s": time.perf_counter() - started,
            "adapters": state.adapters, "dropped_nodes": len(grid.failing)}


def run_sizes(run_config: dict, sizes: list[int], rounds: int, work: Path) -> list[dict]:
    """Every size in its own fresh process (spawned: no state or memory carried over)."""
    out = []
    ctx = multiprocessing.get_context("spawn")
    for n in sizes:
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            result = pool.submit(run_size, run_config, n, rounds, work).result()
        result.pop("adapters")  # only the secure-vs-plain comparison needs them
        out.append(result)
    return out


def secagg_compare(run_config: dict, n: int, rounds: int, drop: float, work: Path) -> dict:
    """Plain (robust off) and secure aggregation on the same replay fleet with the same
    crashing nodes, each in a fresh process: per mode the median round, and how far the
    secure adapters are from the plain ones."""
    ctx = multiprocessing.get_context("spawn")
    runs = {}
    for mode, secure in (("plain", False), ("secagg", True)):
        rc = {**run_config, "robust": False, "secure-aggregation": secure}
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            runs[mode] = pool.submit(run_size, rc, n, rounds, work, drop, f"-{mode}").result()
    rows = []
    for mode, res in runs.items():
        later = res["rows"][1:] or res["rows"]
        row = {"mode": mode, "nodes": n, "dropped_nodes": res["dropped_nodes"],
               "replies": statistics.median(r["replies"] for r in later)}
        for key in ("server_s", "secagg_setup_s", "secagg_unmask_s", "aggregate_s", "nodes_s", "transport_s",
                    "bytes_up_per_node", "bytes_down_per_node"):
            row[key] = statistics.median(r[key] for r in later)
        rows.append(row)
    plain, secure = runs["plain"]["adapters"], runs["secagg"]["adapters"]
    diff = max(float(abs(secure[f][k].astype("float64") - plain[f][k]).max()) for f in plain for k in plain[f])
    scale = max(float(abs(plain[f][k]).max()) for f in plain for k in plain[f])
    return {"rows": rows, "max_abs_diff": diff, "max_abs_value": scale, "runs": {
        m: {k: v for k, v in r.items() if k != "adapters"} for m, r in runs.items()}}


def summarize(results: list[dict]) -> tuple[list[dict], dict[str, float]]:
    """Per size the median over rounds after the first (round 1 has no cache to diff yet) of
    each column; per phase the least-squares slope of log(seconds) on log(nodes)."""
    summary = []
    for res in results:
        rows = res["rows"][1:] or res["rows"]
        row = {"nodes": res["nodes"], "rounds": len(res["rows"]), "peak_rss_mb": res["peak_rss_mb"],
               "workers_peak_rss_mb": max((r.get("workers_rss_mb", 0.0) for r in res["rows"]), default=0.0)}
        for key in ("server_s", *(f"{p}_s" for p in PHASES), "nodes_s", "transport_s", "bytes_up_per_node",
                    "bytes_down_per_node", "state_bytes", "released", "global_entries", "forgotten"):
            row[key] = statistics.median(r[key] for r in rows)
        summary.append(row)
    exponents = {}
    if len(summary) >= 2:
        for key in ("server_s", *(f"{p}_s" for p in SERVER_PHASES), "transport_s", "state_bytes", "peak_rss_mb"):
            points = [(math.log(r["nodes"]), math.log(r[key])) for r in summary if r[key] > 0]
            if len(points) >= 2:
                mx = statistics.fmean(x for x, _ in points)
                my = statistics.fmean(y for _, y in points)
                sxx = sum((x - mx) ** 2 for x, _ in points)
                exponents[key] = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else float("nan")
    return summary, exponents


def plot(summary: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nodes = [r["nodes"] for r in summary]
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for key in ("server_s", *(f"{p}_s" for p in SERVER_PHASES), "transport_s"):
        values = [r[key] for r in summary]
        if all(v > 0 for v in values):
            ax.plot(nodes, values, "o-", label=key[:-2])
    ax.plot(nodes, [summary[0]["server_s"] * n / nodes[0] for n in nodes], "k:", label="linear")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("nodes")
    ax.set_ylabel("seconds per round (median)")
    ax.set_title("server round time by phase (replay nodes, in-process)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
