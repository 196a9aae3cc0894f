"""The device agent's durable state: a journal of what every request taught the device, the
upload ledger, and the installed adapter and cache, in one SQLite database.

Why SQLite in WAL mode (and not a hand-written append-only log): a request's record is
one transaction, so it is in the journal entirely or not at all; with `synchronous=FULL`
the commit returns only after the WAL is fsync'd, so a response that was answered after
its commit survives `kill -9` and power loss; the WAL's frames carry checksums, so a torn
write at the end is rolled back when the database is opened, and the database always opens.
Rounds read the journal while requests append to it (WAL readers do not block the writer),
and an install replaces the adapter and the released cache in one transaction.

Tables:
- `records`: one row per served request: its corrections and observations (context ->
  the cloud's token, anchored to the prompt), cache feedback (served / contradicted),
  the prompt and output ids (local fine-tuning), and whether it may be uploaded (privacy
  `allow`) and trained on (not `local-only`). Each payload carries a CRC32 checked on read.
- `uploads`: the deltas made from the records, by sequence number; an upload stays
  unconfirmed (and is re-sent every round) until the server reports it merged.
- `blobs`: the installed adapter, the released cache table and the local table's
  checkpoint, each with its sha256 (verified on load) and version.
- `meta`: counters (last record uploaded, last record checkpointed, schema).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgpack

from agent.errors import AgentError

log = logging.getLogger("fedhybrid.agent")
SCHEMA = 1

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL,
    created REAL NOT NULL,
    anchor INTEGER,
    upload INTEGER NOT NULL,
    train INTEGER NOT NULL,
    corrections INTEGER NOT NULL,
    payload BLOB NOT NULL,
    crc INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    seq INTEGER PRIMARY KEY,
    first_record INTEGER NOT NULL,
    last_record INTEGER NOT NULL,
    delta BLOB NOT NULL,
    corrections INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    confirmed INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS blobs (
    name TEXT PRIMARY KEY,
    data BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    version INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class Record:
    """What one request taught the device."""

    seq: int
    request_id: str
    anchor: int | None
    upload: bool  # may leave the device (privacy allow)
    train: bool  # may be used for local fine-tuning (not local-only)
    corrections: list[tuple[tuple[int, ...], int]]  # context -> the cloud's token
    feedback: list[tuple[tuple[int, ...], int, int, int]]  # (context key, token, served, wrong)
    prompt: list[int]
    output: list[int]
    finished: bool  # ended by EOS or a stop sequence (not cut by max_tokens)


@dataclass(frozen=True)
class Upload:
    seq: int
    first_record: int
    last_record: int
    delta: bytes
    corrections: int
    attempts: int


def _columns(db: sqlite3.Connection) -> dict[str, list[tuple[str, str, int]]]:
    """Each table's (name, declared type, not-null) columns, in order."""
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                       "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {t: [tuple(c) for c in db.execute('SELECT name, type, "notnull" FROM pragma_table_info(?)', (t,))]
            for t in tables}


def _expected_columns() -> dict[str, list[tuple[str, str, int]]]:
    # the schema this code writes, read back from a scratch database so it is never written twice
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(_DDL)
        return _columns(db)
    finally:
        db.close()


EXPECTED_COLUMNS = _expected_columns()


def _torn_tail(wal: Path) -> int:
    """Bytes at the end of a WAL file that do not make a whole frame (a torn write)."""
    try:
        size = wal.stat().st_size
    except FileNotFoundError:
        return 0
    if size < 32:
        return size
    with wal.open("rb") as fh:
        header = fh.read(32)
    (page_size,) = struct.unpack(">I", header[8:12])
    if page_size < 512:
        return 0  # not a WAL header we can read; SQLite decides
    return (size - 32) % (24 + page_size)


