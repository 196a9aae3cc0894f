"""A resumed `fed run` judges only its own rounds."""

import shutil

from cache_sync.keys import init_keys
from fedhybrid.cli import main

DEVICES = ["edge-0", "iot-1"]


def _fed(zoo, state, keys, rounds):
    return main(["--zoo", str(zoo), "fed", "run", "--engine", "inprocess", "--rounds", str(rounds),
                 "--state-dir", str(state), "--set", f"key-dir={keys}", "--set", "fleet-tiers=edge,iot",
                 "--set", "secure=true", "--set", "queries-per-round=2", "--set", "max-new-tokens=8",
                 "--set", "local-steps=1", "--set", "release-k=2"])


def test_fed_run_checks_only_its_own_rounds_for_an_empty_one(tiny_zoo_dir, tmp_path, capsys):
    """A resumed run checked rounds from `num-rounds` back (the target round, not a count): after
    one empty round every later run of the state exited 1, however well its own rounds went."""
    keys, aside = tmp_path / "keys", tmp_path / "aside"
    init_keys(keys, DEVICES)
    aside.mkdir()
    for device in DEVICES:  # the devices lack their keys: round 1 merges nothing
        shutil.move(keys / "devices" / f"{device}.pem", aside / f"{device}.pem")
    assert _fed(tiny_zoo_dir, tmp_path / "state", keys, 1) == 1
    assert "round 1: no reply merged" in capsys.readouterr().out
    for device in DEVICES:
        shutil.move(aside / f"{device}.pem", keys / "devices" / f"{device}.pem")
    assert _fed(tiny_zoo_dir, tmp_path / "state", keys, 2) == 0
    out = capsys.readouterr().out
    assert "final round 2" in out and "round 1: no reply merged" not in out
