"""Per-round, per-tier numbers from the server's round history (one definition everywhere).

- cloud share: cloud-generated tokens / all generated tokens (token-weighted over nodes)
- cache share: cache-served tokens / all generated tokens
- hub share: tokens answered by the hubs of the tier hierarchy / all generated tokens
- local+cache hit rate: tokens the device answered itself or from its cache / all generated
  tokens (1 - hub share - cloud share: the tokens that never left the device)
- accuracy: exact-match share over the tier's queries
- bytes up/down: mean per node of the tier

95% intervals (`add_intervals`) come from the devices' per-query outcomes: Wilson for an
accuracy, a paired query bootstrap (fedhybrid.stats) for the shares and for accuracy against
cloud-only on the same queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from fedhybrid.stats import Interval, bootstrap_ratios, verdict, wilson

TIERS = ("client", "edge", "iot", "all")


def tier_rows(history: Iterable[dict], tiers: tuple[str, ...] = TIERS) -> list[dict]:
    rows = []
    for record in history:
        groups: dict[str, list[dict]] = defaultdict(list)
        for m in record["nodes"].values():
            groups[m["tier"]].append(m)
            groups["all"].append(m)
        for tier in tiers:
            nodes = groups.get(tier)
            if not nodes:
                continue
            # a tier whose devices served nothing (more devices than requests) has no shares and
            # no accuracy: None ("-" in tables, null in JSON), not 0%, which reads as all wrong
            served = sum(m["tokens"] for m in nodes)
            tokens = served or 1.0
            queries = sum(m["num-examples"] for m in nodes)
            cloud, cache = sum(m["cloud-tokens"] for m in nodes), sum(m["cache-tokens"] for m in nodes)
            # the tier hierarchy: tokens answered by the hubs above (per hub tier)
            hubs = {key[len("hub-tokens-"):]: sum(m.get(key, 0.0) for m in nodes)
                    for key in sorted({k for m in nodes for k in m if k.startswith("hub-tokens-")}) if key !=
                    "hub-tokens-computed"}
            hub = sum(hubs.values())
            def share(part: float, tokens: float = tokens, served: float = served) -> float | None:
                return part / tokens if served else None

            rows.append({
                "round": record["round"], "tier": tier, "nodes": len(nodes),
                "cloud_share": share(cloud),
                "cache_share": share(cache),
                "hub_share": share(hub),
                "hub_shares": {t: share(n) for t, n in hubs.items()},
                "local_share": share(tokens - cloud - cache - hub),  # the device's own tokens
                "local_cache_share": share(tokens - cloud - hub),  # the local+cache hit rate
                "hub_tokens_computed": sum(m.get("hub-tokens-computed", 0.0) for m in nodes),
                "accuracy": (sum(m["accuracy"] * m["num-examples"] for m in nodes) / queries) if queries else None,
                "cloud_tokens_computed": sum(m["cloud-tokens-computed"] for m in nodes),
                "settled_requests": sum(m.get("settled-requests", 0.0) for m in nodes),
                "relearnt_requests": sum(m.get("relearnt-requests", 0.0) for m in nodes),
                "tokens": sum(m["tokens"] for m in nodes), "queries": queries,
                "bytes_up": sum(m["bytes-up"] for m in nodes) / len(nodes),
                "bytes_down": sum(m["bytes-down"] for m in nodes) / len(nodes),
                "released": record["release"].get("released", 0),
                "withheld": record["release"].get("withheld", 0),
            })
    return rows


CI_FIGURES = {  # figure -> (numerator, denominator) per-query columns, for bootstrap_ratios
    "cloud_share": ("cloud", "tokens"),
    "cache_share": ("cache", "tokens"),
    "hub_share": ("hub", "tokens"),
    "local_cache_share": ("local_cache", "tokens"),
    "accuracy_vs_cloud": ("correct", "cloud_only_correct"),  # paired: the same resampled queries
}


def query_columns(served: list[dict], reference: dict[str, dict]) -> dict[str, list[float]]:
    """Per-query columns from the devices' outcomes (fleet.device_node.read_served) and the
    cloud-only results by query key; a query is graded when both sides have a grade."""
    cols: dict[str, list[float]] = {k: [] for k in ("tokens", "cloud", "cache", "hub", "local_cache", "graded",
                                                     "correct", "cloud_only_correct")}
    for q in served:
        hub = float(sum(q["hubs"].values()))
        ref = reference.get(q["key"], {}).get("correct")
        graded = q["correct"] is not None and ref is not None
        cols["tokens"].append(float(q["tokens"]))
        cols["cloud"].append(float(q["cloud"]))
        cols["cache"].append(float(q["cache"]))
        cols["hub"].append(hub)
        cols["local_cache"].append(float(q["tokens"]) - float(q["cloud"]) - hub)
        cols["graded"].append(float(graded))
        cols["correct"].append(float(graded and bool(q["correct"])))
        cols["cloud_only_correct"].append(float(graded and bool(ref)))
    return cols


def add_intervals(rows: list[dict], history: list[dict], served: dict[tuple[int, str], list[dict]],
                  reference: dict[str, dict], seed: int = 0, resamples: int = 2000, level: float = 0.95) -> None:
    """Attach 95% intervals to each row (in place): `row["ci"]` = {figure: {point, low, high}}
    for the CI_FIGURES (query bootstrap, resampled within each device) and `accuracy` /
    `accuracy_cloud_only` (Wilson over the graded queries); `row["graded"]` counts those, and
    `row["wins"]` / `row["losses"]` the graded queries answered right where cloud-only was
    wrong and the reverse.

    `served[(round, device)]` holds the device's per-query outcomes for the round. A row whose
    devices left no outcomes (a replayed fleet), or whose outcomes do not add up to the round's
    reported tokens (files of another run), gets `row["ci"] = None` and a `ci_note` saying why.
    """
    tier_index = {t: i for i, t in enumerate(TIERS)}
    by_round = {record["round"]: record for record in history}
    for row in rows:
        record = by_round[row["round"]]
        devices = sorted(d for d, m in record["nodes"].items() if row["tier"] in (m["tier"], "all"))
        if not row["tokens"]:
            row["ci"], row["ci_note"] = None, "its devices served no request this round"
            continue
        missing = [d for d in devices if not served.get((row["round"], d))]
        if missing:
            row["ci"], row["ci_note"] = None, f"no per-query outcomes from {', '.join(missing)}"
            continue
        queries = [(d, q) for d in devices for q in served[(row["round"], d)]]
        cols = query_columns([q for _, q in queries], reference)
        if abs(sum(cols["tokens"]) - row["tokens"]) > 0.5:
            row["ci"], row["ci_note"] = None, (f"per-query outcomes hold {sum(cols['tokens']):.0f} tokens, the round "
                                               f"reported {row['tokens']:.0f} (outcome files of another run?)")
            continue
        intervals = bootstrap_ratios(cols, CI_FIGURES, strata=[d for d, _ in queries], resamples=resamples,
                                     level=level, seed=(seed, row["round"], tier_index.get(row["tier"], len(TIERS))))
        graded = int(sum(cols["graded"]))
        if graded:
            intervals["accuracy"] = wilson(int(sum(cols["correct"])), graded, level)
            intervals["accuracy_cloud_only"] = wilson(int(sum(cols["cloud_only_correct"])), graded, level)
        row["graded"] = graded
        # the discordant pairs, all that moves the paired ratio: right where cloud-only was wrong, and the reverse
        row["wins"] = int(sum(s > c for s, c in zip(cols["correct"], cols["cloud_only_correct"])))
        row["losses"] = int(sum(s < c for s, c in zip(cols["correct"], cols["cloud_only_correct"])))
        row["ci"] = {k: v.to_dict() for k, v in intervals.items()}


def interval(row: dict, figure: str) -> Interval:
    """The row's interval for `figure`; the point alone when the row has no intervals."""
    ci = (row.get("ci") or {}).get(figure)
    return Interval(**ci) if ci else Interval(row.get(figure), None, None)


