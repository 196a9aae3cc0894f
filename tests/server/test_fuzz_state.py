"""Property-based fuzzing of every persisted-state loader (hypothesis).

The inputs start from real objects built here (count tables with anchored entries, a delta,
an aggregate of two deltas, a versioned view with tombstones and its diff, server states of
rounds 1-3, a device state, round request and reply messages with adapters, a journal
database) and are then damaged three ways:
- random bytes;
- byte mutations of the real bytes: bit flips, byte sets, inserts, deletes, truncation,
  extension, overwrites;
- field mutations of the real msgpack: a field (at any depth, msgpack nested in bytes
  included) replaced by a value of another type or range (inf, NaN, huge and negative
  integers, lists, maps, None), deleted, or a field added.

Each loader may only raise its package's documented error type (`CacheError`,
`ServerError`, `FleetError` and its `DamagedState`, `AgentError`), and a checksummed file
(`read_checked`, server round files and LATEST, device states) never loads as anything but
its original without an error.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgpack
import numpy as np
import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from agent import wire
from agent.errors import AgentError
from agent.journal import Journal
from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.durable import DamagedFile, frame, read_checked, unframe, write_checked
from cache_sync.errors import CacheError
from cache_sync.merge import Aggregate, Delta
from cache_sync.versioned import CacheUpdate, VersionedView
from fleet.device_node import DamagedState, DeviceState
from fleet.errors import FleetError
from server.errors import ServerError
from server.state import ROUND_FILE, ServerState, read_latest
from tests.fuzzing import byte_mutations, examples

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


def _view(round_: int) -> VersionedView:
    view = VersionedView(HEADER)
    for table in (TABLE_A, TABLE_B, TABLE_A.merge_add(TABLE_B))[:round_]:
        view.publish(table)
    return view


VIEW = _view(2)  # TABLE_A's keys that TABLE_B lacks are tombstones
UPDATE = VIEW.diff(1)


def _server_state(round_: int) -> ServerState:
    return ServerState(HEADER, "0123456789abcdef", round_,
                       {"edge": {"model.layers.0.self_attn.q_proj.lora_B":
                                 np.arange(8, dtype=np.float32).reshape(4, 2) * round_}},
                       AGGREGATE, {"edge": _view(round_), "iot": _view(1)}, {"edge-1": {"edge": round_}},
                       [{"round": r, "released": 3 * r} for r in range(1, round_ + 1)], {"edge-1": [round_, 3]})


STATES = {n: _server_state(n) for n in (1, 2, 3)}
STATE_BYTES = {n: state.to_bytes() for n, state in STATES.items()}
DEVICE_STATE = DeviceState(HEADER, released=TABLE_B, local=TABLE_A, version=2)
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
                          "local": state.local.to_bytes()}, use_bin_type=True)


DEVICE_PAYLOAD = _device_state_payload(DEVICE_STATE)


def _same_device_state(a: DeviceState, b: DeviceState) -> bool:
    return a.version == b.version and a.released == b.released and a.local == b.local


def test_real_objects_round_trip(tmp_path):
    """The originals load as themselves: a fuzzed input that loads is compared against them."""
    assert CountTable.from_bytes(TABLE_A.to_bytes(), HEADER) == TABLE_A and ANCHOR >= HEADER.vocab_size
    assert TABLE_A.anchored.any() and Delta.from_bytes(DELTA.to_bytes(), HEADER) == DELTA
    assert Aggregate.from_bytes(AGGREGATE.to_bytes(), HEADER) == AGGREGATE and len(AGGREGATE.ledger) == 2
    assert len(VIEW.tombstones) and VersionedView.from_bytes(VIEW.to_bytes(), HEADER).to_bytes() == VIEW.to_bytes()
    assert CacheUpdate.from_bytes(UPDATE.to_bytes(), HEADER) == UPDATE and len(UPDATE.removed)
    for n in STATES:
        assert ServerState.from_bytes(STATE_BYTES[n]).to_bytes() == STATE_BYTES[n]
        assert ServerState.from_bytes(frame(STATE_BYTES[n])).to_bytes() == STATE_BYTES[n]
    DEVICE_STATE.save(tmp_path, 4)
    assert read_checked(tmp_path / "round-4.msgpack") == DEVICE_PAYLOAD
    assert _same_device_state(DeviceState.load(tmp_path, 4, HEADER), DEVICE_STATE)
    assert wire.unpack_request(wire.pack_request(REQUEST)) == REQUEST
    assert wire.unpack_reply(wire.pack_reply(REPLY)) == REPLY
    assert all(np.array_equal(ADAPTER[k], v) for k, v in wire.decode_adapter(wire.encode_adapter(ADAPTER)).items())


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


# -- the in-memory loaders -------------------------------------------------------------------------


@dataclass(frozen=True)
class Loader:
    original: bytes
    load: Callable[[bytes], object]
    errors: tuple[type[Exception], ...]  # what it documents
    same: Callable[[object], bool] | None = None  # checksummed: a load must give the original back
    fields: bool = True  # the original is msgpack (field mutations apply)
    kind: type | None = None  # what a successful load returns


def _state_equal(n: int) -> Callable[[ServerState], bool]:
    return lambda state: state.to_bytes() == STATE_BYTES[n]


LOADERS = {
    "CountTable.from_bytes": Loader(TABLE_A.to_bytes(), lambda b: CountTable.from_bytes(b), (CacheError,),
                                    kind=CountTable),
    "CountTable.from_bytes(expect)": Loader(TABLE_B.to_bytes(), lambda b: CountTable.from_bytes(b, HEADER),
                                            (CacheError,), kind=CountTable),
    "Delta.from_bytes": Loader(DELTA.to_bytes(), lambda b: Delta.from_bytes(b, HEADER), (CacheError,), kind=Delta),
    "Aggregate.from_bytes": Loader(AGGREGATE.to_bytes(), lambda b: Aggregate.from_bytes(b, HEADER), (CacheError,),
                                   kind=Aggregate),
    "CacheUpdate.from_bytes": Loader(UPDATE.to_bytes(), lambda b: CacheUpdate.from_bytes(b, HEADER), (CacheError,),
                                     kind=CacheUpdate),
    "VersionedView.from_bytes": Loader(VIEW.to_bytes(), lambda b: VersionedView.from_bytes(b, HEADER),
                                       (CacheError,), kind=VersionedView),
    "ServerState.from_bytes": Loader(STATE_BYTES[2], ServerState.from_bytes, (ServerError,), kind=ServerState),
    "ServerState.from_bytes(framed)": Loader(frame(STATE_BYTES[2]), ServerState.from_bytes, (ServerError,),
                                             same=_state_equal(2), fields=False, kind=ServerState),
    "wire.unpack_request": Loader(wire.pack_request(REQUEST), wire.unpack_request, (AgentError,),
                                  kind=wire.RoundRequest),
    "wire.unpack_reply": Loader(wire.pack_reply(REPLY), wire.unpack_reply, (AgentError,), kind=wire.RoundReply),
    "wire.decode_adapter": Loader(wire.encode_adapter(ADAPTER), wire.decode_adapter, (AgentError,), kind=dict),
}


def _check_load(loader: Loader, data: bytes) -> None:
    try:
        result = loader.load(data)
    except loader.errors as exc:
        event(f"refused: {type(exc).__name__}")
        return
    event("loaded")
    assert loader.kind is None or isinstance(result, loader.kind), type(result)
    if loader.same is not None:
        assert loader.same(result), f"damaged checksummed bytes loaded as something else: {data!r}"


@pytest.mark.parametrize("name", list(LOADERS))
@examples(800)
@given(data=st.data())
def test_loader_on_random_and_mutated_bytes_raises_only_its_domain_error(name, data):
    loader = LOADERS[name]
    payload = data.draw(st.one_of(st.binary(max_size=256), byte_mutations(loader.original)), label="bytes")
    _check_load(loader, payload)


def test_decode_adapter_of_bytes_that_are_not_a_map_raises_agent_error():
    with pytest.raises(AgentError, match="adapter bytes are malformed"):  # once an AttributeError: .items() of an int
        wire.decode_adapter(b"\x00")


@dataclass(frozen=True)
class Escape:
    """An escape this property once found: what escaped, why, and the minimal example (edits)
    hypothesis found; each runs first as an explicit example, so it cannot come back unseen."""

    raises: type[Exception] | tuple[type[Exception], ...]
    why: str
    edits: tuple[Edit, ...]


def _inf(*path) -> tuple[Edit, ...]:
    return (Edit("replace", float("inf"), path=path),)


INF_N = "CountTable.from_bytes's int(raw['n']) of inf raises OverflowError, which it does not catch"
FIELD_ESCAPES = {
    "CountTable.from_bytes": Escape(OverflowError, INF_N, _inf("n")),
    "CountTable.from_bytes(expect)": Escape(OverflowError, INF_N, _inf("n")),
    "Delta.from_bytes": Escape(OverflowError, f"the table inside: {INF_N}", _inf("table", "n")),
    "Aggregate.from_bytes": Escape(OverflowError, (
        "int(seq) of a ledger entry of inf escapes as OverflowError (also ['table']['n'] = inf)"),
        _inf("ledger", 0, 1)),
    "CacheUpdate.from_bytes": Escape(OverflowError, (
        "int(raw['base']) / int(raw['version']) of inf escape as OverflowError (also ['upserts']['n'] = inf)"),
        _inf("base")),
    "VersionedView.from_bytes": Escape(OverflowError, (
        "int(raw['version']) of inf escapes as OverflowError (also ['table']['n'] = inf)"), _inf("version")),
    "ServerState.from_bytes": Escape((AttributeError, OverflowError), (
        "ServerState.from_bytes catches ValueError/KeyError/TypeError only: ['round'] = inf escapes as "
        "OverflowError; a non-map ['adapters'] or ['views'] (inf, []) as AttributeError from .items(); "
        "['views']['edge']['table']['n'] = inf as OverflowError"), _inf("round")),
    "wire.unpack_request": Escape(TypeError, (
        "unpack_request iterates 'acked' outside its try: TypeError: 'float' object is not iterable"), _inf("acked")),
    "wire.unpack_reply": Escape(TypeError, (
        "unpack_reply takes len(delta_seqs) outside its try: TypeError: object of type 'float' has no len()"),
        _inf("delta_seqs")),
    "wire.decode_adapter": Escape((AttributeError, OverflowError), (
        "decode_adapter catches ValueError/TypeError/KeyError but not OverflowError from int() of a shape of inf"),
        _inf("model.layers.0.self_attn.q_proj.lora_B", 0, 0)),
}
FIELD_LOADERS = [name for name, loader in LOADERS.items() if loader.fields]


@pytest.mark.parametrize("name", FIELD_LOADERS)
@examples(400)
@given(plan=PLANS)
@example(plan=None)  # the loader's escape of old (FIELD_ESCAPES), first
def test_loader_on_mutated_fields_raises_only_its_domain_error(name, plan):
    loader = LOADERS[name]
    if plan is None:
        if name not in FIELD_ESCAPES:
            return
        plan = FIELD_ESCAPES[name].edits
    _check_load(loader, mutate(loader.original, plan))


# -- checksummed files -----------------------------------------------------------------------------

CHECKED_PAYLOADS = [b"", b"3", STATE_BYTES[1], DEVICE_PAYLOAD]


@examples(800)
@given(data=st.data())
def test_read_checked_returns_the_original_payload_or_raises_damaged_file(data):
    payload = data.draw(st.one_of(st.sampled_from(CHECKED_PAYLOADS), st.binary(max_size=64)), label="payload")
    content = data.draw(st.one_of(byte_mutations(frame(payload)), st.binary(max_size=128)), label="file")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "file.msgpack"
        path.write_bytes(content)
        try:
            loaded = read_checked(path)
        except DamagedFile as exc:
            assert isinstance(exc, CacheError) and str(path) in str(exc)
            event("refused: DamagedFile")
            return
    event("loaded")
    assert loaded == payload, f"{content!r} read as {loaded!r}"


@examples(800)
@given(data=st.data())
def test_device_state_load_of_a_damaged_file_raises_damaged_state_or_loads_the_original(data):
    original = frame(DEVICE_PAYLOAD)
    content = data.draw(st.one_of(byte_mutations(original), st.binary(max_size=128)), label="file")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "round-5.msgpack").write_bytes(content)
        try:
            loaded = DeviceState.load(Path(tmp), 5, HEADER)
        except DamagedState as exc:
            assert isinstance(exc, FleetError)
            event("refused: DamagedState")
            return
    event("loaded")
    assert _same_device_state(loaded, DEVICE_STATE), f"{content!r} loaded as another state"


@examples(200)
@given(payload=field_mutations(DEVICE_PAYLOAD))
@example(payload=mutate(DEVICE_PAYLOAD, _inf("version")))  # once an OverflowError from int(inf)
def test_device_state_load_of_a_sound_file_with_mutated_fields_raises_fleet_or_cache_error(payload):
    with tempfile.TemporaryDirectory() as tmp:
        write_checked(Path(tmp) / "round-5.msgpack", payload)
        try:
            DeviceState.load(Path(tmp), 5, HEADER)
        except (DamagedState, CacheError) as exc:  # documented: damage, or a sound file of another cache header
            event(f"refused: {type(exc).__name__}")


# -- server round files and LATEST -----------------------------------------------------------------


@st.composite
def server_folders(draw) -> dict[str, bytes]:
    """A server state folder: each of rounds 1-3 intact, byte-mutated, absent or holding another
    round's file; LATEST intact (3), mutated, absent or naming another round; maybe stray files."""
    files: dict[str, bytes] = {}
    for n in (1, 2, 3):
        how = draw(st.sampled_from(["intact", "mutated", "mutated", "absent", "other-round"]))
        if how == "intact":
            files[f"round-{n}.msgpack"] = frame(STATE_BYTES[n])
        elif how == "mutated":
            files[f"round-{n}.msgpack"] = draw(byte_mutations(frame(STATE_BYTES[n])))
        elif how == "other-round":
            files[f"round-{n}.msgpack"] = frame(STATE_BYTES[draw(st.sampled_from([m for m in (1, 2, 3) if m != n]))])
    how = draw(st.sampled_from(["intact", "mutated", "absent", "names"]))
    if how == "intact":
        files["LATEST"] = frame(b"3")
    elif how == "mutated":
        files["LATEST"] = draw(byte_mutations(frame(b"3")))
    elif how == "names":
        files["LATEST"] = frame(str(draw(st.integers(0, 5))).encode())
    for _ in range(draw(st.integers(0, 2))):
        name = draw(st.sampled_from(["round-4.msgpack", "round-0.msgpack", "round-01.msgpack", "LATEST.tmp",
                                     ".round-3.msgpack.tmp-0000", "notes.txt"]))
        files[name] = draw(st.one_of(st.binary(max_size=64), byte_mutations(frame(STATE_BYTES[3]))))
    return files


