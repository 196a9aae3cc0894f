"""This process's resident memory, as the server's rounds and its ingest workers report it."""

from __future__ import annotations

import os
import resource
import sys


def _ru_maxrss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


def rss_mb() -> float:
    """Resident memory now (Linux /proc; elsewhere the peak so far)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return _ru_maxrss_mb()


def peak_rss_mb() -> float:
    """Peak resident memory since this process started its program (Linux VmHWM; elsewhere
    ru_maxrss, which also counts the parent's memory at the fork before a spawned child's exec:
    450 MB for an ingest worker that held 148)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10  # kB
    except (OSError, ValueError, IndexError):
        pass
    return _ru_maxrss_mb()
