"""What the decode loop needs from a correction cache, and where each part of the cache lives.

The correction cache is one idea spread over four layers, each in the package that owns its
concern:

| layer | module | what it is |
|---|---|---|
| truth | `cache_sync.correction_cache.CountTable` | sorted count table of (context n-gram, next token) -> count, device sketch, last round, served/wrong; merges by addition; bytes in, bytes out |
| merge | `cache_sync.merge` | `Delta` (one device's report, numbered) and `Aggregate` (a table plus the ledger of deltas in it): idempotent per (device, sequence) |
| release | `server.release` | the server's rule for what leaves it: per-device cap, k distinct devices, optional DP noise, per-tier budgets |
| distribution | `cache_sync.versioned` | per-tier `VersionedView`s with per-entry versions and tombstones; a device downloads `diff(its version)` |
| serving | `inference.device_cache.DeviceCache` | a device's released + local tables, indexed by automata (`inference.automaton_index`) that the decode loop steps once per token |

A device's cache records what the decoder learns (`record`), serves from it (`serve`), and
hands the federation what is new (`DeviceCache.take_delta` -> a `Delta`, sealed by
`cache_sync.envelope`); the server merges deltas into its `Aggregate`, releases, publishes
views, and devices apply the signed diffs (`DeviceCache.apply_update`).

`CorrectionCache` below is the whole contract between the decoder and the serving layer;
`DeviceCache` implements it, and a test double or another index can too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class CorrectionCache(Protocol):
    """The decode loop's view of a correction cache (see `inference.decoder`).

    Per request: `anchor_of(prompt)` once, `begin(tokens, ...)` once (and again after a
    rollback, to re-synchronise), then per generated token `serve()` before the device
    step and `advance(token)` after the token is appended. `contradicted` lowers the
    precision of an entry the cloud rejected; `record` stores the request's corrections.
    """

    def anchor_of(self, prompt_ids: Sequence[int]) -> int:
        """The id that keys this prompt's own entries."""
        ...

    def begin(self, tokens: Sequence[int], track: bool = True, anchor: int | None = None) -> None:
        """Start (or re-synchronise) a request whose text so far is `tokens`; with `track`
        False, serves are not counted for upload."""
        ...

    def advance(self, token: int) -> None:
        """One token was appended to the text."""
        ...

    def serve(self) -> int | None:
        """The token the cache serves at this position, or None (the device decides)."""
        ...

    def contradicted(self, context: Sequence[int], token: int) -> None:
        """The cloud disagreed with `token`, served after `context`."""
        ...

    def record(self, corrections: Iterable, round_: int | None = None, upload: bool = True,
               anchor: int | None = None) -> int:
        """Store corrections (objects with .context and .token); returns how many were kept."""
        ...
