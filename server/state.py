"""The server's whole federated state, persisted after every round and resumable.

Layout under `<state_dir>/server/`:
    round-<n>.msgpack   everything needed to continue after round n (atomic write)
    LATEST              the number of the last complete round (atomic replace)
    adapters/<family>/  the global adapter as a PEFT folder (PeftModel.from_pretrained)
A crash at any point leaves LATEST naming a complete state; resuming re-runs the round
that was in flight, and devices restore their own state of the previous round, so the
final state is the same as an uninterrupted run's (`state_hash`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import msgpack
import numpy as np

from cache_sync.correction_cache import CacheHeader
from cache_sync.merge import Aggregate
from cache_sync.versioned import VersionedView
from server.errors import ServerError

STATE_SCHEMA = 2  # 2: frozen A keyed by the sha256 of the module name (adapters of 1 do not apply)


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
        except (ValueError, KeyError, TypeError, msgpack.UnpackException) as exc:
            raise ServerError(f"server state is unreadable ({type(exc).__name__}: {exc}); delete the "
                              "state folder to start over or point --state-dir elsewhere") from exc

    def save(self, state_dir: Path) -> Path:
        folder = state_dir / "server"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"round-{self.round}.msgpack"
        tmp = folder / f".round-{self.round}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(self.to_bytes())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        latest_tmp = folder / ".LATEST.tmp"
        latest_tmp.write_text(str(self.round))
        os.replace(latest_tmp, folder / "LATEST")
        for old in folder.glob("round-*.msgpack"):  # keep the last three rounds
            if int(old.stem.split("-")[1]) < self.round - 2:
                old.unlink(missing_ok=True)
        return path

    @staticmethod
    def load_latest(state_dir: Path) -> "ServerState | None":
        latest = state_dir / "server" / "LATEST"
        if not latest.is_file():
            return None
        round_ = int(latest.read_text().strip())
        path = state_dir / "server" / f"round-{round_}.msgpack"
        if not path.is_file():
            raise ServerError(f"{latest} names round {round_} but {path} is missing: the state folder is "
                              "damaged; delete it to start over")
        return ServerState.from_bytes(path.read_bytes())

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
