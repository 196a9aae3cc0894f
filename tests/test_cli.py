import json

from fedhybrid.cli import main


def test_zoo_verify_and_show(tiny_zoo_dir, capsys):
    assert main(["--zoo", str(tiny_zoo_dir), "zoo", "verify"]) == 0
    out = capsys.readouterr().out
    assert "edge: ok" in out and "cloud: ok" in out
    assert main(["--zoo", str(tiny_zoo_dir), "zoo", "show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["tiers"]["iot"] == "edge"


def test_zoo_verify_names_every_damaged_part_not_only_the_first(tiny_zoo_dir, tmp_path, capsys):
    """Two models damaged and a reward head truncated: all three are named (verify used to stop at
    the first model, and never looked at the heads, which the manifest does not hash)."""
    import shutil

    zoo = tmp_path / "zoo"
    shutil.copytree(tiny_zoo_dir, zoo)
    (zoo / "edge" / "config.json").write_text("{}")
    (zoo / "cloud" / "model.safetensors").unlink()
    head = next((zoo / "client").glob("reward-*")) / "head.safetensors"
    head.write_bytes(head.read_bytes()[:20])
    assert main(["--zoo", str(zoo), "zoo", "verify"]) == 2
    captured = capsys.readouterr()
    lines = {line.split(":", 1)[0]: line for line in captured.out.splitlines()}
    assert "is corrupt" in lines["edge"] and "is missing" in lines["cloud"]
    assert f"{head.parent.name}: reward head in" in lines["client"] and "run `fedhybrid calibrate` again" in lines["client"]
    assert f"3 of the zoo's parts failed the check (client/{head.parent.name}, cloud, edge)" in captured.err
    assert main(["--zoo", str(tiny_zoo_dir), "zoo", "verify"]) == 0
    assert f"client: ok (5 files); {head.parent.name} loads" in capsys.readouterr().out


def test_missing_zoo_is_a_one_line_error_not_a_traceback(tmp_path, capsys):
    assert main(["--zoo", str(tmp_path / "nowhere"), "zoo", "verify"]) == 2
    err = capsys.readouterr().err
    assert "no zoo manifest" in err and f"`fedhybrid zoo build --out {tmp_path / 'nowhere'}`" in err
    assert "the shipped zoo is" in err  # a typo in --zoo is the likelier cause than a missing zoo
    assert "Traceback" not in err


def test_bench_models_prints_a_table_and_writes_json(tiny_zoo_dir, tmp_path, capsys):
    out_json = tmp_path / "models.json"
    assert main(["--zoo", str(tiny_zoo_dir), "bench", "models", "--problems", "4",
                 "--json", str(out_json)]) == 0
    rows = json.loads(out_json.read_text())
    assert [r["name"] for r in rows] == ["edge", "client", "cloud"]
    for row in rows:
        assert {"name", "params", "bytes", "wordmath_acc", "paraphrase_acc", "pycode_loss", "decode_tok_s"} <= set(row)
        assert 0 <= row["wordmath_acc"] <= 1 and 0 <= row["paraphrase_acc"] <= 1 and row["decode_tok_s"] > 0 and row["bytes"] > 0
    assert "zoo models" in capsys.readouterr().out


def test_bench_sync_measures_the_ledger_both_ways_on_the_same_deltas(tiny_zoo_dir, tmp_path, capsys):
    out_json = tmp_path / "sync.json"
    assert main(["--zoo", str(tiny_zoo_dir), "bench", "sync", "--devices", "3", "--entries", "200",
                 "--ledger-devices", "50", "--ledger-rounds", "6", "--json", str(out_json)]) == 0
    pairs, runs = json.loads(out_json.read_text())["ledger"]
    assert pairs["ledger"].startswith("pairs") and runs["ledger"].startswith("runs")
    assert pairs["deltas"] == runs["deltas"] == 300
    # a snapshot holds one run per device instead of one pair per device and round (bytes, not time)
    assert runs["snapshot_mb"] * 3 < pairs["snapshot_mb"]
    assert "ledger of merged deltas" in capsys.readouterr().out
    # a bad flag value is one line and exit 2 (it was a bare SystemExit: exit 1, no prefix)
    assert main(["--zoo", str(tiny_zoo_dir), "bench", "sync", "--ledger-rounds", "-1"]) == 2
    assert "fedhybrid bench sync: error: --ledger-devices must be >= 1 and --ledger-rounds >= 0" in \
        capsys.readouterr().err


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
    import pytest

    out = tmp_path / "demo"
    assert main(["--zoo", str(tiny_zoo_dir), "demo", "--engine", "inprocess", "--rounds", "2", "--out", str(out),
                 "--queries-per-round", "2", "--release-k", "2"]) == 0
    report = (out / "report.md").read_text()
    assert "## Headline" in report and "| round | tier |" in report and "Sample token stream" in report
    assert "## Goals" in report and "## The chain" in report
    for png in ("cloud_share.png", "cache_share.png", "accuracy.png", "cost_reduction.png", "release.png",
                "sample_stream.png", "chain.png"):
        assert (out / png).stat().st_size > 1000
    saved = json.loads((out / "report.json").read_text())
    rows = saved["rows"]
    assert {r["tier"] for r in rows} == {"client", "edge", "iot", "all"}
    assert all("cost_reduction" in r and "accuracy_cloud_only" in r for r in rows)
    # 95% intervals from every device's per-query outcomes, each holding its point
    for r in rows:
        for figure in ("cloud_share", "local_cache_share", "accuracy"):
            ci = r["ci"][figure]
            assert ci["low"] <= ci["point"] <= ci["high"]
        assert r["ci"]["cloud_share"]["point"] == pytest.approx(r["cloud_share"])
    # a 2-round run: the round-1 goal is judged, the round-10 goals are not evaluated
    assert [g["verdict"] in ("met", "not met", "undecided") for g in saved["goals"]] == [True] + [False] * 4
    out_text = capsys.readouterr().out
    assert "fleet, all tiers, per round" in out_text and "goals" in out_text


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


def test_global_options_work_after_the_sub_command(tiny_zoo_dir, tmp_path, capsys):
    assert main(["zoo", "verify", "--zoo", str(tiny_zoo_dir)]) == 0
    assert "edge: ok" in capsys.readouterr().out
    assert main(["zoo", "verify", "--zoo", str(tmp_path / "nowhere")]) == 2
    assert "no zoo manifest" in capsys.readouterr().err


def test_user_mistakes_are_one_line_with_exit_2_and_a_traceback_only_with_debug(tiny_zoo_dir, capsys):


    cases = [(["generate", "", "--zoo", str(tiny_zoo_dir)], "the prompt is empty"),
             (["generate", "Q: x " * 2000 + "\\nA:", "--policy", "slm-only", "--zoo", str(tiny_zoo_dir)],
              "context holds"),
             (["generate", "Q: x\\nA:", "--policy", "confidence", "--zoo", str(tiny_zoo_dir)], "needs --threshold"),
             (["generate", "Q: x\\nA:", "--policy", "slm-only", "--loop-stop", "3", "--zoo", str(tiny_zoo_dir)],
              "loop_stop=3: use 0 (off) or at least 8"),
             (["device", "serve", "--device", "edge-9", "--loop-stop", "5", "--zoo", str(tiny_zoo_dir)],
              "--loop-stop 5: use 0 (off) or at least 8"),
             (["fleet", "down", "--workdir", "/nonexistent/fleet"], "fleet up")]
    for argv, expected in cases:
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        lines = [line for line in captured.err.splitlines() if line.strip()]
        assert len(lines) == 1 and expected in lines[0] and "Traceback" not in captured.err, captured.err
        assert "Q: x" not in captured.out  # nothing was printed before the check
    # --debug adds the traceback and keeps the line and the exit code (a script's `case $?` still holds)
    assert main(["generate", "", "--zoo", str(tiny_zoo_dir), "--debug"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback") and "InferenceError" in err
    assert err.splitlines()[-1].startswith("fedhybrid generate: error: ")


def test_damaged_federation_state_is_a_clear_error_naming_the_file(tiny_zoo_dir, tmp_path, capsys):
    state = tmp_path / "state"
    (state / "server").mkdir(parents=True)
    (state / "server" / "LATEST").write_text("garbage")
    code = main(["--zoo", str(tiny_zoo_dir), "fed", "run", "--engine", "inprocess", "--rounds", "1",
                 "--state-dir", str(state), "--set", "queries-per-round=1", "--set", "max-new-tokens=8"])
    err = capsys.readouterr().err
    assert code == 2 and "LATEST" in err and "Traceback" not in err


def test_fed_run_reports_every_round_when_old_rounds_live_in_their_details_files(tiny_zoo_dir, tmp_path,
                                                                              capsys, monkeypatch):
    from server import round_log
    from server.state import ServerState

    monkeypatch.setattr(round_log, "DETAIL_ROUNDS", 1)
    state, out = tmp_path / "state", tmp_path / "rows.json"
    assert main(["--zoo", str(tiny_zoo_dir), "fed", "run", "--engine", "inprocess", "--rounds", "2",
                 "--state-dir", str(state), "--set", "queries-per-round=1", "--set", "max-new-tokens=8",
                 "--json", str(out)]) == 0
    saved = ServerState.load_latest(state)
    assert [r.get("details", False) for r in saved.history] == [True, False] and "nodes" not in saved.history[0]
    rows = json.loads(out.read_text())["rows"]
    by_round = {(r["round"], r["tier"]): r["nodes"] for r in rows}
    assert by_round[(1, "all")] == by_round[(2, "all")] == len(saved.history[1]["nodes"]) > 0


def test_generate_local_only_never_asks_the_cloud(tiny_zoo_dir, capsys):
    prompt = "Q: Ava has 12 apples. She buys 5 more apples at the shop. How many apples does Ava have now?\\nA:"
    assert main(["--zoo", str(tiny_zoo_dir), "generate", prompt, "--policy", "cloud-only", "--privacy", "local-only",
                 "--max-new-tokens", "8"]) == 0
    assert "cloud share 0.0%" in capsys.readouterr().out


def test_a_taken_port_is_a_one_line_error_before_any_model_loads(tiny_zoo_dir, tmp_path, capsys):
    """`device serve` and `cloud serve` bind before loading models: a port another server holds
    is exit 2 with the address and the flag to change, not uvicorn's errno line and exit 1
    after the command said it was serving."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        for argv in (["device", "serve", "--device", "edge-9", "--port", port, "--state-dir", str(tmp_path / "a")],
                     ["cloud", "serve", "--port", port]):
            assert main(["--zoo", str(tiny_zoo_dir), *argv]) == 2, argv
            captured = capsys.readouterr()
            lines = [line for line in captured.err.splitlines() if line.strip()]
            assert len(lines) == 1 and f"127.0.0.1:{port} is already in use" in lines[0], captured.err
            assert "--port" in lines[0] and "serving" not in captured.out
        assert not (tmp_path / "a").exists()  # nothing of the agent was set up


def test_a_bad_demo_setting_keeps_the_previous_demos_state(tiny_zoo_dir, tmp_path, capsys):
    """The demo starts fresh by deleting OUT/state: it did so before checking its settings, so
    a typo cost the user the last run's state."""
    previous = tmp_path / "demo" / "state" / "round-0003.bin"
    previous.parent.mkdir(parents=True)
    previous.write_bytes(b"the last demo")
    assert main(["--zoo", str(tiny_zoo_dir), "demo", "--out", str(tmp_path / "demo"), "--engine", "inprocess",
                 "--release-k", "0"]) == 2
    assert "release-k=0 must be >= 1" in capsys.readouterr().err
    assert previous.read_bytes() == b"the last demo"


def test_a_malformed_hop_is_exit_2_before_any_model_loads(capsys):
    import pytest

    for argv in (["generate", "Q: x\\nA:", "--hop", "client=127.0.0.1:8231"],
                 ["device", "serve", "--device", "e", "--hop", "client=http://h:1,confidence=2"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2, argv
        err = capsys.readouterr().err.splitlines()[-1]
        assert "error: argument --hop:" in err and ("needs its scheme: client=http://127.0.0.1:8231" in err
                                                     or "confidence must lie" in err), err


def test_generate_holds_temperature_to_the_apis_range(capsys):
    """`generate --temperature 5` ran, where the serving API refuses anything above 2."""
    import pytest

    for bad in ("5", "-0.1", "nan", "warm"):
        with pytest.raises(SystemExit) as exit_:
            main(["generate", "Q: x\nA:", "--temperature", bad])
        assert exit_.value.code == 2
        assert "argument --temperature:" in capsys.readouterr().err.splitlines()[-1]


def test_every_option_has_help_and_says_its_default(capsys):
    """A newcomer reads the defaults in --help: every option of every command has a help text,
    and one with a default names it once (written in the text, else appended)."""
    import argparse
    import re

    import pytest

    from fedhybrid.cli import _leaves, build_parser

    for leaf in _leaves(build_parser()):
        for action in leaf._actions:
            if not action.option_strings or action.help == argparse.SUPPRESS:
                continue
            assert action.help, (leaf.prog, action.option_strings)
            if action.default not in (None, argparse.SUPPRESS, [], True, False):
                shown = leaf.formatter_class(leaf.prog)._get_help_string(action)
                assert len(re.findall("default", shown, re.IGNORECASE)) == 1, (leaf.prog, action.option_strings, shown)
    with pytest.raises(SystemExit):
        main(["device", "serve", "--help"])
    assert "(default: 8100)" in " ".join(capsys.readouterr().out.split())


def test_every_command_documents_its_exit_codes(capsys):
    import pytest

    for argv in (["--help"], ["generate", "--help"], ["device", "serve", "--help"], ["fleet", "traffic", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = capsys.readouterr().out
        assert "exit codes:" in out and "130" in out, argv
