"""Routing policies: when each one asks the cloud, which token it takes, and which dials it refuses."""

import math

import pytest
import torch

from inference.cloud import CloudPrediction
from inference.device_model import DeviceStep
from inference.errors import InferenceError
from inference.reward_head import RewardHead, RewardHeadConfig
from inference.router import (
    POLICIES,
    CloudOnly,
    ConfidencePolicy,
    FusionPolicy,
    RewardPolicy,
    SlmOnly,
    make_policy,
)

VOCAB, HIDDEN = 10, 6


def _step(probs: dict[int, float], hidden_seed: int = 0) -> DeviceStep:
    """A device step whose next-token distribution puts `probs` on the given ids, the rest spread evenly."""
    rest = (1.0 - sum(probs.values())) / (VOCAB - len(probs))
    p = torch.full((VOCAB,), rest, dtype=torch.float64)
    for token, value in probs.items():
        p[token] = value
    hidden = torch.randn(HIDDEN, generator=torch.Generator().manual_seed(hidden_seed))
    return DeviceStep(position=3, logprobs=p.log().float(), hidden=hidden)


def _prediction(top: dict[int, float]) -> CloudPrediction:
    """A cloud answer with top-k ids (best first) and their log-probabilities."""
    return CloudPrediction(top_ids=list(top), top_logprobs=list(top.values()), verified_from=3, positions=[],
                           tokens_computed=1)


def _constant_head(score: float) -> RewardHead:
    """A real reward head whose prediction is `score` whatever the input (fc2 weights zero, bias = score)."""
    torch.manual_seed(0)
    head = RewardHead(RewardHeadConfig(hidden_size=HIDDEN, top_k=4, width=8))
    with torch.no_grad():
        head.fc2.weight.zero_()
        head.fc2.bias.fill_(score)
    return head.eval()


def _random_head(seed: int) -> RewardHead:
    torch.manual_seed(seed)
    head = RewardHead(RewardHeadConfig(hidden_size=HIDDEN, top_k=4, width=8))
    with torch.no_grad():
        for p in head.parameters():
            p.normal_(0, 0.5)
    return head.eval()


# -- slm-only and cloud-only ---------------------------------------------------------------


def test_slm_only_never_escalates_and_keeps_the_proposal():
    policy = SlmOnly()
    for probs in ({1: 0.99}, {1: 0.11}):
        step = _step(probs)
        assert policy.escalate(step) is False
        assert policy.choose(step, _prediction({4: -0.1, 1: -3.0}), proposal=1) == 1


def test_cloud_only_always_escalates_and_takes_the_cloud_greedy_token():
    policy = CloudOnly()
    for probs in ({1: 0.99}, {1: 0.11}):
        step = _step(probs)
        assert policy.escalate(step) is True
        assert policy.choose(step, _prediction({4: -0.1, 1: -3.0}), proposal=1) == 4


# -- reward --------------------------------------------------------------------------------


@pytest.mark.parametrize("score,tau,escalate", [
    (-0.5, 0.25, True),  # predicted divergence beyond the tolerance: ask the cloud
    (-0.5, 0.5, False),  # r_hat == -tau is accepted
    (-0.5, 1.0, False),
    (0.0, 0.0, False),  # tau = 0 accepts only tokens predicted to be the cloud's own choice
    (-0.01, 0.0, True),
])
def test_reward_policy_escalates_when_the_head_score_is_below_minus_tau(score, tau, escalate):
    policy = RewardPolicy(_constant_head(score), tau)
    assert policy.escalate(_step({1: 0.9})) is escalate


def test_reward_policy_scores_the_steps_own_hidden_state_and_logprobs():
    head = _random_head(seed=3)
    for seed in range(6):
        step = _step({seed % VOCAB: 0.3 + 0.1 * (seed % 5)}, hidden_seed=seed)
        score = head.score(step.hidden, step.logprobs)
        # a tau just either side of -score flips the decision for this step only
        assert RewardPolicy(head, max(0.0, -score + 1e-3)).escalate(step) is False
        if -score - 1e-3 >= 0:
            assert RewardPolicy(head, -score - 1e-3).escalate(step) is True


def test_reward_policy_takes_the_cloud_greedy_token():
    policy = RewardPolicy(_constant_head(-2.0), 0.1)
    assert policy.choose(_step({1: 0.9}), _prediction({7: -0.2, 1: -1.9}), proposal=1) == 7


def test_reward_policy_rejects_a_negative_tau_naming_it():
    with pytest.raises(InferenceError, match="tau=-0.1"):
        RewardPolicy(_constant_head(0.0), -0.1)


def test_reward_policy_rejects_a_nan_tau():
    with pytest.raises(InferenceError, match="nan"):
        RewardPolicy(_constant_head(-5.0), math.nan)


# -- confidence ----------------------------------------------------------------------------


@pytest.mark.parametrize("top,threshold,escalate", [
    (0.6, 0.7, True),
    (0.6, 0.5, False),
    (0.95, 0.9, False),
    (0.2, 0.0, False),  # threshold 0 never escalates
    (0.99, 1.0, True),  # threshold 1 escalates anything short of certainty
])
def test_confidence_policy_escalates_below_the_top_probability_threshold(top, threshold, escalate):
    assert ConfidencePolicy(threshold).escalate(_step({2: top})) is escalate


