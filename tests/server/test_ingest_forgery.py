"""The ingest path against a legitimately keyed device that lies: a forged support sketch is
rejected (sealed, unsealed, in workers), the contribution cap holds over all of a device's
deltas of a round, and a rejected delta does not move the sender's replay mark."""

from __future__ import annotations

import numpy as np
import pytest

from agent.deployment import fold
from agent.journal import Record
from cache_sync.channel import DeviceChannel, ServerChannel
from cache_sync.correction_cache import CacheHeader, CountTable, device_bit
from cache_sync.errors import CacheError
from cache_sync.keys import init_keys
from cache_sync.ledger import Ledger
from cache_sync.merge import Delta
from inference.device_cache import DeviceCache, feedback_table
from server import ingest
from server.ingest import IngestPool, OpenSpec, RoundIngest, open_chunk
from server.release import ReleasePolicy, release

HEADER = CacheHeader("tok-test", 64, 2, 4)
DEVICES = ["edge-1", "edge-2", "edge-3"]
FORGED = 0xFFFF_FFFF_FFFF_FFFF


@pytest.fixture
def keyed(tmp_path):
    init_keys(tmp_path / "keys", DEVICES)
    return tmp_path / "keys", {d: DeviceChannel.load(tmp_path / "keys", d) for d in DEVICES}


