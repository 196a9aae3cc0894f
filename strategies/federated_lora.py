"""A Flower strategy for LoRA adapters of several model families and ranks.

`configure_train` sends each node its family's global B truncated to its rank, plus a
per-node ConfigRecord (cache update, round settings) from a payload callback.
`aggregate_train` validates every reply (errors, NaN/Inf, shapes, keys are dropped with a
logged reason), aggregates each family separately with `strategies.lora_math`, and
returns one ArrayRecord holding every family (keys "<family>|<peft key>").
Only the hooks that differ from Flower's Strategy are overridden; the math is pure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from flwr.app import (
    Array,
    ArrayRecord,
    ConfigRecord,
    Message,
    MessageType,
    MetricRecord,
    RecordDict,
)
from flwr.common.constant import SType
from flwr.serverapp import Grid
from flwr.serverapp.strategy import Strategy

from strategies.lora_math import (
    Reply,
    RobustConfig,
    aggregate_fedavg_ab,
    aggregate_frozen_a,
    mean_from_sum,
    truncate_for_rank,
    validate,
)
from strategies.secagg import vector_length

log = logging.getLogger("fedhybrid.strategy")
SEP = "|"


@dataclass(frozen=True)
class NodeInfo:
    node_id: int
    device: str
    tier: str
    family: str
    rank: int


@dataclass(frozen=True)
class Accepted:
    """A reply that passed validation: what the server still needs from it."""

    node: NodeInfo
    metrics: dict
    config: dict


_NPY_V1 = b"\x93NUMPY\x01\x00"  # .npy magic and format version 1.0, what np.save writes for an adapter


def as_numpy(array: Array) -> np.ndarray:
    """`array.numpy()` without `np.load`'s header parse, which goes through `ast.literal_eval`
    (~80 us an array: 0.7 s of a 1,000-node round's 9,000 adapter arrays on this CPU). When the
    .npy header is version 1.0 and says exactly the dtype and shape the Array declares, C
    order, and the data fill the rest, the array is those bytes; anything else goes through
    Flower's own `numpy()`, so a malformed reply fails as it did (and is dropped)."""
    data = array.data
    if array.stype != SType.NUMPY or not isinstance(data, bytes) or data[:8] != _NPY_V1 or len(data) < 10:
        return array.numpy()
    end = 10 + int.from_bytes(data[8:10], "little")
    try:
        dtype, shape = np.dtype(array.dtype), tuple(int(n) for n in array.shape)
    except (TypeError, ValueError):
        return array.numpy()
    expect = f"{{'descr': '{dtype.str}', 'fortran_order': False, 'shape': {shape!r}, }}".encode()
    count = int(np.prod(shape, dtype=np.int64))
    if dtype.hasobject or data[10:end].rstrip() != expect or len(data) - end != count * dtype.itemsize:
        return array.numpy()
    return np.frombuffer(data, dtype=dtype, count=count, offset=end).reshape(shape).copy()


def split_families(arrays: ArrayRecord) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, np.ndarray]] = {}
    for key, array in arrays.items():
        family, name = key.split(SEP, 1)
        out.setdefault(family, {})[name] = array.numpy()
    return out


def join_families(adapters: dict[str, dict[str, np.ndarray]]) -> ArrayRecord:
    return ArrayRecord({f"{fam}{SEP}{k}": _array(v) for fam, ad in sorted(adapters.items())
                        for k, v in sorted(ad.items())})


def _array(value: np.ndarray):
    from flwr.app import Array

    return Array(np.ascontiguousarray(value, dtype=np.float32))


