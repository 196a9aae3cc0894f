"""The server's whole federated state, persisted after every round and resumable.

Layout under `<state_dir>/server/`:
    round-<n>.msgpack   a snapshot: everything needed to continue after round n
    segment-<n>.msgpack what round n changed, on top of round n-1's state: the round's
                        merged deltas (not the global table) and the rule by which it then
                        forgot stale unreleasable entries, the adapters and tier views
                        (bounded by ranks and cache budgets), device versions, new history
    LATEST              the number of the last complete round
    rounds/round-<n>.msgpack  round n's per-device details (`server.round_log`): the history
                        in the state keeps them for the newest DETAIL_ROUNDS rounds only
    adapters/<family>/  the global adapter as a PEFT folder (PeftModel.from_pretrained)
A round writes a segment while the state is large (>= SNAPSHOT_MIN_BYTES) and the segments
since the last snapshot stay smaller than COMPACT_RATIO times it (at most SNAPSHOT_EVERY of
them); otherwise a snapshot (compaction). The newest KEEP_ROUNDS snapshots and the segments
after the oldest of them are kept. Every file and LATEST is checksummed and written durably
(`cache_sync.durable`: temp file, fsync, rename, folder fsync), the round's file first; the
temporary files of a killed save are removed by the next one. A crash at any point leaves
LATEST naming a complete state; resuming re-runs the round that was in flight, and devices
restore their own state of the previous round, so the final state is the same as an
uninterrupted run's (`state_hash`, which hashes content, not file bytes;
tests/server/test_state_segments.py kills the server at three points).

Damage (a flipped bit, a truncation, garbage) is detected by the checksum, never loaded:
`load_latest` logs a WARNING naming each damaged file and resumes from the newest round its
intact snapshot and segments rebuild instead (re-running the rounds after it; devices keep
their state of the last two rounds, so falling back one round still ends at the same final
state). A segment is applied all or nothing. With no intact round file left it refuses with
a `ServerError`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import msgpack
import numpy as np

from cache_sync.correction_cache import CacheHeader
from cache_sync.durable import DamagedFile, ensure_dir, is_framed, read_checked, unframe, write_checked
from cache_sync.errors import DECODE_ERRORS
from cache_sync.merge import Aggregate
from cache_sync.versioned import VersionedView
from server.errors import ServerError

STATE_SCHEMA = 2  # 2: frozen A keyed by the sha256 of the module name (adapters of 1 do not apply)
KEEP_ROUNDS = 3  # snapshots kept: what a resume can fall back to when the newest is damaged
SNAPSHOT_MIN_BYTES = 4 << 20  # a smaller state is written whole every round (segments would not pay)
SNAPSHOT_EVERY = 16  # at most this many segments after a snapshot
# compact when the segments since the snapshot would reach this share of its size: a resume
# then reads at most (1 + ratio) x the state, and a round writes at most what it changed or,
# every few rounds, the whole state
COMPACT_RATIO = 1.0
ROUND_FILE = re.compile(r"round-(\d+)\.msgpack")
SEGMENT_FILE = re.compile(r"segment-(\d+)\.msgpack")
# a temporary file of `write_checked` (cache_sync.durable.temp_sibling) that a kill left behind
LEFTOVER_FILE = re.compile(r"\.(?:(?:round|segment)-\d+\.msgpack|LATEST)\.tmp-[0-9a-f]{8}")
DAMAGED_REMEDY = "the server resumes from the newest intact round file instead"

log = logging.getLogger("fedhybrid.server")


def round_files(folder: Path, pattern: re.Pattern = ROUND_FILE) -> dict[int, Path]:
    """round number -> snapshot (or, with SEGMENT_FILE, segment) file in `folder`."""
    found = {}
    if folder.is_dir():
        for path in folder.iterdir():
            if match := pattern.fullmatch(path.name):
                found[int(match.group(1))] = path
    return found


def read_latest(folder: Path) -> int:
    """The round LATEST in `folder` names; `DamagedFile` when it is missing or damaged."""
    latest = folder / "LATEST"
    text = read_checked(latest, DAMAGED_REMEDY)
    # intact, yet not a round number (or one of more digits than int() takes): not ours, as
    # unusable as a damaged file
    if not text.isdigit() or len(text) > 18:
        raise DamagedFile(latest, f"holds {text[:40]!r}, not a round number", DAMAGED_REMEDY)
    return int(text)


def _pack_adapters(adapters: dict[str, dict[str, np.ndarray]]) -> dict:
    """family -> key -> [shape, float32 bytes]: how snapshots and segments store adapters."""
    return {fam: {k: [list(v.shape), v.astype(np.float32).tobytes()] for k, v in sorted(ad.items())}
            for fam, ad in sorted(adapters.items())}


def _unpack_adapters(raw: dict) -> dict[str, dict[str, np.ndarray]]:
    return {fam: {k: np.frombuffer(b, dtype=np.float32).reshape(shape).copy() for k, (shape, b) in ad.items()}
            for fam, ad in raw.items()}


@dataclass
class ServerState:
    header: CacheHeader
    config_digest: str  # refuse to resume under another configuration
    round: int = 0
    adapters: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # family -> key -> B
    aggregate: Aggregate | None = None
    views: dict[str, VersionedView] = field(default_factory=dict)  # tier -> view
    node_versions: dict[str, dict[str, int]] = field(default_factory=dict)  # device -> {tier: version}
    history: list[dict] = field(default_factory=list)  # per-round records (metrics, releases)
    high_water: dict[str, list[int]] = field(default_factory=dict)  # sender -> [round, seq] (replay)
    # the federated reward heads (federated-head=true): family -> weights, and the routing
    # threshold recalibrated per tier; both absent from the files (and the hash) when empty,
    # so state folders of runs without them are unchanged
    heads: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    # the configuration the run was made with, every value (FederationConfig.resume_values), so a
    # resume names what changed; None in states written before it was kept (the digest decides).
    # Stored in snapshots only (segments stay small); not part of the state hash
    config: dict | None = None
    # not persisted as such: what was merged into `aggregate` since the last save (a segment
    # stores these, not the table), the forget rule applied after them ([min support, seen
    # before], `CountTable.forget`; a segment replays it), and what the files on disk hold
    # (None: nothing yet)
    unsaved: list[Aggregate] = field(default_factory=list, repr=False, compare=False)
    unsaved_forget: list[int] | None = field(default=None, repr=False, compare=False)
    # the first history record changed before the last save's (`server.round_log.compact`)
    unsaved_history_from: int | None = field(default=None, repr=False, compare=False)
    saved: dict | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.aggregate is None:
            self.aggregate = Aggregate.empty(self.header)

    def amend_history_from(self, index: int | None) -> None:
        """Note that history records from `index` on changed (the next segment carries them)."""
        if index is not None and (self.unsaved_history_from is None or index < self.unsaved_history_from):
            self.unsaved_history_from = index

    # -- persistence ---------------------------------------------------------------------------
    def _heads_fields(self) -> dict:
        return ({"heads": _pack_adapters(self.heads), "thresholds": dict(sorted(self.thresholds.items()))}
                if self.heads or self.thresholds else {})

    @staticmethod
    def _unpack_heads(raw: dict) -> tuple[dict, dict[str, float]]:
        thresholds = raw.get("thresholds", {})
        if not isinstance(thresholds, dict):
            raise ServerError("server state thresholds are not a table")
        return _unpack_adapters(raw.get("heads", {})), {str(t): float(v) for t, v in thresholds.items()}

    def to_bytes(self) -> bytes:
        return msgpack.packb({
            "schema": STATE_SCHEMA, "config_digest": self.config_digest, "round": self.round,
            "header": self.header.__dict__,
            "adapters": _pack_adapters(self.adapters),
            "aggregate": self.aggregate.to_bytes(),
            "views": {tier: view.to_bytes() for tier, view in sorted(self.views.items())},
            "node_versions": self.node_versions, "history": self.history, "high_water": self.high_water,
            **self._heads_fields(), **({"config": self.config} if self.config is not None else {}),
        }, use_bin_type=True)

    @staticmethod
    def from_bytes(data: bytes) -> ServerState:
        """The state from `to_bytes` output, or from a round file's bytes (checked format: verified)."""
        if is_framed(data):
            try:
                data = unframe(data, "server state bytes")
            except DamagedFile as exc:
                raise ServerError(str(exc)) from exc
        try:
            raw = msgpack.unpackb(data, raw=False, strict_map_key=False)
            if raw["schema"] != STATE_SCHEMA:
                raise ServerError(f"server state has schema {raw['schema']}, this fedhybrid reads {STATE_SCHEMA}")
            header = CacheHeader(**raw["header"])
            adapters = _unpack_adapters(raw["adapters"])
            heads, thresholds = ServerState._unpack_heads(raw)
            config = raw.get("config")
            if config is not None and not (isinstance(config, dict) and all(isinstance(k, str) for k in config)):
                raise ServerError("server state config is not a table of option names")
            return ServerState(header, raw["config_digest"], int(raw["round"]), adapters,
                               Aggregate.from_bytes(raw["aggregate"], header),
                               {t: VersionedView.from_bytes(v, header) for t, v in raw["views"].items()},
                               raw["node_versions"], raw["history"], raw.get("high_water", {}), heads, thresholds,
                               config)
        except ServerError:
            raise
        except DECODE_ERRORS as exc:
            raise ServerError(f"server state is unreadable ({type(exc).__name__}: {exc}); delete the "
                              "state folder to start over or point --state-dir elsewhere") from exc

    def _segment(self) -> bytes:
        """What this round changed since the last save, on top of round `saved["round"]`."""
        start = max(0, self.saved["history_len"] - 1)  # the last saved record again: amended since
        if self.unsaved_history_from is not None:  # older records lost their per-device details
            start = min(start, self.unsaved_history_from)
        return msgpack.packb({
            "schema": STATE_SCHEMA, "kind": "segment", "round": self.round, "base": self.saved["round"],
            "config_digest": self.config_digest,
            "adapters": _pack_adapters(self.adapters),
            "merged": [a.to_bytes() for a in self.unsaved],
            "views": {tier: view.to_bytes() for tier, view in sorted(self.views.items())},
            "node_versions": self.node_versions, "history_from": start, "history": self.history[start:],
            "high_water": self.high_water, **self._heads_fields(),
            **({"forget": self.unsaved_forget} if self.unsaved_forget else {})}, use_bin_type=True)

    def _apply_segment(self, data: bytes, round_: int) -> None:
        """Advance to `round_` by its segment, all or nothing: everything is decoded before
        anything is assigned, so a segment that fails half-way leaves this state at its round
        (the fallback of `load_latest`), not a mix of two rounds."""
        raw = msgpack.unpackb(data, raw=False, strict_map_key=False)
        if raw.get("kind") != "segment" or raw["schema"] != STATE_SCHEMA or int(raw["round"]) != round_:
            raise ServerError(f"not the segment of round {round_}")
        if int(raw["base"]) != self.round or raw["config_digest"] != self.config_digest:
            raise ServerError(f"segment of round {round_} continues round {raw['base']}, not {self.round}")
        adapters = _unpack_adapters(raw["adapters"])
        heads, thresholds = self._unpack_heads(raw)
        aggregate = self.aggregate
        for merged in raw["merged"]:
            aggregate = aggregate.merge(Aggregate.from_bytes(merged, self.header))
        if "forget" in raw:  # the round then forgot what it could not release (Federation.release)
            rule = raw["forget"]
            if not (isinstance(rule, list) and len(rule) == 2 and all(isinstance(v, int) for v in rule)):
                raise ServerError(f"segment of round {round_} has a forget rule that is not [support, round]")
            aggregate = aggregate.forget(*rule)
        views = {str(t): VersionedView.from_bytes(v, self.header) for t, v in raw["views"].items()}
        node_versions, high_water, records = raw["node_versions"], raw["high_water"], raw["history"]
        if not (isinstance(node_versions, dict) and isinstance(high_water, dict) and isinstance(records, list)):
            raise ServerError(f"segment of round {round_} has fields of the wrong type")
        start = int(raw["history_from"])
        if not 0 <= start <= len(self.history):
            raise ServerError(f"segment of round {round_} amends history from record {start} of {len(self.history)}")
        history = self.history[:start] + records
        self.adapters, self.aggregate, self.views = adapters, aggregate, views
        self.heads, self.thresholds = heads, thresholds
        self.node_versions, self.high_water, self.history, self.round = node_versions, high_water, history, round_

    def save(self, state_dir: Path) -> Path:
        """Write this round (a segment or a snapshot, see the module docstring), then LATEST;
        returns the file written (its size is the state bytes this round wrote)."""
        from server.faults import crash_point

        folder = state_dir / "server"
        ensure_dir(folder)  # a new folder's own entry must survive a power cut too
        saved, segment = self.saved, None
        if (saved is not None and saved["round"] == self.round - 1 and saved["snapshot_bytes"] >= SNAPSHOT_MIN_BYTES
                and self.round - saved["snapshot_round"] <= SNAPSHOT_EVERY):
            segment = self._segment()
            if saved["segment_bytes"] + len(segment) >= COMPACT_RATIO * saved["snapshot_bytes"]:
                segment = None  # the segments would outgrow a snapshot: compact
        # the round's file is on disk before LATEST names it: LATEST never points at a missing round
        if segment is None:
            path, data = folder / f"round-{self.round}.msgpack", self.to_bytes()
            write_checked(path, data)
            self.saved = {"round": self.round, "snapshot_round": self.round, "snapshot_bytes": len(data),
                          "segment_bytes": 0, "history_len": len(self.history)}
        else:
            path = folder / f"segment-{self.round}.msgpack"
            write_checked(path, segment)
            self.saved = {**saved, "round": self.round, "segment_bytes": saved["segment_bytes"] + len(segment),
                          "history_len": len(self.history)}
        crash_point("save", self.round)
        write_checked(folder / "LATEST", str(self.round).encode())
        self.unsaved, self.unsaved_forget, self.unsaved_history_from = [], None, None
        self._prune(folder, path)
        return path

    def _prune(self, folder: Path, written: Path) -> None:
        """Keep the newest KEEP_ROUNDS snapshots and the segments after the oldest of them;
        files of later rounds (a crashed run's) and this round's other kind go too, and so do
        temporary files a killed save left (this save's own are renamed by now). Not fsync'd:
        an old file coming back is harmless."""
        snapshots = sorted(n for n in round_files(folder) if n <= self.round)
        oldest = snapshots[-KEEP_ROUNDS] if len(snapshots) >= KEEP_ROUNDS else 0
        for pattern, keep_from in ((ROUND_FILE, oldest), (SEGMENT_FILE, oldest + 1)):
            for n, path in round_files(folder, pattern).items():
                if path != written and (n < keep_from or n >= self.round):
                    path.unlink(missing_ok=True)
        for path in folder.iterdir():
            if LEFTOVER_FILE.fullmatch(path.name):
                path.unlink(missing_ok=True)

    @staticmethod
    def load_latest(state_dir: Path) -> ServerState | None:
        """The state LATEST names (None for a fresh folder), else the newest round the intact
        files rebuild: a snapshot and the segments after it.

        Every damaged file on the way is named in a WARNING together with the round resumed
        from; with nothing intact left, a `ServerError` says to start over.
        """
        folder = state_dir / "server"
        snapshots, segments = round_files(folder), round_files(folder, SEGMENT_FILE)
        if not (folder / "LATEST").exists() and not snapshots and not segments:
            # details of a round after the first are written only once round 1 was committed: the
            # state was there and is gone (deleted, moved), and a fresh run would write over them
            later = sorted(n for n in round_files(folder / "rounds") if n > 1)
            if later:
                raise ServerError(f"{folder} holds the per-round details of rounds up to {later[-1]} "
                                  f"({folder / 'rounds'}) but no saved state (LATEST, round-*.msgpack): the state "
                                  "files were deleted or moved. Put them back to resume, or start afresh in "
                                  f"another --state-dir (or after deleting {folder / 'rounds'})")
            return None
        damaged: list[DamagedFile] = []
        try:
            named = read_latest(folder)
        except DamagedFile as exc:  # then every kept file is a candidate, newest first
            damaged.append(exc)
            named = max([*snapshots, *segments], default=0)
        if named not in snapshots and named not in segments:
            damaged.append(DamagedFile(folder / f"round-{named}.msgpack", f"is missing (LATEST names round {named})",
                                       DAMAGED_REMEDY))
        # a file newer than LATEST is one whose round never completed: LATEST is the commit point
        for n in sorted((n for n in snapshots if n <= named), reverse=True):
            try:
                data = read_checked(snapshots[n], DAMAGED_REMEDY)
                state = ServerState.from_bytes(data)
            except DamagedFile as exc:
                damaged.append(exc)
                continue
            if state.round != n:
                damaged.append(DamagedFile(snapshots[n], f"holds round {state.round}", DAMAGED_REMEDY))
                continue
            state.saved = {"round": n, "snapshot_round": n, "snapshot_bytes": len(data), "segment_bytes": 0,
                           "history_len": len(state.history)}
            source = snapshots[n]
            for k in range(n + 1, named + 1):
                if k not in segments:
                    if k in snapshots:  # a newer snapshot was damaged: its segments do not apply here
                        break
                    damaged.append(DamagedFile(folder / f"segment-{k}.msgpack", "is missing", DAMAGED_REMEDY))
                    break
                try:
                    data = read_checked(segments[k], DAMAGED_REMEDY)
                    state._apply_segment(data, k)
                except DamagedFile as exc:
                    damaged.append(exc)
                    break
                except (ServerError, *DECODE_ERRORS) as exc:
                    damaged.append(DamagedFile(segments[k], f"is not a segment of this state ({exc})", DAMAGED_REMEDY))
                    break
                state.saved = {**state.saved, "round": k, "segment_bytes": state.saved["segment_bytes"] + len(data),
                               "history_len": len(state.history)}
                source = segments[k]
            for exc in damaged:
                log.warning("server state file %s %s: resuming from round %d (%s), the newest intact round; "
                            "the rounds after it run again", exc.path, exc.problem, state.round, source.name)
            return state
        found = "; ".join(f"{exc.path.name} {exc.problem}" for exc in damaged) or "no round file"
        raise ServerError(f"no intact server state is left in {folder} ({found}): start over with another "
                          "--state-dir (or move this one away)")

    def state_hash(self) -> str:
        """sha256 over everything that defines the federation's outcome (not timings)."""
        digest = hashlib.sha256()
        digest.update(str(self.round).encode())
        for fam, ad in sorted(self.adapters.items()):
            for key, value in sorted(ad.items()):
                digest.update(f"{fam}/{key}".encode())
                digest.update(np.ascontiguousarray(value, dtype=np.float32).tobytes())
        digest.update(self.aggregate.to_bytes())
        for tier, view in sorted(self.views.items()):
            digest.update(tier.encode())
            digest.update(view.to_bytes())
        digest.update(json.dumps(self.node_versions, sort_keys=True).encode())
        digest.update(json.dumps(self.high_water, sort_keys=True).encode())
        for fam, head in sorted(self.heads.items()):  # only runs with federated heads have any
            for key, value in sorted(head.items()):
                digest.update(f"head/{fam}/{key}".encode())
                digest.update(np.ascontiguousarray(value, dtype=np.float32).tobytes())
        if self.thresholds:
            digest.update(json.dumps(self.thresholds, sort_keys=True).encode())
        return digest.hexdigest()


def config_digest(values: dict) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:16]
