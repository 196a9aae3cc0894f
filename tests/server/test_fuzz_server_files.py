"""Property-based fuzzing of the server's round files, LATEST, the snapshot chain and the
device journal (hypothesis; the objects and the damage: state_damage.py). A damaged folder
resumes only a round it had, or raises the package's documented error."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import event, example, given
from hypothesis import strategies as st

from agent import wire
from agent.errors import AgentError
from agent.journal import Journal
from cache_sync.durable import DamagedFile, frame, unframe, write_checked
from cache_sync.merge import Aggregate, Delta
from server.errors import ServerError
from server.state import ROUND_FILE, ServerState, read_latest
from tests.fuzzing import byte_mutations, examples
from tests.server.state_damage import (
    ADAPTER,
    DELTA,
    HEADER,
    STATE_BYTES,
    STATES,
    TABLE_A,
    TABLE_B,
    field_mutations,
    view_of,
)

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
                state.views = {"edge": view_of(n), "iot": view_of(1)}
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
