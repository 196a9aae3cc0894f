"""Per-round, per-tier numbers from the server's round history (one definition everywhere).

- cloud share: cloud-generated tokens / all generated tokens (token-weighted over nodes)
- cache share: cache-served tokens / all generated tokens
- accuracy: exact-match share over the tier's queries
- bytes up/down: mean per node of the tier
"""

from __future__ import annotations

from collections import defaultdict


def tier_rows(history: list[dict], tiers: tuple[str, ...] = ("client", "edge", "iot", "all")) -> list[dict]:
    rows = []
    for record in history:
        groups: dict[str, list[dict]] = defaultdict(list)
        for device, m in record["nodes"].items():
            groups[m["tier"]].append(m)
            groups["all"].append(m)
        for tier in tiers:
            nodes = groups.get(tier)
            if not nodes:
                continue
            tokens = sum(m["tokens"] for m in nodes) or 1.0
            queries = sum(m["num-examples"] for m in nodes) or 1.0
            cloud, cache = sum(m["cloud-tokens"] for m in nodes), sum(m["cache-tokens"] for m in nodes)
            # the tier hierarchy: tokens answered by the hubs above (per hub tier)
            hubs = {key[len("hub-tokens-"):]: sum(m.get(key, 0.0) for m in nodes)
                    for key in sorted({k for m in nodes for k in m if k.startswith("hub-tokens-")}) if key !=
                    "hub-tokens-computed"}
            hub = sum(hubs.values())
            rows.append({
                "round": record["round"], "tier": tier, "nodes": len(nodes),
                "cloud_share": cloud / tokens,
                "cache_share": cache / tokens,
                "hub_share": hub / tokens,
                "hub_shares": {t: n / tokens for t, n in hubs.items()},
                "local_share": (tokens - cloud - cache - hub) / tokens,  # the device's own tokens
                "hub_tokens_computed": sum(m.get("hub-tokens-computed", 0.0) for m in nodes),
                "accuracy": sum(m["accuracy"] * m["num-examples"] for m in nodes) / queries,
                "cloud_tokens_computed": sum(m["cloud-tokens-computed"] for m in nodes),
                "tokens": sum(m["tokens"] for m in nodes), "queries": queries,
                "bytes_up": sum(m["bytes-up"] for m in nodes) / len(nodes),
                "bytes_down": sum(m["bytes-down"] for m in nodes) / len(nodes),
                "released": record["release"].get("released", 0),
                "withheld": record["release"].get("withheld", 0),
            })
    return rows


TIER_COLOURS = {"client": "#1f77b4", "edge": "#2ca02c", "iot": "#ff7f0e", "all": "#111111"}
PROVENANCE_COLOURS = {"device": "#2ca02c", "cache": "#17becf", "cloud": "#c2185b", "prompt": "#777777"}


