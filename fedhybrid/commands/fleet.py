"""`fedhybrid fleet up|traffic|down`: a deployed fleet on this machine, driven and measured."""

from __future__ import annotations

import argparse
from pathlib import Path

from agent.recent import DEFAULT_REMEMBER

DEFAULT_WORKDIR = Path("runs/fleet-up")


def register(sub: argparse._SubParsersAction) -> None:
    fleet = sub.add_parser("fleet", help="a deployed fleet on 127.0.0.1: device agents, SuperLink, rounds")
    fsub = fleet.add_subparsers(dest="fleet_command", required=True, metavar="ACTION")
    up = fsub.add_parser("up", help="start a cloud server, N device agents with their SuperNodes, a SuperLink and "
                                    "the ServerApp running rounds on a schedule (returns once all are up)")
    up.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="state, keys, logs and fleet.json")
    up.add_argument("--tiers", default="client,client,edge,edge,edge,iot,iot,iot",
                    help="one tier per device agent, comma-separated")
    up.add_argument("--rounds", type=int, default=10, help="federated rounds the server runs")
    up.add_argument("--round-interval", type=float, default=30.0, help="seconds between round starts")
    up.add_argument("--train-budget", type=float, default=10.0, help="seconds of local fine-tuning per round")
    up.add_argument("--tls", action="store_true", help="SuperLink over TLS with project-made certificates")
    up.add_argument("--cloud-url", default=None, help="use this cloud instead of starting the zoo's")
    up.add_argument("--key-dir", type=Path, default=None,
                    help="a key folder made with `fedhybrid keys init --dir D --devices <tier>-<i>...` (device names "
                         "as the fleet numbers them: client-0, edge-2, ...): the server and the agents use it and "
                         "nothing in it is created or replaced; default: the fleet makes its own in <workdir>/keys")
    up.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a [tool.flwr.app.config] value (TOML syntax), repeatable")
    up.add_argument("--hierarchy", action="store_true",
                    help="iot agents ask the edge hub, then the client hub, edge agents the client hub, before the "
                         "cloud (a tier's hub is its first agent, answering at /hop); agents below a hub fetch the "
                         "server's signed updates from it (--relay-url; run config relay=true)")
    up.add_argument("--hop-confidence", type=float, default=None,
                    help="with --hierarchy: a hub's answer is taken at top-1 probability >= this (default 0.99)")
    up.add_argument("--hop-deadline", type=float, default=None,
                    help="with --hierarchy: seconds before a hub is skipped (default 1.0)")
    up.add_argument("--loop-stop", type=int, default=32, metavar="N",
                    help="every agent ends a request once its last N tokens are one cycle of <= 4 tokens "
                         "(device serve --loop-stop; default 32, 0: off, else >= 8)")
    up.add_argument("--recurring-to-cloud", action=argparse.BooleanOptionalAction, default=None,
                    help="with --hierarchy: a question an agent answered before escalates to the cloud only, whose "
                         "answers its cache then replays (device serve --recurring-to-cloud; default on)")
    up.add_argument("--settle-recurring", action=argparse.BooleanOptionalAction, default=True,
                    help="a question an agent answered before: the cloud scores its unchecked tokens at the end "
                         "(device serve --settle-recurring; default on)")
    up.add_argument("--remember", type=int, default=DEFAULT_REMEMBER, metavar="N",
                    help="questions each agent keeps in memory to tell a recurrence (device serve --remember; "
                         f"default {DEFAULT_REMEMBER})")
    up.add_argument("--privacy-floor", action="append", default=[], metavar="[TIER=]MODE",
                    help="the loosest privacy the agents give any request (device serve --privacy-floor): "
                         "'local-only' for every agent, 'iot=local-only' for one tier's (a tier's own wins); "
                         "repeatable")
    up.set_defaults(run=_up)
    traffic = fsub.add_parser("traffic", help="open-loop requests at the fleet's agents; a table per round")
    traffic.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="the fleet's (fleet up --workdir)")
    traffic.add_argument("--workload", default="fleet",
                         help="'fleet' (the recurring fleet workload) or a workload file or folder (.jsonl, .csv, "
                              ".parquet; see README: Workload files)")
    traffic.add_argument("--columns", default=None, help="map request fields to your columns (prompt=question,...)")
    traffic.add_argument("--split", default="uniform", choices=["uniform", "zipf", "dirichlet"],
                         help="which agent serves a file request that names no device or partition (fixed per "
                              "request; default uniform)")
    traffic.add_argument("--zipf-s", type=float, default=1.1, help="with --split zipf: the exponent")
    traffic.add_argument("--dirichlet-alpha", type=float, default=0.5, help="with --split dirichlet: alpha")
    traffic.add_argument("--rate", type=float, default=2.0, help="requests per second, all agents together")
    traffic.add_argument("--duration", type=float, default=60.0, help="seconds of traffic")
    traffic.add_argument("--max-tokens", type=int, default=128, help="max_tokens of each request")
    traffic.add_argument("--seed", type=int, default=0, help="draws the requests, their agents and arrival times")
    traffic.add_argument("--no-baseline", action="store_true", help="skip the cloud-only pass at the end")
    traffic.add_argument("--json", type=Path, default=None, help="default: <workdir>/traffic.json")
    traffic.set_defaults(run=_traffic)
    down = fsub.add_parser("down", help="stop every process of the fleet by PID")
    down.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="the fleet's (fleet up --workdir)")
    down.set_defaults(run=_down)


