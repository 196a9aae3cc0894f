"""`fedhybrid bench SUITE [--json PATH]`: every benchmark prints a table and writes JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fedhybrid.commands import bench_train
from fedhybrid.tables import print_table, write_json


def register(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="benchmarks: print a table, write JSON")
    bsub = bench.add_subparsers(dest="suite", required=True, metavar="SUITE")
    models = bsub.add_parser("models", help="size, held-out quality and speed of each zoo model")
    models.add_argument("--problems", type=int, default=200, help="held-out wordmath problems")
    _common(models, _models)
    routing = bsub.add_parser("routing", help="every routing policy over a threshold sweep, speed checks")
    routing.add_argument("--device", default="edge", help="device tier, zoo model or HF folder")
    routing.add_argument("--cloud", default="cloud", help="cloud tier, zoo model or HF folder")
    routing.add_argument("--problems", type=int, default=100, help="held-out wordmath problems")
    routing.add_argument("--pycode-tasks", type=int, default=40, help="held-out line completions")
    routing.add_argument("--kv-problems", type=int, default=10, help="problems for the KV-vs-recompute timing")
    routing.add_argument("--divergence-problems", type=int, default=150,
                         help="held-out problems whose cloud-only outputs are scored token by token: which "
                              "tokens each score would escalate (0 skips)")
    routing.add_argument("--plot", type=Path, default=None, help="PNG path (default: next to the JSON)")
    routing.add_argument("--head-from", type=Path, default=None,
                         help="a federated run's state folder: also sweep the reward head the fleet trained "
                              "(federated-head=true) for the device's model family")
    _workload_args(routing, "sweep your requests instead of held-out wordmath and pycode (README: Workload files)")
    _common(routing, _routing)
    cache = bsub.add_parser("cache", help="correction cache: lookup rate, size, merge, build, serving quality")
    cache.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000],
                       help="cache entries of each lookup and build measurement")
    cache.add_argument("--text-tokens", type=int, default=200_000, help="tokens decoded per lookup timing")
    cache.add_argument("--merge-devices", type=int, default=100, help="device deltas merged in the merge measurement")
    cache.add_argument("--merge-entries", type=int, default=10_000, help="entries per device delta")
    cache.add_argument("--device", default="edge", help="device tier for the quality rows")
    cache.add_argument("--problems", type=int, default=30, help="recurring wordmath problems")
    cache.add_argument("--passes", type=int, default=4, help="passes over the recurring problems (the cache fills)")
    _workload_args(cache, "quality rows on your requests, pass after pass (README: Workload files)")
    _common(cache, _cache)
    cloud = bsub.add_parser("cloud", help="remote cloud on loopback: latency, prefix reuse, concurrency")
    cloud.add_argument("--device", default="edge", help="device tier")
    cloud.add_argument("--problems", type=int, default=6, help="wordmath problems per device")
    cloud.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8], help="devices asking at once")
    _common(cloud, _cloud)
    agent = bsub.add_parser("agent", help="a device agent under load: latency/throughput vs the cloud server, "
                                          "overhead vs the bare decoder, swaps under load, kill -9 drill")
    agent.add_argument("--tier", default="edge", choices=["client", "edge", "iot"], help="the agent's tier")
    agent.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16], help="requests in flight")
    agent.add_argument("--requests", type=int, default=32, help="requests per concurrency level")
    agent.add_argument("--max-tokens", type=int, default=128, help="max_tokens of each request")
    agent.add_argument("--overhead-prompts", type=int, default=12, help="prompts per overhead run (3 runs)")
    agent.add_argument("--installs", type=int, default=5, help="adapter installs during the swap test (0: skip)")
    agent.add_argument("--kills", type=int, default=20, help="kill -9 restarts in the drill (0: skip)")
    agent.add_argument("--parts", nargs="+", default=["load", "overhead", "swap", "drill"],
                       choices=["load", "overhead", "swap", "drill"], help="which measurements to run")
    _common(agent, _agent)
    fed = bsub.add_parser("fed", help="aggregation time, round overhead, bytes per node, per-round tier metrics")
    fed.add_argument("--rounds", type=int, default=5, help="rounds of the in-process run")
    fed.add_argument("--queries", type=int, default=4, help="queries per node per round")
    fed.add_argument("--overhead-nodes", type=int, default=10, help="nodes of the round-overhead measurement")
    fed.add_argument("--state-dir", type=Path, default=None, help="default: a temporary folder")
    fed.add_argument("--nodes", type=int, nargs="+", default=None, metavar="N",
                     help="instead: the server's round cost at each fleet size, on replay nodes (README: Fleet scale)")
    fed.add_argument("--scale-rounds", type=int, default=3, help="with --nodes: rounds per fleet size")
    fed.add_argument("--corpus", type=Path, default=Path("bench-results/replay-corpus"),
                     help="with --nodes: the recorded replies replay nodes resample (recorded first if absent)")
    fed.add_argument("--record-rounds", type=int, default=3, help="with --nodes: rounds of the recording run")
    fed.add_argument("--plot", type=Path, default=None, help="with --nodes: PNG path (default: next to the JSON)")
    fed.add_argument("--secure-aggregation", action="store_true",
                     help="with --nodes: plain vs secure aggregation (SecAgg+) at each size, same crashing nodes")
    fed.add_argument("--drop", type=float, default=0.0,
                     help="with --secure-aggregation: share of nodes that crash in every train step (mid-round)")
    fed.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="with --nodes: override a run-config value for the measured runs (e.g. forget-after=2); "
                          "the replay corpus is recorded with the defaults")
    _common(fed, _fed)  # fedhybrid/commands/bench_fed.py
    sync = bsub.add_parser("sync", help="seal/open throughput, envelope overhead, merge and release cost")
    sync.add_argument("--devices", type=int, default=100, help="device deltas sealed, opened and merged")
    sync.add_argument("--entries", type=int, default=10_000, help="entries per device delta")
    sync.add_argument("--ledger-devices", type=int, default=100_000,
                      help="the merged-delta ledger at fleet scale: devices reporting every round")
    sync.add_argument("--ledger-rounds", type=int, default=100, help="rounds of the ledger measurement (0 skips it)")
    _common(sync, _sync)
    bench_train.register(bsub, _common)  # fedhybrid/commands/bench_train.py


def _workload_args(parser: argparse.ArgumentParser, what: str) -> None:
    """--workload and the options that go with it, alike on every bench that takes a file."""
    from workloads.graders import KINDS

    parser.add_argument("--workload", type=Path, default=None, help=what)
    parser.add_argument("--columns", default=None, help="with --workload: map fields to columns")
    parser.add_argument("--grader", default="auto", choices=list(KINDS), help="with --workload: how outputs are judged")
    parser.add_argument("--stop", action="append", default=[], help="with --workload: a stop string (repeatable)")


def _common(parser: argparse.ArgumentParser, run) -> None:
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="where to write the rows as JSON (default: bench-results/SUITE.json)")
    parser.set_defaults(run=run)


def _models(args: argparse.Namespace) -> int:
    from fedhybrid.bench import models
    from inference.zoo import Zoo

    rows = models.run(Zoo(args.zoo), problems=args.problems)
    print_table("zoo models (held-out wordmath and paraphrase exact match, pycode held-out loss, batch-1 decode)",
                [{**r, "tiers": ", ".join(r["tiers"])} for r in rows], models.COLUMNS)
    write_json(args, "models", rows)
    return 0


def _routing(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from fedhybrid.bench import divergence, routing
    from inference.model_identity import folder_identity
    from inference.runtime import load_head, load_stack
    from inference.zoo import Zoo

    zoo = Zoo(args.zoo)
    requests = None
    if args.workload is not None:  # read and checked before any model is loaded
        from workloads.files import load_workload, parse_columns

        requests = load_workload(args.workload, parse_columns(args.columns))
    stack = load_stack(zoo, args.device, args.cloud)
    head, meta = load_head(stack.device_folder, stack.cloud_name, zoo, args.cloud, folder_identity)
    taus = sorted({r["tau"] for r in meta["table"]} | ({meta["target"]["tau"]} if "target" in meta else set())
                  | set(routing.REWARD_SWEEP))
    if requests is not None:
        return _routing_on_workload(args, stack, head, meta, taus, requests)
    federated = _federated_head(args.head_from, zoo.model_name(args.device), head) if args.head_from else None
    with Progress() as progress:
        task = progress.add_task("policies x thresholds", total=None)
        rows = routing.sweep(stack.device_model, stack.cloud, stack.tokenizer, head, taus, args.problems,
                             progress=lambda i, n: progress.update(task, completed=i, total=n), federated=federated)
    print_table(f"routing on held-out wordmath ({args.problems} problems, {args.device} + {args.cloud})",
                rows, routing.COLUMNS)
    matched = routing.at_shares(rows)
    print_table("accuracy at equal cloud share (interpolated between swept thresholds)", matched,
                [("policy", "{}")] + [(k, "{:.1%}") for k in matched[0] if k != "policy"])
    gaps = routing.gaps_at_shares(rows)
    print_table("accuracy minus confidence's at equal cloud share (95% paired bootstrap over problems)",
                divergence.printable(gaps), [("policy", "{}")] + [(k, "{}") for k in matched[0] if k != "policy"])
    recall = None
    if args.divergence_problems > 0:
        heads = {"reward": head, **({"reward-federated": federated} if federated is not None else {})}
        with Progress() as progress:
            task = progress.add_task("cloud-only outputs to score", total=args.divergence_problems)
            recall = divergence.measure(stack.device_model, stack.cloud, stack.tokenizer, heads,
                                        args.divergence_problems,
                                        progress=lambda i, n: progress.update(task, completed=i))
        keys = [(k, "{:.1%}") for k in recall["recall"][0] if k != "scorer"]
        changes = recall["consequence"]
        rejected = (f"the tokens the cloud would change (r < {recall['bad']:g}: {recall['bad_share']:.1%} of "
                    f"{recall['tokens']} tokens of {recall['prompts']} cloud-only outputs)")
        parts = [(rejected, recall)]
        if changes is None:
            print("no device token changes a cloud-only answer's verdict: no recall of answer-changing tokens")
        else:
            changing = ("the tokens that change the answer (the cloud, continuing from the device's token, ends at "
                        f"another verdict: {changes['bad_share']:.1%} of the tokens)")
            parts.append((changing, changes))
        for title, part in parts:
            print_table(f"recall of {title} at equal escalation share", part["recall"], [("scorer", "{}")] + keys)
            print_table("recall minus confidence's (95% paired bootstrap over prompts)",
                        divergence.printable(part["gaps"]), [("scorer", "{}")] + [(k, "{}") for k, _ in keys])
    tau = meta.get("target", {}).get("tau", taus[len(taus) // 2])
    code = routing.pycode_agreement(stack.device_model, stack.cloud, stack.tokenizer, head, tau,
                                    args.pycode_tasks)
    print_table("pycode line completion (held-out files)", code,
                [("policy", "{}"), ("threshold", "{:.3g}"), ("cloud_share", "{:.1%}"),
                 ("agreement", "{:.1%}"), ("line_exact", "{:.1%}")])
    cost = routing.head_cost(stack.device_model, stack.tokenizer, head)
    print(f"reward head: {cost['head_ms']:.3f} ms per score vs {cost['device_step_ms']:.3f} ms per "
          f"device step ({cost['head_share']:.1%}, {cost['head_backend']} scorer)")
    kv = routing.kv_speedup(stack.device_model, stack.cloud.model, stack.tokenizer, head, tau, args.kv_problems)
    print(f"hybrid decoding (reward @ tau={tau:.3g}): {kv['kv_tok_s']:.0f} tok/s with KV caches vs "
          f"{kv['recompute_tok_s']:.0f} tok/s recomputing the prefix: {kv['speedup']:.2f}x "
          f"(identical outputs: {kv['identical_outputs']})")
    stack.cloud.close()
    if recall is not None:
        changes = recall["consequence"]
        if changes is not None:
            changes = {**changes, "gaps": divergence.jsonable(changes["gaps"])}
        recall = {**recall, "gaps": divergence.jsonable(recall["gaps"]), "consequence": changes}
    path = write_json(args, "routing", {"rows": rows, "pycode": code, "head_cost": cost, "kv": kv,
                                        "calibration_target": meta.get("target"), "at_shares": matched,
                                        "gaps_to_confidence": divergence.jsonable(gaps), "divergence": recall,
                                        "head_from": str(args.head_from) if args.head_from else None})
    png = args.plot or path.with_suffix(".png")
    routing.plot(rows, png)
    print(f"wrote {png}")
    return 0


def _federated_head(state_dir: Path, family: str, zoo_head):
    """The reward head a federated run trained for `family` (ServerError when it has none)."""
    from inference.reward_head import head_from_arrays
    from server.errors import ServerError
    from server.state import ServerState

    state = ServerState.load_latest(state_dir)
    if state is None or family not in state.heads:
        raise ServerError(f"--head-from {state_dir}: no federated reward head of {family} there (run the rounds "
                          "with --set federated-head=true)")
    return head_from_arrays(zoo_head.cfg, state.heads[family])


def _routing_on_workload(args, stack, head, meta, taus, requests) -> int:
    """The routing sweep (every calibrated tau, the confidence and fusion sweeps) over a
    user's requests, graded by the file's grader: the same rows `fedhybrid eval` writes."""
    from fedhybrid.bench import routing
    from fedhybrid.progress import TaskProgress
    from fedhybrid.run_config import stop_strings
    from fedhybrid.workload_eval import EvalConfig, evaluate, plot
    from inference.decoder import HybridDecoder
    from workloads.graders import Grader

    configs = ([("cloud-only", None), ("slm-only", None)] + [("reward", t) for t in taus]
               + [("confidence", t) for t in routing.CONFIDENCE_SWEEP] + [("fusion", t) for t in routing.FUSION_SWEEP])
    cfg = EvalConfig(policies=("reward", "confidence", "fusion"), stop=stop_strings(args.stop))
    decoder = HybridDecoder(stack.device_model, stack.tokenizer, stack.cloud)
    try:
        with TaskProgress() as progress:  # a bar per configuration, or plain lines off a terminal
            result = evaluate(decoder, stack.tokenizer, requests, Grader(args.grader), cfg, head=head,
                              head_meta=meta, progress=progress.update, configs=configs)
    finally:
        stack.cloud.close()
    rows = result["rows"]
    print_table(f"routing on {args.workload} ({len(requests)} requests, {args.device} + {args.cloud}, grader "
                f"{args.grader})", rows,
                [("policy", "{}"), ("threshold", "{:.3g}"), ("cloud_share", "{:.1%}"), ("quality", "{:.1%}"),
                 ("agreement", "{:.1%}"), ("identical", "{:.1%}"), ("tok_s", "{:.0f}"), ("cost_cut", "{:.1%}")])
    path = write_json(args, "routing", {"workload": str(args.workload), "grader": args.grader, **result,
                                        "calibration_target": meta.get("target")})
    png = plot(rows, args.plot or path.with_suffix(".png"), f"routing on {args.workload.name}")
    print(f"wrote {png}")
    return 0


def _cache(args: argparse.Namespace) -> int:
    from cache_sync.correction_cache import CacheHeader
    from fedhybrid.bench import cache as bench_cache
    from fedhybrid.run_config import stop_strings
    from inference.model_identity import folder_identity
    from inference.runtime import load_head, load_stack, resolve_threshold
    from inference.zoo import Zoo

    zoo = Zoo(args.zoo)
    requests = None
    if args.workload is not None:  # read and checked before any model is loaded
        from workloads.files import load_workload, parse_columns
        from workloads.graders import Grader

        requests = load_workload(args.workload, parse_columns(args.columns))
        grader = Grader(args.grader)
        grader.check(requests)
    stack = load_stack(zoo, args.device, "cloud")
    header = CacheHeader(zoo.tokenizer_hash, len(stack.tokenizer), 2, 8)
    tasks, stop_ids, described = None, frozenset(), f"{args.problems} held-out problems"
    if requests is not None:
        from fedhybrid.workload_eval import prompt_ids
        from inference.tokenizer import stop_token_ids
        from training.calibration_sets import tasks_from_requests

        tasks = tasks_from_requests(requests, grader, lambda r: prompt_ids(stack.tokenizer, r))
        stop_ids = stop_token_ids(stack.tokenizer, stop_strings(args.stop))
        described = f"{len(requests)} requests of {args.workload}"
    stream = bench_cache.code_stream(stack.tokenizer)
    speed = bench_cache.speed_rows(header, stream, tuple(args.sizes), args.text_tokens)
    print_table("correction cache speed (decode-loop call path: serve() + advance(), 1 core)", speed,
                bench_cache.SPEED_COLUMNS)
    merge = bench_cache.merge_rate(header, bench_cache.device_deltas(header, stream, args.merge_devices,
                                                                    args.merge_entries))
    merge.pop("aggregate")
    print(f"merge: {merge['devices']} deltas, {merge['entries_in']:,} entries -> {merge['entries_out']:,} "
          f"in {merge['merge_s']:.3f} s = {merge['merge_entries_s']:,.0f} entries/s")
    head, meta = load_head(stack.device_folder, stack.cloud_name, zoo, "cloud", folder_identity)
    tau = resolve_threshold("reward", None, None, meta)
    quality = bench_cache.quality_rows(stack.device_model, stack.cloud.model, stack.tokenizer, head, tau,
                                       header, args.problems, args.passes, tasks=tasks, stop_ids=stop_ids)
    stack.cloud.close()
    print_table(f"recurring workload ({described} x {args.passes} passes, "
                f"reward @ tau={tau:.3g})", quality, bench_cache.QUALITY_COLUMNS)
    rows = [{**row, "merge_entries_s": merge["merge_entries_s"]} for row in speed]
    rows[0].update({"cache_share": quality[-1]["cache_share"], "served_precision": quality[-1]["served_precision"]})
    write_json(args, "cache", {"rows": rows, "merge": merge, "quality": quality})
    return 0


def _cloud(args: argparse.Namespace) -> int:
    import tempfile

    import torch

    from fedhybrid.bench import cloud as bench_cloud
    from inference.router import make_policy
    from inference.runtime import load_head, load_stack, resolve_threshold
    from inference.zoo import Zoo

    torch.set_num_threads(1)  # devices share the cores with the server process
    zoo = Zoo(args.zoo)
    stack = load_stack(zoo, args.device, None)
    cloud_name = zoo.model_name("cloud")
    head, meta = load_head(stack.device_folder, cloud_name)
    tau = resolve_threshold("reward", None, None, meta)
    policies = [make_policy("reward", tau, head=head), make_policy("cloud-only")]
    with tempfile.TemporaryDirectory() as logs:
        rows = bench_cloud.run(zoo.root, stack.device_model, stack.tokenizer, policies, args.problems,
                               tuple(args.concurrency), Path(logs))
    print_table(f"remote cloud over loopback ({args.problems} wordmath problems per device, "
                f"reward @ tau={tau:.3g} vs cloud-only)", rows, bench_cloud.COLUMNS)
    write_json(args, "cloud", rows)
    return 0


def _agent(args: argparse.Namespace) -> int:
    from rich.console import Console

    from fedhybrid.bench import agent as bench_agent
    from inference.zoo import Zoo

    console = Console(stderr=True, soft_wrap=True)  # progress: one line per step, the tables on stdout

    def progress(message) -> None:
        if isinstance(message, dict):  # a measured row: one line, not a multi-line dict
            message = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in message.items()
                                if not isinstance(v, (dict, list)))
        console.print(message, style="dim", markup=False, highlight=False)

    out = bench_agent.run(Zoo(args.zoo), args.tier, args.concurrency, args.requests, args.max_tokens, args.installs,
                          args.kills, args.overhead_prompts, log=progress,
                          parts=tuple(args.parts))
    if "load" in out:
        print_table(f"device agent ({args.tier}) and cloud server over loopback: {args.requests} streamed requests "
                    f"per level, {args.max_tokens} max tokens (latencies in ms)", out["load"],
                    [("target", "{}"), ("streams", "{}"), ("requests", "{}"), ("failed", "{}"), ("tok_s", "{:.0f}"),
                     ("ttft_p50", "{:.0f}"), ("ttft_p95", "{:.0f}"), ("ttft_p99", "{:.0f}"), ("tok_p50", "{:.2f}"),
                     ("tok_p95", "{:.2f}"), ("tok_p99", "{:.2f}")])
    if "overhead" in out:
        print_table("agent overhead per token over the bare decoder (median of runs)", [out["overhead"]],
                    [("bare_ms_per_token", "{:.3f}"), ("agent_ms_per_token", "{:.3f}"), ("overhead", "{:+.1%}")])
    if "swap" in out:
        print_table("swap under load (16 streams)", out["swap"],
                    [("case", "{}"), ("requests", "{}"), ("failed", "{}"), ("max_stall_ms", "{:.1f}"),
                     ("p95_stall_ms", "{:.1f}"), ("max_stall_server_ms", "{:.1f}"), ("max_local_stall_ms", "{:.1f}"),
                     ("p95_local_stall_ms", "{:.1f}"), ("install_s_p50", "{:.2f}")])
    if "drill" in out:
        d, r = out["drill"], out["drill_round"]
        print_table("kill -9 drill", [{**d, **r}],
                    [("kills", "{}"), ("acknowledged_requests", "{}"), ("acknowledged_corrections", "{}"),
                     ("recovered_corrections", "{}"), ("missing", "{}"), ("expected_count", "{}"),
                     ("merged_count", "{}"), ("duplicates", "{}")])
    write_json(args, "agent", out)
    return 0


def _fed(args: argparse.Namespace) -> int:
    from fedhybrid.commands import bench_fed

    return bench_fed.run(args)


def _sync(args: argparse.Namespace) -> int:
    from cache_sync.correction_cache import CacheHeader
    from fedhybrid.bench import sync as bench_sync
    from fedhybrid.bench.cache import code_stream
    from inference.tokenizer import load_tokenizer
    from inference.zoo import Zoo

    zoo = Zoo(args.zoo)
    tokenizer = load_tokenizer(zoo.root / "tokenizer")
    header = CacheHeader(zoo.tokenizer_hash, len(tokenizer), 2, 8)
    if args.ledger_devices < 1 or args.ledger_rounds < 0:
        from cache_sync.errors import CacheError

        raise CacheError("--ledger-devices must be >= 1 and --ledger-rounds >= 0 (0 skips the ledger part)")
    row = bench_sync.run(header, code_stream(tokenizer), args.devices, args.entries)
    print_table("secure cache propagation (HPKE X25519/HKDF-SHA256/ChaCha20-Poly1305 + Ed25519)", [row],
                bench_sync.COLUMNS)
    payload = dict(row)
    if args.ledger_rounds:
        from fedhybrid.bench import ledger as bench_ledger

        rows = bench_ledger.run(args.ledger_devices, args.ledger_rounds,
                                progress=lambda line: print(line, file=sys.stderr, flush=True))
        print_table("the aggregate's ledger of merged deltas: (device, seq) pairs vs runs per device", rows,
                    bench_ledger.COLUMNS)
        payload["ledger"] = rows
    write_json(args, "sync", payload)
    return 0
