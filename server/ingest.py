"""Opening a round's correction deltas, in the server process or across worker processes.

A reply's sealed deltas need nothing from other replies until they are merged: verifying
(Ed25519), decrypting (HPKE), decoding and checking, capping, de-duplicating and merging
them takes only the sender's replay mark and what the global ledger holds of that sender.
So a round's stream of replies is cut into chunks, and `open_chunk` turns one chunk into a
merged `Aggregate` plus its counts. With `ingest-workers=0` the server process opens each
chunk itself; with N > 0, N spawned processes open chunks while the server process goes on
receiving replies, and it folds the finished chunks in the order their replies arrived (the
replay marks, the counts) and merges their aggregates like a binary counter. Merging is
associative and commutative, so the round's table and ledger are the same either way
(tests/server/test_ingest.py compares the state hashes).

The server process keeps what is stateful: the replay marks (a device whose chunk is still
out waits before its next reply is cut), the round's merged ledger, the global merge.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from cache_sync.channel import MAX_ENVELOPE_AGE_S, delta_opener
from cache_sync.correction_cache import CacheHeader
from cache_sync.envelope import EnvelopeError, Opener
from cache_sync.errors import CacheError
from cache_sync.keys import ROTATION_GRACE_S
from cache_sync.ledger import Ledger
from cache_sync.merge import Aggregate, Delta, merge_all
from server.errors import ServerError
from server.faults import crash_point
from server.memory import peak_rss_mb
from server.release import cap_delta

CHUNK_DELTAS = 256  # sealed deltas per chunk opened in the server process (at most this many held open)
WORKER_CHUNK_DELTAS = 64  # per chunk sent to a worker: small enough to spread a round over the workers
IN_FLIGHT_PER_WORKER = 2  # chunks out per worker: one being opened, one queued (bounds memory)
START_TIMEOUT_S = 300.0  # for a worker's first answer (it imports the server's modules)

MAX_DELTAS_PER_REPLY = 32  # opened per reply; a device with a longer backlog catches up over rounds
Marks = dict[str, tuple[int, int]]  # sender -> (round, seq) of its last accepted envelope
Used = dict[str, int]  # device -> entries its deltas merged this round (the contribution cap's budget)


@dataclass(frozen=True)
class OpenSpec:
    """What opening a delta needs besides the delta: everything a worker is started with."""

    header: CacheHeader
    per_device_cap: int
    key_dir: str | None = None  # None: deltas arrive unsealed (`secure = false`)
    run: int = 0
    grace_s: float = ROTATION_GRACE_S
    max_age_s: float = MAX_ENVELOPE_AGE_S

    def opener(self) -> Opener | None:
        return None if self.key_dir is None else delta_opener(Path(self.key_dir), self.grace_s, self.max_age_s)


@dataclass
class Chunk:
    """One opened chunk: its merged deltas and what happened to the others."""

    aggregate: Aggregate | None
    merged: int = 0
    duplicates: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (device, reason)
    marks: Marks = field(default_factory=dict)  # the chunk's senders' advanced replay marks
    used: Used = field(default_factory=dict)  # the chunk's senders' cap budget spent this round (advanced)
    deferred: int = 0  # valid deltas over their device's cap this round: left unconfirmed, re-sent later
    worker_rss_mb: float = 0.0  # the peak resident memory of the worker that opened it (0: in the server)


def open_chunk(spec: OpenSpec, opener: Opener | None, replies: list[tuple[str, list]], held: Ledger,
               marks: Marks, used: Used | None = None) -> Chunk:
    """Open, check, cap, de-duplicate and merge the deltas of `replies` ([(device, [sealed,
    ...]), ...], in arrival order; a device may send more than one). `held`: the pairs of these
    devices that are merged already (the global table's and the round's earlier chunks');
    `marks`: their replay marks, advanced in a copy that the result carries; `used`: the
    entries their deltas merged already this round (earlier chunks), likewise.

    The contribution cap bounds what one device adds in one round of ingest, over all its
    deltas and replies, not per delta: `per_device_cap` entries (counted per delta, so an
    n-gram two deltas share counts twice; conservative). That is the bound the release's
    noise is sized for (each device changes the support of at most `cap` keys per release),
    and a device cannot multiply it by splitting its corrections over many deltas. A device
    that missed rounds re-sends its unconfirmed deltas, oldest first: the first one merged
    in a round is cut to the cap (as a lone delta always was); a later one that no longer
    fits in what is left is deferred, not cut: it stays out of the ledger, so the device
    keeps it unconfirmed and sends it again next round, and nothing of it is lost. A reply's
    deltas past MAX_DELTAS_PER_REPLY are not opened at all (likewise re-sent later): opening
    costs the server a signature check and a decryption each.

    A delta is merged only when it decoded, names its sender, and every entry's device
    sketch is exactly the sender's bit (support = popcount of the OR-merged sketches, so one
    forged sketch would count as up to 64 devices); only such a delta (or a duplicate or
    deferred one, which passed the same checks) advances the sender's replay mark, so a
    forged or damaged envelope cannot push a genuine one below the mark."""
    marks, used = dict(marks), dict(used or {})
    out = Chunk(None, marks=marks, used=used)
    batch: list[Delta] = []
    seen: set[tuple[str, int]] = set()
    for device, raw in replies:
        if len(raw) > MAX_DELTAS_PER_REPLY:
            reason = (f"reply carries {len(raw)} deltas, more than the {MAX_DELTAS_PER_REPLY} a reply may "
                      f"carry: the first {MAX_DELTAS_PER_REPLY} were opened, the other ones stay unconfirmed on "
                      "the device, which sends them again in later rounds")
            out.rejected.append((device, reason))
            raw = raw[:MAX_DELTAS_PER_REPLY]
        deferring = False  # once one delta of the reply did not fit, the later ones wait too (oldest first)
        for sealed in raw:
            # the replay mark advances in this scratch copy, kept only if the delta passes every check
            trial = {device: marks[device]} if device in marks else {}
            if opener is None:
                payload = sealed
            elif not isinstance(sealed, bytes):
                out.rejected.append((device, "envelope rejected: not bytes"))
                continue
            else:
                try:
                    _, payload = opener.open(sealed, expect_run=spec.run, expect_sender=device, marks=trial)
                except EnvelopeError as exc:
                    out.rejected.append((device, f"envelope rejected: {exc.reason}"))
                    continue
            try:
                delta = Delta.from_bytes(payload, spec.header)
            except CacheError as exc:
                out.rejected.append((device, f"undecodable delta: {exc}"))
                continue
            if delta.device_id != device:
                out.rejected.append((device, f"delta names device {delta.device_id!r}"))
                continue
            try:
                delta.check_sketch()
            except CacheError as exc:
                out.rejected.append((device, f"forged support sketch: {exc}"))
                continue
            marks.update(trial)
            key = (device, delta.seq)
            if key in held or key in seen:
                out.duplicates += 1  # a re-sent upload already merged: exactly once
                continue
            table = cap_delta(delta.table, spec.per_device_cap)
            spent = used.get(device, 0)
            if deferring or (spent and spent + len(table) > spec.per_device_cap):
                deferring = True
                out.deferred += 1
                reason = (f"delta seq {delta.seq} deferred: {device}'s deltas merged {spent} entries this "
                          f"round and this one has {len(table)}, over per_device_cap={spec.per_device_cap}; it "
                          "stays unconfirmed and the device sends it again next round")
                out.rejected.append((device, reason))
                continue
            used[device] = spent + len(table)
            seen.add(key)
            batch.append(Delta(device, delta.seq, delta.round, table))
    out.merged = len(batch)
    if batch:
        out.aggregate = merge_all(spec.header, batch)
    return out


# -- worker processes -------------------------------------------------------------------------------
_WORKER: tuple[OpenSpec, Opener | None] | None = None


def _start_worker(spec: OpenSpec) -> None:
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle: it shuts the pool down
    _WORKER = (spec, spec.opener())


def _ready() -> bool:
    return _WORKER is not None


def _worker_chunk(round_: int, replies: list[tuple[str, list]], held: Ledger, marks: Marks,
                  used: Used) -> Chunk:
    crash_point("ingest-worker", round_)  # the drill of tests/server/test_ingest.py
    spec, opener = _WORKER  # type: ignore[misc]  # set by _start_worker in every worker
    chunk = open_chunk(spec, opener, replies, held, marks, used)
    chunk.worker_rss_mb = peak_rss_mb()
    return chunk


class IngestPool:
    """`workers` spawned processes that open chunks; started once, kept across rounds."""

    def __init__(self, spec: OpenSpec, workers: int):
        if workers < 1:
            raise ServerError(f"ingest-workers={workers}: a pool needs at least one worker")
        self.workers = workers
        # spawn, not fork: the server process has torch and Flower's threads loaded
        self._executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker, initargs=(spec,))
        self._check_started()

    def _check_started(self) -> None:
        """Wait for the workers to answer once, so that a pool that cannot start fails before
        the first round with its likely cause, not in the middle of a round."""
        try:
            self._executor.submit(_ready).result(timeout=START_TIMEOUT_S)
            return
        except BrokenProcessPool as exc:
            # A spawned worker imports the main module again; a script that calls run_federation
            # at its top level then starts a pool inside the worker, which multiprocessing refuses.
            cause, error = exc, ServerError(
                "the ingest worker processes could not start (their error is on stderr above). A worker "
                "re-imports the program's main module: a script of your own that runs the federation must "
                "do it under `if __name__ == \"__main__\":`; or set ingest-workers=0 to open deltas in the "
                "server process")
        except TimeoutError as exc:
            cause, error = exc, ServerError(f"the ingest worker processes did not start within {START_TIMEOUT_S:.0f} s; "
                                            "check the machine's load and memory, or set ingest-workers=0")
        self._executor.shutdown(wait=False, cancel_futures=True)
        raise error from cause

    def submit(self, round_: int, replies: list[tuple[str, list]], held: Ledger, marks: Marks,
               used: Used) -> Future:
        return self._executor.submit(_worker_chunk, round_, replies, held, marks, used)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


class _PartialSums:
    """A round's merged chunks, combined like a binary counter: a new partial sum merges with
    the last one while they hold as many deltas, so each delta takes part in O(log n) merges
    of tables no larger than what the round brought (not of the whole global table)."""

    def __init__(self) -> None:
        self.stack: list[tuple[Aggregate, int]] = []

    def add(self, aggregate: Aggregate, deltas: int) -> None:
        while self.stack and self.stack[-1][1] <= deltas:
            previous, count = self.stack.pop()
            aggregate, deltas = previous.merge(aggregate), count + deltas
        self.stack.append((aggregate, deltas))

    def total(self) -> Aggregate | None:
        if not self.stack:
            return None
        out = self.stack[-1][0]
        for aggregate, _ in reversed(self.stack[:-1]):
            out = aggregate.merge(out)
        return out


class RoundIngest:
    """One round's ingest: `add` each accepted reply's deltas as it arrives, then `finish`.

    `held` is the global table's ledger (constant during the round: the round's sum is merged
    into the global table once, after `finish`); `marks` the live replay marks, advanced as
    chunks are folded in. Without a pool every chunk is opened here, in arrival order.
    """

    def __init__(self, spec: OpenSpec, opener: Opener | None, round_: int, held: Ledger, marks: Marks,
                 pool: IngestPool | None = None):
        self.spec, self.opener, self.round, self.held, self.marks, self.pool = spec, opener, round_, held, marks, pool
        self.size = WORKER_CHUNK_DELTAS if pool else CHUNK_DELTAS
        self.merged = self.duplicates = self.deferred = 0
        self.used: Used = {}  # the contribution cap's budget spent per device this round, as chunks fold
        self.worker_rss_mb = 0.0  # the largest peak resident memory a worker reported
        self.rejected: list[tuple[str, str]] = []
        self._partial = _PartialSums()
        self._round_pairs: dict[str, list[int]] = {}  # device -> seqs merged by this round's folded chunks
        self._chunk: list[tuple[str, list]] = []
        self._chunk_deltas = 0
        self._out: deque[tuple[Future, set[str]]] = deque()
        self._out_devices: set[str] = set()

    def add(self, device: str, sealed: list) -> None:
        self._chunk.append((device, sealed))
        self._chunk_deltas += len(sealed)
        if self._chunk_deltas >= self.size:
            self._cut()

    def finish(self) -> Aggregate | None:
        """The round's merged deltas (None: nothing merged); counts on self."""
        self._cut()
        self._drain(0)
        return self._partial.total()

    # -- internals -------------------------------------------------------------------------------------
    def _cut(self) -> None:
        if not self._chunk:
            return
        replies, self._chunk, self._chunk_deltas = self._chunk, [], 0
        devices = {d for d, _ in replies}
        if devices & self._out_devices:
            self._drain(0)  # a device's earlier deltas are still being opened: their marks come first
        held = self.held.restrict(devices)
        if any(d in self._round_pairs for d in devices):
            held = held.union(Ledger.from_pairs((d, s) for d in devices for s in self._round_pairs.get(d, ())))
        marks = {d: self.marks[d] for d in devices if d in self.marks}
        used = {d: self.used[d] for d in devices if d in self.used}
        if self.pool is None:
            self._fold(open_chunk(self.spec, self.opener, replies, held, marks, used))
            return
        self._drain(self.pool.workers * IN_FLIGHT_PER_WORKER - 1)
        try:  # a worker that died since the last submit has broken the pool: submit says so at once
            future = self.pool.submit(self.round, replies, held, marks, used)
        except BrokenProcessPool as exc:
            raise self._worker_died() from exc
        self._out.append((future, devices))
        self._out_devices |= devices

    def _worker_died(self) -> ServerError:
        return ServerError(f"an ingest worker died while opening round {self.round}'s deltas: nothing of "
                           "the round was merged or saved, and the devices keep their unconfirmed deltas; "
                           "resume the run (check the server's memory and `ingest-workers`)")

    def _drain(self, keep: int) -> None:
        """Fold finished chunks, oldest first, until at most `keep` are out."""
        while len(self._out) > keep:
            future, devices = self._out.popleft()
            try:
                chunk = future.result()
            except BrokenProcessPool as exc:
                raise self._worker_died() from exc
            self._out_devices -= devices
            self._fold(chunk)

    def _fold(self, chunk: Chunk) -> None:
        self.marks.update(chunk.marks)
        self.used.update(chunk.used)
        self.merged += chunk.merged
        self.duplicates += chunk.duplicates
        self.deferred += chunk.deferred
        self.rejected.extend(chunk.rejected)
        self.worker_rss_mb = max(self.worker_rss_mb, chunk.worker_rss_mb)
        if chunk.aggregate is not None:
            for device, seq in chunk.aggregate.ledger:
                self._round_pairs.setdefault(device, []).append(seq)
            self._partial.add(chunk.aggregate, chunk.merged)
