"""Sealed, signed envelopes for correction deltas (device -> aggregator).

Format v1 (big-endian), built in one expression in `seal`:

    "FHE" | version (1) | key id (8) | run (8) | round (4) | seq (8) | time ms (8)
    | sender length (1) | sender (utf-8, 1..64)                     <- header
    | HPKE length (4) | HPKE enc (32) + ciphertext (payload + 16)
    | Ed25519 signature (64) over header + HPKE length + HPKE bytes

HPKE base mode (RFC 9180): DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305,
to the aggregator's public key, with the header as HPKE `info` so a header cannot be
moved to another ciphertext. Payload: msgpack bytes (a `Delta`).

`open` checks, in order: size and version, known sender and signature, freshness,
replay (per-sender high-water mark of (round, seq)), aggregator key id, then decrypts.
Every failure raises `EnvelopeError` whose message is opaque ("envelope rejected") and
whose `reason` is precise, for the server log; nothing is merged on failure.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from cache_sync.errors import CacheError

MAGIC = b"FHE"
VERSION = 1
_FIXED = struct.Struct(">3sB8sQIQQB")  # magic, version, key id, run, round, seq, time ms, sender len
SIGNATURE_LEN = 64
ENC_LEN = 32
TAG_LEN = 16
MAX_ENVELOPE = 64 << 20
SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.CHACHA20_POLY1305)


class EnvelopeError(CacheError):
    """An envelope was rejected. `str()` is opaque for peers; `reason` is for the log."""

    def __init__(self, reason: str):
        super().__init__("envelope rejected")
        self.reason = reason


@dataclass(frozen=True)
class EnvelopeHeader:
    key_id: bytes
    run: int
    round: int
    seq: int
    time_ms: int
    sender: str

    def pack(self) -> bytes:
        sender = self.sender.encode("utf-8")
        return _FIXED.pack(MAGIC, VERSION, self.key_id, self.run, self.round, self.seq, self.time_ms,
                           len(sender)) + sender


def key_id(public_key: X25519PublicKey | Ed25519PublicKey) -> bytes:
    """8-byte id of a public key (sha256 of its raw bytes)."""
    import hashlib

    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return hashlib.sha256(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).digest()[:8]


def seal(payload: bytes, *, sender: str, signing_key: Ed25519PrivateKey, aggregator: X25519PublicKey,
         run: int, round_: int, seq: int, now: Callable[[], float] = time.time) -> bytes:
    """Encrypt `payload` to the aggregator and sign it as `sender`."""
    raw_sender = sender.encode("utf-8")
    if not 1 <= len(raw_sender) <= 64:
        raise CacheError(f"sender id must be 1-64 bytes of UTF-8, got {len(raw_sender)}")
    header = EnvelopeHeader(key_id(aggregator), run, round_, seq, int(now() * 1000), sender).pack()
    hpke = SUITE.encrypt(payload, aggregator, info=header)
    body = header + struct.pack(">I", len(hpke)) + hpke
    return body + signing_key.sign(body)


def parse_header(data: bytes) -> tuple[EnvelopeHeader, int]:
    """(header, header length); EnvelopeError if the prefix is not a v1 header."""
    if len(data) < _FIXED.size:
        raise EnvelopeError(f"truncated: {len(data)} bytes is shorter than a header")
    magic, version, kid, run, round_, seq, time_ms, sender_len = _FIXED.unpack_from(data)
    if magic != MAGIC:
        raise EnvelopeError("not a fedhybrid envelope (bad magic)")
    if version != VERSION:
        raise EnvelopeError(f"unknown envelope version {version} (this server reads {VERSION})")
    end = _FIXED.size + sender_len
    if sender_len == 0 or len(data) < end:
        raise EnvelopeError("truncated or empty sender id")
    try:
        sender = data[_FIXED.size: end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EnvelopeError("sender id is not UTF-8") from exc
    return EnvelopeHeader(kid, run, round_, seq, time_ms, sender), end


@dataclass
class Opener:
    """The aggregator's side: keys, known senders, freshness window, replay marks.

    `high_water` maps sender -> last accepted (round, seq); persist it with the state that
    the accepted deltas were merged into.
    """

    private_keys: dict[bytes, X25519PrivateKey]  # key id -> key (current + grace-period keys)
    senders: dict[str, Ed25519PublicKey]
    max_age_s: float = 600.0
    max_skew_s: float = 60.0
    max_bytes: int = MAX_ENVELOPE
    now: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.high_water: dict[str, tuple[int, int]] = {}

    def open(self, data: bytes, expect_run: int | None = None, expect_sender: str | None = None,
             marks: dict[str, tuple[int, int]] | None = None) -> tuple[EnvelopeHeader, bytes]:
        """Verify and decrypt; returns (header, payload). Raises EnvelopeError.

        `marks`: the high-water marks to check and advance instead of the opener's own (a
        worker process opening one chunk of a round gets its senders' marks and hands the
        advanced ones back: server/ingest.py)."""
        marks = self.high_water if marks is None else marks
        if not isinstance(data, (bytes, bytearray)):
            raise EnvelopeError(f"envelope must be bytes, got {type(data).__name__}")
        if len(data) > self.max_bytes:
            raise EnvelopeError(f"oversized: {len(data)} bytes > {self.max_bytes}")
        header, end = parse_header(data)
        if len(data) < end + 4 + ENC_LEN + TAG_LEN + SIGNATURE_LEN:
            raise EnvelopeError("truncated body")
        (hpke_len,) = struct.unpack_from(">I", data, end)
        body_end = end + 4 + hpke_len
        if hpke_len < ENC_LEN + TAG_LEN or body_end + SIGNATURE_LEN != len(data):
            raise EnvelopeError("length fields do not match the envelope size (truncated or padded)")
        if expect_sender is not None and header.sender != expect_sender:
            raise EnvelopeError(f"sealed by {header.sender!r} but delivered by {expect_sender!r}")
        verify_key = self.senders.get(header.sender)
        if verify_key is None:
            raise EnvelopeError(f"unknown sender {header.sender!r}")
        try:
            verify_key.verify(bytes(data[body_end:]), bytes(data[:body_end]))
        except InvalidSignature as exc:
            raise EnvelopeError(f"bad signature for sender {header.sender!r} (tampered or wrong key)") from exc
        age = self.now() - header.time_ms / 1000.0
        if age > self.max_age_s or age < -self.max_skew_s:
            raise EnvelopeError(f"stale or future envelope: age {age:.1f} s outside "
                                f"[-{self.max_skew_s}, {self.max_age_s}]")
        if expect_run is not None and header.run != expect_run:
            raise EnvelopeError(f"envelope of run {header.run}, expected run {expect_run}")
        mark = marks.get(header.sender)
        if mark is not None and (header.round, header.seq) <= mark:
            raise EnvelopeError(f"replay from {header.sender!r}: (round {header.round}, seq {header.seq}) "
                                f"<= high-water mark {mark}")
        key = self.private_keys.get(header.key_id)
        if key is None:
            raise EnvelopeError(f"sealed to unknown aggregator key {header.key_id.hex()} (rotated out?)")
        try:
            payload = SUITE.decrypt(bytes(data[end + 4: body_end]), key, info=bytes(data[:end]))
        except (InvalidTag, ValueError) as exc:
            raise EnvelopeError("decryption failed (ciphertext or header altered)") from exc
        marks[header.sender] = (header.round, header.seq)
        return header, payload


# -- downward updates: signed, not encrypted (they go to many devices; TLS carries them) ------
_UPDATE = struct.Struct(">3sB8sIQQ")  # magic, version, key id, round, version, time ms
UPDATE_MAGIC = b"FHU"


def sign_update(payload: bytes, *, signing_key: Ed25519PrivateKey, round_: int, version: int,
                now: Callable[[], float] = time.time) -> bytes:
    body = _UPDATE.pack(UPDATE_MAGIC, VERSION, key_id(signing_key.public_key()), round_, version,
                        int(now() * 1000)) + payload
    return body + signing_key.sign(body)


def verify_update(data: bytes, server_key: Ed25519PublicKey, expect_round: int | None = None) -> tuple[int, bytes]:
    """(version, payload) of a server-signed update; EnvelopeError if it does not verify."""
    if not isinstance(data, (bytes, bytearray)) or len(data) < _UPDATE.size + SIGNATURE_LEN:
        raise EnvelopeError("truncated update")
    magic, version, kid, round_, cache_version, _ = _UPDATE.unpack_from(data)
    if magic != UPDATE_MAGIC or version != VERSION:
        raise EnvelopeError(f"not a v{VERSION} signed update")
    if kid != key_id(server_key):
        raise EnvelopeError("update signed by another server key")
    try:
        server_key.verify(bytes(data[-SIGNATURE_LEN:]), bytes(data[:-SIGNATURE_LEN]))
    except InvalidSignature as exc:
        raise EnvelopeError("bad server signature on update") from exc
    if expect_round is not None and round_ != expect_round:
        raise EnvelopeError(f"update for round {round_}, expected round {expect_round}")
    return cache_version, bytes(data[_UPDATE.size:-SIGNATURE_LEN])


__all__ = [
    "Ed25519PrivateKey",
    "EnvelopeError",
    "Opener",
    "X25519PrivateKey",
    "key_id",
    "seal",
    "sign_update",
    "verify_update",
]
