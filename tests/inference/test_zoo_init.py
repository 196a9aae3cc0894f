"""`fedhybrid zoo init`: a zoo of the user's own models and tokenizer, for `--zoo`. A newcomer's
own Llama pair could not be served (`device serve` held every model to the shipped zoo's
tokenizer) until they wrote a manifest by hand."""

from __future__ import annotations

import shutil

import pytest

from fedhybrid.cli import main
from inference.model_identity import folder_identity
from inference.runtime import load_head
from inference.zoo import Zoo, load_causal_lm
from tests.inference.byo_models import byo_tokenizer, save_byo
from workloads import wordmath

PROMPT = wordmath.generate("heldout", 1, seed=3)[0].prompt


# calibration prompts are whole word problems: a corpus of them, and a context that holds them
CORPUS = [p.text for p in wordmath.generate("train", 100, seed="zoo-init")]


def _tokenizer(size: int):
    return byo_tokenizer(size, CORPUS)


def _save(folder, tok, hidden: int, seed: int):
    return save_byo(folder, tok, hidden, seed, positions=1024)


@pytest.fixture
def mine(tmp_path):
    tok = _tokenizer(300)
    return _save(tmp_path / "my-dev", tok, 32, 1), _save(tmp_path / "my-cloud", tok, 64, 2)


def test_a_zoo_of_the_users_models_serves_with_their_tokenizer(mine, tmp_path, capsys):
    device, cloud = mine
    # a head the user calibrated for their own pair travels with the device model, renamed for the zoo's cloud
    assert main(["calibrate", "--device", str(device), "--cloud", str(cloud), "--train-problems", "4",
                 "--calib-problems", "2", "--grid", "2", "--target-cloud-share", "0.2"]) == 0
    out = tmp_path / "zoo"
    assert main(["zoo", "init", "--out", str(out), "--cloud", str(cloud), "--device", str(device)]) == 0
    zoo = Zoo(out)
    assert zoo.tiers == {"cloud": "cloud", "client": "client", "edge": "client", "iot": "client"}
    assert main(["--zoo", str(out), "zoo", "verify"]) == 0
    # what device serve loads: the tier's model held to the zoo's (the user's) tokenizer
    model, tok = load_causal_lm("edge", zoo, expected_tokenizer_hash=zoo.tokenizer_hash)
    assert len(tok) == 300 and zoo.manifest["vocab_size"] == 300
    load_head(zoo.path("edge"), "cloud", zoo, "cloud", folder_identity, device_model=model)  # it fits
    capsys.readouterr()
    assert main(["--zoo", str(out), "generate", PROMPT, "--tier", "edge", "--policy", "reward",
                 "--max-new-tokens", "4"]) == 0, capsys.readouterr().err


def test_models_of_another_tokenizer_are_refused_and_nothing_is_written(mine, tmp_path, capsys):
    device, cloud = mine
    other = _save(tmp_path / "other-dev", _tokenizer(280), 32, 3)
    out = tmp_path / "zoo"
    assert main(["zoo", "init", "--out", str(out), "--cloud", str(cloud), "--device", str(device),
                 "--iot", str(other)]) == 2
    err = capsys.readouterr().err
    assert "has another tokenizer" in err and str(other) in err, err
    assert not out.exists() and not list(tmp_path.glob(".zoo*"))
    assert main(["zoo", "init", "--out", str(out), "--cloud", str(cloud)]) == 2
    assert "no model for the client tier: give --device FOLDER" in capsys.readouterr().err
    out.mkdir()
    assert main(["zoo", "init", "--out", str(out), "--cloud", str(cloud), "--device", str(device)]) == 2
    assert "exists: give --out a new folder" in capsys.readouterr().err
    shutil.rmtree(out)


def test_a_federation_on_a_zoo_without_heads_names_the_calibrate_command(mine, tmp_path):
    """fed run on a fresh zoo said only "no reward head in ...: run `fedhybrid calibrate` for this
    device/cloud pair": without the zoo, the model or a way to avoid it (fed run has no --policy)."""
    from fleet.config import FederationConfig
    from server.app import build_federation
    from server.errors import ServerError

    device, cloud = mine
    out = tmp_path / "zoo"
    assert main(["zoo", "init", "--out", str(out), "--cloud", str(cloud), "--device", str(device)]) == 0
    cfg = FederationConfig(fleet_tiers=("edge",), zoo=str(out), secure=False, state_dir=str(tmp_path / "state"))
    with pytest.raises(ServerError, match=rf"`fedhybrid --zoo {out} calibrate --device client --cloud cloud "):
        build_federation(cfg)
    assert "--set threshold=0.5" in str(pytest.raises(ServerError, build_federation, cfg).value)


def test_an_unsealed_federation_says_release_k_counts_claimed_devices(mine, tmp_path, caplog):
    """A reviewer merged unsealed deltas claiming five device names from one node: without keys the
    k rule trusts every node, which a run now says at its start."""
    import logging

    from fleet.config import FederationConfig
    from server.app import build_federation

    device, cloud = mine
    out = tmp_path / "zoo"
    assert main(["zoo", "init", "--out", str(out), "--cloud", str(cloud), "--device", str(device)]) == 0
    caplog.set_level(logging.WARNING, "fedhybrid.server")
    for secure in (False, True):
        build_federation(FederationConfig(fleet_tiers=("edge",), zoo=str(out), secure=secure, threshold=0.5,
                                          state_dir=str(tmp_path / f"state-{secure}")))
    assert caplog.text.count("release-k=5 then counts claimed devices") == 1
