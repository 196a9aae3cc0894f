"""Reward labels a device collects while serving: exact where the cloud scored, unbiased for
what the head accepted thanks to the spot checks; fine-tuning and per-family averaging of heads."""

import numpy as np
import pytest
import torch

from cache_sync.correction_cache import CacheHeader
from inference.cloud import LocalCloud
from inference.decoder import HybridDecoder
from inference.device_cache import DeviceCache
from inference.errors import InferenceError
from inference.generation import DecodeConfig, Provenance
from inference.reward_head import RewardHead, RewardHeadConfig, fine_tune, head_arrays, head_from_arrays
from inference.reward_labels import LabelCollector, LabelConfig
from inference.router import ConfidencePolicy
from inference.tokenizer import tokenizer_hash
from strategies.lora_math import RobustConfig
from strategies.reward_heads import aggregate_heads
from workloads import wordmath

FLOOR = -8.0


def _truth(cloud, gen) -> dict[int, float]:
    """Teacher-forced cloud rewards of every generated position (clipped at the floor)."""
    tokens = gen.prompt_ids + gen.token_ids
    scored = cloud.predict("truth", tokens, len(gen.prompt_ids), 4, 30.0)
    cloud.end_session("truth")
    return {scored.verified_from + k: max(s.reward, FLOOR) for k, s in enumerate(scored.positions)}


@pytest.fixture(scope="module")
def decoded(pair):
    """Per prompt: the decode under a fixed policy with labels at explore=0.5, for 12 coin seeds."""
    device, cloud_model, tok = pair
    cloud = LocalCloud(cloud_model)
    header = CacheHeader(tokenizer_hash(tok), len(tok), 2, 8)
    prompts = [p.prompt for p in wordmath.generate("heldout", 6, seed=11)]
    runs = []
    for prompt in prompts:
        per_seed = []
        for seed in range(12):
            decoder = HybridDecoder(device, tok, cloud, cache=DeviceCache(header, "d"))  # a cache: observations on
            labels = LabelCollector(LabelConfig(explore=0.5, seed=seed * 7919 + len(runs)))
            gen = decoder.generate(prompt, ConfidencePolicy(0.1), DecodeConfig(max_new_tokens=20, deadline_s=30.0),
                                   labels=labels)
            per_seed.append((gen, labels.take()))
        runs.append(per_seed)
    truth = [_truth(cloud, per_seed[0][0]) for per_seed in runs]
    cloud.close()
    return runs, truth


def test_every_label_is_the_clouds_exact_score_of_the_device_token(decoded):
    runs, truth = decoded
    kinds = set()
    for per_seed, exact in zip(runs, truth):
        for gen, labels in per_seed:
            assert gen.token_ids == per_seed[0][0].token_ids  # the coin never changes the decode
            prompt_len = len(gen.prompt_ids)
            for pos, label, kind, weight in zip(labels.positions, labels.labels, labels.kinds, labels.weights):
                kinds.add(kind)
                if kind == "escalated":  # from the escalation's top-k: exact when within it
                    assert gen.provenance[pos - prompt_len] is Provenance.CLOUD and weight == 1.0
                    continue
                assert gen.provenance[pos - prompt_len] is Provenance.DEVICE
                assert label == pytest.approx(exact[pos], abs=1e-4)
                assert weight == (2.0 if kind == "explored" else 1.0)
            assert len(set(labels.positions)) == len(labels.positions)  # one label per token
    assert kinds == {"escalated", "observed", "explored"}