# The issue-15 goals: (what, round, tier, ((figure, target, at_least), ...)); all parts must hold.
GOALS = (
    ("round 1: >= 95% of cloud-only accuracy at <= 15% cloud share", 1, "all",
     (("accuracy_vs_cloud", 0.95, True), ("cloud_share", 0.15, False))),
    ("round 10: <= 3% cloud share at >= 100% of cloud-only accuracy", 10, "all",
     (("cloud_share", 0.03, False), ("accuracy_vs_cloud", 1.0, True))),
    ("round 10, iot: local+cache hit rate >= 60%", 10, "iot", (("local_cache_share", 0.60, True),)),
    ("round 10, edge: local+cache hit rate >= 75%", 10, "edge", (("local_cache_share", 0.75, True),)),
    ("round 10, client: local+cache hit rate >= 90%", 10, "client", (("local_cache_share", 0.90, True),)),
)
FIGURE_NAMES = {"accuracy_vs_cloud": "accuracy vs cloud-only", "cloud_share": "cloud share",
                "local_cache_share": "local+cache hit rate"}


def goal_verdicts(rows: list[dict]) -> list[dict]:
    """Each goal with its measured parts: a part is met / not met only when its whole 95%
    interval is on one side of the target, else undecided; a goal is met when every part is,
    not met when any part is not, undecided otherwise."""
    out = []
    for what, rnd, tier, parts in GOALS:
        row = next((r for r in rows if r["round"] == rnd and r["tier"] == tier), None)
        if row is None:
            out.append({"goal": what, "round": rnd, "tier": tier, "parts": [],
                        "verdict": f"not evaluated (no round {rnd} / tier {tier} in this run)"})
            continue
        measured = []
        for figure, target, at_least in parts:
            value = interval(row, figure)
            measured.append({"figure": figure, "target": target, "at_least": at_least, **value.to_dict(),
                             "verdict": verdict(value, target, at_least)})
        verdicts = {m["verdict"] for m in measured}
        overall = "met" if verdicts == {"met"} else "not met" if "not met" in verdicts else "undecided"
        out.append({"goal": what, "round": rnd, "tier": tier, "parts": measured, "verdict": overall,
                    "queries": row["queries"], "graded": row.get("graded"), "wins": row.get("wins"),
                    "losses": row.get("losses")})
    return out


