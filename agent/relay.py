"""The server's cache updates relayed down the tier hierarchy: a hub keeps them, a device below
fetches them between rounds.

With the federation's `relay` on, the server adds to an upper-tier device's round the signed
updates of the tier directly below it (client -> edge, edge -> iot): the step diff from that
view's previous version and the whole view (`VersionedView.relayed`), each signed by the
server exactly as a device's own update and naming its tier inside the signed bytes.

The hub (`RelayStore`, fed by `agent.sync`) checks each with the server's key, keeps the
newest version's bytes per tier in its journal (a restart serves them again) and hands them
out unchanged at `GET /relay/v1/updates?tier=T&since=V` (`agent.app`; the OpenAI API's
`--api-key`, when set): the step diff to a device at the version before, the whole view to a
device further behind, nothing (204) to a device that is current.

A device below (`RelayPoller`, `device serve --relay-url`) asks its hub every interval with
its tier and version, and installs an update only when, in this order: the server's
signature verifies (a relay that alters one byte, or signs with another key, fails here),
the signed header and the payload name the same version, the tables match the device's
header (tokenizer hash, vocabulary, orders), the update names the device's own tier, it is
newer than the version the device asked from (else a replay), it applies to the version the
device holds, and the result fits the tier's cache budget and n-gram orders. It installs
through `AgentEngine.install` (a swap: requests in flight finish on the old version) under
the agent's install lock, after checking again that nothing newer arrived meanwhile: a round
that brings a newer version directly wins, and versions only move forward through a relay.
A refused update is logged with its reason and counted (`relay_refused_total` on /metrics),
and the device keeps serving the cache it has. A hub that is down or answers an error is
counted (`relay_failed_total`) and asked again at the next interval; requests never wait
for it.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import Counter
from dataclasses import dataclass, replace

import httpx
import msgpack

from agent.config import RelayConfig
from agent.errors import AgentError
from agent.wire import MAX_MESSAGE
from cache_sync.envelope import verify_update
from cache_sync.errors import DECODE_ERRORS, CacheError
from cache_sync.versioned import CacheUpdate
from inference.tier_profile import TIERS

log = logging.getLogger("fedhybrid.agent")
ROUTE = "/relay/v1/updates"
RELAY_TIERS = TIERS[1:]  # the device tiers a hub may hold updates of (its journal blobs)
# the server relays a tier's updates through the agents of the tier just above (client -> edge -> iot)
TIER_BELOW = dict(itertools.pairwise(RELAY_TIERS))
TIER_ABOVE = {below: above for above, below in TIER_BELOW.items()}


class RelayRefused(AgentError):
    """A relayed update this device will not install; `reason` is the check that failed."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class RelayRejected(AgentError):
    """The hub answered and refused the poll itself (4xx): a wrong key or URL, not an outage."""


@dataclass(frozen=True)
class _Held:
    """The newest version a hub holds for one tier below: the signed step diff and whole view."""

    version: int
    base: int  # the step diff's base version (0: no diff held)
    diff: bytes | None
    full: bytes | None

    def pick(self, since: int) -> bytes | None:
        if since >= self.version:
            return None
        if self.diff is not None and 1 <= self.base <= since:
            return self.diff
        return self.full


