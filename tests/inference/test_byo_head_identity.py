"""A reward head is for one cloud model, not for any cloud folder of its name."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from fedhybrid.cli import main
from inference.errors import InferenceError
from inference.model_identity import folder_identity
from inference.reward_head import RewardHead
from inference.runtime import CLOUD_IDENTITY, load_head
from inference.tokenizer import load_tokenizer
from inference.zoo import Zoo


def _other_cloud(folder, zoo_dir):
    """Another model, with the zoo's tokenizer, in a folder named `cloud`."""
    tok = load_tokenizer(zoo_dir / "cloud")
    torch.manual_seed(5)
    LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                 num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                                 eos_token_id=tok.eos_token_id, bos_token_id=tok.eos_token_id)
                     ).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def _workload(path):
    path.write_text(json.dumps({"prompt": "Q: 1 + 2?\nA:"}) + "\n")
    return path


def test_byo_zoo_head_is_refused_for_another_cloud_with_its_folder_name(tiny_zoo_dir, tmp_path, capsys):
    other = _other_cloud(tmp_path / "x" / "cloud", tiny_zoo_dir)
    zoo = Zoo(tiny_zoo_dir)
    head_file = tiny_zoo_dir / "edge" / "reward-cloud" / "head.json"
    before = head_file.read_bytes()
    load_head(zoo.path("edge"), "cloud", zoo, "cloud", folder_identity)  # the zoo's pair, as before
    assert main(["--zoo", str(tiny_zoo_dir), "eval", "--workload", str(_workload(tmp_path / "w.jsonl")),
                 "--device", "edge", "--cloud", str(other), "--out", str(tmp_path / "eval")]) == 2
    err = capsys.readouterr().err
    assert "calibrated for another cloud model" in err and "the zoo's own cloud model" in err
    assert f"fedhybrid calibrate --device {zoo.path('edge')} --cloud {other}" in err
    # calibrating that pair would have replaced the zoo's head: refused, the head untouched
    assert main(["--zoo", str(tiny_zoo_dir), "calibrate", "--device", "edge", "--cloud", str(other),
                 "--train-problems", "4", "--calib-problems", "2", "--grid", "2"]) == 2
    err = capsys.readouterr().err
    assert "holds the zoo's reward head for its own cloud model" in err and "cp -r" in err
    assert head_file.read_bytes() == before


def test_byo_calibrate_records_the_cloud_and_its_head_refuses_another(tiny_zoo_dir, tmp_path, capsys):
    device = tmp_path / "dev"
    device.mkdir()
    for f in (tiny_zoo_dir / "edge").iterdir():
        if f.is_file():
            shutil.copy(f, device / f.name)
    mine = tmp_path / "a" / "cloud"
    shutil.copytree(tiny_zoo_dir / "cloud", mine)
    other = _other_cloud(tmp_path / "b" / "cloud", tiny_zoo_dir)
    zoo = ["--zoo", str(tiny_zoo_dir)]
    assert main([*zoo, "calibrate", "--device", str(device), "--cloud", str(mine), "--train-problems", "4",
                 "--calib-problems", "2", "--grid", "2"]) == 0
    _, meta = RewardHead.load(device / "reward-cloud")
    assert meta[CLOUD_IDENTITY] == folder_identity(mine)
    load_head(device, "cloud", Zoo(tiny_zoo_dir), str(mine), folder_identity)  # the cloud it was calibrated for
    with pytest.raises(InferenceError) as err:
        load_head(device, "cloud", Zoo(tiny_zoo_dir), str(other), folder_identity)
    assert folder_identity(mine)[:12] in str(err.value) and folder_identity(other)[:12] in str(err.value)
    assert "recorded at calibration" in str(err.value)
    assert main([*zoo, "eval", "--workload", str(_workload(tmp_path / "w.jsonl")), "--device", str(device),
                 "--cloud", str(other), "--out", str(tmp_path / "eval")]) == 2
    assert "calibrated for another cloud model" in capsys.readouterr().err


def test_byo_head_without_a_recorded_cloud_is_accepted_as_before(tmp_path):
    from inference.reward_head import RewardHeadConfig

    # a head written before the cloud was recorded, beside a model of the user's: its cloud is unknown
    RewardHead(RewardHeadConfig(hidden_size=4)).save(tmp_path / "dev" / "reward-cloud", extra={"table": []})
    (tmp_path / "cloud").mkdir()
    (tmp_path / "cloud" / "config.json").write_text("{}")
    _, meta = load_head(tmp_path / "dev", "cloud", None, str(tmp_path / "cloud"), folder_identity)
    assert CLOUD_IDENTITY not in meta
