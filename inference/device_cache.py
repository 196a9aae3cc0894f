"""A device's correction cache as the decode loop sees it.

Two tables feed the automata:
- `released`: entries the server released to this device (applied as versioned upserts);
- `local`: the device's own observations, always kept locally (never subject to release).
Entries are anchored to the prompt they were seen under (see cache_sync.correction_cache),
and two automata serve from them:
- per request, one over the entries anchored to that request's prompt, with raw counts
  (a recurring question replays the cloud's own continuation);
- one across prompts over `global_view`: each (n-gram, next token) counts the distinct
  prompts that saw it, so one popular prompt cannot outvote the others on a context they
  continue differently, and only what several prompts agree on serves a new prompt.
The prompt's automaton decides first. Decode-loop protocol (see `inference.decoder`):
`begin(tokens, anchor=...)` once per request (the indexes are rebuilt first if the tables
changed), `advance(token)` per appended token, `serve()` before each device step,
`contradicted(context, token)` when the cloud rejects a served token. `record(...)` adds
observations; `take_delta()` hands the server what was learnt since the last upload
(observations plus served/contradicted feedback).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from cache_sync.correction_cache import CacheHeader, CountTable, device_bit
from inference.automaton_index import NO_SERVE, AutomatonIndex, ServeRule
from inference.errors import InferenceError


def _decide(left: np.ndarray, entries: np.ndarray, rule: ServeRule, min_match: int, longest: int,
            vocab_size: int) -> tuple[AutomatonIndex, np.ndarray, np.ndarray]:
    """Automaton over contexts `left` ((N, w) left-aligned, -1 padded; one row per entry)
    with each distinct context's decision under `rule` (counts from `entries`); `longest`:
    the longest context the table may hold (where the rule's number tokens may serve)."""
    if len(entries) == 0:
        empty = np.zeros((0, left.shape[1]), dtype=np.int64)
        return AutomatonIndex(empty, np.zeros(0, np.int64), np.zeros(0, np.int64), vocab_size), empty, empty[:, 0]
    uniq, inverse = np.unique(left, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    count = entries["count"].astype(np.float64)
    total = np.bincount(inverse, weights=count, minlength=len(uniq))
    # the top next token per context: highest count, ties to the smallest token id
    order = np.lexsort((entries["next"], -count, inverse))
    firsts = order[np.concatenate([[True], inverse[order][1:] != inverse[order][:-1]])]
    top_count = count[firsts]
    served = entries["served"][firsts].astype(np.float64)
    precision = (served - entries["wrong"][firsts] + 1.0) / (served + 2.0)
    lengths = (uniq >= 0).sum(axis=1)
    top = entries["next"][firsts].astype(np.int64)
    need = np.full(len(uniq), min_match, dtype=np.int64)
    if rule.number_tokens:  # a digit serves only from the longest context this index stores
        need[np.isin(top, np.fromiter(rule.number_tokens, np.int64))] = max(min_match, longest)
    ok = ((lengths >= need) & (top_count >= rule.min_count)
          & (top_count >= rule.confidence * total) & (precision >= rule.min_precision))
    decisions = np.where(ok, top, NO_SERVE)
    return AutomatonIndex(uniq, lengths, decisions, vocab_size), uniq, decisions


def _left(ctx: np.ndarray, pad: int) -> np.ndarray:
    """Right-aligned PAD-padded contexts -> left-aligned (oldest first), -1 padded."""
    ctx = ctx.astype(np.int64)
    n_max = ctx.shape[1]
    real = ctx != pad
    orders = real.sum(axis=1)
    cols = np.arange(n_max)[None, :] + (n_max - orders)[:, None]
    return np.where(np.arange(n_max)[None, :] < orders[:, None],
                    np.take_along_axis(ctx, np.minimum(cols, n_max - 1), axis=1), -1)


def global_view(table: CountTable) -> CountTable:
    """What holds across prompts: unanchored entries plus, per (n-gram, next token), ONE
    count for each distinct prompt anchor that saw it (served/wrong feedback summed).

    Counting prompts instead of occurrences keeps one popular prompt from outvoting the
    others on a context they continue differently.
    """
    header, e = table.header, table.entries
    anchored = table.anchored
    if not anchored.any():
        return table
    derived = e[anchored].copy()
    ctx = derived["ctx"]
    ctx[header.is_anchor(ctx)] = header.pad  # drop the anchor slot: the n-gram remains
    derived["count"] = (derived["count"] > 0).astype(derived["count"].dtype)
    return CountTable(header, np.concatenate([e[~anchored], derived]))


def index_from_table(table: CountTable, rule: ServeRule, max_order: int | None = None
                     ) -> tuple[AutomatonIndex, np.ndarray, np.ndarray]:
    """The cross-prompt automaton over `global_view(table)` (`max_order`: the longest context
    the table was pruned to, n_max when None).

    Returns (index, contexts (U, n_max) left-aligned with -1 padding, decision per context).
    """
    view = global_view(table)
    header = table.header
    longest = min(header.n_max, max_order or header.n_max)
    return _decide(_left(view.entries["ctx"], header.pad), view.entries, rule, rule.min_match, longest,
                   header.vocab_size)


def prompt_index(table: CountTable, anchor: int, rule: ServeRule, max_order: int | None = None
                 ) -> tuple[AutomatonIndex, np.ndarray, np.ndarray]:
    """The automaton over one prompt's anchored entries (anchor stripped; raw counts)."""
    header = table.header
    e = table.entries
    rows = e[(e["ctx"] == anchor).any(axis=1)] if len(e) else e
    left = _left(rows["ctx"], header.pad)[:, 1:]  # the anchor is each context's oldest slot
    longest = min(header.n_max, max_order or header.n_max) - 1  # the anchor takes one slot
    return _decide(left, rows, rule, rule.prompt_min_match, longest, header.vocab_size)


class _Served:
    """One automaton with its contexts and decisions, and serve counts per context row."""

    def __init__(self, built: tuple[AutomatonIndex, np.ndarray, np.ndarray], anchor: int | None = None):
        self.index, self.contexts, self.decisions = built
        self.anchor = anchor
        self.served: Counter[int] = Counter()  # row -> serves since the last flush

    def key(self, row: int) -> tuple[int, ...]:
        """The table context of a row (with the anchor for a prompt's automaton)."""
        ctx = self.contexts[row]
        tokens = tuple(int(t) for t in ctx[ctx >= 0])
        return tokens if self.anchor is None else (self.anchor, *tokens)


class DeviceCache:
    """A device's correction cache: the cross-prompt automaton plus, per request, one over
    the entries anchored to the request's prompt (which take precedence when they match)."""

    def __init__(self, header: CacheHeader, device_id: str, rule: ServeRule = ServeRule(),
                 budget: int | None = None, max_order: int | None = None, frozen: bool = False):
        """`frozen`: a snapshot for a serving process (the device agent) whose tables change
        only by building the next snapshot: contradictions and serves are counted for
        `drain_feedback()` but never alter this one's tables or index, so a request never
        waits for a rebuild."""
        if rule.min_match > header.n_max or rule.prompt_min_match > header.n_max - 1:
            raise InferenceError(f"min_match={rule.min_match} (prompt_min_match={rule.prompt_min_match}) "
                             f"exceeds the cache's n_max={header.n_max} (n_max - 1 for anchored contexts)")
        self.header, self.device_id, self.rule = header, device_id, rule
        self.budget, self.max_order = budget, max_order
        self.released = CountTable(header)
        self.local = CountTable(header)
        self.version = 0  # version of the last applied server update
        self.round = 0
        self._pending: list[CountTable] = []  # recorded, not yet uploaded
        self._feedback: Counter[tuple[tuple[int, ...], int, str]] = Counter()  # (ctx, token, kind)
        self._global: _Served | None = None
        self._prompt: _Served | None = None  # the current request's anchored automaton
        self._prompts: dict[int, _Served] = {}  # built per anchor since the last rebuild
        self._table: CountTable | None = None  # what the automata were built from
        self._dirty = True
        self._track = True
        self.rebuilds = 0
        self.frozen = frozen

    @staticmethod
    def for_profile(header: CacheHeader, device_id: str, profile, frozen: bool = False,
                    number_tokens: frozenset[int] = frozenset()) -> DeviceCache:
        """An empty cache with a tier profile's serve rule, budget and longest order
        (`number_tokens`: the tokenizer's digit ids, see `TierProfile.cache_number_full_match`)."""
        return DeviceCache(header, device_id, profile.serve_rule(number_tokens), budget=profile.cache_budget,
                           max_order=profile.ngram_orders[1], frozen=frozen)

    # -- decode-loop protocol ----------------------------------------------------------------
    def anchor_of(self, prompt_ids: Sequence[int]) -> int:
        return self.header.anchor_of(prompt_ids)

    def begin(self, tokens: Sequence[int], track: bool = True, anchor: int | None = None) -> None:
        """Start (or re-synchronise) a request whose text so far is `tokens`; `anchor` (see
        `anchor_of`) selects the prompt's own entries. With `track` False (local-only
        requests) serves are not counted for upload."""
        if self._dirty:
            self.rebuild()
        self._track = track
        n = self.header.n_max
        self._global.index.reset()
        # only the last n_max tokens can be part of a match
        self._global.index.feed(tokens[-n:] if len(tokens) > n else tokens)
        self._prompt = None
        if anchor is not None:
            prompt = self._prompts.get(anchor)
            if prompt is None:
                built = prompt_index(self._table, anchor, self.rule, self.max_order)
                prompt = self._prompts[anchor] = _Served(built, anchor)
            if prompt.index.contexts:
                self._prompt = prompt
                prompt.index.reset()
                prompt.index.feed(tokens[-(n - 1):] if len(tokens) > n - 1 else tokens)
        self._bind()

    def _bind(self) -> None:
        """Bind advance() and serve() for the current automata: the decode loop calls both
        once per token, so they run without attribute lookups (and with one automaton, the
        C backend's advance runs without any Python frame)."""
        sources = [(src.index.decision, src.index.matched_row, src.served)
                   for src in (self._prompt, self._global) if src is not None]
        track = self._track
        if len(sources) == 1:
            decision, matched, served = sources[0]
            self.advance = self._global.index.advance

            def serve() -> int | None:
                token = decision()
                if token == NO_SERVE:
                    return None
                if track:
                    served[matched()] += 1  # an int key: cheap on the hot path
                return token
        else:
            (p_decision, p_matched, p_served), (g_decision, g_matched, g_served) = sources
            p_advance, g_advance = self._prompt.index.advance, self._global.index.advance

            def advance(token: int) -> None:
                p_advance(token)
                g_advance(token)

            def serve() -> int | None:
                token = p_decision()  # the prompt's own entries decide first
                if token != NO_SERVE:
                    if track:
                        p_served[p_matched()] += 1
                    return token
                token = g_decision()
                if token == NO_SERVE:
                    return None
                if track:
                    g_served[g_matched()] += 1
                return token

            self.advance = advance
        self.serve = serve

    def advance(self, token: int) -> None:  # bound per request by begin()
        raise RuntimeError("call begin() before advance()")

    def serve(self) -> int | None:  # bound per request by begin()
        """The token the cache serves next, or None (counted as served when returned)."""
        raise RuntimeError("call begin() before serve()")

    def prompt_decides(self, token: int) -> bool:
        """Do the request's own prompt entries serve `token` here? (What the cloud itself answered
        this prompt before; asked only when the decoder's cache loop guard trips.)"""
        return self._prompt is not None and self._prompt.index.decision() == token

    def contradicted(self, context: Sequence[int], token: int) -> None:
        """The cloud rejected `token` served after `context`: lower that entry's precision."""
        for source, width in ((self._prompt, self.header.n_max - 1), (self._global, self.header.n_max)):
            if source is None:
                continue
            row = source.index.matched_row(source.index.state_after(list(context)[-width:]))
            if row < 0 or source.decisions[row] != token:
                continue  # not the context that served it
            key = source.key(row)
            self._feedback[(key, token, "wrong")] += 1
            if self.frozen:
                return  # the agent folds it into its next snapshot
            # apply at once too: the entry stops serving before the next upload
            self.local = self.local.merge_add(feedback_table(self.header, self.device_id, {(key, token): [1, 1]},
                                                             self.round))
            self._dirty = True
            return

    # -- learning ------------------------------------------------------------------------------
    def record(self, corrections: Iterable, round_: int | None = None, upload: bool = True,
               anchor: int | None = None) -> int:
        """Add observations (objects with .context and .token, or pairs) to the local table,
        anchored to a prompt when `anchor` is given; with `upload` False they serve this
        device but never enter a delta."""
        pairs = [(tuple(c.context), int(c.token)) if hasattr(c, "context") else (tuple(c[0]), int(c[1]))
                 for c in corrections]
        pairs = [(ctx, tok) for ctx, tok in pairs if len(ctx) >= self.header.n_min]
        if not pairs:
            return 0
        if self.frozen:
            raise InferenceError("a frozen cache snapshot takes no records: journal them and build the next "
                                 "snapshot")
        stamp = self.round if round_ is None else round_
        table = CountTable.from_corrections(self.header, pairs, self.device_id, stamp, anchor=anchor)
        self.local = self.local.merge_add(table)
        if upload:
            self._pending.append(table)
        self._dirty = True
        return len(pairs)

    def take_delta(self, round_: int | None = None) -> CountTable:
        """Everything learnt since the last call, as a table for upload (then forgotten here)."""
        stamp = self.round if round_ is None else round_
        # one concatenation, stamped with the upload's round, combined once by the table
        rows = np.concatenate([t.entries for t in self._pending]
                              or [np.zeros(0, dtype=self.header.dtype)])
        rows["last_seen"] = min(stamp, 65535)
        delta = CountTable(self.header, rows)
        self._flush_served()
        if self._feedback:
            merged: dict[tuple[tuple[int, ...], int], list[int]] = {}
            for (ctx, tok, kind), n in self._feedback.items():
                merged.setdefault((ctx, tok), [0, 0])[kind == "wrong"] += n
            delta = delta.merge_add(feedback_table(self.header, self.device_id, merged, stamp))
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
        self._table = table
        self._global = _Served(index_from_table(table, self.rule, self.max_order))
        self._prompts.clear()
        self._prompt = None
        self._bind()
        self._dirty = False
        self.rebuilds += 1

    @property
    def entries(self) -> int:
        return len(self.released) + len(self.local)

    @property
    def index(self) -> AutomatonIndex:
        """The cross-prompt automaton (rebuilt first if the tables changed)."""
        if self._dirty:
            self.rebuild()
        return self._global.index

    @property
    def context_tokens(self) -> int:
        """Tokens held by the cross-prompt automaton's distinct contexts."""
        return int((self._global.contexts >= 0).sum()) if self._global is not None else 0

    def drain_feedback(self) -> list[tuple[tuple[int, ...], int, int, int]]:
        """Serve and contradiction counts since the last drain, as (context key, token,
        served, wrong), then forgotten here (the agent journals them per request)."""
        self._flush_served()
        merged: dict[tuple[tuple[int, ...], int], list[int]] = {}
        for (ctx, tok, kind), n in self._feedback.items():
            merged.setdefault((ctx, tok), [0, 0])[kind == "wrong"] += n
        self._feedback.clear()
        return [(ctx, tok, served, wrong) for (ctx, tok), (served, wrong) in merged.items()]

    # -- internals -------------------------------------------------------------------------------
    def _flush_served(self) -> None:
        for source in (self._global, *self._prompts.values()):
            if source is None:
                continue
            for row, n in source.served.items():
                self._feedback[(source.key(row), int(source.decisions[row]), "served")] += n
            source.served.clear()


def feedback_table(header: CacheHeader, device_id: str, feedback: dict[tuple[tuple[int, ...], int], list[int]],
                   stamp: int) -> CountTable:
    """Rows with count 0 carrying served/wrong counters ({(context key, token): [served,
    wrong]}) for existing entries: merged by addition, they change precision, not counts."""
    rows = np.zeros(len(feedback), dtype=header.dtype)
    bit = device_bit(device_id)
    for i, ((ctx, tok), (served, wrong)) in enumerate(feedback.items()):
        rows[i]["ctx"] = [header.pad] * (header.n_max - len(ctx)) + list(ctx)
        rows[i]["next"] = tok
        rows[i]["served"], rows[i]["wrong"] = served, wrong
        rows[i]["devices"], rows[i]["last_seen"] = bit, min(stamp, 65535)
    return CountTable(header, rows)
