import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.errors import CacheError
from cache_sync.merge import Aggregate, Delta, merge_all

HEADER = CacheHeader(tokenizer_hash="f" * 64, vocab_size=50, n_min=2, n_max=4)

contexts = st.lists(st.integers(0, 9), min_size=2, max_size=6)
corrections = st.lists(st.tuples(contexts, st.integers(0, 9)), max_size=12)


@st.composite
def deltas(draw, device=None, seq=None):
    dev = device or draw(st.sampled_from(["dev-a", "dev-b", "dev-c", "dev-d"]))
    s = seq if seq is not None else draw(st.integers(0, 5))
    rnd = draw(st.integers(0, 30))
    return Delta(dev, s, rnd, CountTable.from_corrections(HEADER, draw(corrections), dev, rnd))


@st.composite
def distinct_deltas(draw, n):
    out = []
    for i in range(n):
        out.append(draw(deltas(device=f"dev-{i % 3}", seq=i)))
    return out


@settings(max_examples=60, deadline=None)
@given(distinct_deltas(3))
def test_merge_is_associative_and_commutative(ds):
    a, b, c = (Aggregate.of(d) for d in ds)
    assert a.merge(b).merge(c) == a.merge(b.merge(c))
    assert a.merge(b) == b.merge(a)
    assert a.merge(c).merge(b) == c.merge(b).merge(a)


@settings(max_examples=60, deadline=None)
@given(distinct_deltas(3), st.permutations(range(3)))
def test_merge_order_does_not_matter_and_matches_bulk_merge(ds, order):
    agg = Aggregate.empty(HEADER)
    for i in order:
        agg = agg.apply(ds[i])
    assert agg == merge_all(HEADER, ds)


@settings(max_examples=60, deadline=None)
@given(distinct_deltas(2))
def test_merge_is_idempotent_per_device_and_sequence(ds):
    once = Aggregate.empty(HEADER).apply(ds[0]).apply(ds[1])
    twice = once.apply(ds[0]).apply(ds[1]).apply(ds[0])
    assert twice == once
    assert merge_all(HEADER, [ds[0], ds[1], ds[0]]) == once
    assert once.merge(once) == once


def test_merge_counts_support_and_last_seen():
    ctx = [1, 2, 3]
    a = Delta("dev-a", 0, 3, CountTable.from_corrections(HEADER, [(ctx, 7)], "dev-a", 3))
    b = Delta("dev-b", 0, 9, CountTable.from_corrections(HEADER, [(ctx, 7), (ctx, 7)], "dev-b", 9))
    agg = Aggregate.empty(HEADER).apply(a).apply(b)
    e = agg.table.entries
    assert len(agg.table) == 2  # orders 2 and 3 of the one context
    assert e["count"].tolist() == [3, 3]
    assert agg.table.support.tolist() == [2, 2]
    assert e["last_seen"].tolist() == [9, 9]
    # the same device twice is still one device of support
    c = Delta("dev-a", 1, 10, CountTable.from_corrections(HEADER, [(ctx, 7)], "dev-a", 10))
    assert agg.apply(c).table.support.tolist() == [2, 2]


def test_partially_overlapping_aggregates_are_refused():
    d = [Delta(f"dev-{i}", 0, 0, CountTable.from_corrections(HEADER, [([1, 2], i)], f"dev-{i}", 0))
         for i in range(3)]
    ab = Aggregate.of(d[0]).merge(Aggregate.of(d[1]))
    bc = Aggregate.of(d[1]).merge(Aggregate.of(d[2]))
    with pytest.raises(CacheError, match="share 1 deltas but not all"):
        ab.merge(bc)


