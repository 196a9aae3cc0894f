"""The server state chain under the failures a kill or a stray file leaves: a round with few
changes writes a small segment, a save killed before LATEST resumes at LATEST and its
temporary files go, and a segment that fails half-way is not half applied."""

import logging

import msgpack
import pytest

import server.state as state_module
from cache_sync.durable import read_checked, write_checked
from server.state import ServerState
from tests.server.state_rounds import HEADER, play, play_round


@pytest.fixture(autouse=True)
def segments(monkeypatch):
    """Segments even for tiny states (the default writes states under 4 MB whole)."""
    monkeypatch.setattr(state_module, "SNAPSHOT_MIN_BYTES", 0)


def test_a_round_with_few_changes_writes_a_segment_much_smaller_than_the_snapshot(tmp_path):
    state = ServerState(HEADER, "digest")
    play_round(state, 1, corrections=2000, devices=8)  # a large table
    snapshot = state.save(tmp_path)
    play_round(state, 2, corrections=3, devices=2)  # a quiet round
    segment = state.save(tmp_path)
    assert snapshot.name == "round-1.msgpack" and segment.name == "segment-2.msgpack"
    assert segment.stat().st_size * 20 < snapshot.stat().st_size, (segment.stat().st_size, snapshot.stat().st_size)
    assert ServerState.load_latest(tmp_path).state_hash() == state.state_hash()


def test_a_save_killed_before_latest_resumes_at_latest_and_its_leftovers_go(tmp_path):
    state = play(tmp_path, 3)
    folder = tmp_path / "server"
    expected = state.state_hash()
    # what a kill during round 4's save leaves: its segment (complete, LATEST not yet moved)
    # and half-written temporary files of a segment and of LATEST
    play_round(state, 4)
    write_checked(folder / "segment-4.msgpack", state._segment())
    (folder / ".segment-4.msgpack.tmp-0123abcd").write_bytes(b"half a segm")
    (folder / ".LATEST.tmp-89abcdef").write_bytes(b"FH")
    resumed = ServerState.load_latest(tmp_path)
    assert resumed.round == 3 and resumed.state_hash() == expected
    # the round runs again, and its save removes what the killed one left
    play_round(resumed, 4)
    written = resumed.save(tmp_path)
    assert written.name == "segment-4.msgpack" and read_checked(folder / "LATEST") == b"4"
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]
    expected = play(tmp_path / "b", 4).state_hash()
    assert ServerState.load_latest(tmp_path).state_hash() == resumed.state_hash() == expected


@pytest.mark.parametrize("field, value", [("views", {"edge": b"not a view"}), ("history_from", 99),
                                          ("node_versions", [1, 2]), ("merged", [b"not an aggregate"])])
def test_a_segment_that_fails_half_way_is_not_half_applied(tmp_path, monkeypatch, caplog, field, value):
    monkeypatch.setattr(state_module, "COMPACT_RATIO", 100.0)  # rounds 2 and 3 write segments
    play(tmp_path, 3)
    path = tmp_path / "server" / "segment-3.msgpack"
    raw = msgpack.unpackb(read_checked(path), raw=False, strict_map_key=False)
    assert raw["merged"] and raw["adapters"]  # applied before the broken field, were it applied in place
    write_checked(path, msgpack.packb({**raw, field: value}, use_bin_type=True))  # intact frame, wrong content
    with caplog.at_level(logging.WARNING, logger="fedhybrid.server"):
        loaded = ServerState.load_latest(tmp_path)
    assert loaded.round == 2 and loaded.state_hash() == play(tmp_path / "ref", 2).state_hash()
    assert loaded.history == [{"round": 1}, {"round": 2}]
    assert "segment-3.msgpack is not a segment of this state" in caplog.text
