"""A device's correction cache as the decode loop sees it.

Two tables feed one automaton index:
- `released`: entries the server released to this device (applied as versioned upserts);
- `local`: the device's own corrections, always kept locally (never subject to release).
Decode-loop protocol (see `inference.decoder`): `begin(tokens)` once per request (the
index is rebuilt first if the tables changed), `advance(token)` per appended token,
`serve()` before each device step, `contradicted(context, token)` when the cloud rejects
a served token. `record(corrections)` adds escalations; `take_delta()` hands the server
what was learnt since the last upload (corrections plus served/contradicted feedback).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from cache_sync.correction_cache import CacheHeader, CountTable, device_bit
from inference.automaton_index import NO_SERVE, AutomatonIndex, ServeRule


def index_from_table(table: CountTable, rule: ServeRule) -> tuple[AutomatonIndex, np.ndarray, np.ndarray]:
    """Build the automaton over a table's contexts.

    Returns (index, contexts (U, n_max) left-aligned with -1 padding, decision per context).
    """
    header = table.header
    e = table.entries
    n_max = header.n_max
    ctx = e["ctx"].astype(np.int64)
    real = ctx != header.pad
    orders = real.sum(axis=1)
    # stored right-aligned; the automaton reads contexts oldest token first, left-aligned
    cols = np.arange(n_max)[None, :] + (n_max - orders)[:, None]
    left = np.where(np.arange(n_max)[None, :] < orders[:, None],
                    np.take_along_axis(ctx, np.minimum(cols, n_max - 1), axis=1), -1)
    if len(e) == 0:
        empty = np.zeros((0, n_max), dtype=np.int64)
        return AutomatonIndex(empty, np.zeros(0, np.int64), np.zeros(0, np.int64), header.vocab_size), empty, empty[:, 0]
    uniq, inverse = np.unique(left, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    count = e["count"].astype(np.float64)
    total = np.bincount(inverse, weights=count, minlength=len(uniq))
    # the top next token per context: highest count, ties to the smallest token id
    order = np.lexsort((e["next"], -count, inverse))
    firsts = order[np.concatenate([[True], inverse[order][1:] != inverse[order][:-1]])]
    top_count = count[firsts]
    served = e["served"][firsts].astype(np.float64)
    precision = (served - e["wrong"][firsts] + 1.0) / (served + 2.0)
    lengths = (uniq >= 0).sum(axis=1)
    ok = ((lengths >= rule.min_match) & (top_count >= rule.min_count)
          & (top_count >= rule.confidence * total) & (precision >= rule.min_precision))
    decisions = np.where(ok, e["next"][firsts].astype(np.int64), NO_SERVE)
    return AutomatonIndex(uniq, lengths, decisions, header.vocab_size), uniq, decisions


class DeviceCache:
    def __init__(self, header: CacheHeader, device_id: str, rule: ServeRule = ServeRule(),
                 budget: int | None = None, max_order: int | None = None):
        if rule.min_match > header.n_max:
            raise ValueError(f"min_match={rule.min_match} exceeds the cache's n_max={header.n_max}")
        self.header, self.device_id, self.rule = header, device_id, rule
        self.budget, self.max_order = budget, max_order
        self.released = CountTable(header)
        self.local = CountTable(header)
        self.version = 0  # version of the last applied server update
        self.round = 0
        self._pending: list[tuple[tuple[int, ...], int]] = []  # corrections not yet uploaded
        self._feedback: Counter[tuple[tuple[int, ...], int, str]] = Counter()  # (ctx, token, kind)
        self._served: Counter[int] = Counter()  # index row -> serves since the last flush
        self._index: AutomatonIndex | None = None
        self._contexts: np.ndarray | None = None
        self._decisions: np.ndarray | None = None
        self._dirty = True
        self._track = True
        self.rebuilds = 0

    # -- decode-loop protocol ----------------------------------------------------------------
    def begin(self, tokens: Sequence[int], track: bool = True) -> None:
        """Start a request. With `track` False (local-only requests) serves are not counted
        for upload."""
        if self._dirty:
            self.rebuild()
        self._track = track
        self._index.reset()
        # only the last n_max tokens can be part of a match
        self._index.feed(tokens[-self.header.n_max:] if len(tokens) > self.header.n_max else tokens)

    def advance(self, token: int) -> None:
        self._index.advance(token)

    def serve(self) -> int | None:
        """The token the cache serves next, or None (counted as served when returned)."""
        index = self._index
        token = index.decision()
        if token == NO_SERVE:
            return None
        if self._track:
            self._served[index.matched_row()] += 1  # an int key: cheap on the hot path
        return token

    def contradicted(self, context: Sequence[int], token: int) -> None:
        """The cloud rejected `token` served after `context`: lower that entry's precision."""
        if self._index is None:
            return
        state = self._index.state_after(list(context)[-self.header.n_max:])
        row = self._index.matched_row(state)
        if row < 0:
            return
        key = self._row_context(row)
        self._feedback[(key, token, "wrong")] += 1
        # apply at once too: the entry stops serving before the next upload
        self.local = self.local.merge_add(self._feedback_rows({(key, token): [1, 1]}, self.round))
        self._dirty = True

    # -- learning ------------------------------------------------------------------------------
    def record(self, corrections: Iterable, round_: int | None = None, upload: bool = True) -> int:
        """Add escalations (objects with .context and .token, or pairs) to the local table;
        with `upload` False they serve this device but never enter a delta."""
        pairs = [(tuple(c.context), int(c.token)) if hasattr(c, "context") else (tuple(c[0]), int(c[1]))
                 for c in corrections]
        pairs = [(ctx, tok) for ctx, tok in pairs if len(ctx) >= self.header.n_min]
        if not pairs:
            return 0
        stamp = self.round if round_ is None else round_
        self.local = self.local.merge_add(CountTable.from_corrections(self.header, pairs, self.device_id, stamp))
        if upload:
            self._pending.extend(pairs)
        self._dirty = True
        return len(pairs)

    def take_delta(self, round_: int | None = None) -> CountTable:
        """Everything learnt since the last call, as a table for upload (then forgotten here)."""
        stamp = self.round if round_ is None else round_
        delta = CountTable.from_corrections(self.header, self._pending, self.device_id, stamp)
        self._flush_served()
        if self._feedback:
            merged: dict[tuple[tuple[int, ...], int], list[int]] = {}
            for (ctx, tok, kind), n in self._feedback.items():
                merged.setdefault((ctx, tok), [0, 0])[kind == "wrong"] += n
            delta = delta.merge_add(self._feedback_rows(merged, stamp))
        self._pending.clear()
        self._feedback.clear()
        return delta

    def apply_update(self, update: CountTable, version: int) -> None:
        """Upsert entries the server released (a diff since our version)."""
        self.header.check_compatible(update.header, "cache update")
        self.released = self.released.upsert(update)
        self.version = version
        self._dirty = True

    def rebuild(self) -> None:
        self._flush_served()  # row ids are about to change
        table = self.released.merge_add(self.local)
        if self.budget is not None or self.max_order is not None:
            table = table.prune(self.budget if self.budget is not None else len(table), self.round,
                                max_order=self.max_order)
        self._index, self._contexts, self._decisions = index_from_table(table, self.rule)
        # the decode loop calls advance() once per token: bind the index's method directly
        # (the C backend's then runs without any Python frame)
        self.advance = self._index.advance
        self._dirty = False
        self.rebuilds += 1

    @property
    def entries(self) -> int:
        return len(self.released) + len(self.local)

    # -- internals -------------------------------------------------------------------------------
    def _flush_served(self) -> None:
        for row, n in self._served.items():
            self._feedback[(self._row_context(row), int(self._decisions[row]), "served")] += n
        self._served.clear()

    def _row_context(self, row: int) -> tuple[int, ...]:
        ctx = self._contexts[row]
        return tuple(int(t) for t in ctx[ctx >= 0])

    def _feedback_rows(self, feedback: dict[tuple[tuple[int, ...], int], list[int]], stamp: int) -> CountTable:
        """Rows with count 0 carrying served/wrong counters for existing entries."""
        rows = np.zeros(len(feedback), dtype=self.header.dtype)
        bit = device_bit(self.device_id)
        for i, ((ctx, tok), (served, wrong)) in enumerate(feedback.items()):
            rows[i]["ctx"] = [self.header.pad] * (self.header.n_max - len(ctx)) + list(ctx)
            rows[i]["next"] = tok
            rows[i]["served"], rows[i]["wrong"] = served, wrong
            rows[i]["devices"], rows[i]["last_seen"] = bit, min(stamp, 65535)
        return CountTable(self.header, rows)
