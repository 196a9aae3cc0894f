"""The two ends of secure cache propagation, over bytes (no transport here).

Device: seal its round delta to the aggregator (signed as itself); verify a server-signed
update before applying it. Server: the opener of deltas (`opener.open`, one exception type
with a reason; server/ingest.py opens a round's deltas with it, or with a worker's copy
built from the same key folder) and the signing of the updates it publishes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cache_sync import keys
from cache_sync.envelope import Opener, seal, sign_update, verify_update


@dataclass
class DeviceChannel:
    device: str
    signing_key: object
    aggregator: object
    server_key: object
    run: int = 0
    now: Callable[[], float] = time.time

    @staticmethod
    def load(folder: Path, device: str, run: int = 0) -> DeviceChannel:
        return DeviceChannel(device, keys.device_signing_key(folder, device), keys.aggregator_public(folder),
                             keys.server_verify_key(folder), run)

    def seal_delta(self, delta: bytes, round_: int, seq: int | None = None) -> bytes:
        """Seal a delta for the aggregator. `seq` is the delta's own sequence number (a device
        agent numbers its uploads; the simulated node sends one per round: seq = round). The
        opener requires (round, seq) to grow per sender, so a re-sent upload goes out in a
        later round and an old envelope cannot be replayed."""
        return seal(delta, sender=self.device, signing_key=self.signing_key, aggregator=self.aggregator,
                    run=self.run, round_=round_, seq=round_ if seq is None else seq, now=self.now)

    def open_update(self, signed: bytes, round_: int) -> bytes:
        """The update's payload; EnvelopeError (nothing applied) if it does not verify."""
        _, payload = verify_update(signed, self.server_key, expect_round=round_)
        return payload


MAX_ENVELOPE_AGE_S = 3600.0  # an envelope older than this is refused (replay window)


def delta_opener(folder: Path, grace_s: float = keys.ROTATION_GRACE_S, max_age_s: float = MAX_ENVELOPE_AGE_S,
                 now: Callable[[], float] = time.time) -> Opener:
    """An opener of the devices' deltas from the key folder: the aggregator keys (current and
    within `grace_s` of rotation) and the devices' verify keys. No signing key: what an
    ingest worker needs (server/ingest.py), and the server's channel below."""
    return Opener(keys.load_aggregator_keys(folder, grace_s, now()), keys.known_devices(folder),
                  max_age_s=max_age_s, now=now)


class ServerChannel:
    def __init__(self, folder: Path, run: int = 0, grace_s: float = keys.ROTATION_GRACE_S,
                 max_age_s: float = MAX_ENVELOPE_AGE_S,
                 now: Callable[[], float] = time.time):
        self.folder, self.run, self.grace_s, self.max_age_s = folder, run, grace_s, max_age_s
        self.opener = delta_opener(folder, grace_s, max_age_s, now)
        self.signing_key = keys.server_signing_key(folder)
        self.now = now

    @property
    def high_water(self) -> dict[str, tuple[int, int]]:
        return self.opener.high_water

    def sign_update(self, payload: bytes, round_: int, version: int) -> bytes:
        return sign_update(payload, signing_key=self.signing_key, round_=round_, version=version, now=self.now)
