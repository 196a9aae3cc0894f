"""One device of the fleet across federated rounds, without Flower.

Per round: restore the state saved at the end of the previous round, apply the global
adapter (B for this node's rank) and the cache update, serve this round's queries with
the hybrid decoder (reward policy, correction cache), fine-tune B on the served outputs
(which carry the cloud's corrections), and report the adapter, metrics and the
correction delta. State is saved per round, so a round re-run after a crash starts from
exactly the same state.

State files are checksummed and written durably (`cache_sync.durable`). A damaged one
does not take the device out of the run: the device re-joins from the server's view, as
a device that lost its state does: empty tables at cache version 0, which it reports, so
the server's next diff is a full snapshot. The round's `state-rejoined` metric is 1.0 then.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import msgpack
import numpy as np
import torch

from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.durable import DamagedFile, ensure_dir, read_checked, write_checked, write_durable
from cache_sync.errors import DECODE_ERRORS, CacheError
from cache_sync.merge import Delta
from cache_sync.versioned import CacheUpdate
from fleet.errors import FleetError
from inference.chat import chat_prompt_ids
from inference.decoder import HybridDecoder
from inference.device_cache import DeviceCache
from inference.errors import InferenceError
from inference.generation import DecodeConfig, Provenance
from inference.lora import LoraSpec, attach, b_matrices, merged, train_b
from inference.privacy import PrivacyPolicy
from inference.reward_head import head_from_arrays
from inference.reward_labels import LabelCollector, LabelConfig, tune_on_labels
from inference.router import RewardPolicy
from inference.tier_profile import TierProfile
from inference.tokenizer import encode_prompt, number_token_ids, stop_token_ids
from workloads import wordmath
from workloads.fleet import FileFleetWorkload, FleetWorkload, Query
from workloads.graders import Grader

log = logging.getLogger("fedhybrid.device")
_STATE_FILE = re.compile(r"round-(\d{1,9})\.msgpack")


@dataclass(frozen=True)
class NodeConfig:
    """Built once by the ClientApp from node_config and run_config."""

    device: str  # stable name, e.g. "edge-3": keys all state
    partition: int  # this device's index in the fleet workload
    profile: TierProfile
    state_dir: Path
    r_max: int
    lora_seed: int
    local_steps: int = 4
    lr: float = 3e-3
    max_new_tokens: int = 128
    head_epochs: int = 4  # the federated reward head's local fine-tuning (federated-head=true)
    head_lr: float = 1e-3
    # with an escalation chain: a question answered before goes to the cloud only (FederationConfig)
    recurring_to_cloud: bool = True
    settle_recurring: bool = True  # a question answered before: the cloud scores its unchecked tokens

    def __post_init__(self) -> None:
        if not self.device or any(c in self.device for c in "/\\") or self.device.startswith("."):
            raise FleetError(f"device name {self.device!r} must be a plain name (it names a state folder)")
        if self.partition < 0 or self.local_steps < 0 or self.lr <= 0:
            raise FleetError("partition and local_steps must be >= 0 and lr > 0")


@dataclass(frozen=True)
class RoundInput:
    round: int
    adapter: dict[str, np.ndarray]  # B matrices truncated to this node's rank
    cache_update: bytes | None  # a CacheUpdate (None: none arrived that verified)
    threshold: float  # tau of the reward policy
    seed: int
    head: dict[str, np.ndarray] | None = None  # the family's global reward head (None: the zoo's, not trained)
    explore: float = 0.0  # share of requests spot-checked for reward labels


@dataclass
class RoundOutput:
    adapter: dict[str, np.ndarray]
    delta: bytes  # Delta of this round (seq = round)
    cache_version: int
    metrics: dict[str, float] = field(default_factory=dict)
    head: dict[str, np.ndarray] | None = None  # the fine-tuned reward head (with inp.head)
    route_hist: list[float] | None = None  # its scores of the round's routed tokens (reward_labels.HIST_EDGES)


class DamagedState(FleetError):
    """A device's saved state file that is truncated, fails its checksum or cannot be decoded."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"device state {path} {problem}: the device re-joins with an empty state at cache "
                         "version 0 (the server then sends a full cache snapshot)")
        self.path, self.problem = path, problem


