"""`fedhybrid demo`: the fleet demo (the README's main job)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = """Run the fleet demo: the shipped zoo on Flower's simulation engine, >= 8 nodes over the
client/edge/iot tiers (the cloud tier is the server-side model), federated rounds of the
recurring fleet workload, then a report (markdown + PNG plots) in --out."""


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="run the fleet demo and write its report", description=HELP,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    demo.add_argument("--out", type=Path, default=Path("runs/demo"),
                      help="report folder (report.md, report.json, PNGs; state in OUT/state)")
    demo.add_argument("--rounds", type=int, default=10, help="federated rounds (default 10)")
    demo.add_argument("--engine", choices=["simulation", "inprocess", "deployment", "agents"], default="simulation",
                      help="simulation: Flower's simulation engine (default); inprocess: one process, no Ray; "
                           "deployment: SuperLink + one SuperNode per device on 127.0.0.1; agents: the deployed "
                           "shape (fleet up: device agents serving open-loop traffic, rounds on a schedule)")
    demo.add_argument("--round-interval", type=float, default=40.0, help="agents engine: seconds between rounds")
    demo.add_argument("--rate", type=float, default=2.0, help="agents engine: requests per second, whole fleet")
    demo.add_argument("--resume", action="store_true", help="continue the state in OUT/state instead of starting fresh")
    demo.add_argument("--fleet-tiers", default=None,
                      help="comma-separated tier per node, e.g. 'client,client,edge,edge,edge,iot,iot,iot'")
    demo.add_argument("--queries-per-round", type=int, default=None, help="queries each node serves per round")
    demo.add_argument("--threshold", type=float, default=None,
                      help="reward tau for every tier (default: each device model's calibrated tau)")
    demo.add_argument("--release-k", type=int, default=None,
                      help="an n-gram reaches other devices only when >= k distinct devices reported it")
    demo.add_argument("--private-fraction", type=float, default=None,
                      help="share of each device's queries about people only that device knows")
    demo.add_argument("--local-steps", type=int, default=None, help="LoRA steps per node per round")
    demo.add_argument("--dp-epsilon", type=float, default=None, help="Laplace noise on support before release (0: off)")
    demo.add_argument("--seed", type=int, default=None, help="workload and training seed")
    demo.add_argument("--workload", type=Path, default=None,
                      help="serve your requests instead of the generated fleet workload (README: Workload files); "
                           "each device serves its share, queries-per-round at a time, cycling")
    demo.add_argument("--workload-split", default="uniform", choices=["uniform", "zipf", "dirichlet"],
                      help="which device serves a file request that names no device or partition")
    demo.add_argument("--columns", default=None, metavar="FIELD=COLUMN,...",
                      help="with --workload: map request fields to your columns (prompt=question,answer=final)")
    demo.add_argument("--hierarchy", action=argparse.BooleanOptionalAction, default=None,
                      help="escalate to the tier above before the cloud: iot -> edge hub -> client hub -> cloud "
                           "(--no-hierarchy: every device straight to the cloud)")
    demo.add_argument("--hop-confidence", type=float, default=None,
                      help="with --hierarchy: a hub's model answer is taken at top-1 probability >= this")
    demo.add_argument("--cloud-url", default=None,
                      help="an OpenAI/vLLM-compatible cloud (fedhybrid cloud serve, vLLM); default: in-process")
    demo.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from fedhybrid.demo import DemoConfig, print_summary, run

    over = {"fleet-tiers": args.fleet_tiers, "queries-per-round": args.queries_per_round,
            "threshold": args.threshold, "release-k": args.release_k, "private-fraction": args.private_fraction,
            "local-steps": args.local_steps, "dp-epsilon": args.dp_epsilon, "seed": args.seed,
            "cloud-url": args.cloud_url, "hierarchy": args.hierarchy, "hop-confidence": args.hop_confidence}
    if args.hop_confidence is not None and not args.hierarchy:  # else silently without effect
        from fleet.errors import FleetError

        raise FleetError(f"--hop-confidence {args.hop_confidence:g} sets when a device takes its hub's answer, and "
                         "without --hierarchy no device has a hub: add --hierarchy, or leave --hop-confidence out")
    requests = None
    if args.workload is not None:  # read and checked here, before any process starts
        from workloads.files import load_workload, parse_columns

        requests = load_workload(args.workload, parse_columns(args.columns))
        if args.engine != "agents":
            over.update({"workload-file": str(args.workload.resolve()), "workload-split": args.workload_split,
                         "workload-columns": args.columns or ""})
    # rich falls back to 80 columns when piped: keep the tables readable in logs
    console = Console(width=None if sys.stdout.isatty() else 160)
    if args.engine == "agents":
        from fedhybrid.demo_agents import run_agents
        from fedhybrid.traffic_report import print_tables

        tiers = tuple((args.fleet_tiers or "client,client,edge,edge,edge,iot,iot,iot").split(","))
        result = run_agents(args.out.resolve(), args.zoo, args.rounds, args.round_interval, args.rate, tiers,
                            console, {k: v for k, v in over.items() if v is not None and k != "fleet-tiers"},
                            requests=requests, split=args.workload_split)
        print_tables(result["rows"], result["tiers"])
        console.print(f"report: {result['report']} ({result['elapsed_s']:.0f} s)")
        return 0
    cfg = DemoConfig(out=args.out.resolve(), engine=args.engine, rounds=args.rounds, fresh=not args.resume,
                     overrides=tuple((k, v) for k, v in over.items() if v is not None))
    result = run(cfg, args.zoo, console)
    print_summary(result, console)
    return 0
