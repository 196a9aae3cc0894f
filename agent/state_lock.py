"""One agent per state folder: the journal and the admin token belong to one process.

Two agents started with the same `--device` (or `--state-dir`) would append to one journal,
each believing it alone holds the upload ledger and the installed state, and the second would
replace the first's admin token under it (the first then refusing its own token file). The
folder is claimed with an exclusive `flock` on `<state-dir>/agent.lock` before any model
loads; the kernel drops it when the holder exits or is killed, so a crash leaves nothing to
clean up. The holder's pid is written in the file to name it in the refusal.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from agent.errors import AgentError

LOCK_NAME = "agent.lock"


@contextlib.contextmanager
def hold_state_dir(folder: Path) -> Iterator[Path]:
    """Claim `folder` for this process while the block runs.

    Raises:
        AgentError: another live process holds it (named by pid when it wrote one).
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise AgentError(f"{folder} is in use by another agent{f' (pid {holder})' if holder.isdigit() else ''}: "
                             "one agent per state folder; stop that one, or start this one with another "
                             "--device or --state-dir") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor drops the lock