class RelayStore:
    """A hub's relayed updates, by tier below: checked on arrival, durable, served as they came."""

    def __init__(self, engine, channel=None):
        self.engine, self.channel = engine, channel
        self._held: dict[str, _Held] = {}
        self._warned = False
        for tier in RELAY_TIERS:
            try:
                blob = engine.journal.blob(f"relay/{tier}")
                if blob is not None:
                    raw = msgpack.unpackb(blob[0], raw=False)
                    held = _Held(blob[1], int(raw["base"]), raw["diff"], raw["full"])
                    if not all(isinstance(b, (bytes, type(None))) for b in (held.diff, held.full)):
                        raise TypeError("its updates are not bytes")
                    self._held[tier] = held
            except DECODE_ERRORS as exc:  # AgentError (a failed checksum) is a ValueError too
                log.error("%s: the relayed updates kept for %s are damaged (%s); the next round brings them "
                          "again", engine.cfg.device, tier, exc)

    def versions(self) -> dict[str, int]:
        return {tier: held.version for tier, held in self._held.items()}

    def keep(self, signed: list[bytes], round_: int) -> None:
        """Keep what a round relays: per tier, its newest version's updates replace what was held
        (the server is the hub's authority; it is the devices below that only move forward).
        An update that does not verify with the server's key is logged and dropped."""
        if self.channel is None:
            if not self._warned:
                log.warning("%s: the server relays updates for the tiers below, but without --key-dir this hub "
                            "cannot check them: not kept", self.engine.cfg.device)
                self._warned = True
            return
        newest: dict[str, _Held] = {}
        for data in signed:
            try:
                version, payload = verify_update(data, self.channel.server_key, expect_round=round_)
                update = CacheUpdate.from_bytes(payload, self.engine.header)
                if update.tier not in RELAY_TIERS or update.version != version:
                    raise CacheError(f"it names tier {update.tier!r} and versions {update.version}/{version}")
            except CacheError as exc:
                log.warning("%s: relayed update of round %d dropped (%s)", self.engine.cfg.device, round_,
                            getattr(exc, "reason", exc))
                continue
            held = newest.get(update.tier)
            if held is None or update.version > held.version:
                held = _Held(update.version, 0, None, None)
            if update.version == held.version:
                held = replace(held, full=data) if update.full else replace(held, base=update.base_version, diff=data)
            newest[update.tier] = held
        changed = {tier: held for tier, held in newest.items()
                   if tier not in self._held or self._held[tier].version != held.version}
        if changed:  # durable first, then served
            self.engine.journal.put_blobs({
                f"relay/{tier}": (msgpack.packb({"base": h.base, "diff": h.diff, "full": h.full}, use_bin_type=True),
                                  h.version) for tier, h in changed.items()})
            self._held.update(changed)

    def pick(self, tier: str, since: int) -> bytes | None:
        """The signed update a device of `tier` at version `since` needs; None when it is current."""
        held = self._held.get(tier)
        return None if held is None else held.pick(since)


