"""`fleet up --key-dir`: a fleet on the operator's own keys (`fedhybrid keys init`), checked whole
before anything starts and never written to; and the run-config values `fleet up` sets itself,
which `--set` may not give (they were replaced without a word)."""

import hashlib
import time

import httpx
import pytest

from fedhybrid.cli import main
from fedhybrid.fleet_ops import FleetSpec, fleet_down, fleet_up


def _one_error_line(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1, err
    return err[0]


def _listing(folder) -> dict:
    """Every file under `folder` with its content's hash and mode: what 'nothing changed' compares."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("setting, flag", [("num-rounds=3", "--rounds"), ("round-interval=5.0", "--round-interval"),
                                           ("fleet-tiers='edge'", "--tiers"), ("state-dir='/tmp/x'", "--workdir"),
                                           ("key-dir='/tmp/k'", "--key-dir"), ("zoo='/tmp/z'", "--zoo")])
def test_fleet_up_refuses_a_set_of_a_value_it_sets_itself(tmp_path, capsys, setting, flag):
    """`fleet up --set num-rounds=3` ran the default 10 rounds: the fleet's own value replaced it."""
    work = tmp_path / "fleet"
    assert main(["fleet", "up", "--workdir", str(work), "--tiers", "edge", "--set", setting]) == 2
    line = _one_error_line(capsys)
    assert f"--set {setting.split('=')[0]}=... (use {flag}" in line, line
    assert not work.exists()


def test_a_key_dir_missing_a_device_or_with_a_damaged_key_is_refused_before_anything_starts(tmp_path, capsys):
    keys, work = tmp_path / "keys", tmp_path / "fleet"
    argv = ["fleet", "up", "--workdir", str(work), "--tiers", "edge,iot", "--key-dir", str(keys)]
    assert main(argv) == 2  # no such folder
    line = _one_error_line(capsys)
    assert f"--key-dir {keys} is not a folder" in line and "fedhybrid keys init" in line, line
    assert main(["keys", "init", "--dir", str(keys), "--devices", "edge-0"]) == 0
    capsys.readouterr()
    before = _listing(keys)
    assert main(argv) == 2  # iot-1 has no key pair in it
    line = _one_error_line(capsys)
    assert "no public key for iot-1" in line and f"--dir {keys} --devices iot-1" in line, line
    assert main(["keys", "init", "--dir", str(keys), "--devices", "iot-1"]) == 0
    capsys.readouterr()
    (keys / "devices" / "edge-0.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\ngarbage\n")
    before = _listing(keys)
    assert main(argv) == 2  # an agent's own key does not load: named, not found in its log later
    line = _one_error_line(capsys)
    assert "edge-0.pem" in line, line
    assert _listing(keys) == before  # nothing made or replaced in the operator's folder
    assert not work.exists()  # nothing started, no fleet.json


@pytest.mark.slow
def test_a_fleet_on_the_operators_keys_runs_its_rounds_and_leaves_the_folder_as_it_was(tmp_path, tiny_zoo_dir):
    """A real fleet (cloud server, two device agents, SuperLink, SuperNodes, `flwr run`) on a key
    folder made beforehand: the devices' sealed uploads open with its aggregator key on the
    server, the agents verify the server's signed updates with its public key, and neither the
    folder nor a <workdir>/keys of the fleet's own is written."""
    from server.state import ServerState

    keys, work = tmp_path / "operator-keys", tmp_path / "fleet"
    assert main(["keys", "init", "--dir", str(keys), "--devices", "edge-0", "iot-1"]) == 0
    before = _listing(keys)
    spec = FleetSpec(work, tiers=("edge", "iot"), rounds=2, round_interval=8.0, zoo=tiny_zoo_dir, train_budget=0.0,
                     key_dir=keys)
    fleet = fleet_up(spec, say=lambda _: None)
    try:
        assert fleet["key_dir"] == str(keys.resolve())
        # `cloud serve` reports what it serves; the agents (reward heads of the zoo's cloud) accepted it
        from inference.model_identity import folder_identity

        card = httpx.get(f"{fleet['cloud_url']}/v1/models", timeout=10.0).json()["data"][0]
        assert card["model_identity"] == folder_identity(tiny_zoo_dir / "cloud")
        for agent in fleet["agents"]:  # corrections to upload: each agent answers a request between rounds
            reply = httpx.post(f"{agent['url']}/v1/completions", json={"prompt": "Ada has 3 apples", "max_tokens": 8},
                               timeout=60.0)
            assert reply.status_code == 200, reply.text
        deadline, state = time.monotonic() + 300.0, None
        while time.monotonic() < deadline:
            state = ServerState.load_latest(work / "server-state")
            if state is not None and state.round == 2:
                break
            time.sleep(1.0)
        assert state is not None and state.round == 2, f"rounds not finished; see {work / 'logs'}"
        for record in state.history:
            assert sorted(record["nodes"]) == ["edge-0", "iot-1"] and not record["dropped"], record
        # the devices' sealed corrections opened with the folder's aggregator key (an iot model this
        # tiny may have had nothing corrected: edge-0's, with the micro-zoo's models, always has)
        assert "edge-0" in state.high_water and set(state.high_water) <= {"edge-0", "iot-1"}, state.high_water
    finally:
        fleet_down(work, quiet=True)
    assert _listing(keys) == before
    assert not (work / "keys").exists()
