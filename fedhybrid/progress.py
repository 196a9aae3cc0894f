"""Progress of a long command: a rich bar on a terminal, a plain line now and then in a log.

rich draws its live bars only on a terminal; with output going to a file (a run under nohup, a
CI log) it prints nothing until the command ends, so a run killed midway leaves no trace of how
far it got. Off a terminal this prints "label: i/n (elapsed)" when a task starts, at most every
`interval_s`, and when it completes, flushed each time.
"""

from __future__ import annotations

import sys
import time
from typing import Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class TaskProgress:
    """`update(label, i, n)` for each of several labelled tasks, in a `with` block."""

    def __init__(self, interval_s: float = 30.0, console: Console | None = None) -> None:
        self.console = console or Console()
        self.interval_s = interval_s
        self._bar: Progress | None = None
        self._tasks: dict[str, int] = {}
        self._started: dict[str, float] = {}
        self._last = 0.0

    def __enter__(self) -> Self:
        if self.console.is_terminal:
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=self.console)
            self._bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def update(self, label: str, i: int, n: int) -> None:
        if self._bar is not None:
            if label not in self._tasks:
                self._tasks[label] = self._bar.add_task(label, total=n)
            self._bar.update(self._tasks[label], completed=i)
            return
        now = time.monotonic()
        first = label not in self._started
        start = self._started.setdefault(label, now)
        if first or i >= n or now - self._last >= self.interval_s:
            self._last = now
            print(f"{label}: {i}/{n} ({now - start:.0f} s)", file=sys.stdout, flush=True)
