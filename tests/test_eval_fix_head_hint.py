"""`fedhybrid eval` without a reward head: the error names eval's flags and the exact calibrate command."""

import json
import shutil

from fedhybrid.cli import main


def test_eval_fix_a_missing_reward_head_names_the_calibrate_command_and_policies(tiny_zoo_dir, tmp_path, capsys):
    zoo = tmp_path / "zoo"
    shutil.copytree(tiny_zoo_dir, zoo)
    shutil.rmtree(zoo / "edge" / "reward-cloud")
    workload = tmp_path / "w.jsonl"
    workload.write_text(json.dumps({"prompt": "Q: Ava has 3 pens. She finds 4 more. How many pens?\nA:",
                                    "answer": "7"}) + "\n")
    out = tmp_path / "eval"
    assert main(["--zoo", str(zoo), "eval", "--workload", str(workload), "--device", "edge",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"run `fedhybrid calibrate --zoo {zoo} --device edge --cloud cloud`" in err
    assert "--policies confidence" in err and f"--workload {workload}" in err
    assert "--policy confidence --threshold" not in err  # generate's flags, which eval does not have
    assert len(err.strip().splitlines()) == 1 and not out.exists()
