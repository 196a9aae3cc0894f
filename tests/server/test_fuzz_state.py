"""Property-based fuzzing of every persisted-state loader (hypothesis): the in-memory loaders,
checksummed files and device states (server round files, the chain and the journal:
test_fuzz_server_files.py; the objects and the damage: state_damage.py).

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

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from agent import wire
from agent.errors import AgentError
from cache_sync.correction_cache import CountTable
from cache_sync.durable import DamagedFile, frame, read_checked, write_checked
from cache_sync.errors import CacheError
from cache_sync.merge import Aggregate, Delta
from cache_sync.versioned import CacheUpdate, VersionedView
from fleet.device_node import DamagedState, DeviceState
from fleet.errors import FleetError
from server.errors import ServerError
from server.state import ServerState
from tests.fuzzing import byte_mutations, examples
from tests.server.state_damage import (
    ADAPTER,
    AGGREGATE,
    ANCHOR,
    DELTA,
    DEVICE_PAYLOAD,
    DEVICE_STATE,
    HEADER,
    PLANS,
    REPLY,
    REQUEST,
    STATE_BYTES,
    STATES,
    TABLE_A,
    TABLE_B,
    UPDATE,
    VIEW,
    Edit,
    field_mutations,
    mutate,
    same_device_state,
)


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
    assert same_device_state(DeviceState.load(tmp_path, 4, HEADER), DEVICE_STATE)
    assert wire.unpack_request(wire.pack_request(REQUEST)) == REQUEST
    assert wire.unpack_reply(wire.pack_reply(REPLY)) == REPLY
    assert all(np.array_equal(ADAPTER[k], v) for k, v in wire.decode_adapter(wire.encode_adapter(ADAPTER)).items())


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
        "int(seq) of a ledger entry of inf escaped as OverflowError; the ledger is runs now: a run "
        "bound of inf (also ['table']['n'] = inf)"),
        _inf("runs", 0, 1, 0)),
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
    assert same_device_state(loaded, DEVICE_STATE), f"{content!r} loaded as another state"


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
