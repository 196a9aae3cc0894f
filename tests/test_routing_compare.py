"""Comparing routing scores fairly: accuracy gaps at equal cloud share with paired intervals
(fedhybrid/bench/routing.py) and per-token recall of the tokens the cloud would change
(fedhybrid/bench/divergence.py)."""

import numpy as np
import pytest
import torch

from fedhybrid.bench.divergence import TokenScores, printable, recall_at_shares, score_trajectories
from fedhybrid.bench.routing import at_shares, gaps_at_shares
from fedhybrid.stats import Interval


def _row(policy, threshold, share, correct):
    return {"policy": policy, "threshold": threshold, "cloud_share": share,
            "accuracy": sum(correct) / len(correct), "correct": list(correct)}


def test_gap_point_is_the_difference_of_the_interpolated_accuracies():
    rng = np.random.default_rng(0)
    rows = [_row("cloud-only", None, 1.0, [1] * 50)]
    for policy, lift in (("confidence", 0.0), ("reward", 0.2)):
        for share in (0.04, 0.12, 0.22):
            p = min(1.0, 0.4 + 2 * share + lift)
            rows.append(_row(policy, share, share, (rng.random(50) < p).astype(int).tolist()))
    accuracy = {r["policy"]: r for r in at_shares(rows)}
    gap = {r["policy"]: r for r in gaps_at_shares(rows, resamples=300)}["reward"]
    for key in ("5.0%", "10.0%", "15.0%", "20.0%"):
        assert gap[key].point == pytest.approx(accuracy["reward"][key] - accuracy["confidence"][key])
        assert gap[key].low <= gap[key].point <= gap[key].high


def test_a_policy_right_on_every_problem_confidence_misses_is_decided_above():
    base = [1] * 30 + [0] * 30
    better = [1] * 60
    rows = [_row("confidence", t, s, base) for t, s in ((0.5, 0.03), (0.9, 0.25))]
    rows += [_row("reward", t, s, better) for t, s in ((2.0, 0.03), (0.1, 0.25))]
    gap = gaps_at_shares(rows, resamples=500)[0]
    assert gap["policy"] == "reward"
    assert gap["10.0%"].point == pytest.approx(0.5) and gap["10.0%"].low > 0.3


def test_identical_outputs_give_a_zero_width_gap_and_outside_the_sweep_none():
    same = [1, 0, 1, 1, 0, 1]
    rows = [_row(p, t, s, same) for p in ("confidence", "reward") for t, s in ((0.1, 0.08), (0.2, 0.16))]
    gap = gaps_at_shares(rows, resamples=200)[0]
    assert gap["10.0%"] == Interval(0.0, 0.0, 0.0)
    assert gap["5.0%"] is None and gap["20.0%"] is None  # not swept: no number is made up


