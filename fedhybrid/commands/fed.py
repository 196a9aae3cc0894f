"""`fedhybrid fed run` and `fedhybrid keys init`: federated rounds on any engine."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path

from fedhybrid.run_config import build_run_config


def register(sub: argparse._SubParsersAction) -> None:
    fed = sub.add_parser("fed", help="run federated rounds (in-process, simulation or loopback deployment)")
    fsub = fed.add_subparsers(dest="fed_command", required=True, metavar="ACTION")
    run = fsub.add_parser("run", help="run (or resume) the federation; prints per-round tier metrics")
    run.add_argument("--engine", choices=["inprocess", "simulation", "deployment"], default="simulation",
                     help="inprocess: one process, no Ray (fast, tests); simulation: Flower's simulation "
                          "engine; deployment: SuperLink + one SuperNode per device on 127.0.0.1")
    run.add_argument("--tls", action="store_true", help="deployment over TLS with project-made certificates")
    run.add_argument("--rounds", type=int, default=None, help="num-rounds")
    run.add_argument("--state-dir", type=Path, default=None, help="where the server and nodes keep state")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a [tool.flwr.app.config] value (TOML syntax), repeatable")
    run.add_argument("--workload", type=Path, default=None,
                     help="devices serve your requests instead of the generated fleet workload (README: Workload "
                          "files); same as --set workload-file=PATH")
    run.add_argument("--workload-split", default=None, choices=["uniform", "zipf", "dirichlet"],
                     help="which device serves a file request that names no device or partition")
    run.add_argument("--columns", default=None, metavar="FIELD=COLUMN,...",
                     help="with --workload: map request fields to your columns (prompt=question,answer=final); "
                          "same as --set workload-columns=...")
    run.add_argument("--json", type=Path, default=None, help="write the round history as JSON here")
    run.set_defaults(run=_run)
    keys = sub.add_parser("keys", help="key material for sealed cache propagation")
    ksub = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    init = ksub.add_parser("init", help="create aggregator, server-signing and device keys (0600 PEM)")
    init.add_argument("--dir", type=Path, required=True, help="folder for the keys (created)")
    init.add_argument("--devices", nargs="+", required=True, help="device names, one key pair each (e.g. edge-1 iot-2)")
    init.set_defaults(run=_keys_init)
    rotate = ksub.add_parser("rotate", help="new aggregator key; the old one stays valid for a grace period")
    rotate.add_argument("--dir", type=Path, required=True, help="the folder of `keys init`")
    rotate.set_defaults(run=_keys_rotate)


def _run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.text import Text

    from fedhybrid import engines
    from fedhybrid.report import tier_rows

    run_config = build_run_config(args)
    if args.json is not None:  # checked before the rounds, not found unwritable after them
        from fedhybrid.tables import writable_path

        writable_path(args.json, "--json")
    # a resumed state's options and round: refused here, before any engine starts (the Flower
    # engines check the zoo before they start a process)
    saved = engines.preflight(run_config)
    start = saved.round if saved is not None else 0
    console = Console(soft_wrap=True)  # a log keeps each line whole (the state hash on its line)
    if start == int(run_config["num-rounds"]):
        console.print(f"nothing to run: the state in {run_config['state-dir']} is already at round {start} "
                      f"(--rounds {start}); give --rounds {start + 1} or more to run further rounds", markup=False)
        return 0
    from fleet.config import FederationConfig

    for notice in FederationConfig.from_run_config(run_config).notices():
        console.print(f"note: {notice}", style="yellow", markup=False)

    def flower_line(line: str) -> None:
        # Flower colours its log lines: rendered on a terminal, dropped in a log, never raw codes
        console.print(Text.from_ansi(line), highlight=False)

    def on_round(rnd, record):
        rel = record["release"]
        forgotten = f", forgot {rel['forgotten']}" if rel.get("forgotten") else ""
        secagg = record.get("secagg")  # said each round: nothing else shows the server saw only sums
        secure = (f", adapters summed under secure aggregation ({len(secagg['degree'])} families"
                  + (f", {len(secagg['dropped'])} dropped after the key step" if secagg["dropped"] else "") + ")"
                  if secagg else "")
        console.print(f"round {rnd}: {len(record['nodes'])} nodes, released {rel['released']}, "
                      f"withheld {rel['withheld']}{forgotten}{secure}, {record['seconds']:.1f} s")

    if args.engine == "inprocess":
        state = engines.run_inprocess(run_config, on_round=on_round, saved=(saved,))
    elif args.engine == "simulation":
        state = engines.run_simulation(run_config, on_line=flower_line)
    else:
        state = engines.run_deployment(run_config, tls=args.tls, on_line=flower_line)
    from server.round_log import full_history

    rows = tier_rows(full_history(state.history, Path(run_config["state-dir"])))
    from fedhybrid.tables import print_table

    print_table(f"per-round tier metrics ({args.engine})", rows,
                [("round", "{}"), ("tier", "{}"), ("nodes", "{}"), ("cloud_share", "{:.1%}"),
                 ("cache_share", "{:.1%}"), ("accuracy", "{:.1%}"), ("bytes_up", "{:,.0f}"),
                 ("bytes_down", "{:,.0f}")])
    pruned = [r["round"] for r in state.history if r.get("pruned")]
    if pruned:
        console.print(f"rounds {pruned[0]}-{pruned[-1]}: per-device details deleted (keep-round-details), not in the table")
    console.print(f"final round {state.round}, state hash {state.state_hash()}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"state_hash": state.state_hash(), "rows": rows}, indent=2))
    # a second lazy pass over this run's rounds only (each reads its details file again): those
    # after the round the state was at when it started, not the earlier runs' (num-rounds is the
    # target round a resumed run continues to, not a count)
    empty = empty_rounds(full_history([r for r in state.history if r["round"] > start],
                                      Path(run_config["state-dir"])), start)
    for line in empty:
        console.print(line, style="red", markup=False)
    return 1 if empty else 0


def empty_rounds(history: Iterable[dict], since: int) -> list[str]:
    """A line for each round after `since` that merged nothing although devices answered: every
    reply dropped (malformed replies, a device without its key), or replies merged but the
    deltas of every one that sent any rejected (`ingest`: the devices' keys do not match the
    server's, say). Such a run did nothing, and a normal table with exit 0 hid it. A device
    with nothing to upload is no rejection."""
    lines = []
    for record in history:
        if record["round"] <= since:
            continue
        dropped = record.get("dropped") or []
        ingest = record.get("ingest") or {}
        rejected = ingest.get("rejected") or []
        if not record.get("nodes") and dropped:
            device, reason = dropped[-1]
            lines.append(f"round {record['round']}: no reply merged, {len(dropped)} dropped (last: {device}: {reason})")
        elif rejected and not ingest.get("merged") and not ingest.get("duplicates"):
            device, reason = rejected[-1]
            senders = len({d for d, _ in rejected})
            lines.append(f"round {record['round']}: nothing merged, the deltas of all {senders} device"
                         f"{'s' if senders != 1 else ''} that sent any were rejected (last: {device}: {reason})")
    return lines


def _keys_init(args: argparse.Namespace) -> int:
    from cache_sync.keys import init_keys

    created = init_keys(args.dir, args.devices)
    kept = len(args.devices) - len(created)
    print(f"keys in {args.dir} for {len(args.devices)} device{'s' if len(args.devices) != 1 else ''}: "
          f"{len(created)} new pair{'s' if len(created) != 1 else ''}, {kept} kept (private keys mode 0600)")
    return 0


def _keys_rotate(args: argparse.Namespace) -> int:
    from cache_sync.keys import rotate_aggregator

    print(f"new aggregator key {rotate_aggregator(args.dir)}; the previous one stays valid for its grace period")
    return 0
