"""Processes this project starts as their own process-group leaders, and how they are stopped.

Flower's SuperLink and SuperNode start helpers of their own (flower-superexec, the ServerApp),
which can outlive their leader by seconds. Stopping a leader is therefore stopping its group:
SIGTERM to the group, a grace period for the whole group (not the leader alone) to exit, then
SIGKILL to what is left. Everything is addressed by PID; nothing is ever stopped by name.

A PID alone does not name a process for long: once it exits the kernel hands the number out
again. `started` (the start time, in clock ticks since boot) and `boot_id` together do: a record
that keeps them can tell, before any signal, whether its PID is still the process it started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

PROC = Path("/proc")  # Linux: where a process's start time and command line are read


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie child of this process is reaped and counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:  # not our child: it runs
        return True


def group_alive(pgid: int) -> bool:
    """Whether any process of the group is left. The kernel keeps a group's id allocated while
    a member lives, so a leader's PID is not reused for another group meanwhile."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running(pgid: int, leader: Callable[[], bool] | None = None) -> bool:
    """The leader or any process of its group is alive (the leader first: `alive` reaps a leader
    that is this process's own zombie child, which would otherwise keep the group alive; a
    `subprocess.Popen`'s owner passes `lambda: proc.poll() is None` so the exit code is kept)."""
    return (leader() if leader is not None else alive(pgid)) or group_alive(pgid)


def stop_groups(groups: list[tuple[int, Callable[[], bool] | None]], grace_s: float = 15.0,
                settle_s: float = 5.0) -> bool:
    """SIGTERM every group of (pgid, leader-alive check or None) at once, wait up to `grace_s` for
    all of them together, SIGKILL what is left and wait up to `settle_s` (one wait, not one per
    group). Returns whether anything was signalled."""
    signalled = False
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, settle_s)):
        live = [(pgid, leader) for pgid, leader in groups if running(pgid, leader)]
        for pgid, _ in live:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, sig)
        signalled = signalled or bool(live)
        deadline = time.monotonic() + wait_s
        for pgid, leader in live:
            wait_gone(pgid, max(0.0, deadline - time.monotonic()), leader)
    return signalled


def stop_group(pgid: int, grace_s: float = 15.0, settle_s: float = 5.0,
               leader: Callable[[], bool] | None = None) -> bool:
    """`stop_groups` of the one group led by `pgid`."""
    return stop_groups([(pgid, leader)], grace_s, settle_s)


def wait_gone(pgid: int, timeout_s: float, leader: Callable[[], bool] | None = None) -> bool:
    """Wait until nothing of the group runs; returns whether it is gone."""
    deadline = time.monotonic() + timeout_s
    while running(pgid, leader) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not running(pgid, leader)


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat's fields after the command name (state, ppid, pgrp, ...: field 3 is [0]);
    None when no such process runs or there is no /proc to read."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except (OSError, UnicodeDecodeError):
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")"
    return stat[stat.rfind(")") + 2:].split()


def started(pid: int) -> int | None:
    """When `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat; a zombie keeps
    it); None when no such process runs or there is no /proc to read."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields and len(fields) > 19 and fields[19].isdigit() else None


def descendant_groups(pid: int) -> set[int]:
    """The process groups that descendants of `pid` lead apart from its own (read from Linux's
    /proc; none where there is none), never this process's own group."""
    try:
        entries = [int(e) for e in os.listdir(PROC) if e.isdigit()]
    except OSError:
        return set()
    parent, group = {}, {}
    for entry in entries:
        fields = _stat_fields(entry)
        if fields is not None and len(fields) > 2:  # None: gone meanwhile
            parent[entry], group[entry] = int(fields[1]), int(fields[2])
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        for child, ppid in parent.items():
            if ppid == current and child not in found:
                found.add(child)
                todo.append(child)
    return {group[p] for p in found} - {pid, os.getpgrp()}


def boot_id() -> str | None:
    """This boot's id (a start time counts from boot, so it is compared within one boot only)."""
    try:
        return (PROC / "sys" / "kernel" / "random" / "boot_id").read_text().strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def cmdline(pid: int) -> list[str] | None:
    """The arguments `pid` runs with (empty for a zombie); None when no such process runs."""
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    return [os.fsdecode(arg) for arg in raw.split(b"\0")[:-1]]
