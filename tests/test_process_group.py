"""Stopping a process group this project started: the whole group, by PID, with a grace period."""

import os
import pathlib
import signal
import subprocess
import sys
import time

from fedhybrid.engines import _Proc
from fedhybrid.process_group import alive

# a child that ignores SIGTERM (as a Flower helper busy shutting down would, for a while)
STUBBORN = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"


def _leader(tmp_path: pathlib.Path, exit_at_once: bool) -> tuple[subprocess.Popen, int]:
    """A group leader that starts a stubborn child, then sleeps or exits at once."""
    child_pid = tmp_path / "child.pid"
    leader = subprocess.Popen([sys.executable, "-c", (
        "import pathlib, subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', {STUBBORN!r}])\n"
        f"pathlib.Path({str(child_pid)!r}).write_text(str(child.pid))\n"
        + ("" if exit_at_once else "time.sleep(120)\n"))], start_new_session=True)
    deadline = time.monotonic() + 20
    while not (child_pid.exists() and child_pid.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return leader, int(child_pid.read_text())


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_an_engine_process_is_stopped_with_every_process_of_its_group(tmp_path, monkeypatch):
    """The deployment engine's stop used to wait for the leader only: a helper it started could
    still run when the engine returned, and one whose leader had exited was never signalled."""
    import fedhybrid.process_group as pg

    real = pg.stop_group
    monkeypatch.setattr("fedhybrid.engines.stop_group", lambda pgid, **kw: real(pgid, grace_s=1.0, **kw))
    for exit_at_once in (False, True):
        work = tmp_path / ("exited" if exit_at_once else "running")
        work.mkdir()
        leader, child = _leader(work, exit_at_once)
        try:
            if exit_at_once:
                leader.wait(timeout=20)  # the leader is gone, its child is not
                assert alive(child)
            _Proc("superlink", leader, tmp_path / "log").stop()
            assert not alive(child) and leader.poll() is not None
            if not exit_at_once:
                assert leader.returncode == -signal.SIGTERM  # its own exit code, not one made up
        finally:
            _kill_group(leader.pid)


def test_a_process_start_time_is_read_past_a_command_name_with_spaces_and_parentheses(tmp_path):
    """/proc/<pid>/stat puts the command name in parentheses, and a name may hold both: the start
    time `fleet down` checks a PID against must not shift with it."""
    from fedhybrid.process_group import cmdline, started

    ready = tmp_path / "ready"
    code = (f"import pathlib, time; pathlib.Path('/proc/self/comm').write_text('a) b (c'); "
            f"pathlib.Path({str(ready)!r}).write_text('1'); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        before = started(proc.pid)
        deadline = time.monotonic() + 20
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pathlib.Path(f"/proc/{proc.pid}/comm").read_text().strip() == "a) b (c"
        assert isinstance(before, int) and started(proc.pid) == before
        assert cmdline(proc.pid) == [sys.executable, "-c", code]
    finally:
        proc.kill()
        proc.wait()
    assert started(proc.pid) is None and cmdline(proc.pid) is None
