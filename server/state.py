"""The server's whole federated state, persisted after every round and resumable.

Layout under `<state_dir>/server/`:
    round-<n>.msgpack   everything needed to continue after round n (the last three are kept)
    LATEST              the number of the last complete round
    adapters/<family>/  the global adapter as a PEFT folder (PeftModel.from_pretrained)
Round files and LATEST are checksummed and written durably (`cache_sync.durable`: temp
file, fsync, rename, folder fsync), round file first. A crash at any point leaves LATEST
naming a complete state; resuming re-runs the round that was in flight, and devices
restore their own state of the previous round, so the final state is the same as an
uninterrupted run's (`state_hash`, which hashes content, not file bytes).

Damage (a flipped bit, a truncation, garbage) is detected by the checksum, never loaded:
`load_latest` logs a WARNING naming each damaged file and resumes from the newest intact
round file instead (re-running the rounds after it; devices keep their state of the last
two rounds, so falling back one round still ends at the same final state). With no
intact round file left it refuses with a `ServerError`.
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
KEEP_ROUNDS = 3  # round files kept: what a resume can fall back to when the newest is damaged
ROUND_FILE = re.compile(r"round-(\d+)\.msgpack")
DAMAGED_REMEDY = "the server resumes from the newest intact round file instead"

log = logging.getLogger("fedhybrid.server")


def round_files(folder: Path) -> dict[int, Path]:
    """round number -> round file in `folder` (other names are ignored)."""
    found = {}
    if folder.is_dir():
        for path in folder.iterdir():
            if match := ROUND_FILE.fullmatch(path.name):
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

    def __post_init__(self) -> None:
        if self.aggregate is None:
            self.aggregate = Aggregate.empty(self.header)

    # -- persistence ---------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        return msgpack.packb({
            "schema": STATE_SCHEMA, "config_digest": self.config_digest, "round": self.round,
            "header": self.header.__dict__,
            "adapters": {fam: {k: [list(v.shape), v.astype(np.float32).tobytes()] for k, v in sorted(ad.items())}
                         for fam, ad in sorted(self.adapters.items())},
            "aggregate": self.aggregate.to_bytes(),
            "views": {tier: view.to_bytes() for tier, view in sorted(self.views.items())},
            "node_versions": self.node_versions, "history": self.history, "high_water": self.high_water,
        }, use_bin_type=True)

    @staticmethod
    def from_bytes(data: bytes) -> "ServerState":
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
            adapters = {fam: {k: np.frombuffer(b, dtype=np.float32).reshape(shape).copy()
                              for k, (shape, b) in ad.items()} for fam, ad in raw["adapters"].items()}
            return ServerState(header, raw["config_digest"], int(raw["round"]), adapters,
                               Aggregate.from_bytes(raw["aggregate"], header),
                               {t: VersionedView.from_bytes(v, header) for t, v in raw["views"].items()},
                               raw["node_versions"], raw["history"], raw.get("high_water", {}))
        except ServerError:
            raise
        except DECODE_ERRORS as exc:
            raise ServerError(f"server state is unreadable ({type(exc).__name__}: {exc}); delete the "
                              "state folder to start over or point --state-dir elsewhere") from exc

    def save(self, state_dir: Path) -> Path:
        folder = state_dir / "server"
        ensure_dir(folder)  # a new folder's own entry must survive a power cut too
        path = folder / f"round-{self.round}.msgpack"
        # the round file is on disk before LATEST names it: LATEST never points at a missing round
        write_checked(path, self.to_bytes())
        write_checked(folder / "LATEST", str(self.round).encode())
        for n, old in round_files(folder).items():
            if n <= self.round - KEEP_ROUNDS:
                old.unlink(missing_ok=True)  # not fsync'd: an old round file coming back is harmless
        return path

    @staticmethod
    def load_latest(state_dir: Path) -> "ServerState | None":
        """The state LATEST names (None for a fresh folder), else the newest intact round file.

        Every damaged file on the way is named in a WARNING together with the round resumed
        from; with no intact round file left, a `ServerError` says to start over.
        """
        folder = state_dir / "server"
        rounds = round_files(folder)
        if not (folder / "LATEST").exists() and not rounds:
            return None
        damaged: list[DamagedFile] = []
        try:
            named = read_latest(folder)
        except DamagedFile as exc:  # then every kept round file is a candidate, newest first
            damaged.append(exc)
            named = None
        if named is not None and named not in rounds:
            damaged.append(DamagedFile(folder / f"round-{named}.msgpack", f"is missing (LATEST names round {named})",
                                       DAMAGED_REMEDY))
        # a round file newer than LATEST is one whose round never completed: LATEST is the commit point
        for n in sorted((n for n in rounds if named is None or n <= named), reverse=True):
            try:
                state = ServerState.from_bytes(read_checked(rounds[n], DAMAGED_REMEDY))
            except DamagedFile as exc:
                damaged.append(exc)
                continue
            if state.round != n:
                damaged.append(DamagedFile(rounds[n], f"holds round {state.round}", DAMAGED_REMEDY))
                continue
            for exc in damaged:
                log.warning("server state file %s %s: resuming from round %d (%s), the newest intact round; "
                            "the rounds after it run again", exc.path, exc.problem, n, rounds[n].name)
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
        return digest.hexdigest()


def config_digest(values: dict) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:16]
