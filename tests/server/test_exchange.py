"""A round's replies as they arrive (server/exchange.py), over a grid that pushes and pulls."""

from types import SimpleNamespace

from server.exchange import Exchange

SUPERLINK = 1  # flwr.common.constant.SUPERLINK_NODE_ID
UNAVAILABLE = "Error: Node Unavailable - The destination node failed to report a heartbeat"


def _message(dst: int):
    return SimpleNamespace(metadata=SimpleNamespace(dst_node_id=dst))


def _reply(src: int, to: str, error: str | None = None):
    return SimpleNamespace(metadata=SimpleNamespace(src_node_id=src, reply_to_message_id=to),
                           has_error=lambda: error is not None, error=SimpleNamespace(reason=error))


class _Grid:
    """Pushes give ids m<dst>; the replies come in the order given, one pull each."""

    def __init__(self, replies):
        self.replies = list(replies)

    def push_messages(self, messages):
        return [f"m{m.metadata.dst_node_id}" for m in messages]

    def pull_messages(self, ids):
        return [self.replies.pop(0)] if self.replies else []


def test_the_superlinks_answer_for_a_lost_node_is_kept_under_that_node_not_handed_on():
    """A SuperNode killed mid-round: the SuperLink answers its message with an error from node 1.
    That read as a reply from an unknown node 1, and the node as silent until the 900 s deadline."""
    grid = _Grid([_reply(11, "m11"), _reply(SUPERLINK, "m12", UNAVAILABLE), _reply(13, "m13", "its app crashed")])
    exchange = Exchange(grid, [_message(11), _message(12), _message(13)], timeout=5.0, poll_s=0.01)
    handed_on = [r.metadata.src_node_id for r in exchange]
    assert handed_on == [11, 13]  # a node's own error reply is its reply: the strategy names it
    assert exchange.replied == {11, 13} and exchange.unavailable == {12: UNAVAILABLE}


def test_a_reply_from_a_node_nobody_asked_is_still_handed_on():
    """Only the SuperLink's error for a message this round sent is taken off the stream; anything
    else goes on to the strategy, which drops an unknown sender by name."""
    grid = _Grid([_reply(77, "m99", "stray"), _reply(11, "m11"), _reply(12, "m12")])
    exchange = Exchange(grid, [_message(11), _message(12)], timeout=5.0, poll_s=0.01)
    assert [r.metadata.src_node_id for r in exchange] == [77, 11, 12]
    assert exchange.unavailable == {}
