"""The server forgets what it cannot release (`forget-after`): an entry fewer than release-k
devices reported leaves the global table once no device has reported it for that many rounds,
so the table does not grow with every private n-gram forever. Released-grade entries stay,
a forgotten delta re-sent stays merged once, and a resume from segments forgets the same."""

from types import SimpleNamespace

import numpy as np
import pytest

import server.state as state_module
from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.merge import Delta
from fleet.config import FederationConfig
from fleet.errors import FleetError
from server.errors import ServerError
from server.federation import Federation
from server.state import ServerState

HEADER = CacheHeader("test-tokenizer", vocab_size=50, n_min=2, n_max=4)
SHARED, PRIVATE, LATER = ([1, 2, 3], 4), ([5, 6, 7], 8), ([9, 10, 11], 12)


def _federation(tmp_path, forget_after=2, **over) -> Federation:
    cfg = FederationConfig(fleet_tiers=("edge", "edge"), release_k=2, forget_after=forget_after, secure=False,
                           state_dir=str(tmp_path / "state"), **over)
    return Federation(cfg, HEADER, {}, {"edge": 0.5})


def _reply(device: str, seq: int, round_: int, *corrections) -> SimpleNamespace:
    """What an accepted reply carries (unsealed: the federation runs without a channel here)."""
    table = CountTable.from_corrections(HEADER, list(corrections), device, round_)
    return SimpleNamespace(node=SimpleNamespace(device=device, tier="edge"),
                           config={"deltas": [Delta(device, seq, round_, table).to_bytes()], "cache-version": 0})


def _round(fed: Federation, round_: int, *replies) -> dict:
    ingest = fed.ingest(round_, list(replies))
    info = fed.release(round_)
    fed.finish_round(round_, {}, [], 0.0)
    return {**info, **ingest}


def _keys(table: CountTable) -> set[tuple[int, ...]]:
    """(last context token, next token) of every entry: which corrections the table still holds."""
    return {(int(e["ctx"][-1]), int(e["next"])) for e in table.entries}


def test_a_table_forgets_only_old_entries_below_the_support():
    a = CountTable.from_corrections(HEADER, [SHARED, PRIVATE], "edge-0", 1)
    b = CountTable.from_corrections(HEADER, [SHARED], "edge-1", 1)
    c = CountTable.from_corrections(HEADER, [LATER], "edge-0", 3)
    table = a.merge_add(b).merge_add(c)
    kept = table.forget(min_support=2, seen_before=2)
    assert _keys(kept) == {(3, 4), (11, 12)}  # the private entry of round 1 goes; shared and recent stay
    assert table.forget(min_support=2, seen_before=1) is table  # nothing old enough: the same table
    assert _keys(table.forget(min_support=3, seen_before=4)) == set()  # at k=3 the shared one is below too


def test_the_server_forgets_unreleasable_entries_after_the_configured_rounds(tmp_path):
    fed = _federation(tmp_path, forget_after=2)
    r1 = _round(fed, 1, _reply("edge-0", 1, 1, SHARED, PRIVATE), _reply("edge-1", 1, 1, SHARED))
    assert r1["forgotten"] == 0 and _keys(fed.state.aggregate.table) == {(3, 4), (7, 8)}
    r2 = _round(fed, 2, _reply("edge-0", 2, 2, LATER))  # round 1's private entry is one round old: kept
    assert r2["forgotten"] == 0 and r2["released"] == 2  # the shared correction's two orders
    r3 = _round(fed, 3)
    table = fed.state.aggregate.table
    assert r3["forgotten"] == 2 and _keys(table) == {(3, 4), (11, 12)}  # both orders of the private one
    assert r3["global_entries"] == len(table) == 4
    assert fed.state.history[-1]["release"]["forgotten"] == 2
    # the ledger keeps the forgotten delta: re-sent, it is a duplicate, not merged back
    again = _round(fed, 4, _reply("edge-0", 1, 1, SHARED, PRIVATE))
    assert again["duplicates"] == 1 and again["merged"] == 0
    assert (7, 8) not in _keys(fed.state.aggregate.table)
    assert (11, 12) not in _keys(fed.state.aggregate.table)  # round 2's entry went in round 4
    assert _keys(fed.state.aggregate.table) == {(3, 4)}  # released-grade: kept however old
    # reported again in a new delta, it is back, counted from that report on
    _round(fed, 5, _reply("edge-0", 5, 5, PRIVATE))
    back = fed.state.aggregate.table
    assert (7, 8) in _keys(back) and back.entries["count"][back.entries["next"] == 8].max() == 1


def test_forget_after_zero_keeps_everything(tmp_path):
    fed = _federation(tmp_path, forget_after=0)
    _round(fed, 1, _reply("edge-0", 1, 1, PRIVATE))
    for r in range(2, 30):
        assert _round(fed, r)["forgotten"] == 0
    assert _keys(fed.state.aggregate.table) == {(7, 8)}


def test_a_resume_from_segments_forgets_the_same_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(state_module, "SNAPSHOT_MIN_BYTES", 0)  # segments even for a tiny state
    fed = _federation(tmp_path, forget_after=1)
    rng = np.random.default_rng(0)
    for r in range(1, 7):
        pairs = [([int(x) for x in rng.integers(0, 50, size=3)], int(rng.integers(0, 50))) for _ in range(20)]
        _round(fed, r, _reply("edge-0", r, r, *pairs[:10], SHARED), _reply("edge-1", r, r, *pairs[10:], SHARED))
    folder = tmp_path / "state" / "server"
    assert any(p.name.startswith("segment-") for p in folder.iterdir())
    assert sum(rec["release"]["forgotten"] for rec in fed.state.history) > 0
    loaded = ServerState.load_latest(tmp_path / "state")
    assert loaded.round == 6 and loaded.state_hash() == fed.state.state_hash()
    assert loaded.aggregate.table == fed.state.aggregate.table and loaded.aggregate.ledger == fed.state.aggregate.ledger


def test_a_segment_with_a_malformed_forget_rule_is_refused_whole(tmp_path):
    import msgpack

    state = ServerState(HEADER, "digest")
    data = msgpack.packb({"schema": state_module.STATE_SCHEMA, "kind": "segment", "round": 1, "base": 0,
                          "config_digest": "digest", "adapters": {}, "merged": [], "views": {}, "node_versions": {},
                          "history_from": 0, "history": [{"round": 1}], "high_water": {}, "forget": ["k", 2]},
                         use_bin_type=True)
    with pytest.raises(ServerError, match="forget rule"):
        state._apply_segment(data, 1)
    assert state.round == 0 and state.history == []  # nothing of the segment was applied


def test_forget_after_is_validated_and_a_state_made_before_it_is_named_on_resume():
    with pytest.raises(FleetError, match="forget-after=-1"):
        FederationConfig(forget_after=-1)
    stored = FederationConfig().resume_values()
    del stored["forget_after"]  # kept by a state made before the option: it never forgot
    assert FederationConfig().resume_differences(stored) == ["forget-after: state 0, now 10"]
    assert FederationConfig(forget_after=0).resume_differences(stored) == []