def _tokens(reward, scores, prompts=None):
    n = len(reward)
    return TokenScores(np.asarray(prompts if prompts is not None else np.arange(n) // 10),
                       np.asarray(reward, float), {k: np.asarray(v, float) for k, v in scores.items()})


def test_recall_of_a_perfect_scorer_is_the_oracle_and_a_reversed_one_catches_nothing():
    rng = np.random.default_rng(1)
    reward = np.where(rng.random(400) < 0.08, -rng.uniform(1.5, 8, 400), -rng.uniform(0, 0.5, 400))
    ts = _tokens(reward, {"confidence": rng.random(400), "perfect": reward, "reversed": -reward})
    out = recall_at_shares(ts, resamples=200)
    recall = {r["scorer"]: r for r in out["recall"]}
    assert out["bad_share"] == pytest.approx(float((reward < -1).mean()))
    for key in ("5.0%", "10.0%", "20.0%"):
        assert recall["perfect"][key] == pytest.approx(recall["oracle"][key], abs=0.02)
        assert recall["reversed"][key] == 0.0
    gaps = {g["scorer"]: g for g in out["gaps"]}
    assert gaps["perfect"]["5.0%"].low > 0 and gaps["reversed"]["20.0%"].high < 0
    printed = {g["scorer"]: g for g in printable(out["gaps"])}
    assert printed["perfect"]["5.0%"] == gaps["perfect"]["5.0%"].fmt() and printed["perfect"]["scorer"] == "perfect"


def test_recall_gap_of_a_scorer_equal_to_confidence_is_zero_in_every_resample():
    rng = np.random.default_rng(2)
    reward = -rng.exponential(0.6, 300)
    conf = rng.random(300)
    out = recall_at_shares(_tokens(reward, {"confidence": conf, "copy": conf.copy()}), resamples=100)
    assert all(out["gaps"][0][k] == Interval(0.0, 0.0, 0.0) for k in out["gaps"][0] if k != "scorer")


def test_recall_refuses_what_it_cannot_compare():
    with pytest.raises(ValueError, match="confidence"):
        recall_at_shares(_tokens([-2.0, 0.0], {"reward": [0.1, 0.2]}))
    with pytest.raises(ValueError, match="agrees with the device everywhere"):
        recall_at_shares(_tokens([0.0, -0.2], {"confidence": [0.1, 0.2]}))


def test_trajectory_scores_match_the_cloud_and_a_model_agrees_with_itself(pair, tiny_zoo):
    from inference.cloud import LocalCloud
    from inference.runtime import load_head

    device, cloud_model, tok = pair
    head, _ = load_head(tiny_zoo.path("edge"), "cloud")
    prompt, output = tok("Tom has 3 apples.")["input_ids"], tok(" He buys 4 more, so 7.")["input_ids"]
    ts = score_trajectories(device, cloud_model, [prompt], [output], {"reward": head})
    assert len(ts) == len(output) and (ts.reward <= 1e-6).all()
    assert ((ts.scores["confidence"] > 0) & (ts.scores["confidence"] <= 1)).all()
    # position 0's r from the cloud the decoder calls: the device's proposal after the prompt
    with torch.no_grad():
        proposal = int(device(torch.tensor([prompt])).logits[0, -1].argmax())
    cloud = LocalCloud(cloud_model)
    try:
        scored = cloud.predict("t", prompt + [proposal], len(prompt), 1, 30.0).positions[0]
    finally:
        cloud.close()
    assert ts.reward[0] == pytest.approx(scored.reward, abs=1e-4)
    same = score_trajectories(cloud_model, cloud_model, [prompt], [output], {})
    assert np.allclose(same.reward, 0.0, atol=1e-5)  # the cloud never disagrees with its own argmax


def test_recall_of_marked_tokens_follows_the_marks_not_the_reward():
    rng = np.random.default_rng(3)
    reward = np.where(rng.random(400) < 0.1, -3.0, 0.0)
    marked = (reward < 0) & (rng.random(400) < 0.5)  # half the disagreements change the answer
    # "marks first" escalates the marked tokens before the other disagreements, "reward" ties them
    ts = TokenScores(np.arange(400) // 10, reward, {"confidence": rng.random(400), "marks first": reward - marked},
                     marked)
    out = recall_at_shares(ts, resamples=100, marked=True)
    recall = {r["scorer"]: r for r in out["recall"]}
    assert out["bad_share"] == pytest.approx(marked.mean())
    assert recall["marks first"]["5.0%"] == pytest.approx(recall["oracle"]["5.0%"], abs=0.03)
    with pytest.raises(ValueError, match="needs token scores with marks"):
        recall_at_shares(_tokens(reward, {"confidence": rng.random(400)}), marked=True)


def test_trajectory_marks_stay_aligned_with_the_scored_tokens(pair):
    device, cloud_model, tok = pair
    prompts = [tok("Tom has 3 apples.")["input_ids"], tok("Ann")["input_ids"], tok("Bo has 2.")["input_ids"]]
    outputs = [tok(" He buys 4 more.")["input_ids"], [], tok(" So 2.")["input_ids"]]
    marks = [[i % 2 == 0 for i in range(len(o))] for o in outputs]
    ts = score_trajectories(device, cloud_model, prompts, outputs, {}, marks)
    assert ts.marked.tolist() == marks[0] + marks[2]  # the empty output is skipped with its marks
    assert ts.prompt.tolist() == [0] * len(outputs[0]) + [2] * len(outputs[2])
