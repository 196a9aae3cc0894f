"""The device agent's engine: requests through the hybrid decoder, journaled; versions swapped
without stopping service. No HTTP here (that is `agent.app` over `serving.http_app`).

Threads:
- the worker (from `serving.engine_api.WorkerEngine`) runs one request at a time on the
  deployment that was current when the request started; after the last token it appends
  the request's record to the journal (fsync'd) before the response completes, so an
  answered request is never lost. Between requests (and every `index_refresh_s` when idle)
  it folds new journal records into the local table and swaps in a deployment with new
  cache automata: no stream ever waits for that rebuild mid-answer (measured: doing it on a
  thread of its own stalled streams 10-25 ms per rebuild, the GIL being shared);
- an install (a round's adapter and cache, or an admin push) builds the next deployment on
  the caller's thread beside the current one (a new model only when an adapter came), then
  swaps: one reference assignment, so in-flight requests finish on the old version and the
  next request takes the new one.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
import time
from collections import Counter

import numpy as np

from agent.config import AgentConfig
from agent.deployment import Deployment, adapted_model, adapter_shapes, check_adapter, fold, snapshot
from agent.errors import AgentError
from agent.head import FleetHead
from agent.journal import Journal
from agent.recent import RecentSet
from agent.upstream_health import UpstreamHealth
from agent.wire import decode_adapter, encode_adapter
from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.errors import CacheError
from inference.chat import chat_prompt_ids
from inference.cloud import Cloud
from inference.decoder import HybridDecoder
from inference.errors import InferenceError
from inference.generation import DecodeConfig
from inference.privacy import PrivacyPolicy, strictest
from inference.router import make_policy
from inference.runtime import resolve_threshold, tau_for_share
from inference.tokenizer import encode_prompt, number_token_ids, tokenizer_hash
from inference.zoo import context_length
from serving.engine_api import Emit, Job, JobDone, JobError, WorkerEngine

log = logging.getLogger("fedhybrid.agent")
_SKIPPED_HELP = ("calls not made: the cloud client refused them without contacting the cloud (its circuit breaker, "
                 "open after repeated failures)")


class AgentEngine(WorkerEngine):
    supports_logprobs = False
    routes = True

    def __init__(self, cfg: AgentConfig, base_model, tokenizer, cloud: Cloud | None, head=None,
                 head_meta: dict | None = None, model_name: str | None = None):
        super().__init__(f"agent-{cfg.device}", cfg.max_queue, idle_tick_s=cfg.index_refresh_s)
        self.cfg, self.base, self.tokenizer, self.cloud = cfg, base_model, tokenizer, cloud
        self.head_meta = head_meta
        self.model_name = model_name or cfg.device
        self.max_positions = context_length(base_model)
        self.vocab_size = int(base_model.config.vocab_size)
        self.header = CacheHeader(tokenizer_hash(tokenizer), len(tokenizer), cfg.n_min, cfg.n_max)
        self.number_tokens = number_token_ids(tokenizer)  # the cache serves these on full contexts only
        self.default_threshold = (None if cfg.policy in ("slm-only", "cloud-only") else
                                  resolve_threshold(cfg.policy, cfg.threshold, cfg.profile, head_meta))
        if cfg.policy == "reward" and head is None:
            raise AgentError("policy 'reward' needs the reward head of this device/cloud pair: run "
                             "`fedhybrid calibrate` or start with --policy confidence --threshold X")
        cfg.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the journal and the admin token live here
        self.journal = Journal(cfg.journal_path)
        self.fleet_head = FleetHead(self.journal, cfg.device, head)  # the zoo's head, then the fleet's
        # questions answered before (AgentConfig.recurring_to_cloud, settle_recurring)
        # (bounded, agent/recent.py: an agent serves all day between restarts)
        self.asked = RecentSet(cfg.remember, self.journal.anchors())
        # answers the cloud scored at their end: not settled again until the next round's install
        # (by then the cache, pruned to the tier's budget, may have dropped what they taught)
        self.settled = RecentSet(cfg.remember)
        self.agreed = RecentSet(cfg.remember)  # answers a settle found the cloud's own: learnt again without a call
        self.stats: Counter[str] = Counter()  # served since start (the round takes differences)
        self.upstream = UpstreamHealth(cfg.device, cloud)  # the tier above, for /health and the log
        self._build_lock = threading.Lock()
        self._last_refresh = time.monotonic()
        self.swaps = 0
        self.on_swap: list = []  # called with each new deployment (agent/hop.py follows the model)
        self.gauge_sources: list = []  # more gauges for /metrics, each a gauges()-like call (agent/relay.py)
        self.round = self.journal.meta("round", 0)
        self.adapter, self.adapter_version = self._load_adapter()
        self.released, self.cache_version = self._load_released()
        self.local, self.local_upto = self._load_local()
        model = adapted_model(base_model, self.adapter, cfg.lora_seed)
        self.current = self._deployment(model, self.adapter_version, self.cache_version)

    @property
    def head(self):
        """The reward head requests route with: the fleet's once a round installed one (agent/head.py)."""
        return self.fleet_head.head

    # -- start-up: what the journal holds ------------------------------------------------------------
    @functools.cached_property
    def adapter_shapes(self) -> dict[str, tuple[int, int]]:
        """The B tensors an adapter of this device must hold, exactly (built at the first adapter)."""
        return adapter_shapes(self.base, self.cfg.profile.lora_rank, self.cfg.lora_seed)

    def _load_adapter(self) -> tuple[dict[str, np.ndarray] | None, int]:
        try:
            blob = self.journal.blob("adapter")
            if blob is None:
                return None, 0
            adapter = decode_adapter(blob[0])
            check_adapter(adapter, self.adapter_shapes)  # one an older agent took (an empty one) is not served
            return adapter, blob[1]
        except AgentError as exc:
            log.error("%s: the installed adapter is damaged or does not fit (%s); serving the base model until "
                      "the next round installs one", self.cfg.device, exc)
            return None, 0

    def _load_released(self) -> tuple[CountTable, int]:
        try:
            blob = self.journal.blob("released")
            if blob is None:
                return CountTable(self.header), 0
            return CountTable.from_bytes(blob[0], self.header), blob[1]
        except (AgentError, CacheError) as exc:
            log.error("%s: the released cache is damaged (%s); starting from version 0, the next round "
                      "sends the server's full view", self.cfg.device, exc)
            return CountTable(self.header), 0

    def _load_local(self) -> tuple[CountTable, int]:
        """The local table: its checkpoint plus the journal records after it."""
        table, upto = CountTable(self.header), 0
        try:
            blob = self.journal.blob("local")
            if blob is not None:
                table, upto = CountTable.from_bytes(blob[0], self.header), blob[1]
        except (AgentError, CacheError) as exc:
            log.error("%s: the local cache checkpoint is damaged (%s); rebuilding it from the journal "
                      "(entries of compacted records come back with the server's view)", self.cfg.device, exc)
        rows, last, _ = fold(self.header, self.cfg.device, self.journal.records(upto), self.round)
        if last:
            table, upto = table.merge_add(rows), last
        return table, upto

    def _deployment(self, model, adapter_version: int, cache_version: int) -> Deployment:
        cache = snapshot(self.header, self.cfg.device, self.cfg.profile, self.released, self.local, self.round,
                         self.number_tokens)
        decoder = HybridDecoder(model, self.tokenizer, self.cloud, cache=cache)
        return Deployment(adapter_version, cache_version, self.local_upto, model, cache, decoder)

    # -- the HTTP side's view -------------------------------------------------------------------------
    def card(self) -> dict:
        dep = self.current
        return {"max_model_len": self.max_positions, "vocab_size": self.vocab_size,
                "tokenizer_hash": self.header.tokenizer_hash, "device": self.cfg.device,
                "tier": self.cfg.profile.tier, "policy": self.cfg.policy,
                "adapter_version": dep.adapter_version, "cache_version": dep.cache_version}

    def encode(self, text: str) -> list[int]:
        return encode_prompt(self.tokenizer, text)

    def chat_ids(self, messages: list[tuple[str, str]]) -> list[int]:
        return chat_prompt_ids(self.tokenizer, messages)

    def health(self) -> dict:
        """The tier above as the last requests found it (agent/upstream_health.py)."""
        return self.upstream.summary(self.stats["cloud_failures"], self.stats["cloud_skipped"])

    def note_cloud_down(self) -> None:
        """The start-up probe found the tier above down: /health says so from the first request."""
        self.upstream.down_at_start()

    def gauges(self) -> dict[str, tuple[float, str]]:
        dep, s = self.current, self.stats
        extra = {name: value for source in self.gauge_sources for name, value in source().items()}
        return {**extra, "queue_depth": (self.queued, "requests waiting for the decoder"),
                "cache_entries": (len(dep.cache.released) + len(dep.cache.local), "correction-cache entries served from"),
                "adapter_version": (dep.adapter_version, "round of the installed adapter (0: base model)"),
                "cache_version": (dep.cache_version, "version of the installed released cache"),
                "swaps_total": (self.swaps, "deployments swapped in"),
                "cloud_calls_total": (s["cloud_calls"], "calls made to the cloud (or the tier above), failed included"),
                "cloud_errors_total": (s["cloud_failures"], "calls made that failed or missed their deadline"),
                "cloud_skipped_total": (s["cloud_skipped"], _SKIPPED_HELP),
                "journal_records_total": (s["records"], "requests journaled since start"),
                "loop_stops_total": (s["loop_stops"], "requests ended because their output looped"),
                "journal_bytes": (self.journal.size_bytes(), "bytes of the journal database and its WAL")}

    # -- one request ------------------------------------------------------------------------------------
    def _policy(self, routing):
        name = self.cfg.policy
        if routing.target_cloud_share is not None:
            if name == "reward" and self.fleet_head.version:
                # the fleet's head has no calibration table: its scores on this agent's own routed
                # tokens map the share (of the tokens the cache did not serve) to tau
                threshold = self.fleet_head.tau_for_share(routing.target_cloud_share)
                if threshold is None:
                    raise JobError("target_cloud_share: this agent routes with the fleet's reward head of round "
                                   f"{self.fleet_head.version}, which has no score histogram here yet (it is made "
                                   "from the tokens routed between two rounds); give a threshold until the next "
                                   "round", "target_cloud_share")
            elif name != "reward" or not self.head_meta or not self.head_meta.get("table"):
                raise JobError("target_cloud_share needs the reward policy with a calibration table: give a "
                               "threshold instead", "target_cloud_share")
            else:
                threshold = tau_for_share(self.head_meta, routing.target_cloud_share)
        elif routing.threshold is not None:
            threshold = routing.threshold
        else:
            threshold = self.default_threshold
        try:
            return make_policy(name, threshold, head=self.head)
        except InferenceError as exc:
            raise JobError(str(exc), "threshold") from exc

    def run(self, job: Job, emit: Emit) -> JobDone:
        dep = self.current  # this request's version, whatever is installed meanwhile
        p = job.params
        policy = self._policy(job.routing)
        # the request's mode (body and header, the stricter) or the default, never looser than the floor
        privacy = PrivacyPolicy(strictest(job.routing.privacy or self.cfg.privacy, self.cfg.privacy_floor))
        seed = p.seed if p.seed is not None else int(time.time_ns() % (2**31))
        anchor = dep.cache.anchor_of(job.prompt_ids)
        recurring = anchor in self.asked
        try:
            dcfg = DecodeConfig(max_new_tokens=max(1, p.max_tokens), temperature=p.temperature,
                                seed=seed % (2**63), deadline_s=self.cfg.profile.deadline_s,
                                stop_at_eos=not p.ignore_eos, loop_stop=self.cfg.loop_stop,
                                skip_hubs=self.cfg.recurring_to_cloud and recurring,
                                settle=self.cfg.settle_recurring and recurring)
        except InferenceError as exc:
            raise JobError(str(exc)) from exc
        text, on_token = self.streamer(job, emit, self.tokenizer)
        # when each token left the decoder: stalls are measured here, not by clients; a gap that
        # ends in a cloud token includes the cloud's round trip, the others are local work only
        stamps: list[tuple[float, bool]] = []

        def each(token: int, prov) -> bool:
            stamps.append((time.perf_counter(), prov.value == "cloud"))
            return on_token(token, prov.value)

        # the fleet's reward head learns from what the cloud scored, of requests that may leave the device
        # only: the head tuned on them is uploaded, and its labels are read off the unredacted prompt's states
        labels = self.fleet_head.collector(seed) if privacy.mode == "allow" else None
        try:
            gen = dep.decoder.generate(job.prompt_ids, policy, dcfg, on_token=each, record=False, privacy=privacy,
                                       labels=labels, settled=self.settled, agreed=self.agreed)
        except InferenceError as exc:
            raise JobError(str(exc), "prompt") from exc
        if labels is not None:
            self.fleet_head.keep(labels)
        finished = text.stopped or (bool(gen.token_ids) and gen.token_ids[-1] == self.tokenizer.eos_token_id
                                    and not p.ignore_eos)
        if not text.stopped:
            text.finish()
        # durable before the response completes: an answered request is never lost
        shareable = privacy.mode == "allow"
        corrections = [(tuple(c.context), int(c.token)) for c in gen.corrections]
        seq = self.journal.append(job.request_id, anchor, upload=shareable,
                                  train=shareable, corrections=corrections, feedback=dep.cache.drain_feedback(),
                                  prompt=job.prompt_ids, output=gen.token_ids, finished=finished)
        self.asked.add(anchor)
        provenance = [q.value for q in gen.provenance]
        counts = Counter(provenance)
        for key, value in (("requests", 1), ("records", 1), ("tokens", len(gen.token_ids)),
                           ("cloud_tokens", counts["cloud"]), ("cache_tokens", counts["cache"]),
                           ("device_tokens", counts["device"]), ("cloud_calls", gen.cloud_calls),
                           ("cloud_failures", gen.cloud_failures), ("cloud_skipped", gen.cloud_skipped),
                           ("corrections", len(corrections)), ("loop_stops", int(gen.loop_stopped))):
            self.stats[key] += value
        self.upstream.note(gen.cloud_calls, gen.cloud_failures, gen.cloud_skipped, self.stats["cloud_failures"],
                           self.stats["cloud_skipped"])
        # cloud_calls: calls made (failed ones included: the cloud's cost either way); cloud_skipped:
        # calls the cloud client refused without contacting the cloud (its breaker open), not made
        usage = {"cloud_tokens": counts["cloud"], "cache_tokens": counts["cache"],
                 "device_tokens": counts["device"], "cloud_calls": gen.cloud_calls,
                 "cloud_skipped": gen.cloud_skipped}
        extra = {"fedhybrid": {"request_id": job.request_id, "journal_seq": seq, "corrections": len(corrections),
                               "adapter_version": dep.adapter_version, "cache_version": dep.cache_version,
                               "cloud_failures": gen.cloud_failures, "cloud_skipped": gen.cloud_skipped,
                               "privacy": privacy.mode,
                               "loop_stopped": gen.loop_stopped,
                               # escalated tokens per answering tier (--hop: hubs before the cloud)
                               "answered_by": dict(Counter(t for t, p in zip(gen.answered_by, provenance)
                                                           if p == "cloud")),
                               "max_token_gap_ms": _max_gap(stamps, local_only=False),
                               "max_local_gap_ms": _max_gap(stamps, local_only=True)}}
        return JobDone(gen.token_ids, text.text, "stop" if finished else "length", provenance, usage, extra=extra)

    # -- versions -------------------------------------------------------------------------------------
    def install(self, adapter: dict[str, np.ndarray] | None, adapter_version: int, released: CountTable | None,
                cache_version: int, round_: int) -> Deployment:
        """Persist a new adapter and/or released cache (one transaction), build the deployment
        beside the current one, and swap it in. Returns the new deployment.

        Raises:
            AgentError: the adapter is not exactly this model's (`check_adapter`: the same LoRA
                tensors, their shapes at the tier's rank, finite) or the cache is another header's;
                nothing has changed.
        """
        with self._build_lock:
            model = self.current.model
            blobs: dict[str, tuple[bytes, int]] = {}
            if adapter is not None:
                check_adapter(adapter, self.adapter_shapes)  # exactly this model's tensors: else nothing changes
                model = adapted_model(self.base, adapter, self.cfg.lora_seed)  # raises before anything changes
                blobs["adapter"] = (encode_adapter(adapter), adapter_version)
            if released is not None:
                self.header.check_compatible(released.header, "released cache")
                blobs["released"] = (released.to_bytes(), cache_version)
            self.journal.put_blobs(blobs, {"round": round_})
            self._note_back(round_, adapter_version if adapter is not None else self.adapter_version,
                            cache_version if released is not None else self.cache_version)
            if adapter is not None:
                self.adapter, self.adapter_version = adapter, adapter_version
            if released is not None:
                self.released, self.cache_version = released, cache_version
            self.round = round_
            self.settled.clear()
            self._fold_new()
            self.current = self._deployment(model, self.adapter_version, self.cache_version)
            self.swaps += 1
            for hook in self.on_swap:
                hook(self.current)
            return self.current

    def _note_back(self, round_: int, adapter_version: int, cache_version: int) -> None:
        """Log an install that moves a version back. Not refused: a new server run starts again at
        round 1 (and sends a device ahead of it its whole cache view) and no message says which run
        it comes from; but a stale or replayed message looks the same, so an operator must see it."""
        back = [f"{name} {old} -> {new}" for name, old, new in (
            ("round", self.round, round_), ("adapter version", self.adapter_version, adapter_version),
            ("cache version", self.cache_version, cache_version)) if new < old]
        if back:
            log.warning("%s: this install moves back %s: as when a new server run starts again at round 1; if "
                        "no new run started, the message was stale or replayed", self.cfg.device, ", ".join(back))

    def _fold_new(self) -> bool:
        rows, last, _ = fold(self.header, self.cfg.device, self.journal.records(self.local_upto), self.round)
        if not last:
            return False
        self.local, self.local_upto = self.local.merge_add(rows), last
        return True

    def refresh(self, wait: bool = True) -> bool:
        """Fold new journal records into the served cache (build + swap); False if none (or,
        with `wait` False, when an install is building right now: it folds them itself)."""
        if not self._build_lock.acquire(blocking=wait):
            return False
        try:
            self._last_refresh = time.monotonic()
            if self.journal.last_seq() <= self.local_upto or not self._fold_new():
                return False
            self.current = self._deployment(self.current.model, self.adapter_version, self.cache_version)
            self.swaps += 1
            if self.local_upto - self.journal.meta("local_upto") >= self.cfg.checkpoint_every:
                self._checkpoint()
            return True
        finally:
            self._build_lock.release()

    def _checkpoint(self) -> None:
        """Persist the local table (so a restart replays only the records after it)."""
        budget = self.cfg.profile.cache_budget
        if budget is not None and len(self.local) > 4 * budget:
            self.local = self.local.prune(4 * budget, self.round)  # the device's own memory stays bounded
        self.journal.put_blobs({"local": (self.local.to_bytes(), self.local_upto)}, {"local_upto": self.local_upto})

    def checkpoint(self) -> None:
        with self._build_lock:
            self._fold_new()
            self._checkpoint()

    def maintain(self) -> None:
        """On the worker thread, between requests: fold new corrections into the served cache
        once `index_refresh_s` has passed since the last time."""
        if time.monotonic() - self._last_refresh < self.cfg.index_refresh_s:
            return
        try:
            self.refresh(wait=False)
        except (AgentError, CacheError, InferenceError, OSError) as exc:
            log.error("%s: could not refresh the served cache: %s", self.cfg.device, exc)

    def close(self) -> None:
        super().close()
        self.journal.close()


def _max_gap(stamps: list[tuple[float, bool]], local_only: bool) -> float:
    """Longest time between two consecutive tokens (ms); with `local_only`, only gaps that end
    in a token the device or its cache produced (no cloud round trip inside)."""
    gaps = [b - a for (a, _), (b, cloud) in itertools.pairwise(stamps) if not (local_only and cloud)]
    return max(gaps, default=0.0) * 1e3