class DeviceState:
    """What a device keeps between rounds (one checksummed file per round, durably written)."""

    def __init__(self, header: CacheHeader, released: CountTable | None = None, local: CountTable | None = None,
                 version: int = 0, asked: set[int] | None = None, agreed: set[int] | None = None):
        self.header = header
        self.released = released or CountTable(header)
        self.local = local or CountTable(header)
        self.version = version
        self.asked = asked if asked is not None else set()  # prompt anchors of the questions answered
        self.agreed = agreed if agreed is not None else set()  # answers a settle found the cloud's own

    def save(self, folder: Path, round_: int) -> None:
        ensure_dir(folder)
        data = msgpack.packb({"version": self.version, "released": self.released.to_bytes(),
                              "local": self.local.to_bytes(), "asked": sorted(self.asked),
                              "agreed": sorted(self.agreed)}, use_bin_type=True)
        write_checked(folder / f"round-{round_}.msgpack", data)
        for old in folder.glob("round-*.msgpack"):  # keep the last three rounds, as the server does,
            n = int(old.stem.split("-")[1])  # so a server that falls back to an older round finds ours
            if n < round_ - 2:
                old.unlink(missing_ok=True)

    @staticmethod
    def newest_before(folder: Path, round_: int) -> int:
        """The newest round < `round_` with a state file in `folder` (0: none)."""
        rounds = [int(m.group(1)) for p in folder.glob("round-*.msgpack")
                  if (m := _STATE_FILE.fullmatch(p.name))] if folder.is_dir() else []
        return max((n for n in rounds if n < round_), default=0)

    @staticmethod
    def load(folder: Path, round_: int, header: CacheHeader) -> DeviceState:
        """The state as of the end of `round_` (empty when there is none).

        Raises `DamagedState` for a file that is damaged; a sound file of another cache header
        (tokenizer, orders) is a `CacheError`, as a configuration error and not damage.
        """
        path = folder / f"round-{round_}.msgpack"
        if round_ <= 0 or not path.is_file():
            return DeviceState(header)
        try:
            raw = msgpack.unpackb(read_checked(path), raw=False)
            released, local, version = raw["released"], raw["local"], int(raw["version"])
            asked = raw.get("asked", [])  # (absent from states of before 2026-12-04)
            agreed = raw.get("agreed", [])  # (absent from states of before 2026-12-05)
            for name, ids in (("asked", asked), ("agreed", agreed)):
                if not isinstance(ids, list) or not all(type(a) is int for a in ids):
                    raise TypeError(f"{name!r} is not a list of integer ids")
            # decoded without the header check first: a table that does not decode is damage
            tables = [CountTable.from_bytes(released), CountTable.from_bytes(local)]
        except DamagedFile as exc:
            raise DamagedState(path, exc.problem) from exc
        except (CacheError, *DECODE_ERRORS) as exc:  # checksummed, yet not ours
            raise DamagedState(path, f"does not hold a device state ({type(exc).__name__}: {exc})") from exc
        for table in tables:  # sound, of another tokenizer or orders: configuration, not damage
            header.check_compatible(table.header)
        return DeviceState(header, *tables, version, set(asked), set(agreed))


SERVED_FIELDS = ("key", "correct", "tokens", "cloud", "cache", "hubs", "computed", "hub_computed")


def write_served(folder: Path, round_: int, served: list[dict]) -> None:
    """The round's per-query outcomes (`served-<round>.jsonl`, on the device only, ~100 bytes a
    query, every round kept): what the demo's confidence intervals resample. Written atomically."""
    import json

    lines = "".join(json.dumps({k: s[k] for k in SERVED_FIELDS}) + "\n" for s in served)
    write_durable(folder / f"served-{round_}.jsonl", lines.encode())


