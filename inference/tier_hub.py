"""An upper-tier device as the next hop of the tiers below it: its fleet cache first, then its model.

The hierarchy (docs/design.md, "The tier hierarchy"): an IoT device escalates to the edge
hub near it, the edge to a client-tier device, and only what none of them answers reaches
the cloud. A hub answers a lower device's escalation in two steps:
1. its correction cache, restricted to what the server *released* to it (entries that
   enough distinct devices saw): a hit costs no model pass and no cloud call, and answers
   with certainty (log-probability 0). The hub's own local entries are never consulted for
   another device: they come from the hub's users' private text;
2. otherwise its model, when it has one worth asking (a hub running the same model as the
   devices below it is a cache-only hop: it answers nothing on a miss, and the chain asks
   the next hop).
The chain (`inference.escalation`) takes a hub's answer when it is sure enough and never
records it as a correction: only the top of the chain teaches the caches.

Anchored entries (a recurring prompt's own continuation) need the prompt's boundary, which
the cloud protocol does not carry: `begin(session, prompt_ids)` tells an in-process hub;
without it the hub serves from the cross-prompt entries only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace

from inference.cloud import Cloud, CloudPrediction
from inference.device_cache import DeviceCache
from inference.errors import InferenceError


class TierHub:
    """A `Cloud` answering from a released correction cache, then (optionally) a model."""

    def __init__(self, cache: DeviceCache | None, model: Cloud | None = None, vocab_size: int | None = None,
                 max_sessions: int = 256):
        if cache is None and model is None:
            raise InferenceError("a tier hub needs a cache, a model, or both")
        if model is None and vocab_size is None:
            raise InferenceError("a cache-only tier hub needs the vocabulary size of the fleet's tokenizer")
        if cache is not None and len(cache.local):  # a copy that holds the released table only
            released = DeviceCache(cache.header, cache.device_id, cache.rule, budget=cache.budget,
                                   max_order=cache.max_order, frozen=True)
            released.released, released.round = cache.released, cache.round
            cache = released
        self.cache, self.model = cache, model
        self.vocab_size = int(model.vocab_size if model is not None else vocab_size)
        self._anchors: OrderedDict[str, int] = OrderedDict()  # session -> prompt anchor
        self._max_sessions = max_sessions
        self._lock = threading.Lock()  # the cache's automata hold one match state
        self.cache_answers = 0
        self.model_answers = 0
        self.misses = 0  # cache-only hub: calls it could not answer

    def begin(self, session: str, prompt_ids: Sequence[int]) -> None:
        """Name the prompt of `session` so the hub's entries anchored to it may serve."""
        if self.cache is None:
            return
        with self._lock:
            self._anchors[session] = self.cache.anchor_of(list(prompt_ids))
            self._anchors.move_to_end(session)
            while len(self._anchors) > self._max_sessions:
                self._anchors.popitem(last=False)

    def lookup(self, tokens: Sequence[int], session: str | None = None) -> int | None:
        """The token the hub's released cache serves after `tokens`, or None."""
        if self.cache is None:
            return None
        with self._lock:
            anchor = self._anchors.get(session) if session is not None else None
            self.cache.begin(list(tokens), track=False, anchor=anchor)
            return self.cache.serve()

    def predict(self, session: str, tokens: Sequence[int], verify_from: int, top_k: int,
                deadline_s: float) -> CloudPrediction:
        token = self.lookup(tokens, session)
        if token is not None and (verify_from >= len(tokens) or self.model is None):
            self.cache_answers += 1
            return CloudPrediction([token], [0.0], len(tokens), [], 0)
        if self.model is None:  # a cache-only hop with nothing to say: the chain goes on
            self.misses += 1
            return CloudPrediction([], [], len(tokens), [], 0)
        prediction = self.model.predict(session, tokens, verify_from, top_k, deadline_s)
        if token is None:
            self.model_answers += 1
            return prediction
        # the cache decides the next token; the model's pass still scores the earlier positions
        self.cache_answers += 1
        others = [(t, lp) for t, lp in zip(prediction.top_ids, prediction.top_logprobs) if t != token]
        return replace(prediction, top_ids=[token] + [t for t, _ in others][: top_k - 1],
                       top_logprobs=[0.0] + [lp for _, lp in others][: top_k - 1])

    def end_session(self, session: str) -> None:
        with self._lock:
            self._anchors.pop(session, None)
        if self.model is not None:
            self.model.end_session(session)

    def close(self) -> None:
        close = getattr(self.model, "close", None)
        if close is not None:
            close()
