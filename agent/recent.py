"""A bounded set of recent keys: what a device agent remembers of its traffic between restarts.

An agent answers its users all day; the prompt anchors of the questions it answered (to tell a
recurrence, AgentConfig.recurring_to_cloud / settle_recurring) and the digests of answers a settle
found to be the cloud's own would otherwise grow with every distinct question until a restart.
Past `cap` keys the least recently added is forgotten first: a forgotten question counts as new
again (one more escalation up the chain, never a wrong answer), a forgotten agreed answer is
settled again (one cloud call). The journal keeps the anchors across restarts; the set is the
in-memory view of them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, MutableSet

from agent.errors import AgentError

# the agent's default bound (AgentConfig.remember, `device serve` / `fleet up --remember`):
# measured 3.2 MB per set of 20,000 keys (100,000 took 21.5 MB)
DEFAULT_REMEMBER = 20_000


class RecentSet(MutableSet):
    """A set of at most `cap` keys; adding a key (again) makes it the most recent."""

    def __init__(self, cap: int, keys: Iterable = ()):
        if cap < 1:
            raise AgentError(f"a recent-keys set needs room for at least 1 key, got cap={cap}")
        self.cap = cap
        self._keys: OrderedDict = OrderedDict()  # oldest first
        for key in keys:
            self.add(key)

    def __contains__(self, key) -> bool:
        return key in self._keys

    def __iter__(self) -> Iterator:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key) -> None:
        self._keys[key] = None
        self._keys.move_to_end(key)
        while len(self._keys) > self.cap:
            self._keys.popitem(last=False)

    def discard(self, key) -> None:
        self._keys.pop(key, None)

    def clear(self) -> None:
        self._keys.clear()
