"""Stopping a Flower engine's processes: the ServerApp goes before any node, all nodes at once."""

import os
import signal
import sys
import time

from fedhybrid.engines import FlowerLoopback
from fedhybrid.process_group import alive

# the ServerApp as Flower runs it: flower-superexec starts it in a session of its own, so the
# SuperLink's process group does not hold it. On SIGTERM it notes which nodes still run.
SERVERAPP = """
import os, pathlib, signal, sys, time
work = pathlib.Path(sys.argv[1])
def on_term(*_):
    (work / "serverapp-saw").write_text(",".join(sorted(p.name for p in (work / "nodes").iterdir())))
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
(work / "serverapp.pid").write_text(str(os.getpid()))
time.sleep(60)
"""
SUPERLINK = f"""
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", {SERVERAPP!r}, sys.argv[1]], start_new_session=True)
time.sleep(60)
"""
# a node that takes a while to shut down, and says it is gone only then
NODE = """
import os, pathlib, signal, sys, time
marker = pathlib.Path(sys.argv[1]) / "nodes" / sys.argv[2]
def on_term(*_):
    time.sleep(1.5)
    marker.unlink()
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
marker.write_text(str(os.getpid()))
time.sleep(60)
"""


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_fed_run_stop_ends_the_serverapp_before_any_node_and_the_nodes_together(tmp_path):
    """An interrupted deployment run stopped `flwr run`, then each SuperNode (up to 15 s each),
    the SuperLink last, and never the ServerApp (another session): it went on running rounds
    against the stopped nodes and saved them with 0 nodes, using up the run's remaining rounds."""
    (tmp_path / "nodes").mkdir()
    link = FlowerLoopback(tmp_path)
    link.start("superlink", [sys.executable, "-c", SUPERLINK, str(tmp_path)], hosts_server=True)
    for i in range(3):
        link.start(f"supernode-{i}", [sys.executable, "-c", NODE, str(tmp_path), f"node-{i}"])
    leaders = [h.proc.pid for h in link.procs]
    serverapp = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
                len(list((tmp_path / "nodes").iterdir())) == 3 and (tmp_path / "serverapp.pid").exists()
                and (tmp_path / "serverapp.pid").read_text()):
            time.sleep(0.05)
        serverapp = int((tmp_path / "serverapp.pid").read_text())
        started = time.monotonic()
        link.stop_all()
        took = time.monotonic() - started
        # the ServerApp was signalled while every node still ran, and is gone
        assert (tmp_path / "serverapp-saw").read_text() == "node-0,node-1,node-2"
        assert not alive(serverapp)
        assert not list((tmp_path / "nodes").iterdir()) and link.procs == []
        assert took < 4.0, f"the nodes were stopped one after another ({took:.1f} s for 3 x 1.5 s)"
    finally:
        for pgid in [*leaders, *([serverapp] if serverapp else [])]:
            _kill_group(pgid)
