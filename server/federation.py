"""The server's per-round work, without Flower: payloads out, deltas in, releases, state.

`Federation` owns the persisted `ServerState`. The ServerApp (server/app.py) calls, per
round: `payload()` for every node, then `ingest()` with the accepted replies, `release()`
and `finish_round()`, which saves everything atomically.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cache_sync.correction_cache import CacheHeader
from cache_sync.versioned import CacheUpdate, VersionedView
from fleet.config import INTRODUCED_AS, WORKLOAD_DIGEST, FederationConfig
from inference.tier_profile import TIERS
from server import round_log
from server.errors import ServerError
from server.ingest import IngestPool, OpenSpec, RoundIngest
from server.release import ReleasePolicy, release, tier_view
from server.state import ServerState, config_digest
from workloads.files import content_digest

log = logging.getLogger("fedhybrid.server")
TIER_BELOW = dict(itertools.pairwise(TIERS))  # the tier whose updates a hub relays (client -> edge -> iot)


@dataclass(frozen=True)
class Family:
    name: str  # the zoo model the family's tiers share
    r_max: int
    shapes: dict[str, tuple[int, int]]  # B key -> (d_out, r_max)


def device_seed(seed: int, round_: int, device: str) -> int:
    digest = hashlib.sha256(f"{seed}/{round_}/{device}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def participants(node_ids: list[int], devices: dict[int, str], fraction: float, minimum: int, seed: int,
                 round_: int) -> list[int]:
    """The nodes asked in this round: ceil(fraction x fleet), at least `minimum` (capped at the
    fleet), drawn without replacement by a hash of (seed, round, device) so that a resumed
    round asks the same devices whatever node ids this run assigned."""
    if fraction >= 1.0:
        return list(node_ids)
    want = min(len(node_ids), max(minimum, -(-len(node_ids) * fraction // 1)))
    ranked = sorted(node_ids, key=lambda n: hashlib.sha256(f"{seed}/{round_}/{devices[n]}".encode()).digest())
    return sorted(ranked[: int(want)])


def _digest_hint(cfg: FederationConfig, stored: str, now: str) -> str:
    """What a state without kept values differs in, as far as its digest tells: the options
    added since it was made, when their first values give its digest; else only the digests."""
    newer = {name: value for name, value in INTRODUCED_AS.items() if getattr(cfg, name) != value}
    if newer and config_digest(dataclasses.replace(cfg, **newer).digest_values()) == stored:
        named = ", ".join(f"{n.replace('_', '-')}: state {v!r}, now {getattr(cfg, n)!r}" for n, v in newer.items())
        sets = " ".join(f"--set {n.replace('_', '-')}={str(v).lower() if isinstance(v, bool) else v}"
                        for n, v in newer.items())
        return f"({named}; it was made before those options existed): resume with {sets}, or use another --state-dir"
    return f"({stored} != {now}): use another --state-dir or the same config"


def check_resume(cfg: FederationConfig, state: ServerState, workload: str | None) -> None:
    """Refuse to resume `state` under `cfg`: options that differ from those the state kept (each
    named with both values), a workload file whose content (sha256 `workload`) changed, or, for
    a state from before the values were kept, a configuration digest that differs.

    Raises:
        ServerError: naming what differs and what to do.
    """
    if state.config is not None:
        # every value was kept: a default that changed since is caught, and the message names it
        changed = cfg.resume_differences(state.config)
        kept = state.config.get(WORKLOAD_DIGEST)
        if kept and workload and kept != workload:
            changed.append(f"workload-file {cfg.workload_file}: its content changed since the state was made "
                           f"(sha256 {kept[:12]}, now {workload[:12]})")
        if changed:
            raise ServerError(f"the state in {cfg.state_path} was written under another configuration "
                              f"({'; '.join(changed)}): set those options back, or use another --state-dir")
        return
    digest = config_digest(cfg.digest_values())
    if state.config_digest != digest:
        raise ServerError(f"the state in {cfg.state_path} was written under another configuration "
                          f"{_digest_hint(cfg, state.config_digest, digest)}")


LOAD = object()  # Federation(saved=LOAD): read the state folder (`saved` is a state already read)


class Federation:
    def __init__(self, cfg: FederationConfig, header: CacheHeader, families: dict[str, Family],
                 thresholds: dict[str, float], channel=None, saved=LOAD):
        self.cfg, self.header, self.families = cfg, header, families
        self.thresholds, self.channel = thresholds, channel
        if cfg.relay and channel is None:
            raise ServerError("relay=true needs a signing channel: the devices below verify what a hub relays "
                              "with the server's key")
        self.policy = ReleasePolicy(cfg.release_k, cfg.per_device_cap, cfg.dp_epsilon or None, cfg.seed)
        digest = config_digest(cfg.digest_values())
        # `fed run` read it for its pre-flight: read again, a large state cost twice and its damaged
        # files were warned about twice
        state = ServerState.load_latest(cfg.state_path) if saved is LOAD else saved
        workload = content_digest(cfg.workload_file) if cfg.workload_file else None
        if state is None:
            state = ServerState(header, digest, config=cfg.resume_values())
            state.adapters = {f.name: {k: np.zeros(shape, dtype=np.float32) for k, shape in f.shapes.items()}
                              for f in families.values()}
        else:
            check_resume(cfg, state, workload)
            if state.config is None:  # a state from before the values were kept: keep them from now on
                state.config = cfg.resume_values()
        if workload:  # kept from now on (a state made before it was kept, too)
            state.config[WORKLOAD_DIGEST] = workload
        for tier in sorted(set(cfg.fleet_tiers)):
            state.views.setdefault(tier, VersionedView(header))
        self.state = state
        if channel is not None:
            channel.high_water.update({k: tuple(v) for k, v in state.high_water.items()})
        self._round: dict = {}
        self._pool: IngestPool | None = None
        self._open_spec = OpenSpec(header, cfg.per_device_cap, run=0) if channel is None else OpenSpec(
            header, cfg.per_device_cap, str(channel.folder), channel.run, channel.grace_s, channel.max_age_s)

    # -- out ---------------------------------------------------------------------------------------
    def payload(self, device: str, tier: str, round_: int) -> dict:
        """What one node receives besides its adapter: its tier's cache diff and settings, and
        with `relay` the signed updates of the tier below it, for its agent to hand down."""
        since = self.state.node_versions.get(device, {}).get(tier, 0)
        # devices of a tier at the same version get the same signed diff: built once per round
        # (a fleet in sync shares a handful of versions, so this is not one diff per device)
        memo = self._round.setdefault("updates", {})
        if (tier, since) not in memo:
            memo[(tier, since)] = self._signed(self.state.views[tier].diff(since, tier), round_)
        update = memo[(tier, since)]
        out = {"cache-update": update, "threshold": self.thresholds[tier],
               "seed": device_seed(self.cfg.seed, round_, device), "acked-seqs": self.acked(device)}
        below = TIER_BELOW.get(tier)
        if self.cfg.relay and below in self.state.views:
            # the same for every hub of a tier: the step diff and the whole view, signed once per round
            if ("relay", below) not in memo:
                memo[("relay", below)] = [self._signed(u, round_) for u in self.state.views[below].relayed(below)]
            if memo[("relay", below)]:
                out["relay-updates"] = memo[("relay", below)]
        self._round.setdefault("bytes_down", {})[device] = len(update) + sum(map(len, out.get("relay-updates", [])))
        return out

    def _signed(self, update: CacheUpdate, round_: int) -> bytes:
        payload = update.to_bytes()
        return payload if self.channel is None else self.channel.sign_update(payload, round_, update.version)

    def acked(self, device: str, keep: int = 64) -> list[int]:
        """The device's most recent delta seqs the merged table holds: a device agent marks its
        uploads done only when they show up here (at-least-once upload, exactly-once merge)."""
        return self.state.aggregate.ledger.latest(device, keep)

    # -- in ----------------------------------------------------------------------------------------
    def ingest(self, round_: int, accepted: list) -> dict:
        """Open, verify, de-duplicate and merge the accepted replies' deltas.

        A reply carries a list of sealed deltas (`deltas`): a device agent re-sends the ones it
        has not seen confirmed. Each is merged at most once: the aggregate's ledger of (device,
        seq) turns a re-sent delta into a no-op. The replies are opened in chunks as they arrive
        (server/ingest.py), in this process or, with `ingest-workers`, across worker processes;
        the chunks are merged with each other like a binary counter and the round's sum into the
        global table once: merging every chunk into the global table made ingest grow as
        (nodes / chunk) x table size, one sort per delta as nodes x table size.
        """
        run = RoundIngest(self._open_spec, self.channel.opener if self.channel is not None else None, round_,
                          self.state.aggregate.ledger, self.channel.high_water if self.channel is not None else {},
                          self._ingest_pool())
        rejected = []
        for item in accepted:
            device, tier = item.node.device, item.node.tier
            raw = item.config.get("deltas", [])
            if not isinstance(raw, list):
                rejected.append((device, "deltas is not a list"))
                continue
            run.add(device, raw)
            self.state.node_versions.setdefault(device, {})[tier] = int(item.config.get("cache-version", 0))
        total = run.finish()
        if total is not None:
            self.state.aggregate = self.state.aggregate.merge(total)
            self.state.unsaved.append(total)  # a segment stores the round's merge, not the global table
        rejected += run.rejected
        for device, reason in rejected:  # one upload of the device's (its others may have merged)
            log.warning("round %d: an upload of %s was not merged: %s", round_, device, reason)
        # deferred: valid deltas over the device's contribution cap this round, merged in a later one
        self._round["ingest"] = {"merged": run.merged, "duplicates": run.duplicates, "deferred": run.deferred,
                                 "rejected": rejected}
        if self._pool is not None:  # the workers' memory is theirs: the server's RSS checks do not see it
            self._round["ingest"]["workers_rss_mb"] = run.worker_rss_mb
        return self._round["ingest"]

    def _ingest_pool(self) -> IngestPool | None:
        """The worker processes that open deltas (`ingest-workers`), started once (at the start of
        the run by `run_federation`, else at the first round)."""
        if self.cfg.ingest_workers and self._pool is None:
            self._pool = IngestPool(self._open_spec, self.cfg.ingest_workers)
        return self._pool

    def start_workers(self) -> None:
        """Start the ingest workers now (if `ingest-workers` asks for any): a pool that cannot
        start fails before the first round, with nothing sent to the devices."""
        self._ingest_pool()

    def close(self) -> None:
        """Stop the ingest workers (if any were started)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def release(self, round_: int) -> dict:
        started = time.perf_counter()
        forgotten = self._forget(round_)
        rel = release(self.state.aggregate.table, self.policy, round_)
        versions = {}
        for tier, view in self.state.views.items():
            profile = self.cfg.profile(tier)
            versions[tier] = view.publish(tier_view(rel.released, profile.cache_budget,
                                                    profile.ngram_orders[1], round_))
        info = {"released": len(rel.released), "withheld": rel.withheld, "epsilon": rel.epsilon,
                "global_entries": len(self.state.aggregate.table), "forgotten": forgotten, "versions": versions,
                "release_s": time.perf_counter() - started}
        self._round["release"] = info
        return info

    def _forget(self, round_: int) -> int:
        """Drop the entries the release rule cannot hand out (support < k) that no device
        reported in the last `forget-after` rounds; returns how many. The ledger keeps their
        deltas, so a re-sent upload of a forgotten delta stays a duplicate, and the next save
        records the rule so that a resume from segments forgets the same entries."""
        if not self.cfg.forget_after:
            return 0
        rule = [self.cfg.release_k, round_ - self.cfg.forget_after + 1]
        before = self.state.aggregate
        self.state.aggregate = before.forget(*rule)
        if self.state.aggregate is before:
            return 0
        self.state.unsaved_forget = rule
        return len(before.table) - len(self.state.aggregate.table)

    def note_round(self, **fields) -> None:
        """Add fields to this round's history record (saved with the round)."""
        self._round.setdefault("extra", {}).update(fields)

    def finish_round(self, round_: int, per_node: dict[str, dict], dropped: list, seconds: float,
                     phases: dict[str, float] | None = None, asked: int | None = None) -> Path:
        self.state.round = round_
        if self.channel is not None:
            self.state.high_water = {k: list(v) for k, v in self.channel.high_water.items()}
        record = {
            "round": round_, "nodes": per_node, "dropped": [list(d) for d in dropped],
            "ingest": self._round.get("ingest", {}), "release": self._round.get("release", {}),
            "bytes_down": self._round.get("bytes_down", {}), "seconds": seconds, "phases": dict(phases or {}),
            "asked": len(per_node) + len(dropped) if asked is None else asked, **self._round.get("extra", {})}
        self.state.history.append(record)
        self._round = {}
        # the per-device parts go to their own file; the state keeps them for the newest rounds only
        round_log.write_details(self.cfg.state_path, record)
        self.state.amend_history_from(round_log.compact(self.state.history, self.cfg.state_path))
        pruned = round_log.prune(self.state.history, self.cfg.keep_round_details)
        self.state.amend_history_from(pruned)
        path = self.state.save(self.cfg.state_path)
        if self.cfg.keep_round_details:  # only once no saved state needs them
            round_log.delete_pruned(self.state.history, self.cfg.state_path)
        return path
