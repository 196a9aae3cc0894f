"""Replay nodes: thousands of devices without decoding, to measure what a round costs the server.

A real run records what each simulated device sent (`Recorder`; run config `record-dir`):
its trained adapter, its correction delta (before sealing) and its metrics, one checksummed
file per device and round. A replay node (run config `replay-dir`) answers a round through
the same ClientApp message contract with a recording of its tier, resampled and perturbed
per (device, round), deterministically:
- delta: the union of two recordings of the tier, each entry kept with probability
  `keep`, stamped with this device's sketch bit and the round. Entries shared by many real
  devices (the fleet's recurring prompts) stay shared, so release sees realistic support;
- adapter: the recording's B matrices plus Gaussian noise of `noise` times their spread;
- cache version: the version of the update it received (a replay node keeps no table: it
  behaves as a device in sync, so the server's diffs stay incremental, as in a healthy fleet).
The node then seals its delta with its own key, as a real device does, so the server opens,
verifies and merges exactly what it would from real devices.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import msgpack
import numpy as np

from cache_sync.correction_cache import MAX_ROUND, CacheHeader, CountTable, device_bit
from cache_sync.durable import DamagedFile, ensure_dir, read_checked, write_checked
from cache_sync.errors import DECODE_ERRORS, CacheError
from cache_sync.merge import Delta
from cache_sync.versioned import CacheUpdate
from fleet.errors import FleetError

RECORDING = re.compile(r"(?P<device>[^/]+)-r(?P<round>\d+)\.msgpack")
REMEDY = "record the corpus again (README: Fleet scale)"


@dataclass(frozen=True)
class Recording:
    device: str
    tier: str
    round: int
    adapter: dict[str, np.ndarray]  # B key -> (d_out, rank)
    table: CountTable  # the delta's entries
    metrics: dict[str, float]


def _pack_adapter(adapter: dict[str, np.ndarray]) -> dict:
    return {k: [list(v.shape), np.ascontiguousarray(v, dtype=np.float32).tobytes()] for k, v in sorted(adapter.items())}


def _unpack_adapter(raw: dict) -> dict[str, np.ndarray]:
    return {str(k): np.frombuffer(b, dtype=np.float32).reshape([int(x) for x in shape]).copy()
            for k, (shape, b) in raw.items()}


class Recorder:
    """Writes one recording per (device, round) under `folder/<tier>/` (durable, checksummed)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def write(self, device: str, tier: str, round_: int, adapter: dict[str, np.ndarray], delta: bytes,
              metrics: dict[str, float]) -> Path:
        folder = self.folder / tier
        ensure_dir(folder)
        path = folder / f"{device}-r{round_}.msgpack"
        write_checked(path, msgpack.packb({"device": device, "tier": tier, "round": round_,
                                           "adapter": _pack_adapter(adapter), "delta": delta,
                                           "metrics": {k: float(v) for k, v in metrics.items()}},
                                          use_bin_type=True))
        return path


