"""Model folders a user brings: a damaged folder is a ZooError naming the file and the fix."""

from __future__ import annotations

import json

import pytest

from inference.errors import ZooError
from inference.zoo import load_causal_lm
from tests.inference.byo_models import byo_tokenizer, save_byo


def test_byo_truncated_weights_are_a_zoo_error_naming_the_file(tmp_path):
    folder = save_byo(tmp_path / "device", byo_tokenizer())
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:5])
    with pytest.raises(ZooError) as err:
        load_causal_lm(folder)
    assert f"{weights} cannot be read" in str(err.value) and "truncated or damaged" in str(err.value)
    assert "save_pretrained" in str(err.value)


def test_byo_eval_on_a_truncated_device_exits_2(tiny_zoo_dir, tmp_path, capsys):
    from fedhybrid.cli import main

    folder = save_byo(tmp_path / "device", byo_tokenizer())
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    workload = tmp_path / "w.jsonl"
    workload.write_text(json.dumps({"prompt": "Q: 1?\nA:"}) + "\n")
    assert main(["--zoo", str(tiny_zoo_dir), "eval", "--workload", str(workload), "--device", str(folder),
                 "--policies", "confidence", "--out", str(tmp_path / "eval")]) == 2
    err = capsys.readouterr().err
    assert f"{weights} cannot be read" in err and "internal error" not in err


def test_byo_folder_without_tokenizer_json_names_the_fix(tmp_path):
    folder = save_byo(tmp_path / "device", byo_tokenizer())
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ZooError) as err:
        load_causal_lm(folder)
    assert str(err.value) == (f"tokenizer.json is missing in {folder}: save the tokenizer with save_pretrained "
                              "beside the model")
