"""The server's persisted files under damage: a flipped byte, a truncation, garbage or an
empty file in a round file or LATEST is never loaded; resume falls back to the newest intact
round (saying so) and ends at the same final state as an uninterrupted run, or refuses."""

import logging
import shutil

import numpy as np
import pytest

from cache_sync.correction_cache import CacheHeader
from cache_sync.durable import read_checked
from fedhybrid.engines import run_inprocess
from server.errors import ServerError
from server.state import ServerState

HEADER = CacheHeader("test-tokenizer", vocab_size=50, n_min=2, n_max=4)


def _flip(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x10]) + data[middle + 1:]


DAMAGE = {
    "flip": _flip,
    "truncate": lambda data: data[:len(data) // 2],
    "garbage": lambda data: b"garbage",
    "empty": lambda data: b"",
}


def _damage(path, kind: str) -> None:
    path.write_bytes(DAMAGE[kind](path.read_bytes()))


def _state(round_: int) -> ServerState:
    state = ServerState(HEADER, "digest", round_)
    state.adapters = {"edge": {"layer.lora_B": np.full((4, 2), float(round_), dtype=np.float32)}}
    state.node_versions = {"edge-0": {"edge": round_}}
    state.history = [{"round": r} for r in range(1, round_ + 1)]
    return state


def _saved(root, rounds: int = 3):
    for round_ in range(1, rounds + 1):
        _state(round_).save(root)
    return root / "server"


# -- ServerState files --------------------------------------------------------------------------


def test_save_keeps_the_last_three_rounds_checksummed_and_no_temporary_file(tmp_path):
    folder = _saved(tmp_path, rounds=5)
    assert sorted(p.name for p in folder.iterdir()) == ["LATEST", "round-3.msgpack", "round-4.msgpack",
                                                        "round-5.msgpack"]
    assert read_checked(folder / "LATEST") == b"5"
    loaded = ServerState.load_latest(tmp_path)
    assert loaded.round == 5 and loaded.state_hash() == _state(5).state_hash()


def test_state_hash_hashes_content_not_file_bytes(tmp_path):
    state = _state(2)
    before = state.state_hash()
    state.save(tmp_path)
    assert ServerState.load_latest(tmp_path).state_hash() == before == _state(2).state_hash()
    assert ServerState.from_bytes(state.to_bytes()).state_hash() == before
    assert ServerState.from_bytes((tmp_path / "server" / "round-2.msgpack").read_bytes()).state_hash() == before


def test_a_fresh_folder_has_no_state(tmp_path):
    assert ServerState.load_latest(tmp_path) is None


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_round_file_falls_back_to_the_previous_round_saying_so(tmp_path, kind, caplog):
    folder = _saved(tmp_path)
    _damage(folder / "round-3.msgpack", kind)
    with caplog.at_level(logging.WARNING, logger="fedhybrid.server"):
        state = ServerState.load_latest(tmp_path)
    assert state.round == 2 and state.state_hash() == _state(2).state_hash()
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert str(folder / "round-3.msgpack") in record.getMessage()
    assert "resuming from round 2" in record.getMessage()


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_latest_falls_back_to_the_newest_intact_round_saying_so(tmp_path, kind, caplog):
    folder = _saved(tmp_path)
    _damage(folder / "LATEST", kind)
    with caplog.at_level(logging.WARNING, logger="fedhybrid.server"):
        state = ServerState.load_latest(tmp_path)
    assert state.round == 3
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert str(folder / "LATEST") in record.getMessage() and "resuming from round 3" in record.getMessage()


def test_damaged_latest_and_newest_round_fall_back_past_both(tmp_path, caplog):
    folder = _saved(tmp_path)
    _damage(folder / "LATEST", "garbage")
    _damage(folder / "round-3.msgpack", "flip")
    with caplog.at_level(logging.WARNING, logger="fedhybrid.server"):
        assert ServerState.load_latest(tmp_path).round == 2
    assert "LATEST" in caplog.text and "round-3.msgpack" in caplog.text


def test_a_missing_latest_next_to_round_files_is_damage_not_a_fresh_start(tmp_path, caplog):
    folder = _saved(tmp_path)
    (folder / "LATEST").unlink()
    with caplog.at_level(logging.WARNING, logger="fedhybrid.server"):
        assert ServerState.load_latest(tmp_path).round == 3
    assert "LATEST is missing" in caplog.text


def test_latest_naming_a_missing_round_falls_back(tmp_path, caplog):
    folder = _saved(tmp_path)
    (folder / "round-3.msgpack").unlink()
    with caplog.at_level(logging.WARNING, logger="fedhybrid.server"):
        assert ServerState.load_latest(tmp_path).round == 2
    assert "round-3.msgpack is missing" in caplog.text


def test_a_round_file_newer_than_latest_never_completed_and_is_not_resumed(tmp_path):
    folder = _saved(tmp_path)
    shutil.copy(folder / "LATEST", tmp_path / "LATEST.2")
    _state(4).save(tmp_path)
    shutil.copy(tmp_path / "LATEST.2", folder / "LATEST")  # killed between the round file and LATEST
    assert ServerState.load_latest(tmp_path).round == 3


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_no_intact_round_left_is_refused_naming_the_folder_and_the_fix(tmp_path, kind):
    folder = _saved(tmp_path, rounds=1)  # the tracker's case: one round run, its file damaged
    _damage(folder / "round-1.msgpack", kind)
    with pytest.raises(ServerError, match="another --state-dir") as caught:
        ServerState.load_latest(tmp_path)
    assert str(folder) in str(caught.value) and "round-1.msgpack" in str(caught.value)


def test_every_kept_round_damaged_is_refused(tmp_path):
    folder = _saved(tmp_path, rounds=4)
    for path in folder.glob("round-*.msgpack"):
        _damage(path, "truncate")
    with pytest.raises(ServerError, match="no intact server state"):
        ServerState.load_latest(tmp_path)


# -- a resumed in-process federation ----------------------------------------------------------


def base_config(zoo, state_dir, **over):
    cfg = {"num-rounds": 3, "zoo": str(zoo), "state-dir": str(state_dir), "queries-per-round": 2,
           "max-new-tokens": 16, "local-steps": 2, "release-k": 2}
    cfg.update(over)
    return cfg


@pytest.fixture(scope="module")
def runs(tiny_zoo_dir, tmp_path_factory):
    """The final state hash of an uninterrupted 3-round run, and the folder of a run stopped after round 2."""
    root = tmp_path_factory.mktemp("runs")
    clean = run_inprocess(base_config(tiny_zoo_dir, root / "clean"))
    run_inprocess(base_config(tiny_zoo_dir, root / "stopped", **{"num-rounds": 2}))
    return {"zoo": tiny_zoo_dir, "hash": clean.state_hash(), "stopped": root / "stopped"}


@pytest.mark.parametrize("name, kind, resumed_from", [
    ("round-2.msgpack", "flip", 1),
    ("round-2.msgpack", "truncate", 1),
    ("LATEST", "garbage", 2),
    ("LATEST", "empty", 2),
])
def test_a_resume_past_a_damaged_file_ends_at_the_uninterrupted_final_state(runs, tmp_path, caplog, name, kind,
                                                                             resumed_from):
    state_dir = tmp_path / "run"
    shutil.copytree(runs["stopped"], state_dir)
    _damage(state_dir / "server" / name, kind)
    with caplog.at_level(logging.WARNING, logger="fedhybrid.server"):
        state = run_inprocess(base_config(runs["zoo"], state_dir))
    assert f"{state_dir / 'server' / name}" in caplog.text
    assert f"resuming from round {resumed_from}" in caplog.text
    assert state.round == 3 and len(state.history) == 3
    assert state.state_hash() == runs["hash"]
    assert ServerState.load_latest(state_dir).state_hash() == runs["hash"]
    # the adapters of the first run were replaced whole: no half-written or left-over folder
    adapters = state_dir / "server" / "adapters"
    assert sorted(p.name for p in adapters.iterdir()) == ["client", "edge"]
    assert all((adapters / family / "adapter_config.json").is_file() for family in ("client", "edge"))


def test_a_resume_with_no_intact_round_left_is_refused(runs, tmp_path):
    state_dir = tmp_path / "run"
    shutil.copytree(runs["stopped"], state_dir)
    for path in (state_dir / "server").glob("round-*.msgpack"):
        _damage(path, "flip")
    with pytest.raises(ServerError, match="another --state-dir"):
        run_inprocess(base_config(runs["zoo"], state_dir))