class ReplayCorpus:
    """Every recording in a folder, by tier. Loading checks each file's checksum and header:
    a damaged or foreign recording is refused by name, never replayed."""

    def __init__(self, by_tier: dict[str, list[Recording]], header: CacheHeader):
        self.by_tier, self.header = by_tier, header

    @staticmethod
    def load(folder: Path, header: CacheHeader) -> ReplayCorpus:
        folder = Path(folder)
        if not folder.is_dir():
            raise FleetError(f"replay corpus {folder} does not exist: {REMEDY}")
        by_tier: dict[str, list[Recording]] = {}
        for path in sorted(folder.glob("*/*.msgpack")):
            if not RECORDING.fullmatch(path.name):
                continue
            try:
                raw = msgpack.unpackb(read_checked(path, REMEDY), raw=False)
                delta = Delta.from_bytes(raw["delta"], header)
                rec = Recording(str(raw["device"]), str(raw["tier"]), int(raw["round"]),
                                _unpack_adapter(raw["adapter"]), delta.table,
                                {str(k): float(v) for k, v in raw["metrics"].items()})
            except DamagedFile as exc:
                raise FleetError(str(exc)) from exc
            except CacheError as exc:  # sound file, other tokenizer or orders: not this fleet's corpus
                raise FleetError(f"replay recording {path} does not fit this fleet ({exc}): {REMEDY}") from exc
            except (*DECODE_ERRORS, KeyError) as exc:
                raise FleetError(f"replay recording {path} is not a recording ({type(exc).__name__}: {exc}): "
                                 f"{REMEDY}") from exc
            if rec.tier != path.parent.name:
                raise FleetError(f"replay recording {path} is of tier {rec.tier!r} but lies under "
                                 f"{path.parent.name}/: {REMEDY}")
            by_tier.setdefault(rec.tier, []).append(rec)
        if not by_tier:
            raise FleetError(f"replay corpus {folder} holds no recordings: {REMEDY}")
        return ReplayCorpus(by_tier, header)

    def recordings(self, tier: str) -> list[Recording]:
        if tier not in self.by_tier:
            raise FleetError(f"the replay corpus has no recording of tier {tier!r} (it has "
                             f"{sorted(self.by_tier)}): record a run whose fleet includes that tier")
        return self.by_tier[tier]


@dataclass(frozen=True)
class ReplayReply:
    adapter: dict[str, np.ndarray]
    delta: bytes  # Delta bytes (seq = round), not sealed
    cache_version: int
    metrics: dict[str, float]


class ReplayNode:
    """One replayed device. Stateless: everything is derived from (seed, device, round)."""

    def __init__(self, corpus: ReplayCorpus, device: str, tier: str, seed: int = 0, keep: float = 0.75,
                 noise: float = 0.1, private: float = 0.25):
        if not 0.0 < keep <= 1.0 or noise < 0.0 or not 0.0 <= private <= 1.0:
            raise FleetError(f"replay keep={keep} must be in (0, 1], noise={noise} >= 0 and private={private} "
                             "in [0, 1]")
        self.corpus, self.device, self.tier = corpus, device, tier
        self.seed, self.keep, self.noise, self.private = seed, keep, noise, private
        self.recordings = corpus.recordings(tier)

    def _rng(self, round_: int) -> np.random.Generator:
        digest = hashlib.sha256(f"replay/{self.seed}/{self.device}/{round_}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "big"))

    def reply(self, round_: int, rank: int, cache_update: bytes | None) -> ReplayReply:
        rng = self._rng(round_)
        picks = rng.choice(len(self.recordings), size=min(2, len(self.recordings)), replace=False)
        first, *rest = (self.recordings[int(i)] for i in picks)
        table = first.table
        for other in rest:
            table = table.merge_add(other.table)
        entries = table.entries[rng.random(len(table.entries)) < self.keep].copy()
        mine = rng.random(len(entries)) < self.private
        entries["ctx"][mine, -1] = rng.integers(0, self.corpus.header.vocab_size, int(mine.sum()))
        entries["devices"] = device_bit(self.device)
        entries["last_seen"] = min(round_, MAX_ROUND)
        delta = Delta(self.device, round_, round_, CountTable(self.corpus.header, entries))
        adapter = {}
        for key, b in first.adapter.items():
            b = b[:, :rank] if b.shape[1] >= rank else np.pad(b, ((0, 0), (0, rank - b.shape[1])))
            spread = float(b.std()) or 1e-3
            adapter[key] = (b + rng.normal(scale=self.noise * spread, size=b.shape)).astype(np.float32)
        version = 0
        if cache_update is not None:
            version = CacheUpdate.from_bytes(cache_update, self.corpus.header).version
        return ReplayReply(adapter, delta.to_bytes(), version, {**first.metrics, "replayed": 1.0})
