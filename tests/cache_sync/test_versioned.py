
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
    for since, device in history.items():
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


def test_a_device_further_behind_than_the_tombstones_gets_the_whole_view_and_tombstones_stay_bounded():
    from cache_sync.versioned import TOMBSTONE_VERSIONS

    view = VersionedView(HEADER)
    follower, laggard, laggard_version = CountTable(HEADER), CountTable(HEADER), 0
    for i in range(3 * TOMBSTONE_VERSIONS):
        # every version drops one key and adds another: removals the laggard must not keep
        view.publish(_table([([i % 7, (i + 1) % 7], i % 5), ([(i + 2) % 7, i % 3], 1), ([5, i % 6], 2)]))
        follower = CacheUpdate.from_bytes(view.diff(view.version - 1).to_bytes(), HEADER).apply_to(follower)
        if i == 1:
            laggard = CacheUpdate.from_bytes(view.diff(0).to_bytes(), HEADER).apply_to(laggard)
            laggard_version = view.version
    assert view.horizon == view.version - TOMBSTONE_VERSIONS and set(view.tomb_versions) <= set(
        range(view.horizon + 1, view.version + 1))
    update = CacheUpdate.from_bytes(view.diff(laggard_version).to_bytes(), HEADER)
    assert update.full and update.apply_to(laggard) == view.table == follower
    # a device within the window still gets a diff, not the whole view
    recent = view.diff(view.version - 2)
    assert not recent.full and len(recent.removed) > 0
    again = VersionedView.from_bytes(view.to_bytes(), HEADER)
    assert again.horizon == view.horizon and again.diff(laggard_version).full
