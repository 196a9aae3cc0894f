"""The server's history keeps per-device details for the newest rounds only; every round's
details are on disk (`server/rounds/`), read back whole by `full_history`, and a resume (from
snapshots or segments) sees the same history as the run that wrote it."""

import copy
from types import SimpleNamespace

import msgpack
import pytest

import server.state as state_module
from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.merge import Delta
from fleet.config import FederationConfig
from fleet.errors import FleetError
from server import round_log
from server.errors import ServerError
from server.federation import Federation
from server.state import ServerState

HEADER = CacheHeader("test-tokenizer", vocab_size=50, n_min=2, n_max=4)
DEVICES = [f"edge-{i}" for i in range(4)]


def _federation(state_dir, **options) -> Federation:
    cfg = FederationConfig(fleet_tiers=("edge",) * len(DEVICES), release_k=2, secure=False, state_dir=str(state_dir),
                           **options)
    return Federation(cfg, HEADER, {}, {"edge": 0.5})


def _play(fed: Federation, rounds: range) -> None:
    for rnd in rounds:
        replies = []
        for i, device in enumerate(DEVICES[:-1]):  # the last device drops every round
            table = CountTable.from_corrections(HEADER, [([1, 2, 3], 4 + rnd % 3), ([i + 5, 6, 7], 8)], device, rnd)
            replies.append(SimpleNamespace(node=SimpleNamespace(device=device, tier="edge"),
                                           config={"deltas": [Delta(device, rnd, rnd, table).to_bytes()]}))
        fed.ingest(rnd, replies)
        fed.release(rnd)
        per_node = {d: {"tier": "edge", "tokens": float(10 * rnd + i), "cloud-share": 0.1 * i}
                    for i, d in enumerate(DEVICES[:-1])}
        fed.finish_round(rnd, per_node, [(DEVICES[-1], "timeout")], 1.0)


@pytest.fixture
def keep_two(monkeypatch):
    monkeypatch.setattr(round_log, "DETAIL_ROUNDS", 2)


@pytest.mark.parametrize("segments", [False, True])
def test_old_records_keep_counts_and_the_details_come_back_from_disk(tmp_path, monkeypatch, keep_two, segments):
    if segments:  # every round after the first a segment: the amended records travel in segments
        monkeypatch.setattr(state_module, "SNAPSHOT_MIN_BYTES", 0)
        monkeypatch.setattr(state_module, "COMPACT_RATIO", 1e9)
    reference = _federation(tmp_path / "ref")
    monkeypatch.setattr(round_log, "DETAIL_ROUNDS", 100)
    _play(reference, range(1, 6))
    monkeypatch.setattr(round_log, "DETAIL_ROUNDS", 2)
    fed = _federation(tmp_path / "run")
    _play(fed, range(1, 6))
    history = fed.state.history
    assert [("nodes" in r, r.get("details", False)) for r in history] == [(False, True)] * 3 + [(True, False)] * 2
    assert history[0]["replies"] == 3 and history[0]["dropped_count"] == 1 and "bytes_down" not in history[0]
    assert sorted(p.name for p in (tmp_path / "run" / "server" / "rounds").iterdir()) == [
        f"round-{n}.msgpack" for n in range(1, 6)]
    whole = list(round_log.full_history(history, tmp_path / "run"))
    want = reference.state.history
    def same(r):  # all but timings
        return {**{k: r[k] for k in ("round", "nodes", "dropped", "bytes_down", "ingest", "asked")},
                "released": r["release"]["released"]}
    assert [same(r) for r in whole] == [same(r) for r in want]
    # the state on disk holds the same compacted history and the same outcome
    loaded = ServerState.load_latest(tmp_path / "run")
    assert loaded.history == history and loaded.state_hash() == reference.state.state_hash()
    if segments:
        assert (tmp_path / "run" / "server" / "segment-5.msgpack").exists()


def test_a_resumed_run_goes_on_compacting_and_keeps_every_round_on_disk(tmp_path, keep_two):
    fed = _federation(tmp_path)
    _play(fed, range(1, 4))
    resumed = _federation(tmp_path)
    assert resumed.state.round == 3 and resumed.state.history == fed.state.history
    _play(resumed, range(4, 6))
    assert [r.get("details", False) for r in resumed.state.history] == [True, True, True, False, False]
    assert [r["round"] for r in round_log.full_history(resumed.state.history, tmp_path)] == [1, 2, 3, 4, 5]


def test_a_state_saved_before_the_round_files_keeps_its_details_when_compacted(tmp_path, monkeypatch):
    """Records from before this module have no details file: compacting writes it first."""
    fed = _federation(tmp_path)
    monkeypatch.setattr(round_log, "DETAIL_ROUNDS", 100)
    _play(fed, range(1, 4))
    for n in (1, 2, 3):
        round_log.details_path(tmp_path, n).unlink()
    before = copy.deepcopy(fed.state.history)
    assert round_log.compact(fed.state.history, tmp_path, keep=1) == 0
    assert list(round_log.full_history(fed.state.history, tmp_path)) == [
        {**{k: v for k, v in r.items() if k not in round_log.DETAIL_KEYS},
         **{k: r[k] for k in round_log.DETAIL_KEYS}} for r in before]
    assert round_log.compact(fed.state.history, tmp_path, keep=1) is None  # nothing left to compact


