"""Escalation up the tier hierarchy: IoT -> edge hub -> client tier -> cloud, as one `Cloud`.

A device's escalations go to its next hop first. Each hop is any `Cloud` (in practice a
`serving.remote_cloud.RemoteCloud` pointed at the tier above, which serves the same
OpenAI-compatible completions protocol as the cloud: `fedhybrid cloud serve --model <tier
model>` on the edge hub) with its own router rule, threshold and deadline:
- the hop answers the call; its answer is taken when its top-1 probability is at least the
  hop's `min_confidence` (the hop is sure enough), otherwise the call goes on to the next
  hop (the last hop's answer is always taken);
- a hop that is down, late (its `deadline_s` passed) or answers garbage raises
  `CloudUnavailable` and is skipped, and the next hop is asked. Only when every hop fails
  does the call fail (the decoder then keeps its own token), so a request never fails for
  a hop.
Time: the decoder's deadline is what the top of the chain (the cloud) gets per call; each
hub below it may spend its own `deadline_s` on top of that, so a call takes at most the
decoder's deadline plus the hubs' deadlines. Were the hubs to draw from the decoder's
deadline, one late hub (iot's is 0.5 s per call) would leave the cloud no time, and the
device would keep its own token: a late hub must be skipped, not end the escalation.
Per hop: calls made, answers taken, escalations past it, failures, calls skipped (refused by the
hop's client without contacting its server: a remote client's circuit breaker, open after
repeated failures; not calls made, so not in `calls`), tokens computed and their cost at the
hop's price per 1k tokens. A call every hop skipped reached no server: it raises `CloudSkipped`,
which the decoder counts apart from the calls made. The returned prediction names the tier that answered
(`tier`), whether that is the last hop (`authoritative`: only the last hop's answers teach
the correction cache, so a hub's guess never spreads through the fleet), the tokens the
last hop computed (`tokens_computed`: 0 when a hub answered) and the tokens each hub asked
on the way computed (`hub_computed`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from inference.cloud import Cloud, CloudPrediction, CloudSkipped, CloudUnavailable
from inference.errors import InferenceError


@dataclass(frozen=True)
class Hop:
    tier: str  # who answers: "edge", "client", "cloud", or any name
    cloud: Cloud
    min_confidence: float = 0.0  # take the answer when p(top-1) >= this; 0: always (a last hop)
    deadline_s: float = 1.0  # the most this hop may take per call
    price_per_1k: float = 0.0  # cost per 1,000 tokens the hop computes

    def __post_init__(self) -> None:
        if not self.tier:
            raise InferenceError("a hop needs a tier name")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise InferenceError(f"hop {self.tier}: min_confidence {self.min_confidence} must lie in [0, 1]")
        if self.deadline_s <= 0 or self.price_per_1k < 0:
            raise InferenceError(f"hop {self.tier}: deadline_s must be > 0 and price_per_1k >= 0")


@dataclass
class HopStats:
    calls: int = 0  # calls made (those that failed included)
    answered: int = 0  # calls whose answer was taken from this hop
    escalated: int = 0  # calls this hop answered unsure, passed to the next hop
    failed: int = 0  # calls made that failed (down, late or garbage): the next hop was asked
    skipped: int = 0  # calls its client refused without contacting it (breaker open): the next hop was asked
    tokens_computed: int = 0
    cost: float = 0.0
    failures: list[str] = field(default_factory=list)  # the last few reasons


class EscalationChain:
    """A `Cloud` that tries the hops in order (see the module docstring)."""

    def __init__(self, hops: Sequence[Hop]):
        if not hops:
            raise InferenceError("an escalation chain needs at least one hop")
        vocab = {h.cloud.vocab_size for h in hops}
        if len(vocab) != 1:
            raise InferenceError(f"the hops disagree on the vocabulary size ({sorted(vocab)}): every tier must "
                                 "share the device's tokenizer")
        self.hops = list(hops)
        self.vocab_size = vocab.pop()
        self.stats = {h.tier: HopStats() for h in self.hops}
        self.last_tier: str | None = None
        self._lock = threading.Lock()

    def predict(self, session: str, tokens: Sequence[int], verify_from: int, top_k: int,
                deadline_s: float) -> CloudPrediction:
        return self._through(self.hops, session, tokens, verify_from, top_k, deadline_s)

    def predict_authority(self, session: str, tokens: Sequence[int], verify_from: int, top_k: int,
                          deadline_s: float) -> CloudPrediction:
        """The top of the chain only (counted in its stats): for a call whose answer should teach
        the correction cache, which a hub's answer never does."""
        return self._through(self.hops[-1:], session, tokens, verify_from, top_k, deadline_s)

    def _through(self, hops: Sequence[Hop], session: str, tokens: Sequence[int], verify_from: int, top_k: int,
                 deadline_s: float) -> CloudPrediction:
        started = time.monotonic()
        budget = deadline_s + sum(h.deadline_s for h in hops[:-1])  # see the module doc: Time
        reasons = []
        hubs: list[tuple[str, int]] = []  # (tier, tokens computed) of the hubs asked before the answer
        contacted = False  # whether any hop's server was reached (else the call is skipped, not failed)
        for i, hop in enumerate(hops):
            remaining = budget - (time.monotonic() - started)
            if remaining <= 0:
                reasons.append(f"{hop.tier}: no time left")
                break
            stats = self.stats[hop.tier]
            last = i == len(hops) - 1
            try:
                # a hub answers the next token only: scoring earlier positions (observations,
                # verification, reward labels) is the top's job, and asking a hub for them would
                # make it recompute everything since the top's last call, every call
                prediction = hop.cloud.predict(session, tokens, verify_from if last else len(tokens), top_k,
                                               min(hop.deadline_s, remaining))
                if last and not prediction.top_ids:  # a hub may pass; the top must answer
                    raise CloudUnavailable("no answer")
            except CloudUnavailable as exc:
                with self._lock:
                    if isinstance(exc, CloudSkipped):  # its client refused it: no call was made
                        stats.skipped += 1
                    else:
                        contacted = True
                        stats.calls += 1
                        stats.failed += 1
                    # bounded (a summary keeps 5 per hop), and a cut one says so rather than ending mid-word
                    text = str(exc) if len(str(exc)) <= 320 else str(exc)[:317] + "..."
                    stats.failures = [*stats.failures[-4:], text]
                reasons.append(f"{hop.tier}: {exc}")
                continue
            sure = bool(prediction.top_logprobs) and math.exp(prediction.top_logprobs[0]) >= hop.min_confidence
            with self._lock:
                stats.calls += 1
                stats.tokens_computed += prediction.tokens_computed
                stats.cost += prediction.tokens_computed * hop.price_per_1k / 1000.0
                if sure or last:
                    stats.answered += 1
                    self.last_tier = hop.tier
                else:
                    stats.escalated += 1
            if last:
                return replace(prediction, tier=hop.tier, authoritative=True, hub_computed=tuple(hubs))
            hubs.append((hop.tier, prediction.tokens_computed))
            if sure:
                return replace(prediction, tier=hop.tier, authoritative=False, tokens_computed=0,
                               hub_computed=tuple(hubs))
        # every hop failed (or time ran out): the decoder keeps the device's own token
        if not contacted:  # no hop's server was reached: no call was made
            raise CloudSkipped("no hop was asked: " + "; ".join(reasons))
        raise CloudUnavailable("every hop failed: " + "; ".join(reasons))

    @property
    def authority(self) -> Cloud:
        """The top of the chain (its answers are the source of truth): where spot checks go."""
        return self.hops[-1].cloud

    def begin(self, session: str, prompt_ids: Sequence[int]) -> None:
        """Tell the hops that can use it (an in-process `TierHub`) the session's prompt."""
        for hop in self.hops:
            begin = getattr(hop.cloud, "begin", None)
            if begin is not None:
                begin(session, prompt_ids)

    def end_session(self, session: str) -> None:
        for hop in self.hops:
            hop.cloud.end_session(session)

    def close(self) -> None:
        for hop in self.hops:
            close = getattr(hop.cloud, "close", None)
            if close is not None:
                close()

    def summary(self) -> list[dict]:
        """Per hop, in order: calls (made), answered, escalated, failed, skipped, tokens computed,
        cost, and the reason of its last failure or skip (None if it never failed)."""
        with self._lock:
            return [{"tier": h.tier, **{k: v for k, v in vars(self.stats[h.tier]).items() if k != "failures"},
                     "last_failure": self.stats[h.tier].failures[-1] if self.stats[h.tier].failures else None}
                    for h in self.hops]
