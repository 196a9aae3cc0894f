"""`fed run` exits 1 for a round it ran in which nothing merged (every reply dropped, or every delta
rejected), and only for its own rounds: a resumed run does not judge the earlier ones."""

import shutil

from cache_sync.keys import init_keys
from fedhybrid.cli import main
from fedhybrid.commands.fed import empty_rounds

DEVICES = ["edge-0", "iot-1"]


def _fed(zoo, state, keys, rounds):
    return main(["--zoo", str(zoo), "fed", "run", "--engine", "inprocess", "--rounds", str(rounds),
                 "--state-dir", str(state), "--set", f"key-dir={keys}", "--set", "fleet-tiers=edge,iot",
                 "--set", "secure=true", "--set", "queries-per-round=2", "--set", "max-new-tokens=8",
                 "--set", "local-steps=1", "--set", "release-k=2"])


def test_fed_run_a_round_whose_every_delta_was_rejected_exits_1_naming_the_reason(tiny_zoo_dir, tmp_path, capsys):
    """Devices whose private keys do not match the public keys the server holds: every reply
    arrived, every one's deltas were rejected (bad signature), and the run exited 0 with a
    normal table."""
    keys, other = tmp_path / "keys", tmp_path / "other"
    init_keys(keys, DEVICES)
    init_keys(other, DEVICES)
    for device in DEVICES:  # each device signs with a key the server does not know
        shutil.copy(other / "devices" / f"{device}.pem", keys / "devices" / f"{device}.pem")
    assert _fed(tiny_zoo_dir, tmp_path / "state", keys, 1) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("round 1: nothing merged"))
    assert "the deltas of all 2 devices that sent any were rejected" in line and "signature" in line, line


def _record(round_, nodes=("edge-0",), dropped=(), merged=0, duplicates=0, rejected=()):
    return {"round": round_, "nodes": {n: {} for n in nodes}, "dropped": [list(d) for d in dropped],
            "ingest": {"merged": merged, "duplicates": duplicates, "rejected": [list(r) for r in rejected]}}


def test_empty_rounds_counts_a_round_as_empty_only_when_nothing_of_it_merged():
    bad = ("edge-0", "envelope rejected: bad signature (wrong key)")
    history = [
        _record(1, rejected=[bad, bad, ("iot-1", "envelope rejected: bad signature (wrong key)")]),
        _record(2),  # replies with nothing to upload: no rejection
        _record(3, merged=4, rejected=[bad]),  # another device's deltas merged
        _record(4, duplicates=1, rejected=[bad]),  # a re-sent delta was accepted before
        _record(5, nodes=(), dropped=[("edge-0", "error reply: CacheError: no private key")]),
    ]
    assert empty_rounds(history, 0) == [
        ("round 1: nothing merged, the deltas of all 2 devices that sent any were rejected "
         "(last: iot-1: envelope rejected: bad signature (wrong key))"),
        "round 5: no reply merged, 1 dropped (last: edge-0: error reply: CacheError: no private key)"]
    assert empty_rounds(history, 1) == [empty_rounds(history, 0)[1]]


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
