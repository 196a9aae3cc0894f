import json
import shutil

import pytest
import torch
from transformers import AutoModelForCausalLM

from inference.errors import TokenizerMismatchError, ZooError
from inference.tokenizer import check_same, tokenizer_hash, train_tokenizer
from inference.zoo import Zoo, load_causal_lm


def test_zoo_models_share_the_fleet_tokenizer_and_load_as_float32(tiny_zoo):
    assert set(tiny_zoo.tiers) == {"cloud", "client", "edge", "iot"}
    params = {}
    for tier in tiny_zoo.tiers:
        model, tok = load_causal_lm(tier, tiny_zoo)
        assert tokenizer_hash(tok) == tiny_zoo.tokenizer_hash
        assert next(model.parameters()).dtype == torch.float32
        params[tier] = sum(p.numel() for p in model.parameters())
    assert params["cloud"] > params["client"] > params["edge"] == params["iot"]
    # a zoo folder is a plain HF folder: from_pretrained without arguments gives float32
    plain = AutoModelForCausalLM.from_pretrained(str(tiny_zoo.path("edge")))
    assert next(plain.parameters()).dtype == torch.float32


def test_digits_are_single_tokens(tiny_zoo):
    _, tok = load_causal_lm("edge", tiny_zoo)
    pieces = [tok.decode([i]) for i in tok("has 1234 apples")["input_ids"]]
    assert [p.strip() for p in pieces if p.strip().isdigit()] == ["1", "2", "3", "4"]


def _copy(zoo_dir, tmp_path):
    dst = tmp_path / "zoo"
    shutil.copytree(zoo_dir, dst)
    return dst


def test_corrupt_zoo_file_names_the_file_and_the_rebuild_command(tiny_zoo_dir, tmp_path):
    root = _copy(tiny_zoo_dir, tmp_path)
    weights = root / "edge" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ZooError) as err:
        load_causal_lm("edge", Zoo(root))
    assert str(weights) in str(err.value) and "corrupt" in str(err.value)
    assert "fedhybrid zoo build" in str(err.value)
    # the other models are untouched and still load
    load_causal_lm("cloud", Zoo(root))


def test_missing_zoo_file_and_missing_manifest_are_clear_errors(tiny_zoo_dir, tmp_path):
    root = _copy(tiny_zoo_dir, tmp_path)
    (root / "cloud" / "config.json").unlink()
    with pytest.raises(ZooError, match=r"config\.json is missing.*fedhybrid zoo build"):
        load_causal_lm("cloud", Zoo(root))
    (root / "manifest.json").write_text("{not json")
    with pytest.raises(ZooError, match="not valid JSON"):
        Zoo(root)
    (root / "manifest.json").unlink()
    with pytest.raises(ZooError, match="no zoo manifest.*fedhybrid zoo build"):
        Zoo(root)
    with pytest.raises(ZooError, match="neither a tier"):
        Zoo(tiny_zoo_dir).path("satellite")


def test_tokenizer_mismatch_is_a_clear_error_at_load(tiny_zoo, tmp_path):
    other = train_tokenizer(["completely different text " * 50, "x = 1\n" * 50], 300)
    foreign = tmp_path / "foreign"
    model, _ = load_causal_lm("edge", tiny_zoo)
    model.save_pretrained(str(foreign))
    other.save_pretrained(str(foreign))
    with pytest.raises(TokenizerMismatchError, match="different tokenizer"):
        load_causal_lm(foreign, tiny_zoo, expected_tokenizer_hash=tiny_zoo.tokenizer_hash)
    # any HF folder with the fleet's tokenizer is accepted in place of a zoo model
    _model2, _tok2 = load_causal_lm(tiny_zoo.path("edge"), expected_tokenizer_hash=tiny_zoo.tokenizer_hash)
    with pytest.raises(TokenizerMismatchError):
        check_same(tiny_zoo.tokenizer_hash, other, "a model")


def test_partial_rebuild_keeps_other_models(tiny_zoo_dir, tmp_path):
    from training.zoo_build import TINY, build_zoo

    root = _copy(tiny_zoo_dir, tmp_path)
    before = json.loads((root / "manifest.json").read_text())
    build_zoo(root, TINY, only=("edge",), quiet=True, device=torch.device("cpu"))
    after = json.loads((root / "manifest.json").read_text())
    assert after["models"]["cloud"] == before["models"]["cloud"]
    assert after["tokenizer_hash"] == before["tokenizer_hash"]
    Zoo(root).verify("edge")
    with pytest.raises(ZooError, match="unknown models"):
        build_zoo(root, TINY, only=("satellite",), quiet=True)