def read_served(folder: Path, round_: int) -> list[dict]:
    """The per-query outcomes a device wrote for `round_` (empty when it wrote none)."""
    import json

    path = folder / f"served-{round_}.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class DeviceNode:
    """Runs rounds for one device. Models are passed in (loaded once per process)."""

    def __init__(self, cfg: NodeConfig, base_model, tokenizer, cloud, head, header: CacheHeader,
                 workload: FleetWorkload | FileFleetWorkload, chain_for_round=None):
        """`chain_for_round(round) -> EscalationChain` (fleet.hierarchy): the tiers above are
        asked before `cloud`; None: the device escalates straight to `cloud`."""
        self.cfg, self.base, self.tokenizer = cfg, base_model, tokenizer
        self.cloud, self.head, self.header, self.workload = cloud, head, header, workload
        self.chain_for_round = chain_for_round
        self.stop_ids = stop_token_ids(tokenizer, wordmath.STOP)
        self.number_tokens = number_token_ids(tokenizer)  # the cache serves these on full contexts only

    def run_round(self, inp: RoundInput) -> RoundOutput:
        cfg, profile = self.cfg, self.cfg.profile
        torch.manual_seed(inp.seed)
        folder = cfg.state_dir / cfg.device
        rejoined = False
        # the newest state saved before this round: the previous round's, or an older one when
        # the device was not asked since (partial participation); a re-run round ignores its own
        previous = DeviceState.newest_before(folder, inp.round)
        try:
            state = DeviceState.load(folder, previous, self.header)
            if inp.round > 1 and previous == 0:
                log.warning("%s: no saved state before round %d in %s: starting from the server's view (a "
                            "device asked for the first time, or one whose state is gone)", cfg.device,
                            inp.round, folder)
                rejoined = True
        except DamagedState as exc:
            # Our own state is gone, the server's view of us is not: start where a new device
            # starts (empty, cache version 0) and let the version check below do the rest.
            log.warning("%s: %s", cfg.device, exc)
            state, rejoined = DeviceState(self.header), True
        update = CacheUpdate.from_bytes(inp.cache_update, self.header) if inp.cache_update is not None else None
        if update is not None and update.base_version <= state.version:
            state.released = update.apply_to(state.released)
            state.version = update.version
        # else: we are behind the diff's base (state lost or damaged): keep ours, report our
        # version (0 after a re-join), and the server sends a diff from it next round (from 0:
        # a full snapshot)
        spec = LoraSpec(profile.lora_rank, cfg.r_max, cfg.lora_seed)
        peft_model = attach(self.base, spec, inp.adapter)
        device_model = merged(peft_model)
        cache = DeviceCache.for_profile(self.header, cfg.device, profile, number_tokens=self.number_tokens)
        cache.released, cache.local, cache.round = state.released, state.local, inp.round
        upstream, deadline_s = self.cloud, profile.deadline_s
        if self.chain_for_round is not None:
            upstream = self.chain_for_round(inp.round)
            deadline_s = sum(hop.deadline_s for hop in upstream.hops)  # room to ask every hop
        decoder = HybridDecoder(device_model, self.tokenizer, upstream, cache=cache)
        head, collector = self.head, None
        if inp.head is not None:  # the federated reward head: route with the fleet's, collect labels for it
            try:
                head = head_from_arrays(self.head.cfg, inp.head)
            except InferenceError as exc:
                raise FleetError(f"{cfg.device}: the round's reward head does not fit this device ({exc})") from exc
            collector = LabelCollector(LabelConfig(top_k=head.cfg.top_k, explore=inp.explore,
                                                   floor=head.cfg.label_floor, seed=inp.seed))
        policy = RewardPolicy(head, inp.threshold)
        dcfg = DecodeConfig(max_new_tokens=cfg.max_new_tokens, deadline_s=deadline_s,
                            stop_ids=self.stop_ids)
        queries = self.workload.queries(cfg.partition, inp.round)
        # a question answered before: with hubs above it goes to the cloud only (recurring_to_cloud),
        # and its unchecked tokens are scored at the end (settle_recurring)
        skip_hubs = self.chain_for_round is not None and cfg.recurring_to_cloud
        asked = state.asked if skip_hubs or cfg.settle_recurring else None
        # an answer settled this round is not settled again in it (the cloud would say the same);
        # next round's cache, pruned to the tier's budget, may have dropped what it taught
        settled: set[int] = set()
        # (an answer a settle found to be the cloud's own is learnt again without a call, every round)
        agreed = state.agreed if cfg.settle_recurring else None
        served = [self._serve(decoder, policy, dcfg, q, collector, asked, skip_hubs, settled, agreed)
                  for q in queries]
        tokens = sum(s["tokens"] for s in served)
        # Self-training only on well-formed outputs (a final "The answer is N." and EOS):
        # a degenerate output trained into B comes back next round as a degenerate model
        # and, through its corrections, as degenerate cache entries.
        train_stats = train_b(peft_model, [(s["prompt_ids"], s["output_ids"]) for s in served
                                           if s["well_formed"]],
                              cfg.local_steps, cfg.lr, seed=inp.seed)
        delta = Delta(cfg.device, inp.round, inp.round, cache.take_delta(inp.round))
        state.local = cache.local
        state.save(folder, inp.round)
        write_served(folder, inp.round, served)
        metrics = {
            "num-examples": float(len(served)),
            "tokens": float(tokens),
            "cloud-tokens": float(sum(s["cloud"] for s in served)),
            "cache-tokens": float(sum(s["cache"] for s in served)),
            "cloud-share": sum(s["cloud"] for s in served) / max(1, tokens),
            "cache-share": sum(s["cache"] for s in served) / max(1, tokens),
            "accuracy": sum(bool(s["correct"]) for s in served) / max(1, sum(s["correct"] is not None
                                                                             for s in served)),
            # tokens answered by the hubs of the tier hierarchy (fleet.hierarchy), per tier
            **{f"hub-tokens-{tier}": float(sum(s["hubs"].get(tier, 0) for s in served))
               for tier in sorted({t for s in served for t in s["hubs"]})},
            "hub-tokens": float(sum(sum(s["hubs"].values()) for s in served)),
            "hub-tokens-computed": float(sum(s["hub_computed"] for s in served)),
            "cloud-calls": float(sum(s["calls"] for s in served)),
            "cloud-tokens-computed": float(sum(s["computed"] for s in served)),
            "missed-escalations": float(sum(s["missed"] for s in served)),
            "train-loss": float(train_stats["loss"] or 0.0),
            "cache-entries": float(len(cache.released) + len(cache.local)),
            "private-queries": float(sum(1 for q in queries if q.private)),
            "malformed-outputs": float(sum(1 for s in served if not s["well_formed"])),
            "cache-loops": float(sum(s["loops"] for s in served)),
            "settled-requests": float(sum(s["settled"] for s in served)),  # settle_recurring's extra calls
            "relearnt-requests": float(sum(s["relearnt"] for s in served)),  # ... and those it spared
            "state-rejoined": 1.0 if rejoined else 0.0,  # this round started from an empty state: damaged
        }
        out = RoundOutput(b_matrices(peft_model), delta.to_bytes(), state.version, metrics)
        if collector is not None:
            out.head, out.route_hist, head_metrics = tune_on_labels(head, collector.take(), cfg.head_epochs,
                                                                    cfg.head_lr, inp.seed)
            out.metrics.update(head_metrics)
        return out

    def _serve(self, decoder: HybridDecoder, policy, dcfg: DecodeConfig, query: Query, labels=None,
               asked: set[int] | None = None, skip_hubs: bool = False, settled: set[int] | None = None,
               agreed: set[int] | None = None) -> dict:
        if query.problem is not None:
            prompt = query.problem.prompt
        else:
            req = query.request
            prompt = chat_prompt_ids(self.tokenizer, req.messages) if req.messages is not None else req.prompt
        if asked is not None:  # tokenized once here, for the anchor and the decoder alike
            prompt = encode_prompt(self.tokenizer, prompt) if isinstance(prompt, str) else list(prompt)
            anchor = self.header.anchor_of(prompt)
            recurring = anchor in asked
            dcfg = replace(dcfg, skip_hubs=skip_hubs and recurring, settle=self.cfg.settle_recurring and recurring)
            asked.add(anchor)
        if query.problem is not None:
            gen = decoder.generate(prompt, policy, dcfg, labels=labels, settled=settled, agreed=agreed)
            correct = wordmath.is_correct(query.problem, gen.text)
            # a worked solution ends in "The answer is N." and EOS
            well_formed = (wordmath.extract_answer(gen.text) is not None and bool(gen.token_ids)
                           and gen.token_ids[-1] == self.tokenizer.eos_token_id)
        else:  # a workload file's request: its own grader, its own privacy
            gen = decoder.generate(prompt, policy, dcfg, labels=labels, settled=settled, agreed=agreed,
                                   privacy=PrivacyPolicy("local-only" if req.sensitive else "allow"))
            # graded only by an answer or reference: agreement with the cloud is the demo's to measure
            correct = (Grader().correct(req, gen.text, gen.token_ids, None)
                       if req.answer is not None or req.reference is not None else None)
            well_formed = bool(gen.token_ids) and (gen.token_ids[-1] == self.tokenizer.eos_token_id
                                                   or gen.token_ids[-1] in self.stop_ids)
        # an escalated token is answered by the cloud or by a hub of the hierarchy
        hubs = {t: gen.answered(t) for t in set(gen.answered_by) - {"cloud", "device", "cache"}}
        return {"prompt_ids": gen.prompt_ids, "output_ids": gen.token_ids, "tokens": len(gen.token_ids),
                "cloud": gen.answered("cloud"),
                "hubs": hubs, "hub_computed": sum(gen.hub_tokens_computed.values()),
                "cache": gen.count(Provenance.CACHE),
                "correct": correct, "calls": gen.cloud_calls,
                "computed": gen.cloud_tokens_computed, "missed": gen.missed_escalations,
                "key": query.key, "loops": gen.cache_loops, "well_formed": well_formed, "settled": gen.settled,
                "relearnt": gen.relearnt}
