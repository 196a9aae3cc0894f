"""Bounded diffs: whatever version a device reports, one update brings it to the view's table,
and the view's tombstones stay within the window however long it runs."""

import numpy as np

from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.versioned import TOMBSTONE_VERSIONS, CacheUpdate, VersionedView

HEADER = CacheHeader("w" * 64, 40, 2, 3)


def _table(pairs) -> CountTable:
    return CountTable.from_corrections(HEADER, pairs, "server", 0)


def _churning_view(versions: int) -> tuple[VersionedView, dict[int, CountTable]]:
    """A view whose every version drops a few keys and adds others; the table at each version."""
    view, tables = VersionedView(HEADER), {0: CountTable(HEADER)}
    rng = np.random.default_rng(7)
    for _ in range(versions):
        pairs = [([int(a), int(b)], int(c)) for a, b, c in rng.integers(0, 12, size=(10, 3))]
        version = view.publish(_table(pairs))
        tables[version] = view.table
    return view, tables


def test_a_device_at_any_version_catches_up_to_the_view_with_one_update():
    view, tables = _churning_view(3 * TOMBSTONE_VERSIONS)
    for since, device in tables.items():
        update = CacheUpdate.from_bytes(view.diff(since).to_bytes(), HEADER)
        assert update.full == (0 < since < view.horizon)
        assert update.apply_to(device) == view.table, since
    # tombstones only for the window's versions, however many versions went by
    assert set(view.tomb_versions.tolist()) <= set(range(view.horizon + 1, view.version + 1))
    assert view.horizon == view.version - TOMBSTONE_VERSIONS


def test_a_device_ahead_of_the_view_has_its_table_replaced():
    view, tables = _churning_view(4)
    _, other_tables = _churning_view(9)  # another run's view, further along
    stray = other_tables[9].upsert(_table([([39, 39], 39)]))  # keys this view never had
    update = CacheUpdate.from_bytes(view.diff(9).to_bytes(), HEADER)
    assert update.full and update.version == view.version
    assert update.apply_to(stray) == view.table == tables[4]
