"""Versioned views of a released cache, and the diffs devices download.

The server publishes, per tier, a view of the released table (that tier's budget and
n-gram orders). Every entry of a view carries the version at which its values last
changed; keys that left the view leave a tombstone with the version of their removal.
A device at version v downloads `diff(v)`: entries changed after v plus tombstones
after v. Applying a diff is an upsert followed by deletions, so a device that missed
any number of rounds catches up with one diff, and re-applying a diff changes nothing.
Tombstones are kept for the last TOMBSTONE_VERSIONS versions: a device further behind, or
at a version the view never had, gets the whole view flagged `full`, which replaces its
table instead of being merged into it.

An update names the tier whose view it is: signed with it, that name keeps a relay (a hub
handing the server's updates down the hierarchy, agent/relay.py) from passing one tier's
view off as another's. `relayed()` is what a hub keeps for the devices of one view.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgpack
import numpy as np

from cache_sync.canonical import canonical_order, key_hash, key_words, take
from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.errors import DECODE_ERRORS, CacheError


@dataclass(frozen=True)
class CacheUpdate:
    """What a device downloads: changes between `base_version` and `version`."""

    base_version: int
    version: int
    upserts: CountTable
    removed: CountTable  # keys only (values unused)
    full: bool = False  # a whole view that replaces the device's table (it was too far behind)
    tier: str = ""  # the tier whose view this is ("": unnamed, as updates were before relays)

    def to_bytes(self) -> bytes:
        raw = {"base": self.base_version, "version": self.version,
               "upserts": self.upserts.to_bytes(), "removed": self.removed.to_bytes()}
        if self.full:  # absent otherwise: the bytes (and signatures) of diffs are as before
            raw["full"] = True
        if self.tier:
            raw["tier"] = self.tier
        return msgpack.packb(raw, use_bin_type=True)

    @staticmethod
    def from_bytes(data: bytes, expect: CacheHeader | None = None) -> CacheUpdate:
        try:
            raw = msgpack.unpackb(data, raw=False, strict_map_key=True)
            base, version = int(raw["base"]), int(raw["version"])
            upserts, removed = raw["upserts"], raw["removed"]
            full, tier = raw.get("full", False), raw.get("tier", "")
        except DECODE_ERRORS as exc:
            raise CacheError(f"not a cache update ({type(exc).__name__}: {exc})") from exc
        if (not isinstance(upserts, bytes) or not isinstance(removed, bytes) or not 0 <= base <= version
                or not isinstance(full, bool) or not isinstance(tier, str) or len(tier) > 32):
            raise CacheError("cache update fields are malformed")
        return CacheUpdate(base, version, CountTable.from_bytes(upserts, expect),
                           CountTable.from_bytes(removed, expect), full, tier)

    def apply_to(self, table: CountTable) -> CountTable:
        """The device's released table after this update."""
        if self.full:
            return self.upserts
        out = table.upsert(self.upserts)
        if len(self.removed) and len(out):
            gone = _member(out.entries, self.removed.entries)
            out = out.select(~gone)
        return out


def _canonical(entries: np.ndarray) -> np.ndarray:
    return canonical_order(entries)[0] if len(entries) else np.zeros(0, dtype=np.int64)


