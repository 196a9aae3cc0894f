"""A SuperNode killed after round 1 and restarted with the same arguments rejoins the running
deployment: Flower registers it under a new node id, and the server's refresh before a round
(server/app.py `refresh`) takes that id for its device."""

import os
import re
import signal
import time

import pytest

from fedhybrid.engines import FlowerLoopback, _bin, free_port
from fedhybrid.process_group import wait_gone
from fleet.config import FederationConfig
from server.state import ServerState


@pytest.mark.slow
def test_rejoin_a_killed_and_restarted_supernode_answers_in_a_later_round(tiny_zoo_dir, replay_corpus, tmp_path):
    # replayed devices answer without decoding or training: a round costs Flower's own latency only
    run_config = {"num-rounds": 3, "zoo": str(tiny_zoo_dir), "state-dir": str(tmp_path / "state"), "release-k": 2,
                  "replay-dir": str(replay_corpus), "fleet-tiers": "edge,iot",
                  # room after round 1 for the restarted SuperNode to register before round 2 starts; a
                  # slower restart only moves its rejoin to round 3 (round 2 then finds the old id gone)
                  "round-interval": 30}
    cfg = FederationConfig.from_run_config(run_config)
    link = FlowerLoopback(tmp_path / "flwr")
    (tmp_path / "flwr").mkdir()
    port = free_port()
    events: dict[str, float] = {}
    lines: list[str] = []

    def supernode(i: int, name: str):
        node_config = (f'tier="{cfg.fleet_tiers[i]}" device="{cfg.device_name(i)}" partition-id={i} '
                       f"num-partitions={len(cfg.fleet_tiers)}")
        return link.start(name, [_bin("flower-supernode"), "--insecure", "--superlink", f"127.0.0.1:{port}",
                                 "--host", "127.0.0.1", "--port", str(node_ports[i]), "--node-config", node_config,
                                 "--isolation", "subprocess"])

    def on_line(line: str) -> None:
        lines.append(line)
        if "round 1/3:" in line and "killed" not in events:
            victim = nodes[0]
            os.killpg(victim.proc.pid, signal.SIGKILL)  # a crash: no goodbye to the SuperLink
            assert wait_gone(victim.proc.pid, 30.0, lambda: victim.proc.poll() is None)
            events["killed"] = time.monotonic()
            nodes[0] = supernode(0, "supernode-0-restarted")  # the same arguments, port included
        if "rejoined as node" in line and "rejoined" not in events:
            events["rejoined"] = time.monotonic()

    try:
        superlink = link.start("superlink", [
            _bin("flower-superlink"), "--insecure", "--isolation", "subprocess", "--host", "127.0.0.1",
            "--port", str(port), "--database", str(tmp_path / "flwr" / "superlink.db"),
            "--disable-runtime-dependency-installation"], hosts_server=True)
        link.wait_http(f"http://127.0.0.1:{port}/health", superlink)
        node_ports = [free_port() for _ in cfg.fleet_tiers]
        nodes = [supernode(i, f"supernode-{i}") for i in range(len(cfg.fleet_tiers))]
        link.write_connection("loopback", f"127.0.0.1:{port}")
        link.flwr_run("loopback", run_config, timeout_s=540, on_line=on_line)
    finally:
        link.stop_all()
    state = ServerState.load_latest(cfg.state_path)
    assert state is not None and state.round == 3
    history = state.history
    assert sorted(history[0]["nodes"]) == ["edge-0", "iot-1"]
    rejoin = [r["round"] for r in history if "edge-0" in r.get("membership", {}).get("rejoined", [])]
    assert len(rejoin) == 1 and rejoin[0] in (2, 3), [r.get("membership") for r in history]
    for record in history[rejoin[0] - 1:]:  # from its rejoin on, its replies are accepted
        assert sorted(record["nodes"]) == ["edge-0", "iot-1"], record["dropped"]
    said = [m for line in lines if (m := re.search(r"edge-0 rejoined as node (\d+) \(was (\d+)\)", line))]
    assert len(said) == 1 and said[0].group(1) != said[0].group(2)
    print(f"rejoined in round {rejoin[0]}, {events['rejoined'] - events['killed']:.1f} s after the kill "
          f"(ServerApp line seen by `flwr run --stream`)")
