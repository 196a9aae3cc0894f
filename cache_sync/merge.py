"""Idempotent merging of correction deltas: a count table plus a ledger of what it holds.

A delta is what one device reports once: its corrections (and served/contradicted
feedback) since its previous report, numbered by a per-device sequence number. An
`Aggregate` is a table together with the set of (device, sequence) deltas folded into
it. Merging is
- associative and commutative: the table fields merge by addition, OR and max;
- idempotent per (device, sequence): a delta already in the ledger changes nothing, so a
  retried upload is a no-op. Two aggregates may be merged when their ledgers are
  disjoint, or when one contains the other (then the larger is the result); a partial
  overlap cannot be resolved from sums and is refused.
The ledger keeps runs of sequence numbers per device (`cache_sync.ledger`), so its size
follows the number of devices, not devices x rounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgpack
import numpy as np

from cache_sync.correction_cache import CacheHeader, CountTable, device_bit
from cache_sync.errors import DECODE_ERRORS, CacheError
from cache_sync.ledger import Ledger


@dataclass(frozen=True)
class Delta:
    """One device's report: a table stamped with (device id, sequence number, round)."""

    device_id: str
    seq: int
    round: int
    table: CountTable

    def __post_init__(self) -> None:
        if not self.device_id or len(self.device_id) > 128:
            raise CacheError("a delta needs a device id of 1-128 characters")
        if self.seq < 0 or self.round < 0:
            raise CacheError(f"delta seq={self.seq} and round={self.round} must be >= 0")

    def check_sketch(self) -> None:
        """Raise CacheError unless every entry's device sketch is exactly this delta's device's
        bit. The server counts distinct devices by OR-ing the sketches (release-k), so a delta
        that sets any other bit, or none, would count as devices that never reported the entry."""
        bad = self.table.foreign_sketches(self.device_id)
        if len(bad):
            example = int(self.table.entries["devices"][bad[0]])
            raise CacheError(f"delta {self.seq} of {self.device_id!r} has {len(bad)} of {len(self.table)} entries "
                             f"whose device sketch is {example:#x}, not the device's own bit "
                             f"{int(device_bit(self.device_id)):#x}: a device reports only for itself; build its "
                             "rows with CountTable.from_corrections for this device id")

    def to_bytes(self) -> bytes:
        return msgpack.packb({"device": self.device_id, "seq": self.seq, "round": self.round,
                              "table": self.table.to_bytes()}, use_bin_type=True)

    @staticmethod
    def from_bytes(data: bytes, expect: CacheHeader | None = None) -> Delta:
        """Decode a delta; every malformed input raises CacheError."""
        try:
            raw = msgpack.unpackb(data, raw=False, strict_map_key=True)
            device, seq, round_, table = raw["device"], raw["seq"], raw["round"], raw["table"]
        except DECODE_ERRORS as exc:
            raise CacheError(f"not a correction delta ({type(exc).__name__}: {exc})") from exc
        if not (isinstance(device, str) and isinstance(seq, int) and isinstance(round_, int)
                and isinstance(table, bytes)):
            raise CacheError("delta fields have the wrong types")
        return Delta(device, seq, round_, CountTable.from_bytes(table, expect))


@dataclass(frozen=True)
class Aggregate:
    """A merged table and the deltas it is made of."""

    table: CountTable
    ledger: Ledger = field(default_factory=Ledger)

    @staticmethod
    def empty(header: CacheHeader) -> Aggregate:
        return Aggregate(CountTable(header))

    @staticmethod
    def of(delta: Delta) -> Aggregate:
        return Aggregate(delta.table, Ledger.of(delta.device_id, delta.seq))

    def contains(self, device_id: str, seq: int) -> bool:
        return (device_id, seq) in self.ledger

    def apply(self, delta: Delta) -> Aggregate:
        """Fold one delta in; a delta already folded in is a no-op."""
        return self.merge(Aggregate.of(delta))

    def merge(self, other: Aggregate) -> Aggregate:
        """Merge two aggregates (see the module docstring for the laws).

        Raises:
            CacheError: headers differ, or the ledgers partly overlap.
        """
        self.table.header.check_compatible(other.table.header, "aggregate")
        # one pass over the ledgers: how many deltas they share says all (inclusion either way,
        # disjoint, or a partial overlap)
        shared, first = self.ledger.overlap(other.ledger)
        if shared == len(other.ledger):
            return self
        if shared == len(self.ledger):
            return other
        if shared:
            raise CacheError(f"aggregates share {shared} deltas but not all (e.g. {first}): "
                             "merge the deltas individually instead")
        return Aggregate(self.table.merge_add(other.table), self.ledger.union(other.ledger))

    def forget(self, min_support: int, seen_before: int) -> Aggregate:
        """The table without its stale entries below `min_support` (`CountTable.forget`); the
        ledger stays whole, so a forgotten delta sent again is still a duplicate."""
        table = self.table.forget(min_support, seen_before)
        return self if table is self.table else Aggregate(table, self.ledger)

    def to_bytes(self) -> bytes:
        return msgpack.packb({"table": self.table.to_bytes(), "runs": self.ledger.to_wire()},
                             use_bin_type=True)

    @staticmethod
    def from_bytes(data: bytes, expect: CacheHeader | None = None) -> Aggregate:
        """Decode an aggregate: its ledger as runs (`runs`), or as the (device, seq) pairs that
        states saved before the runs carry (`ledger`)."""
        try:
            raw = msgpack.unpackb(data, raw=False, strict_map_key=True)
            if "runs" in raw:
                ledger = Ledger.from_wire(raw["runs"])
            else:
                ledger = Ledger.from_pairs((str(d), int(s)) for d, s in raw["ledger"])
            table = raw["table"]
        except CacheError:
            raise
        except DECODE_ERRORS as exc:
            raise CacheError(f"not a correction aggregate ({type(exc).__name__}: {exc})") from exc
        if not isinstance(table, bytes):
            raise CacheError("aggregate table must be bytes")
        return Aggregate(CountTable.from_bytes(table, expect), ledger)


def merge_all(header: CacheHeader, deltas: list[Delta]) -> Aggregate:
    """Fold many deltas at once (one sort instead of one per delta); duplicates are skipped."""
    seen: set[tuple[str, int]] = set()
    tables = []
    for delta in deltas:
        key = (delta.device_id, delta.seq)
        if key in seen:
            continue
        header.check_compatible(delta.table.header, f"delta from {delta.device_id}")
        seen.add(key)
        tables.append(delta.table.entries)
    entries = np.concatenate(tables) if tables else None
    return Aggregate(CountTable(header, entries), Ledger.from_pairs(seen))
