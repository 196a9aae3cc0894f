"""The correction cache's truth: a count table of (context n-gram, next token) statistics.

Each entry is one fixed-width numpy record (40 bytes with n_max = 8 and a vocabulary
below 65,536 tokens):

    ctx        n_max tokens, right-aligned, left-padded with PAD (order = non-PAD count);
               the oldest slot may hold a prompt ANCHOR instead of a token (below)
    next       the token the cloud gave after that context
    count      how often it was seen (integer: merges are exact)
    devices    64-bit sketch of the devices that reported it (bit = hash(device) % 64);
               support = popcount. OR-merging never overcounts distinct devices, so a
               release rule on support is conservative (a lower bound).
    last_seen  round of the latest report (saturates at 65,535 rounds)
    served     times a device served this entry from cache
    wrong      times the cloud contradicted a served token

Anchored entries. The cloud continues many short contexts differently in different
prompts (an answer restates the prompt's names and numbers: "so 49 - 36 = 13." -> " Amara"
in one problem, " Liam" in another), and a popular prompt outvotes the rest on raw counts.
The decoder therefore records each observation with an anchor: an id in [vocab_size, PAD)
derived from a hash of the request's prompt (`CacheHeader.anchor_of`), stored in the
oldest context slot, so an anchored entry holds up to n_max - 1 tokens. Per prompt, the
anchored entries are exact statistics; across prompts the index counts distinct anchors
(see inference.device_cache). Anchors are hashes: the table never holds prompt text, and
an anchored entry is released only once enough distinct devices saw that very prompt.

Tables are kept sorted by (ctx, next) and unique, so equality is array equality and a
table has exactly one canonical form (the order and its merges: cache_sync.canonical).
This module does no I/O and no crypto: bytes in, bytes out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import msgpack
import numpy as np

from cache_sync.canonical import canonical_order, combine, isin_keys, merge_sorted, take
from cache_sync.errors import DECODE_ERRORS, CacheError

SCHEMA_VERSION = 2  # 2: contexts may start with a prompt anchor
MAX_ROUND = np.iinfo(np.uint16).max


@dataclass(frozen=True)
class CacheHeader:
    """What every table must agree on before it can be merged or served."""

    tokenizer_hash: str
    vocab_size: int
    n_min: int
    n_max: int
    schema: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if not 1 <= self.n_min <= self.n_max <= 32:
            raise CacheError(f"orders [{self.n_min}, {self.n_max}] need 1 <= n_min <= n_max <= 32")
        if self.vocab_size <= 1 or self.vocab_size >= 2**32 - 1:
            raise CacheError(f"vocab_size={self.vocab_size} is out of range")
        if not self.tokenizer_hash:
            raise CacheError("tokenizer_hash must be set")

    @property
    def token_dtype(self) -> np.dtype:
        # the largest token id is reserved as padding
        return np.dtype(np.uint16) if self.vocab_size < 2**16 - 1 else np.dtype(np.uint32)

    @property
    def pad(self) -> int:
        return int(np.iinfo(self.token_dtype).max)

    @property
    def dtype(self) -> np.dtype:
        tok = self.token_dtype
        return np.dtype([("ctx", tok, (self.n_max,)), ("next", tok), ("count", np.uint32),
                         ("devices", np.uint64), ("last_seen", np.uint16), ("served", np.uint32),
                         ("wrong", np.uint32)])

    def anchor_of(self, prompt_ids) -> int:
        """The anchor id of a prompt: in [vocab_size, PAD), from SHA-256 of its token ids."""
        digest = hashlib.sha256(np.asarray(list(prompt_ids), dtype=np.int64).tobytes()).digest()
        span = self.pad - self.vocab_size
        return self.vocab_size + int.from_bytes(digest[:8], "little") % span

    def is_anchor(self, ids: np.ndarray) -> np.ndarray:
        return (ids >= self.vocab_size) & (ids != self.pad)

    def check_compatible(self, other: CacheHeader, what: str = "table") -> None:
        """Raise CacheError naming the first field that differs."""
        for name in ("schema", "tokenizer_hash", "vocab_size", "n_min", "n_max"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                raise CacheError(f"{what} has {name}={theirs!r} but this cache has {name}={mine!r}: "
                                 "caches of one fleet must share tokenizer, vocabulary, n-gram orders "
                                 "and schema; rebuild the other side's cache with this header")


def device_bit(device_id: str) -> np.uint64:
    """The device's bit in the 64-bit support sketch."""
    digest = hashlib.sha256(device_id.encode("utf-8")).digest()
    return np.uint64(1) << np.uint64(digest[0] % 64)