def _latest_round(files: dict[str, bytes]) -> int | None:
    """The round an intact LATEST names (None when it is absent or damaged)."""
    try:
        text = unframe(files["LATEST"], "LATEST")
    except (KeyError, DamagedFile):
        return None
    return int(text) if text.isdigit() else None


@examples(600)
@given(files=server_folders())
def test_server_state_load_latest_resumes_only_an_intact_round_or_raises_server_error(files):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "server"
        folder.mkdir()
        for name, content in files.items():
            (folder / name).write_bytes(content)
        try:
            state = ServerState.load_latest(Path(tmp))
        except ServerError:
            event("refused: ServerError")
            return
    event("fresh folder" if state is None else f"resumed round {state.round}")
    if state is None:
        assert "LATEST" not in files and not any(ROUND_FILE.fullmatch(name) for name in files), sorted(files)
        return
    assert state.round in STATES and state.to_bytes() == STATE_BYTES[state.round], "loaded an altered state"
    named = _latest_round(files)
    assert named is None or state.round <= named, f"resumed round {state.round} past LATEST's {named}"


@examples(100)
@given(content=st.one_of(st.binary(max_size=64), st.text("0123456789", min_size=1, max_size=24).map(str.encode),
                         st.integers(1, 6000).map(lambda n: b"7" * n)))
