"""fleet.json, the record `fleet up` writes and `fleet down` / `fleet traffic` read: what they do
when it is damaged, already stopped, or names PIDs that are no longer the fleet's."""

import json
import re
import subprocess

import pytest

from fedhybrid.cli import main


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
