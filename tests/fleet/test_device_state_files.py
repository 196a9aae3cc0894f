"""A device's saved state under damage: never loaded, and never a reason to leave the run.

The device re-joins from the server's view (empty state at cache version 0, so the next
diff is a full snapshot), says so in a WARNING naming the file, and reports
`state-rejoined: 1.0` in that round's metrics.
"""

import logging
import shutil

import pytest

from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.durable import read_checked
from fedhybrid.engines import run_inprocess
from fleet.device_node import DamagedState, DeviceState
from fleet.errors import FleetError
from server.state import ServerState

HEADER = CacheHeader("test-tokenizer", vocab_size=50, n_min=2, n_max=4)


def _flip(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]


DAMAGE = {"flip": _flip, "truncate": lambda data: data[:len(data) // 2], "garbage": lambda data: b"garbage",
          "empty": lambda data: b""}


def _damage(path, kind: str) -> None:
    path.write_bytes(DAMAGE[kind](path.read_bytes()))


# -- DeviceState ------------------------------------------------------------------------------


def _saved(folder) -> DeviceState:
    state = DeviceState(HEADER, local=CountTable.from_corrections(HEADER, [([1, 2, 3], 4)], "dev", 1), version=3)
    state.save(folder, 1)
    return state


def test_device_state_is_saved_checksummed(tmp_path):
    _saved(tmp_path)
    assert read_checked(tmp_path / "round-1.msgpack")  # verifies
    assert [p.name for p in tmp_path.iterdir()] == ["round-1.msgpack"]  # no temporary file left
    assert DeviceState.load(tmp_path, 1, HEADER).version == 3


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_device_state_is_refused_naming_the_file(tmp_path, kind):
    _saved(tmp_path)
    _damage(tmp_path / "round-1.msgpack", kind)
    with pytest.raises(DamagedState) as caught:
        DeviceState.load(tmp_path, 1, HEADER)
    assert str(tmp_path / "round-1.msgpack") in str(caught.value) and "re-joins" in str(caught.value)
    assert isinstance(caught.value, FleetError)


# -- in a federation --------------------------------------------------------------------------


def base_config(zoo, state_dir, **over):
    cfg = {"num-rounds": 4, "zoo": str(zoo), "state-dir": str(state_dir), "queries-per-round": 2,
           "max-new-tokens": 16, "local-steps": 2, "release-k": 2}
    cfg.update(over)
    return cfg


@pytest.fixture(scope="module")
def stopped(tiny_zoo_dir, tmp_path_factory):
    """A run stopped after round 2."""
    state_dir = tmp_path_factory.mktemp("runs") / "stopped"
    run_inprocess(base_config(tiny_zoo_dir, state_dir, **{"num-rounds": 2}))
    return state_dir


@pytest.mark.parametrize("kind", ["truncate", "flip"])
def test_a_damaged_device_state_keeps_the_device_in_every_round_and_it_rejoins(tiny_zoo_dir, stopped, tmp_path,
                                                                               caplog, kind):
    state_dir = tmp_path / "run"
    shutil.copytree(stopped, state_dir)
    damaged = state_dir / "nodes" / "edge-2" / "round-2.msgpack"
    _damage(damaged, kind)
    with caplog.at_level(logging.WARNING):
        state = run_inprocess(base_config(tiny_zoo_dir, state_dir))
    assert state.round == 4 and len(state.history) == 4
    for record in state.history:
        assert "edge-2" in record["nodes"] and not record["dropped"]
    rejoined = {r["round"]: {d: m["state-rejoined"] for d, m in r["nodes"].items()} for r in state.history[2:]}
    assert rejoined[3]["edge-2"] == 1.0 and sum(rejoined[3].values()) == 1.0  # only the damaged device
    assert sum(rejoined[4].values()) == 0.0
    assert str(damaged) in caplog.text and "re-joins" in caplog.text
    # the round-3 diff was based on the version edge-2 had reported, which it no longer had: it skipped it
    # and reported version 0, so round 4 sent it a full snapshot, which brought it level with its tier
    after_round_3 = ServerState.from_bytes((state_dir / "server" / "round-3.msgpack").read_bytes())
    assert after_round_3.node_versions["edge-2"]["edge"] == 0
    assert after_round_3.node_versions["edge-3"]["edge"] > 0
    level = {"edge": after_round_3.views["edge"].version}  # what round 4 brought every edge device to
    assert state.node_versions["edge-2"] == state.node_versions["edge-3"] == level
    own = DeviceState.load(state_dir / "nodes" / "edge-2", 4, state.header)
    peer = DeviceState.load(state_dir / "nodes" / "edge-3", 4, state.header)
    assert own.released == peer.released and len(own.released) > 0
