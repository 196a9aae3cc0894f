import json

from fedhybrid.cli import main


def test_zoo_verify_and_show(tiny_zoo_dir, capsys):
    assert main(["--zoo", str(tiny_zoo_dir), "zoo", "verify"]) == 0
    out = capsys.readouterr().out
    assert "edge: ok" in out and "cloud: ok" in out
    assert main(["--zoo", str(tiny_zoo_dir), "zoo", "show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["tiers"]["iot"] == "edge"


def test_missing_zoo_is_a_one_line_error_not_a_traceback(tmp_path, capsys):
    assert main(["--zoo", str(tmp_path / "nowhere"), "zoo", "verify"]) == 2
    err = capsys.readouterr().err
    assert "no zoo manifest" in err and "fedhybrid zoo build" in err
    assert "Traceback" not in err


def test_bench_models_prints_a_table_and_writes_json(tiny_zoo_dir, tmp_path, capsys):
    out_json = tmp_path / "models.json"
    assert main(["--zoo", str(tiny_zoo_dir), "bench", "models", "--problems", "4",
                 "--json", str(out_json)]) == 0
    rows = json.loads(out_json.read_text())
    assert [r["name"] for r in rows] == ["edge", "client", "cloud"]
    for row in rows:
        assert {"name", "params", "bytes", "wordmath_acc", "pycode_loss", "decode_tok_s"} <= set(row)
        assert 0 <= row["wordmath_acc"] <= 1 and row["decode_tok_s"] > 0 and row["bytes"] > 0
    assert "zoo models" in capsys.readouterr().out


def test_generate_streams_tokens_and_prints_a_summary(tiny_zoo_dir, capsys):
    prompt = "Q: Ava has 12 apples. She buys 5 more apples at the shop. How many apples does Ava have now?\\nA:"
    assert main(["--zoo", str(tiny_zoo_dir), "generate", prompt, "--tier", "edge", "--policy", "reward",
                 "--threshold", "0.5", "--max-new-tokens", "12"]) == 0
    out = capsys.readouterr().out
    assert "Q: Ava has 12 apples" in out
    assert "tokens 12 | cloud share" in out and "cache share" in out and "tok/s" in out


def test_generate_without_a_calibrated_threshold_is_a_clear_error(tiny_zoo_dir, tmp_path, capsys):
    import shutil

    zoo = tmp_path / "zoo"
    shutil.copytree(tiny_zoo_dir, zoo)
    shutil.rmtree(zoo / "edge" / "reward-cloud")
    assert main(["--zoo", str(zoo), "generate", "Q: x\\nA:", "--policy", "reward"]) == 2
    assert "fedhybrid calibrate" in capsys.readouterr().err


def test_demo_writes_a_report(tiny_zoo_dir, tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["--zoo", str(tiny_zoo_dir), "demo", "--engine", "inprocess", "--rounds", "2", "--out", str(out),
                 "--queries-per-round", "2", "--release-k", "2"]) == 0
    report = (out / "report.md").read_text()
    assert "## Headline" in report and "| round | tier |" in report and "Sample token stream" in report
    for png in ("cloud_share.png", "cache_share.png", "accuracy.png", "cost_reduction.png", "release.png",
                "sample_stream.png"):
        assert (out / png).stat().st_size > 1000
    rows = json.loads((out / "report.json").read_text())["rows"]
    assert {r["tier"] for r in rows} == {"client", "edge", "iot", "all"}
    assert all("cost_reduction" in r and "accuracy_cloud_only" in r for r in rows)
    assert "fleet, all tiers, per round" in capsys.readouterr().out


def test_demo_help_explains_every_knob(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    text = capsys.readouterr().out
    for flag in ("--rounds", "--engine", "--out", "--fleet-tiers", "--queries-per-round", "--threshold",
                 "--release-k", "--private-fraction", "--local-steps", "--dp-epsilon", "--seed", "--cloud-url",
                 "--resume"):
        assert flag in text


def test_calibrate_retarget_reuses_the_head_and_moves_tau(tiny_zoo_dir, tmp_path, capsys):
    import shutil

    from inference.reward_head import RewardHead

    zoo = tmp_path / "zoo"
    shutil.copytree(tiny_zoo_dir, zoo)
    head_dir = zoo / "edge" / "reward-cloud"
    before = (head_dir / "head.safetensors").read_bytes()
    assert main(["--zoo", str(zoo), "calibrate", "--retarget", "--target-cloud-share", "0.5"]) == 0
    assert (head_dir / "head.safetensors").read_bytes() == before  # the head itself is kept
    _, meta = RewardHead.load(head_dir)
    assert meta["target"]["cloud_share"] == 0.5 and "heldout_share" in meta["target"]
    assert "target 50.0%" in capsys.readouterr().out
