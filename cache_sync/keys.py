"""Key material for sealed cache propagation, stored as PEM files (private keys 0600).

Layout of a key folder:
    aggregator/<key id hex>.pem      X25519 private keys (current and previous)
    aggregator/keyring.json          {"current": id, "retired": {id: retired_at_unix}}
    server-signing.pem / .pub        Ed25519: the server signs downward updates
    devices/<device>.pem / .pub      Ed25519 per device (the server needs only .pub)
Rotation: `rotate_aggregator` makes a new current key; the previous one keeps opening
envelopes for `grace_s` seconds, then `load_aggregator_keys` drops it.

Every file is written durably (`cache_sync.durable.write_durable`: temporary file, fsync,
rename, folder fsync); private keys are 0600 from their first byte. Keys stay plain PEM
(other tools read them), so a damaged one is caught by the PEM parser, which names it.
A pair is written private half first; a crash between the two halves leaves a private key
whose public half `init_keys` derives at its next run. `init_keys` never replaces a key: a device whose private key was
handed to the device and removed here (its .pub kept) is left as it is, and an existing
private key must load, so a damaged one is named instead of `keys init` reporting success.
A server given a key folder (`key-dir`) creates nothing in it (`check_server_keys`).
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

from cache_sync.durable import ensure_dir, write_durable
from cache_sync.envelope import key_id
from cache_sync.errors import CacheError

ROTATION_GRACE_S = 86400.0  # a rotated-out aggregator key still opens deltas this long


def _write_private(path: Path, key) -> None:
    ensure_dir(path.parent)
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    write_durable(path, data, mode=0o600)


def _write_public(path: Path, key) -> None:
    ensure_dir(path.parent)
    write_durable(path, key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def _write_pair(folder: Path, stem: str, key) -> None:
    """`stem`.pem then `stem`.pub (see the module docstring for the order)."""
    _write_private(folder / f"{stem}.pem", key)
    _write_public(folder / f"{stem}.pub", key.public_key())


def _read_private(path: Path, kind):
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise CacheError(f"no private key at {path}: make the folder's keys with `fedhybrid keys init` "
                             "(a device needs its own devices/<name>.pem)") from exc
        raise CacheError(f"cannot read private key {path} ({exc}): restore it from a backup, or move it and its "
                         ".pub aside and run `fedhybrid keys init` for a new pair (the server then needs the new "
                         ".pub)") from exc
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


def init_keys(folder: Path, devices: list[str]) -> list[str]:
    """Create the aggregator key, the server signing key and a key pair per device; returns
    the devices given a new pair. Existing keys are kept and checked (see the module docstring).

    Raises:
        CacheError: an existing key that does not load (named, with what to do).
    """
    ring = folder / "aggregator" / "keyring.json"
    if not ring.is_file():
        rotate_aggregator(folder)
    load_aggregator_keys(folder)
    if not (folder / "server-signing.pem").is_file():
        _write_pair(folder, "server-signing", Ed25519PrivateKey.generate())
    _complete(folder / "server-signing.pub", server_signing_key(folder))
    created = []
    for device in devices:
        pem, pub = folder / "devices" / f"{device}.pem", folder / "devices" / f"{device}.pub"
        if pem.is_file():
            _complete(pub, device_signing_key(folder, device))
        elif not pub.is_file():  # a .pub alone: the private half lives on the device
            _write_pair(folder / "devices", device, Ed25519PrivateKey.generate())
            created.append(device)
    return created


def _complete(pub: Path, private) -> None:
    """The public half of a pair whose writing stopped after its private half."""
    if not pub.is_file():
        _write_public(pub, private.public_key())


def check_server_keys(folder: Path, devices: list[str]) -> None:
    """A key folder the operator made (`key-dir`): nothing is created or replaced in it, and
    every device of the fleet must have its public key there (its private key is not needed).
    The rest (aggregator keys, the server's signing key, whether each file loads) is checked by
    the `ServerChannel` the server opens on the folder next, which names a damaged file.

    Raises:
        CacheError: naming the devices without a public key and the command that makes one.
    """
    missing = [d for d in devices if not (folder / "devices" / f"{d}.pub").is_file()]
    if missing:
        raise CacheError(f"no public key for {', '.join(missing)} in {folder / 'devices'}: run `fedhybrid keys init "
                         f"--dir {folder} --devices {' '.join(missing)}` (it keeps a device .pem already there and "
                         "writes its .pub from it; a device without one gets a new .pem to hand to it)")


def rotate_aggregator(folder: Path, now: float | None = None) -> str:
    """Make a new current aggregator key; the old one enters its grace period."""
    key = X25519PrivateKey.generate()
    kid = key_id(key.public_key()).hex()
    # the key files land before the keyring names them: a crash in between leaves an unused key
    _write_pair(folder / "aggregator", kid, key)
    ring_path = folder / "aggregator" / "keyring.json"
    ring = _keyring(folder) if ring_path.is_file() else {"current": None, "retired": {}}
    if ring["current"]:
        ring["retired"][ring["current"]] = now if now is not None else time.time()
    ring["current"] = kid
    write_durable(ring_path, json.dumps(ring, indent=2, sort_keys=True).encode())
    return kid


def _keyring(folder: Path) -> dict:
    path = folder / "aggregator" / "keyring.json"
    if not path.is_file():
        raise CacheError(f"no aggregator keyring at {path}: run `fedhybrid keys init`")
    try:
        ring = json.loads(path.read_bytes())
        if not isinstance(ring, dict) or not isinstance(ring.get("retired"), dict) or "current" not in ring:
            raise ValueError("expected {\"current\": id, \"retired\": {id: time}}")
    except (OSError, ValueError) as exc:
        raise CacheError(f"cannot read the aggregator keyring {path} ({exc}): restore it from a backup, or "
                         "rebuild the key folder with `fedhybrid keys init` (devices then need their new keys)"
                         ) from exc
    return ring


def aggregator_public(folder: Path) -> X25519PublicKey:
    """The current aggregator public key (what devices seal to)."""
    kid = _keyring(folder)["current"]
    return _read_public(folder / "aggregator" / f"{kid}.pub", X25519PublicKey)


def load_aggregator_keys(folder: Path, grace_s: float = ROTATION_GRACE_S, now: float | None = None
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
