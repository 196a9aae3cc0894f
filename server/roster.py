"""Which node id speaks for which configured device: the fleet as the server sees it between
rounds, kept up to date from the SuperLink's list of connected ids (see `NodeRoster`). No
Flower here: server/app.py lists the ids and asks the new ones who they are."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from server.errors import ServerError

if TYPE_CHECKING:  # strategies imports Flower, which this module does not need at run time
    from strategies.federated_lora import NodeInfo

log = logging.getLogger("fedhybrid.server")


# Flower 1.41 marks a SuperNode offline once it missed its heartbeats for 2 x 30 s
# (HEARTBEAT_PATIENCE x HEARTBEAT_DEFAULT_INTERVAL); measured on loopback, a SIGKILLed node's id
# stayed listed 50-53 s. An id still listed well past that after its device came back under
# another id is heartbeating: a second SuperNode runs under that device's name.
STALE_AFTER_S = 90.0
# A listed id that did not say who it is (a hung ClientApp, or a crashed node Flower still lists)
# held every round's refresh until the query's timeout (up to 120 s) when asked before each round:
# it is asked again after 60 s, then 120, 240, ... at most every 15 minutes. A restarted
# SuperNode comes back under a new id, which is asked at once.
RETRY_FIRST_S, RETRY_MAX_S = 60.0, 900.0


class NodeRoster:
    """Which node id speaks for which configured device, refreshed from the SuperLink's list of
    connected ids before each round (server/app.py asks the ids it never saw who they are).

    A restarted SuperNode registers under a new node id (without node authentication it makes a
    fresh key pair at every start, and Flower's id belongs to the key), while a crashed one's old
    id stays listed for up to a minute. So:
    - a device that answers under a new id replaces its old id (`rejoined`), or joins if it had none;
    - an id that is no longer listed leaves the sampling (logged once) until its device comes back;
    - an id claiming a device that is not in `fleet-tiers`, or another tier than the fleet gives
      that device, is left out for good (its SuperNode's node config cannot change without a restart,
      which brings a new id);
    - two new ids answering for one device: at discovery a `ServerError` (nothing ran yet); later
      neither is taken, and both are asked again at the next refresh.
    `nodes` holds exactly one id per device, so a device's reply is taken once per round and its
    deltas go through the ledger under its one name (each merged once, whichever id carried it).

    Only ids never identified are queried (`unknown`): the per-round cost for a fleet in steady
    state is the list itself. An id that was asked and did not answer is asked again only after a
    back-off (RETRY_FIRST_S, doubling up to RETRY_MAX_S), so one silent node does not hold every
    round's refresh for the query's timeout.
    """

    def __init__(self, fleet: dict[str, str], kinds: dict[str, tuple[str, int]],
                 clock: Callable[[], float] = time.monotonic, stale_after_s: float = STALE_AFTER_S):
        self.fleet = fleet  # device -> the tier fleet-tiers gives it
        self.kinds = kinds  # tier -> (model family, LoRA rank)
        self.clock, self.stale_after_s = clock, stale_after_s
        self.nodes: dict[int, NodeInfo] = {}  # the ids the rounds use: one per device
        self._holder: dict[str, int] = {}  # device -> its id in `nodes` (a scan per join was quadratic)
        self._known: dict[int, NodeInfo | None] = {}  # listed ids already identified (None: refused)
        self._last: dict[str, int] = {}  # device -> the id it last had (for the rejoin line)
        self._retired: dict[int, tuple[str, int, float]] = {}  # replaced id -> (device, its successor, when)
        self._reported: set = set()  # duplicate claims (device, ids) and live replaced ids already logged
        self._silent: dict[int, tuple[int, float]] = {}  # asked, no answer: id -> (misses, when to ask again)

    def unknown(self, listed: Iterable[int]) -> list[int]:
        """The listed ids to identify: those never identified (and not refused), but for ids that
        did not answer the last time, until their back-off has passed."""
        now = self.clock()
        return sorted(n for n in listed if n not in self._known and self._silent.get(n, (0, now))[1] <= now)

    def update(self, listed: Iterable[int], answers: dict[int, tuple[str, str]], discovery: bool = False,
               asked: Iterable[int] = ()) -> dict:
        """Apply one refresh: `listed` is every id the SuperLink lists now, `answers` maps each newly
        identified id to its (device, tier), `asked` the ids that were asked (those of them that did
        not answer back off). Returns the changes by device name (`joined`, `rejoined`, `left`; only
        non-empty lists), for the round's record. With `discovery` (the run's first look at the
        fleet) joins are not logged one by one (the caller logs a count).

        Raises:
            ServerError: at discovery, when two ids answer for one device.
        """
        listed = set(listed)
        changes: dict[str, list[str]] = {}
        for nid in sorted(set(self.nodes) - listed):
            info = self.nodes.pop(nid)
            del self._holder[info.device]
            changes.setdefault("left", []).append(info.device)
            log.warning("%s (node %d) is no longer connected: left out of the sampling until its SuperNode "
                        "connects again", info.device, nid)
        # forget ids no longer listed (bounded memory); a replaced id still listed stays known, so
        # a dead one is never queried (it would hold the refresh until the query's timeout)
        self._known = {n: info for n, info in self._known.items() if n in listed}
        self._check_retired(listed)
        self._back_off(listed, set(asked) - set(answers))
        claims: dict[str, list[int]] = {}
        for nid, (device, tier) in sorted(answers.items()):
            if nid not in listed or nid in self._known:
                continue
            if device not in self.fleet:
                self._known[nid] = None
                log.warning("node %d says it is device %r, which fleet-tiers does not have (devices %s..%s): left "
                            "out; give its SuperNode device=\"<tier>-<index>\" in --node-config", nid, device,
                            next(iter(self.fleet)), next(reversed(self.fleet)))
            elif tier != self.fleet[device]:
                self._known[nid] = None
                log.warning("node %d says it is %s of tier %r, but fleet-tiers makes %s a %s: left out; fix "
                            "tier= in its --node-config", nid, device, tier, device, self.fleet[device])
            else:
                claims.setdefault(device, []).append(nid)
        for device, ids in sorted(claims.items()):
            if len(ids) > 1:
                self._duplicate(device, ids, discovery)
                continue
            self._adopt(ids[0], device, changes, quiet=discovery)
        return changes

    def _back_off(self, listed: set[int], silent: set[int]) -> None:
        now = self.clock()
        self._silent = {n: entry for n, entry in self._silent.items() if n in listed and n not in self._known}
        for nid in sorted(silent & listed):
            misses = self._silent.get(nid, (0, now))[0] + 1
            wait = min(RETRY_FIRST_S * 2 ** (misses - 1), RETRY_MAX_S)
            self._silent[nid] = (misses, now + wait)
            log.info("node %d will be asked who it is again in %.0f s (%d unanswered)", nid, wait, misses)

    def _adopt(self, nid: int, device: str, changes: dict, quiet: bool) -> None:
        from strategies.federated_lora import NodeInfo

        tier = self.fleet[device]
        info = NodeInfo(nid, device, tier, *self.kinds[tier])
        self._known[nid] = info
        old = self._holder.get(device)
        if old is not None:  # its old id is still listed: a crash Flower has not noticed yet
            del self.nodes[old]
            self._retired[old] = (device, nid, self.clock())
        was = self._last.get(device) if old is None else old
        self.nodes[nid] = info
        self._holder[device] = self._last[device] = nid
        if was is None:
            changes.setdefault("joined", []).append(device)
            if not quiet:
                log.info("%s joined as node %d", device, nid)
        elif was == nid:  # listed again after it had left (its heartbeat came back)
            changes.setdefault("rejoined", []).append(device)
            log.info("%s is connected again as node %d", device, nid)
        else:
            changes.setdefault("rejoined", []).append(device)
            log.info("%s rejoined as node %d (was %d)", device, nid, was)

    def _duplicate(self, device: str, ids: list[int], discovery: bool) -> None:
        why = (f"nodes {', '.join(map(str, ids))} all answer as {device}: two SuperNodes run under one device "
               "name; stop one, or give each its own device= in --node-config")
        if discovery:  # nothing ran yet: the operator fixes the node configs and starts again
            raise ServerError(why)
        if (device, tuple(ids)) not in self._reported:
            self._reported.add((device, tuple(ids)))
            current = self._holder.get(device)
            log.error("%s; neither is taken (the rounds keep %s) and both are asked again before the next round",
                      why, "no node for it" if current is None else f"node {current}")

    def _check_retired(self, listed: set[int]) -> None:
        now = self.clock()
        for old, (device, new, since) in list(self._retired.items()):
            if old not in listed:
                del self._retired[old]
            elif now - since > self.stale_after_s and old not in self._reported:
                self._reported.add(old)
                log.error("node %d, which %s had before it rejoined as node %d, is still connected %.0f s later: "
                          "a crashed SuperNode leaves the list within a minute, so two SuperNodes run as %s; stop "
                          "one, or give each its own device= in --node-config", old, device, new, now - since,
                          device)
