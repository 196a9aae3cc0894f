"""Stragglers: a reply after the round deadline is dropped, and its corrections are merged
in the next round, exactly once."""

import clients.app as client_module
from fleet.config import FederationConfig
from fleet.outbox import Outbox
from server.app import run_federation
from server.inprocess_grid import InProcessGrid

TIERS = "client,edge,iot,edge,iot,edge"


def _run(zoo, corpus, state_dir, late_in_round: int | None, rounds: int = 3):
    run_config = {"num-rounds": rounds, "zoo": str(zoo), "state-dir": str(state_dir), "release-k": 2,
                  "replay-dir": str(corpus), "fleet-tiers": TIERS, "timeout": 30.0}
    n = len(TIERS.split(","))
    grid = InProcessGrid(client_module.app, run_config, [{"partition-id": i, "num-partitions": n} for i in range(n)])
    straggler = sorted(grid.contexts)[1]
    if late_in_round == 1:
        grid.delays = {straggler: 60.0}  # its round-1 reply comes 60 s after the send: past the 30 s deadline

    def on_round(rnd, record):
        grid.delays = {straggler: 60.0} if late_in_round == rnd + 1 else {}

    state = run_federation(grid, FederationConfig.from_run_config(run_config), on_round=on_round)
    return state, grid


def _ledger(state) -> list[tuple[str, int]]:
    return sorted(state.aggregate.ledger)


def test_a_late_reply_is_dropped_and_its_delta_merged_next_round_exactly_once(tiny_zoo_dir, replay_corpus, tmp_path):
    on_time, _ = _run(tiny_zoo_dir, replay_corpus, tmp_path / "on-time", None)
    late, grid = _run(tiny_zoo_dir, replay_corpus, tmp_path / "late", 1)
    r1, r2, r3 = late.history
    assert len(grid.late) == 1
    assert [d for d, _ in r1["dropped"]] == ["edge-1"] and "no reply within timeout=30 s" in r1["dropped"][0][1]
    assert r1["ingest"]["merged"] == 5  # the straggler's delta did not arrive in round 1
    assert r2["ingest"]["merged"] == 7 and r2["ingest"]["duplicates"] == 0  # round 1's came with round 2's
    assert r2["nodes"]["edge-1"]["deltas-sent"] == 2.0
    assert r3["ingest"]["merged"] == 6 and r3["nodes"]["edge-1"]["deltas-sent"] == 1.0  # confirmed: not re-sent
    # every (device, round) delta merged exactly once, the same as in the run without a straggler
    assert _ledger(late) == _ledger(on_time)
    assert late.aggregate.table.to_bytes() == on_time.aggregate.table.to_bytes()


def test_a_device_forgets_a_delta_once_the_server_confirms_it_and_resumes_with_the_rest(tiny_zoo_dir, replay_corpus,
                                                                                        tmp_path):
    _run(tiny_zoo_dir, replay_corpus, tmp_path / "run", None, rounds=1)
    outbox = Outbox(tmp_path / "run" / "nodes" / "edge-1" / "outbox")
    assert [seq for seq, _ in outbox.pending()] == [1]  # merged, but the device has not heard so yet
    again, _ = _run(tiny_zoo_dir, replay_corpus, tmp_path / "run", None, rounds=2)  # resumed: round 2
    assert again.history[-1]["ingest"] == {**again.history[-1]["ingest"], "merged": 6, "duplicates": 0}
    assert [seq for seq, _ in outbox.pending()] == [2]  # round 1 confirmed by round 2's message: forgotten


def test_an_outbox_file_that_is_damaged_is_named_and_dropped(tmp_path, caplog):
    outbox = Outbox(tmp_path / "outbox")
    outbox.put(1, b"first")
    outbox.put(2, b"second")
    path = tmp_path / "outbox" / "1.delta"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert outbox.pending() == [(2, b"second")]
    assert "1.delta" in caplog.text
    assert outbox.confirm([2]) == 1 and outbox.pending() == []


def test_a_round_above_the_memory_cap_stops_the_run_after_saving_it(tiny_zoo_dir, replay_corpus, tmp_path):
    import pytest

    from server.errors import ServerError
    from server.state import ServerState

    run_config = {"num-rounds": 3, "zoo": str(tiny_zoo_dir), "state-dir": str(tmp_path / "run"), "release-k": 2,
                  "replay-dir": str(replay_corpus), "fleet-tiers": TIERS, "memory-cap-mb": 1.0}
    n = len(TIERS.split(","))
    grid = InProcessGrid(client_module.app, run_config, [{"partition-id": i, "num-partitions": n} for i in range(n)])
    with pytest.raises(ServerError, match=r"round 1: the server held \d+ MB after its \w+ phase, above "
                                          r"memory-cap-mb=1 \(round 1 is saved"):
        run_federation(grid, FederationConfig.from_run_config(run_config))
    saved = ServerState.load_latest(tmp_path / "run")
    assert saved.round == 1 and saved.history[0]["ingest"]["merged"] == n  # nothing of the round lost
    # a cap the server stays under: the run goes on, and every round records its memory by phase
    grid = InProcessGrid(client_module.app, {**run_config, "memory-cap-mb": 1e6},
                         [{"partition-id": i, "num-partitions": n} for i in range(n)])
    state = run_federation(grid, FederationConfig.from_run_config({**run_config, "memory-cap-mb": 1e6}))
    assert state.round == 3 and state.history[-1]["rss_mb"]["ingest"] > 1.0
