"""A federated round as the device agent lives it, off the request path.

When the ClientApp brings a round (`RoundRequest`), the agent:
1. verifies the server's signed cache diff (one that does not verify or apply is refused,
   logged and counted in the reply's `cache-refused` metric, and the agent keeps serving the
   cache it has) and installs it together with the family's new global adapter: one
   transaction, then a swap (`AgentEngine.install`); an adapter that is malformed or does not
   fit refuses the whole round before anything changes;
2. confirms the uploads the server reports merged (`acked`): only now are they done;
3. turns the journal's records since the last upload into a new numbered delta (only
   requests whose privacy allows it) and seals every unconfirmed delta again: uploads are
   at-least-once, and the server's ledger of (device, seq) makes the merge exactly-once;
4. fine-tunes its LoRA B on the outputs it served since the last round (bounded in time);
   with the server's federated-head, also the family's reward head on the labels collected
   since the last round, and routes with the round's head from then on (agent/head.py);
5. replies with the fine-tuned adapter (and head), the sealed deltas and its metrics for the period.
With the server's `relay`, a hub's round also brings the signed updates of the tier below it,
which the agent keeps for the devices there (`agent.relay.RelayStore`).
Nothing here touches Flower or HTTP: `agent.app` and clients/ carry the messages.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

import numpy as np

from agent.deployment import fold
from agent.engine import AgentEngine
from agent.errors import AgentError
from agent.relay import RelayStore
from agent.wire import RoundReply, RoundRequest, decode_adapter, encode_adapter
from cache_sync.correction_cache import CountTable
from cache_sync.envelope import EnvelopeError
from cache_sync.errors import CacheError
from cache_sync.merge import Delta
from cache_sync.versioned import CacheUpdate
from inference.errors import InferenceError
from inference.lora import LoraSpec, attach, b_matrices, train_b
from inference.reward_head import pack_head
from inference.reward_labels import tune_on_labels

log = logging.getLogger("fedhybrid.agent")
MAX_TRAIN_SEQUENCES = 2048  # the most recent finished outputs a round trains on


class RoundRunner:
    """Runs rounds for one agent; keeps the counters of the previous round for the metrics."""

    def __init__(self, engine: AgentEngine, channel=None):
        self.engine, self.channel = engine, channel
        self.lock = threading.Lock()  # one install at a time: a round, an admin push or a relayed update
        self.relay = RelayStore(engine, channel)  # what this agent holds for the tiers below (a hub)
        self._last_stats: Counter[str] = Counter()

    def open_update(self, signed: bytes, round_: int) -> CacheUpdate:
        """The server's cache update of `round_`, its signature checked (with keys) and decoded.

        Raises:
            AgentError: why it is unusable (it does not verify, is not an update of this fleet's
                header, or is another tier's view); nothing has changed.
        """
        payload = signed
        if self.channel is not None:
            try:
                payload = self.channel.open_update(signed, round_)
            except EnvelopeError as exc:
                raise AgentError(f"cache update of round {round_} does not verify ({exc.reason})") from exc
        try:
            update = CacheUpdate.from_bytes(payload, self.engine.header)
        except CacheError as exc:
            raise AgentError(f"cache update of round {round_} is unusable ({exc})") from exc
        tier = self.engine.cfg.profile.tier
        if update.tier != tier:  # the server names every view's tier; an unnamed one is from no current run
            named = f"the view of tier {update.tier!r}" if update.tier else "a view that names no tier"
            raise AgentError(f"cache update of round {round_} is {named}, this device is {tier!r}")
        return update

    def applied(self, update: CacheUpdate, round_: int) -> CountTable:
        """The released table once `update` is applied to the installed one (the caller holds the
        install lock, so nothing is installed between this check and the install).

        Raises:
            AgentError: it does not apply to the installed version.
        """
        current = self.engine.cache_version
        if update.base_version > current:
            # our released view is older than the diff's base (our state was lost)
            raise AgentError(f"cache update of round {round_} is a diff from version {update.base_version}, which "
                             f"does not apply to the installed version {current}: it needs a diff from version "
                             f"{current} or the whole view")
        if not update.full and update.version < current:
            # only a stale or replayed diff goes back: a new server run sends a device ahead of it its
            # whole view (VersionedView.diff); applied, this one would mix its rows into a newer table
            raise AgentError(f"cache update of round {round_} is a diff to version {update.version}, older than "
                             f"the installed version {current}: a stale or replayed update")
        return update.apply_to(self.engine.released)

    def run(self, req: RoundRequest) -> RoundReply:
        engine, journal, cfg = self.engine, self.engine.journal, self.engine.cfg
        started = time.monotonic()
        # -- check what the server pushed, then install it: a refused round changes nothing --------------
        global_b = decode_adapter(req.adapter) if req.adapter else None  # a bad adapter refuses the round
        released, version, cache_refused = None, engine.cache_version, False
        if req.cache_update is not None:
            # refused alone, the round goes on: its uploads and adapter still count, and the reply
            # reports our version, from which the server's next update starts (a round refused for
            # it would leave the device out of every round while the server sends what it cannot use)
            try:
                update = self.open_update(req.cache_update, req.round)
                released, version = self.applied(update, req.round), update.version
            except AgentError as exc:
                log.warning("%s: %s; keeping cache version %d, which the reply reports so the server's next "
                            "update starts from it", cfg.device, exc, engine.cache_version)
                cache_refused = True
        engine.install(global_b, req.round, released, version, req.round)
        confirmed = journal.confirm(req.acked)
        if req.threshold is not None and req.threshold >= 0 and cfg.threshold is None:
            engine.default_threshold = req.threshold  # the server's per-tier dial, unless pinned locally
        if req.relayed:
            self.relay.keep(req.relayed, req.round)
        installed_s = time.monotonic() - started
        # -- upload: what the journal holds since the last upload ------------------------------------
        after, last = journal.meta("uploaded_upto"), journal.last_seq()
        if last > after:
            table, _, corrections = fold(engine.header, cfg.device, journal.records(after, last), req.round,
                                         only_upload=True)
            if len(table):
                seq = journal.meta("next_upload", 1)
                journal.add_upload(seq, after + 1, last, Delta(cfg.device, seq, req.round, table).to_bytes(),
                                   corrections)
            else:  # nothing of it may leave the device
                journal.put_blobs({}, {"uploaded_upto": last})
        pending = journal.pending_uploads()
        sealed = [self.channel.seal_delta(u.delta, req.round, seq=u.seq) if self.channel else u.delta
                  for u in pending]
        journal.mark_sent([u.seq for u in pending])
        # -- local fine-tuning on what was served since the last round --------------------------------
        train = self._train(global_b, req)
        head, hist, head_metrics = self._head(req)
        engine.checkpoint()
        self._compact()
        stats = engine.stats.copy()
        period = Counter({k: stats[k] - self._last_stats[k] for k in stats})
        self._last_stats = stats
        tokens = period["tokens"]
        counts = journal.upload_counts()
        metrics = {
            "num-examples": float(max(1, period["requests"])), "requests": float(period["requests"]),
            "tokens": float(tokens), "cloud-tokens": float(period["cloud_tokens"]),
            "cache-tokens": float(period["cache_tokens"]), "cloud-share": period["cloud_tokens"] / max(1, tokens),
            "cache-share": period["cache_tokens"] / max(1, tokens), "cloud-calls": float(period["cloud_calls"]),
            # calls the cloud did not answer: those made that failed, and those the client did not make
            "missed-escalations": float(period["cloud_failures"] + period["cloud_skipped"]),
            "cloud-skipped": float(period["cloud_skipped"]), "corrections": float(period["corrections"]),
            "train-loss": float(train["loss"] or 0.0), "train-steps": float(train["steps"]),
            "train-examples": float(train["examples"]),
            "cache-entries": float(len(engine.released) + len(engine.local)),
            "uploads-confirmed": float(confirmed), "uploads-sent": float(len(sealed)),
            "uploads-pending": float(counts["uploads_pending"]), "install-s": installed_s,
            **head_metrics, **({"cache-refused": 1.0} if cache_refused else {}),
            "round-s": time.monotonic() - started,
        }
        adapter = train["adapter"] if train["adapter"] is not None else (global_b or {})
        return RoundReply(cfg.device, cfg.profile.tier, encode_adapter(adapter), sealed, [u.seq for u in pending],
                          version, metrics, head, hist)

    def _head(self, req: RoundRequest) -> tuple[bytes | None, list[float], dict[str, float]]:
        """The round's reward head: fine-tuned on the labels since the last round (what goes back:
        packed weights, or None under MIN_HEAD_LABELS labels; the routed tokens' score histogram;
        metrics), then installed to route with. A head that does not fit is refused and logged."""
        if req.reward_head is None:
            return None, [], {}
        fleet = self.engine.fleet_head
        try:
            head, labels = fleet.install(req.reward_head, req.explore, req.round)
        except InferenceError as exc:
            log.warning("%s: the reward head of round %d is refused (%s); keeping the current one",
                        self.engine.cfg.device, req.round, exc)
            return None, [], {"head-refused": 1.0}
        arrays, hist, metrics = tune_on_labels(head, labels, req.head_epochs, req.head_lr, req.seed)
        log.info("%s: routing with the fleet's reward head of round %d; %s on %d labels since the last round",
                 self.engine.cfg.device, req.round, "tuned it" if arrays is not None else "too few to tune it",
                 len(labels))
        return (pack_head(arrays) if arrays is not None else None), hist or [], metrics

    def _compact(self) -> None:
        """Drop records every consumer is done with: uploaded and confirmed, folded into the
        local checkpoint, and trained on."""
        journal = self.engine.journal
        pending = journal.pending_uploads()
        uploaded = pending[0].first_record - 1 if pending else journal.meta("uploaded_upto")
        safe = min(uploaded, journal.meta("local_upto"), journal.meta("trained_upto"))
        if safe > 0:
            journal.compact(safe)

    def _train(self, global_b: dict[str, np.ndarray] | None, req: RoundRequest) -> dict:
        """Fine-tune B from the global adapter on finished, shareable outputs since the last round."""
        engine, journal = self.engine, self.engine.journal
        after, last = journal.meta("trained_upto"), journal.last_seq()
        sequences = [(rec.prompt, rec.output) for rec in journal.records(after, last)
                     if rec.train and rec.finished and rec.output][-MAX_TRAIN_SEQUENCES:]
        journal.put_blobs({}, {"trained_upto": last})
        if global_b is None or req.local_steps <= 0 or not sequences:
            return {"adapter": None, "loss": None, "steps": 0, "examples": len(sequences)}
        rank = next(iter(global_b.values())).shape[1]
        model = attach(engine.base, LoraSpec(rank, rank, engine.cfg.lora_seed), global_b)
        stats = train_b(model, sequences, req.local_steps, req.lr, seed=req.seed, batch=engine.cfg.train_batch,
                        deadline_s=engine.cfg.train_budget_s)
        return {"adapter": b_matrices(model), **stats}
