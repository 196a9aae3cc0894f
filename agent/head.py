"""The fleet's reward head on a device agent (the server's federated-head=true).

Between rounds the agent labels the tokens it serves (inference/reward_labels.py: the cloud's
scores of the tokens it already saw, plus a spot check of a request's unscored tail with the
round's exploration rate, Horvitz-Thompson weighted); each request's labels join one store.
When a round brings the family's head, the agent fine-tunes it on the store (agent/sync.py),
sends the result back, and routes with the fleet's head from then on. The head is kept in the
journal (blob `reward-head`), so a restarted agent routes with the fleet's head, not the zoo's.

A request's `target_cloud_share` needs a map from share to tau for the head that routes it: the
zoo's head has its calibration table, the fleet's has none. So when a round installs the fleet's
head, the agent scores the tokens it routed since the last round with it and keeps the score
histogram (in the same blob): tau for a share is then where that share of this agent's own
routed tokens scores below -tau (`threshold_for`, the rule the server's per-tier recalibration uses).

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
import numpy as np

from agent.errors import AgentError
from agent.journal import Journal
from cache_sync.errors import DECODE_ERRORS
from inference.errors import InferenceError
from inference.reward_head import RewardHead, config_of_arrays, head_from_arrays, unpack_head
from inference.reward_labels import HIST_EDGES, LabelCollector, LabelConfig, Labels, routed_histogram, threshold_for

log = logging.getLogger("fedhybrid.agent")
BLOB = "reward-head"
MAX_LABEL_ROWS = 20_000  # labelled and routed rows kept between rounds (~1.6 KB each at d=384)


class FleetHead:
    """The head this agent routes with and the labels it collects for the fleet's."""

    def __init__(self, journal: Journal, device: str, own: RewardHead | None):
        self.journal, self.device = journal, device
        self.head = own  # the zoo's calibrated head (None without one) until a round brings the fleet's
        self.version = 0  # round of the installed fleet head (0: none)
        self.hist: np.ndarray | None = None  # the installed fleet head's scores on our routed tokens
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
            head, explore = self._build(raw["head"]), float(raw["explore"])
            hist = _histogram(raw.get("hist"))  # absent in blobs of before the histogram
            self._use(head, explore, blob[1])
            self.hist = hist
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

    def install(self, data: bytes, explore: float, round_: int) -> tuple[RewardHead, Labels]:
        """Route with the round's head from now on and collect labels at its exploration rate;
        persisted first. Ends the labelling period: returns the head and the labels since the last
        round, whose routed tokens the new head scores for `tau_for_share` (the histogram is kept
        in the same blob). InferenceError (nothing changed, no label taken) when the bytes are not a
        head that fits."""
        if not 0.0 <= explore <= 1.0:
            raise InferenceError(f"explore={explore} must lie in [0, 1]")
        head = self._build(data)  # refused before anything is written
        labels = self.take()
        hist = routed_histogram(head, labels)
        raw = {"head": data, "explore": float(explore), **({"hist": hist} if hist is not None else {})}
        self.journal.put_blobs({BLOB: (msgpack.packb(raw, use_bin_type=True), round_)})
        self.hist = None if hist is None else np.asarray(hist, dtype=np.float64)
        return self._use(head, explore, round_), labels

    def tau_for_share(self, share: float) -> float | None:
        """tau at which `share` of the tokens this agent routed between the last two rounds would
        escalate under the installed fleet head (None: no histogram: none were routed)."""
        return None if self.hist is None else threshold_for(self.hist, share)

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


def _histogram(raw) -> np.ndarray | None:
    """A kept score histogram (None when absent); AgentError when it is not one of HIST_EDGES' bins."""
    if raw is None:
        return None
    try:
        hist = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AgentError(f"the kept score histogram is not numbers ({exc})") from exc
    if hist.shape != (len(HIST_EDGES) - 1,) or not np.isfinite(hist).all() or (hist < 0).any():
        raise AgentError(f"the kept score histogram has shape {hist.shape} or values outside [0, inf)")
    return hist
