"""`fedhybrid bench fed`: the round's aggregation and overhead on a small fleet, and with
`--nodes` the server's round cost by fleet size (replay nodes), plain or secure aggregation.
The handlers only: `bench.py` registers the sub-command and its flags.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fedhybrid.tables import print_table, write_json
from fleet.errors import FleetError


def run(args: argparse.Namespace) -> int:
    import tempfile

    if args.nodes:
        return _fed_scale(args)

    from fedhybrid.bench import fed as bench_fed
    from fedhybrid.report import tier_rows
    from fedhybrid.run_config import default_run_config
    from inference.lora import b_shapes
    from inference.zoo import Zoo, load_causal_lm

    zoo = Zoo(args.zoo)
    base, _ = load_causal_lm("edge", zoo)
    agg = []
    for rank in (4, 8, 16):
        shapes = b_shapes(base, rank, 1234)
        agg += bench_fed.aggregation_rows(shapes, rank, (10, 100), (rank,))
    print_table("server aggregation (edge family, q/v LoRA, clip + trimmed mean)", agg,
                [("clients", "{}"), ("rank", "{}"), ("params_per_adapter", "{:,}"), ("aggregate_s", "{:.4f}")])
    tiers = ["client", "client", "edge", "edge", "edge", "edge", "iot", "iot", "iot", "iot"]
    with tempfile.TemporaryDirectory() as tmp:
        root = args.state_dir or Path(tmp)
        base_cfg = {**default_run_config(), "zoo": str(zoo.root)}
        # overhead: 10 nodes, tiny workload, no local training: what the round costs beyond the devices
        overhead_cfg = {**base_cfg, "num-rounds": 3, "fleet-tiers": ",".join(tiers[: args.overhead_nodes]),
                        "queries-per-round": 1, "local-steps": 0, "max-new-tokens": 8,
                        "state-dir": str(root / "overhead")}
        timing, _ = bench_fed.round_rows(overhead_cfg)
        metrics_cfg = {**base_cfg, "num-rounds": args.rounds, "queries-per-round": args.queries,
                       "state-dir": str(root / "rounds")}
        round_timing, result = bench_fed.round_rows(metrics_cfg)
    print_table(f"in-process round overhead, {args.overhead_nodes} nodes (wall minus time inside ClientApps)",
                timing, [("round", "{}"), ("wall_s", "{:.3f}"), ("client_s", "{:.3f}"), ("round_overhead_s", "{:.3f}")])
    rows = tier_rows(result["history"])
    print_table(f"per-round tier metrics ({args.rounds} rounds, 8 nodes, {args.queries} queries/node/round)", rows,
                [("round", "{}"), ("tier", "{}"), ("nodes", "{}"), ("cloud_share", "{:.1%}"),
                 ("cache_share", "{:.1%}"), ("accuracy", "{:.1%}"), ("bytes_up", "{:,.0f}"),
                 ("bytes_down", "{:,.0f}"), ("released", "{}"), ("withheld", "{}")])
    overhead = sorted(t["round_overhead_s"] for t in timing)[len(timing) // 2]
    last = [r for r in rows if r["tier"] == "all"]
    payload = {"aggregation": agg, "round_overhead": timing, "round_timing": round_timing, "rounds": rows,
               "summary": {"clients": 100, "rank": 8,
                           "aggregate_s": next(r["aggregate_s"] for r in agg if r["clients"] == 100 and r["rank"] == 8),
                           "round_overhead_s": overhead,
                           "bytes_up": sum(r["bytes_up"] for r in last) / max(1, len(last)),
                           "bytes_down": sum(r["bytes_down"] for r in last) / max(1, len(last)),
                           "rounds": args.rounds}}
    print(f"100 rank-8 adapters aggregate in {payload['summary']['aggregate_s']:.3f} s; round overhead "
          f"(median, {args.overhead_nodes} nodes) {overhead:.3f} s")
    write_json(args, "fed", payload)
    return 0


def _fed_scale(args: argparse.Namespace) -> int:
    import tempfile

    from fedhybrid.bench import scale
    from fedhybrid.run_config import default_run_config, flag_over_set, parse_sets
    from fleet.config import FederationConfig
    from inference.zoo import Zoo

    if any(n < 1 for n in args.nodes) or args.scale_rounds < 1 or args.record_rounds < 1:
        raise FleetError("--nodes, --scale-rounds and --record-rounds must be >= 1")
    zoo = Zoo(args.zoo)
    base_cfg = {**default_run_config(), "zoo": str(zoo.root)}
    overrides = parse_sets(args.set, base_cfg)
    if args.zoo:  # --zoo wins over --set zoo=..., as in fed run (the corpus is recorded with it too)
        flag_over_set(overrides, "zoo", "--zoo", base_cfg["zoo"])
        overrides.pop("zoo", None)
    FederationConfig.from_run_config({**base_cfg, **overrides})  # a bad value stops here, before any run
    corpus = args.corpus.resolve()
    if not any(corpus.glob("*/*.msgpack")):
        print(f"recording a replay corpus in {corpus}: a real {len(base_cfg['fleet-tiers'].split(','))}-node "
              f"run of {args.record_rounds} rounds ...", flush=True)
        seconds = scale.record_corpus(base_cfg, corpus, args.record_rounds)
        print(f"recorded in {seconds:.0f} s", flush=True)
    run_cfg = {**base_cfg, **overrides, "replay-dir": str(corpus)}
    if args.secure_aggregation:
        return _fed_secagg(args, run_cfg, scale)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.state_dir.resolve() if args.state_dir else Path(tmp)
        results = scale.run_sizes(run_cfg, sorted(set(args.nodes)), args.scale_rounds, work)
    summary, exponents = scale.summarize(results)
    print_table(f"server round cost by fleet size (replay nodes, in-process, {_rounds_text(args.scale_rounds)})",
                summary, [("nodes", "{}"), ("server_s", "{:.3f}"), ("configure_s", "{:.3f}"),
                          ("aggregate_s", "{:.3f}"), ("ingest_s", "{:.3f}"), ("release_s", "{:.3f}"),
                          ("save_s", "{:.3f}"), ("transport_s", "{:.3f}"), ("nodes_s", "{:.2f}"),
                          ("peak_rss_mb", "{:.0f}"), ("workers_peak_rss_mb", "{:.0f}"), ("bytes_up_per_node", "{:,.0f}"),
                          ("bytes_down_per_node", "{:,.0f}"), ("state_bytes", "{:,.0f}"), ("released", "{}"),
                          ("global_entries", "{:,.0f}"), ("forgotten", "{:,.0f}")])
    if exponents:
        print_table("growth exponent (slope of log value on log nodes; 1.0 = linear)",
                    [{"quantity": k, "exponent": v} for k, v in exponents.items()],
                    [("quantity", "{}"), ("exponent", "{:.2f}")])
    path = write_json(args, "fed-scale", {"sizes": summary, "exponents": exponents, "rounds": results,
                                          "corpus": str(corpus)})
    if len(summary) >= 2:
        png = args.plot or path.with_suffix(".png")
        scale.plot(summary, png)
        print(f"wrote {png}")
    return 0


def _fed_secagg(args: argparse.Namespace, run_cfg: dict, scale) -> int:
    import tempfile

    if not 0.0 <= args.drop < 1.0:
        raise FleetError(f"--drop {args.drop} must lie in [0, 1)")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = args.state_dir.resolve() if args.state_dir else Path(tmp)
        for n in sorted(set(args.nodes)):
            print(f"{n} nodes, {args.drop:.0%} crashing in train: plain, then secure aggregation ...", flush=True)
            results.append(scale.secagg_compare(run_cfg, n, args.scale_rounds, args.drop, work))
    rows = [row for res in results for row in res["rows"]]
    print_table(f"secure vs plain aggregation (replay nodes, in-process, {_rounds_text(args.scale_rounds)})",
                rows, [("nodes", "{}"), ("mode", "{}"), ("dropped_nodes", "{}"), ("replies", "{:.0f}"),
                       ("server_s", "{:.3f}"), ("secagg_setup_s", "{:.3f}"), ("secagg_unmask_s", "{:.3f}"),
                       ("nodes_s", "{:.3f}"), ("bytes_up_per_node", "{:,.0f}"), ("bytes_down_per_node", "{:,.0f}")])
    for res in results:
        n = res["rows"][0]["nodes"]
        print(f"{n} nodes: secure adapters differ from plain by at most {res['max_abs_diff']:.3g} "
              f"(largest value {res['max_abs_value']:.3g})")
    write_json(args, "fed-secagg", {"results": results, "drop": args.drop})
    return 0


def _rounds_text(rounds: int) -> str:
    """Which rounds the medians are over: the first round (no state yet) is left out when there
    are others (`scale.summarize`, `scale.secagg_compare`)."""
    return "round 1 only" if rounds == 1 else f"median of rounds 2-{rounds}" if rounds > 2 else "round 2"
