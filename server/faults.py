"""Fault injection for the kill -9 drills (tests/server/test_state_segments.py).

`FEDHYBRID_KILL_AT=<round>:<point>` makes the server process SIGKILL itself when it reaches
that point of that round: `ingest` (deltas merged, nothing saved), `save` (the round's
state file written, LATEST not yet), `saved` (the round committed). Unset, it costs one
environment lookup per point.
"""

from __future__ import annotations

import os
import signal


def crash_point(point: str, round_: int) -> None:
    if os.environ.get("FEDHYBRID_KILL_AT") == f"{round_}:{point}":
        os.kill(os.getpid(), signal.SIGKILL)
