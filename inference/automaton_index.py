"""Aho-Corasick automaton over the correction cache's contexts: O(1) amortised per token.

As each token of the text is appended, `advance()` moves to the automaton state for the
longest suffix of the text that is a prefix of some stored context; `decision()` then
answers, for the LONGEST stored context that is a suffix of the text, whether the cache
may serve and which token. (Aho & Corasick, CACM 1975; the per-token serving idea is
SuffixDecoding's, arXiv 2411.04975, with an n-gram automaton in place of a suffix tree.)

Construction is vectorised with numpy so it scales to millions of contexts:
1. contexts are sorted lexicographically; trie nodes are their distinct prefixes, found
   from the longest common prefix of neighbouring rows;
2. failure links are computed one depth at a time with sorted-array lookups;
3. each state's decision is its own (if it is a stored context) or its failure state's.
The hot path runs in C when the optional extension `inference._automaton` is built (one
open-addressing table for goto, flat arrays for failure links and decisions: the step
cost stays flat as the cache grows); otherwise in Python with a dict for goto and lists
for failure links and decisions. Both backends are built from the same arrays and give
identical answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inference.errors import InferenceError

try:  # the C hot path (optional: built at install time where a compiler exists)
    from inference import _automaton as _native
except ImportError:  # pragma: no cover - depends on the build
    _native = None

BACKENDS = ("auto", "c", "python")
NO_SERVE = -1  # a stored context that may not serve (ambiguous, imprecise or too short)
_INHERIT = -2  # not a stored context: take the failure state's decision


@dataclass(frozen=True)
class ServeRule:
    """When the longest matching context may serve its top token."""

    min_match: int = 3  # tokens of context that must match (cross-prompt contexts)
    confidence: float = 0.9  # top token's share of the context's total count
    min_precision: float = 0.5  # Laplace-smoothed share of served tokens the cloud confirmed
    min_count: int = 1  # count of the top token (cross-prompt: distinct prompts)
    prompt_min_match: int = 3  # tokens that must match for a context anchored to this prompt
    # token ids that spell a digit (`inference.tokenizer.number_token_ids`): such a token
    # serves only from a context as long as the index stores, because a number's context
    # differs from another's in a few tokens ("25 oranges to Clara, so 2" -> "9" must not
    # answer "2 oranges to Clara, so 2" through their common shorter suffix)
    number_tokens: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.min_match < 1 or self.prompt_min_match < 1:
            raise InferenceError(f"min_match={self.min_match} and prompt_min_match={self.prompt_min_match} "
                             "must be >= 1")
        if not 0 < self.confidence <= 1 or not 0 <= self.min_precision <= 1:
            raise InferenceError("confidence must lie in (0, 1] and min_precision in [0, 1]")
        if self.min_count < 1:
            raise InferenceError(f"min_count={self.min_count} must be >= 1")
        if not isinstance(self.number_tokens, frozenset) or any(
                not isinstance(t, int) or t < 0 for t in self.number_tokens):
            raise InferenceError("number_tokens must be a frozenset of token ids (ints >= 0)")


class AutomatonIndex:
    """Immutable automaton over contexts (rows of token ids, left-aligned, -1 padded)."""

    def __init__(self, contexts: np.ndarray, lengths: np.ndarray, decisions: np.ndarray,
                 vocab_size: int, backend: str = "auto"):
        """contexts: (U, n_max) int64, row i's first lengths[i] entries are the context
        tokens (oldest first); decisions: (U,) the token to serve after context i or
        NO_SERVE. Rows must be distinct. backend: "auto" (C when built), "c" or "python".

        Raises:
            ValueError: unknown backend, or "c" when the extension is not built.
        """
        if backend not in BACKENDS:
            raise InferenceError(f"automaton backend {backend!r}: use one of {BACKENDS}")
        if backend == "c" and _native is None:
            raise InferenceError("the C automaton (inference._automaton) is not built: reinstall with a C "
                             "compiler present, or use backend='python'")
        self.backend = "c" if backend == "c" or (backend == "auto" and _native is not None) else "python"
        self.vocab_size = int(vocab_size)
        self.contexts = len(contexts)
        n_nodes, parent, token, depth, pattern_node = _build_trie(contexts, lengths)
        self.nodes = n_nodes
        own = np.full(n_nodes, _INHERIT, dtype=np.int64)
        own[pattern_node] = decisions
        own_row = np.full(n_nodes, -1, dtype=np.int64)
        own_row[pattern_node] = np.arange(len(contexts))
        keys = parent * self.vocab_size + token  # (n_nodes,) goto keys; root (0) has none
        fail = _failure_links(keys[1:], np.arange(1, n_nodes), parent, token, depth, self.vocab_size)
        final, final_row = _resolve(own, own_row, fail, depth)
        self._state = 0
        if self.backend == "c":
            impl = _native.Automaton(np.ascontiguousarray(keys[1:], dtype=np.int64),
                                     np.arange(1, n_nodes, dtype=np.int64), fail.astype(np.int64),
                                     final.astype(np.int64), final_row.astype(np.int64),
                                     depth.astype(np.int64), self.vocab_size)
            self._impl = impl
            # bound C methods on the instance: no Python frame per token
            self.advance, self.feed, self.reset = impl.advance, impl.feed, impl.reset
            self.decision, self.matched_row, self.state_after = impl.decision, impl.matched_row, impl.state_after
            return
        self._goto: dict[int, int] = dict(zip(keys[1:].tolist(), range(1, n_nodes)))
        self._fail: list[int] = fail.tolist()
        self._final: list[int] = final.tolist()
        self._final_row: list[int] = final_row.tolist()
        self._depth: list[int] = depth.tolist()

    @property
    def state(self) -> int:
        return self._impl.state if self.backend == "c" else self._state

    # -- hot path -------------------------------------------------------------------------
    def reset(self) -> None:
        self._state = 0

    def advance(self, token: int) -> None:
        """Append one token to the text (amortised O(1))."""
        goto, fail, v = self._goto, self._fail, self.vocab_size
        s = self._state
        nxt = goto.get(s * v + token)
        while nxt is None and s:
            s = fail[s]
            nxt = goto.get(s * v + token)
        self._state = nxt or 0

    def state_after(self, tokens) -> int:
        """The state reached from the root by `tokens`, leaving the current state alone."""
        saved = self._state
        self._state = 0
        self.feed(tokens)
        state, self._state = self._state, saved
        return state

    def feed(self, tokens) -> None:
        for token in tokens:
            self.advance(token)

    def decision(self, state: int | None = None) -> int:
        """The token to serve next (in `state`, default the current one), or NO_SERVE."""
        d = self._final[self._state if state is None else state]
        return d if d >= 0 else NO_SERVE

    def matched_row(self, state: int | None = None) -> int:
        """Row (context index) of the longest stored context matched in `state`, or -1."""
        return self._final_row[self._state if state is None else state]

    @property
    def match_depth(self) -> int:
        """Length of the longest suffix of the text that is a prefix of a stored context."""
        return self._impl.match_depth if self.backend == "c" else self._depth[self._state]


def _build_trie(contexts: np.ndarray, lengths: np.ndarray):
    """Sorted-trie construction. Returns (n_nodes, parent, token, depth, pattern_node)."""
    u, width = contexts.shape
    if u == 0:
        return 1, np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(0, np.int64)
    order = np.lexsort(contexts.T[::-1])  # lexicographic, first column primary (-1 pads sort first)
    rows = contexts[order]
    lens = lengths[order]
    # lcp[i] = common prefix of rows i-1 and i (0 for the first row)
    eq = np.zeros((u, width), dtype=bool)
    eq[1:] = rows[1:] == rows[:-1]
    lcp = np.cumprod(eq, axis=1).sum(axis=1)
    lcp = np.minimum(lcp, lens)
    lcp[1:] = np.minimum(lcp[1:], lens[:-1])
    # node_id[i, k] for prefix length k+1 of row i: new when k >= lcp[i], else row i-1's
    node_id = np.zeros((u, width), dtype=np.int64)
    valid = np.arange(width)[None, :] < lens[:, None]
    is_new = valid & (np.arange(width)[None, :] >= lcp[:, None])
    # ids assigned in (depth-major) order so parents precede children when sorting by depth
    n_new = int(is_new.sum())
    flat_new = is_new.T.ravel()  # column-major: all depth-1 nodes, then depth-2, ...
    ids = np.zeros(flat_new.shape, dtype=np.int64)
    ids[flat_new] = np.arange(1, n_new + 1)
    node_id = ids.reshape(width, u).T.copy()
    # carry ids down each column for prefixes shared with the previous row
    for k in range(width):
        col = node_id[:, k]
        idx = np.where(is_new[:, k] | ~valid[:, k], np.arange(u), 0)
        np.maximum.accumulate(idx, out=idx)
        node_id[:, k] = np.where(valid[:, k], col[idx], 0)
    n_nodes = n_new + 1
    parent = np.zeros(n_nodes, dtype=np.int64)
    token = np.zeros(n_nodes, dtype=np.int64)
    depth = np.zeros(n_nodes, dtype=np.int64)
    for k in range(width):
        new = is_new[:, k]
        nodes = node_id[new, k]
        parent[nodes] = node_id[new, k - 1] if k else 0
        token[nodes] = rows[new, k]
        depth[nodes] = k + 1
    pattern_node = np.empty(u, dtype=np.int64)
    pattern_node[order] = node_id[np.arange(u), lens - 1]
    return n_nodes, parent, token, depth, pattern_node


def _failure_links(keys: np.ndarray, nodes: np.ndarray, parent: np.ndarray, token: np.ndarray,
                   depth: np.ndarray, vocab: int) -> np.ndarray:
    """fail[n] = the node of the longest proper suffix of n's string that is in the trie."""
    n_nodes = len(parent)
    fail = np.zeros(n_nodes, dtype=np.int64)
    sort = np.argsort(keys)
    skeys, snodes = keys[sort], nodes[sort]

    def lookup(states: np.ndarray, toks: np.ndarray) -> np.ndarray:
        q = states * vocab + toks
        pos = np.searchsorted(skeys, q)
        pos = np.minimum(pos, len(skeys) - 1)
        hit = skeys[pos] == q
        return np.where(hit, snodes[pos], -1)

    max_depth = int(depth.max()) if n_nodes > 1 else 0
    for d in range(2, max_depth + 1):  # depth-1 nodes fail to the root
        level = np.flatnonzero(depth == d)
        toks = token[level]
        cand = fail[parent[level]]
        result = np.full(len(level), -1, dtype=np.int64)
        todo = np.arange(len(level))
        while len(todo):
            hit = lookup(cand[todo], toks[todo])
            found = hit >= 0
            result[todo[found]] = hit[found]
            rest = todo[~found]
            at_root = cand[rest] == 0
            result[rest[at_root]] = 0
            todo = rest[~at_root]
            cand[todo] = fail[cand[todo]]
        fail[level] = result
    return fail


def _resolve(own: np.ndarray, own_row: np.ndarray, fail: np.ndarray, depth: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """final[n] = own[n] if n is a stored context, else final[fail[n]] (root: NO_SERVE);
    final_row likewise carries which stored context decided."""
    final, final_row = own.copy(), own_row.copy()
    final[0] = NO_SERVE if own[0] == _INHERIT else own[0]
    max_depth = int(depth.max()) if len(depth) > 1 else 0
    for d in range(1, max_depth + 1):  # fail[n] is shallower than n: already final
        level = np.flatnonzero(depth == d)
        inherit = level[own[level] == _INHERIT]
        final[inherit] = final[fail[inherit]]
        final_row[inherit] = final_row[fail[inherit]]
    return final, final_row