def test_header_mismatches_are_clear_errors_and_nothing_merges():
    table = CountTable.from_corrections(HEADER, [([1, 2, 3], 4)], "dev-a", 0)
    for field, value in (("tokenizer_hash", "0" * 64), ("vocab_size", 51), ("n_max", 5), ("n_min", 3)):
        other_header = CacheHeader(**{**HEADER.__dict__, field: value})
        other = CountTable.from_corrections(other_header, [([1, 2, 3], 4)], "dev-b", 0)
        with pytest.raises(CacheError, match=field):
            table.merge_add(other)
        with pytest.raises(CacheError, match=field):
            CountTable.from_bytes(other.to_bytes(), expect=HEADER)
        with pytest.raises(CacheError, match=field):
            Aggregate.empty(HEADER).apply(Delta("dev-b", 0, 0, other))
    assert len(table) == 2


def test_schema_version_mismatch_is_refused():
    import msgpack

    raw = msgpack.unpackb(CountTable(HEADER).to_bytes())
    raw["header"]["schema"] = 99
    with pytest.raises(CacheError, match="schema 99"):
        CountTable.from_bytes(msgpack.packb(raw))


@pytest.mark.parametrize("data", [b"", b"\x00\x01garbage", b"\x93\x01\x02\x03",
                                  CountTable(HEADER).to_bytes()[:-3]])
def test_corrupt_table_bytes_raise_cache_error(data):
    with pytest.raises(CacheError):
        CountTable.from_bytes(data)


def test_out_of_vocabulary_entries_are_refused():
    table = CountTable.from_corrections(HEADER, [([1, 2, 3], 4)], "dev-a", 0)
    table.entries["next"][0] = 60
    with pytest.raises(CacheError, match="outside the vocabulary"):
        CountTable.from_bytes(table.to_bytes())


@settings(max_examples=40, deadline=None)
@given(corrections)
def test_serialisation_round_trips(corr):
    table = CountTable.from_corrections(HEADER, corr, "dev-a", 2)
    assert CountTable.from_bytes(table.to_bytes(), expect=HEADER) == table
    delta = Delta("dev-a", 3, 2, table)
    assert Delta.from_bytes(delta.to_bytes(), HEADER) == delta


def test_entries_take_at_most_40_bytes_with_the_zoo_vocabulary():
    header = CacheHeader(tokenizer_hash="a" * 64, vocab_size=2048, n_min=2, n_max=8)
    assert header.dtype.itemsize <= 40


def test_prune_keeps_best_scores_and_caps_order():
    rows = [([1, 2, 3, 4], 5)] * 5 + [([6, 7], 8)] * 2 + [([9, 9, 9], 1)]
    table = CountTable.from_corrections(HEADER, rows, "dev-a", 0)
    top = table.prune(2, now_round=0)
    assert len(top) == 2 and set(top.entries["count"].tolist()) == {5}
    short = table.prune(100, now_round=0, max_order=2)
    assert set(short.orders.tolist()) == {2}
    # precision: an entry the cloud contradicted often scores below an equally frequent one
    e = table.entries.copy()
    e["served"][:] = 10
    e["wrong"][0] = 10
    scored = CountTable(HEADER, e)
    assert scored.scores(0)[0] < scored.scores(0)[1:].max()


def test_anchored_entries_keep_the_prompt_anchor_in_the_oldest_slot():
    anchor = HEADER.anchor_of([3, 1, 4, 1, 5])
    assert anchor == HEADER.anchor_of([3, 1, 4, 1, 5]) != HEADER.anchor_of([3, 1, 4, 1, 6])
    assert HEADER.vocab_size <= anchor < HEADER.pad
    table = CountTable.from_corrections(HEADER, [([1, 2, 3, 4, 5], 7)], "dev-a", 0, anchor=anchor)
    # n_max = 4 slots: the anchor and up to 3 tokens, orders 2..3
    assert sorted(tuple(int(t) for t in row if t != HEADER.pad) for row in table.entries["ctx"]) == [
        (anchor, 3, 4, 5), (anchor, 4, 5)]
    assert table.anchored.all()
    assert CountTable.from_bytes(table.to_bytes(), HEADER) == table
    with pytest.raises(CacheError, match="anchor 7 is not in"):
        CountTable.from_corrections(HEADER, [([1, 2, 3], 7)], "dev-a", 0, anchor=7)


