"""`fedhybrid eval`: a workload file through every policy on the micro-zoo."""

import json

from fedhybrid.cli import main
from workloads import wordmath


def _workload(path, n=3, sensitive=()):
    problems = wordmath.generate("heldout", n, seed="eval-test")
    with path.open("w") as f:
        for i, p in enumerate(problems):
            f.write(json.dumps({"id": f"q{i}", "prompt": p.prompt, "answer": str(p.answer),
                                "sensitive": i in sensitive}) + "\n")
        f.write(json.dumps({"id": "free", "prompt": "def add(a, b):\n"}) + "\n")  # no answer: graded vs cloud
    return path


def test_eval_prints_the_table_and_writes_json_and_a_plot(tiny_zoo_dir, tmp_path, capsys):
    workload = _workload(tmp_path / "w.jsonl", sensitive=(1,))
    out = tmp_path / "eval"
    assert main(["--zoo", str(tiny_zoo_dir), "eval", "--workload", str(workload), "--device", "edge",
                 "--max-new-tokens", "8", "--stop", "\\n", "--price-per-1k", "2.0", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "cloud_share" in printed and "cost_cut" in printed and "reward" in printed
    result = json.loads((out / "eval.json").read_text())
    rows = result["rows"]
    assert [r["policy"] for r in rows[:2]] == ["cloud-only", "slm-only"]
    assert {r["policy"] for r in rows[2:]} == {"reward", "confidence"}
    cloud_only, slm_only = rows[0], rows[1]
    assert cloud_only["agreement"] == 1.0 and cloud_only["identical"] == 1.0 and cloud_only["cost_cut"] == 0.0
    assert slm_only["cloud_share"] == 0.0 and slm_only["cost"] == 0.0 and slm_only["cost_cut"] == 1.0
    # the sensitive request never reaches the cloud, even under cloud-only: not every token is the cloud's
    assert cloud_only["cloud_share"] < 1.0
    assert cloud_only["cost"] == cloud_only["cloud_tokens_processed"] / 1000 * 2.0
    for row in rows:
        assert 0.0 <= row["quality"] <= 1.0 and 0.0 <= row["cloud_share"] <= 1.0 and row["requests"] == 4
    graders = {r["id"]: r["grader"] for r in result["requests"]}
    assert graders == {"q0": "exact-number", "q1": "exact-number", "q2": "exact-number",
                       "free": "agreement-with-cloud"}
    assert (out / "eval.png").stat().st_size > 1000


def test_eval_refuses_a_workload_its_grader_cannot_judge_before_decoding(tiny_zoo_dir, tmp_path, capsys):
    workload = _workload(tmp_path / "w.jsonl", n=1)
    out = tmp_path / "eval"
    assert main(["--zoo", str(tiny_zoo_dir), "eval", "--workload", str(workload), "--grader", "contains",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "request 'free' has no 'answer' or 'reference' for the contains grader" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


def test_eval_names_the_bad_line_of_a_malformed_workload(tiny_zoo_dir, tmp_path, capsys):
    workload = tmp_path / "w.jsonl"
    workload.write_text('{"prompt": "Q: 1?\\nA:"}\n{"prompt": "Q: 2?\\nA:", "answer": {"x": 1}}\n')
    assert main(["--zoo", str(tiny_zoo_dir), "eval", "--workload", str(workload)]) == 2
    assert f"{workload}:2: field 'answer' must be a string" in capsys.readouterr().err


def test_eval_refuses_a_probability_threshold_outside_0_1_before_decoding(tiny_zoo_dir, tmp_path, capsys):
    workload = _workload(tmp_path / "w.jsonl", n=1)
    out = tmp_path / "eval"
    assert main(["--zoo", str(tiny_zoo_dir), "eval", "--workload", str(workload), "--policies", "reward,confidence",
                 "--thresholds", "0.5,1.3", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--thresholds 1.3 is outside [0, 1], where confidence thresholds" in err and "--policies reward" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


def test_eval_with_confidence_only_and_explicit_thresholds(tiny_zoo_dir, tmp_path):
    workload = _workload(tmp_path / "w.jsonl", n=2)
    out = tmp_path / "eval"
    assert main(["--zoo", str(tiny_zoo_dir), "eval", "--workload", str(workload), "--policies", "confidence",
                 "--thresholds", "0.3,0.99", "--max-new-tokens", "6", "--limit", "2", "--out", str(out)]) == 0
    rows = json.loads((out / "eval.json").read_text())["rows"]
    assert [(r["policy"], r["threshold"]) for r in rows] == [
        ("cloud-only", None), ("slm-only", None), ("confidence", 0.3), ("confidence", 0.99)]
    assert rows[3]["cloud_share"] >= rows[2]["cloud_share"]  # a higher floor escalates at least as often


def test_calibrate_on_a_workload_file_and_retarget_with_it(tiny_zoo_dir, tmp_path, capsys):
    import shutil

    from inference.reward_head import RewardHead

    zoo = tmp_path / "zoo"
    shutil.copytree(tiny_zoo_dir, zoo)
    workload = _workload(tmp_path / "w.jsonl", n=9)  # 9 graded by number + 1 judged against the cloud
    args = ["--zoo", str(zoo), "calibrate", "--device", "edge", "--workload", str(workload), "--stop", "\\n",
            "--grid", "3"]
    assert main([*args, "--target-cloud-share", "0.3"]) == 0
    _, meta = RewardHead.load(zoo / "edge" / "reward-cloud")
    assert meta["sets"]["kind"] == "workload" and meta["sets"]["requests"] == 10
    assert meta["train_problems"] == 6 and meta["calibration_problems"] == 2  # 60% / 20% / 20%
    assert 0.0 <= meta["baseline"]["cloud-only"]["accuracy"] <= 1.0 and "target" in meta
    capsys.readouterr()
    # retargeting a workload-calibrated head needs the same file again
    assert main(["--zoo", str(zoo), "calibrate", "--device", "edge", "--retarget", "--target-cloud-share", "0.2"]) == 2
    assert "retarget with the same --workload" in capsys.readouterr().err
    assert main([*args, "--retarget", "--target-cloud-share", "0.2"]) == 0
    _, again = RewardHead.load(zoo / "edge" / "reward-cloud")
    assert again["target"]["cloud_share"] == 0.2 and again["table"] == meta["table"]


def test_calibrate_refuses_a_workload_too_small_to_split(tiny_zoo_dir, tmp_path, capsys):
    workload = _workload(tmp_path / "w.jsonl", n=3)
    assert main(["--zoo", str(tiny_zoo_dir), "calibrate", "--workload", str(workload)]) == 2
    assert "a workload of 4 requests is too small to calibrate on: give at least 7" in capsys.readouterr().err


def test_bench_routing_sweeps_a_workload_file(tiny_zoo_dir, tmp_path, capsys):
    workload = _workload(tmp_path / "w.jsonl", n=2)
    out_json = tmp_path / "routing.json"
    assert main(["--zoo", str(tiny_zoo_dir), "bench", "routing", "--workload", str(workload), "--stop", "\\n",
                 "--json", str(out_json)]) == 0
    result = json.loads(out_json.read_text())
    policies = [r["policy"] for r in result["rows"]]
    assert policies[:2] == ["cloud-only", "slm-only"] and {"reward", "confidence", "fusion"} <= set(policies)
    assert all(r["requests"] == 3 for r in result["rows"]) and out_json.with_suffix(".png").is_file()
    assert f"routing on {workload}" in capsys.readouterr().out


def test_bench_cache_quality_rows_on_a_workload_file(tiny_zoo_dir, tmp_path, capsys):
    workload = _workload(tmp_path / "w.jsonl", n=2)
    out_json = tmp_path / "cache.json"
    assert main(["--zoo", str(tiny_zoo_dir), "bench", "cache", "--workload", str(workload), "--stop", "\\n",
                 "--sizes", "1000", "--text-tokens", "2000", "--merge-devices", "2", "--merge-entries", "100",
                 "--passes", "2", "--json", str(out_json)]) == 0
    quality = json.loads(out_json.read_text())["quality"]
    assert [q["pass"] for q in quality] == [1, 2]
    assert all(0.0 <= q["accuracy"] <= 1.0 and 0.0 <= q["cache_share"] <= 1.0 for q in quality)
    assert quality[1]["cache_entries"] >= quality[0]["cache_entries"] > 0  # the passes recur: the cache learns
    assert f"3 requests of {workload}" in capsys.readouterr().out


def test_demo_and_fed_run_serve_a_workload_file(tiny_zoo_dir, tmp_path, capsys, caplog):
    workload = _workload(tmp_path / "w.jsonl", n=5, sensitive=(2,))
    with workload.open("a") as f:  # two requests pinned to one device, by name and by partition
        f.write(json.dumps({"id": "pinned", "prompt": "Q: Ava has 3 pens. She finds 4 more. How many pens does "
                            "Ava have now?\nA:", "answer": "7", "device": "edge-2"}) + "\n")
        f.write(json.dumps({"id": "by-partition", "prompt": "Q: Leo has 9 cups.\nA:", "partition": 10}) + "\n")
    out = tmp_path / "demo"
    assert main(["--zoo", str(tiny_zoo_dir), "demo", "--engine", "inprocess", "--rounds", "2", "--out", str(out),
                 "--queries-per-round", "2", "--release-k", "2", "--workload", str(workload),
                 "--workload-split", "zipf"]) == 0
    report = (out / "report.md").read_text()
    assert f"the workload file {workload.resolve()}" in report and "| round | tier |" in report
    # 7 requests over 8 devices under zipf: some devices serve nothing, and their replies still count
    assert "dropped reply" not in caplog.text
    state = tmp_path / "fed"
    assert main(["--zoo", str(tiny_zoo_dir), "fed", "run", "--engine", "inprocess", "--rounds", "1",
                 "--state-dir", str(state), "--workload", str(workload), "--set", "queries-per-round=1",
                 "--json", str(tmp_path / "fed.json")]) == 0
    rows = json.loads((tmp_path / "fed.json").read_text())["rows"]
    assert {"edge", "all"} <= {r["tier"] for r in rows}
    # a tier whose devices served nothing has no share and no accuracy (null), not 0%
    assert all(0 <= r["cloud_share"] <= 1 if r["queries"] else r["cloud_share"] is r["accuracy"] is None
               for r in rows)
    capsys.readouterr()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "x", "device": "edge-77"}\n')
    assert main(["--zoo", str(tiny_zoo_dir), "fed", "run", "--engine", "inprocess", "--rounds", "1",
                 "--state-dir", str(tmp_path / "fed2"), "--workload", str(bad)]) == 2
    err = capsys.readouterr().err  # refused before any process starts, naming the file and what to do
    assert f"{bad.resolve()}: request" in err and "names device 'edge-77'" in err and "give a partition" in err


def test_fed_run_reads_a_workload_file_with_columns_of_its_own(tiny_zoo_dir, tmp_path, capsys):
    """`--columns` (run config `workload-columns`) on `fed run`, as on eval and bench: a CSV whose
    columns are not named prompt/answer; the error that names a missing field points at it."""
    csv = tmp_path / "w.csv"
    csv.write_text("question,final\n" + "".join(
        f'"Q: Ava has {a} pens. She finds {b} more. How many pens does Ava have now?\nA:",{a + b}\n'
        for a, b in ((3, 4), (5, 2), (6, 1))))
    run = ["--zoo", str(tiny_zoo_dir), "fed", "run", "--engine", "inprocess", "--rounds", "1",
           "--set", "queries-per-round=1", "--set", "fleet-tiers=\"edge,iot\"", "--workload", str(csv)]
    assert main([*run, "--state-dir", str(tmp_path / "a")]) == 2
    assert "--columns" in capsys.readouterr().err  # the hint names a flag fed run has
    assert main([*run, "--state-dir", str(tmp_path / "b"), "--columns", "prompt=question,answer=final",
                 "--json", str(tmp_path / "b.json")]) == 0
    # two devices under the default release-k=5: said before the rounds, not found in a flat cloud share
    assert "note: release-k=5 is more than the fleet's 2 devices" in capsys.readouterr().out
    rows = json.loads((tmp_path / "b.json").read_text())["rows"]
    assert next(r for r in rows if r["tier"] == "all")["queries"] == 2  # one request per device
    # columns without a file to map are refused, nothing written
    assert main(["--zoo", str(tiny_zoo_dir), "fed", "run", "--engine", "inprocess", "--rounds", "1",
                 "--state-dir", str(tmp_path / "c"), "--columns", "prompt=question"]) == 2
    assert "workload-file is not set" in capsys.readouterr().err and not (tmp_path / "c").exists()


def test_fed_run_refuses_to_resume_over_a_workload_file_that_changed(tiny_zoo_dir, tmp_path, capsys):
    """A resumed state compares its workload file by content too: appending to the file in place
    resumed unnoticed (the path was the same)."""
    workload = _workload(tmp_path / "w.jsonl", n=4)
    run = ["--zoo", str(tiny_zoo_dir), "fed", "run", "--engine", "inprocess", "--rounds", "1", "--state-dir",
           str(tmp_path / "state"), "--set", "queries-per-round=1", "--set", 'fleet-tiers="edge,iot"',
           "--workload", str(workload)]
    assert main(run) == 0
    original = workload.read_bytes()
    with workload.open("a") as f:
        f.write(json.dumps({"prompt": "Q: Leo has 9 cups. He buys 2 more. How many cups?\nA:", "answer": "11"}) + "\n")
    capsys.readouterr()
    assert main(run) == 2
    err = capsys.readouterr().err
    assert f"workload-file {workload.resolve()}: its content changed since the state was made" in err
    workload.write_bytes(original)  # the same content again: it resumes, and runs on
    assert main([*run, "--rounds", "2"]) == 0
    assert "final round 2" in capsys.readouterr().out
