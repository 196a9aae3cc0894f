"""The ledger of an aggregate: which (device, sequence) deltas it holds, as runs per device.

A device numbers its deltas 1, 2, 3, ... and re-sends each until the server confirms it
(at-least-once upload), so what a server has merged is, per device, one run of consecutive
sequence numbers with at most a few holes (a delta lost with its device's disk, a device
that skipped numbers). Kept as a set of pairs, the ledger grew by one tuple per device and
round forever: 100,000 devices after 100 rounds held 10 M tuples in memory, in every
snapshot and in every `acked` lookup. Kept as sorted, disjoint, non-adjacent runs it holds
one run per device plus one per hole, whatever the number of rounds, and answers the same
questions: membership (is this re-sent delta a duplicate?), inclusion and overlap (may two
aggregates be merged?), union, and a device's latest numbers (what the server confirms).

A `Ledger` is immutable; its runs are canonical, so two ledgers holding the same pairs are
equal and serialize to the same bytes.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping

from cache_sync.errors import CacheError

Run = tuple[int, int]  # (first, last), both included


def _coalesce(runs: Iterable[Run]) -> tuple[Run, ...]:
    """Sorted, disjoint, non-adjacent runs covering the same numbers as `runs`."""
    out: list[list[int]] = []
    for lo, hi in sorted(runs):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def _runs_of(seqs: Iterable[int]) -> tuple[Run, ...]:
    return _coalesce((s, s) for s in seqs)


def _join(a: tuple[Run, ...], b: tuple[Run, ...]) -> tuple[Run, ...]:
    """The union of two canonical run lists. The usual case, a device's next numbers after
    the ones already held, appends (or extends the last run) without a sort."""
    if a[-1][1] + 1 < b[0][0]:
        return a + b
    if a[-1][1] + 1 == b[0][0]:
        return a[:-1] + ((a[-1][0], b[0][1]),) + b[1:]
    return _coalesce(a + b)


def _inside(runs: tuple[Run, ...], lo: int, hi: int) -> bool:
    """Is [lo, hi] inside one of the (canonical) runs? Canonical runs never touch, so a
    range covered at all is covered by a single run."""
    i = bisect.bisect_right(runs, (lo, float("inf"))) - 1
    return i >= 0 and runs[i][1] >= hi


def _overlap(a: tuple[Run, ...], b: tuple[Run, ...]) -> tuple[int, int | None]:
    """How many numbers two canonical run lists share, and the first of them (a merge of
    sorted lists, O(len(a) + len(b)))."""
    i = j = shared = 0
    first = None
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            shared += hi - lo + 1
            first = lo if first is None else first
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return shared, first


class Ledger:
    """An immutable set of (device id, sequence number) pairs kept as runs per device."""

    __slots__ = ("_len", "_runs")

    def __init__(self, runs: Mapping[str, tuple[Run, ...]] | None = None) -> None:
        # device -> canonical runs; devices without runs are not stored
        self._runs: dict[str, tuple[Run, ...]] = {d: r for d, r in (runs or {}).items() if r}
        self._len = sum(hi - lo + 1 for r in self._runs.values() for lo, hi in r)

    @staticmethod
    def of(device_id: str, seq: int) -> Ledger:
        return Ledger({device_id: ((seq, seq),)})

    @staticmethod
    def from_pairs(pairs: Iterable[tuple[str, int]]) -> Ledger:
        by_device: dict[str, list[int]] = {}
        for device, seq in pairs:
            by_device.setdefault(device, []).append(seq)
        return Ledger({d: _runs_of(seqs) for d, seqs in by_device.items()})

    # -- set questions ------------------------------------------------------------------------------
    def __contains__(self, pair: object) -> bool:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            return False
        device, seq = pair
        runs = self._runs.get(device)  # type: ignore[arg-type]
        return runs is not None and _inside(runs, seq, seq)

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[tuple[str, int]]:
        """Every pair, by device then sequence (expands the runs: for tests and small ledgers)."""
        for device in sorted(self._runs):
            for lo, hi in self._runs[device]:
                for seq in range(lo, hi + 1):
                    yield device, seq

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ledger) and self._runs == other._runs

    __hash__ = None  # type: ignore[assignment]  # equal ledgers compare by value; not a dict key

    def __repr__(self) -> str:
        return f"Ledger({len(self._runs)} devices, {self._len} deltas, {self.n_runs} runs)"

    @property
    def n_runs(self) -> int:
        return sum(len(r) for r in self._runs.values())

    def devices(self) -> list[str]:
        return sorted(self._runs)

    def restrict(self, devices: Iterable[str]) -> Ledger:
        """The pairs of these devices only (what a worker opening their deltas needs to know)."""
        return Ledger({d: self._runs[d] for d in devices if d in self._runs})

    def issubset(self, other: Ledger) -> bool:
        if self._len > other._len:
            return False
        for device, runs in self._runs.items():
            theirs = other._runs.get(device)
            if theirs is None or not all(_inside(theirs, lo, hi) for lo, hi in runs):
                return False
        return True

    def overlap(self, other: Ledger) -> tuple[int, tuple[str, int] | None]:
        """How many pairs the two ledgers share, and the smallest of them (None when none)."""
        small, large = (self, other) if len(self._runs) <= len(other._runs) else (other, self)
        shared, first = 0, None
        for device, a in small._runs.items():
            b = large._runs.get(device)
            if b is None or a[-1][1] < b[0][0] or b[-1][1] < a[0][0]:
                continue  # the usual case: a device's new numbers lie after the ones held
            n, seq = _overlap(a, b)
            if n:
                shared += n
                first = (device, seq) if first is None else min(first, (device, seq))
        return shared, first

    def union(self, other: Ledger) -> Ledger:
        small, large = (self, other) if len(self._runs) <= len(other._runs) else (other, self)
        runs = dict(large._runs)
        for device, theirs in small._runs.items():
            mine = runs.get(device)
            runs[device] = theirs if mine is None else _join(*sorted((mine, theirs)))
        return Ledger(runs)

    def latest(self, device_id: str, keep: int) -> list[int]:
        """The device's `keep` highest sequence numbers, ascending."""
        out: list[int] = []
        for lo, hi in reversed(self._runs.get(device_id, ())):
            take = min(keep - len(out), hi - lo + 1)
            out.extend(range(hi - take + 1, hi + 1))
            if len(out) >= keep:
                break
        return sorted(out)

    # -- bytes ----------------------------------------------------------------------------------------
    def to_wire(self) -> list:
        """[[device, [first, last, first, last, ...]], ...] sorted by device: msgpack-ready."""
        return [[d, [n for run in self._runs[d] for n in run]] for d in sorted(self._runs)]

    @staticmethod
    def from_wire(raw: object) -> Ledger:
        """The inverse of `to_wire`; anything malformed raises CacheError (runs out of order
        or touching are coalesced: they still say which pairs are held)."""
        if not isinstance(raw, list):
            raise CacheError("ledger runs must be a list of [device, [first, last, ...]]")
        runs: dict[str, tuple[Run, ...]] = {}
        for i, item in enumerate(raw):
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
                    and isinstance(item[1], list) and len(item[1]) % 2 == 0
                    and all(isinstance(n, int) and not isinstance(n, bool) for n in item[1])):
                raise CacheError(f"ledger entry {i} is not [device, [first, last, ...]] of integers")
            device, flat = item
            pairs = list(zip(flat[::2], flat[1::2]))
            if any(lo < 0 or hi < lo for lo, hi in pairs):
                raise CacheError(f"ledger entry {i} ({device!r}) has a run that is negative or backwards")
            if device in runs:
                raise CacheError(f"ledger names device {device!r} twice")
            runs[device] = _coalesce(pairs)
        return Ledger(runs)
