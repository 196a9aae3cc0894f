"""The decode loop's two guards against short cycles ("\\n#\\n#..."), one cycle test for both.

- The cache loop guard (`DecodeConfig.cache_loop_repeats`): a cache whose entries chain into a
  cycle would serve it to max_new_tokens with no reward head or cloud to break it, so serving
  stops once the last periods were all served from cache and the device takes over.
- The loop stop (`DecodeConfig.loop_stop`): whoever produces a cycle, every further token is
  more of it (and an escalated one costs a cloud token), so the request ends there.
Both look at the tail only: O(span) per token.
"""

from __future__ import annotations

from collections.abc import Sequence

from inference.generation import Provenance

MAX_PERIOD = 4  # the longest cycle (in tokens) either guard looks for


def ends_in_cycle(seq: Sequence, period: int, span: int) -> bool:
    """Are the last `span` items of `seq` (len(seq) >= span) one cycle of `period` repeated?"""
    return all(seq[-i] == seq[-i - period] for i in range(1, span - period + 1))


def output_loops(tokens: Sequence[int], generated: int, n: int) -> bool:
    """The loop stop: are the last `n` of `tokens` (`generated` of them new) one cycle of <=
    MAX_PERIOD tokens? (False while fewer than `n` were generated, or with `n` 0.)"""
    if not n or generated < n:
        return False
    return any(ends_in_cycle(tokens, period, n) for period in range(1, MAX_PERIOD + 1))


def cache_would_loop(tokens: list[int], provenance: list[Provenance], token: int, repeats: int,
                     generated: int) -> bool:
    """The cache loop guard: would serving `token` after `tokens` (`generated` of them new, each
    with its provenance) complete `repeats` cache-served periods of a cycle of <= MAX_PERIOD?"""
    longest = MAX_PERIOD * repeats  # the widest span any period needs
    tail = tokens[-longest:] + [token]
    prov = provenance[-longest:] + [Provenance.CACHE]
    for period in range(1, MAX_PERIOD + 1):
        span = period * repeats
        if generated + 1 < span:
            return False
        if all(p is Provenance.CACHE for p in prov[-span:]) and ends_in_cycle(tail, period, span):
            return True
    return False
