"""Incremental server state: rounds write segments (what they changed) between snapshots, a
resume rebuilds the same state, damage in either kind of file falls back by name, and a
server killed (SIGKILL) at three points of a round resumes to the uninterrupted final state."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

import server.state as state_module
from cache_sync.durable import read_checked
from server.errors import ServerError
from server.state import ServerState
from tests.server.state_rounds import HEADER, play

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def segments(monkeypatch):
    """Segments even for tiny states (the default writes small states whole)."""
    monkeypatch.setattr(state_module, "SNAPSHOT_MIN_BYTES", 0)


def test_rounds_write_segments_and_a_resume_rebuilds_the_same_state(tmp_path, segments):
    state = play(tmp_path, 6)
    folder = tmp_path / "server"
    names = sorted(p.name for p in folder.iterdir())
    assert "round-1.msgpack" in names and any(n.startswith("segment-") for n in names)
    loaded = ServerState.load_latest(tmp_path)
    assert loaded.round == 6 and loaded.state_hash() == state.state_hash()
    assert loaded.history == state.history
    # a segment holds the round's merged corrections, not the global table
    seg = max(folder.glob("segment-*.msgpack"), key=lambda p: int(p.stem.split("-")[1]))
    snapshot = max(folder.glob("round-*.msgpack"), key=lambda p: int(p.stem.split("-")[1]))
    assert seg.stat().st_size < snapshot.stat().st_size
    # resuming continues the chain: the next round is a segment on top of the loaded state
    more = play(tmp_path, 8, start=loaded)
    assert ServerState.load_latest(tmp_path).state_hash() == more.state_hash() == play(tmp_path / "b", 8).state_hash()


def test_segments_are_compacted_into_a_snapshot_and_old_files_pruned(tmp_path, segments, monkeypatch):
    monkeypatch.setattr(state_module, "SNAPSHOT_EVERY", 2)
    play(tmp_path, 9)
    names = sorted(p.name for p in (tmp_path / "server").iterdir())
    snapshots = [n for n in names if n.startswith("round-")]
    assert 1 < len(snapshots) <= state_module.KEEP_ROUNDS
    oldest = min(int(n[6:-8]) for n in snapshots)
    assert all(int(n[8:-8]) > oldest for n in names if n.startswith("segment-"))
    assert ServerState.load_latest(tmp_path).round == 9


@pytest.mark.parametrize("kind", ["flip", "truncate"])
def test_a_damaged_segment_is_named_and_the_resume_falls_back_to_the_round_before(tmp_path, segments, caplog, kind):
    play(tmp_path, 5)
    expected = play(tmp_path / "ref", 4).state_hash()
    path = tmp_path / "server" / "segment-5.msgpack"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if kind == "truncate" else
                     data[:100] + bytes([data[100] ^ 1]) + data[101:])
    with caplog.at_level(logging.WARNING, logger="fedhybrid.server"):
        loaded = ServerState.load_latest(tmp_path)
    assert loaded.round == 4 and loaded.state_hash() == expected
    assert str(path) in caplog.text and "resuming from round 4" in caplog.text


@pytest.mark.parametrize("kind", ["flip", "truncate"])
def test_a_damaged_snapshot_falls_back_to_the_older_snapshot_and_its_segments(tmp_path, segments, monkeypatch,
                                                                             caplog, kind):
    monkeypatch.setattr(state_module, "SNAPSHOT_EVERY", 2)
    play(tmp_path, 6)
    folder = tmp_path / "server"
    newest = max(int(p.stem.split("-")[1]) for p in folder.glob("round-*.msgpack"))
    path = folder / f"round-{newest}.msgpack"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if kind == "truncate" else data[:-50] + bytes([data[-50] ^ 1]) + data[-49:])
    with caplog.at_level(logging.WARNING, logger="fedhybrid.server"):
        loaded = ServerState.load_latest(tmp_path)
    assert loaded.round == newest - 1 and loaded.state_hash() == play(tmp_path / "ref", newest - 1).state_hash()
    assert str(path) in caplog.text
    for other in folder.glob("*.msgpack"):  # nothing intact left: refused, named
        other.write_bytes(b"garbage")
    with pytest.raises(ServerError, match="no intact server state"):
        ServerState.load_latest(tmp_path)


def test_a_segment_of_another_chain_is_refused(tmp_path, segments, caplog):
    play(tmp_path, 2)
    play(tmp_path / "other", 2, start=ServerState(HEADER, "another-digest"))
    (tmp_path / "server" / "segment-2.msgpack").write_bytes(
        (tmp_path / "other" / "server" / "segment-2.msgpack").read_bytes())
    with caplog.at_level(logging.WARNING, logger="fedhybrid.server"):
        assert ServerState.load_latest(tmp_path).round == 1
    assert "segment-2.msgpack is not a segment of this state" in caplog.text


# -- kill -9 drills: a real server process, killed at three points of round 2 ----------------------
RUN = """
import sys
import server.state as S
S.SNAPSHOT_MIN_BYTES = 0
S.COMPACT_RATIO = 100.0  # segments from round 2 on, whatever their size
from fedhybrid.engines import run_inprocess
state = run_inprocess({config!r})
print("HASH", state.state_hash())
"""


def _config(zoo, corpus, state_dir) -> dict:
    return {"num-rounds": 4, "zoo": str(zoo), "state-dir": str(state_dir), "release-k": 2,
            "replay-dir": str(corpus), "fleet-tiers": "client,edge,iot,edge,iot,edge"}


def _server(config: dict, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FEDHYBRID_KILL_AT"}
    if kill_at:
        env["FEDHYBRID_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-c", RUN.format(config=config)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def uninterrupted(tiny_zoo_dir, replay_corpus, tmp_path_factory):
    done = _server(_config(tiny_zoo_dir, replay_corpus, tmp_path_factory.mktemp("whole") / "run"))
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split("HASH ")[1].split()[0]


@pytest.mark.parametrize("point", ["ingest", "save", "saved"])
def test_a_server_killed_mid_round_resumes_to_the_uninterrupted_final_state(tiny_zoo_dir, replay_corpus, tmp_path,
                                                                           uninterrupted, point):
    config = _config(tiny_zoo_dir, replay_corpus, tmp_path / "run")
    killed = _server(config, kill_at=f"3:{point}")
    assert killed.returncode == -9, killed.stderr[-2000:]
    folder = tmp_path / "run" / "server"
    latest = int(read_checked(folder / "LATEST"))
    assert latest == (3 if point == "saved" else 2)
    assert any(p.name.startswith("segment-") for p in folder.iterdir())  # the chain in use has segments
    resumed = _server(config)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert resumed.stdout.split("HASH ")[1].split()[0] == uninterrupted