@example(content=b"7" * 4301)  # once a bare ValueError: more digits than int() takes
def test_server_state_load_latest_with_a_sound_latest_of_any_content_raises_only_server_error(content):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "server"
        folder.mkdir()
        write_checked(folder / "round-2.msgpack", STATE_BYTES[2])
        write_checked(folder / "LATEST", content)
        try:
            state = ServerState.load_latest(Path(tmp))
        except ServerError:
            event("refused: ServerError")
            return
        event(f"resumed round {state.round}")
        try:
            named = read_latest(folder)
        except DamagedFile:
            named = None
    assert state.to_bytes() == STATE_BYTES[2] and (named is None or named >= 2)


# -- the server's chain: a snapshot and the segments after it ---------------------------------------


def _chain() -> tuple[dict[str, bytes], dict[int, bytes]]:
    """A real chain (round 1 a snapshot, rounds 2 and 3 segments: the thresholds are lowered
    while it is written) and the state bytes of each round."""
    import server.state as state_module

    thresholds = state_module.SNAPSHOT_MIN_BYTES, state_module.COMPACT_RATIO
    state_module.SNAPSHOT_MIN_BYTES, state_module.COMPACT_RATIO = 0, 100.0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            state, rounds = ServerState(HEADER, "0123456789abcdef"), {}
            for n in (1, 2, 3):
                merged = Aggregate.of(Delta(f"edge-{n}", n, n, TABLE_A if n % 2 else TABLE_B))
                state.aggregate = state.aggregate.merge(merged)
                state.unsaved.append(merged)
                state.round, state.adapters = n, STATES[n].adapters
                state.views = {"edge": _view(n), "iot": _view(1)}
                state.node_versions, state.high_water = {"edge-1": {"edge": n}}, {"edge-1": [n, 3]}
                state.history.append({"round": n, "released": 3 * n})
                state.save(Path(tmp))
                rounds[n] = state.to_bytes()
            files = {p.name: p.read_bytes() for p in (Path(tmp) / "server").iterdir() if p.is_file()}
    finally:
        state_module.SNAPSHOT_MIN_BYTES, state_module.COMPACT_RATIO = thresholds
    return files, rounds