class FederatedLoRA(Strategy):
    def __init__(self, nodes: dict[int, NodeInfo], r_max: dict[str, int],
                 shapes: dict[str, dict[str, tuple[int, int]]],
                 payload: Callable[[NodeInfo, int], ConfigRecord],
                 robust: RobustConfig = RobustConfig(), aggregation: str = "frozen-a"):
        self.nodes, self.r_max, self.shapes = nodes, r_max, shapes
        self.payload, self.robust, self.aggregation = payload, robust, aggregation
        self.accepted: list[Accepted] = []
        self.dropped: list[tuple[str, str]] = []
        self._sent: ArrayRecord | None = None  # the global adapters of the round in flight
        self.participants: set[int] | None = None  # node ids asked this round (None: every node)
        # secure aggregation (server/secure_round.py): replies carry masked updates, which are
        # collected here; the adapters come from their sum (`apply_secure_sums`)
        self.secure = False
        self.masked: dict[str, bytes] = {}
        self.masked_sink: Callable[[str, bytes], None] | None = None  # streamed to the SecAgg session
        self._replies: dict[str, list[Reply]] = {}

    def summary(self) -> None:
        log.info("FederatedLoRA: %d nodes, families %s, aggregation %s, robust %s",
                 len(self.nodes), sorted(self.r_max), self.aggregation, self.robust)

    def configure_train(self, server_round: int, arrays: ArrayRecord, config: ConfigRecord,
                        grid: Grid) -> Iterable[Message]:
        self._sent = arrays
        adapters = split_families(arrays)
        messages = []
        # one serialised adapter per (family, rank), not per node: thousands of nodes share a few
        sized: dict[tuple[str, int], dict] = {}
        for node in self.nodes.values():
            if self.participants is not None and node.node_id not in self.participants:
                continue
            if (node.family, node.rank) not in sized:
                mine = truncate_for_rank(adapters[node.family], node.rank)
                sized[(node.family, node.rank)] = {k: _array(v) for k, v in sorted(mine.items())}
            cfg = ConfigRecord({**dict(config), **dict(self.payload(node, server_round)),
                                "server-round": server_round, "rank": node.rank, "family": node.family})
            content = RecordDict({"arrays": ArrayRecord(dict(sized[(node.family, node.rank)])),
                                  "config": cfg})
            messages.append(Message(content=content, message_type=MessageType.TRAIN,
                                    dst_node_id=node.node_id, group_id=str(server_round)))
        return messages

    def aggregate_train(self, server_round: int, replies: Iterable[Message]
                        ) -> tuple[ArrayRecord | None, MetricRecord | None]:
        """Validate and aggregate one round's replies per family (updates are taken against
        the adapters sent by `configure_train`, for clipping)."""
        for _ in self.stream_train(server_round, replies):
            pass
        return self.finish_train(server_round)

    def stream_train(self, server_round: int, replies: Iterable[Message]) -> Iterator[Accepted]:
        """Check each reply as it arrives and yield it once accepted (the server merges its
        deltas meanwhile); after the consumer has it, its sealed deltas are dropped here.

        Plain mode keeps each accepted adapter for `finish_train` (robust aggregation needs
        them all); secure mode hands each masked update to `masked_sink` and keeps nothing.
        """
        if self._sent is None:
            raise RuntimeError("aggregate_train before configure_train: no adapters were sent")
        self.accepted, self.dropped, self.masked = [], [], {}
        self._replies: dict[str, list[Reply]] = {}
        for msg in replies:
            accepted = self._accept_masked(msg) if self.secure else self._accept(msg)
            if accepted is None:
                continue
            self.accepted.append(accepted)
            yield accepted
            accepted.config.pop("deltas", None)  # merged by now: the sealed bytes are not kept

    def _node_of(self, msg: Message) -> NodeInfo | None:
        node = self.nodes.get(msg.metadata.src_node_id)
        if node is None:
            self.dropped.append((f"node {msg.metadata.src_node_id}", "unknown node"))
        elif msg.has_error():
            self.dropped.append((node.device, f"error reply: {msg.error.reason}"))
            node = None
        return node

    def _accept(self, msg: Message) -> Accepted | None:
        node = self._node_of(msg)
        if node is None:
            return None
        try:
            content = msg.content
            tensors = {k: as_numpy(v) for k, v in content["arrays"].items()}
            metrics = dict(content["metrics"])
            config = dict(content["config"])
            weight = float(metrics["num-examples"])
        except (KeyError, TypeError, ValueError) as exc:
            self.dropped.append((node.device, f"malformed reply ({type(exc).__name__}: {exc})"))
            return None
        if weight == 0.0 and metrics.get("tokens", 0.0) == 0.0:
            # a device that served nothing this round (its share of a workload file is
            # empty): nothing to average into the adapter, but its reply (cache version,
            # an empty delta) is a reply, not a failure
            return Accepted(node, metrics, config)
        good, dropped = validate([Reply(node.device, node.rank, weight, tensors)], self.shapes[node.family],
                                 self.r_max[node.family])
        if dropped:
            self.dropped.extend(dropped)
            return None
        self._replies.setdefault(node.family, []).extend(good)
        return Accepted(node, metrics, config)

    def _accept_masked(self, msg: Message) -> Accepted | None:
        node = self._node_of(msg)
        if node is None:
            return None
        try:
            config = dict(msg.content["config"])
            metrics = dict(msg.content["metrics"])
            masked = config.pop("secagg-masked")
        except (KeyError, TypeError, ValueError) as exc:
            self.dropped.append((node.device, f"malformed reply ({type(exc).__name__}: {exc})"))
            return None
        want = 8 * vector_length(self.shapes[node.family])
        if not isinstance(masked, bytes) or len(masked) != want:
            self.dropped.append((node.device, f"masked update is not {want} bytes"))
            return None
        if self.masked_sink is not None:
            self.masked_sink(node.device, masked)
        else:
            self.masked[node.device] = masked
        return Accepted(node, metrics, config)

    def finish_train(self, server_round: int) -> tuple[ArrayRecord | None, MetricRecord | None]:
        """The new global adapters from the accepted replies (plain mode; secure mode keeps
        them until `apply_secure_sums`)."""
        for device, reason in self.dropped:
            log.warning("round %d: dropped reply of %s: %s", server_round, device, reason)
        if self.secure:
            return self._sent, self._metrics()
        previous_adapters = split_families(self._sent)
        new_adapters = dict(previous_adapters)
        for family, good in self._replies.items():
            if self.aggregation == "frozen-a":
                new_adapters[family], _ = aggregate_frozen_a(good, previous_adapters[family],
                                                             self.r_max[family], self.robust)
            else:
                new_adapters[family], _ = aggregate_fedavg_ab(good, self.r_max[family])
        self._replies = {}
        return join_families(new_adapters), self._metrics()

    def apply_secure_sums(self, sums: dict[str, tuple[dict, float, list[str]]], refused: set[str]) -> ArrayRecord:
        """The new global adapters from each family's secure sum; replies whose masked update
        the session refused are dropped (their deltas are not merged, as in plain mode)."""
        for a in self.accepted:
            if a.node.device in refused:
                self.dropped.append((a.node.device, "masked update refused by secure aggregation"))
        self.accepted = [a for a in self.accepted if a.node.device not in refused]
        adapters = split_families(self._sent)
        for family, (weighted, weight, _) in sums.items():
            adapters[family] = mean_from_sum(weighted, weight, adapters[family])
        return join_families(adapters)

    def _metrics(self) -> MetricRecord:
        total = sum(a.metrics.get("num-examples", 0.0) for a in self.accepted) or 1.0
        keys = sorted({k for a in self.accepted for k, v in a.metrics.items() if isinstance(v, (int, float))})
        return MetricRecord({k: sum(a.metrics.get(k, 0.0) * a.metrics.get("num-examples", 0.0)
                                    for a in self.accepted) / total for k in keys})

    def configure_evaluate(self, server_round: int, arrays: ArrayRecord, config: ConfigRecord,
                           grid: Grid) -> Iterable[Message]:
        return []  # devices evaluate while serving: see the train metrics

    def aggregate_evaluate(self, server_round: int, replies: Iterable[Message]) -> MetricRecord | None:
        return None
