"""A state folder whose saved state is gone but whose round details remain."""

import pytest

from server.errors import ServerError
from server.round_log import details_path
from server.state import ServerState


def test_round_details_without_the_state_are_refused_not_overwritten(tmp_path):
    """LATEST and every round file deleted, rounds/ kept: the run started again at round 1 and
    wrote over the old rounds' details without a word."""
    for round_ in (1, 2, 3):
        path = details_path(tmp_path, round_)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"details of an earlier run")
    with pytest.raises(ServerError) as err:
        ServerState.load_latest(tmp_path)
    assert "per-round details of rounds up to 3" in str(err.value) and "no saved state" in str(err.value)
    assert "another --state-dir" in str(err.value)
    assert details_path(tmp_path, 3).read_bytes() == b"details of an earlier run"


def test_a_first_round_that_crashed_before_its_commit_still_starts_afresh(tmp_path):
    """Round 1's details are written before its state is committed: a crash between leaves them,
    and the folder is still a fresh one."""
    path = details_path(tmp_path, 1)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"round 1, never committed")
    assert ServerState.load_latest(tmp_path) is None
