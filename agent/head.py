"""The fleet's reward head on a device agent (the server's federated-head=true).

Between rounds the agent labels the tokens it serves (inference/reward_labels.py: the cloud's
scores of the tokens it already saw, plus a spot check of a request's unscored tail with the
round's exploration rate, Horvitz-Thompson weighted); each request's labels join one store.
When a round brings the family's head, the agent fine-tunes it on the store (agent/sync.py),
sends the result back, and routes with the fleet's head from then on. The head is kept in the
journal (blob `reward-head`), so a restarted agent routes with the fleet's head, not the zoo's.

What is not kept: the labels themselves (in memory, the newest `MAX_LABEL_ROWS`): a restart
loses the labels since the last round, never a request or a correction. Requests a user
marked local-only make no cloud call, hence no labels; only the head's weights leave the
device, averaged with the tier's others by the server.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

import msgpack

from agent.errors import AgentError
from agent.journal import Journal
from cache_sync.errors import DECODE_ERRORS
from inference.errors import InferenceError
from inference.reward_head import RewardHead, config_of_arrays, head_from_arrays, unpack_head
from inference.reward_labels import LabelCollector, LabelConfig, Labels

log = logging.getLogger("fedhybrid.agent")
BLOB = "reward-head"
MAX_LABEL_ROWS = 20_000  # labelled and routed rows kept between rounds (~1.6 KB each at d=384)


class FleetHead:
    """The head this agent routes with and the labels it collects for the fleet's."""

    def __init__(self, journal: Journal, device: str, own: RewardHead | None):
        self.journal, self.device = journal, device
        self.head = own  # the zoo's calibrated head (None without one) until a round brings the fleet's
        self.version = 0  # round of the installed fleet head (0: none)
        self.label_cfg: LabelConfig | None = None  # labels are collected once a round asked for them
        self._labels = Labels()
        self._lock = threading.Lock()  # the worker adds a request's labels, the round takes them
        self._restore()

    def _restore(self) -> None:
        try:
            blob = self.journal.blob(BLOB)
            if blob is None:
                return
            raw = msgpack.unpackb(blob[0], raw=False)
            self._use(self._build(raw["head"]), float(raw["explore"]), blob[1])
        except (AgentError, InferenceError, KeyError, TypeError, *DECODE_ERRORS) as exc:
            log.error("%s: the installed fleet reward head is damaged (%s); routing with the zoo's until the "
                      "next round brings one", self.device, exc)

    def _build(self, data: bytes) -> RewardHead:
        """The head these bytes hold, shaped like ours (or like the bytes when we have none);
        InferenceError when they are not a head or do not fit this device's model."""
        arrays = unpack_head(data)
        return head_from_arrays(self.head.cfg if self.head is not None else config_of_arrays(arrays), arrays)

    def _use(self, head: RewardHead, explore: float, round_: int) -> RewardHead:
        self.head, self.version = head, round_
        self.label_cfg = LabelConfig(top_k=head.cfg.top_k, explore=explore, floor=head.cfg.label_floor)
        return head

    def install(self, data: bytes, explore: float, round_: int) -> RewardHead:
        """Route with the round's head from now on and collect labels at its exploration rate;
        persisted first. InferenceError (nothing changed) when the bytes are not a head that fits."""
        if not 0.0 <= explore <= 1.0:
            raise InferenceError(f"explore={explore} must lie in [0, 1]")
        head = self._build(data)  # refused before anything is written
        self.journal.put_blobs({BLOB: (msgpack.packb({"head": data, "explore": float(explore)}, use_bin_type=True),
                                       round_)})
        return self._use(head, explore, round_)

    def collector(self, seed: int) -> LabelCollector | None:
        """A request's label collector (None until a round asked for labels)."""
        cfg = self.label_cfg
        return None if cfg is None else LabelCollector(replace(cfg, seed=seed))

    def keep(self, collector: LabelCollector) -> None:
        """A finished request's labels join the store (the oldest beyond MAX_LABEL_ROWS go)."""
        labels = collector.take()
        with self._lock:
            self._labels.extend(labels, MAX_LABEL_ROWS)

    def take(self) -> Labels:
        """Every label since the last call (then forgotten here)."""
        with self._lock:
            out, self._labels = self._labels, Labels()
        return out

    def pending(self) -> int:
        with self._lock:
            return len(self._labels)
