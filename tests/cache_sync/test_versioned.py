
from hypothesis import given, settings
from hypothesis import strategies as st

from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.versioned import CacheUpdate, VersionedView

HEADER = CacheHeader("c" * 64, 40, 2, 3)


def _table(pairs):
    return CountTable.from_corrections(HEADER, pairs, "server", 0)


views = st.lists(st.lists(st.tuples(st.lists(st.integers(0, 5), min_size=2, max_size=3), st.integers(0, 5)),
                          max_size=8), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(views, st.data())
def test_devices_catch_up_from_any_version_with_one_diff(published, data):
    view = VersionedView(HEADER)
    history = {0: CountTable(HEADER)}
    for pairs in published:
        version = view.publish(_table(pairs))
        history[version] = view.table
    for since in history:
        device = history[since]
        update = CacheUpdate.from_bytes(view.diff(since).to_bytes(), HEADER)
        assert update.apply_to(device) == view.table
        # applying the same update again changes nothing
        assert update.apply_to(update.apply_to(device)) == view.table


def test_unchanged_publication_keeps_the_version_and_diffs_are_small():
    view = VersionedView(HEADER)
    v1 = view.publish(_table([([1, 2], 3), ([2, 3], 4)]))
    assert view.publish(_table([([1, 2], 3), ([2, 3], 4)])) == v1
    v2 = view.publish(_table([([1, 2], 3), ([2, 3], 4), ([4, 4], 1)]))
    assert v2 == v1 + 1
    diff = view.diff(v1)
    assert len(diff.upserts) == 1 and len(diff.removed) == 0  # only the new entry travels
    v3 = view.publish(_table([([4, 4], 1)]))
    diff = view.diff(v2)
    assert len(diff.upserts) == 0 and len(diff.removed) == 2
    assert v3 == v2 + 1


def test_versioned_view_persists():
    view = VersionedView(HEADER)
    view.publish(_table([([1, 2], 3)]))
    view.publish(_table([([1, 3], 3)]))
    again = VersionedView.from_bytes(view.to_bytes(), HEADER)
    assert again.version == view.version and again.table == view.table
    assert again.diff(1).to_bytes() == view.diff(1).to_bytes()