class RelayPoller:
    """A device's line to its hub: fetch, verify, install; on a thread of its own between rounds."""

    def __init__(self, engine, install_lock: threading.Lock, server_key, cfg: RelayConfig,
                 transport: httpx.BaseTransport | None = None):
        self.engine, self.lock, self.server_key, self.cfg = engine, install_lock, server_key, cfg
        headers = {"Authorization": f"Bearer {cfg.api_key}"} if cfg.api_key else {}
        self.client = httpx.Client(base_url=cfg.url.rstrip("/"), headers=headers, timeout=cfg.timeout_s,
                                   transport=transport)
        self.counts: Counter[str] = Counter()  # installed, current, refused, failed (and refused:<reason>)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._down = False
        engine.gauge_sources.append(self.gauges)

    def gauges(self) -> dict[str, tuple[float, str]]:
        return {"relay_installs_total": (self.counts["installed"], "relayed cache updates installed"),
                "relay_refused_total": (self.counts["refused"], "relayed cache updates refused (the log says why)"),
                "relay_failed_total": (self.counts["failed"], "polls of the hub that failed (down or an error)")}

    # -- the thread -----------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"relay-{self.engine.cfg.device}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(self.cfg.interval_s)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.cfg.timeout_s + 5)
        self.client.close()

    # -- one poll -------------------------------------------------------------------------------------
    def poll_once(self) -> str:
        """Ask the hub once; returns what happened: installed, current, refused or failed."""
        device, since = self.engine.cfg.device, self.engine.cache_version
        try:
            signed = self._fetch(since)
        except (httpx.HTTPError, AgentError) as exc:
            if not self._down:  # once per outage, not once per interval
                what = "refuses this device's polls" if isinstance(exc, RelayRejected) else "is not answering"
                log.warning("%s: relay hub %s %s (%s); asking again every %.0f s", device,
                            self.cfg.url, what, exc, self.cfg.interval_s)
            self._down = True
            self.counts["failed"] += 1
            return "failed"
        if self._down:
            log.info("%s: relay hub %s answers again", device, self.cfg.url)
            self._down = False
        outcome = "current"
        if signed is not None:
            try:
                update = self._verified(signed, since)
                with self.lock:  # rounds and admin installs take it too: one install at a time
                    outcome = self._install(update)
            except RelayRefused as exc:
                self.counts[f"refused:{exc.reason}"] += 1
                log.warning("%s: relayed update from %s refused (%s); keeping cache version %d", device,
                            self.cfg.url, exc, self.engine.cache_version)
                outcome = "refused"
            except (AgentError, CacheError, OSError) as exc:
                log.error("%s: relayed update from %s could not be installed (%s); keeping cache version %d",
                          device, self.cfg.url, exc, self.engine.cache_version)
                outcome = "refused"
            if outcome == "installed":
                log.info("%s: installed relayed cache version %d from %s", device, self.engine.cache_version,
                         self.cfg.url)
        self.counts[outcome] += 1
        return outcome

    def _fetch(self, since: int) -> bytes | None:
        """The hub's update for our tier after `since` (None: nothing newer), at most MAX_MESSAGE bytes."""
        params = {"tier": self.engine.cfg.profile.tier, "since": since}
        with self.client.stream("GET", ROUTE, params=params) as resp:
            if resp.status_code == 204:
                return None
            if 400 <= resp.status_code < 500:  # the hub is up and says no: name what it said and the fix
                resp.read()
                try:
                    said = str(resp.json()["error"]["message"])[:200]
                except (ValueError, KeyError, TypeError):
                    said = resp.text[:200]
                fix = ("give --relay-api-key the hub's --api-key" if resp.status_code in (401, 403) else
                       "check --relay-url: a device agent hub's root URL, the hub in a run with relay=true")
                raise RelayRejected(f"it answered {resp.status_code} to {ROUTE}: {said}; {fix}")
            if resp.status_code != 200:
                raise AgentError(f"it answered {resp.status_code} to {ROUTE}")
            body = bytearray()
            for chunk in resp.iter_bytes():
                body += chunk
                if len(body) > MAX_MESSAGE:
                    raise AgentError(f"its answer is over {MAX_MESSAGE} bytes")
        return bytes(body)

    def _verified(self, signed: bytes, since: int) -> CacheUpdate:
        """The update, if the server made it for this device's tier and it is newer than `since`."""
        engine = self.engine
        try:
            version, payload = verify_update(signed, self.server_key)
        except CacheError as exc:
            raise RelayRefused("signature", getattr(exc, "reason", str(exc))) from exc
        try:
            update = CacheUpdate.from_bytes(payload, engine.header)
        except CacheError as exc:
            raise RelayRefused("header", str(exc)) from exc
        if update.version != version:
            raise RelayRefused("header", f"signed as version {version}, holds version {update.version}")
        tier = engine.cfg.profile.tier
        if update.tier != tier:
            raise RelayRefused("tier", f"the view of tier {update.tier or '(unnamed)'!r}, this device is {tier!r}")
        if update.version <= since:
            raise RelayRefused("replay", f"version {update.version} is not newer than version {since} asked from")
        return update

    def _install(self, update: CacheUpdate) -> str:
        """Install `update` over the current version (the caller holds the install lock)."""
        engine, profile = self.engine, self.engine.cfg.profile
        current = engine.cache_version
        if update.version <= current:
            return "current"  # a round installed it (or newer) while we fetched: it wins
        # a diff from base 0 holds no removals: it fits only an empty table (relays never send one)
        if not update.full and not (1 <= update.base_version <= current or update.base_version == current == 0):
            raise RelayRefused("base", f"a diff from version {update.base_version} does not apply to version "
                                       f"{current}")
        table = update.apply_to(engine.released)
        max_order = int(table.orders.max()) if len(table) else 0
        if (profile.cache_budget is not None and len(table) > profile.cache_budget) or \
                max_order > profile.ngram_orders[1]:
            raise RelayRefused("budget", f"{len(table)} entries up to order {max_order}: over the {profile.tier} "
                                         f"budget of {profile.cache_budget} entries up to order "
                                         f"{profile.ngram_orders[1]}")
        engine.install(None, engine.adapter_version, table, update.version, engine.round)
        return "installed"
