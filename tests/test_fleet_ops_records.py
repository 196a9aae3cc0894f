"""fleet.json, the record `fleet up` writes and `fleet down` / `fleet traffic` read: what they do
when it is damaged, already stopped, or names PIDs that are no longer the fleet's."""

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