def test_an_anchor_anywhere_but_the_oldest_slot_is_refused_on_load():
    anchor = HEADER.anchor_of([1])
    table = CountTable.from_corrections(HEADER, [([1, 2, 3], 7)], "dev-a", 0, anchor=anchor)
    raw = table.entries.copy()
    raw["ctx"][0] = [HEADER.pad, 1, anchor, 3]  # an anchor inside the n-gram
    bad = CountTable(HEADER, raw).to_bytes()
    with pytest.raises(CacheError, match="outside the vocabulary"):
        CountTable.from_bytes(bad, HEADER)
    raw = table.entries.copy()
    raw["ctx"][0] = [HEADER.pad, HEADER.pad, anchor, 3]  # an anchor and a single token (< n_min)
    with pytest.raises(CacheError, match="outside the orders"):
        CountTable.from_bytes(CountTable(HEADER, raw).to_bytes(), HEADER)


def _weak_hash(entries):
    """A key hash with five values: most keys collide (the one-pass merge must notice)."""
    import numpy as np

    from cache_sync.canonical import key_words

    return key_words(entries).sum(axis=1, dtype=np.uint64) % np.uint64(5)


@settings(max_examples=60, deadline=None)
@given(distinct_deltas(3))
def test_merging_two_sorted_tables_equals_sorting_them_together_even_when_hashes_collide(ds):
    import contextlib
    from unittest import mock

    import numpy as np

    from cache_sync import canonical

    for patch in (mock.patch.object(canonical, "key_hash", _weak_hash), contextlib.nullcontext()):
        with patch:  # the weak hash, then the real one
            tables = [CountTable(HEADER, d.table.entries.copy()) for d in ds]
            bulk = CountTable(HEADER, np.concatenate([t.entries for t in tables]))
            assert tables[0].merge_add(tables[1]).merge_add(tables[2]) == bulk
            assert tables[2].merge_add(tables[0].merge_add(tables[1])) == bulk


def test_merged_counts_saturate_instead_of_wrapping():
    import numpy as np

    a = CountTable.from_corrections(HEADER, [([1, 2], 3)], "dev-a", 1)
    b = CountTable.from_corrections(HEADER, [([1, 2], 3), ([4, 5], 6)], "dev-b", 2)
    big = a.entries.copy()
    big["count"] = np.iinfo(np.uint32).max - 1
    merged = CountTable(HEADER, big, _canonical=True).merge_add(b)
    assert merged.entries["count"].max() == np.iinfo(np.uint32).max and len(merged) == 2
    assert merged == CountTable(HEADER, np.concatenate([big, b.entries]))


@pytest.mark.parametrize("a_rows, b_rows", [
    ([([1, 2], 3)], [([2, 1], 3)]),  # one key each, the same hash: two entries, not one
    ([([1, 2], 3), ([2, 1], 3)], [([2, 1], 3), ([4, 4], 4)]),  # a's own keys collide
    ([([1, 2], 3)], [([1, 2], 3), ([3, 3], 1)]),  # the same key: one entry, counted twice
])
def test_colliding_hashes_merge_to_the_entries_a_full_sort_gives(a_rows, b_rows):
    from unittest import mock

    import numpy as np

    from cache_sync import canonical

    with mock.patch.object(canonical, "key_hash", _weak_hash):
        a = CountTable.from_corrections(HEADER, a_rows, "dev-a", 1)
        b = CountTable.from_corrections(HEADER, b_rows, "dev-b", 2)
        bulk = CountTable(HEADER, np.concatenate([a.entries, b.entries]))
        assert a.merge_add(b) == bulk and b.merge_add(a) == bulk
    assert len(bulk) == len({(tuple(c), n) for c, n in a_rows + b_rows})
