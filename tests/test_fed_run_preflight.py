"""`fed run` refuses what the server would refuse before an engine starts any process."""

import pytest

from fedhybrid import engines
from fedhybrid.cli import main

SETS = ["--set", "fleet-tiers=edge,iot", "--set", "queries-per-round=1", "--set", "max-new-tokens=8",
        "--set", "local-steps=1", "--set", "release-k=2"]


@pytest.fixture(scope="module")
def state_at_round_2(tiny_zoo_dir, tmp_path_factory):
    state = tmp_path_factory.mktemp("preflight") / "state"
    assert main(["--zoo", str(tiny_zoo_dir), "fed", "run", "--engine", "inprocess", "--rounds", "2",
                 "--state-dir", str(state), *SETS]) == 0
    return state


@pytest.fixture
def started(monkeypatch):
    """The Flower engines, replaced by a record that they were started."""
    calls = []
    for name in ("run_simulation", "run_deployment"):
        monkeypatch.setattr(engines, name, lambda *a, _name=name, **kw: calls.append(_name))
    return calls


def _fed(zoo, state, capsys, rounds, *extra, engine="deployment"):
    code = main([*(["--zoo", str(zoo)] if zoo else []), "fed", "run", "--engine", engine, "--rounds", str(rounds),
                 "--state-dir", str(state), *SETS, *extra])
    return code, capsys.readouterr()


@pytest.mark.parametrize("engine", ["deployment", "simulation"])
def test_fed_run_refuses_other_options_for_a_state_before_starting_flower(tiny_zoo_dir, state_at_round_2, capsys,
                                                                          started, monkeypatch, engine):
    """Resuming under other options took 44 s of a deployment stack and ended in a ServerApp
    traceback; now it is the in-process engine's one line, exit 2, nothing started."""
    code, out = _fed(tiny_zoo_dir, state_at_round_2, capsys, 3, "--set", "release-k=3", engine=engine)
    assert code == 2 and started == [], out.err
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and "release-k: state 2, now 3" in lines[0] and "Traceback" not in out.err
    # the same message the server itself gives (the pre-flight's check skipped: the state read, unchecked)
    from server.state import ServerState

    monkeypatch.setattr(engines, "preflight", lambda run_config: ServerState.load_latest(state_at_round_2))
    assert _fed(tiny_zoo_dir, state_at_round_2, capsys, 3, "--set", "release-k=3", engine="inprocess")[1].err \
        == out.err.replace(f"--engine {engine}", "--engine inprocess")


@pytest.mark.parametrize("engine", ["deployment", "simulation"])
def test_fed_run_refuses_a_zoo_it_cannot_load_before_starting_flower(tmp_path, capsys, monkeypatch, engine):
    """A bad --set zoo= took 54 s of a deployment stack and ended in a ServerApp traceback."""
    spawned = []
    monkeypatch.setattr(engines.FlowerLoopback, "start", lambda self, name, *a, **kw: spawned.append(name))
    code, out = _fed(None, tmp_path / "state", capsys, 2, "--set", f"zoo={tmp_path / 'nonexistent'}", engine=engine)
    assert code == 2 and spawned == [], out.err
    assert f"no zoo manifest at {tmp_path / 'nonexistent' / 'manifest.json'}" in out.err
    assert len(out.err.strip().splitlines()) == 1 and not (tmp_path / "state").exists()


def test_fed_run_says_a_state_at_or_past_its_rounds_has_nothing_to_run(tiny_zoo_dir, state_at_round_2, capsys,
                                                                       started):
    """--rounds 1 on a state at round 2 ran a deployment stack for 46 s and then failed on the
    round it found; --rounds 2 ran one for 80 s and printed nothing."""
    code, out = _fed(tiny_zoo_dir, state_at_round_2, capsys, 1)
    assert code == 2 and started == [], out.err
    assert "is already at round 2, past --rounds (num-rounds) 1: give --rounds 3 or more" in out.err
    for engine in ("deployment", "inprocess"):
        code, out = _fed(tiny_zoo_dir, state_at_round_2, capsys, 2, engine=engine)
        assert code == 0 and started == [], out.err
        assert f"nothing to run: the state in {state_at_round_2} is already at round 2" in out.out
        assert "per-round tier metrics" not in out.out


def test_a_resumed_inprocess_run_reads_the_state_once(tiny_zoo_dir, state_at_round_2, tmp_path, capsys, caplog):
    """The pre-flight's state is the one the in-process engine resumes from: the folder was read
    twice (a large state's cost, and each damaged file's warning, twice)."""
    import logging
    import shutil

    state = tmp_path / "state"
    shutil.copytree(state_at_round_2, state)
    newest = state / "server" / "round-2.msgpack"
    data = bytearray(newest.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte: its checksum fails, round 1 is resumed from
    newest.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="fedhybrid.server"):
        code, out = _fed(tiny_zoo_dir, state, capsys, 3, engine="inprocess")
    assert code == 0, out.err
    warned = [r.getMessage() for r in caplog.records if str(newest) in r.getMessage()]
    assert len(warned) == 1 and "resuming from round 1" in warned[0], warned
    assert "final round 3" in out.out
