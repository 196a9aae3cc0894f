"""A reward head a user calibrated for their own cloud model is found when that model is served
(`--cloud-url`), and a head is refused for a device model it was not made for.

Before: with --cloud-url every command looked for `reward-cloud` (the zoo cloud's head), so the
head `calibrate --cloud my-cloud` wrote to `reward-my-cloud` was never found and the fix printed
could not run; a head beside another device model failed every request (another width, exit 3 or
a 500 per request) or scored states it never saw (same width)."""

from __future__ import annotations

import json
import shutil

import pytest

from fedhybrid.cli import main
from inference.errors import InferenceError
from inference.model_identity import folder_identity
from inference.runtime import DEVICE_IDENTITY, load_head, remote_head_name
from inference.zoo import Zoo, load_causal_lm
from serving.cloud_engine import CloudEngine
from serving.cloud_server import create_cloud_app
from serving.http_app import HttpConfig
from serving.prefix_engine import PrefixEngine

PROMPT = "Q: Ava has 12 apples. She buys 5 more apples at the shop. How many apples does Ava have now?\\nA:"


def _copy_model(src, dst):
    dst.mkdir(parents=True)
    for f in src.iterdir():
        if f.is_file():
            shutil.copy(f, dst / f.name)
    return dst


@pytest.fixture
def calibrated(tiny_zoo_dir, tmp_path):
    """(device folder, cloud folder): a copy of the zoo's edge model calibrated against a copy of
    its cloud in a folder named `big-cloud`, so the head is `reward-big-cloud`."""
    device = _copy_model(tiny_zoo_dir / "edge", tmp_path / "my-edge")
    cloud = _copy_model(tiny_zoo_dir / "cloud", tmp_path / "big-cloud")
    assert main(["--zoo", str(tiny_zoo_dir), "calibrate", "--device", str(device), "--cloud", str(cloud),
                 "--train-problems", "4", "--calib-problems", "2", "--grid", "2", "--target-cloud-share", "0.2"]) == 0
    assert (device / "reward-big-cloud" / "head.json").is_file() and not (device / "reward-cloud").exists()
    return device, cloud


def test_the_head_calibrated_for_the_served_model_is_found(tiny_zoo_dir, calibrated, serve_app, tmp_path, capsys):
    device, cloud = calibrated
    zoo = Zoo(tiny_zoo_dir)
    model, tok = load_causal_lm(str(cloud), zoo)
    engine = CloudEngine(PrefixEngine(model), tok, "big-cloud", model_identity=folder_identity(cloud))
    workload = tmp_path / "w.jsonl"
    workload.write_text(json.dumps({"prompt": "Q: 1 + 2?\nA:", "answer": "3"}) + "\n")
    try:
        with serve_app(create_cloud_app(engine, HttpConfig())) as url:
            capsys.readouterr()
            assert main(["--zoo", str(tiny_zoo_dir), "generate", PROMPT, "--tier", str(device), "--policy", "reward",
                         "--max-new-tokens", "4", "--cloud-url", url]) == 0, capsys.readouterr().err
            assert main(["--zoo", str(tiny_zoo_dir), "eval", "--workload", str(workload), "--device", str(device),
                         "--cloud-url", url, "--policies", "reward", "--max-new-tokens", "4",
                         "--out", str(tmp_path / "eval")]) == 0, capsys.readouterr().err
            # a remote cost includes the server's prefix cache: the table says so (94.2% read as the policy's)
            assert "cost_cut here includes its cache" in capsys.readouterr().out
    finally:
        engine.close()
    # what device serve does before its first call (the card unread): the only head there
    assert remote_head_name(device, "cloud", None, zoo, folder_identity) == "big-cloud"
    # a card naming the model, or reporting its identity, picks it among several
    _copy_model(device / "reward-big-cloud", device / "reward-cloud")
    assert remote_head_name(device, "cloud", None, zoo, folder_identity) == "cloud"
    assert remote_head_name(device, "cloud", {"id": "/models/big-cloud"}, zoo, folder_identity) == "big-cloud"
    assert remote_head_name(device, "cloud", {"id": "x", "model_identity": folder_identity(cloud)}, zoo,
                            folder_identity) in ("big-cloud", "cloud")  # both copies were calibrated for it


def test_a_head_beside_another_device_model_is_refused(tiny_zoo_dir, calibrated, tmp_path, capsys):
    device, _ = calibrated
    zoo = Zoo(tiny_zoo_dir)
    # the same width, another model (its config changed): the recorded identity tells them apart
    other = _copy_model(device, tmp_path / "other-edge")
    config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "note": "retrained"}))
    shutil.copytree(device / "reward-big-cloud", other / "reward-big-cloud")
    model, _ = load_causal_lm(str(other), zoo)
    with pytest.raises(InferenceError, match="calibrated on another device model") as err:
        load_head(other, "big-cloud", zoo, identify=folder_identity, device_model=model)
    assert folder_identity(device)[:12] in str(err.value) and f"fedhybrid calibrate --device {other}" in str(err.value)
    mine, _ = load_causal_lm(str(device), zoo)
    _, meta = load_head(device, "big-cloud", zoo, identify=folder_identity, device_model=mine)
    assert meta[DEVICE_IDENTITY] == folder_identity(device)
    # another width: refused at load with both sizes, not a failure per request (the zoo's client is wider)
    wide = _copy_model(tiny_zoo_dir / "client", tmp_path / "wide")
    shutil.copytree(tiny_zoo_dir / "edge" / "reward-cloud", wide / "reward-cloud")
    assert main(["--zoo", str(tiny_zoo_dir), "generate", PROMPT, "--tier", str(wide), "--policy", "reward",
                 "--max-new-tokens", "4"]) == 2
    err = capsys.readouterr().err
    assert "reads hidden states of" in err and "it was made for another model" in err, err