CHAIN_FILES, CHAIN_ROUNDS = _chain()
CHAIN_NAMES = ("round-1.msgpack", "segment-2.msgpack", "segment-3.msgpack")


def test_the_chain_is_a_snapshot_and_two_segments():
    assert sorted(CHAIN_FILES) == ["LATEST", *CHAIN_NAMES]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "server").mkdir()
        for name, content in CHAIN_FILES.items():
            (Path(tmp) / "server" / name).write_bytes(content)
        assert ServerState.load_latest(Path(tmp)).to_bytes() == CHAIN_ROUNDS[3]


def _load_chain(files: dict[str, bytes]) -> ServerState | None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "server"
        folder.mkdir()
        for name, content in files.items():
            (folder / name).write_bytes(content)
        return ServerState.load_latest(Path(tmp))


@st.composite
def damaged_chains(draw) -> dict[str, bytes]:
    """The chain with each file intact, byte-mutated or absent, and LATEST as in `server_folders`."""
    files = {}
    for name in CHAIN_NAMES:
        how = draw(st.sampled_from(["intact", "mutated", "absent"]))
        if how != "absent":
            files[name] = CHAIN_FILES[name] if how == "intact" else draw(byte_mutations(CHAIN_FILES[name]))
    how = draw(st.sampled_from(["intact", "mutated", "absent", "names"]))
    if how == "intact":
        files["LATEST"] = CHAIN_FILES["LATEST"]
    elif how == "mutated":
        files["LATEST"] = draw(byte_mutations(CHAIN_FILES["LATEST"]))
    elif how == "names":
        files["LATEST"] = frame(str(draw(st.integers(0, 5))).encode())
    return files


