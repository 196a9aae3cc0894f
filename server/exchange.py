"""A round's replies as they arrive, not all at once.

Flower's `Grid.send_and_receive` returns only when every reply is in (or the deadline
passed), holding all of them; its deployment grid also polls every 3 s. The round instead
pushes its messages and pulls replies every `poll_s`, handing each on as soon as it
arrives: the server verifies and merges a reply's deltas while others are still on the
way, and drops each sealed delta once merged, so what the server holds is bounded by the
merge batch, not by the fleet (README: Fleet scale). Replies after `timeout` are never
pulled (the round deadline). The in-process grid streams its own way (`stream_replies`).

When a SuperNode stops heartbeating, the SuperLink answers the messages sent to it itself:
an error reply whose sender is the SuperLink (node 1), not the node. Such a reply is not the
node's: it is kept in `unavailable` under the node the message went to, with Flower's reason,
and not handed on (it read as a reply from an unknown node 1, and the node as silent until
the deadline).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from flwr.app import Message
from flwr.serverapp import Grid


class Exchange:
    """Iterate over the replies to `messages`; `seconds` is the time spent waiting for them."""

    def __init__(self, grid: Grid, messages: Iterable[Message], timeout: float, poll_s: float = 0.2):
        self.grid, self.messages, self.timeout, self.poll_s = grid, messages, timeout, poll_s
        self.seconds = 0.0
        self.replied: set[int] = set()  # node ids whose reply came (in time)
        self.unavailable: dict[int, str] = {}  # node id -> why the SuperLink answered for it
        self._sent_to: dict[str, int] = {}  # message id -> the node it went to

    def __iter__(self) -> Iterator[Message]:
        source = self._source()
        while True:
            started = time.perf_counter()
            try:
                reply = next(source)
            except StopIteration:
                self.seconds += time.perf_counter() - started
                return
            self.seconds += time.perf_counter() - started
            meta = reply.metadata
            node = self._sent_to.get(meta.reply_to_message_id)
            if node is not None and meta.src_node_id != node and reply.has_error():
                self.unavailable[node] = reply.error.reason  # the SuperLink's, for a node it lost
                continue
            self.replied.add(meta.src_node_id)
            yield reply

    def _source(self) -> Iterator[Message]:
        stream = getattr(self.grid, "stream_replies", None)
        if stream is not None:
            yield from stream(self.messages, timeout=self.timeout)
            return
        messages = list(self.messages)
        ids = list(self.grid.push_messages(messages))
        self._sent_to = {mid: m.metadata.dst_node_id for mid, m in zip(ids, messages, strict=True)}
        pending = set(ids)
        del messages
        self.messages = []  # pushed: the server no longer needs them
        deadline = time.monotonic() + self.timeout
        while pending:
            got = list(self.grid.pull_messages(pending))
            for reply in got:
                pending.discard(reply.metadata.reply_to_message_id)
                yield reply
            if not pending or time.monotonic() >= deadline:
                return
            if not got:
                time.sleep(self.poll_s)
