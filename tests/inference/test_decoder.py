import time
from dataclasses import replace

import pytest

from inference.cloud import LocalCloud
from inference.decoder import HybridDecoder
from inference.device_model import DeviceModel
from inference.generation import DecodeConfig, Provenance
from inference.reward_head import RewardHead
from inference.router import RewardPolicy, make_policy
from training.calibrate import CalibrationConfig, calibrate, collect_labels, train_head
from workloads import wordmath

PROMPTS = [p.prompt for p in wordmath.generate("heldout", 3, seed=11)]
CFG = DecodeConfig(max_new_tokens=24)


@pytest.fixture(scope="module")
def head(pair):
    device, cloud_model, tok = pair
    cloud = LocalCloud(cloud_model)
    prompts = [p.prompt for p in wordmath.generate("train", 12, seed=5)]
    hidden, logprobs, labels = collect_labels(DeviceModel(device), cloud, tok, prompts, 24, 30.0)
    cloud.close()
    trained, _stats = train_head(hidden, logprobs, labels, CalibrationConfig(epochs=10))
    return trained


def _device_greedy(device, tok, prompt, n):
    ids = tok(prompt, return_tensors="pt")["input_ids"]
    out = device.generate(ids, max_new_tokens=n, do_sample=False, pad_token_id=tok.eos_token_id,
                          eos_token_id=tok.eos_token_id)
    return out[0, ids.shape[1]:].tolist()


def _check_accounting(gen):
    assert len(gen.provenance) == len(gen.token_ids)
    assert sum(gen.count(p) for p in Provenance) == len(gen.token_ids)


def test_decoder_slm_only_is_device_greedy_and_never_calls_the_cloud(pair, local_cloud):
    device, _, tok = pair
    dec = HybridDecoder(device, tok, local_cloud)
    for prompt in PROMPTS:
        gen = dec.generate(prompt, make_policy("slm-only"), CFG)
        assert gen.token_ids == _device_greedy(device, tok, prompt, CFG.max_new_tokens)
        assert gen.cloud_calls == 0 and gen.cloud_share == 0
        _check_accounting(gen)


def test_decoder_cloud_only_matches_cloud_greedy_and_costs_one_token_per_step(pair, local_cloud):
    device, cloud_model, tok = pair
    dec = HybridDecoder(device, tok, local_cloud)
    for prompt in PROMPTS:
        gen = dec.generate(prompt, make_policy("cloud-only"), CFG)
        assert gen.token_ids == _device_greedy(cloud_model, tok, prompt, CFG.max_new_tokens)
        assert gen.cloud_share == 1.0
        n_prompt = len(tok(prompt)["input_ids"])
        # session KV reuse: prefill once, then one new token per call
        assert gen.cloud_tokens_computed == n_prompt + len(gen.token_ids) - 1
        assert len(gen.corrections) == len(gen.token_ids)
        _check_accounting(gen)


def test_decoder_confidence_and_fusion_policies_route_by_threshold(pair, local_cloud):
    device, _, tok = pair
    dec = HybridDecoder(device, tok, local_cloud)
    prompt = PROMPTS[0]
    never = dec.generate(prompt, make_policy("confidence", 0.0), CFG)
    always = dec.generate(prompt, make_policy("confidence", 1.0), CFG)
    middle = dec.generate(prompt, make_policy("confidence", 0.2), CFG)
    assert never.cloud_share == 0 and always.cloud_share == 1
    assert 0 <= middle.cloud_share <= 1
    cloud_only = dec.generate(prompt, make_policy("cloud-only"), CFG)
    assert always.token_ids == cloud_only.token_ids
    # fusion with all weight on the cloud is the cloud's choice; with none, the device's
    fused_cloud = dec.generate(prompt, make_policy("fusion", 1.0, weight=1.0), CFG)
    fused_device = dec.generate(prompt, make_policy("fusion", 1.0, weight=0.0), CFG)
    assert fused_cloud.token_ids == cloud_only.token_ids
    assert fused_device.token_ids == dec.generate(prompt, make_policy("slm-only"), CFG).token_ids
    for gen in (never, always, middle, fused_cloud, fused_device):
        _check_accounting(gen)


