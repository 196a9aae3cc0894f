"""Opening a round's deltas in worker processes (`ingest-workers`) gives what the server
process gives alone: the same table, ledger, counts, rejections and replay marks; a worker
that dies stops the round with nothing merged or saved."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from cache_sync.channel import DeviceChannel, ServerChannel
from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.keys import init_keys
from cache_sync.ledger import Ledger
from cache_sync.merge import Delta
from clients import app as client_module
from fleet.config import FederationConfig
from fleet.errors import FleetError
from server import ingest
from server.app import run_federation
from server.errors import ServerError
from server.ingest import IngestPool, OpenSpec, RoundIngest
from server.inprocess_grid import InProcessGrid
from server.state import ServerState

HEADER = CacheHeader("tok-test", 64, 2, 4)
DEVICES = [f"edge-{i}" for i in range(6)]


def _delta(device: str, seq: int, rng: random.Random) -> Delta:
    corrections = [([rng.randrange(64) for _ in range(4)], rng.randrange(64)) for _ in range(5)]
    corrections.append(([1, 2, 3, 4], 5))  # one n-gram every device reports: support adds up
    return Delta(device, seq, seq, CountTable.from_corrections(HEADER, corrections, device, seq))


@pytest.fixture
def keyed(tmp_path):
    init_keys(tmp_path / "keys", DEVICES)
    channels = {d: DeviceChannel.load(tmp_path / "keys", d) for d in DEVICES}
    return tmp_path / "keys", channels


def _replies(channels) -> tuple[list[tuple[str, list]], Ledger]:
    """A round's replies with every kind of trouble, and the ledger the global table holds."""
    rng = random.Random(7)

    def sealed(device, seq, round_=3):
        return channels[device].seal_delta(_delta(device, seq, rng).to_bytes(), round_, seq)

    replies = [(d, [sealed(d, 1), sealed(d, 2)]) for d in DEVICES[:4]]  # seq 1 merged last round: re-sent
    tampered = bytearray(sealed("edge-4", 2))
    tampered[-1] ^= 1
    replies.append(("edge-4", [bytes(tampered), "not bytes", sealed("edge-4", 3)]))
    replies.append(("edge-5", [sealed("edge-0", 9),  # sealed by another device
                               channels["edge-5"].seal_delta(b"\x93garbage", 3, 4),  # opens, does not decode
                               sealed("edge-5", 5), sealed("edge-5", 5, round_=4)]))  # seq 5 twice: once
    stolen = replies[0][1][1]
    replies.append(("edge-1", [sealed("edge-1", 6, round_=5)]))  # a device's second reply of the round
    replies.append(("edge-0", [stolen]))  # an envelope replayed: below the high-water mark
    held = Ledger.from_pairs((d, 1) for d in DEVICES[:4])
    return replies, held


def _ingest(spec, opener, replies, held, pool=None):
    marks: dict = {}
    run = RoundIngest(spec, opener, 3, held, marks, pool)
    for device, raw in replies:
        run.add(device, raw)
    total = run.finish()
    return total, run, marks


def test_workers_open_a_round_exactly_as_the_server_process_does(keyed, monkeypatch):
    folder, channels = keyed
    replies, held = _replies(channels)
    spec = OpenSpec(HEADER, per_device_cap=4, key_dir=str(folder))
    alone, run, marks = _ingest(spec, ServerChannel(folder).opener, replies, held)
    assert run.merged == 6 and run.duplicates == 5  # 4 re-sent seq 1, edge-5's seq 5 sent twice
    reasons = [r for _, r in run.rejected]
    # edge-1's second reply: its seq 2 used the round's cap of 4 entries, so seq 6 waits for a later round
    assert run.deferred == 1 and any(r.startswith("delta seq 6 deferred: edge-1's deltas merged 4 entries")
                                     for r in reasons)
    assert any(r.startswith("envelope rejected: bad signature for sender 'edge-4'") for r in reasons)
    assert "envelope rejected: not bytes" in reasons
    assert "envelope rejected: sealed by 'edge-0' but delivered by 'edge-5'" in reasons
    assert any(r.startswith("undecodable delta") for r in reasons)
    assert any(r.startswith("envelope rejected: replay from 'edge-0'") for r in reasons)
    assert marks["edge-1"] == (5, 6) and marks["edge-5"] == (4, 5)  # a deferred delta passed every check
    assert sorted(alone.ledger) == sorted([(d, 2) for d in DEVICES[:4]] + [("edge-4", 3), ("edge-5", 5)])
    # chunks of two deltas over two workers: many chunks out at once, a device's second reply waiting
    monkeypatch.setattr(ingest, "WORKER_CHUNK_DELTAS", 2)
    pool = IngestPool(spec, 2)
    try:
        pooled, prun, pmarks = _ingest(spec, None, replies, held, pool)
    finally:
        pool.close()
    assert pooled.table.to_bytes() == alone.table.to_bytes() and pooled.ledger == alone.ledger
    assert (prun.merged, prun.duplicates, prun.rejected) == (run.merged, run.duplicates, run.rejected)
    assert pmarks == marks


