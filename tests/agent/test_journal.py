"""The agent's journal: what was committed survives crashes and torn writes; damage is named."""

import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from agent.errors import AgentError
from agent.journal import Journal


def _append(journal: Journal, i: int) -> int:
    return journal.append(f"req-{i}", 70000 + i, upload=i % 2 == 0, train=True,
                          corrections=[((1, 2, 3, i), 7), ((4, 5), 9)], feedback=[((1, 2), 7, 3, 1)],
                          prompt=[1, 2, 3], output=[4, 5, i], finished=True)


def test_journal_records_round_trip_in_order(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    seqs = [_append(journal, i) for i in range(5)]
    assert seqs == [1, 2, 3, 4, 5] and journal.count() == 5 and journal.corrections_total() == 10
    recs = list(journal.records(0))
    assert [r.request_id for r in recs] == [f"req-{i}" for i in range(5)]
    assert recs[3].corrections == [((1, 2, 3, 3), 7), ((4, 5), 9)] and recs[3].feedback == [((1, 2), 7, 3, 1)]
    assert recs[3].anchor == 70003 and not recs[3].upload and recs[4].upload and recs[3].output == [4, 5, 3]
    assert [r.seq for r in journal.records(2, 4)] == [3, 4]
    assert [r.seq for r in journal.records(0, only_upload=True)] == [1, 3, 5]
    journal.close()


def test_the_journal_is_readable_by_its_owner_only(tmp_path):
    """It holds users' prompts and answers: 0600 like the admin token, its WAL too, and a journal
    an older agent left 0644 is tightened at open."""
    journal = Journal(tmp_path / "state" / "j.sqlite")
    _append(journal, 0)
    for name in ("j.sqlite", "j.sqlite-wal", "j.sqlite-shm"):
        assert (tmp_path / "state" / name).stat().st_mode & 0o777 == 0o600, name
    assert (tmp_path / "state").stat().st_mode & 0o077 == 0
    journal.close()
    os.chmod(tmp_path / "state" / "j.sqlite", 0o644)
    journal = Journal(tmp_path / "state" / "j.sqlite")
    assert (tmp_path / "state" / "j.sqlite").stat().st_mode & 0o777 == 0o600 and journal.count() == 1
    journal.close()


def test_a_torn_wal_tail_is_dropped_with_a_log_line_and_the_rest_is_kept(tmp_path, caplog):
    journal = Journal(tmp_path / "live" / "j.sqlite")
    for i in range(6):
        _append(journal, i)
    # what a crash leaves: the database and its write-ahead log as they are on disk now
    crash = tmp_path / "crash"
    crash.mkdir()
    for suffix in ("", "-wal"):
        shutil.copy(f"{journal.path}{suffix}", crash / f"j.sqlite{suffix}")
    journal.close()
    wal = crash / "j.sqlite-wal"
    size = wal.stat().st_size
    with open(wal, "r+b") as fh:  # the last frame was half written when the power went
        fh.truncate(size - 700)
    with caplog.at_level(logging.WARNING, logger="fedhybrid.agent"):
        recovered = Journal(crash / "j.sqlite")
    assert "torn frame" in caplog.text
    assert recovered.torn_bytes > 0
    seqs = [r.seq for r in recovered.records(0)]
    assert seqs == [1, 2, 3, 4, 5]  # the torn transaction (record 6) is gone, every committed one is kept
    assert _append(recovered, 99) == 6  # and the journal takes new records
    recovered.close()


def test_kill_minus_nine_never_loses_an_acknowledged_record(tmp_path):
    """A writer prints each seq after its commit returned (the acknowledgement); killed with
    SIGKILL at three random moments, the journal always opens and holds every printed seq."""
    path = tmp_path / "j.sqlite"
    writer = textwrap.dedent(f"""
        import sys
        from agent.journal import Journal
        j = Journal({str(path)!r})
        i = 0
        while True:
            seq = j.append(f"r{{i}}", None, True, True, [((1, 2), 3)] * 20, [], list(range(50)), [1], True)
            print(seq, flush=True)
            i += 1
    """)
    acknowledged = set()
    for delay in (0.7, 1.1, 1.6):
        proc = subprocess.Popen([sys.executable, "-c", writer], stdout=subprocess.PIPE, text=True)
        started = time.monotonic()
        while time.monotonic() - started < delay:
            line = proc.stdout.readline()
            if line.strip():
                acknowledged.add(int(line))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        acknowledged |= {int(x) for x in proc.stdout.read().split()}  # printed just before the kill
        journal = Journal(path)
        present = {r.seq for r in journal.records(0)}
        journal.close()
        assert acknowledged <= present, sorted(acknowledged - present)[:5]
    assert len(acknowledged) > 10


def test_a_damaged_record_is_skipped_and_named(tmp_path, caplog):
    journal = Journal(tmp_path / "j.sqlite")
    for i in range(3):
        _append(journal, i)
    journal.close()
    db = sqlite3.connect(tmp_path / "j.sqlite")
    db.execute("UPDATE records SET crc = crc + 1 WHERE seq = 2")
    db.commit()
    db.close()
    journal = Journal(tmp_path / "j.sqlite")
    with caplog.at_level(logging.ERROR, logger="fedhybrid.agent"):
        assert [r.seq for r in journal.records(0)] == [1, 3]
    assert "record 2 fails its checksum" in caplog.text
    journal.close()


def test_a_damaged_blob_is_refused_by_name(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    journal.put_blobs({"released": (b"table bytes", 4)})
    assert journal.blob("released") == (b"table bytes", 4) and journal.blob("adapter") is None
    journal.close()
    db = sqlite3.connect(tmp_path / "j.sqlite")
    db.execute("UPDATE blobs SET data = ? WHERE name = 'released'", (b"table bytez",))
    db.commit()
    db.close()
    journal = Journal(tmp_path / "j.sqlite")
    with pytest.raises(AgentError, match="blob 'released' fails its sha256"):
        journal.blob("released")
    journal.close()


def test_a_file_that_is_not_a_journal_is_a_clear_error(tmp_path):
    path = tmp_path / "j.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(AgentError, match="cannot be opened"):
        Journal(path)


def test_a_damaged_table_definition_is_refused_at_open_and_the_file_is_left_as_it_was(tmp_path):
    # found by the fuzz suite in CI: one flipped byte in the stored CREATE TABLE text renamed a
    # column, CREATE TABLE IF NOT EXISTS kept the table, and the first upload query failed with
    # sqlite3's "no such column" long after the agent had started
    path = tmp_path / "j.sqlite"
    journal = Journal(path)
    _append(journal, 1)
    journal.close()
    damaged = path.read_bytes().replace(b"attempts INTEGER", b"attemptz INTEGER")
    path.write_bytes(damaged)
    with pytest.raises(AgentError, match="table 'uploads' does not have the columns .*attempts.*move it aside"):
        Journal(path)
    assert path.read_bytes() == damaged  # nothing rewritten: the user can still inspect or salvage it


def test_uploads_are_pending_until_confirmed(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    journal.add_upload(1, 1, 3, b"delta-1", 6)
    journal.add_upload(2, 4, 5, b"delta-2", 4)
    assert [u.seq for u in journal.pending_uploads()] == [1, 2] and journal.meta("uploaded_upto") == 5
    assert journal.confirm([1, 7]) == 1
    assert [u.seq for u in journal.pending_uploads()] == [2]
    assert journal.confirm([1]) == 0  # confirming twice changes nothing
    assert journal.upload_counts() == {"uploads_confirmed": 1, "uploads_pending": 1, "corrections_confirmed": 6,
                                       "corrections_pending": 4}
    journal.close()
