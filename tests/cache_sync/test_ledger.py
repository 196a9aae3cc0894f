"""The aggregate's ledger: runs per device that answer exactly what the set of pairs did."""

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.errors import CacheError
from cache_sync.ledger import Ledger
from cache_sync.merge import Aggregate, Delta, merge_all

HEADER = CacheHeader(tokenizer_hash="f" * 64, vocab_size=50, n_min=2, n_max=4)
pairs = st.sets(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 40)), max_size=60)


@settings(max_examples=300, deadline=None)
@given(x=pairs, y=pairs, probe=st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.integers(-1, 42)),
       keep=st.integers(1, 10))
def test_ledger_answers_as_the_set_of_pairs_does(x, y, probe, keep):
    lx, ly = Ledger.from_pairs(x), Ledger.from_pairs(y)
    assert len(lx) == len(x) and list(lx) == sorted(x)
    assert (probe in lx) == (probe in x)
    assert lx.issubset(ly) == (x <= y)
    shared, first = lx.overlap(ly)
    assert shared == len(x & y) and first == (min(x & y) if x & y else None)
    assert lx.union(ly) == Ledger.from_pairs(x | y) and list(lx.union(ly)) == sorted(x | y)
    for device in ("a", "b", "d"):
        assert lx.latest(device, keep) == sorted(s for d, s in x if d == device)[-keep:]
    # canonical: the same pairs in any order are the same ledger and the same bytes
    assert Ledger.from_pairs(sorted(x, reverse=True)) == lx
    assert Ledger.from_wire(msgpack.unpackb(msgpack.packb(lx.to_wire()))) == lx


def test_a_device_that_numbers_its_deltas_in_order_costs_one_run_whatever_the_rounds():
    consecutive = Ledger.from_pairs((f"dev-{d}", s) for d in range(1000) for s in range(1, 101))
    assert len(consecutive) == 100_000 and consecutive.n_runs == 1000
    holes = Ledger.from_pairs((f"dev-{d}", s) for d in range(10) for s in range(1, 101) if s != 50)
    assert holes.n_runs == 20 and ("dev-3", 50) not in holes and ("dev-3", 51) in holes
    # merging round by round keeps it compact: each round adds the next number per device
    ledger = Ledger()
    for seq in range(1, 31):
        ledger = ledger.union(Ledger.from_pairs((f"dev-{d}", seq) for d in range(50)))
    assert ledger.n_runs == 50 and ledger.latest("dev-7", 3) == [28, 29, 30]


@pytest.mark.parametrize("raw, match", [
    ({"x": 1}, "must be a list"),
    ([["dev-a", [1]]], "entry 0 is not"),
    ([["dev-a", [1, 2]], [3, [1, 2]]], "entry 1 is not"),
    ([["dev-a", [1, 2.5]]], "entry 0 is not"),
    ([["dev-a", [True, 2]]], "entry 0 is not"),
    ([["dev-a", [5, 2]]], "negative or backwards"),
    ([["dev-a", [-1, 2]]], "negative or backwards"),
    ([["dev-a", [1, 2]], ["dev-a", [4, 5]]], "twice"),
])
def test_malformed_runs_are_refused_by_name(raw, match):
    with pytest.raises(CacheError, match=match):
        Ledger.from_wire(raw)


def test_overlapping_runs_on_the_wire_still_mean_their_pairs():
    assert Ledger.from_wire([["d", [5, 9, 1, 3, 4, 6]]]) == Ledger.from_pairs(("d", s) for s in range(1, 10))


def _delta(device: str, seq: int) -> Delta:
    return Delta(device, seq, seq, CountTable.from_corrections(HEADER, [([1, 2, 3], seq % 9)], device, seq))


def test_an_aggregate_saved_with_the_pair_ledger_loads_as_the_same_aggregate():
    """States saved before the runs hold the ledger as [device, seq] pairs; they resume."""
    agg = merge_all(HEADER, [_delta(f"dev-{d}", s) for d in range(3) for s in (1, 2, 4)])
    old = msgpack.packb({"table": agg.table.to_bytes(), "ledger": sorted([d, s] for d, s in agg.ledger)},
                        use_bin_type=True)
    loaded = Aggregate.from_bytes(old, HEADER)
    assert loaded == agg and loaded.to_bytes() == agg.to_bytes() and loaded.ledger.n_runs == 6
    # and it goes on de-duplicating: a re-sent delta is a no-op, a new one merges
    assert loaded.apply(_delta("dev-1", 2)) is loaded
    assert len(loaded.apply(_delta("dev-1", 3)).ledger) == 10


def test_merge_refuses_a_partial_overlap_inside_runs_and_merges_nothing():
    left = merge_all(HEADER, [_delta("dev-a", s) for s in range(1, 6)])
    right = merge_all(HEADER, [_delta("dev-a", s) for s in range(4, 9)])
    with pytest.raises(CacheError, match=r"share 2 deltas but not all \(e.g. \('dev-a', 4\)\)"):
        left.merge(right)
    assert len(left.ledger) == 5 and len(right.ledger) == 5
    inner = merge_all(HEADER, [_delta("dev-a", s) for s in (2, 3)])
    assert left.merge(inner) is left and inner.merge(left) is left
