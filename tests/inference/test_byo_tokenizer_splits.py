"""A cloud whose tokenizer splits text otherwise than its device's is refused, even with one
vocabulary (one tokenizer hash)."""

from __future__ import annotations

import json

import pytest

from inference.errors import TokenizerMismatchError
from inference.tokenizer import tokenizer_hash
from inference.zoo import load_causal_lm
from tests.inference.byo_models import byo_tokenizer, save_byo


def _digits_split(folder):
    """Re-save the folder's tokenizer with every digit its own piece: one vocabulary, other splits."""
    path = folder / "tokenizer.json"
    spec = json.loads(path.read_text())
    spec["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True}, spec["pre_tokenizer"]]}
    path.write_text(json.dumps(spec))
    return folder


def test_byo_cloud_splitting_text_otherwise_is_refused_with_the_probe_and_both_ids(tmp_path):
    tok = byo_tokenizer()
    device = save_byo(tmp_path / "device", tok)
    cloud = _digits_split(save_byo(tmp_path / "cloud", tok, hidden=64, seed=1))
    _, device_tok = load_causal_lm(device)
    _, cloud_tok = load_causal_lm(cloud)
    assert tokenizer_hash(cloud_tok) == tokenizer_hash(device_tok)  # the hash alone cannot tell them apart
    with pytest.raises(TokenizerMismatchError) as err:
        load_causal_lm(cloud, expected_tokenizer=device_tok, expected_from=f"the device model {device}")
    probe = "Q: What is 12 + 5?\nA: 17"
    message = str(err.value)
    assert repr(probe) in message
    assert str(cloud_tok(probe)["input_ids"]) in message and str(device_tok(probe)["input_ids"]) in message
    load_causal_lm(device, expected_tokenizer=device_tok)  # a tokenizer that splits alike passes


def test_byo_eval_refuses_a_cloud_that_splits_text_otherwise(tiny_zoo_dir, tmp_path, capsys):
    from fedhybrid.cli import main

    tok = byo_tokenizer()
    device = save_byo(tmp_path / "device", tok)
    cloud = tmp_path / "cloud"
    _digits_split(save_byo(cloud, tok, hidden=64, seed=1))
    workload = tmp_path / "w.jsonl"
    workload.write_text(json.dumps({"prompt": "Q: What is 12 + 5?\nA:"}) + "\n")
    assert main(["--zoo", str(tiny_zoo_dir), "eval", "--workload", str(workload), "--device", str(device),
                 "--cloud", str(cloud), "--policies", "confidence", "--out", str(tmp_path / "eval")]) == 2
    err = capsys.readouterr().err
    assert "splits text otherwise than the device model" in err and "'Q: What is 12 + 5?\\nA: 17'" in err