def _up(args: argparse.Namespace) -> int:
    from rich.console import Console

    from fedhybrid.fleet_ops import FleetSpec, fleet_up
    from fedhybrid.run_config import parse_sets
    from server.errors import ServerError

    chain_only = {"--hop-confidence": args.hop_confidence, "--hop-deadline": args.hop_deadline,
                  "--recurring-to-cloud" if args.recurring_to_cloud else "--no-recurring-to-cloud":
                  args.recurring_to_cloud}
    given = [flag for flag, value in chain_only.items() if value is not None]
    if given and not args.hierarchy:  # else silently without effect: no agent has a hub to ask
        one = len(given) == 1
        raise ServerError(f"{', '.join(given)} {'acts' if one else 'act'} only through the hubs above the agents, "
                          f"and without --hierarchy no agent has a hub: add --hierarchy, or leave "
                          f"{'it' if one else 'them'} out")
    console = Console(soft_wrap=True)  # piped: one line per message, not 80 columns
    chain = {name: value for name, value in (("hop_confidence", args.hop_confidence),
                                                 ("hop_deadline_s", args.hop_deadline),
                                                 ("recurring_to_cloud", args.recurring_to_cloud)) if value is not None}
    spec = FleetSpec(args.workdir, tuple(t.strip() for t in args.tiers.split(",") if t.strip()), args.rounds,
                     args.round_interval, args.tls, args.cloud_url, args.zoo, args.train_budget, parse_sets(args.set),
                     args.hierarchy, loop_stop=args.loop_stop, settle_recurring=args.settle_recurring,
                     remember=args.remember, key_dir=args.key_dir,
                     privacy_floor=tuple(_floor(given) for given in args.privacy_floor), **chain)
    fleet = fleet_up(spec, say=console.print)
    for agent in fleet["agents"]:
        hops = [a.split("=", 1)[0] for a in agent["chain"] if "/hop" in a]
        console.print(f"  {agent['device']:>10} ({agent['tier']}): {agent['url']}/v1"
                      + (" (hub)" if "--serve-hop" in agent["chain"] else "")
                      + "".join(f" -> {tier} hub" for tier in hops) + (" -> cloud" if hops else "")
                      + (f" (privacy floor {floor})" if (floor := spec.floor_of(agent["tier"])) else ""), markup=False)
    console.print(f"fleet up; `fedhybrid fleet traffic --workdir {args.workdir}` drives it, "
                  f"`fedhybrid fleet down --workdir {args.workdir}` stops it")
    return 0


def _floor(given: str) -> tuple[str, str]:
    """`--privacy-floor` "iot=local-only" -> ("iot", "local-only"); "local-only" -> ("*", ...): every tier."""
    tier, _, mode = given.rpartition("=")
    return (tier.strip() or "*", mode.strip())


