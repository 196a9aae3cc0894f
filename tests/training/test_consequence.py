"""Consequence labels: r where the device's token changes the graded answer, 0 where it does not."""

import pytest
import torch

from inference.cloud import CloudUnavailable, LocalCloud
from inference.device_model import DeviceModel
from inference.reward_head import RewardHead
from inference.tokenizer import encode_prompt
from training.calibrate import CalibrationConfig, calibrate
from training.calibration_sets import CalibrationSets, Task
from training.consequence import consequence_labels
from training.errors import TrainingError
from workloads import wordmath

PROMPTS = [p.prompt for p in wordmath.generate("train", 6, seed=29)]
MAX_NEW = 12


def _cloud_greedy(model, ids, n, eos):
    out = model.generate(torch.tensor([ids]), max_new_tokens=n, do_sample=False, pad_token_id=eos, eos_token_id=eos)
    return out[0, len(ids):].tolist()


@torch.no_grad()
def _teacher_forced(device, cloud_model, ids, answer):
    """(device proposals (n,), r of each proposal under the cloud (n,)) along prompt + answer."""
    x = torch.tensor([ids + answer])
    first = len(ids) - 1
    proposals = device(x).logits[0, first:-1].argmax(-1)
    clp = torch.log_softmax(cloud_model(x).logits[0, first:-1].float(), -1)
    return proposals, clp.gather(1, proposals.view(-1, 1)).view(-1) - clp.max(-1).values


def _label(pair, judge, weight=0.0):
    device, cloud_model, tok = pair
    cloud = LocalCloud(cloud_model)
    tasks = [Task(p, judge) for p in PROMPTS]
    try:
        hidden, logprobs, labels, stats = consequence_labels(DeviceModel(device), cloud, tok, tasks, MAX_NEW, 30.0,
                                                             inconsequential_weight=weight)
    finally:
        cloud.close()
    return tasks, hidden, logprobs, labels, stats


def test_every_disagreement_counts_when_any_change_of_the_answer_fails(pair):
    device, cloud_model, tok = pair
    tasks, hidden, logprobs, labels, stats = _label(pair, lambda text, ids, ref: ids == ref)
    start, expected = 0, []
    for task in tasks:
        ids = encode_prompt(tok, task.prompt)
        # the rows follow the cloud's greedy answer, which is kept as the task's reference
        assert task.reference == _cloud_greedy(cloud_model, ids, MAX_NEW, tok.eos_token_id)
        proposals, r = _teacher_forced(device, cloud_model, ids, task.reference)
        disagree = proposals != torch.tensor(task.reference)
        expected.append(torch.where(disagree, r, torch.zeros_like(r)))
        start += len(task.reference)
    expected = torch.cat(expected)
    assert len(labels) == len(hidden) == len(logprobs) == start
    assert stats["disagreements"] == stats["consequential"] == int((expected != 0).sum()) > 0
    torch.testing.assert_close(labels, expected.float(), atol=1e-4, rtol=1e-4)
    assert (labels <= 0).all()


def test_a_disagreement_that_leaves_the_verdict_is_labelled_zero(pair):
    device, cloud_model, tok = pair
    # the verdict depends on the answer's first token only: later disagreements change nothing
    tasks, _, _, labels, stats = _label(pair, lambda text, ids, ref: ids[:1] == ref[:1])
    start, first_disagreements = 0, 0
    for task in tasks:
        proposals, r = _teacher_forced(device, cloud_model, encode_prompt(tok, task.prompt), task.reference)
        n = len(task.reference)
        assert (labels[start + 1:start + n] == 0).all()
        if proposals[0] != task.reference[0]:
            first_disagreements += 1
            assert labels[start] == pytest.approx(float(r[0]), abs=1e-4)
        else:
            assert labels[start] == 0
        start += n
    assert stats["consequential"] == first_disagreements
    assert stats["disagreements"] > stats["consequential"]


def test_a_disagreement_that_leaves_the_verdict_keeps_its_weight_of_r(pair):
    device, cloud_model, tok = pair
    tasks, _, _, labels, stats = _label(pair, lambda text, ids, ref: ids[:1] == ref[:1], weight=0.5)
    start, later = 0, 0
    for task in tasks:
        proposals, r = _teacher_forced(device, cloud_model, encode_prompt(tok, task.prompt), task.reference)
        n = len(task.reference)
        disagree = proposals[1:] != torch.tensor(task.reference[1:])
        expected = torch.where(disagree, 0.5 * r[1:], torch.zeros_like(r[1:]))
        torch.testing.assert_close(labels[start + 1:start + n], expected.float(), atol=1e-4, rtol=1e-4)
        later += int(disagree.sum())
        start += n
    assert later > 0 and stats["inconsequential_weight"] == 0.5


def test_a_judge_nothing_can_change_gives_no_positive_label(pair):
    _, _, _, labels, stats = _label(pair, lambda text, ids, ref: True)
    assert stats["disagreements"] > 0 and stats["consequential"] == 0
    assert (labels == 0).all()


def test_a_cloud_that_fails_while_labelling_writes_no_head(pair, tmp_path):
    device, cloud_model, tok = pair
    cloud = LocalCloud(cloud_model)
    cloud.close()  # every call now raises CloudUnavailable
    sets = CalibrationSets([Task(p, lambda text, ids, ref: True) for p in PROMPTS],
                           [Task(p, lambda text, ids, ref: True) for p in PROMPTS[:2]],
                           [Task(p, lambda text, ids, ref: True) for p in PROMPTS[2:4]])
    with pytest.raises(CloudUnavailable, match="shut down"):
        calibrate(device, cloud, tok, tmp_path / "head", CalibrationConfig(max_new_tokens=MAX_NEW, labels="consequence"),
                  sets=sets)
    assert not (tmp_path / "head").exists()


def test_calibrate_records_which_labels_trained_the_head(pair, tmp_path):
    device, cloud_model, tok = pair
    cloud = LocalCloud(cloud_model)
    cfg = CalibrationConfig(train_problems=6, calib_problems=2, max_new_tokens=MAX_NEW, epochs=2, grid=2,
                            labels="consequence")
    try:
        meta = calibrate(device, cloud, tok, tmp_path / "head", cfg)
    finally:
        cloud.close()
    assert meta["head"]["labels"] == "consequence" and meta["head"]["disagreements"] > 0
    _, saved = RewardHead.load(tmp_path / "head")
    assert saved["head"]["labels"] == "consequence"


def test_unknown_labels_and_a_weight_outside_0_1_are_refused():
    with pytest.raises(TrainingError, match="consequence, disagreement"):
        CalibrationConfig(labels="cloud-trajectory")
    with pytest.raises(TrainingError, match=r"inconsequential_weight=1.5 must lie in \[0, 1\]"):
        CalibrationConfig(inconsequential_weight=1.5)
