"""The demo report's plots (PNG, matplotlib's Agg backend): per-round lines per tier with the
fleet's 95% interval as a band, the chain per tier as stacked bars, released vs withheld
n-grams, and the sample answer coloured by provenance. The numbers come from
`fedhybrid.report`."""

from __future__ import annotations

from fedhybrid.report import TIERS, chain_names, chain_parts, interval

TIER_COLOURS = {"client": "#1f77b4", "edge": "#2ca02c", "iot": "#ff7f0e", "all": "#111111"}
PROVENANCE_COLOURS = {"device": "#2ca02c", "cache": "#17becf", "cloud": "#c2185b", "prompt": "#777777"}


def plot_rounds(rows: list[dict], key: str, ylabel: str, path, percent: bool = True) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    scale = 100 if percent else 1
    for tier in TIERS:
        pts = [(r["round"], r[key]) for r in rows if r["tier"] == tier and r.get(key) is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] * scale for p in pts], marker="o",
                    color=TIER_COLOURS[tier], lw=2.5 if tier == "all" else 1.2, label=tier)
        if tier == "all":  # the fleet's 95% interval as a band (the tiers' would hide each other)
            band = [(r["round"], interval(r, key)) for r in rows if r["tier"] == tier]
            band = [(x, i) for x, i in band if i.low is not None]
            if band:
                ax.fill_between([x for x, _ in band], [i.low * scale for _, i in band],
                                [i.high * scale for _, i in band], color=TIER_COLOURS[tier], alpha=0.12, lw=0)
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


CHAIN_COLOURS = {"local": "#2ca02c", "cache": "#17becf", "edge hub": "#bcbd22", "client hub": "#1f77b4",
                 "cloud": "#c2185b"}


def plot_chain(rows: list[dict], path) -> None:
    """One panel per tier: per round, the stacked shares of tokens served locally, by the
    cache, by each hub of the hierarchy and by the cloud."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tiers = [t for t in TIERS if any(r["tier"] == t for r in rows)]
    fig, axes = plt.subplots(1, len(tiers), figsize=(3.4 * len(tiers), 3.6), sharey=True, squeeze=False)
    seen: dict[str, object] = {}
    for ax, tier in zip(axes[0], tiers):
        tier_rows_ = [r for r in rows if r["tier"] == tier]
        bottoms = [0.0] * len(tier_rows_)
        for name in chain_names(tier_rows_):
            values = [100 * dict(chain_parts(r)).get(name, 0.0) for r in tier_rows_]
            bars = ax.bar([r["round"] for r in tier_rows_], values, bottom=bottoms, width=0.8,
                          color=CHAIN_COLOURS.get(name, "#999999"), label=name)
            seen.setdefault(name, bars)
            bottoms = [b + v for b, v in zip(bottoms, values)]
        ax.set_title(f"{tier} ({tier_rows_[0]['nodes']} nodes)" if tier != "all" else "all tiers")
        ax.set_xlabel("round")
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3, axis="y")
    axes[0][0].set_ylabel("share of generated tokens (%)")
    # the legend in chain order, whichever panel first drew each part
    order = chain_names(rows)
    names = sorted(seen, key=lambda n: order.index(n) if n in order else len(order))
    fig.legend([seen[n] for n in names], names, loc="lower center", ncol=len(names), frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_release(rows: list[dict], path) -> None:
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


def plot_stream(stream: list[tuple[str, str]], path) -> None:
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