def _table(device: str, first: int, n: int, round_: int = 1) -> CountTable:
    """`n` distinct entries, numbered from `first` (two-token contexts: one order each)."""
    corrections = [([k // 63, k % 63], k % 64) for k in range(first, first + n)]
    return CountTable.from_corrections(HEADER, corrections, device, round_)


def _forged(device: str, seq: int, sketch: int = FORGED) -> Delta:
    table = _table(device, 10, 5)
    table.entries["devices"] = sketch
    return Delta(device, seq, 1, table)


# -- finding 1: support-sketch forgery ---------------------------------------------------------------
@pytest.mark.parametrize("dp", [None, 1.0])
def test_a_forged_sketch_is_rejected_and_releases_nothing(keyed, dp):
    folder, channels = keyed
    sealed = channels["edge-1"].seal_delta(_forged("edge-1", 1).to_bytes(), 1, 1)
    chunk = open_chunk(OpenSpec(HEADER, 5, key_dir=str(folder)), ServerChannel(folder).opener,
                       [("edge-1", [sealed])], Ledger(), {})
    # what the reviewer saw: 5 entries of one device released as if 64 devices had seen them
    merged = chunk.aggregate.table if chunk.aggregate is not None else CountTable(HEADER)
    assert len(release(merged, ReleasePolicy(min_devices=5, dp_epsilon=dp), 1).released) == 0
    assert chunk.aggregate is None and chunk.merged == 0 and chunk.marks == {}
    [(device, reason)] = chunk.rejected
    assert device == "edge-1" and reason.startswith("forged support sketch: delta 1 of 'edge-1' has 5 of 5 entries")
    assert "0xffffffffffffffff" in reason and "not the device's own bit" in reason


@pytest.mark.parametrize("sketch", [FORGED, 0, int(device_bit("edge-2")),
                                    int(device_bit("edge-1")) | int(device_bit("edge-3"))])
def test_any_sketch_but_the_senders_own_bit_is_rejected_unsealed(sketch):
    # (edge-1, edge-2, edge-3 have bits 31, 37, 44: the last case is edge-1's bit plus another)
    honest = Delta("edge-1", 2, 1, _table("edge-1", 30, 5)).to_bytes()
    chunk = open_chunk(OpenSpec(HEADER, 50), None, [("edge-1", [_forged("edge-1", 1, sketch).to_bytes(), honest])],
                       Ledger(), {})
    assert [r.split(":")[0] for _, r in chunk.rejected] == ["forged support sketch"]
    assert sorted(chunk.aggregate.ledger) == [("edge-1", 2)]
    assert set(chunk.aggregate.table.entries["devices"].tolist()) == {int(device_bit("edge-1"))}


def test_honest_deltas_of_the_device_code_pass_the_sketch_check():
    cache = DeviceCache(HEADER, "edge-2")
    cache.record([((1, 2, 3, 4), 5), ((7, 8, 9), 10)], round_=3)
    cache.record([((1, 2, 3), 4)], round_=3, anchor=HEADER.anchor_of([1, 2]))
    cache._feedback[((1, 2), 5, "served")] += 2  # what serving and contradicting leave for the upload
    cache._feedback[((2, 3), 4, "wrong")] += 1
    Delta("edge-2", 1, 3, cache.take_delta(3)).check_sketch()  # fleet/device_node.py's upload
    record = Record(1, "r1", HEADER.anchor_of([1]), True, True, [((1, 2, 3), 4)], [((1, 2), 5, 1, 0)], [1], [4], True)
    table, _, _ = fold(HEADER, "edge-2", [record], 3, only_upload=True)  # agent/sync.py's upload
    Delta("edge-2", 2, 3, table).check_sketch()
    Delta("edge-2", 3, 3, feedback_table(HEADER, "edge-2", {((1, 2), 5): [1, 1]}, 3)).check_sketch()
    Delta("edge-2", 4, 3, CountTable(HEADER)).check_sketch()  # nothing learnt: nothing to check
    with pytest.raises(CacheError, match="not the device's own bit"):
        Delta("edge-3", 1, 3, table).check_sketch()  # another device's honest table is not edge-3's


# -- finding 2: the cap bounds a device's round, not each delta --------------------------------------
def test_forty_deltas_in_one_reply_add_no_more_than_the_cap(keyed):
    folder, channels = keyed
    sealed = [channels["edge-2"].seal_delta(Delta("edge-2", s, 1, _table("edge-2", 5 * s, 5)).to_bytes(), 1, s)
              for s in range(1, 41)]
    chunk = open_chunk(OpenSpec(HEADER, 5, key_dir=str(folder)), ServerChannel(folder).opener,
                       [("edge-2", sealed)], Ledger(), {})
    assert len(chunk.aggregate.table) == 5 and sorted(chunk.aggregate.ledger) == [("edge-2", 1)]
    reasons = [r for _, r in chunk.rejected]
    assert reasons[0].startswith(f"reply carries 40 deltas, more than the {ingest.MAX_DELTAS_PER_REPLY} a reply")
    assert chunk.deferred == ingest.MAX_DELTAS_PER_REPLY - 1 and len(reasons) == ingest.MAX_DELTAS_PER_REPLY
    assert reasons[1].startswith("delta seq 2 deferred: edge-2's deltas merged 5 entries this round")
    assert chunk.marks["edge-2"] == (1, ingest.MAX_DELTAS_PER_REPLY)  # opened ones passed every check


def test_a_backlog_that_fits_merges_at_once_and_one_that_does_not_merges_over_rounds():
    replies = [("edge-1", [Delta("edge-1", s, s, _table("edge-1", 10 * s, 4)).to_bytes() for s in (1, 2, 3)])]
    merged_all = open_chunk(OpenSpec(HEADER, 12), None, replies, Ledger(), {})
    assert merged_all.merged == 3 and not merged_all.rejected  # a straggler's backlog under the cap: as on time
    held, spec = Ledger(), OpenSpec(HEADER, 6)
    for merged in ([("edge-1", 1)], [("edge-1", 2)], [("edge-1", 3)]):  # each round re-sends the unconfirmed
        chunk = open_chunk(spec, None, [(d, [x for x in raw if Delta.from_bytes(x).seq not in
                                             {s for _, s in held}]) for d, raw in replies], held, {})
        assert sorted(chunk.aggregate.ledger) == merged
        held = held.union(chunk.aggregate.ledger)
    assert held == merged_all.aggregate.ledger  # nothing lost, every delta merged once


def test_the_cap_holds_over_a_devices_replies_across_chunks_and_workers(monkeypatch):
    def reply(device, seqs, n=4):
        return device, [Delta(device, s, 1, _table(device, 10 * s, n)).to_bytes() for s in seqs]

    forged = ("edge-3", [_forged("edge-3", 1).to_bytes(), Delta("edge-3", 2, 1, _table("edge-3", 5, 3)).to_bytes()])
    replies = [reply("edge-1", [1, 2]), reply("edge-2", [1]), reply("edge-1", [3]), forged, reply("edge-1", [4])]
    spec = OpenSpec(HEADER, 8)

    def run(pool=None):
        marks: dict = {}
        r = RoundIngest(spec, None, 1, Ledger(), marks, pool)
        for device, raw in replies:
            r.add(device, raw)
        return r.finish(), r

    monkeypatch.setattr(ingest, "CHUNK_DELTAS", 1)  # every reply its own chunk: the budget crosses chunks
    monkeypatch.setattr(ingest, "WORKER_CHUNK_DELTAS", 1)
    alone, r = run()
    assert sorted(alone.ledger) == [("edge-1", 1), ("edge-1", 2), ("edge-2", 1), ("edge-3", 2)]
    assert r.deferred == 2 and r.used == {"edge-1": 8, "edge-2": 4, "edge-3": 3}
    assert [d for d, _ in r.rejected] == ["edge-1", "edge-3", "edge-1"]
    pool = IngestPool(spec, 2)
    try:
        pooled, p = run(pool)
    finally:
        pool.close()
    assert pooled.table.to_bytes() == alone.table.to_bytes() and pooled.ledger == alone.ledger
    assert (p.merged, p.deferred, p.rejected, p.used) == (r.merged, r.deferred, r.rejected, r.used)
    # edge-1 and edge-2 share entries 10..13; edge-3's forged sketch (64 bits) never reached the table
    assert int(np.max(alone.table.support)) == 2


# -- finding 3: a rejected delta leaves the replay mark where it was --------------------------------
def test_a_rejected_delta_does_not_advance_the_replay_mark(keyed):
    folder, channels = keyed
    spec, opener = OpenSpec(HEADER, 50, key_dir=str(folder)), ServerChannel(folder).opener
    edge1 = channels["edge-1"]

    def genuine(seq):
        return edge1.seal_delta(Delta("edge-1", seq, 1, _table("edge-1", 10 * seq, 3)).to_bytes(), 1, seq)

    names_other = edge1.seal_delta(Delta("edge-2", 8, 1, _table("edge-2", 1, 3)).to_bytes(), 1, 8)
    garbage = edge1.seal_delta(b"\x93garbage", 1, 9)
    first = open_chunk(spec, opener, [("edge-1", [names_other, garbage])], Ledger(), {})
    assert [r.split(":")[0] for _, r in first.rejected] == ["delta names device 'edge-2'", "undecodable delta"]
    assert first.marks == {}
    second = open_chunk(spec, opener, [("edge-1", [genuine(7)])], Ledger(), first.marks)
    assert not second.rejected and sorted(second.aggregate.ledger) == [("edge-1", 7)]
    assert second.marks == {"edge-1": (1, 7)}
    # a forged sketch at seq 10 leaves the mark at seq 7: the genuine seq 8 after it is merged
    forged = edge1.seal_delta(_forged("edge-1", 10).to_bytes(), 1, 10)
    third = open_chunk(spec, opener, [("edge-1", [forged, genuine(8)])], Ledger(), second.marks)
    assert [r.split(":")[0] for _, r in third.rejected] == ["forged support sketch"]
    assert sorted(third.aggregate.ledger) == [("edge-1", 8)] and third.marks == {"edge-1": (1, 8)}
    again = open_chunk(spec, opener, [("edge-1", [genuine(7)])], Ledger(), third.marks)  # a true replay still is one
    assert again.rejected[0][1].startswith("envelope rejected: replay from 'edge-1'")
