"""Key files on disk: private keys 0600, every file written durably, damaged files named."""

import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization

from cache_sync import keys
from cache_sync.errors import CacheError


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _files(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _raw(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o277])
def test_private_keys_are_0600_whatever_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        keys.init_keys(tmp_path, ["edge-0", "iot-1"])
        keys.rotate_aggregator(tmp_path)
    finally:
        os.umask(old)
    private = [p for p in _files(tmp_path) if p.suffix == ".pem"]
    assert len(private) == 5  # two aggregator keys, the server's signing key, two devices
    assert all(_mode(p) == 0o600 for p in private)
    keys.server_signing_key(tmp_path)  # loads: not refused as readable by others


def test_every_key_file_is_written_durably_and_no_temporary_file_stays(tmp_path, monkeypatch):
    written = []
    durable_write = keys.write_durable

    def recording(path, data, mode=None):
        written.append(path)
        durable_write(path, data, mode)

    monkeypatch.setattr(keys, "write_durable", recording)
    keys.init_keys(tmp_path, ["edge-0"])
    keys.rotate_aggregator(tmp_path)
    files = _files(tmp_path)
    assert not [p for p in files if p.name.startswith(".")]
    assert set(files) == set(written)  # keyring.json included


@pytest.mark.parametrize("name, load", [
    ("devices/edge-0.pem", lambda folder: keys.device_signing_key(folder, "edge-0")),
    ("server-signing.pem", keys.server_signing_key),
    ("server-signing.pub", keys.server_verify_key),
    ("devices/edge-0.pub", keys.known_devices),
])
def test_a_truncated_key_file_is_a_cache_error_naming_it(tmp_path, name, load):
    keys.init_keys(tmp_path, ["edge-0"])
    path = tmp_path / name
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(CacheError) as caught:
        load(tmp_path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("content", [b"", b'{"current": "ab', b"[1, 2]", b"\xff\xfe"])
def test_a_damaged_keyring_is_a_cache_error_naming_it(tmp_path, content):
    keys.init_keys(tmp_path, ["edge-0"])
    ring = tmp_path / "aggregator" / "keyring.json"
    ring.write_bytes(content)
    for call in (keys.aggregator_public, keys.load_aggregator_keys, keys.rotate_aggregator):
        with pytest.raises(CacheError, match="keyring") as caught:
            call(tmp_path)
        assert str(ring) in str(caught.value)


def test_a_crash_between_the_halves_of_a_pair_is_completed_at_the_next_run(tmp_path, monkeypatch):
    durable_write = keys.write_durable

    def crash_on_the_device_key(path, data, mode=None):
        if path.name == "edge-0.pub":
            raise OSError("power cut")
        durable_write(path, data, mode)

    monkeypatch.setattr(keys, "write_durable", crash_on_the_device_key)
    with pytest.raises(OSError):
        keys.init_keys(tmp_path, ["edge-0"])
    monkeypatch.setattr(keys, "write_durable", durable_write)
    keys.init_keys(tmp_path, ["edge-0"])  # the restart completes the pair
    private = keys.device_signing_key(tmp_path, "edge-0")
    assert _raw(keys.known_devices(tmp_path)["edge-0"]) == _raw(private.public_key())


def test_keys_init_never_replaces_a_key_and_names_a_damaged_one(tmp_path):
    """A device's private key handed to the device (its .pem removed here, its .pub kept) is
    left alone, not given a new pair that would break the device's signatures; a damaged
    private key makes `init_keys` fail naming it, instead of reporting success."""
    assert keys.init_keys(tmp_path, ["edge-0", "edge-1"]) == ["edge-0", "edge-1"]
    pub = (tmp_path / "devices" / "edge-1.pub").read_bytes()
    (tmp_path / "devices" / "edge-1.pem").unlink()
    assert keys.init_keys(tmp_path, ["edge-0", "edge-1", "iot-2"]) == ["iot-2"]
    assert (tmp_path / "devices" / "edge-1.pub").read_bytes() == pub
    assert not (tmp_path / "devices" / "edge-1.pem").exists()
    damaged = tmp_path / "devices" / "edge-0.pem"
    damaged.write_bytes(damaged.read_bytes()[:40])
    with pytest.raises(CacheError, match="move it and its .pub aside") as caught:
        keys.init_keys(tmp_path, ["edge-0"])
    assert str(damaged) in str(caught.value)


def test_a_server_given_a_key_folder_creates_nothing_in_it(tmp_path):
    """`key-dir`: the server checks the operator's keys and needs only the devices' public
    halves; a missing one is named with the command that makes it, and no file is written."""
    keys.init_keys(tmp_path, ["edge-0", "edge-1"])
    for device in ("edge-0", "edge-1"):
        (tmp_path / "devices" / f"{device}.pem").unlink()  # handed to the devices
    keys.check_server_keys(tmp_path, ["edge-0", "edge-1"])
    (tmp_path / "devices" / "edge-1.pub").unlink()
    before = {p: p.read_bytes() for p in _files(tmp_path)}
    with pytest.raises(CacheError, match="no public key for edge-1") as caught:
        keys.check_server_keys(tmp_path, ["edge-0", "edge-1"])
    assert "fedhybrid keys init" in str(caught.value)
    assert "keeps a device .pem already there" in str(caught.value)  # not "give each device its new .pem"
    assert {p: p.read_bytes() for p in _files(tmp_path)} == before
