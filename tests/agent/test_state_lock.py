"""One agent per state folder: a second is refused before loading anything, a killed one frees it."""

import os
import signal
import subprocess
import sys
import time

import pytest

from agent.errors import AgentError
from agent.state_lock import LOCK_NAME, hold_state_dir
from fedhybrid.cli import main


def test_a_second_claim_is_refused_naming_the_holder_and_a_released_folder_is_free(tmp_path):
    refused = pytest.raises(AgentError, match=rf"{tmp_path} is in use by another agent \(pid {os.getpid()}\): "
                                              "one agent per state folder")
    with hold_state_dir(tmp_path), refused, hold_state_dir(tmp_path):
        pass
    with hold_state_dir(tmp_path):  # released at the end of the block
        pass


def test_a_killed_holder_leaves_the_folder_free(tmp_path):
    code = ("import sys, time; from pathlib import Path; from agent.state_lock import hold_state_dir\n"
            "with hold_state_dir(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(AgentError, match=rf"\(pid {holder.pid}\)"), hold_state_dir(tmp_path):
            pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    deadline = time.monotonic() + 5
    while True:  # the kernel drops the lock with the process
        try:
            with hold_state_dir(tmp_path):
                break
        except AgentError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_device_serve_on_a_folder_another_agent_serves_from_fails_before_loading_models(tiny_zoo_dir, tmp_path,
                                                                                         capsys):
    state = tmp_path / "edge-3"
    with hold_state_dir(state):
        code = main(["--zoo", str(tiny_zoo_dir), "device", "serve", "--tier", "edge", "--device", "edge-3",
                     "--host", "127.0.0.1", "--port", "0", "--state-dir", str(state)])
    assert code == 2
    err = capsys.readouterr().err
    assert f"{state} is in use by another agent (pid {os.getpid()})" in err and "--state-dir" in err
    assert sorted(p.name for p in state.iterdir()) == [LOCK_NAME]  # no journal, no admin token written
