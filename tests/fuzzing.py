"""What the fuzz suites share: their Hypothesis settings and the byte damage they do.

`make test` (and so CI) runs them derandomized: the same examples every run, so a green run
stays green and a red one is reproducible. `make fuzz` explores instead: FEDHYBRID_FUZZ=explore
draws fresh examples, FEDHYBRID_FUZZ_SCALE (default 10) times as many, and Hypothesis prints
the `@reproduce_failure` line of anything it finds; each find becomes a plain regression test.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXPLORE = os.environ.get("FEDHYBRID_FUZZ", "") == "explore"
SCALE = int(os.environ.get("FEDHYBRID_FUZZ_SCALE", "10")) if EXPLORE else 1

FUZZ = settings(deadline=None, database=None, derandomize=not EXPLORE, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow])


def examples(n: int) -> settings:
    """The fuzz settings with n examples (times the exploration scale)."""
    return settings(FUZZ, max_examples=n * SCALE)


@st.composite
def byte_mutations(draw, original: bytes, max_chunk: int = 16) -> bytes:
    """`original` after 1-4 byte edits anywhere: bit flips, set bytes, inserts, deletes,
    truncation, extension, overwrites of up to `max_chunk` bytes."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "flip", "set", "insert", "delete", "truncate", "extend", "overwrite"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=max_chunk))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, max_chunk))]
        elif op == "truncate":
            del data[pos:]
        elif op == "extend":
            data += draw(st.binary(min_size=1, max_size=max_chunk))
        elif op == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=max_chunk))
            data[pos:pos + len(chunk)] = chunk
    return bytes(data)