def popcount(values: np.ndarray) -> np.ndarray:
    """Set bits per uint64 (vectorised)."""
    v = values.astype(np.uint64)
    out = np.zeros(v.shape, dtype=np.int64)
    for shift in range(0, 64, 8):
        out += _BYTE_POP[((v >> np.uint64(shift)) & np.uint64(0xFF)).astype(np.intp)]
    return out


_BYTE_POP = np.array([(i).bit_count() for i in range(256)], dtype=np.int64)


class CountTable:
    """A canonical (sorted, unique) table of correction statistics."""

    def __init__(self, header: CacheHeader, entries: np.ndarray | None = None, *, _canonical=False):
        self.header = header
        if entries is None:
            entries = np.zeros(0, dtype=header.dtype)
        if entries.dtype != header.dtype:
            raise CacheError(f"entries have dtype {entries.dtype}, the header expects {header.dtype}")
        self.entries = entries if _canonical else combine(entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, CountTable) and self.header == other.header
                and np.array_equal(self.entries, other.entries))

    def __repr__(self) -> str:
        return f"CountTable({len(self)} entries, orders {self.header.n_min}..{self.header.n_max})"

    @property
    def nbytes(self) -> int:
        return int(self.entries.nbytes)

    @property
    def orders(self) -> np.ndarray:
        """Context slots in use per entry (an anchor counts as one)."""
        return (self.entries["ctx"] != self.header.pad).sum(axis=1)

    @property
    def anchored(self) -> np.ndarray:
        """Which entries carry a prompt anchor (in the oldest slot)."""
        return self.header.is_anchor(self.entries["ctx"]).any(axis=1)

    @property
    def support(self) -> np.ndarray:
        return popcount(self.entries["devices"])

    def foreign_sketches(self, device_id: str) -> np.ndarray:
        """The entries whose device sketch is not exactly `device_id`'s bit. One device's own
        table has none (every constructor of device rows sets exactly its bit); a delta with
        any claims other devices' reports, and merged it would raise their support."""
        return np.flatnonzero(self.entries["devices"] != device_bit(device_id))

    @staticmethod
    def from_corrections(header: CacheHeader, corrections: Iterable[tuple[Iterable[int], int]],
                         device_id: str, round_: int, anchor: int | None = None) -> CountTable:
        """One entry per (order, correction): every suffix of the context of length n_min..n_max
        (with an anchor: n_min..n_max - 1 tokens after it)."""
        rows = []
        bit = device_bit(device_id)
        stamp = min(round_, MAX_ROUND)
        if anchor is not None and not (header.vocab_size <= anchor < header.pad):
            raise CacheError(f"anchor {anchor} is not in [{header.vocab_size}, {header.pad}): "
                             "use CacheHeader.anchor_of(prompt_ids)")
        room = header.n_max if anchor is None else header.n_max - 1
        lead = [] if anchor is None else [int(anchor)]
        for context, token in corrections:
            ctx = list(context)[-room:]
            for order in range(header.n_min, min(room, len(ctx)) + 1):
                rows.append((_pad(lead + ctx[-order:], header), int(token), 1, bit, stamp, 0, 0))
        return CountTable(header, _records(rows, header))

    def merge_add(self, other: CountTable) -> CountTable:
        """Additive merge: counts and feedback add, device sketches OR, last_seen max.

        Associative and commutative (all field operations are). Idempotence per delta is
        the ledger's job (`cache_sync.merge.Aggregate`).
        """
        self.header.check_compatible(other.header)
        if len(self) and len(other):
            merged = merge_sorted(self.entries, other.entries)
            if merged is not None:
                return CountTable(self.header, merged, _canonical=True)
        return CountTable(self.header, np.concatenate([self.entries, other.entries]))

    def upsert(self, other: CountTable) -> CountTable:
        """Entries of `other` replace equal keys here (applying a server update)."""
        self.header.check_compatible(other.header, "update")
        if not len(other):
            return self
        keep = ~isin_keys(self.entries, other.entries)
        merged = np.concatenate([self.entries[keep], other.entries])
        return CountTable(self.header, take(merged, canonical_order(merged)[0]), _canonical=True)

    def select(self, mask: np.ndarray) -> CountTable:
        return CountTable(self.header, self.entries[mask], _canonical=True)

    def forget(self, min_support: int, seen_before: int) -> CountTable:
        """Without the entries fewer than `min_support` devices reported and none since round
        `seen_before - 1`: what a release rule of k = min_support can never hand out unless
        devices report it again. An entry at or above the support is kept however old."""
        stale = (self.support < min_support) & (self.entries["last_seen"].astype(np.int64) < seen_before)
        return self if not stale.any() else self.select(~stale)

    def scores(self, now_round: int, half_life: float = 20.0) -> np.ndarray:
        """Decayed count x precision (Laplace-smoothed share of served tokens the cloud confirmed)."""
        e = self.entries
        age = np.maximum(0, now_round - e["last_seen"].astype(np.int64))
        decayed = e["count"].astype(np.float64) * 0.5 ** (age / half_life)
        served = e["served"].astype(np.float64)
        precision = (served - e["wrong"].astype(np.float64) + 1.0) / (served + 2.0)
        return decayed * np.clip(precision, 0.0, 1.0)

    def prune(self, top_k: int, now_round: int, max_order: int | None = None) -> CountTable:
        """Keep the best `top_k` entries by score, optionally only orders <= max_order."""
        if top_k < 0:
            raise CacheError(f"top_k={top_k} must be >= 0")
        mask = np.ones(len(self), dtype=bool)
        if max_order is not None:
            mask &= self.orders <= max_order
        idx = np.flatnonzero(mask)
        if len(idx) > top_k:
            s = self.scores(now_round)[idx]
            # stable: ties keep key order, so pruning is deterministic
            idx = np.sort(idx[np.argsort(-s, kind="stable")[:top_k]])
        return self.select(np.isin(np.arange(len(self)), idx))

    # -- serialisation ------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        return msgpack.packb({"header": asdict(self.header), "n": len(self),
                              "entries": self.entries.tobytes()}, use_bin_type=True)

    @staticmethod
    def from_bytes(data: bytes, expect: CacheHeader | None = None) -> CountTable:
        """Decode a table; with `expect`, its header must match (else CacheError).

        Every malformed input raises CacheError (never another exception type).
        """
        try:
            raw = msgpack.unpackb(data, raw=False, strict_map_key=True)
            header = CacheHeader(**raw["header"])
            n = int(raw["n"])
            buf = raw["entries"]
            if not isinstance(buf, bytes) or n < 0 or len(buf) != n * header.dtype.itemsize:
                raise CacheError(f"entry bytes ({len(buf) if isinstance(buf, bytes) else type(buf).__name__}) "
                                 f"do not match {n} entries of {header.dtype.itemsize} bytes")
            entries = np.frombuffer(buf, dtype=header.dtype).copy()
        except CacheError:
            raise
        except DECODE_ERRORS as exc:
            raise CacheError(f"not a correction-cache table ({type(exc).__name__}: {exc})") from exc
        if header.schema != SCHEMA_VERSION:
            raise CacheError(f"table has schema {header.schema}, this fedhybrid reads {SCHEMA_VERSION}: "
                             "upgrade the side that wrote it or rebuild the cache")
        if expect is not None:
            expect.check_compatible(header)
        _check_entries(entries, header)
        return CountTable(header, entries)