def _match(entries: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(found mask, index into reference) for each entry's (ctx, next) key."""
    if not len(entries) or not len(reference):
        return np.zeros(len(entries), dtype=bool), np.zeros(len(entries), dtype=np.int64)
    ref_h = key_hash(reference)
    order = np.argsort(ref_h, kind="stable")
    sorted_h = ref_h[order]
    h = key_hash(entries)
    pos = np.minimum(np.searchsorted(sorted_h, h), len(sorted_h) - 1)
    index = order[pos]
    found = sorted_h[pos] == h
    if found.any():  # confirm with the full key (hash collisions)
        found[found] = (key_words(entries[found]) == key_words(take(reference, index[found]))).all(axis=1)
    return found, index


def _member(entries: np.ndarray, probe: np.ndarray) -> np.ndarray:
    if not len(entries) or not len(probe):
        return np.zeros(len(entries), dtype=bool)
    both = np.concatenate([entries, probe])
    _, inverse = np.unique(key_words(both), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    return np.isin(inverse[: len(entries)], inverse[len(entries):])


TOMBSTONE_VERSIONS = 16  # removals remembered per view; a device further behind gets the whole view


class VersionedView:
    """One tier's released view with per-entry versions and tombstones.

    Tombstones are kept for the last `TOMBSTONE_VERSIONS` versions only, so the view does not
    grow with every key that ever left it; a device older than that (`horizon`), or at a
    version this view never had, gets the whole view as a replacing update instead of a diff.
    """

    def __init__(self, header: CacheHeader):
        self.header = header
        self.horizon = 0  # tombstones of versions <= horizon were dropped
        self.version = 0
        self.table = CountTable(header)
        self.changed = np.zeros(0, dtype=np.int64)  # per entry of `table`
        self.tombstones = CountTable(header)
        self.tomb_versions = np.zeros(0, dtype=np.int64)

    def publish(self, new: CountTable) -> int:
        """Make `new` the current view; returns the new version (unchanged if nothing changed)."""
        self.header.check_compatible(new.header, "published view")
        old = self.table
        version = self.version + 1
        # both tables are in canonical key-hash order: match keys by binary search
        in_old, old_index = _match(new.entries, old.entries)
        same_values = np.zeros(len(new), dtype=bool)
        if in_old.any():
            width = new.entries.dtype.itemsize
            a = new.entries[in_old].view(f"V{width}")
            b = take(old.entries, old_index[in_old]).view(f"V{width}")
            same_values[np.flatnonzero(in_old)] = a == b
        changed = np.full(len(new), version, dtype=np.int64)
        changed[same_values] = self.changed[old_index[same_values]]
        still_there, _ = _match(old.entries, new.entries)
        removed = old.select(~still_there)
        if not len(removed) and same_values.all():
            return self.version  # nothing changed: no new version
        # tombstones: drop keys that are back, add the newly removed ones
        back, _ = _match(self.tombstones.entries, new.entries)
        tomb = np.concatenate([self.tombstones.entries[~back], removed.entries])
        versions = np.concatenate([self.tomb_versions[~back], np.full(len(removed), version, dtype=np.int64)])
        horizon = max(self.horizon, version - TOMBSTONE_VERSIONS)
        recent = versions > horizon
        tomb, versions = tomb[recent], versions[recent]
        order = _canonical(tomb)
        self.tombstones = CountTable(self.header, take(tomb, order), _canonical=True)
        self.tomb_versions = versions[order]
        self.table, self.changed, self.version, self.horizon = new, changed, version, horizon
        return version

    def diff(self, since: int, tier: str = "") -> CacheUpdate:
        """Everything a device at version `since` needs to reach the current version (named
        as the view of `tier`)."""
        # a device ahead of us holds a table of another run (no tombstone says what to drop from
        # it), one older than the horizon missed removals that are forgotten: replace its table
        if since > self.version or 0 < since < self.horizon:
            return self.whole(tier)
        upserts = self.table.select(self.changed > since)
        removed = self.tombstones.select(self.tomb_versions > since) if since > 0 else CountTable(self.header)
        return CacheUpdate(since, self.version, upserts, removed, tier=tier)

    def whole(self, tier: str = "") -> CacheUpdate:
        """The whole view as an update that replaces a device's table, whatever it held."""
        return CacheUpdate(0, self.version, self.table, CountTable(self.header), full=True, tier=tier)

    def relayed(self, tier: str) -> list[CacheUpdate]:
        """What a hub keeps for the devices of this view (named `tier`), whatever version they
        hold: the step diff from the previous version (a device one version behind, the common
        case between rounds) and the whole view (any device further behind, or new). Nothing
        before the first version."""
        if self.version == 0:
            return []
        step = [self.diff(self.version - 1, tier)] if self.version >= 2 else []  # diff(0) would lack removals
        return [*step, self.whole(tier)]

    # -- persistence -------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        raw = {"version": self.version, "table": self.table.to_bytes(),
               "changed": self.changed.astype(np.int64).tobytes(),
               "tombstones": self.tombstones.to_bytes(),
               "tomb_versions": self.tomb_versions.astype(np.int64).tobytes()}
        if self.horizon:  # absent until tombstones were first dropped (older state files read as 0)
            raw["horizon"] = self.horizon
        return msgpack.packb(raw, use_bin_type=True)

    @staticmethod
    def from_bytes(data: bytes, header: CacheHeader) -> VersionedView:
        try:
            raw = msgpack.unpackb(data, raw=False)
            view = VersionedView(header)
            view.version = int(raw["version"])
            view.table = CountTable.from_bytes(raw["table"], header)
            view.changed = np.frombuffer(raw["changed"], dtype=np.int64).copy()
            view.tombstones = CountTable.from_bytes(raw["tombstones"], header)
            view.tomb_versions = np.frombuffer(raw["tomb_versions"], dtype=np.int64).copy()
            view.horizon = int(raw.get("horizon", 0))
        except CacheError:
            raise
        except DECODE_ERRORS as exc:
            raise CacheError(f"not a versioned view ({type(exc).__name__}: {exc})") from exc
        if len(view.changed) != len(view.table) or len(view.tomb_versions) != len(view.tombstones):
            raise CacheError("versioned view is inconsistent (version arrays do not match tables)")
        return view
