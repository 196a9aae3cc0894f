"""Bring-your-own models: three real Hugging Face architectures through every path.

Each family (Llama; Qwen2 with tied embeddings; GPT-2, tied, with its Conv1D attention) is
built here with `transformers` itself at random weights, with a byte-level BPE tokenizer
trained here with the `tokenizers` library (not the zoo's), saved with `save_pretrained`
and loaded back through `load_causal_lm`, as a user's folder would be. A device and a
larger cloud of one family share that tokenizer. Through them: decoding with every policy,
reward-head calibration, a LoRA round (the B matrices saved and reloaded with
`PeftModel.from_pretrained`), the cloud server with the remote client, and the correction
cache. A fleet whose models disagree on the tokenizer is refused, naming both hashes.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    GPT2Config,
    GPT2LMHeadModel,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen2ForCausalLM,
)

from inference.cloud import LocalCloud
from inference.decoder import HybridDecoder
from inference.errors import InferenceError, TokenizerMismatchError
from inference.generation import DecodeConfig, Provenance
from inference.lora import LoraSpec, attach, b_matrices, merged, target_modules_for
from inference.router import make_policy
from inference.tokenizer import encode_prompt, tokenizer_hash
from inference.zoo import load_causal_lm
from workloads import wordmath

PROMPTS = [p.prompt for p in wordmath.generate("heldout", 3, seed="families")]
POSITIONS = 256


def _tokenizer(vocab_size: int = 320, seed_text: str = "") -> PreTrainedTokenizerFast:
    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    corpus = [p.text for p in wordmath.generate("train", 200, seed="families-tok")] + [seed_text]
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    bpe.train_from_iterator(corpus, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>", bos_token="<|endoftext|>")


def _model(family: str, vocab: int, hidden: int, layers: int, seed: int):
    torch.manual_seed(seed)
    if family == "llama":
        return LlamaForCausalLM(LlamaConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=2 * hidden,
                                            num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                                            max_position_embeddings=POSITIONS, tie_word_embeddings=False,
                                            eos_token_id=0, bos_token_id=0))
    if family == "qwen2":
        return Qwen2ForCausalLM(Qwen2Config(vocab_size=vocab, hidden_size=hidden, intermediate_size=2 * hidden,
                                            num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                                            max_position_embeddings=POSITIONS, tie_word_embeddings=True,
                                            eos_token_id=0, bos_token_id=0))
    return GPT2LMHeadModel(GPT2Config(vocab_size=vocab, n_embd=hidden, n_layer=layers, n_head=4, n_positions=POSITIONS,
                                      eos_token_id=0, bos_token_id=0))  # GPT-2 ties its embeddings


FAMILIES = ["llama", "qwen2", "gpt2"]


@pytest.fixture(scope="module", params=FAMILIES)
def family(request, tmp_path_factory):
    """(name, device folder, cloud folder): saved with save_pretrained, as a user brings them."""
    root = tmp_path_factory.mktemp(request.param)
    tok = _tokenizer()
    for name, hidden, layers, seed in (("device", 32, 1, 1), ("cloud", 64, 2, 2)):
        model = _model(request.param, len(tok), hidden, layers, seed)
        model.save_pretrained(root / name)
        tok.save_pretrained(root / name)
    return request.param, root / "device", root / "cloud"


@pytest.fixture(scope="module")
def loaded(family):
    name, device_dir, cloud_dir = family
    device, tok = load_causal_lm(device_dir)
    cloud, _cloud_tok = load_causal_lm(cloud_dir, expected_tokenizer_hash=tokenizer_hash(tok))
    return name, device, cloud, tok


def test_loading_keeps_the_architecture_and_its_tied_embeddings(loaded):
    name, device, _cloud, tok = loaded
    assert device.config.model_type == name
    tied = device.get_output_embeddings().weight.data_ptr() == device.get_input_embeddings().weight.data_ptr()
    assert tied == (name != "llama")
    assert tok.eos_token_id == 0 and encode_prompt(tok, PROMPTS[0])[:3] == tok(PROMPTS[0])["input_ids"][:3]


@pytest.mark.parametrize("policy", ["slm-only", "cloud-only", "confidence", "fusion"])
def test_every_policy_decodes(loaded, policy):
    _, device, cloud_model, tok = loaded
    cloud = LocalCloud(cloud_model)
    decoder = HybridDecoder(device, tok, cloud)
    threshold = None if policy in ("slm-only", "cloud-only") else 0.9
    gen = decoder.generate(PROMPTS[0], make_policy(policy, threshold), DecodeConfig(max_new_tokens=12),
                           use_cache=False)
    cloud.close()
    assert len(gen.token_ids) == 12 or gen.token_ids[-1] == tok.eos_token_id
    if policy == "cloud-only":
        assert gen.count(Provenance.CLOUD) == len(gen.token_ids)
        # the cloud-only output is the cloud model's own greedy continuation
        ids = encode_prompt(tok, PROMPTS[0])
        ref = cloud_model.generate(torch.tensor([ids]), max_new_tokens=len(gen.token_ids), do_sample=False,
                                   pad_token_id=0)[0, len(ids):].tolist()
        assert gen.token_ids == ref
    if policy == "slm-only":
        assert gen.count(Provenance.CLOUD) == 0


def test_reward_head_calibrates_and_routes(loaded, tmp_path):
    from inference.reward_head import RewardHead
    from training.calibrate import CalibrationConfig, calibrate

    _, device, cloud_model, tok = loaded
    cloud = LocalCloud(cloud_model)
    cfg = CalibrationConfig(train_problems=4, calib_problems=3, max_new_tokens=8, epochs=3, grid=3, bisect_steps=2)
    meta = calibrate(device, cloud, tok, tmp_path / "head", cfg, target_cloud_share=0.3)
    head, saved = RewardHead.load(tmp_path / "head")
    assert saved["table"] == meta["table"] and "target" in meta
    gen = HybridDecoder(device, tok, cloud).generate(
        PROMPTS[1], make_policy("reward", meta["target"]["tau"], head=head), DecodeConfig(max_new_tokens=8))
    cloud.close()
    assert len(gen.token_ids) > 0


def test_lora_targets_are_resolved_per_architecture_and_reload_with_peft(loaded, tmp_path):
    from peft import PeftModel

    name, device, _, tok = loaded
    expected = {"llama": ("q_proj", "v_proj"), "qwen2": ("q_proj", "v_proj"), "gpt2": ("c_attn",)}[name]
    assert target_modules_for(device) == expected
    rng = np.random.default_rng(0)
    spec = LoraSpec(rank=2, r_max=4, seed=7)
    shapes = {k: v.shape for k, v in b_matrices(attach(device, spec)).items()}
    assert shapes and all(any(t in k for t in expected) for k in shapes)
    adapter = {k: rng.normal(0, 0.5, size=s).astype(np.float32) for k, s in shapes.items()}
    model = attach(device, spec, adapter)
    ids = torch.tensor([encode_prompt(tok, PROMPTS[0])])
    with torch.no_grad():
        ours = model(ids).logits
        base = device(ids).logits
        folded = merged(model)(ids).logits
    assert not torch.allclose(ours, base, atol=1e-4)  # the adapter changes the model
    torch.testing.assert_close(folded, ours, atol=1e-4, rtol=1e-4)
    model.save_pretrained(tmp_path / "adapter")  # what a user loads with peft's own API
    device.save_pretrained(tmp_path / "base")
    tok.save_pretrained(tmp_path / "base")
    base_again, _ = load_causal_lm(tmp_path / "base")
    again = PeftModel.from_pretrained(base_again, tmp_path / "adapter")
    with torch.no_grad():
        torch.testing.assert_close(again(ids).logits, ours, atol=1e-4, rtol=1e-4)


def test_cloud_server_and_remote_client_serve_the_family(loaded, serve_app):
    from serving.cloud_engine import CloudEngine
    from serving.cloud_server import create_cloud_app
    from serving.http_app import HttpConfig
    from serving.prefix_engine import PrefixEngine
    from serving.remote_cloud import RemoteCloud, RemoteCloudConfig

    name, device, cloud_model, tok = loaded
    engine = CloudEngine(PrefixEngine(cloud_model), tok, f"{name}-cloud")
    local = LocalCloud(cloud_model)
    try:
        with serve_app(create_cloud_app(engine, HttpConfig())) as url:
            remote = RemoteCloud(RemoteCloudConfig(url))
            remote.connect(tok)
            policy = make_policy("confidence", 0.9)
            cfg = DecodeConfig(max_new_tokens=10)
            over_http = HybridDecoder(device, tok, remote).generate(PROMPTS[2], policy, cfg, use_cache=False)
            in_process = HybridDecoder(device, tok, local).generate(PROMPTS[2], policy, cfg, use_cache=False)
            remote.close()
    finally:
        engine.close()
        local.close()
    assert over_http.token_ids == in_process.token_ids
    assert over_http.count(Provenance.CLOUD) == in_process.count(Provenance.CLOUD)


def test_correction_cache_serves_a_recurring_prompt(loaded):
    from cache_sync.correction_cache import CacheHeader
    from inference.device_cache import DeviceCache, ServeRule

    _, device, cloud_model, tok = loaded
    cache = DeviceCache(CacheHeader(tokenizer_hash(tok), len(tok), 2, 8), "dev-1",
                        ServeRule(min_match=3, confidence=0.9))
    cloud = LocalCloud(cloud_model)
    decoder = HybridDecoder(device, tok, cloud, cache=cache)
    cfg = DecodeConfig(max_new_tokens=12)
    first = decoder.generate(PROMPTS[0], make_policy("cloud-only"), cfg)
    again = decoder.generate(PROMPTS[0], make_policy("cloud-only"), cfg)
    cloud.close()
    assert first.cache_share == 0 and cache.entries > 0
    assert again.count(Provenance.CACHE) > 0 and again.cloud_calls < first.cloud_calls
    assert again.token_ids == first.token_ids  # what the cache serves is what the cloud said


def test_models_that_disagree_on_the_tokenizer_are_refused_with_both_hashes(family, tmp_path):
    _, device_dir, _ = family
    other = _tokenizer(seed_text="an entirely different corpus " * 50)
    model = _model("llama", len(other), 32, 1, 3)
    model.save_pretrained(tmp_path / "other")
    other.save_pretrained(tmp_path / "other")
    _, tok = load_causal_lm(device_dir)
    with pytest.raises(TokenizerMismatchError) as err:
        load_causal_lm(tmp_path / "other", expected_tokenizer_hash=tokenizer_hash(tok))
    assert tokenizer_hash(other)[:12] in str(err.value) and tokenizer_hash(tok)[:12] in str(err.value)
    assert isinstance(err.value, InferenceError)


def test_eval_and_calibrate_commands_take_model_folders(family, tiny_zoo_dir, tmp_path, capsys):
    import json

    from fedhybrid.cli import main

    _name, device_dir, cloud_dir = family
    workload = tmp_path / "w.jsonl"
    workload.write_text("".join(json.dumps({"prompt": p}) + "\n" for p in PROMPTS[:2]))
    zoo = ["--zoo", str(tiny_zoo_dir)]  # the zoo only names tiers; both models are the user's
    assert main([*zoo, "eval", "--workload", str(workload), "--device", str(device_dir), "--cloud", str(cloud_dir),
                 "--policies", "confidence", "--thresholds", "0.9", "--max-new-tokens", "6",
                 "--out", str(tmp_path / "eval")]) == 0
    rows = json.loads((tmp_path / "eval" / "eval.json").read_text())["rows"]
    assert [r["policy"] for r in rows] == ["cloud-only", "slm-only", "confidence"]
    assert rows[0]["quality"] == 1.0  # graded against itself: agreement-with-cloud
    assert main([*zoo, "calibrate", "--device", str(device_dir), "--cloud", str(cloud_dir), "--train-problems", "4",
                 "--calib-problems", "2", "--grid", "3"]) == 0
    from inference.reward_head import RewardHead

    _, meta = RewardHead.load(device_dir / "reward-cloud")  # beside the user's device model, named for the cloud
    assert meta["table"] and meta["train_problems"] == 4
    # a zoo cloud with this family's tokenizer is refused, both hashes named
    assert main([*zoo, "eval", "--workload", str(workload), "--device", str(device_dir), "--cloud", "cloud",
                 "--policies", "confidence", "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert "different tokenizer" in err and len(err.strip().splitlines()) == 1
    # the cloud is measured against the model brought, not against "the fleet"
    assert f"than the device model {device_dir}" in err and "the fleet" not in err