def _owner_only(path: Path) -> None:
    """The journal holds users' prompts and answers: readable by its owner only, as the admin
    token is. SQLite creates a database 0644 (less the umask) and gives its -wal and -shm files
    the database's mode, so the database is created 0600 before SQLite opens it, and one an
    older agent left readable is tightened with its companions."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # an empty file is an empty database
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if p.exists() and p.stat().st_mode & 0o077:
            os.chmod(p, 0o600)


class Journal:
    """The agent's database. Thread-safe: one connection, serialised by a lock (appends are
    one short transaction each; rounds read in chunks)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _owner_only(self.path)
        torn = _torn_tail(Path(f"{self.path}-wal"))
        if torn:
            # a crash (kill -9, power loss) can only tear a transaction that never committed (the WAL
            # is fsynced at every commit); a file cut short by damage can tear a committed one
            log.warning("journal %s: the write-ahead log ends in a torn frame (%d bytes); its transaction is "
                        "dropped on recovery: after a crash it is one that never committed (no answered "
                        "request is lost), after damage to the file the records it held are lost", self.path, torn)
        try:
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            # a damaged page can hold text that is not UTF-8: read it replaced, never as an exception
            # (request ids are the only text we store, and they are only compared)
            self._db.text_factory = lambda raw: raw.decode("utf-8", "replace")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # fsync the WAL at every commit
            self._db.executescript(_DDL)
            schema = self._meta("schema", None)
            if schema is None:
                self._set_meta("schema", SCHEMA)
            elif schema != SCHEMA:
                raise AgentError(f"journal {self.path} has schema {schema}, this fedhybrid reads {SCHEMA}: move "
                                 "it aside and start the agent again (the server re-sends its view)")
            # CREATE TABLE IF NOT EXISTS keeps a table whose stored definition was damaged: compare
            # the columns, or the first query would fail later with "no such column"
            found = _columns(self._db)
            for table, columns in EXPECTED_COLUMNS.items():
                if found.get(table) != columns:
                    raise sqlite3.DatabaseError(f"table {table!r} does not have the columns this fedhybrid "
                                                f"wrote ({', '.join(c[0] for c in columns)})")
            check = self._db.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(f"quick_check reports {check[0] if check else 'nothing'!r:.120}")
        except (sqlite3.DatabaseError, UnicodeDecodeError, ValueError, TypeError) as exc:
            raise AgentError(f"journal {self.path} cannot be opened ({exc}): move it aside to start over "
                             "(its unsent corrections would be lost)") from exc
        self._lock = threading.Lock()
        self.torn_bytes = torn

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- meta ---------------------------------------------------------------------------------
    def _meta(self, key: str, default: int | None = 0) -> int | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else int(row[0])

    def _set_meta(self, key: str, value: int) -> None:
        self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                         "excluded.value", (key, int(value)))

    def meta(self, key: str, default: int = 0) -> int:
        with self._lock:
            return self._meta(key, default)

    # -- records ------------------------------------------------------------------------------
    def append(self, request_id: str, anchor: int | None, upload: bool, train: bool,
               corrections: list[tuple[tuple[int, ...], int]],
               feedback: list[tuple[tuple[int, ...], int, int, int]], prompt: list[int], output: list[int],
               finished: bool) -> int:
        """Durably append one request's record (committed and fsync'd on return); its seq."""
        payload = msgpack.packb({"c": [[*ctx, tok] for ctx, tok in corrections],
                                 "f": [[*ctx, tok, served, wrong] for ctx, tok, served, wrong in feedback],
                                 "p": list(prompt), "o": list(output), "e": bool(finished)}, use_bin_type=True)
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO records (request_id, created, anchor, upload, train, corrections, payload, crc) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (request_id, time.time(), anchor, int(upload), int(train), len(corrections), payload,
                 zlib.crc32(payload)))
            return int(cur.lastrowid)

    def last_seq(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT MAX(seq) FROM records").fetchone()
        return int(row[0] or 0)

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def records(self, after: int, upto: int | None = None, only_upload: bool = False,
                chunk: int = 512) -> Iterator[Record]:
        """Records with seq in (after, upto], in order; a record whose payload fails its CRC is
        logged and skipped (it cannot be trusted, and must not stop the rest)."""
        last = after
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT seq, request_id, anchor, upload, train, payload, crc FROM records WHERE seq > ? "
                    + ("AND seq <= ? " if upto is not None else "") + ("AND upload = 1 " if only_upload else "")
                    + "ORDER BY seq LIMIT ?", (last, *((upto,) if upto is not None else ()), chunk)).fetchall()
            if not rows:
                return
            for seq, request_id, anchor, upload, train, payload, crc in rows:
                last = seq
                if zlib.crc32(payload) != crc:
                    log.error("journal %s: record %d fails its checksum and is skipped", self.path, seq)
                    continue
                raw = msgpack.unpackb(payload, raw=False)
                yield Record(seq, request_id, anchor, bool(upload), bool(train),
                             [(tuple(c[:-1]), c[-1]) for c in raw["c"]],
                             [(tuple(f[:-3]), f[-3], f[-2], f[-1]) for f in raw["f"]],
                             raw["p"], raw["o"], raw["e"])

    def anchors(self) -> list[int]:
        """The prompt anchors of the requests journaled (the questions this device answered),
        each once, least recently asked first."""
        with self._lock:
            return [int(r[0]) for r in self._db.execute(
                "SELECT anchor FROM records WHERE anchor IS NOT NULL GROUP BY anchor ORDER BY MAX(seq)")]

    def request_ids(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT request_id FROM records")}

    def corrections_total(self, only_upload: bool = False) -> int:
        with self._lock:
            row = self._db.execute("SELECT COALESCE(SUM(corrections), 0) FROM records"
                                   + (" WHERE upload = 1" if only_upload else "")).fetchone()
        return int(row[0])

    # -- uploads ------------------------------------------------------------------------------
    def add_upload(self, seq: int, first_record: int, last_record: int, delta: bytes, corrections: int) -> None:
        """Record a new upload and advance the uploaded mark, in one transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT INTO uploads (seq, first_record, last_record, delta, corrections, created) "
                                 "VALUES (?, ?, ?, ?, ?, ?)",
                                 (seq, first_record, last_record, delta, corrections, time.time()))
                self._set_meta("uploaded_upto", last_record)
                self._set_meta("next_upload", seq + 1)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def pending_uploads(self) -> list[Upload]:
        with self._lock:
            rows = self._db.execute("SELECT seq, first_record, last_record, delta, corrections, attempts FROM uploads "
                                    "WHERE confirmed = 0 ORDER BY seq").fetchall()
        return [Upload(*row) for row in rows]

    def mark_sent(self, seqs: list[int]) -> None:
        with self._lock:
            self._db.executemany("UPDATE uploads SET attempts = attempts + 1 WHERE seq = ?", [(s,) for s in seqs])

    def confirm(self, seqs: list[int]) -> int:
        """Mark uploads the server reported merged; returns how many were newly confirmed."""
        with self._lock:
            before = self._db.total_changes
            self._db.executemany("UPDATE uploads SET confirmed = 1, delta = x'' WHERE seq = ? AND confirmed = 0",
                                 [(int(s),) for s in seqs])
            return self._db.total_changes - before

    def upload_counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT confirmed, COUNT(*), COALESCE(SUM(corrections), 0) FROM uploads "
                                    "GROUP BY confirmed").fetchall()
        out = {"uploads_confirmed": 0, "uploads_pending": 0, "corrections_confirmed": 0, "corrections_pending": 0}
        for confirmed, n, corrections in rows:
            kind = "confirmed" if confirmed else "pending"
            out[f"uploads_{kind}"], out[f"corrections_{kind}"] = int(n), int(corrections)
        return out

    # -- blobs --------------------------------------------------------------------------------
    def put_blobs(self, blobs: dict[str, tuple[bytes, int]], meta: dict[str, int] | None = None) -> None:
        """Replace named blobs (data, version) and meta counters in one transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for name, (data, version) in blobs.items():
                    self._db.execute("INSERT INTO blobs (name, data, sha256, version) VALUES (?, ?, ?, ?) "
                                     "ON CONFLICT(name) DO UPDATE SET data = excluded.data, sha256 = excluded.sha256, "
                                     "version = excluded.version",
                                     (name, data, hashlib.sha256(data).hexdigest(), int(version)))
                for key, value in (meta or {}).items():
                    self._set_meta(key, value)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def blob(self, name: str) -> tuple[bytes, int] | None:
        """(data, version), or None when absent. Raises AgentError when the stored checksum
        does not match (the caller decides how to recover, and says so)."""
        with self._lock:
            row = self._db.execute("SELECT data, sha256, version FROM blobs WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        data, digest, version = row
        if hashlib.sha256(data).hexdigest() != digest:
            raise AgentError(f"journal {self.path}: blob {name!r} fails its sha256 check")
        return bytes(data), int(version)

    # -- housekeeping ---------------------------------------------------------------------------
    def compact(self, keep_after: int) -> int:
        """Delete records at or below `keep_after` (already uploaded, confirmed and folded into
        the local checkpoint); returns how many were deleted."""
        with self._lock:
            cur = self._db.execute("DELETE FROM records WHERE seq <= ?", (keep_after,))
            self._db.execute("DELETE FROM uploads WHERE confirmed = 1 AND last_record <= ?", (keep_after,))
            return cur.rowcount

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += os.stat(f"{self.path}{suffix}").st_size
            except FileNotFoundError:
                pass
        return total
