"""Commands a user copies from a message name the user's own flags, and a flag given beside
`--set` for the same key wins with a notice naming both (fed run, bench fed --nodes)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from fedhybrid import engines
from fedhybrid.cli import main
from fleet.errors import FleetError

# -- eval's calibrate command ---------------------------------------------------------------------


def _eval_args(**over) -> argparse.Namespace:
    return argparse.Namespace(**{"zoo": Path("/data/my zoo"), "device": "my-models/edge v2", "cloud": "cloud", **over})


def test_eval_names_the_calibrate_command_of_the_users_device_and_cloud():
    from fedhybrid.commands.evaluate import calibrate_command
    from fedhybrid.workload_eval import EvalConfig, configurations
    from inference.errors import InferenceError

    command = calibrate_command(_eval_args())
    assert command == "fedhybrid calibrate --zoo '/data/my zoo' --device 'my-models/edge v2' --cloud cloud"
    assert calibrate_command(_eval_args(zoo=None, device="edge", cloud="client")) == \
        "fedhybrid calibrate --device edge --cloud client"
    with pytest.raises(InferenceError) as exc:
        configurations(EvalConfig(policies=("reward",)), {"target": {"tau": 0.5}}, command)
    assert f"run `{command}`, pass --thresholds" in str(exc.value)
    assert "--device D" not in str(exc.value) and "--cloud C" not in str(exc.value)


def test_evaluate_passes_the_calibrate_command_on_before_decoding_anything():
    from fedhybrid.workload_eval import EvalConfig, evaluate
    from inference.errors import InferenceError
    from inference.tokenizer import train_tokenizer
    from workloads.graders import Grader
    from workloads.requests import Request

    tokenizer = train_tokenizer(["Q: 2+2?\nA: 4"] * 10, vocab_size=300)
    config = SimpleNamespace(max_position_embeddings=512)
    decoder = SimpleNamespace(device=SimpleNamespace(model=SimpleNamespace(config=config)),
                              generate=lambda *a, **k: pytest.fail("decoded before the configurations were checked"))
    with pytest.raises(InferenceError, match=r"run `fedhybrid calibrate --device edge --cloud client`"):
        evaluate(decoder, tokenizer, [Request("1", "Q: 2+2?\nA:", answer="4")], Grader(),
                 EvalConfig(policies=("reward",)), head_meta={}, calibrate="fedhybrid calibrate --device edge "
                                                                           "--cloud client")


# -- --zoo beside --set zoo=... -------------------------------------------------------------------


def _fed_args(tmp_path, *sets, **over) -> argparse.Namespace:
    return argparse.Namespace(**{"set": list(sets), "zoo": None, "rounds": None, "state_dir": tmp_path / "state",
                                 "workload": None, "workload_split": None, "columns": None, **over})


def test_zoo_flag_wins_over_set_zoo_with_a_notice_naming_both(tmp_path):
    from fedhybrid.run_config import build_run_config

    said: list[str] = []
    cfg = build_run_config(_fed_args(tmp_path, "zoo=/elsewhere/zoo", zoo=tmp_path / "zoo"), say=said.append)
    assert cfg["zoo"] == str((tmp_path / "zoo").resolve())
    assert said == [(f"note: --zoo {(tmp_path / 'zoo').resolve()} overrides --set zoo=/elsewhere/zoo (a flag wins "
                     "over --set for the same key): give one of them")]


def test_a_flag_and_set_that_agree_or_stand_alone_say_nothing(tmp_path, monkeypatch):
    from fedhybrid.run_config import build_run_config

    monkeypatch.chdir(tmp_path)
    said: list[str] = []
    cfg = build_run_config(_fed_args(tmp_path, "zoo=./zoo", "num-rounds=4", zoo=Path("zoo"), rounds=4),
                           say=said.append)
    assert said == [] and cfg["zoo"] == str(tmp_path / "zoo") and cfg["num-rounds"] == 4
    cfg = build_run_config(_fed_args(tmp_path, "zoo=other"), say=said.append)
    assert said == [] and cfg["zoo"] == str(tmp_path / "other")


def test_every_flag_of_fed_run_wins_over_its_set_key_with_a_notice(tmp_path):
    from fedhybrid.run_config import build_run_config

    said: list[str] = []
    cfg = build_run_config(_fed_args(tmp_path, "num-rounds=5", f"state-dir={tmp_path / 'b'}", rounds=3,
                                     state_dir=tmp_path / "a"), say=said.append)
    assert cfg["num-rounds"] == 3 and cfg["state-dir"] == str(tmp_path / "a")
    state_note = f"note: --state-dir {tmp_path / 'a'} overrides --set state-dir={tmp_path / 'b'}"
    assert [line.split(" (")[0] for line in said] == ["note: --rounds 3 overrides --set num-rounds=5", state_note]


def test_fed_run_says_which_zoo_it_runs_with(tmp_path, capsys, monkeypatch):
    seen = {}

    def engine(run_config, **kwargs):
        seen.update(run_config)
        raise FleetError("stopped by the test")

    monkeypatch.setattr(engines, "run_inprocess", engine)
    code = main(["--zoo", str(tmp_path / "zoo"), "fed", "run", "--engine", "inprocess", "--state-dir",
                 str(tmp_path / "state"), "--set", "zoo=/elsewhere/zoo"])
    err = capsys.readouterr().err
    assert code == 2 and seen["zoo"] == str((tmp_path / "zoo").resolve())
    assert f"note: --zoo {(tmp_path / 'zoo').resolve()} overrides --set zoo=/elsewhere/zoo" in err


def test_bench_fed_nodes_runs_with_the_zoo_flag_not_set_zoo(tmp_path, capsys, monkeypatch):
    from fedhybrid.bench import scale

    zoo = tmp_path / "zoo"
    zoo.mkdir()
    (zoo / "manifest.json").write_text(json.dumps({"schema": 1, "tiers": {}, "models": {}, "tokenizer_hash": "x"}))
    corpus = tmp_path / "corpus"
    (corpus / "edge").mkdir(parents=True)
    (corpus / "edge" / "edge-0-r1.msgpack").write_bytes(b"")
    seen = {}

    def run_sizes(run_cfg, *args):
        seen.update(run_cfg)
        raise FleetError("stopped by the test")

    monkeypatch.setattr(scale, "run_sizes", run_sizes)
    code = main(["--zoo", str(zoo), "bench", "fed", "--nodes", "2", "--corpus", str(corpus),
                 "--set", "zoo=/elsewhere/zoo", "--json", str(tmp_path / "b.json")])
    err = capsys.readouterr().err
    assert code == 2 and seen["zoo"] == str(zoo)
    assert f"note: --zoo {zoo} overrides --set zoo=/elsewhere/zoo" in err
