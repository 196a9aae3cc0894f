"""fleet.json, the record `fleet up` writes and `fleet down` / `fleet traffic` read: what they do
when it is damaged, already stopped, or names PIDs that are no longer the fleet's."""

import json
import os
import re
import signal
import subprocess

import pytest

from fedhybrid.cli import main
from fedhybrid.fleet_ops import FleetSpec, fleet_up
from fedhybrid.process_group import alive, boot_id, started
from fleet.errors import FleetError
from server.errors import ServerError


def _one_error_line(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize("content", [b"{not json", b"\x80", b'{"workdir": "x", "processes": 3, "agents": []}'])
def test_fleet_json_damaged_tells_to_stop_by_hand_and_gives_the_mv_that_unblocks_fleet_up(tmp_path, capsys,
                                                                                          content):
    work = tmp_path / "my fleet"  # a space: the mv command must still run as given
    work.mkdir()
    (work / "fleet.json").write_bytes(content)
    for argv in (["fleet", "down"], ["fleet", "traffic", "--no-baseline"]):
        assert main([*argv, "--workdir", str(work)]) == 2
        line = _one_error_line(capsys)
        assert "is damaged" in line and "by hand" in line and "blocks `fedhybrid fleet up`" in line, line
    mv = re.search(r"mv .*$", line).group(0)
    subprocess.run(mv, shell=True, check=True)
    assert (work / "fleet.json.damaged").read_bytes() == content and not (work / "fleet.json").exists()
    assert main(["fleet", "down", "--workdir", str(work)]) == 2
    assert "fleet up" in _one_error_line(capsys)  # no fleet there any more: nothing blocks `fleet up`


def _record(work, processes=()) -> None:
    work.mkdir(parents=True, exist_ok=True)
    (work / "fleet.json").write_text(json.dumps({"workdir": str(work), "agents": [], "processes": list(processes)}))


def test_fleet_down_run_again_says_it_was_already_stopped_and_when(tmp_path, capsys):
    work = tmp_path / "fleet"
    _record(work)
    assert main(["fleet", "down", "--workdir", str(work)]) == 0
    assert "stopped 0 processes" in capsys.readouterr().out
    assert isinstance(json.loads((work / "fleet.down.json").read_text())["stopped"], float)
    assert main(["fleet", "down", "--workdir", str(work)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"already stopped at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d; nothing to stop", out), out
    assert main(["fleet", "traffic", "--workdir", str(work), "--no-baseline"]) == 2  # nothing to drive: an error
    line = _one_error_line(capsys)
    assert "was stopped at" in line and "start one with `fedhybrid fleet up`" in line, line


def test_fleet_down_again_after_an_older_fleet_down_without_the_time_still_exits_0(tmp_path, capsys):
    work = tmp_path / "fleet"
    _record(work)
    (work / "fleet.json").rename(work / "fleet.down.json")  # what fleet down did before it kept the time
    assert main(["fleet", "down", "--workdir", str(work)]) == 0
    assert "already stopped at" in capsys.readouterr().out
    assert main(["fleet", "down", "--workdir", str(tmp_path / "never")]) == 2  # no fleet ever: still an error
    assert "start one with `fedhybrid fleet up`" in _one_error_line(capsys)


@pytest.fixture
def bystander():
    """A process group that is not the fleet's (`setsid sleep`), whose PID a stale fleet.json names."""
    proc = subprocess.Popen(["sleep", "1000"], start_new_session=True)
    yield proc
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _cloud_entry(proc, case: str) -> tuple[dict, dict]:
    """(fleet-level fields, the process entry) fleet.json holds for `proc` named as the cloud."""
    here = {"boot": boot_id()}
    entry = {"name": "cloud", "pid": proc.pid}
    return {"reused pid": (here, {**entry, "started": started(proc.pid) + 1}),
            "after a reboot": ({"boot": "another-boot"}, {**entry, "started": started(proc.pid)}),
            "older record, other command": ({}, {**entry, "cmd": ["python", "-m", "fedhybrid.cli", "cloud", "serve"]}),
            "older record, no command": ({}, entry),
            "the fleet's": (here, {**entry, "started": started(proc.pid)}),
            "older record, the fleet's command": ({}, {**entry, "cmd": ["sleep", "1000"]})}[case]


@pytest.mark.parametrize("case, shown", [("reused pid", "cloud: gone, not signalled: pid {pid} now belongs to another"),
                                         ("after a reboot", "cloud: gone, not signalled: the machine restarted"),
                                         ("older record, other command",
                                          "cloud: gone, not signalled: pid {pid} now runs another command"),
                                         ("older record, no command",
                                          "cloud: not checked, not signalled: fleet.json keeps neither its start")])
def test_fleet_down_does_not_signal_a_pid_that_is_no_longer_the_fleets(tmp_path, capsys, bystander, case, shown):
    work = tmp_path / "fleet"
    top, entry = _cloud_entry(bystander, case)
    _record(work, [entry])
    (work / "fleet.json").write_text(json.dumps({**json.loads((work / "fleet.json").read_text()), **top}))
    assert main(["fleet", "down", "--workdir", str(work)]) == 0
    out = capsys.readouterr().out
    assert shown.format(pid=bystander.pid) in out and "stopped 0 processes" in out, out
    assert alive(bystander.pid) and (work / "fleet.down.json").is_file()  # the stale record is out of the way


@pytest.mark.parametrize("case", ["the fleet's", "older record, the fleet's command"])
def test_fleet_down_stops_a_process_that_still_is_the_fleets(tmp_path, capsys, bystander, case):
    work = tmp_path / "fleet"
    top, entry = _cloud_entry(bystander, case)
    _record(work, [entry])
    (work / "fleet.json").write_text(json.dumps({**json.loads((work / "fleet.json").read_text()), **top}))
    assert main(["fleet", "down", "--workdir", str(work)]) == 0
    assert "stopped 1 processes: cloud" in capsys.readouterr().out
    assert not alive(bystander.pid)  # fleet down waited for it (and reaped it: it is this test's child)


@pytest.mark.parametrize("case, up", [("reused pid", False), ("after a reboot", False),
                                      ("older record, other command", False), ("older record, no command", True),
                                      ("the fleet's", True)])
def test_fleet_up_counts_a_fleet_as_up_only_by_processes_that_still_are_its_own(tmp_path, bystander, case, up):
    work = tmp_path / "fleet"
    top, entry = _cloud_entry(bystander, case)
    _record(work, [entry])
    (work / "fleet.json").write_text(json.dumps({**json.loads((work / "fleet.json").read_text()), **top}))
    # trim=0.7 is refused right after the check: a fleet up that gets past it starts nothing
    spec = FleetSpec(work, tiers=("edge",), overrides={"trim": 0.7})
    with pytest.raises(ServerError if up else FleetError, match="already up" if up else "trim"):
        fleet_up(spec, say=lambda _: None)
    assert alive(bystander.pid)