def _widening(recipe, steps=8):
    """`recipe` with a short widening stage on its cloud model."""
    import dataclasses

    cloud = next(m for m in recipe.models if m.name == "cloud")
    widened = dataclasses.replace(cloud, widen=dataclasses.replace(cloud.train, steps=steps, warmup=1,
                                                                   wide_fraction=0.5, seed=11))
    return dataclasses.replace(recipe, models=tuple(widened if m.name == "cloud" else m for m in recipe.models))


def test_widening_continues_the_zoo_model_and_keeps_its_first_stage(tiny_zoo_dir, tmp_path):
    from training.zoo_build import TINY, build_zoo

    root = _copy(tiny_zoo_dir, tmp_path)
    before = json.loads((root / "manifest.json").read_text())
    recipe = _widening(TINY)
    after = build_zoo(root, recipe, only=("cloud",), widen_only=True, quiet=True, device=torch.device("cpu"))
    cloud, old = after["models"]["cloud"], before["models"]["cloud"]
    assert cloud["spec"]["widen"]["wide_fraction"] == 0.5 and cloud["spec"]["train"] == old["spec"]["train"]
    assert cloud["files"]["model.safetensors"] != old["files"]["model.safetensors"]
    assert cloud["metrics"]["first_stage"]["wordmath_acc"] == old["metrics"]["wordmath_acc"]
    assert cloud["metrics"]["train_seconds"] == pytest.approx(
        old["metrics"]["train_seconds"] + cloud["metrics"]["widen_seconds"], abs=0.11)
    assert 0 <= cloud["metrics"]["paraphrase_acc"] <= 1
    assert after["models"]["edge"] == before["models"]["edge"]
    Zoo(root).verify("cloud")
    assert not list(root.glob(".*.ckpt.pt"))  # the stage's training state is gone once saved
    # widening twice would be another model: refused, the widened model untouched
    with pytest.raises(ZooError, match="already widened"):
        build_zoo(root, recipe, only=("cloud",), widen_only=True, quiet=True)
    assert json.loads((root / "manifest.json").read_text())["models"]["cloud"] == cloud


def test_the_equations_stage_switches_every_model_and_a_mixed_zoo_is_named(tiny_zoo_dir, tmp_path, capsys,
                                                                           monkeypatch):
    """`--widen equations` continues each model in the equations format; a zoo whose tiers write
    different formats gets a warning that names them (the build still finishes: it is not wrong,
    only a poor fleet)."""
    import dataclasses

    from fedhybrid.cli import main
    from training.zoo_build import TINY, build_zoo, mixed_formats

    root = _copy(tiny_zoo_dir, tmp_path)
    stage = {m.name: dataclasses.replace(m.train, steps=6, warmup=1, wide_fraction=0.6, seed=12,
                                         solution_format="equations") for m in TINY.models}
    recipe = dataclasses.replace(TINY, models=tuple(dataclasses.replace(m, widen=stage[m.name]) for m in TINY.models))
    half = build_zoo(root, recipe, only=("cloud",), widen_only=True, quiet=True, device=torch.device("cpu"))
    assert half["models"]["cloud"]["spec"]["widen"]["solution_format"] == "equations"
    assert mixed_formats(half) == {"cloud": "equations", "client": "worked", "edge": "worked"}
    whole = build_zoo(root, recipe, only=("client", "edge"), widen_only=True, quiet=True, device=torch.device("cpu"))
    assert mixed_formats(whole) == {}
    for name in ("cloud", "client", "edge"):
        Zoo(root).verify(name)
    # the CLI prints the warning for a mixed zoo (here: the pristine tiny zoo's cloud widened alone)
    mixed = _copy(tiny_zoo_dir, tmp_path / "m")
    monkeypatch.setattr("training.zoo_build.EQUATIONS", recipe)  # the tiny zoo's recipe, not the full one
    assert main(["--zoo", str(mixed), "zoo", "build", "--only", "cloud", "--widen", "equations", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "different solution formats (client: worked, cloud: equations, edge: worked)" in err


def test_widening_is_refused_where_it_cannot_continue_the_recipes_first_stage(tiny_zoo_dir, tmp_path):
    import dataclasses

    from training.zoo_build import TINY, build_zoo

    root = _copy(tiny_zoo_dir, tmp_path)
    manifest = (root / "manifest.json").read_text()
    with pytest.raises(ZooError, match="--only"):
        build_zoo(root, _widening(TINY), widen_only=True, quiet=True)
    with pytest.raises(ZooError, match="no widening stage"):
        build_zoo(root, TINY, only=("edge",), widen_only=True, quiet=True)
    # a recipe whose first stage differs from what built the zoo's cloud model
    other = _widening(TINY)
    other = dataclasses.replace(other, models=tuple(
        dataclasses.replace(m, train=dataclasses.replace(m.train, seed=99)) if m.name == "cloud" else m
        for m in other.models))
    with pytest.raises(ZooError, match="another first stage"):
        build_zoo(root, other, only=("cloud",), widen_only=True, quiet=True)
    assert (root / "manifest.json").read_text() == manifest