def chain_parts(row: dict) -> list[tuple[str, float]]:
    """The row's tokens by who served them, in chain order: local, cache, each hub tier
    (edge before client, the order an iot device asks them), cloud; the shares sum to 1."""
    hubs = row.get("hub_shares") or {}
    order = sorted(hubs, key=lambda t: ({"edge": 0, "client": 1}.get(t, 2), t))
    parts = ([("local", row["local_share"]), ("cache", row["cache_share"])]
             + [(f"{t} hub", hubs[t]) for t in order] + [("cloud", row["cloud_share"])])
    return [(name, value or 0.0) for name, value in parts]  # a tier that served nothing: no bar


def chain_names(rows: list[dict]) -> list[str]:
    """The chain's parts in order for these rows (from the row that names the most hubs)."""
    return [name for name, _ in chain_parts(max(rows, key=lambda r: len(r.get("hub_shares") or {})))]


def _pct(value) -> str:
    return "-" if value is None else f"{value:.1%}"


def _workload_text(cfg) -> str:
    if cfg.workload_file:
        return (f"the workload file {cfg.workload_file} ({cfg.queries_per_round} queries per node per round, "
                f"requests without a device split {cfg.workload_split})")
    return (f"the recurring fleet workload ({cfg.queries_per_round} queries per node per round, "
            f"Zipf s={cfg.zipf_s}, {cfg.private_fraction:.0%} device-private)")


def _ci(row: dict, figure: str) -> str:
    return interval(row, figure).fmt()


