"""A server given the operator's key folder (`key-dir`) checks it and writes nothing in it."""

import pytest

from cache_sync.errors import CacheError
from cache_sync.keys import init_keys
from fleet.config import FederationConfig
from server.app import build_federation

TIERS = ("edge", "iot")


def _files(folder):
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_devices_holding_their_own_private_keys_keep_them_valid(tiny_zoo_dir, tmp_path):
    """Before, a device whose .pem was not in the server's folder (handed to the device, as a
    real fleet does) got a new pair at the server's start, its .pub overwritten, and the run
    went on: the device's real signatures would no longer verify."""
    keys = tmp_path / "keys"
    devices = [f"{t}-{i}" for i, t in enumerate(TIERS)]
    init_keys(keys, devices)
    for device in devices:
        (keys / "devices" / f"{device}.pem").unlink()
    before = _files(keys)
    cfg = FederationConfig(fleet_tiers=TIERS, zoo=str(tiny_zoo_dir), secure=True, key_dir=str(keys), threshold=0.5,
                           state_dir=str(tmp_path / "state"))
    federation, _ = build_federation(cfg)
    assert federation.channel is not None and _files(keys) == before
    (keys / "devices" / "iot-1.pub").unlink()
    with pytest.raises(CacheError, match="no public key for iot-1"):
        build_federation(cfg)
    assert not (keys / "devices" / "iot-1.pub").exists()


def test_a_run_whose_every_reply_is_dropped_says_so_and_exits_1(tiny_zoo_dir, tmp_path, capsys):
    """The local engines run the devices beside the server from the same key folder: without
    their .pem files every reply is dropped, and an empty table with exit 0 hid that."""
    from fedhybrid.cli import main

    keys = tmp_path / "keys"
    init_keys(keys, ["edge-0", "iot-1"])
    for pem in (keys / "devices").glob("*.pem"):
        pem.unlink()
    code = main(["--zoo", str(tiny_zoo_dir), "fed", "run", "--engine", "inprocess", "--rounds", "1",
                 "--state-dir", str(tmp_path / "state"), "--set", f"key-dir={keys}", "--set", "fleet-tiers=edge,iot",
                 "--set", "secure=true", "--set", "queries-per-round=1"])
    assert code == 1
    out = capsys.readouterr().out
    assert "round 1: no reply merged, 2 dropped (last: iot-1: error reply: CacheError: no private key at" in out
