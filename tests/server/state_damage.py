"""Real persisted objects and the ways the state fuzz tests damage them (hypothesis strategies).

Shared by tests/server/test_fuzz_state.py (in-memory loaders, checksummed files, device
states) and tests/server/test_fuzz_server_files.py (server round files, the snapshot chain,
the journal): the objects are built once here, the damage is drawn per example.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import msgpack
import numpy as np
from hypothesis import strategies as st

from agent import wire
from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.merge import Aggregate, Delta
from cache_sync.versioned import VersionedView
from fleet.device_node import DeviceState
from server.state import ServerState

# -- real objects ----------------------------------------------------------------------------------

HEADER = CacheHeader("f" * 64, vocab_size=50, n_min=2, n_max=4)
ANCHOR = HEADER.anchor_of([7, 8, 9])


def _table(device: str, round_: int, corrections, anchored=()) -> CountTable:
    table = CountTable.from_corrections(HEADER, corrections, device, round_)
    return table.merge_add(CountTable.from_corrections(HEADER, anchored, device, round_, anchor=ANCHOR))


TABLE_A = _table("edge-1", 1, [([1, 2, 3], 4), ([5, 6, 7, 8], 9)], [([10, 11], 12)])
TABLE_B = _table("edge-2", 2, [([1, 2, 3], 4), ([20, 21], 22)], [([30, 31, 32], 33)])
DELTA = Delta("edge-1", 3, 2, TABLE_A)
AGGREGATE = Aggregate.of(DELTA).apply(Delta("edge-2", 1, 2, TABLE_B))


def view_of(round_: int) -> VersionedView:
    view = VersionedView(HEADER)
    for table in (TABLE_A, TABLE_B, TABLE_A.merge_add(TABLE_B))[:round_]:
        view.publish(table)
    return view


VIEW = view_of(2)  # TABLE_A's keys that TABLE_B lacks are tombstones
UPDATE = VIEW.diff(1)


def _server_state(round_: int) -> ServerState:
    return ServerState(HEADER, "0123456789abcdef", round_,
                       {"edge": {"model.layers.0.self_attn.q_proj.lora_B":
                                 np.arange(8, dtype=np.float32).reshape(4, 2) * round_}},
                       AGGREGATE, {"edge": view_of(round_), "iot": view_of(1)}, {"edge-1": {"edge": round_}},
                       [{"round": r, "released": 3 * r} for r in range(1, round_ + 1)], {"edge-1": [round_, 3]})


STATES = {n: _server_state(n) for n in (1, 2, 3)}
STATE_BYTES = {n: state.to_bytes() for n, state in STATES.items()}
DEVICE_STATE = DeviceState(HEADER, released=TABLE_B, local=TABLE_A, version=2, asked={HEADER.vocab_size + 5, 90_000},
                           agreed={3, 2**62 + 7})
ADAPTER = {"model.layers.0.self_attn.q_proj.lora_B": np.linspace(-1, 1, 8, dtype=np.float32).reshape(4, 2),
           "model.layers.0.self_attn.v_proj.lora_B": np.ones((4, 2), dtype=np.float32)}
REQUEST = wire.RoundRequest(round=3, adapter=wire.encode_adapter(ADAPTER), cache_update=UPDATE.to_bytes(),
                            acked=[1, 2], threshold=0.4, seed=9)
REPLY = wire.RoundReply(device="edge-1", tier="edge", adapter=wire.encode_adapter(ADAPTER),
                        deltas=[DELTA.to_bytes()], delta_seqs=[3], cache_version=2,
                        metrics={"tokens": 12.0, "cloud-share": 0.25})


def _device_state_payload(state: DeviceState) -> bytes:
    """What `DeviceState.save` frames (kept in step with it by `test_real_objects_round_trip`)."""
    return msgpack.packb({"version": state.version, "released": state.released.to_bytes(),
                          "local": state.local.to_bytes(), "asked": sorted(state.asked),
                          "agreed": sorted(state.agreed)}, use_bin_type=True)


DEVICE_PAYLOAD = _device_state_payload(DEVICE_STATE)


def same_device_state(a: DeviceState, b: DeviceState) -> bool:
    return (a.version == b.version and a.released == b.released and a.local == b.local and a.asked == b.asked
            and a.agreed == b.agreed)


# -- damage ----------------------------------------------------------------------------------------


MSGPACK_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), st.sampled_from([0, -1, 1, 2**31, 2**63, -(2**63)]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([float("inf"), float("-inf"), float("nan")]),
    st.text(max_size=8), st.binary(max_size=24))
MSGPACK_VALUES = st.recursive(MSGPACK_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.one_of(st.text(max_size=8), st.integers(-5, 5)), inner,
                                                  max_size=3)), max_leaves=8)
# values of another type or range than any field holds (infinities most: int() of one raises
# OverflowError, which no `except ValueError` catches), drawn twice as often as all the others
NASTY = st.one_of(st.sampled_from([float("inf"), float("-inf"), float("nan")]),
                  st.sampled_from([0.5, -1, 2**64 - 1, -(2**63), None, True, "", "x", b"", b"\x00", [], [0], [[]], {},
                                   {"": 0}]))
REPLACEMENTS = st.one_of(NASTY, NASTY, MSGPACK_VALUES)


@dataclass
class Packed:
    """A bytes field that itself holds a msgpack map (a table inside a delta, ...)."""

    tree: object


def _nest(obj):
    if isinstance(obj, dict):
        return {k: _nest(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_nest(v) for v in obj]
    if isinstance(obj, bytes):
        try:
            inner = msgpack.unpackb(obj, raw=False, strict_map_key=False)
        except Exception:  # noqa: BLE001 - raw bytes (entries, float arrays): a leaf
            return obj
        if isinstance(inner, dict):
            return Packed(_nest(inner))
    return obj


def _flat(obj):
    if isinstance(obj, Packed):
        return msgpack.packb(_flat(obj.tree), use_bin_type=True)
    if isinstance(obj, dict):
        return {k: _flat(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_flat(v) for v in obj]
    return obj


class Mutated(bytes):
    """Mutated msgpack bytes that print as the edits made (readable failing examples)."""

    edits: list[str]

    def __repr__(self) -> str:
        return f"<original with {'; '.join(self.edits)}>"


def _slots(node, out: list, path: str = "", root: bool = True) -> list:
    """(container, key, path, top) of every value in the tree, depth first; `top`: a field of
    the message or of a message packed inside it."""
    if isinstance(node, Packed):
        node, root = node.tree, True
    keys = list(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else ()
    for key in keys:
        where = f"{path}[{key!r}]"
        out.append((node, key, where, root))
        _slots(node[key], out, where, False)
    return out


@dataclass(frozen=True)
class Edit:
    """One field edit: `op` is "replace", "delete" or "add" (a field `key` beside the value).
    `path` names the value (keys from the message down; a bytes field holding msgpack is entered
    as a map); without one, `pick` chooses it (modulo the candidates) among the fields of the
    message and of the messages packed in it (`top`), or among every value."""

    op: str
    value: object = None
    path: tuple = ()
    pick: int = 0
    top: bool = True
    key: str = ""


def _unwrap(node):
    return node.tree if isinstance(node, Packed) else node


def mutate(original: bytes, plan) -> Mutated:
    """`original` (msgpack) after the edits of `plan`, in order."""
    tree = _nest(msgpack.unpackb(original, raw=False, strict_map_key=False))
    done = []
    for edit in plan:
        if edit.path:
            container = tree
            for key in edit.path[:-1]:
                container = _unwrap(container)[key]
            container, key, where = _unwrap(container), edit.path[-1], "".join(f"[{k!r}]" for k in edit.path)
        else:
            slots = _slots(tree, [])
            if not slots:
                break
            top = [slot for slot in slots if slot[3]]
            pool = top if top and edit.top else slots
            container, key, where, _ = pool[edit.pick % len(pool)]
        value = copy.deepcopy(edit.value)  # never share a [] or {} between examples
        if edit.op == "replace":
            container[key] = value
            done.append(f"{where} = {value!r}")
        elif edit.op == "delete":
            del container[key]
            done.append(f"del {where}")
        elif isinstance(container, dict):
            container[edit.key] = value
            done.append(f"{where.rsplit('[', 1)[0]}[{edit.key!r}] = {value!r} (added)")
        else:
            container.append(value)
            done.append(f"{where.rsplit('[', 1)[0]} += [{value!r}]")
    out = Mutated(msgpack.packb(_flat(tree), use_bin_type=True))
    out.edits = done
    return out


# `pick` is drawn from a wide range: hypothesis favours small numbers, and a narrow range would
# edit the first field of every message far more often than the others
EDITS = st.builds(Edit, op=st.sampled_from(["replace", "replace", "replace", "delete", "add"]), value=REPLACEMENTS,
                  pick=st.integers(0, 2**16), top=st.booleans(), key=st.text(max_size=8))
# half the plans make one focused edit: a field of a message set to a value of another type or
# range (several edits may mask each other: the first error raised hides the next)
FOCUSED = st.builds(Edit, op=st.just("replace"), value=NASTY, pick=st.integers(0, 2**16), top=st.just(True))
PLANS = st.one_of(FOCUSED.map(lambda edit: (edit,)), st.lists(EDITS, min_size=1, max_size=3).map(tuple))


def field_mutations(original: bytes) -> st.SearchStrategy[Mutated]:
    """`original` (msgpack) with fields replaced, deleted or added, at any depth."""
    return PLANS.map(lambda plan: mutate(original, plan))