def test_unsealed_deltas_are_decoded_and_capped_the_same_in_workers(monkeypatch):
    rng = random.Random(1)
    replies = [(d, [_delta(d, s, rng).to_bytes() for s in (1, 2)]) for d in DEVICES]
    replies.append(("edge-0", [b"\xc1 not msgpack"]))
    spec = OpenSpec(HEADER, per_device_cap=3)
    alone, run, _ = _ingest(spec, None, replies, Ledger())
    monkeypatch.setattr(ingest, "WORKER_CHUNK_DELTAS", 3)
    pool = IngestPool(spec, 2)
    try:
        pooled, prun, _ = _ingest(spec, None, replies, Ledger(), pool)
    finally:
        pool.close()
    assert run.merged == 6 and run.deferred == 6 and run.rejected[-1][1].startswith("undecodable delta")
    assert pooled.table.to_bytes() == alone.table.to_bytes() and prun.rejected == run.rejected
    # the cap, per device and round: its first delta keeps its 3 highest-count entries of the 18 it
    # brought, and its second, which no longer fits, is deferred (left unconfirmed, re-sent later)
    uncapped, _, _ = _ingest(OpenSpec(HEADER, per_device_cap=1000), None, replies, Ledger())
    assert len(alone.table) <= 6 * 3 < len(uncapped.table)


def test_a_worker_that_dies_stops_the_round_naming_it(keyed, monkeypatch):
    folder, channels = keyed
    replies, held = _replies(channels)
    spec = OpenSpec(HEADER, per_device_cap=4, key_dir=str(folder))
    monkeypatch.setenv("FEDHYBRID_KILL_AT", "3:ingest-worker")  # inherited by the spawned workers
    pool = IngestPool(spec, 1)
    try:
        with pytest.raises(ServerError, match=r"an ingest worker died while opening round 3's deltas: nothing of "
                                              r"the round was merged or saved"):
            _ingest(spec, None, replies, held, pool)
    finally:
        pool.close()


TIERS = "client,edge,iot,edge,iot,client,iot,edge,edge,iot"


def _run(tiny_zoo_dir, replay_corpus, state_dir, **extra):
    run_config = {"num-rounds": 2, "zoo": str(tiny_zoo_dir), "state-dir": str(state_dir), "release-k": 2,
                  "replay-dir": str(replay_corpus), "fleet-tiers": TIERS, **extra}
    n = len(TIERS.split(","))
    grid = InProcessGrid(client_module.app, run_config, [{"partition-id": i, "num-partitions": n} for i in range(n)])
    return run_federation(grid, FederationConfig.from_run_config(run_config))


def test_a_federation_with_ingest_workers_saves_the_same_state(tiny_zoo_dir, replay_corpus, tmp_path, monkeypatch):
    alone = _run(tiny_zoo_dir, replay_corpus, tmp_path / "alone")
    monkeypatch.setattr(ingest, "WORKER_CHUNK_DELTAS", 3)  # ten replies a round: several chunks
    pooled = _run(tiny_zoo_dir, replay_corpus, tmp_path / "pooled", **{"ingest-workers": 2})
    assert pooled.state_hash() == alone.state_hash()
    # the same counts; the pooled rounds also say how much memory their workers held
    assert all(0 < r["ingest"].pop("workers_rss_mb") < 2048 for r in pooled.history)
    assert [r["ingest"] for r in pooled.history] == [r["ingest"] for r in alone.history]
    assert alone.history[0]["ingest"]["merged"] == 10
    # a worker killed in round 1: the run stops, nothing saved; resumed without workers: the same state
    monkeypatch.setenv("FEDHYBRID_KILL_AT", "1:ingest-worker")
    with pytest.raises(ServerError, match="an ingest worker died while opening round 1's deltas"):
        _run(tiny_zoo_dir, replay_corpus, tmp_path / "killed", **{"ingest-workers": 1})
    assert ServerState.load_latest(tmp_path / "killed") is None
    monkeypatch.delenv("FEDHYBRID_KILL_AT")
    assert _run(tiny_zoo_dir, replay_corpus, tmp_path / "killed").state_hash() == alone.state_hash()


@pytest.mark.parametrize("value", [-1, 257, "2", 1.5, True])
def test_a_bad_worker_count_is_refused_by_name(value):
    with pytest.raises(FleetError, match=r"ingest-workers=.* must be an integer in \[0, 256\]"):
        FederationConfig.from_run_config({"ingest-workers": value})


def test_the_worker_count_is_not_part_of_the_state():
    a = FederationConfig.from_run_config({"ingest-workers": 0})
    b = FederationConfig.from_run_config({"ingest-workers": 8})
    assert a.digest_values() == b.digest_values() and b.resume_differences(a.resume_values()) == []


_POOL_SCRIPT = """
from cache_sync.correction_cache import CacheHeader
from server.ingest import IngestPool, OpenSpec

def start():
    pool = IngestPool(OpenSpec(CacheHeader("tok-test", 64, 2, 4), per_device_cap=3), 1)
    print("workers started")
    pool.close()

{call}
"""


@pytest.mark.parametrize("guarded", [True, False])
def test_a_script_without_the_main_guard_is_told_so_before_any_round(tmp_path, guarded):
    # spawned workers re-import the main module: unguarded, the pool fails at its start (not in a
    # round) and the error names the idiom; guarded, the same script starts its workers
    script = tmp_path / "my_federation.py"
    call = 'if __name__ == "__main__":\n    start()' if guarded else "start()"
    script.write_text(_POOL_SCRIPT.format(call=call))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          check=False)
    if guarded:
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "workers started"
        return
    assert done.returncode != 0 and "workers started" not in done.stdout
    assert "ServerError: the ingest worker processes could not start" in done.stderr
    assert 'under `if __name__ == "__main__":`; or set ingest-workers=0' in done.stderr
