"""The fleet demo: the main job. Shipped zoo, >= 8 nodes over the tiers, federated rounds
of the recurring fleet workload on Flower's simulation engine, then a report.

Steps: (1) verify the zoo and reward heads; (2) decode every workload question once with
the cloud alone (the quality and cost baseline); (3) run the rounds; (4) compute per
round and tier: cloud share, cache share, accuracy and its ratio to cloud-only on the
same queries, cloud cost reduction, bytes, released/withheld n-grams, the chain (local,
cache, each hub, cloud), and 95% intervals from the devices' per-query outcomes, checked
against the goals; (5) decode one recurring query with the final adapter and cache,
coloured by provenance; (6) write report.md, report.json and PNG plots.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)


@dataclass(frozen=True)
class DemoConfig:
    out: Path
    engine: str = "simulation"
    rounds: int = 10
    fresh: bool = True
    overrides: tuple[tuple[str, object], ...] = ()

    def __post_init__(self) -> None:
        if self.engine not in ("simulation", "inprocess", "deployment"):
            raise ValueError(f"engine {self.engine!r}: use simulation, inprocess or deployment")
        if self.rounds < 1:
            raise ValueError("rounds must be >= 1")


def cloud_only_reference(cfg, zoo, console: Console) -> dict[str, dict]:
    """Cloud-only greedy answers for every question the workload can ask: key -> result
    (`correct` is None for a file request with no answer or reference to grade it by)."""
    from inference.zoo import load_causal_lm
    from training.evaluate import greedy_batch
    from workloads import wordmath
    from workloads.fleet import FleetWorkload, FleetWorkloadConfig

    model, tok = load_causal_lm("cloud", zoo)
    if cfg.workload_file:
        from clients.runtime import file_workload_for
        from inference.chat import render_chat
        from workloads.graders import Grader

        work = file_workload_for(cfg)
        grader = Grader()
        items = [(key, req.prompt if req.messages is None else render_chat(tok, req.messages),
                  (lambda text, req=req: grader.correct(req, text, (), None)
                   if req.answer is not None or req.reference is not None else None))
                 for key, req in work.items()]
    else:
        work = FleetWorkload(FleetWorkloadConfig(
            devices=len(cfg.fleet_tiers), queries_per_round=cfg.queries_per_round, shared_pool=cfg.shared_pool,
            private_pool=cfg.private_pool, private_fraction=cfg.private_fraction, zipf_s=cfg.zipf_s,
            seed=cfg.seed))
        problems = [(f"shared/{i}", p) for i, p in enumerate(work.shared)]
        for d in range(len(cfg.fleet_tiers)):
            problems += [(f"private/{d}/{i}", p) for i, p in enumerate(work.private_pool(d))]
        items = [(key, p.prompt, lambda text, p=p: wordmath.is_correct(p, text)) for key, p in problems]
    out = {}
    with Progress(TextColumn("cloud-only baseline"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("", total=len(items))
        for start in range(0, len(items), 32):
            chunk = items[start: start + 32]
            texts = greedy_batch(model, tok, [prompt for _, prompt, _ in chunk], cfg.max_new_tokens)
            for (key, prompt, judge), text in zip(chunk, texts):
                out[key] = {"correct": judge(text),
                            "cost": len(tok(prompt)["input_ids"]) + len(tok(text)["input_ids"]) + 1}
            progress.update(task, advance=len(chunk))
    return {"results": out, "workload": work}


def baseline_rows(history: list[dict], cfg, reference: dict) -> dict[tuple[int, str], dict]:
    """Cloud-only accuracy and cost of exactly the queries each round and tier served."""
    work, results = reference["workload"], reference["results"]
    rows: dict[tuple[int, str], dict] = {}
    for record in history:
        rnd = record["round"]
        for device, metrics in record["nodes"].items():
            partition = int(device.rsplit("-", 1)[1])
            for tier in (metrics["tier"], "all"):
                slot = rows.setdefault((rnd, tier), {"correct": 0, "queries": 0, "cost": 0})
                for query in work.queries(partition, rnd):
                    r = results[query.key]
                    if r["correct"] is not None:  # graded queries only (all of them, but for file requests)
                        slot["correct"] += r["correct"]
                        slot["queries"] += 1
                    slot["cost"] += r["cost"]
    return rows


def served_outcomes(history: list[dict], nodes_dir: Path) -> dict[tuple[int, str], list[dict]]:
    """(round, device) -> the per-query outcomes the device wrote for the round
    (fleet.device_node.read_served; empty for a device that wrote none, e.g. a replayed one)."""
    from fleet.device_node import read_served

    return {(record["round"], device): read_served(nodes_dir / device, record["round"])
            for record in history for device in record["nodes"]}


def sample_stream(cfg, zoo, state_dir: Path, console: Console) -> list[tuple[str, str]]:
    """Decode the most popular shared question on edge-2 with its final adapter and cache."""
    from cache_sync.correction_cache import CacheHeader
    from fleet.device_node import DeviceState
    from inference.cloud import LocalCloud
    from inference.decoder import HybridDecoder
    from inference.device_cache import DeviceCache
    from inference.generation import DecodeConfig
    from inference.lora import LoraSpec, attach, merged
    from inference.router import RewardPolicy
    from inference.runtime import load_head
    from inference.tokenizer import number_token_ids, stop_token_ids
    from inference.zoo import load_causal_lm
    from server.state import ServerState
    from workloads import wordmath
    from workloads.fleet import FleetWorkload, FleetWorkloadConfig

    device_index = next(i for i, t in enumerate(cfg.fleet_tiers) if t == "edge")
    device = cfg.device_name(device_index)
    profile = cfg.profile("edge")
    name = zoo.model_name(profile.model)
    state = ServerState.load_latest(state_dir)
    base, tok = load_causal_lm(name, zoo)
    ranks = [cfg.profile(t).lora_rank for t in cfg.fleet_tiers if zoo.model_name(cfg.profile(t).model) == name]
    adapter = {k: v[:, : profile.lora_rank] for k, v in state.adapters[name].items()}
    model = merged(attach(base, LoraSpec(profile.lora_rank, max(ranks), cfg.lora_seed), adapter))
    header = CacheHeader(zoo.tokenizer_hash, int(zoo.manifest["vocab_size"]), cfg.n_min, cfg.n_max)
    saved = DeviceState.load(state_dir / "nodes" / device, state.round, header)
    cache = DeviceCache.for_profile(header, device, profile, number_tokens=number_token_ids(tok))
    cache.released, cache.local = saved.released, saved.local
    cloud_model, _ = load_causal_lm("cloud", zoo)
    head, meta = load_head(zoo.path(name), zoo.model_name("cloud"))
    tau = cfg.threshold if cfg.threshold >= 0 else float(meta["target"]["tau"])
    if cfg.workload_file:  # the file's first request (a prompt one) stands in for the most popular question
        from clients.runtime import file_workload_for

        first = next((r for _, r in file_workload_for(cfg).items() if r.messages is None and not r.sensitive), None)
        if first is None:
            return []
        prompt = first.prompt
    else:
        work = FleetWorkload(FleetWorkloadConfig(devices=len(cfg.fleet_tiers), shared_pool=cfg.shared_pool,
                                                 seed=cfg.seed))
        problem = work.shared[0]
        prompt = problem.prompt
    cloud = LocalCloud(cloud_model)
    pieces: list[tuple[str, str]] = []
    shown: list[int] = []

    def on_token(token, provenance):
        before = tok.decode(shown, skip_special_tokens=True)
        shown.append(token)
        pieces.append((tok.decode(shown, skip_special_tokens=True)[len(before):], provenance.value))

    HybridDecoder(model, tok, cloud, cache=cache).generate(
        prompt, RewardPolicy(head, tau),
        DecodeConfig(max_new_tokens=cfg.max_new_tokens, stop_ids=stop_token_ids(tok, wordmath.STOP)),
        on_token=on_token,
        record=False)
    cloud.close()
    return [(prompt, "prompt")] + pieces


def run(demo: DemoConfig, zoo_root: Path | None, console: Console) -> dict:
    from fedhybrid import engines
    from fedhybrid.report import add_intervals, goal_verdicts, tier_rows, write_report
    from fedhybrid.run_config import default_run_config
    from fleet.config import FederationConfig
    from inference.zoo import Zoo
    from server import round_log

    started = time.time()
    zoo = Zoo(zoo_root)
    state_dir = (demo.out / "state").resolve()
    run_config = {**default_run_config(), "num-rounds": demo.rounds, "state-dir": str(state_dir),
                  "zoo": str(zoo.root.resolve()), **dict(demo.overrides)}
    # the run config first (a second), then the zoo's hashes (seconds), and only then the previous
    # run's state goes: a bad value must not cost the user the last demo
    cfg = FederationConfig.from_run_config(run_config)
    for notice in cfg.notices():
        console.print(f"note: {notice}", style="yellow", markup=False)
    for name in zoo.names:
        zoo.verify(name)
    if demo.fresh and state_dir.exists():
        shutil.rmtree(state_dir)
    console.rule(f"fedhybrid fleet demo: {len(cfg.fleet_tiers)} nodes ({', '.join(sorted(set(cfg.fleet_tiers)))}), "
                 f"{demo.rounds} rounds, {demo.engine} engine")
    reference = cloud_only_reference(cfg, zoo, console)
    phases = {"baseline_s": time.time() - started}  # where the time goes (sizing queries-per-round)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task("federated rounds", total=demo.rounds)

        def on_line(line: str) -> None:
            if "fedhybrid.server" in line or "round " in line and "/" in line and "replies" in line:
                progress.console.print(line.strip()[-160:], markup=False, highlight=False)
            if "replies," in line and "round " in line:
                try:
                    done = int(line.split("round ", 1)[1].split("/", 1)[0])
                    progress.update(task, completed=done)
                except (ValueError, IndexError):
                    pass

        def on_round(rnd: int, record: dict) -> None:
            progress.update(task, completed=rnd)

        if demo.engine == "inprocess":
            state = engines.run_inprocess(run_config, on_round=on_round)
        elif demo.engine == "simulation":
            state = engines.run_simulation(run_config, workdir=demo.out / "flower", on_line=on_line)
        else:
            state = engines.run_deployment(run_config, workdir=demo.out / "flower", on_line=on_line)
        progress.update(task, completed=demo.rounds)
    phases["rounds_s"] = time.time() - started - phases["baseline_s"]
    history = list(round_log.full_history(state.history, state_dir))  # every device of every round
    rows = tier_rows(history)
    base = baseline_rows(history, cfg, reference)
    for row in rows:
        b = base[(row["round"], row["tier"])]
        row["accuracy_cloud_only"] = b["correct"] / max(1, b["queries"])
        row["accuracy_vs_cloud"] = (row["accuracy"] / row["accuracy_cloud_only"]
                                    if b["correct"] and row["accuracy"] is not None else None)
        row["cost_reduction"] = 1.0 - row["cloud_tokens_computed"] / max(1, b["cost"])
    add_intervals(rows, history, served_outcomes(history, state_dir / "nodes"), reference["results"],
                  seed=cfg.seed)
    stream = sample_stream(cfg, zoo, state_dir, console)
    elapsed = time.time() - started
    phases["report_s"] = elapsed - phases["baseline_s"] - phases["rounds_s"]
    report = write_report(demo.out, rows, state, cfg, stream, elapsed, demo.engine, phases)
    return {"rows": rows, "goals": goal_verdicts(rows), "report": report, "elapsed_s": elapsed, "phases": phases,
            "stream": stream, "state_hash": state.state_hash()}


def print_summary(result: dict, console: Console) -> None:
    from rich.table import Table
    from rich.text import Text

    from fedhybrid.report import FIGURE_NAMES, chain_names, chain_parts, interval
    from fedhybrid.stats import Interval

    colours = {"device": "green", "cloud": "bold magenta", "cache": "cyan", "prompt": "dim"}
    text = Text()
    for piece, prov in result["stream"]:
        text.append(piece, style=colours[prov])
    console.rule("sample token stream (green: device, cyan: cache, magenta: cloud)")
    console.print(text)
    fleet = [r for r in result["rows"] if r["tier"] == "all"]
    sizes = "/".join(sorted({f"{r['queries']:.0f}" for r in fleet}, key=int))
    table = Table(title=f"fleet, all tiers, per round ({sizes} queries a round; 95% intervals)")
    for col in ("round", "cloud share", "cache share", "local+cache", "accuracy", "vs cloud-only", "cost cut",
                "n-grams released/withheld"):  # bytes per node: in the report
        table.add_column(col, justify="right")
    for r in fleet:
        table.add_row(str(r["round"]), interval(r, "cloud_share").fmt(), interval(r, "cache_share").fmt(),
                      interval(r, "local_cache_share").fmt(), interval(r, "accuracy").fmt(),
                      interval(r, "accuracy_vs_cloud").fmt(), f"{r['cost_reduction']:.1%}",
                      f"{r['released']}/{r['withheld']}")
    console.print(table)
    last = max(r["round"] for r in result["rows"])
    chain = Table(title=f"the chain at round {last}: who served the tokens, by tier")
    tier_rows_ = [r for r in result["rows"] if r["round"] == last]
    names = chain_names(tier_rows_)
    for col in ("tier", *names, "local+cache (95%)"):
        chain.add_column(col, justify="right")
    for r in tier_rows_:
        parts = dict(chain_parts(r))
        chain.add_row(r["tier"], *(f"{parts.get(n, 0.0):.1%}" for n in names), interval(r, "local_cache_share").fmt())
    console.print(chain)
    styles = {"met": "green", "not met": "red", "undecided": "yellow"}
    console.rule("goals (decided only when the whole 95% interval is on one side)")
    for g in result["goals"]:
        measured = "; ".join(f"{FIGURE_NAMES.get(p['figure'], p['figure'])} "
                             f"{Interval(p['point'], p['low'], p['high']).fmt()}" for p in g["parts"])
        console.print(Text.assemble(f"{g['goal']}: {measured} -> ", (g["verdict"], styles.get(g["verdict"], "dim"))))
    phases = result.get("phases") or {}
    took = (f"; cloud-only baseline {phases['baseline_s']:.0f} s, rounds {phases['rounds_s']:.0f} s, "
            f"sample and report {phases['report_s']:.0f} s" if phases else "")
    console.print(f"report: {result['report']} ({result['elapsed_s']:.0f} s{took})")


def to_json(result: dict) -> str:
    return json.dumps({k: v for k, v in result.items() if k != "stream"}, default=str, indent=2)