@examples(400)
@given(files=damaged_chains())
def test_server_state_load_latest_of_a_damaged_chain_resumes_only_a_round_it_had_or_raises_server_error(files):
    try:
        state = _load_chain(files)
    except ServerError:
        event("refused: ServerError")
        return
    event("fresh folder" if state is None else f"resumed round {state.round}")
    if state is None:
        assert not files, sorted(files)
        return
    assert state.to_bytes() == CHAIN_ROUNDS[state.round], "loaded an altered state"
    named = _latest_round(files)
    assert named is None or state.round <= named, f"resumed round {state.round} past LATEST's {named}"


@examples(300)
@given(name=st.sampled_from(CHAIN_NAMES[1:]), data=st.data())
def test_server_state_load_latest_with_a_sound_segment_of_mutated_fields_raises_only_server_error(name, data):
    payload = data.draw(field_mutations(unframe(CHAIN_FILES[name], name)), label="segment")
    round_ = int(name[8:-8])
    try:
        state = _load_chain({**CHAIN_FILES, name: frame(payload)})
    except ServerError:
        event("refused: ServerError")
        return
    event(f"resumed round {state.round}")
    # a segment that is refused is not applied at all: the resume is exactly the round before it
    assert state.round >= round_ or state.to_bytes() == CHAIN_ROUNDS[state.round], "a half-applied segment"


