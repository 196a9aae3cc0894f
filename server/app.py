"""The fleet's ServerApp: discovers the nodes, runs the rounds, persists after each.

Runs unchanged on Flower's simulation engine and on the deployment engine. Per round:
the strategy sends every node its family's adapter (truncated to its rank) with a signed
cache diff for its tier; replies are validated and aggregated per family; correction
deltas are opened, de-duplicated and merged; n-grams seen by enough devices are released
to per-tier views; the whole state is saved. A restarted run resumes after the last
saved round.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flwr.app import ConfigRecord, Context, Message, MessageType, RecordDict
from flwr.serverapp import Grid, ServerApp

from fleet.config import FederationConfig
from server.errors import ServerError
from server.federation import LOAD
from server.memory import rss_mb

log = logging.getLogger("fedhybrid.server")
app = ServerApp()


def show_round_lines() -> None:
    """Let this package's INFO lines (one per round) reach the ServerApp's output, which Flower
    streams to `flwr run --stream`. Under the deployment engine the ServerApp's process has no
    logging handler, and Python's last resort prints WARNING and above only: a run showed its
    dropped replies and never a round. Where a handler exists (simulation), only the level is set."""
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)


@app.main()
def main(grid: Grid, context: Context) -> None:
    show_round_lines()
    cfg = FederationConfig.from_run_config(context.run_config)
    state = run_federation(grid, cfg)
    log.info("federation finished at round %d, state hash %s", state.round, state.state_hash())


def identify(grid: Grid, node_ids: list[int], timeout: float) -> dict[int, tuple[str, str]]:
    """Ask each of `node_ids` who it is (a QUERY; clients/app.py `query`); node id -> (device, tier)
    of those that said so within `timeout`. The others are logged and left for the next ask."""
    from server.exchange import Exchange

    if not node_ids:
        return {}
    queries = [Message(content=RecordDict({"config": ConfigRecord({})}), message_type=MessageType.QUERY,
                       dst_node_id=nid) for nid in node_ids]
    exchange = Exchange(grid, queries, timeout)  # replies as they come; the SuperLink's "unavailable" too
    asked = set(node_ids)
    out: dict[int, tuple[str, str]] = {}
    for reply in exchange:
        nid = reply.metadata.src_node_id
        if nid not in asked:
            continue
        if reply.has_error():
            log.warning("node %s failed to identify itself and is left out: %s", nid, reply.error.reason)
            continue
        try:
            ident = reply.content["identity"]
            out[nid] = (str(ident["device"]), str(ident["tier"]))
        except KeyError as exc:
            log.warning("node %s failed to identify itself and is left out: its reply has no %s", nid, exc)
    for nid in node_ids:
        if nid in exchange.unavailable:
            log.warning("node %s failed to identify itself and is left out: %s", nid, exchange.unavailable[nid])
        elif nid not in exchange.replied:
            log.warning("node %s failed to identify itself and is left out: no reply within %g s", nid, timeout)
    return out


def fleet_roster(cfg: FederationConfig):
    """An empty `NodeRoster` for the configured fleet (device names, tiers, each tier's family and rank)."""
    from inference.zoo import Zoo
    from server.roster import NodeRoster

    zoo = Zoo(cfg.zoo or None)
    fleet = {cfg.device_name(i): tier for i, tier in enumerate(cfg.fleet_tiers)}
    kinds = {tier: (zoo.model_name(cfg.profile(tier).model), cfg.profile(tier).lora_rank)
             for tier in sorted(set(cfg.fleet_tiers))}
    return NodeRoster(fleet, kinds)


def discover(grid: Grid, cfg: FederationConfig, wait_s: float = 300.0, roster=None):
    """Wait until the whole fleet's count of nodes is connected, then ask each who it is; returns
    node id -> NodeInfo (the roster's `nodes`, which `refresh` keeps up to date afterwards).

    Raises:
        ServerError: fewer nodes than the fleet within `wait_s`, none identified, or two nodes
            answering for one device.
    """
    roster = fleet_roster(cfg) if roster is None else roster
    expected = len(cfg.fleet_tiers)
    deadline = time.monotonic() + wait_s
    while len(node_ids := list(grid.get_node_ids())) < expected:
        if time.monotonic() > deadline:
            raise ServerError(f"only {len(node_ids)} of {expected} nodes connected within {wait_s:.0f} s")
        time.sleep(0.5)
    refresh(grid, cfg, roster, node_ids, discovery=True)
    if not roster.nodes:
        raise ServerError("no node of the fleet identified itself: check the ClientApp logs, and that each "
                          "SuperNode's --node-config names a device of fleet-tiers")
    if len(roster.nodes) < expected:  # a late node joins at a later round (a silent id after its back-off)
        log.info("%d of %d devices identified; the others join when their SuperNodes answer", len(roster.nodes),
                 expected)
    return roster.nodes


def refresh(grid: Grid, cfg: FederationConfig, roster, listed: list[int] | None = None,
            discovery: bool = False) -> dict:
    """Bring `roster` up to the SuperLink's list (`listed`, else asked now) before a round: ids it
    never saw are asked who they are (only those: a steady fleet costs one list), a device under a
    new id replaces its old one, ids no longer listed leave. Returns the changes by device
    (`NodeRoster.update`; `discovery`: the run's first look, see there)."""
    listed = list(grid.get_node_ids()) if listed is None else listed
    asked = roster.unknown(listed)
    return roster.update(listed, identify(grid, asked, min(cfg.timeout, 120.0)), discovery=discovery, asked=asked)


def build_federation(cfg: FederationConfig, saved=LOAD):
    """(Federation, families) from the config: zoo models, calibrated thresholds, keys. `saved`:
    the state folder's state (None: a fresh folder) when the caller read it already; LOAD: read it."""
    from cache_sync.correction_cache import CacheHeader
    from inference.lora import b_shapes
    from inference.runtime import load_head
    from inference.zoo import Zoo, load_causal_lm
    from server.federation import Family, Federation

    zoo = Zoo(cfg.zoo or None)
    header = CacheHeader(zoo.tokenizer_hash, int(zoo.manifest["vocab_size"]), cfg.n_min, cfg.n_max)
    families, thresholds = {}, {}
    for tier in sorted(set(cfg.fleet_tiers)):
        profile = cfg.profile(tier)
        name = zoo.model_name(profile.model)
        ranks = [cfg.profile(t).lora_rank for t in cfg.fleet_tiers if zoo.model_name(cfg.profile(t).model) == name]
        if name not in families:
            base, _ = load_causal_lm(name, zoo)
            families[name] = Family(name, max(ranks), b_shapes(base, max(ranks), cfg.lora_seed))
        if cfg.threshold >= 0:
            thresholds[tier] = cfg.threshold
        elif profile.reward_threshold is not None:
            thresholds[tier] = profile.reward_threshold
        else:
            from inference.errors import NoRewardHead

            try:
                _, meta = load_head(zoo.path(name), zoo.model_name("cloud"))
            except NoRewardHead as exc:  # the run's own zoo: the command for it, with its --zoo
                zoo_flag = f" --zoo {cfg.zoo}" if cfg.zoo else ""
                raise ServerError(f"the {tier} tier's model {name} has no reward head for the zoo's cloud: run "
                                  f"`fedhybrid{zoo_flag} calibrate --device {name} --cloud cloud "
                                  "--target-cloud-share 0.1`, or set `threshold` (--set threshold=0.5)") from exc
            if "target" not in meta:
                raise ServerError(f"the reward head of {name} has no calibrated tau: run `fedhybrid calibrate "
                                  f"--device {name} --target-cloud-share X` or set `threshold`")
            thresholds[tier] = float(meta["target"]["tau"])
    channel = None
    if not cfg.secure and cfg.release_k > 1:  # said once per run: the k rule then trusts every node
        log.warning("secure=false: uploads are neither signed nor sealed, so a device's name is its node's own "
                    "claim and one node can report under several names; release-k=%d then counts claimed "
                    "devices, not real ones (run with keys, secure=true, where the fleet is not all yours)",
                    cfg.release_k)
    if cfg.secure:
        from cache_sync.channel import ServerChannel
        from cache_sync.keys import check_server_keys, init_keys

        devices = [cfg.device_name(i) for i in range(len(cfg.fleet_tiers))]
        if cfg.key_dir:  # the operator's keys: never create or replace any (a device holds its own .pem)
            check_server_keys(cfg.key_path, devices)
        else:  # the run's own folder (<state-dir>/keys): made on first use
            init_keys(cfg.key_path, devices)
        channel = ServerChannel(cfg.key_path)
    return Federation(cfg, header, families, thresholds, channel, saved), families


def run_federation(grid: Grid, cfg: FederationConfig,
                   on_round: Callable[[int, dict], None] | None = None, saved=LOAD):
    """Run (or resume) the federation on `grid`; returns the final ServerState. `saved`: the
    state folder's state if the caller read it already (`build_federation`)."""
    from server.exchange import Exchange
    from server.faults import crash_point
    from server.federation import participants
    from server.secure_round import SecureRound
    from strategies.federated_lora import FederatedLoRA, join_families, split_families
    from strategies.lora_math import RobustConfig
    from strategies.secagg import SecAggConfig

    fed, families = build_federation(cfg, saved)
    try:  # the ingest workers (if any) stop with the run, however it ends
        fed.start_workers()
        heads = None
        if cfg.federated_head:  # one reward head per family, averaged each round (server/head_round.py)
            from inference.zoo import Zoo
            from server.head_round import build_head_round

            heads = build_head_round(cfg, Zoo(cfg.zoo or None), fed.state, fed.thresholds)
        roster = fleet_roster(cfg)
        nodes = discover(grid, cfg, roster=roster)
        first_round = fed.state.round + 1

        def payload(node, rnd: int) -> ConfigRecord:
            extra = heads.payload(node.tier, rnd) if heads is not None else {}
            return ConfigRecord({**fed.payload(node.device, node.tier, rnd), **extra})

        strategy = FederatedLoRA(
            nodes, {f.name: f.r_max for f in families.values()}, {f.name: f.shapes for f in families.values()},
            payload=payload,
            robust=RobustConfig(enabled=cfg.robust, method=cfg.robust_method, trim=cfg.trim),
            aggregation=cfg.aggregation)
        strategy.secure = cfg.secure_aggregation
        arrays = join_families(fed.state.adapters)
        if fed.state.round:
            log.info("resuming after round %d from %s", fed.state.round, cfg.state_path)
        last_start = None
        for rnd in range(fed.state.round + 1, cfg.num_rounds + 1):
            if last_start is not None and cfg.round_interval > 0:
                wait = cfg.round_interval - (time.monotonic() - last_start)
                if wait > 0:
                    log.info("next round in %.0f s (round-interval %.0f s)", wait, cfg.round_interval)
                    time.sleep(wait)
            last_start = time.monotonic()
            started = time.perf_counter()
            # each phase of the server's round, timed: what grows with the fleet (`bench fed --nodes`)
            clock = _PhaseClock()
            if rnd > first_round:  # discovery just did this for the first round
                # SuperNodes restart under new ids and connect late: the ids are the SuperLink's now
                changes = refresh(grid, cfg, roster)
                if changes:
                    fed.note_round(membership=changes)
                clock.lap("refresh")
            nodes = roster.nodes
            strategy.nodes = nodes  # the strategy addresses and accepts by this round's ids
            if not nodes:
                log.warning("round %d: no node of the fleet is connected: the round asks nobody", rnd)
            asked = participants(sorted(nodes), {n: info.device for n, info in nodes.items()}, cfg.fraction_train,
                                 cfg.min_replies, cfg.seed, rnd)
            secure = None
            if cfg.secure_aggregation:  # SecAgg+ steps 1-2: keys, then encrypted shares
                secure = SecureRound(SecAggConfig(cfg.secagg_threshold, cfg.secagg_degree), nodes, asked,
                                     {f.name: f.shapes for f in families.values()}, cfg.seed, rnd, cfg.timeout)
                asked_train = secure.setup(grid)
                clock.lap("secagg_setup")
            strategy.participants = set(asked_train if secure else asked)
            messages = list(strategy.configure_train(rnd, arrays, ConfigRecord({}), grid))
            if secure is not None:
                secure.attach(messages)
                strategy.masked_sink = secure.add_masked  # each masked update into the running sum
            clock.lap("configure")  # per node: its adapter, its tier's signed cache diff
            # Replies stream in: each is checked and its deltas opened and merged while others are
            # still on the way, and dropped once merged (server/exchange.py): the server never
            # holds the fleet's deltas at once. The streamed section is split into waiting for
            # replies (exchange), checking them (aggregate) and merging (ingest) by measurement.
            exchange = Exchange(grid, messages, cfg.timeout)
            del messages
            accept_s = [0.0]
            fed.ingest(rnd, _timed(strategy.stream_train(rnd, exchange), accept_s, exchange))
            streamed = clock.lap("ingest")  # exchange + checks + merges, split below
            crash_point("ingest", rnd)
            aggregated, _ = strategy.finish_train(rnd)
            answered = {n for n in strategy.participants if n in exchange.replied}
            for n in sorted(strategy.participants - answered):  # gone, late (past `timeout`) or lost
                if n in exchange.unavailable:  # the SuperLink said so: no waiting for the deadline
                    reason = (f"its SuperNode is unavailable ({exchange.unavailable[n]}): its corrections "
                              "come with its next reply (merged once)")
                    log.warning("round %d: %s is unavailable: %s", rnd, nodes[n].device, exchange.unavailable[n])
                else:
                    reason = (f"no reply within timeout={cfg.timeout:g} s: its corrections "
                              "come with its next reply (merged once)")
                    log.warning("round %d: no reply from %s within %g s", rnd, nodes[n].device, cfg.timeout)
                strategy.dropped.append((nodes[n].device, reason))
            if secure is not None:  # SecAgg+ steps 3-4: unmask, read each family's sum
                sums = secure.finish(grid)
                aggregated = strategy.apply_secure_sums(sums, secure.excluded())
                clock.lap("secagg_unmask")
            if len(strategy.accepted) >= cfg.min_replies:
                arrays = aggregated
                fed.state.adapters = split_families(arrays)
            else:  # too few to average safely: keep the adapters, still merge the deltas that came
                log.warning("round %d: %d accepted replies, fewer than min-replies=%d: the adapters stay as they "
                            "were", rnd, len(strategy.accepted), cfg.min_replies)
            if heads is not None:  # average the reward heads per family, recalibrate each tier's threshold
                fed.note_round(heads=heads.finish(rnd, strategy.accepted))
            clock.lap("aggregate")  # robust adapter aggregation (checking each reply is in the streamed part)
            phases = clock.phases
            phases["exchange_s"] = exchange.seconds  # transport and the nodes' own work
            phases["aggregate_s"] += accept_s[0]  # validate each reply
            phases["ingest_s"] = max(0.0, streamed - exchange.seconds - accept_s[0])  # open, verify, merge deltas
            released = fed.release(rnd)
            clock.lap("release")  # release rule, per-tier views
            per_node = {a.node.device: {"tier": a.node.tier, **{k: float(v) for k, v in a.metrics.items()}}
                        for a in strategy.accepted}
            path = fed.finish_round(rnd, per_node, strategy.dropped, time.perf_counter() - started, clock.phases,
                                    len(asked))
            clock.lap("save")
            record = fed.state.history[-1]
            # measured after the file was written: in memory now, on disk from the next round's file
            record["phases"]["save_s"] = clock.phases["save_s"]
            record["state_bytes"] = path.stat().st_size
            record["rss_mb"] = dict(clock.rss_mb)  # resident memory after each phase
            if secure is not None:  # the key, share and unmask steps' own bytes (the train step's are in metrics)
                record["secagg"] = {"bytes_down": secure.bytes["down"], "bytes_up": secure.bytes["up"],
                                    "dropped": secure.dropped(), "degree": {f: s.k for f, s in secure.sessions.items()}}
            log.info("round %d/%d: %d replies, %d dropped, %d released, %d withheld, %d forgotten (%.1f s)%s", rnd,
                     cfg.num_rounds, len(strategy.accepted), len(strategy.dropped), released["released"],
                     released["withheld"], released["forgotten"], time.perf_counter() - started,
                     "; adapters summed under secure aggregation" if secure is not None else "")
            crash_point("saved", rnd)
            if on_round is not None:
                on_round(rnd, fed.state.history[-1])
            check_memory(cfg, rnd, clock.rss_mb)
        write_adapters(cfg, fed.state, families)
        return fed.state
    finally:
        fed.close()


class _PhaseClock:
    """Seconds per named phase, lap by lap, and the resident memory after each."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self.rss_mb: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> float:
        now = time.perf_counter()
        self.phases[f"{name}_s"] = now - self._last
        self.rss_mb[name] = rss_mb()
        self._last = now
        return self.phases[f"{name}_s"]


def check_memory(cfg: FederationConfig, rnd: int, rss: dict[str, float]) -> None:
    """Stop the run (the round is saved) when a phase left the server above memory-cap-mb."""
    if cfg.memory_cap_mb <= 0 or not rss:
        return
    phase, peak = max(rss.items(), key=lambda item: item[1])
    if peak > cfg.memory_cap_mb:
        raise ServerError(f"round {rnd}: the server held {peak:.0f} MB after its {phase} phase, above "
                          f"memory-cap-mb={cfg.memory_cap_mb:g} (round {rnd} is saved; the run resumes from it): "
                          "raise the cap, or ask fewer devices per round (fraction-train)")


def _timed(accepted, seconds: list[float], exchange):
    """Yield from the strategy's accepted replies, adding the time spent checking them (the
    generator's own time, less the time it waited on the exchange) to seconds[0]."""
    iterator = iter(accepted)
    while True:
        started, waited = time.perf_counter(), exchange.seconds
        try:
            item = next(iterator)
        except StopIteration:
            seconds[0] += time.perf_counter() - started - (exchange.seconds - waited)
            return
        seconds[0] += time.perf_counter() - started - (exchange.seconds - waited)
        yield item


def write_adapters(cfg: FederationConfig, state, families) -> None:
    """Each family's global adapter as a PEFT folder (PeftModel.from_pretrained loads it).

    peft writes several files, so each folder is written under a hidden temporary name and
    renamed into place (`cache_sync.durable.replace_folder`): a crash never leaves a
    half-written adapter folder.
    """
    import shutil

    from cache_sync.durable import replace_folder, temp_sibling
    from inference.lora import LoraSpec, attach
    from inference.zoo import Zoo, load_causal_lm

    zoo = Zoo(cfg.zoo or None)
    folder = cfg.state_path / "server" / "adapters"
    folder.mkdir(parents=True, exist_ok=True)
    for family in families.values():
        dest = folder / family.name
        for stale in [*folder.glob(f".{family.name}.tmp-*"), *folder.glob(f".{family.name}.old-*")]:
            shutil.rmtree(stale, ignore_errors=True)  # left by a crashed write; the server is the only writer
        base, _ = load_causal_lm(family.name, zoo)
        model = attach(base, LoraSpec(family.r_max, family.r_max, cfg.lora_seed), state.adapters[family.name])
        tmp = temp_sibling(dest)
        model.save_pretrained(str(tmp))
        replace_folder(tmp, dest)