def test_a_missing_or_damaged_details_file_is_named_not_guessed(tmp_path, keep_two):
    fed = _federation(tmp_path)
    _play(fed, range(1, 5))
    path = round_log.details_path(tmp_path, 1)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(ServerError, match=r"round-1\.msgpack.*checksum"):
        list(round_log.full_history(fed.state.history, tmp_path))
    path.unlink()
    with pytest.raises(ServerError, match=r"round-1\.msgpack: the per-device details of round 1 are missing"):
        list(round_log.full_history(fed.state.history, tmp_path))
    # another round's file in its place is refused too
    other = round_log.details_path(tmp_path, 2).read_bytes()
    path.write_bytes(other)
    with pytest.raises(ServerError, match="not the per-device details of round 1"):
        list(round_log.full_history(fed.state.history, tmp_path))
    # the federation itself does not need them: the state still loads and goes on
    assert _federation(tmp_path).state.round == 4


def test_a_rerun_round_replaces_its_details_and_what_a_killed_write_left(tmp_path):
    fed = _federation(tmp_path)
    _play(fed, range(1, 3))
    folder = round_log.details_path(tmp_path, 2).parent
    (folder / ".round-2.msgpack.tmp-0badf00d").write_bytes(b"half")  # a write killed in round 2
    (folder / ".round-1.msgpack.tmp-0badf00d").write_bytes(b"half")  # another round's: not this write's
    record = {**fed.state.history[-1], "nodes": {"edge-9": {"tier": "edge"}}}
    round_log.write_details(tmp_path, record)
    assert sorted(p.name for p in folder.iterdir()) == [".round-1.msgpack.tmp-0badf00d", "round-1.msgpack",
                                                         "round-2.msgpack"]
    assert round_log.read_details(tmp_path, 2)["nodes"] == {"edge-9": {"tier": "edge"}}


def test_a_details_file_of_the_wrong_shape_is_refused(tmp_path):
    from cache_sync.durable import write_checked

    path = round_log.details_path(tmp_path, 7)
    path.parent.mkdir(parents=True)
    write_checked(path, msgpack.packb({"round": 7, "nodes": [], "bytes_down": {}, "dropped": []}))
    with pytest.raises(ServerError, match="not the per-device details of round 7"):
        round_log.read_details(tmp_path, 7)
    write_checked(path, b"\xc1")
    with pytest.raises(ServerError, match="not a round details file"):
        round_log.read_details(tmp_path, 7)


def _files(state_dir) -> list[int]:
    return sorted(int(p.name[6:-8]) for p in (state_dir / "server" / "rounds").glob("round-*.msgpack"))


@pytest.mark.parametrize("segments", [False, True])
def test_keep_round_details_bounds_the_files_and_keeps_the_totals(tmp_path, monkeypatch, keep_two, segments):
    if segments:
        monkeypatch.setattr(state_module, "SNAPSHOT_MIN_BYTES", 0)
        monkeypatch.setattr(state_module, "COMPACT_RATIO", 1e9)
    reference = _federation(tmp_path / "ref")
    _play(reference, range(1, 7))
    fed = _federation(tmp_path / "run", keep_round_details=3)
    _play(fed, range(1, 7))
    assert _files(tmp_path / "run") == [4, 5, 6] and _files(tmp_path / "ref") == [1, 2, 3, 4, 5, 6]
    history = fed.state.history
    assert [r.get("pruned", False) for r in history] == [True] * 3 + [False] * 3
    assert all(r["replies"] == 3 and r["dropped_count"] == 1 and "details" not in r for r in history[:3])
    whole = list(round_log.full_history(history, tmp_path / "run"))
    full = list(round_log.full_history(reference.state.history, tmp_path / "ref"))
    assert [r["nodes"] for r in whole] == [{}] * 3 + [r["nodes"] for r in full[3:]]
    assert [r["ingest"] for r in whole] == [r["ingest"] for r in full]  # the round's totals stay
    # the outcome is not touched; the state on disk says which rounds were pruned; a resume goes on
    assert fed.state.state_hash() == reference.state.state_hash()
    resumed = _federation(tmp_path / "run", keep_round_details=3)
    assert resumed.state.history == history
    _play(resumed, range(7, 8))
    assert _files(tmp_path / "run") == [5, 6, 7]
    assert [r.get("pruned", False) for r in resumed.state.history] == [True] * 4 + [False] * 3


def test_a_crash_before_the_files_go_leaves_only_files_nobody_needs(tmp_path, monkeypatch, keep_two):
    fed = _federation(tmp_path, keep_round_details=2)
    _play(fed, range(1, 4))
    # killed after round 4's state was saved, before its pruned files were deleted
    monkeypatch.setattr(round_log, "delete_pruned", lambda history, state_dir: 0)
    _play(fed, range(4, 5))
    assert _files(tmp_path) == [2, 3, 4]  # round 2's file outlived its record's pruning
    loaded = ServerState.load_latest(tmp_path)
    assert [r.get("pruned", False) for r in loaded.history] == [True, True, False, False]
    assert [r["round"] for r in round_log.full_history(loaded.history, tmp_path)] == [1, 2, 3, 4]
    monkeypatch.undo()
    monkeypatch.setattr(round_log, "DETAIL_ROUNDS", 2)
    resumed = _federation(tmp_path, keep_round_details=2)
    _play(resumed, range(5, 6))
    assert _files(tmp_path) == [4, 5]


@pytest.mark.parametrize("value", [-1, True, "3", 2.5])
def test_a_bad_keep_round_details_is_refused_by_name(value):
    with pytest.raises(FleetError, match=r"keep-round-details=.* must be an integer >= 0"):
        FederationConfig(fleet_tiers=("edge",), keep_round_details=value)
