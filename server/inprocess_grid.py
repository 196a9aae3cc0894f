"""A Grid that calls a ClientApp in this process: fast tests and round-overhead benchmarks.

Every node gets its own Context (node_config, persistent state), every message is deep
copied before delivery (as a real transport would), and a ClientApp exception becomes an
error reply, as in Flower's engines. Building Messages outside a Flower runtime needs the
process's task identity set; that is Flower-internal (`flwr.supercore.task_identity`,
pinned flwr 1.41.0) and confined to this module.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Iterator

from flwr.app import Context, Error, Message, RecordDict
from flwr.clientapp import ClientApp
from flwr.serverapp import Grid


def _set_task_identity(run_id: int, node_id: int) -> None:
    from flwr.supercore.task_identity import (
        TaskIdentity,  # Flower internal, pinned version
    )

    TaskIdentity.run_id = run_id
    TaskIdentity.node_id = node_id
    TaskIdentity.task_id = 0


class InProcessGrid(Grid):
    SERVER_NODE_ID = 0

    def __init__(self, client_app: ClientApp, run_config: dict, node_configs: list[dict], run_id: int = 1,
                 first_node_id: int = 1001):
        _set_task_identity(run_id, self.SERVER_NODE_ID)
        self.client_app = client_app
        self.run_id = run_id
        self.contexts = {
            first_node_id + i: Context(run_id=run_id, node_id=first_node_id + i, node_config=dict(nc),
                                       state=RecordDict(), run_config=dict(run_config))
            for i, nc in enumerate(node_configs)}
        self.down: list[Message] = []  # what was sent (for byte accounting in benchmarks)
        self._pending: dict[str, Message] = {}
        self.failing: set[int] = set()  # node ids whose train calls raise (fault injection)
        # stragglers: node id -> seconds its train reply takes beyond its own work. Nodes are
        # called one after another here but modelled as running in parallel: a reply arrives
        # at (its node's own time + delay) after the send, and one arriving after the
        # `timeout` of send_and_receive is held back, as Flower's grid never returns it
        self.delays: dict[int, float] = {}
        self.late: list[Message] = []
        self.client_seconds = 0.0  # time spent inside the ClientApp (benchmarks subtract it)

    # -- Grid -----------------------------------------------------------------------------------
    def set_run(self, run) -> None:
        pass

    @property
    def run(self):
        return None

    def create_message(self, content: RecordDict, message_type: str, dst_node_id: int, group_id: str,
                       ttl: float | None = None) -> Message:
        return Message(content=content, message_type=message_type, dst_node_id=dst_node_id,
                       group_id=group_id, ttl=ttl)

    def get_node_ids(self) -> Iterable[int]:
        return list(self.contexts)

    def push_messages(self, messages: Iterable[Message]) -> Iterable[str]:
        ids = []
        for i, msg in enumerate(messages):
            key = f"m{len(self._pending)}-{i}"
            self._pending[key] = msg
            ids.append(key)
        return ids

    def pull_messages(self, message_ids: Iterable[str]) -> Iterable[Message]:
        return [self._deliver(self._pending.pop(mid)) for mid in list(message_ids)]

    def send_and_receive(self, messages: Iterable[Message], *, timeout: float | None = None) -> Iterable[Message]:
        return list(self.stream_replies(messages, timeout=timeout))

    def stream_replies(self, messages: Iterable[Message], *, timeout: float | None = None) -> Iterator[Message]:
        """Each reply as soon as its node is done (server.exchange.Exchange uses this)."""
        for message in messages:
            started = time.perf_counter()
            reply = self._deliver(message)
            took = time.perf_counter() - started
            if message.metadata.message_type == "train":
                took += self.delays.get(message.metadata.dst_node_id, 0.0)
            if timeout is not None and took > timeout:
                self.late.append(reply)
                continue
            yield reply

    def _deliver(self, message: Message) -> Message:
        node_id = message.metadata.dst_node_id
        self.down.append(message)
        delivered = copy.deepcopy(message)
        context = self.contexts[node_id]
        _set_task_identity(self.run_id, node_id)
        started = time.perf_counter()
        try:
            if node_id in self.failing and message.metadata.message_type == "train":
                raise RuntimeError(f"node {node_id} crashed (injected)")
            reply = self.client_app(delivered, context)
        except Exception as exc:  # noqa: BLE001 - a ClientApp failure becomes an error reply, as in Flower
            reply = Message(Error(code=1, reason=f"{type(exc).__name__}: {exc}"), reply_to=delivered)
        finally:
            self.client_seconds += time.perf_counter() - started
            _set_task_identity(self.run_id, self.SERVER_NODE_ID)
        return copy.deepcopy(reply)