def _plot_rounds(rows: list[dict], key: str, ylabel: str, path, percent: bool = True) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for tier in ("client", "edge", "iot", "all"):
        pts = [(r["round"], r[key]) for r in rows if r["tier"] == tier and r.get(key) is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] * (100 if percent else 1) for p in pts], marker="o",
                    color=TIER_COLOURS[tier], lw=2.5 if tier == "all" else 1.2, label=tier)
    ax.set_xlabel("round")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    else:  # e.g. accuracy vs cloud-only when the cloud got nothing right
        ax.text(0.5, 0.5, "no data", ha="center", transform=ax.transAxes)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_release(rows: list[dict], path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = [(r["round"], r["released"], r["withheld"]) for r in rows if r["tier"] == "all"]
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.bar([p[0] - 0.2 for p in pts], [p[1] for p in pts], width=0.4, label="released (>= k devices)", color="#1f77b4")
    ax.bar([p[0] + 0.2 for p in pts], [p[2] for p in pts], width=0.4, label="withheld", color="#bbbbbb")
    ax.set_xlabel("round")
    ax.set_ylabel("n-gram entries")
    ax.legend()
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_stream(stream: list[tuple[str, str]], path) -> None:
    """The sample answer as an image, each piece coloured by its provenance."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(10, 3.6))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.axis("off")
    x, y, width = 0.01, 0.93, 0.98
    renderer = fig.canvas.get_renderer()
    for text, prov in stream:
        for part_index, part in enumerate(text.split("\n")):
            if part_index:
                x, y = 0.01, y - 0.075
            for word in part.split(" "):
                token = word + " "
                t = ax.text(x, y, token, color=PROVENANCE_COLOURS[prov], family="monospace", fontsize=9,
                            transform=ax.transAxes, va="top",
                            weight="bold" if prov == "cloud" else "normal")
                extent = t.get_window_extent(renderer=renderer).transformed(ax.transAxes.inverted())
                if extent.x1 > width:
                    t.remove()
                    x, y = 0.01, y - 0.075
                    t = ax.text(x, y, token, color=PROVENANCE_COLOURS[prov], family="monospace", fontsize=9,
                                transform=ax.transAxes, va="top", weight="bold" if prov == "cloud" else "normal")
                    extent = t.get_window_extent(renderer=renderer).transformed(ax.transAxes.inverted())
                x = extent.x1
    for i, (name, colour) in enumerate(PROVENANCE_COLOURS.items()):
        ax.text(0.01 + 0.14 * i, 0.04, name, color=colour, family="monospace", fontsize=9, transform=ax.transAxes)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _pct(value) -> str:
    return "-" if value is None else f"{value:.1%}"


def _workload_text(cfg) -> str:
    if cfg.workload_file:
        return (f"the workload file {cfg.workload_file} ({cfg.queries_per_round} queries per node per round, "
                f"requests without a device split {cfg.workload_split})")
    return (f"the recurring fleet workload ({cfg.queries_per_round} queries per node per round, "
            f"Zipf s={cfg.zipf_s}, {cfg.private_fraction:.0%} device-private)")


def write_report(out, rows: list[dict], state, cfg, stream, elapsed_s: float, engine: str):
    """report.md + report.json + PNG plots in `out`; returns the markdown path."""
    import json
    from pathlib import Path

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _plot_rounds(rows, "cloud_share", "cloud share (%)", out / "cloud_share.png")
    _plot_rounds(rows, "cache_share", "cache share (%)", out / "cache_share.png")
    _plot_rounds(rows, "accuracy_vs_cloud", "accuracy vs cloud-only (%)", out / "accuracy.png")
    _plot_rounds(rows, "cost_reduction", "cloud cost reduction (%)", out / "cost_reduction.png")
    _plot_release(rows, out / "release.png")
    _plot_stream(stream, out / "sample_stream.png")
    fleet = [r for r in rows if r["tier"] == "all"]
    first, last = fleet[0], fleet[-1]
    lines = [
        "# fedhybrid fleet demo report", "",
        f"{len(cfg.fleet_tiers)} nodes ({', '.join(f'{t} x{cfg.fleet_tiers.count(t)}' for t in sorted(set(cfg.fleet_tiers)))}), "
        f"{state.round} rounds of {_workload_text(cfg)}, {engine} engine, "
        f"release rule k={cfg.release_k}, finished in {elapsed_s:.0f} s. Final state hash `{state.state_hash()[:16]}`.", "",
        "## Headline", "",
        "| | round 1 | round %d |" % last["round"], "|---|---|---|",
        f"| cloud share | {_pct(first['cloud_share'])} | {_pct(last['cloud_share'])} |",
        f"| cache share | {_pct(first['cache_share'])} | {_pct(last['cache_share'])} |",
        f"| accuracy | {_pct(first['accuracy'])} | {_pct(last['accuracy'])} |",
        f"| cloud-only accuracy (same queries) | {_pct(first['accuracy_cloud_only'])} | {_pct(last['accuracy_cloud_only'])} |",
        f"| accuracy vs cloud-only | {_pct(first['accuracy_vs_cloud'])} | {_pct(last['accuracy_vs_cloud'])} |",
        f"| cloud cost reduction vs cloud-only | {_pct(first['cost_reduction'])} | {_pct(last['cost_reduction'])} |",
        f"| bytes up / down per node | {first['bytes_up']:,.0f} / {first['bytes_down']:,.0f} | "
        f"{last['bytes_up']:,.0f} / {last['bytes_down']:,.0f} |",
        f"| n-grams released / withheld | {first['released']} / {first['withheld']} | {last['released']} / {last['withheld']} |",
        "", "Definitions: cloud share = cloud-generated tokens / all generated tokens; cache share likewise; "
        "cost = tokens the cloud computed (prefill + generated, with session KV reuse) against cloud-only decoding "
        "of the same queries; accuracy = exact match of the final answer.", "",
        "## Per round and tier", "",
        "| round | tier | nodes | cloud share | cache share | accuracy | vs cloud-only | cost cut | bytes up | bytes down |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['round']} | {r['tier']} | {r['nodes']} | {_pct(r['cloud_share'])} | {_pct(r['cache_share'])} | "
                     f"{_pct(r['accuracy'])} | {_pct(r['accuracy_vs_cloud'])} | {_pct(r['cost_reduction'])} | "
                     f"{r['bytes_up']:,.0f} | {r['bytes_down']:,.0f} |")
    marked = "".join(piece if prov in ("prompt", "device") else f"[{prov}:{piece}]" for piece, prov in stream)
    lines += ["", "## Plots", "", "![cloud share](cloud_share.png) ![cache share](cache_share.png)", "",
              "![accuracy vs cloud-only](accuracy.png) ![cost reduction](cost_reduction.png)", "",
              "![released vs withheld](release.png)", "",
              "## Sample token stream", "",
              "The most popular shared question, decoded on an edge device with the final adapter and cache "
              "(green: device, cyan: cache, magenta: cloud):", "", "![sample stream](sample_stream.png)", "",
              "Text form (`[cache:...]`, `[cloud:...]` mark tokens not generated by the device):", "", "```",
              marked, "```", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    (out / "report.json").write_text(json.dumps({"rows": rows, "elapsed_s": elapsed_s, "engine": engine,
                                                 "state_hash": state.state_hash(),
                                                 "stream": stream}, indent=2, default=str))
    return path