def test_decoder_reward_threshold_is_a_runtime_dial(pair, local_cloud, head):
    device, _, tok = pair
    dec = HybridDecoder(device, tok, local_cloud)
    shares = [sum(dec.generate(p, RewardPolicy(head, tau), CFG).cloud_share for p in PROMPTS)
              for tau in (0.0, 2.0, 50.0)]
    assert shares[0] >= shares[1] >= shares[2]
    assert shares[2] == 0  # nothing predicted below -50 nats: all local


def test_decoder_full_verification_reproduces_cloud_only_greedy(pair, local_cloud, head):
    device, _, tok = pair
    dec = HybridDecoder(device, tok, local_cloud)
    for prompt in PROMPTS:
        reference = dec.generate(prompt, make_policy("cloud-only"), CFG).token_ids
        verify = DecodeConfig(max_new_tokens=CFG.max_new_tokens, verify=True)
        for policy in (RewardPolicy(head, 0.0), RewardPolicy(head, 3.0), make_policy("slm-only"),
                       make_policy("confidence", 0.3)):
            gen = dec.generate(prompt, policy, verify)
            assert gen.token_ids == reference, policy
            _check_accounting(gen)


def test_decoder_records_every_cloud_token_as_a_correction(pair, local_cloud):
    device, _, tok = pair
    dec = HybridDecoder(device, tok, local_cloud)
    prompt_ids = tok(PROMPTS[1])["input_ids"]
    gen = dec.generate(prompt_ids, make_policy("confidence", 0.3), CFG)
    full = prompt_ids + gen.token_ids
    cloud_positions = [len(prompt_ids) + i for i, p in enumerate(gen.provenance) if p is Provenance.CLOUD]
    assert len(gen.corrections) == len(cloud_positions)
    for position, corr in zip(cloud_positions, gen.corrections):
        assert corr.token == full[position]
        assert corr.context == tuple(full[max(0, position - 8): position])


def test_decoder_slow_cloud_falls_back_within_the_deadline(pair, slow_cloud):
    device, _, tok = pair
    dec = HybridDecoder(device, tok, slow_cloud)
    cfg = DecodeConfig(max_new_tokens=6, deadline_s=0.05)
    started = time.perf_counter()
    gen = dec.generate(PROMPTS[0], make_policy("cloud-only"), cfg)
    elapsed = time.perf_counter() - started
    assert len(gen.token_ids) == 6 and gen.cloud_share == 0
    assert gen.missed_escalations == 6 and gen.cloud_failures == 6
    assert gen.provenance == [Provenance.DEVICE] * 6
    assert gen.token_ids == _device_greedy(device, tok, PROMPTS[0], 6)
    # the first call waits one deadline; later calls find the session still busy and wait
    # at most one deadline each: never the cloud's 0.5 s
    assert elapsed < 6 * 0.05 + 0.5


def test_decoder_failing_cloud_never_raises(pair, broken_cloud):
    device, _, tok = pair
    dec = HybridDecoder(device, tok, broken_cloud)
    gen = dec.generate(PROMPTS[0], make_policy("cloud-only"), DecodeConfig(max_new_tokens=5, verify=True))
    assert len(gen.token_ids) == 5 and gen.cloud_failures >= 5 and gen.cloud_share == 0
    assert gen.token_ids == _device_greedy(device, tok, PROMPTS[0], 5)


def test_decoder_without_kv_cache_gives_identical_output(pair):
    device, cloud_model, tok = pair
    fast = HybridDecoder(device, tok, LocalCloud(cloud_model))
    slow = HybridDecoder(device, tok, LocalCloud(cloud_model, use_kv_cache=False), use_kv_cache=False)
    policy = make_policy("confidence", 0.3)
    for prompt in PROMPTS[:2]:
        a = fast.generate(prompt, policy, CFG)
        b = slow.generate(prompt, policy, CFG)
        assert a.token_ids == b.token_ids and a.provenance == b.provenance
        assert b.cloud_tokens_computed > a.cloud_tokens_computed