def _goal_lines(goals: list[dict]) -> list[str]:
    lines = ["## Goals", "",
             ("A goal is **met** or **not met** only when the whole 95% interval lies on one side of its target; "
              "**undecided** when the interval straddles the target (more queries per round would narrow it)."), "",
             "| goal | measured (95% interval) | verdict |", "|---|---|---|"]
    notes = []
    for g in goals:
        measured = "; ".join(
            f"{FIGURE_NAMES.get(p['figure'], p['figure'])} {Interval(p['point'], p['low'], p['high']).fmt()} "
            f"({'>=' if p['at_least'] else '<='} {p['target']:.0%}: {p['verdict']})" for p in g["parts"]) or "-"
        lines.append(f"| {g['goal']} | {measured} | **{g['verdict']}** |")
        vs_cloud = [p for p in g["parts"] if p["figure"] == "accuracy_vs_cloud" and p["low"] is not None]
        if vs_cloud and g.get("graded"):
            n, wins, losses = g["graded"], g["wins"], g["losses"]
            note = (f"{g['goal'].split(':')[0]}: of {n} graded queries the fleet answered {wins} right that cloud-only "
                    f"got wrong and {losses} wrong that cloud-only got right (only these move the paired ratio).")
            if losses == 0:  # no resample can fall below 100%: say what the sample cannot see
                note += (f" With no loss, no resample falls below 100%; a loss rate under about 3/{n} = {3 / n:.1%} "
                         "of queries would not show in a sample this size.")
            notes.append(note)
    return lines + ([""] + notes if notes else []) + [""]