def _traffic(args: argparse.Namespace) -> int:
    import asyncio

    from rich.console import Console

    from fedhybrid import traffic
    from fedhybrid import traffic_report as report
    from fedhybrid.fleet_record import load_fleet
    from workloads.errors import WorkloadError
    from workloads.files import load_workload, parse_columns

    if args.rate <= 0 or args.duration <= 0:
        raise WorkloadError("--rate and --duration must be positive")
    console = Console(soft_wrap=True)
    requests = None if args.workload == "fleet" else load_workload(Path(args.workload), parse_columns(args.columns))
    fleet = load_fleet(args.workdir)
    urls = {a["device"]: a["url"] for a in fleet["agents"]}
    devices = list(urls)
    stream = (traffic.fleet_stream(devices, args.seed) if args.workload == "fleet"
              else traffic.file_stream(requests, devices, args.seed, args.split, args.zipf_s, args.dirichlet_alpha))
    progress = report.RoundProgress()
    sent: dict = {}

    def on_result(outcome) -> None:
        for row in progress.add(outcome):
            console.print(_line(row))

    def sending():  # what was sent, kept here: on Ctrl-C drive() returns nothing
        for req in stream:
            sent[req.id] = req
            yield req

    agents = f"{len(devices)} agent{'s' if len(devices) != 1 else ''}"
    console.print(f"traffic: {args.rate:g} req/s for {args.duration:g} s at {agents} ({args.workload} workload)")
    interrupted = None  # where Ctrl-C stopped it: what was answered until then is still reported
    try:
        results, _ = asyncio.run(traffic.drive(urls, sending(), args.rate, args.duration, args.max_tokens, args.seed,
                                               on_result=on_result))
    except KeyboardInterrupt:
        interrupted, results = "traffic", sorted(progress.done, key=lambda r: r.sent)
        console.print(f"interrupted: {len(results)} of {len(sent)} requests sent were answered; the rest are left "
                      "out", style="yellow", markup=False)
    for row in progress.rest():
        console.print(_line(row))
    baseline = None
    if not args.no_baseline and interrupted is None:
        console.print("cloud-only pass over the distinct prompts ...")
        try:
            baseline = asyncio.run(traffic.cloud_baseline(fleet["cloud_url"], list(sent.values()), args.max_tokens))
        except KeyboardInterrupt:
            interrupted = "cloud-only pass"
            console.print("interrupted: no cloud-only figures", style="yellow", markup=False)
    rows = report.rows_by_round(results, baseline, sent)
    report.print_tables(rows, report.tiers_by_round(results))
    for line in report.failures_by_agent(results):
        console.print(line, style="red", markup=False)
    if (cut := report.cut_short(results, args.max_tokens)) is not None:
        console.print(cut, style="yellow", markup=False)
    path = args.json or args.workdir / "traffic.json"
    # "interrupted": null, or where Ctrl-C stopped the run ("traffic": only the requests answered
    # by then, of "sent"; "cloud-only pass": every request, no cloud-only figures)
    report.write_report(path, results, rows, {"rate": args.rate, "duration": args.duration,
                                              "workload": args.workload, "agents": len(devices),
                                              "interrupted": interrupted, "sent": len(sent)}, baseline)
    console.print(f"wrote {path}" + (f" (partial: interrupted during the {interrupted})" if interrupted else ""))
    if interrupted:
        raise KeyboardInterrupt  # the CLI's exit 130, as for any Ctrl-C
    return 0 if all(r.ok for r in results) else 1


def _line(row: dict) -> str:
    acc = "-" if row["accuracy"] is None else f"{row['accuracy']:.1%}"
    return (f"round {row['round']} so far: {row['requests']} requests ({row['failed']} failed), cloud share "
            f"{row['cloud_share']:.1%}, hub share {row['hub_share']:.1%}, cache share {row['cache_share']:.1%}, "
            f"accuracy {acc}, "
            f"p50 latency {row['latency_p50_ms'] or 0:.0f} ms")


def _down(args: argparse.Namespace) -> int:
    from fedhybrid.fleet_ops import fleet_down
    from fedhybrid.fleet_record import stopped_at

    when = stopped_at(args.workdir)
    if when is not None:  # `fleet down` run twice: done already, not a mistake
        print(f"the fleet in {args.workdir} was already stopped at {when}; nothing to stop")
        return 0
    stopped = fleet_down(args.workdir)
    print(f"stopped {len(stopped)} processes" + (f": {', '.join(stopped)}" if stopped else ""))
    return 0