def test_confidence_policy_takes_the_cloud_greedy_token():
    assert ConfidencePolicy(0.9).choose(_step({2: 0.5}), _prediction({5: -0.3, 2: -1.5}), proposal=2) == 5


@pytest.mark.parametrize("threshold", [-0.1, 1.5, math.nan])
def test_confidence_policy_rejects_a_threshold_outside_0_1_naming_it(threshold):
    with pytest.raises(InferenceError, match=f"confidence threshold {threshold}"):
        ConfidencePolicy(threshold)


# -- fusion --------------------------------------------------------------------------------


def test_fusion_policy_escalates_on_low_device_confidence():
    assert FusionPolicy(0.7).escalate(_step({2: 0.6})) is True
    assert FusionPolicy(0.5).escalate(_step({2: 0.6})) is False


def test_fusion_weight_zero_gives_the_device_choice():
    step = _step({3: 0.5, 4: 0.3})  # device prefers 3
    prediction = _prediction({4: -0.05, 3: -4.0, 8: -5.0})  # cloud is sure of 4
    assert FusionPolicy(0.9, weight=0.0).choose(step, prediction, proposal=3) == 3


def test_fusion_weight_zero_picks_the_device_top_token_outside_the_cloud_top_k():
    step = _step({9: 0.8})
    assert FusionPolicy(0.9, weight=0.0).choose(step, _prediction({1: -0.1, 2: -2.5}), proposal=9) == 9


def test_fusion_weight_one_gives_the_cloud_choice():
    step = _step({3: 0.95})  # device is nearly certain of 3, the cloud disagrees
    prediction = _prediction({4: -0.7, 3: -0.8, 8: -3.0})
    assert FusionPolicy(0.99, weight=1.0).choose(step, prediction, proposal=3) == 4


@pytest.mark.parametrize("kth,expected", [
    (-3.0, 7),  # scored with the k-th cloud log-prob, the device's favourite wins
    (-6.0, 1),  # a lower k-th log-prob drags it below the cloud's first choice
])
def test_fusion_scores_a_device_candidate_outside_the_cloud_top_k_with_the_kth_cloud_logprob(kth, expected):
    step = _step({7: 0.9})  # log p_dev(7) ~ -0.105; every other token ~ -4.5
    prediction = _prediction({1: -0.5, 2: -1.0, 3: kth})
    # w = 0.5: fused(1) = (-0.5 - 4.5) / 2 = -2.5; fused(7) = (kth - 0.105) / 2
    assert FusionPolicy(0.95, weight=0.5).choose(step, prediction, proposal=7) == expected


def test_fusion_tie_goes_to_the_cloud_candidate():
    logprobs = torch.log_softmax(torch.tensor([0.0, 1.0] + [-5.0] * (VOCAB - 2)), dim=-1)
    step = DeviceStep(position=3, logprobs=logprobs, hidden=torch.zeros(HIDDEN))
    d0, d1 = float(logprobs[0]), float(logprobs[1])
    # fused(0) = (d1 + d0) / 2 = fused(1): the cloud's greedy token 0 takes the tie over the device's 1
    prediction = _prediction({0: d1, 1: d0})
    assert FusionPolicy(0.95, weight=0.5).choose(step, prediction, proposal=1) == 0


@pytest.mark.parametrize("threshold,weight,match", [
    (1.2, 0.7, "fusion threshold 1.2"),
    (-0.5, 0.7, "fusion threshold -0.5"),
    (0.9, 1.5, "fusion weight 1.5"),
    (0.9, -0.1, "fusion weight -0.1"),
])
def test_fusion_policy_rejects_out_of_range_dials_naming_them(threshold, weight, match):
    with pytest.raises(InferenceError, match=match):
        FusionPolicy(threshold, weight)


# -- make_policy ---------------------------------------------------------------------------


def test_make_policy_builds_each_policy_with_its_dials():
    head = _constant_head(-1.0)
    assert isinstance(make_policy("slm-only"), SlmOnly)
    assert isinstance(make_policy("cloud-only", threshold=0.5), CloudOnly)  # threshold is irrelevant
    reward = make_policy("reward", 0.3, head=head)
    assert isinstance(reward, RewardPolicy) and reward.threshold == 0.3 and reward.head is head
    assert make_policy("confidence", 0.8) == ConfidencePolicy(0.8)
    assert make_policy("fusion", 0.8, weight=0.25) == FusionPolicy(0.8, 0.25)
    assert {make_policy(n, 0.5, head=head).name for n in POLICIES} == set(POLICIES)


@pytest.mark.parametrize("name", ["reward", "confidence", "fusion"])
def test_make_policy_without_a_threshold_names_the_policy(name):
    with pytest.raises(InferenceError, match=f"policy '{name}' needs a threshold"):
        make_policy(name, head=_constant_head(0.0))


def test_make_policy_reward_without_a_head_says_to_calibrate():
    with pytest.raises(InferenceError, match="reward head.*calibrate"):
        make_policy("reward", 0.3)


def test_make_policy_unknown_name_lists_the_policies():
    with pytest.raises(InferenceError, match="unknown policy 'bild'.*slm-only") as info:
        make_policy("bild", 0.5)
    assert isinstance(info.value, ValueError)


def test_make_policy_validates_the_threshold():
    with pytest.raises(InferenceError, match="tau=-1"):
        make_policy("reward", -1.0, head=_constant_head(0.0))
    with pytest.raises(InferenceError, match="confidence threshold 2"):
        make_policy("confidence", 2.0)
