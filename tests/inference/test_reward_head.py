"""The reward head's hot path: the C scorer must be the same function as the torch module."""

import copy
import pickle

import pytest
import torch

from inference import reward_head
from inference.reward_head import RewardHead, RewardHeadConfig

needs_c = pytest.mark.skipif(reward_head._native is None, reason="C extension not built")


def _random_head(d: int, k: int, w: int, seed: int) -> RewardHead:
    torch.manual_seed(seed)
    head = RewardHead(RewardHeadConfig(hidden_size=d, top_k=k, width=w))
    with torch.no_grad():  # non-trivial LayerNorm affine, so the folding is exercised
        head.norm.weight.uniform_(0.5, 1.5)
        head.norm.bias.normal_(0, 0.3)
        for p in (*head.fc1.parameters(), *head.fc2.parameters()):
            p.normal_(0, 0.3)
    return head.eval()


def _inputs(d: int, vocab: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    hidden = torch.randn(d, generator=g) * 2 + 0.5
    logprobs = torch.log_softmax(torch.randn(vocab, generator=g) * 3, dim=-1)
    return hidden, logprobs


def _torch_score(head: RewardHead, hidden, logprobs) -> float:
    with torch.no_grad():
        return float(head.forward(head.features(hidden, logprobs)))


@needs_c
@pytest.mark.parametrize("d,k,w,vocab", [(128, 8, 64, 2048), (24, 3, 5, 50), (7, 1, 1, 1)])
def test_c_score_equals_the_torch_head(d, k, w, vocab):
    head = _random_head(d, k, w, seed=d)
    for seed in range(25):
        hidden, logprobs = _inputs(d, vocab, seed)
        expected = _torch_score(head, hidden, logprobs)
        assert head.score(hidden, logprobs) == pytest.approx(expected, rel=1e-4, abs=1e-4)
    assert head._scorer is not None  # the C path actually ran


@needs_c
def test_c_score_follows_weight_changes_and_survives_copies():
    head, other = _random_head(16, 4, 8, seed=1), _random_head(16, 4, 8, seed=2)
    hidden, logprobs = _inputs(16, 40, seed=3)
    before = head.score(hidden, logprobs)
    head.load_state_dict(other.state_dict())  # new weights: the bound scorer must not be reused
    assert head.score(hidden, logprobs) == pytest.approx(_torch_score(other, hidden, logprobs), abs=1e-4)
    assert head.score(hidden, logprobs) != pytest.approx(before, abs=1e-3)

    head.train()  # an optimiser step in training mode, then back to eval
    opt = torch.optim.SGD(head.parameters(), lr=0.5)
    head(torch.randn(4, 20)).sum().backward()
    opt.step()
    head.eval()
    assert head.score(hidden, logprobs) == pytest.approx(_torch_score(head, hidden, logprobs), abs=1e-4)

    for clone in (copy.deepcopy(head), pickle.loads(pickle.dumps(head))):
        assert clone.score(hidden, logprobs) == pytest.approx(head.score(hidden, logprobs), abs=1e-6)


def test_torch_path_runs_without_the_extension(monkeypatch):
    head = _random_head(16, 4, 8, seed=5)
    hidden, logprobs = _inputs(16, 40, seed=6)
    monkeypatch.setattr(reward_head, "_native", None)
    assert head.score(hidden, logprobs) == pytest.approx(_torch_score(head, hidden, logprobs), abs=1e-6)
    assert head._scorer is None


@needs_c
def test_c_score_rejects_inputs_of_the_wrong_shape_or_type():
    head = _random_head(16, 4, 8, seed=7)
    hidden, logprobs = _inputs(16, 40, seed=8)
    with pytest.raises(ValueError, match="hidden has 15 values, expected 16"):
        head.score(hidden[:15], logprobs)
    with pytest.raises(ValueError, match="fewer than top_k=4"):
        head.score(hidden, logprobs[:3])
    with pytest.raises(TypeError, match="logprobs must be a contiguous float32 array"):
        head.score(hidden, logprobs.double())


def test_a_damaged_head_file_is_a_clear_error_not_an_internal_one(tmp_path):
    """A head whose weights file is damaged (a bad safetensors header) raised the library's
    SafetensorError, which the CLI could only report as an internal error (exit 3)."""
    from inference.errors import InferenceError
    from inference.reward_head import HEAD_FILE

    RewardHead(RewardHeadConfig(hidden_size=8, top_k=4)).save(tmp_path / "head")
    weights = tmp_path / "head" / HEAD_FILE
    data = bytearray(weights.read_bytes())
    data[12:16] = b"\xff\xff\xff\xff"  # inside the JSON header
    weights.write_bytes(bytes(data))
    with pytest.raises(InferenceError, match="is unreadable .* run `fedhybrid calibrate` again"):
        RewardHead.load(tmp_path / "head")