def test_decoder_streams_settled_tokens_in_order(pair, local_cloud):
    device, _, tok = pair
    dec = HybridDecoder(device, tok, local_cloud)
    for cfg in (CFG, DecodeConfig(max_new_tokens=24, verify=True)):
        seen = []
        gen = dec.generate(PROMPTS[2], make_policy("confidence", 0.3), cfg,
                           on_token=lambda t, p: seen.append((t, p)))  # noqa: B023 - called in this iteration
        assert seen == list(zip(gen.token_ids, gen.provenance))


def test_decode_config_and_policies_reject_bad_values():
    with pytest.raises(ValueError, match="greedy"):
        DecodeConfig(verify=True, temperature=0.7)
    with pytest.raises(ValueError, match="max_new_tokens"):
        DecodeConfig(max_new_tokens=0)
    with pytest.raises(ValueError, match="needs a reward head"):
        make_policy("reward", 1.0)
    with pytest.raises(ValueError, match="unknown policy"):
        make_policy("oracle", 1.0)
    with pytest.raises(ValueError, match="lie in"):
        make_policy("confidence", 1.5)


def test_sampling_is_reproducible_with_a_seed(pair, local_cloud):
    device, _, tok = pair
    dec = HybridDecoder(device, tok, local_cloud)
    cfg = DecodeConfig(max_new_tokens=16, temperature=1.0, seed=3)
    a = dec.generate(PROMPTS[0], make_policy("confidence", 0.3), cfg)
    b = dec.generate(PROMPTS[0], make_policy("confidence", 0.3), cfg)
    c = dec.generate(PROMPTS[0], make_policy("confidence", 0.3), DecodeConfig(max_new_tokens=16, temperature=1.0, seed=4))
    assert a.token_ids == b.token_ids
    assert a.token_ids != c.token_ids


def test_calibration_hits_its_target_share_on_a_tiny_pair(pair, tmp_path):
    device, cloud_model, tok = pair
    cloud = LocalCloud(cloud_model)
    cfg = CalibrationConfig(train_problems=16, calib_problems=8, max_new_tokens=24, epochs=10,
                            grid=6, bisect_steps=10, tolerance=0.01)
    meta = calibrate(device, cloud, tok, tmp_path / "head", cfg, target_cloud_share=0.3)
    cloud.close()
    target = meta["target"]
    assert abs(target["calibration_share"] - 0.3) <= 0.02, meta["table"]
    _head, loaded = RewardHead.load(tmp_path / "head")
    assert loaded["target"]["tau"] == target["tau"]
    shares = [r["cloud_share"] for r in sorted(meta["table"], key=lambda r: r["tau"])]
    assert shares[0] >= shares[-1]  # a larger tau never calls the cloud more
    assert meta["baseline"]["cloud-only"]["cloud_share"] == 1.0


def test_stop_tokens_end_generation_and_are_found_inside_merged_tokens(pair, local_cloud):
    from inference.tokenizer import stop_token_ids

    device, _, tok = pair
    stops = stop_token_ids(tok, ("\n",))
    assert tok("\n")["input_ids"][-1] in stops and tok.eos_token_id not in stops
    assert all("\n" in tok.decode([i]) for i in stops)
    full = HybridDecoder(device, tok, local_cloud).generate(PROMPTS[0], make_policy("slm-only"), CFG)
    cut_at = full.token_ids[3]
    gen = HybridDecoder(device, tok, local_cloud).generate(
        PROMPTS[0], make_policy("slm-only"), DecodeConfig(max_new_tokens=24, stop_ids=frozenset({cut_at})))
    first = full.token_ids.index(cut_at)
    assert gen.token_ids == full.token_ids[: first + 1]  # the stop token is kept, nothing after it


def test_a_looping_output_ends_after_loop_stop_tokens_of_one_cycle(pair, looping_cloud_model):
    """A cloud that answers "\\n#\\n#..." costs a cloud token per token until max_new_tokens;
    with loop_stop the request ends once the last N tokens are one cycle."""
    device, _, tok = pair
    cloud = LocalCloud(looping_cloud_model)
    dec = HybridDecoder(device, tok, cloud)
    endless = dec.generate(PROMPTS[0], make_policy("cloud-only"), DecodeConfig(max_new_tokens=48))
    stopped = dec.generate(PROMPTS[0], make_policy("cloud-only"), DecodeConfig(max_new_tokens=48, loop_stop=16))
    cloud.close()
    assert len(endless.token_ids) == 48 and not endless.loop_stopped
    assert stopped.token_ids == endless.token_ids[:16] and stopped.loop_stopped
    assert stopped.cloud_calls == 16 and stopped.count(Provenance.CLOUD) == 16


