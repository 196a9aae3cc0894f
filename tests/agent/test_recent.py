"""The agent's bounded memory of recent keys (agent/recent.py)."""

import pytest

from agent.config import AgentConfig
from agent.errors import AgentError
from agent.recent import RecentSet
from inference.tier_profile import profile


def test_past_the_cap_the_least_recently_added_key_goes_first():
    keys = RecentSet(3, [1, 2, 3])
    keys.add(1)  # 1 is the most recent again
    keys.add(4)  # so 2 goes
    assert list(keys) == [3, 1, 4] and 2 not in keys and 1 in keys and len(keys) == 3
    keys.discard(3)
    keys.discard(99)  # absent: nothing happens
    assert set(keys) == {1, 4}
    keys.clear()
    assert len(keys) == 0


def test_it_compares_like_a_set():
    assert RecentSet(5, [2**62, 1]) == {1, 2**62}


def test_a_cap_below_one_is_refused_naming_it():
    with pytest.raises(AgentError, match="cap=0"):
        RecentSet(0)
    with pytest.raises(AgentError, match="remember=0"):
        AgentConfig(device="edge-1", profile=profile("edge"), state_dir="x", remember=0)
