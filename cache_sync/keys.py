"""Key material for sealed cache propagation, stored as PEM files (private keys 0600).

Layout of a key folder:
    aggregator/<key id hex>.pem      X25519 private keys (current and previous)
    aggregator/keyring.json          {"current": id, "retired": {id: retired_at_unix}}
    server-signing.pem / .pub        Ed25519: the server signs downward updates
    devices/<device>.pem / .pub      Ed25519 per device (the server needs only .pub)
Rotation: `rotate_aggregator` makes a new current key; the previous one keeps opening
envelopes for `grace_s` seconds, then `load_aggregator_keys` drops it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)

from cache_sync.envelope import key_id
from cache_sync.errors import CacheError


def _write_private(path: Path, key) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _write_public(path: Path, key) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def _read_private(path: Path, kind):
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise CacheError(f"cannot read private key {path} ({exc}): regenerate with `fedhybrid keys init`") from exc
    if not isinstance(key, kind):
        raise CacheError(f"{path} holds a {type(key).__name__}, expected {kind.__name__}")
    if os.stat(path).st_mode & 0o077:
        raise CacheError(f"private key {path} is readable by others: chmod 600 it")
    return key


def _read_public(path: Path, kind):
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise CacheError(f"cannot read public key {path} ({exc})") from exc
    if not isinstance(key, kind):
        raise CacheError(f"{path} holds a {type(key).__name__}, expected {kind.__name__}")
    return key


def init_keys(folder: Path, devices: list[str]) -> None:
    """Create the aggregator key, the server signing key and a key pair per device
    (existing keys are kept)."""
    ring = folder / "aggregator" / "keyring.json"
    if not ring.is_file():
        rotate_aggregator(folder)
    if not (folder / "server-signing.pem").is_file():
        key = Ed25519PrivateKey.generate()
        _write_private(folder / "server-signing.pem", key)
        _write_public(folder / "server-signing.pub", key.public_key())
    for device in devices:
        if not (folder / "devices" / f"{device}.pem").is_file():
            key = Ed25519PrivateKey.generate()
            _write_private(folder / "devices" / f"{device}.pem", key)
            _write_public(folder / "devices" / f"{device}.pub", key.public_key())


def rotate_aggregator(folder: Path, now: float | None = None) -> str:
    """Make a new current aggregator key; the old one enters its grace period."""
    key = X25519PrivateKey.generate()
    kid = key_id(key.public_key()).hex()
    _write_private(folder / "aggregator" / f"{kid}.pem", key)
    _write_public(folder / "aggregator" / f"{kid}.pub", key.public_key())
    ring_path = folder / "aggregator" / "keyring.json"
    ring = json.loads(ring_path.read_text()) if ring_path.is_file() else {"current": None, "retired": {}}
    if ring["current"]:
        ring["retired"][ring["current"]] = now if now is not None else time.time()
    ring["current"] = kid
    tmp = ring_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(ring, indent=2, sort_keys=True))
    os.replace(tmp, ring_path)
    return kid


def _keyring(folder: Path) -> dict:
    path = folder / "aggregator" / "keyring.json"
    if not path.is_file():
        raise CacheError(f"no aggregator keyring at {path}: run `fedhybrid keys init`")
    return json.loads(path.read_text())


def aggregator_public(folder: Path) -> X25519PublicKey:
    """The current aggregator public key (what devices seal to)."""
    kid = _keyring(folder)["current"]
    return _read_public(folder / "aggregator" / f"{kid}.pub", X25519PublicKey)


def load_aggregator_keys(folder: Path, grace_s: float = 86400.0, now: float | None = None
                         ) -> dict[bytes, X25519PrivateKey]:
    """Current key plus retired keys still inside their grace period, by key id."""
    ring = _keyring(folder)
    t = now if now is not None else time.time()
    ids = [ring["current"]] + [kid for kid, retired in ring["retired"].items() if t - retired <= grace_s]
    return {bytes.fromhex(kid): _read_private(folder / "aggregator" / f"{kid}.pem", X25519PrivateKey)
            for kid in ids}


def server_signing_key(folder: Path) -> Ed25519PrivateKey:
    return _read_private(folder / "server-signing.pem", Ed25519PrivateKey)


def server_verify_key(folder: Path) -> Ed25519PublicKey:
    return _read_public(folder / "server-signing.pub", Ed25519PublicKey)


def device_signing_key(folder: Path, device: str) -> Ed25519PrivateKey:
    return _read_private(folder / "devices" / f"{device}.pem", Ed25519PrivateKey)


def known_devices(folder: Path) -> dict[str, Ed25519PublicKey]:
    """Every registered device's verify key, by device name."""
    return {p.stem: _read_public(p, Ed25519PublicKey) for p in sorted((folder / "devices").glob("*.pub"))}