# -- the journal -----------------------------------------------------------------------------------


def _journal_files() -> dict[str, bytes]:
    """A real journal: the database after a clean close, and a database + WAL pair copied while open."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "journal.sqlite"
        journal = Journal(path)
        for i in range(4):
            journal.append(f"req-{i}", 70000 + i, upload=i % 2 == 0, train=True,
                           corrections=[((1, 2, 3, i), 7), ((4, 5), 9)], feedback=[((1, 2), 7, 3, 1)],
                           prompt=[1, 2, 3], output=[4, 5, i], finished=True)
        journal.add_upload(1, 1, 2, DELTA.to_bytes(), 4)
        journal.put_blobs({"adapter": (wire.encode_adapter(ADAPTER), 2), "released": (TABLE_B.to_bytes(), 3)})
        open_db, open_wal = path.read_bytes(), Path(f"{path}-wal").read_bytes()
        journal.close()
        return {"closed": path.read_bytes(), "open-db": open_db, "open-wal": open_wal}


JOURNAL = _journal_files()


@st.composite
def journal_folders(draw) -> dict[str, bytes]:
    kind = draw(st.sampled_from(["closed", "open", "random"]))
    if kind == "random":
        files = {"journal.sqlite": draw(st.binary(max_size=4096))}
        if draw(st.booleans()):
            files["journal.sqlite-wal"] = draw(st.binary(max_size=256))
        return files
    if kind == "closed":
        return {"journal.sqlite": draw(byte_mutations(JOURNAL["closed"]))}
    db, wal = JOURNAL["open-db"], JOURNAL["open-wal"]
    which = draw(st.sampled_from(["db", "wal", "both"]))
    return {"journal.sqlite": draw(byte_mutations(db)) if which != "wal" else db,
            "journal.sqlite-wal": draw(byte_mutations(wal)) if which != "db" else wal}


@examples(600)
@given(files=journal_folders())
def test_journal_on_a_damaged_database_opens_or_raises_agent_error(files):
    with tempfile.TemporaryDirectory() as tmp:
        for name, content in files.items():
            (Path(tmp) / name).write_bytes(content)
        try:
            journal = Journal(Path(tmp) / "journal.sqlite")
        except AgentError:
            event("refused: AgentError")
            return
        event("opened")
        try:  # what a journal that opened holds reads back, or is refused as damaged
            records = list(journal.records(0))
            journal.pending_uploads(), journal.upload_counts(), journal.request_ids()
            for name in ("adapter", "released"):
                journal.blob(name)
        except AgentError:
            event("read refused: AgentError")
            return
        finally:
            journal.close()
        assert all(isinstance(r.request_id, str) for r in records)