def test_spot_check_labels_make_the_accepted_token_sums_unbiased(decoded):
    """Sum of r over the tokens the policy accepted: the weighted labels estimate it without
    bias; the same labels unweighted (what the cloud scored anyway) are biased."""
    runs, truth = decoded
    true_total, weighted, unweighted, tail = 0.0, [], [], 0.0
    for per_seed, exact in zip(runs, truth):
        gen = per_seed[0][0]
        accepted = [i + len(gen.prompt_ids) for i, p in enumerate(gen.provenance) if p is Provenance.DEVICE]
        true_total += sum(exact[p] for p in accepted)
        w_sums, u_sums = [], []
        for _, labels in per_seed:
            rows = [(lab, w) for lab, w, k in zip(labels.labels, labels.weights, labels.kinds) if k != "escalated"]
            w_sums.append(sum(lab * w for lab, w in rows))
            u_sums.append(sum(lab for lab, _ in rows))
        weighted.append(w_sums)
        unweighted.append(u_sums)
        free = {p for p, k in zip(per_seed[0][1].positions, per_seed[0][1].kinds) if k == "observed"}
        tail += sum(exact[p] for p in accepted if p not in free)
    weighted = np.array(weighted).sum(axis=0)  # per coin seed: the fleet's estimate
    unweighted = np.array(unweighted).sum(axis=0)
    se = weighted.std(ddof=1) / np.sqrt(len(weighted))
    assert tail < -1.0  # the tail after the last escalation holds accepted tokens the cloud disagrees with
    assert abs(weighted.mean() - true_total) < 4 * se + 1e-6
    # what the bias of the unweighted labels is: half the tail (explore = 0.5), far outside the noise
    se_u = unweighted.std(ddof=1) / np.sqrt(len(unweighted))
    assert abs(unweighted.mean() - true_total) > 4 * se_u
    assert unweighted.mean() - true_total == pytest.approx(-0.5 * tail, abs=4 * se_u + 1e-6)


def test_no_spot_checks_without_exploration_and_none_for_local_only_requests(pair):
    from inference.privacy import PrivacyPolicy

    device, cloud_model, tok = pair
    cloud = LocalCloud(cloud_model)
    prompt = wordmath.generate("heldout", 1, seed=2)[0].prompt
    labels = LabelCollector(LabelConfig(explore=0.0))
    decoder = HybridDecoder(device, tok, cloud)
    decoder.generate(prompt, ConfidencePolicy(0.3), DecodeConfig(max_new_tokens=10), labels=labels)
    assert labels.out.explore_calls == 0 and labels.out.accepted_tail >= 0
    private = LabelCollector(LabelConfig(explore=1.0))
    decoder.generate(prompt, ConfidencePolicy(0.3), DecodeConfig(max_new_tokens=10), labels=private,
                     privacy=PrivacyPolicy("local-only"))
    assert len(private.out) == 0 and private.out.explore_calls == 0  # nothing of it reached the cloud
    with pytest.raises(InferenceError, match="explore"):
        LabelConfig(explore=1.5)
    cloud.close()


def _spot_check_against(pair, error: Exception):
    """(generation, labels, prompt) of a decode with every token spot-checked (explore 1.0) and a
    policy that never escalates, against a cloud whose every call raises `error`."""
    class Raising(LocalCloud):
        def predict(self, *args, **kwargs):
            raise error

    device, cloud_model, tok = pair
    cloud = Raising(cloud_model)
    prompt = wordmath.generate("heldout", 1, seed=2)[0].prompt
    labels = LabelCollector(LabelConfig(explore=1.0))
    gen = HybridDecoder(device, tok, cloud).generate(prompt, ConfidencePolicy(0.0), DecodeConfig(max_new_tokens=10),
                                                     labels=labels)
    cloud.close()
    return gen, labels, prompt


def test_a_spot_check_the_cloud_does_not_answer_counts_as_a_failed_call_and_labels_nothing(pair):
    from inference.cloud import CloudUnavailable

    gen, labels, prompt = _spot_check_against(pair, CloudUnavailable("down"))
    device, _, tok = pair
    alone = HybridDecoder(device, tok, None).generate(prompt, ConfidencePolicy(0.0), DecodeConfig(max_new_tokens=10))
    # the policy never escalates: the one call is the spot check, counted as the decoder counts its own
    assert (gen.cloud_calls, gen.cloud_failures) == (1, 1) and gen.token_ids == alone.token_ids
    assert labels.out.explore_calls == 0 and len(labels.out) == 0