def test_loop_stop_keeps_verification_exact_and_leaves_other_outputs_alone(pair, looping_cloud_model, local_cloud):
    """With full verification the output is still exactly cloud-only's (both end at the same
    token); an output that never loops is the same with or without loop_stop."""
    device, _, tok = pair
    cloud = LocalCloud(looping_cloud_model)
    cfg = DecodeConfig(max_new_tokens=40, verify=True, loop_stop=12)
    truth = HybridDecoder(device, tok, cloud).generate(PROMPTS[1], make_policy("cloud-only"), cfg)
    hybrid = HybridDecoder(device, tok, cloud).generate(PROMPTS[1], make_policy("confidence", 0.5), cfg)
    cloud.close()
    assert hybrid.token_ids == truth.token_ids and len(truth.token_ids) == 12
    assert hybrid.loop_stopped and truth.loop_stopped
    dec = HybridDecoder(device, tok, local_cloud)
    for prompt in PROMPTS:
        plain = dec.generate(prompt, make_policy("confidence", 0.5), CFG)
        guarded = dec.generate(prompt, make_policy("confidence", 0.5), replace(CFG, loop_stop=8))
        if guarded.loop_stopped:  # the tiny model looped: cut where the last 8 tokens are one cycle
            n = len(guarded.token_ids)
            assert guarded.token_ids == plain.token_ids[:n] and n >= 8
            tail = guarded.token_ids[-8:]
            assert any(all(tail[i] == tail[i - p] for i in range(p, 8)) for p in range(1, 5))
        else:
            assert guarded.token_ids == plain.token_ids


def test_loop_stop_shorter_than_the_smallest_judgeable_tail_is_refused():
    from inference.errors import InferenceError

    with pytest.raises(InferenceError, match="loop_stop=4: use 0"):
        DecodeConfig(loop_stop=4)


def test_a_prompts_own_loop_is_replayed_from_cache_until_the_loop_stop(pair, looping_cloud_model, tiny_zoo):
    """A recurring question the cloud answers with a loop: once the cache holds that answer for
    this prompt, the loop stop lets the cache replay it (the same tokens, no cloud call); without
    the loop stop the cache loop guard still hands the loop to the device and the cloud."""
    from cache_sync.correction_cache import CacheHeader
    from inference.automaton_index import ServeRule
    from inference.device_cache import DeviceCache

    device, _, tok = pair
    header = CacheHeader(tiny_zoo.tokenizer_hash, int(tiny_zoo.manifest["vocab_size"]), 2, 8)
    cache = DeviceCache(header, "dev-1", ServeRule(min_match=6, confidence=0.9, min_count=2, prompt_min_match=6))
    cloud = LocalCloud(looping_cloud_model)
    dec = HybridDecoder(device, tok, cloud, cache=cache)
    stop = DecodeConfig(max_new_tokens=48, loop_stop=16)
    first = dec.generate(PROMPTS[0], make_policy("cloud-only"), stop)
    dec.generate(PROMPTS[0], make_policy("cloud-only"), stop)  # twice: the second is a recurrence
    assert first.loop_stopped and first.cloud_share == 1
    calls = cloud.calls
    replay = dec.generate(PROMPTS[0], make_policy("cloud-only"), stop)
    assert replay.token_ids == first.token_ids and replay.loop_stopped
    assert cloud.calls == calls  # all of the cycle came from the cache
    assert replay.cache_share > 0.5 and replay.cache_loops == 0
    guarded = dec.generate(PROMPTS[0], make_policy("cloud-only"), replace(stop, loop_stop=0))
    assert guarded.cache_loops == 1 and cloud.calls > calls
    # a loop the cache learnt across prompts is not this prompt's answer: the guard holds there
    for _ in range(2):
        dec.generate(PROMPTS[1], make_policy("cloud-only"), stop)  # a second prompt with the same loop
    other = dec.generate(PROMPTS[2], make_policy("cloud-only"), stop)
    assert other.cache_loops == 1 and other.count(Provenance.CACHE) > 0