def _chain_lines(rows: list[dict]) -> list[str]:
    names = [n for n, _ in chain_parts(max(rows, key=lambda r: len(r.get("hub_shares") or {})))]
    lines = ["## The chain: who served the tokens", "",
             ("Per round and tier, the share of generated tokens the device produced itself (local), took from "
              "its correction cache, got from each hub of the tier hierarchy, and got from the cloud "
              "(plot: chain.png, under Plots)."), "",
             "| round | tier | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for r in rows:
        parts = dict(chain_parts(r))
        lines.append(f"| {r['round']} | {r['tier']} | " + " | ".join(_pct(parts.get(n, 0.0)) for n in names) + " |")
    return lines + [""]


def write_report(out, rows: list[dict], state, cfg, stream, elapsed_s: float, engine: str,
                 phases: dict | None = None):
    """report.md + report.json + PNG plots in `out`; returns the markdown path. `phases`: seconds
    per step of the run (baseline_s, rounds_s, ...), kept in report.json."""
    import json
    from pathlib import Path

    from fedhybrid.report_plots import plot_chain, plot_release, plot_rounds, plot_stream

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plot_rounds(rows, "cloud_share", "cloud share (%)", out / "cloud_share.png")
    plot_rounds(rows, "cache_share", "cache share (%)", out / "cache_share.png")
    plot_rounds(rows, "accuracy_vs_cloud", "accuracy vs cloud-only (%)", out / "accuracy.png")
    plot_rounds(rows, "cost_reduction", "cloud cost reduction (%)", out / "cost_reduction.png")
    plot_chain(rows, out / "chain.png")
    plot_release(rows, out / "release.png")
    plot_stream(stream, out / "sample_stream.png")
    goals = goal_verdicts(rows)
    fleet = [r for r in rows if r["tier"] == "all"]
    first, last = fleet[0], fleet[-1]
    chain = "iot -> edge hub -> client hub -> cloud" if getattr(cfg, "hierarchy", False) else "every device -> cloud"
    no_ci = sorted({r["ci_note"] for r in rows if r.get("ci") is None and r.get("ci_note")})
    lines = [
        "# fedhybrid fleet demo report", "",
        (f"{len(cfg.fleet_tiers)} nodes ({', '.join(f'{t} x{cfg.fleet_tiers.count(t)}' for t in sorted(set(cfg.fleet_tiers)))}), "
        f"{state.round} rounds of {_workload_text(cfg)}, {engine} engine, escalation {chain}, "
        f"release rule k={cfg.release_k}, finished in {elapsed_s:.0f} s. Final state hash `{state.state_hash()[:16]}`."), "",
        "## Headline", "",
        f"| | round 1 | round {last['round']} |", "|---|---|---|",
        (f"| queries (graded) | {first['queries']:.0f} ({first.get('graded', '-')}) | "
        f"{last['queries']:.0f} ({last.get('graded', '-')}) |"),
        f"| cloud share | {_ci(first, 'cloud_share')} | {_ci(last, 'cloud_share')} |",
        f"| cache share | {_ci(first, 'cache_share')} | {_ci(last, 'cache_share')} |",
        f"| local+cache hit rate | {_ci(first, 'local_cache_share')} | {_ci(last, 'local_cache_share')} |",
        f"| accuracy | {_ci(first, 'accuracy')} | {_ci(last, 'accuracy')} |",
        (f"| cloud-only accuracy (same queries) | {_ci(first, 'accuracy_cloud_only')} | "
        f"{_ci(last, 'accuracy_cloud_only')} |"),
        f"| accuracy vs cloud-only | {_ci(first, 'accuracy_vs_cloud')} | {_ci(last, 'accuracy_vs_cloud')} |",
        f"| cloud cost reduction vs cloud-only | {_pct(first['cost_reduction'])} | {_pct(last['cost_reduction'])} |",
        (f"| bytes up / down per node | {first['bytes_up']:,.0f} / {first['bytes_down']:,.0f} | "
        f"{last['bytes_up']:,.0f} / {last['bytes_down']:,.0f} |"),
        f"| n-grams released / withheld | {first['released']} / {first['withheld']} | {last['released']} / {last['withheld']} |",
        "", ("Definitions: cloud share = cloud-generated tokens / all generated tokens; cache share likewise; "
        "local+cache hit rate = tokens the device produced itself or took from its cache / all generated tokens "
        "(1 - hub share - cloud share); "
        "cost = tokens the cloud computed (prefill + generated, with session KV reuse) against cloud-only decoding "
        "of the same queries; accuracy = exact match of the final answer."), "",
        "Intervals `[low, high]` are 95%: Wilson for an accuracy; for the token shares and for accuracy vs "
        "cloud-only, a percentile bootstrap (2,000 resamples, seeded) that resamples whole queries within each "
        "device, a token share being a ratio of token sums and accuracy vs cloud-only PAIRED (the same resampled "
        "queries for the fleet and for cloud-only). They cover the sampling of the round's queries only, not "
        "run-to-run variation of training." + (f" No intervals where: {'; '.join(no_ci)}." if no_ci else ""), "",
        *_goal_lines(goals),
        *_chain_lines(rows),
        "## Per round and tier", "",
        ("| round | tier | nodes | queries | cloud share | cache share | local+cache | accuracy | vs cloud-only | "
        "cost cut | bytes up | bytes down |"),
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['round']} | {r['tier']} | {r['nodes']} | {r['queries']:.0f} | {_ci(r, 'cloud_share')} | "
                     f"{_pct(r['cache_share'])} | {_ci(r, 'local_cache_share')} | {_ci(r, 'accuracy')} | "
                     f"{_ci(r, 'accuracy_vs_cloud')} | {_pct(r['cost_reduction'])} | "
                     f"{r['bytes_up']:,.0f} | {r['bytes_down']:,.0f} |")
    marked = "".join(piece if prov in ("prompt", "device") else f"[{prov}:{piece}]" for piece, prov in stream)
    lines += ["", "## Plots", "", "Shaded: the fleet's (all tiers) 95% interval.", "",
              "![cloud share](cloud_share.png) ![cache share](cache_share.png)", "",
              "![accuracy vs cloud-only](accuracy.png) ![cost reduction](cost_reduction.png)", "",
              "![the chain per tier](chain.png)", "",
              "![released vs withheld](release.png)", "",
              "## Sample token stream", "",
              ("The most popular shared question, decoded on an edge device with the final adapter and cache "
              "(green: device, cyan: cache, magenta: cloud):"), "", "![sample stream](sample_stream.png)", "",
              "Text form (`[cache:...]`, `[cloud:...]` mark tokens not generated by the device):", "", "```",
              marked, "```", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    (out / "report.json").write_text(json.dumps({"rows": rows, "goals": goals, "elapsed_s": elapsed_s,
                                                 "phases": phases or {}, "engine": engine,
                                                 "state_hash": state.state_hash(),
                                                 "stream": stream}, indent=2, default=str))
    return path