def _pad(tokens: list[int], header: CacheHeader) -> list[int]:
    return [header.pad] * (header.n_max - len(tokens)) + tokens


def _records(rows: list[tuple], header: CacheHeader) -> np.ndarray:
    out = np.zeros(len(rows), dtype=header.dtype)
    if rows:
        out["ctx"] = np.array([r[0] for r in rows], dtype=header.token_dtype)
        out["next"] = [r[1] for r in rows]
        out["count"] = [r[2] for r in rows]
        out["devices"] = np.array([r[3] for r in rows], dtype=np.uint64)
        out["last_seen"] = [r[4] for r in rows]
    return out


def _check_entries(entries: np.ndarray, header: CacheHeader) -> None:
    ctx = entries["ctx"]
    real = ctx != header.pad
    orders = real.sum(axis=1)
    tokens = orders
    if real.size:
        # an anchor may only stand in a context's oldest slot
        first = np.zeros_like(real)
        first[np.arange(len(ctx)), np.minimum(header.n_max - orders, header.n_max - 1)] = orders > 0
        if (real & ~first & (ctx >= header.vocab_size)).any():
            raise CacheError("table holds context token ids outside the vocabulary")
        tokens = orders - (first & header.is_anchor(ctx)).sum(axis=1)
    if (entries["next"] >= header.vocab_size).any():
        raise CacheError("table holds next-token ids outside the vocabulary")
    if ((tokens < header.n_min) | (orders > header.n_max)).any():
        raise CacheError(f"table holds contexts outside the orders [{header.n_min}, {header.n_max}]")
    # real tokens must be right-aligned: no PAD after the first real token
    if real.size and (np.diff(real.astype(np.int8), axis=1) < 0).any():
        raise CacheError("table holds malformed (non right-aligned) contexts")
