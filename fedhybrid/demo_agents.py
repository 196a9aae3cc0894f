"""`fedhybrid demo --engine agents`: the fleet demo on the deployed path.

Instead of rounds that invent their own queries, the fleet runs as it is deployed:
`fleet up` (cloud server, one device agent per device with its SuperNode, SuperLink, the
ServerApp running rounds every `round_interval` seconds), open-loop traffic of the recurring
fleet workload at the agents for the whole run (`fleet traffic`), then `fleet down`. The
report groups the answers by the round installed at the agent that gave them: cloud share,
cache share, accuracy and its ratio to cloud-only on exactly those requests, latency.
With `--hierarchy` the agents are started in the tier chain (`fleet up --hierarchy`).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path

from rich.console import Console


def run_agents(out: Path, zoo_root: Path | None, rounds: int, round_interval: float, rate: float,
               tiers: tuple[str, ...], console: Console, overrides: dict | None = None, requests=None,
               split: str = "uniform") -> dict:
    from fedhybrid import traffic
    from fedhybrid import traffic_report as report
    from fedhybrid.fleet_ops import FleetSpec, fleet_down, fleet_up

    started = time.time()
    work = out / "fleet"
    if work.exists() and not (work / "fleet.json").exists():
        shutil.rmtree(work)  # a fresh run (a fleet still up there is refused by fleet_up)
    overrides = dict(overrides or {})
    cloud_url = overrides.pop("cloud-url", None)
    # deployed, the chain is each agent's own (--hop, --serve-hop, --relay-url: fleet_ops.chain_args)
    chain = {"hierarchy": bool(overrides.pop("hierarchy", False))}
    if "hop-confidence" in overrides:
        chain["hop_confidence"] = float(overrides.pop("hop-confidence"))
    spec = FleetSpec(work, tiers, rounds, round_interval, zoo=zoo_root, cloud_url=cloud_url, overrides=overrides,
                     **chain)
    fleet = fleet_up(spec, say=console.print)
    try:
        urls = {a["device"]: a["url"] for a in fleet["agents"]}
        # traffic for every round plus the time the last round's install needs to reach the agents
        duration = rounds * round_interval + 45.0
        stream = (traffic.file_stream(requests, list(urls), 0, split) if requests
                  else traffic.fleet_stream(list(urls)))
        console.print(f"traffic: {rate:g} req/s for {duration:.0f} s "
                      f"({'workload file' if requests else 'fleet workload'})")
        progress = report.RoundProgress()

        def show(rows: list[dict]) -> None:
            for row in rows:
                console.print(f"round {row['round']} so far: {row['requests']} requests, cloud share "
                              f"{row['cloud_share']:.1%}, cache share {row['cache_share']:.1%}, accuracy "
                              f"{row['accuracy'] or 0:.1%}")

        results, sent = asyncio.run(traffic.drive(urls, stream, rate, duration,
                                                  on_result=lambda outcome: show(progress.add(outcome))))
        show(progress.rest())
        console.print("cloud-only pass over the distinct prompts ...")
        baseline = asyncio.run(traffic.cloud_baseline(fleet["cloud_url"], list(sent.values())))
    finally:
        fleet_down(work)
    rows = report.rows_by_round(results, baseline, sent)
    tier_rows = report.tiers_by_round(results)
    elapsed = time.time() - started
    out.mkdir(parents=True, exist_ok=True)
    report.write_report(out / "traffic.json", results, rows, {"rate": rate, "rounds": rounds,
                                                             "round_interval": round_interval, "tiers": tiers},
                        baseline)
    summary = report.summary(results)
    path = write_agents_report(out, rows, tier_rows, summary, elapsed, tiers, rate, round_interval)
    return {"rows": rows, "tiers": tier_rows, "report": path, "elapsed_s": elapsed, "summary": summary}


def write_agents_report(out: Path, rows: list[dict], tier_rows: list[dict], summary: dict, elapsed: float, tiers,
                        rate: float, interval: float) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fedhybrid.traffic_report import with_interval

    rounds = [r["round"] for r in rows]
    names = sorted({t["tier"] for t in tier_rows})
    fig, ax = plt.subplots(1, 2 + len(names), figsize=(5 * (2 + len(names)), 3.5))
    ax[0].plot(rounds, [r["cloud_share"] for r in rows], "o-", label="cloud share")
    ax[0].plot(rounds, [r["hub_share"] for r in rows], "^-", label="hub share")
    ax[0].plot(rounds, [r["cache_share"] for r in rows], "s-", label="cache share")
    ax[0].set_xlabel("round installed at the agent")
    ax[0].set_ylabel("share of tokens")
    ax[0].legend()
    ax[1].plot(rounds, [r["accuracy"] for r in rows], "o-", label="fleet")
    ax[1].plot(rounds, [r.get("cloud_only_accuracy") for r in rows], "x--", label="cloud only, same requests")
    ax[1].set_xlabel("round installed at the agent")
    ax[1].set_ylabel("accuracy")
    ax[1].legend()
    for axis, name in zip(ax[2:], names):  # the chain: where this tier's tokens came from, stacked
        mine = [t for t in tier_rows if t["tier"] == name]
        parts = ("local", "cache", "hub_edge", "hub_client", "cloud")
        axis.stackplot([t["round"] for t in mine], *[[t[p] or 0.0 for t in mine] for p in parts], labels=parts)
        axis.set_title(f"{name}: tokens by source")
        axis.set_xlabel("round installed at the agent")
        axis.legend(fontsize="small", loc="lower left")
    fig.tight_layout()
    fig.savefig(out / "agents.png", dpi=110)
    plt.close(fig)

    def pct(v):
        return "-" if v is None else f"{v:.1%}"

    lines = [
        "# fedhybrid fleet demo on device agents", "",
        (f"{len(tiers)} device agents ({', '.join(tiers)}) serving open-loop traffic of the recurring fleet workload "
        f"({rate:g} requests/s), rounds every {interval:.0f} s on Flower's deployment engine (loopback), finished in "
        f"{elapsed:.0f} s. Requests are grouped by the round installed at the agent that answered them; "
        "[low, high] is a 95% interval over the round's requests; looped: requests an agent ended because "
        "their answer looped (`--loop-stop`)."), "",
        ("| round | requests | failed | looped | cloud share | hub share | cache share | accuracy | cloud-only | "
        "vs cloud-only | p50 latency ms |"), "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['round']} | {r['requests']} | {r['failed']} | {r.get('looped', 0)} | "
                     f"{with_interval(r, 'cloud_share')} | "
                     f"{pct(r['hub_share'])} | {pct(r['cache_share'])} | {with_interval(r, 'accuracy')} | "
                     f"{pct(r.get('cloud_only_accuracy'))} | {with_interval(r, 'vs_cloud_only')} | "
                     f"{r['latency_p50_ms'] or 0:.0f} |")
    lines += ["", ("Per tier and round, the share of its tokens from the device's model, its cache, each hub and "
              "the cloud; the hit rate is local + cache (the seed claims iot 60%, edge 75%, client 90%)."), "",
              "| round | tier | requests | local | cache | edge hub | client hub | cloud | hit rate |",
              "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for t in tier_rows:
        lines.append(f"| {t['round']} | {t['tier']} | {t['requests']} | {pct(t['local'])} | {pct(t['cache'])} | "
                     f"{pct(t['hub_edge'])} | {pct(t['hub_client'])} | {pct(t['cloud'])} | "
                     f"{with_interval(t, 'hit_rate')} |")
    lines += ["", (f"Latency (ms): time to first token p50/p95/p99 "
              f"{'/'.join(f'{v:.0f}' if v is not None else '-' for v in summary['ttft_ms'].values())}, per token "
              f"{'/'.join(f'{v:.1f}' if v is not None else '-' for v in summary['per_token_ms'].values())}."), "",
              "![shares, accuracy and each tier's sources by round](agents.png)", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    (out / "report.json").write_text(json.dumps({"rows": rows, "tiers": tier_rows, "summary": summary,
                                                 "elapsed_s": elapsed}, indent=1))
    return path
