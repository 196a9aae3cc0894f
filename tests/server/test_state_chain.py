"""The server state chain under the failures a kill or a stray file leaves: a round with few
changes writes a small segment, a save killed before LATEST resumes at LATEST and its
temporary files go, and a segment that fails half-way is not half applied."""

import logging

import msgpack
import numpy as np
import pytest

import server.state as state_module
from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.durable import read_checked, write_checked
from cache_sync.merge import Delta, merge_all
from server.state import ServerState

HEADER = CacheHeader("test-tokenizer", vocab_size=50, n_min=2, n_max=4)


@pytest.fixture(autouse=True)
def segments(monkeypatch):
    """Segments even for tiny states (the default writes states under 4 MB whole)."""
    monkeypatch.setattr(state_module, "SNAPSHOT_MIN_BYTES", 0)


def _round(state: ServerState, round_: int, corrections: int = 20, devices: int = 4) -> None:
    """Round `round_`'s changes: `corrections` new corrections from each of a few devices."""
    rng = np.random.default_rng(round_)
    deltas = []
    for d in range(devices):
        pairs = [([int(x) for x in rng.integers(0, 50, size=3)], int(rng.integers(0, 50))) for _ in range(corrections)]
        deltas.append(Delta(f"edge-{d}", round_, round_, CountTable.from_corrections(HEADER, pairs, f"edge-{d}", round_)))
    merged = merge_all(HEADER, deltas)
    state.aggregate = state.aggregate.merge(merged)
    state.unsaved.append(merged)
    state.round = round_
    state.adapters = {"edge": {"layer.lora_B": np.full((4, 2), float(round_), dtype=np.float32)}}
    state.node_versions = {f"edge-{d}": {"edge": round_} for d in range(devices)}
    state.history.append({"round": round_})


def _run(root, rounds: int) -> ServerState:
    state = ServerState(HEADER, "digest")
    for r in range(1, rounds + 1):
        _round(state, r)
        state.save(root)
    return state


def test_a_round_with_few_changes_writes_a_segment_much_smaller_than_the_snapshot(tmp_path):
    state = ServerState(HEADER, "digest")
    _round(state, 1, corrections=2000, devices=8)  # a large table
    snapshot = state.save(tmp_path)
    _round(state, 2, corrections=3, devices=2)  # a quiet round
    segment = state.save(tmp_path)
    assert snapshot.name == "round-1.msgpack" and segment.name == "segment-2.msgpack"
    assert segment.stat().st_size * 20 < snapshot.stat().st_size, (segment.stat().st_size, snapshot.stat().st_size)
    assert ServerState.load_latest(tmp_path).state_hash() == state.state_hash()


def test_a_save_killed_before_latest_resumes_at_latest_and_its_leftovers_go(tmp_path):
    state = _run(tmp_path, 3)
    folder = tmp_path / "server"
    expected = state.state_hash()
    # what a kill during round 4's save leaves: its segment (complete, LATEST not yet moved)
    # and half-written temporary files of a segment and of LATEST
    _round(state, 4)
    write_checked(folder / "segment-4.msgpack", state._segment())
    (folder / ".segment-4.msgpack.tmp-0123abcd").write_bytes(b"half a segm")
    (folder / ".LATEST.tmp-89abcdef").write_bytes(b"FH")
    resumed = ServerState.load_latest(tmp_path)
    assert resumed.round == 3 and resumed.state_hash() == expected
    # the round runs again, and its save removes what the killed one left
    _round(resumed, 4)
    written = resumed.save(tmp_path)
    assert written.name == "segment-4.msgpack" and read_checked(folder / "LATEST") == b"4"
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert ServerState.load_latest(tmp_path).state_hash() == resumed.state_hash() == _run(tmp_path / "b", 4).state_hash()


@pytest.mark.parametrize("field, value", [("views", {"edge": b"not a view"}), ("history_from", 99),
                                          ("node_versions", [1, 2]), ("merged", [b"not an aggregate"])])
def test_a_segment_that_fails_half_way_is_not_half_applied(tmp_path, monkeypatch, caplog, field, value):
    monkeypatch.setattr(state_module, "COMPACT_RATIO", 100.0)  # rounds 2 and 3 write segments
    _run(tmp_path, 3)
    path = tmp_path / "server" / "segment-3.msgpack"
    raw = msgpack.unpackb(read_checked(path), raw=False, strict_map_key=False)
    assert raw["merged"] and raw["adapters"]  # applied before the broken field, were it applied in place
    write_checked(path, msgpack.packb({**raw, field: value}, use_bin_type=True))  # intact frame, wrong content
    with caplog.at_level(logging.WARNING, logger="fedhybrid.server"):
        loaded = ServerState.load_latest(tmp_path)
    assert loaded.round == 2 and loaded.state_hash() == _run(tmp_path / "ref", 2).state_hash()
    assert loaded.history == [{"round": 1}, {"round": 2}]
    assert "segment-3.msgpack is not a segment of this state" in caplog.text