def test_a_spot_check_the_clients_breaker_refused_is_skipped_not_a_call(pair):
    """A remote cloud's open circuit breaker refuses a call without contacting the cloud
    (`CloudSkipped`): the spot check counted it as a call made and failed."""
    from inference.cloud import CloudSkipped

    gen, labels, _ = _spot_check_against(pair, CloudSkipped("circuit open"))
    assert (gen.cloud_calls, gen.cloud_failures, gen.cloud_skipped) == (0, 0, 1)
    assert labels.out.explore_calls == 0 and len(labels.out) == 0


def test_fine_tuning_lowers_the_weighted_loss_and_weights_round_trip(decoded):
    runs, _ = decoded
    rows = [(f, lab, w) for per_seed in runs for f, lab, w in zip(per_seed[0][1].features, per_seed[0][1].labels,
                                                                per_seed[0][1].weights)]
    d_plus_k = len(rows[0][0])
    head = RewardHead(RewardHeadConfig(hidden_size=d_plus_k - 8))
    x = torch.from_numpy(np.stack([r[0] for r in rows]))
    y, w = torch.tensor([r[1] for r in rows]), torch.tensor([r[2] for r in rows])
    tuned, stats = fine_tune(head, x, y, w, epochs=30, lr=3e-3)
    assert stats["loss_after"] < 0.5 * stats["loss_before"] and stats["labels"] == len(rows)
    back = head_from_arrays(head.cfg, head_arrays(tuned))
    assert torch.allclose(back.forward(torch.zeros(2, d_plus_k)), tuned.forward(torch.zeros(2, d_plus_k)))
    bad = head_arrays(tuned)
    bad["fc2.bias"] = np.array([np.nan], dtype=np.float32)
    with pytest.raises(InferenceError, match="NaN"):
        head_from_arrays(head.cfg, bad)
    with pytest.raises(InferenceError, match="non-finite"):
        fine_tune(head, x, torch.full_like(y, float("nan")), w)


def test_heads_average_per_family_and_bad_ones_change_nothing():
    rng = np.random.default_rng(0)
    previous = {"w": np.zeros((4, 3), np.float32), "b": np.zeros(3, np.float32)}
    heads = [{k: (v + rng.normal(size=v.shape)).astype(np.float32) for k, v in previous.items()} for _ in range(3)]
    plain, info = aggregate_heads(previous, [("a", 10, heads[0]), ("b", 30, heads[1]), ("c", 60, heads[2])],
                                  RobustConfig(enabled=False))
    expect = {k: 0.1 * heads[0][k] + 0.3 * heads[1][k] + 0.6 * heads[2][k] for k in previous}
    assert all(np.allclose(plain[k], expect[k], atol=1e-6) for k in previous) and info["heads"] == 3
    nan = {**heads[0], "b": np.array([np.nan, 0, 0], np.float32)}
    wrong = {**heads[0], "w": np.zeros((3, 3), np.float32)}
    missing = {"w": heads[0]["w"]}
    kept, info = aggregate_heads(previous, [("n", 5, nan), ("s", 5, wrong), ("m", 5, missing), ("z", 0, heads[1])])
    assert kept is previous and info["heads"] == 0
    assert [d for d, _ in info["dropped"]] == ["n", "s", "m", "z"]
    assert "NaN" in info["dropped"][0][1] and "shape" in info["dropped"][1][1] and "keys" in info["dropped"][2][1]
    # robust: one device sending a huge update barely moves the trimmed mean
    honest = [(f"h{i}", 10, {k: (v + 0.1).astype(np.float32) for k, v in previous.items()}) for i in range(4)]
    attacker = ("x", 1000, {k: (v + 1e4).astype(np.float32) for k, v in previous.items()})
    robust, _ = aggregate_heads(previous, honest + [attacker], RobustConfig(trim=0.2))
    assert all(np.abs(robust[k] - 0.1).max() < 0.2 for k in previous)
