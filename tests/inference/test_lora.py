"""Device-side LoRA: the family's frozen A, B-only adapters that travel, merging and seeded fine-tuning."""

import numpy as np
import pytest
import torch
from peft import PeftModel
from transformers import LlamaConfig, LlamaForCausalLM

from inference.errors import InferenceError
from inference.lora import LoraSpec, attach, b_matrices, b_shapes, merged, train_b
from inference.lora_basis import frozen_a

SEED = 1234
R_MAX = 4
IDS = torch.tensor([[3, 14, 15, 9, 26, 5, 35, 8]])


def _tiny_llama(layers: int = 2, seed: int = 0) -> LlamaForCausalLM:
    """A ~6k-parameter Llama: hidden 16, 2 heads sharing 1 KV head (q_proj 16 out, v_proj 8 out).

    Initialised wider than the default 0.02, so a rank-2 update of q/v visibly moves the logits.
    """
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=layers,
                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=64,
                      bos_token_id=1, eos_token_id=2, initializer_range=0.2)
    return LlamaForCausalLM(cfg).eval()


@pytest.fixture(scope="module")
def base() -> LlamaForCausalLM:
    return _tiny_llama()


def _logits(model, ids: torch.Tensor = IDS) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=ids).logits


def _a_matrices(model: PeftModel) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters() if "lora_A" in name}


def _random_b(model: PeftModel, seed: int, scale: float = 0.5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: (rng.standard_normal(v.shape) * scale).astype(np.float32) for k, v in b_matrices(model).items()}


def _target_loss(model, sequences) -> float:
    """Mean loss on the target tokens, the quantity `train_b` minimises."""
    losses = []
    with torch.no_grad():
        for prompt, target in sequences:
            ids = torch.tensor([prompt + target])
            labels = torch.tensor([[-100] * len(prompt) + target])
            losses.append(float(model(input_ids=ids, labels=labels).loss))
    return sum(losses) / len(losses)


# -- LoraSpec and the frozen A ---------------------------------------------------------------


@pytest.mark.parametrize("rank", [0, R_MAX + 1])
def test_lora_spec_rejects_a_rank_outside_1_r_max(rank):
    with pytest.raises(InferenceError, match=f"rank {rank} must lie in \\[1, r_max={R_MAX}\\]"):
        LoraSpec(rank, R_MAX, SEED)


def test_attach_gives_ranks_r_and_r_max_the_same_a_rows_from_the_family_seed(base):
    small, full = attach(base, LoraSpec(2, R_MAX, SEED)), attach(base, LoraSpec(R_MAX, R_MAX, SEED))
    a_small, a_full = _a_matrices(small), _a_matrices(full)
    assert a_small.keys() == a_full.keys() and len(a_small) == 4  # q_proj and v_proj of 2 layers
    for name, a in a_small.items():
        assert a.shape == (2, 16) and a_full[name].shape == (R_MAX, 16)
        assert torch.equal(a, a_full[name][:2])
    # and they are the rows of the public basis for that module's key
    for key, a in ((k, v) for k, v in small.state_dict().items() if "lora_A" in k):
        peft_key = key.replace(".default", "")
        expected = frozen_a(SEED, peft_key, R_MAX, 16)[:2]
        assert np.array_equal(a.numpy(), expected)


def test_attach_with_another_seed_gives_another_a(base):
    a1 = _a_matrices(attach(base, LoraSpec(2, R_MAX, SEED)))
    a2 = _a_matrices(attach(base, LoraSpec(2, R_MAX, SEED + 1)))
    assert all(not torch.equal(a1[k], a2[k]) for k in a1)


def test_attach_freezes_a_and_the_base_so_only_b_trains(base):
    model = attach(base, LoraSpec(2, R_MAX, SEED))
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_B" in n for n in trainable)
    assert len(trainable) == 4


def test_frozen_a_differs_between_the_modules_of_a_family():
    model = attach(_tiny_llama(layers=6), LoraSpec(1, 2, SEED))
    a = _a_matrices(model)
    assert len(a) == 12
    distinct = {tuple(v.flatten().tolist()) for v in a.values()}
    assert len(distinct) == len(a)


# -- B: zero start, loading, round trip ------------------------------------------------------


def test_attach_starts_b_at_zero_so_logits_equal_the_base(base):
    model = attach(base, LoraSpec(2, R_MAX, SEED))
    assert all(not v.any() for v in b_matrices(model).values())
    torch.testing.assert_close(_logits(model), _logits(base))


def test_attach_leaves_the_base_model_untouched(base):
    before = {k: v.clone() for k, v in base.state_dict().items()}
    model = attach(base, LoraSpec(2, R_MAX, SEED), _random_b(attach(base, LoraSpec(2, R_MAX, SEED)), seed=0))
    train_b(model, [([4, 5, 6], [7, 8, 9])], steps=2, lr=1e-2, seed=0)
    after = base.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert not any("lora" in k for k in after)


def test_attach_with_given_b_changes_the_output_and_b_matrices_round_trips_it(base):
    b = _random_b(attach(base, LoraSpec(2, R_MAX, SEED)), seed=1)
    model = attach(base, LoraSpec(2, R_MAX, SEED), b)
    assert (_logits(model) - _logits(base)).abs().max() > 1e-3
    out = b_matrices(model)
    assert out.keys() == b.keys()
    for key in b:
        assert out[key].dtype == np.float32 and np.array_equal(out[key], b[key])
    # what travels re-creates the same model on another node
    torch.testing.assert_close(_logits(attach(base, LoraSpec(2, R_MAX, SEED), out)), _logits(model))


def test_attach_with_a_missing_b_key_names_it(base):
    b = _random_b(attach(base, LoraSpec(2, R_MAX, SEED)), seed=2)
    missing = max(b)
    del b[missing]
    with pytest.raises(InferenceError, match=f"adapter lacks {missing}"):
        attach(base, LoraSpec(2, R_MAX, SEED), b)


def test_attach_rejects_a_b_of_the_wrong_rank(base):
    b = _random_b(attach(base, LoraSpec(1, R_MAX, SEED)), seed=3)  # rank-1 B for a rank-2 node
    with pytest.raises(InferenceError):
        attach(base, LoraSpec(2, R_MAX, SEED), b)


def test_b_shapes_are_the_full_rank_shapes_of_every_b(base):
    shapes = b_shapes(base, R_MAX, SEED)
    assert shapes == {
        f"base_model.model.model.layers.{i}.self_attn.{m}.lora_B.weight": (out, R_MAX)
        for i in range(2) for m, out in (("q_proj", 16), ("v_proj", 8))
    }
    for rank in (1, 3):
        b = b_matrices(attach(base, LoraSpec(rank, R_MAX, SEED)))
        assert {k: v.shape for k, v in b.items()} == {k: (s[0], rank) for k, s in shapes.items()}


# -- merged -----------------------------------------------------------------------------------


def test_merged_gives_the_logits_of_the_peft_model(base):
    model = attach(base, LoraSpec(3, R_MAX, SEED), _random_b(attach(base, LoraSpec(3, R_MAX, SEED)), seed=4))
    plain = merged(model)
    assert not isinstance(plain, PeftModel) and not any("lora" in k for k in plain.state_dict())
    torch.testing.assert_close(_logits(plain), _logits(model), atol=1e-5, rtol=1e-5)
    assert b_matrices(model)  # the adapter model itself keeps its LoRA layers


# -- train_b ----------------------------------------------------------------------------------

SEQUENCES = [([3, 4, 5], [10, 11, 12, 13, 2]), ([6, 7], [20, 21, 22, 2]), ([8, 9, 3], [30, 31, 2])]


def _trained(base, seed: int, steps: int = 12) -> tuple[PeftModel, dict]:
    model = attach(base, LoraSpec(2, R_MAX, SEED))
    stats = train_b(model, SEQUENCES, steps=steps, lr=3e-2, seed=seed, batch=2)
    return model, stats


def test_train_b_with_a_fixed_seed_is_deterministic(base):
    (m1, s1), (m2, s2) = _trained(base, seed=5), _trained(base, seed=5)
    assert s1 == s2
    b1, b2 = b_matrices(m1), b_matrices(m2)
    assert all(np.array_equal(b1[k], b2[k]) for k in b1)
    b3 = b_matrices(_trained(base, seed=6)[0])  # the seed picks the batches
    assert any(not np.array_equal(b1[k], b3[k]) for k in b1)


def test_train_b_lowers_the_loss_on_a_repeated_sequence_and_keeps_a(base):
    sequences = [([5, 6, 7, 8], [40, 41, 42, 43, 44, 2])] * 4
    model = attach(base, LoraSpec(2, R_MAX, SEED))
    a_before = _a_matrices(model)
    before = _target_loss(model, sequences)
    stats = train_b(model, sequences, steps=30, lr=0.1, seed=0)
    after = _target_loss(model, sequences)
    assert after < before - 0.5
    assert stats["steps"] == 30 and stats["examples"] == 4 and stats["loss"] < before
    assert not model.training  # back in eval mode for decoding
    a_after = _a_matrices(model)
    assert all(torch.equal(a_before[k], a_after[k]) for k in a_before)  # A stays the family's frozen basis


@pytest.mark.parametrize("steps,sequences", [(0, SEQUENCES), (3, [])])
def test_train_b_with_nothing_to_do_leaves_b(base, steps, sequences):
    model = attach(base, LoraSpec(2, R_MAX, SEED))
    stats = train_b(model, sequences, steps=steps, lr=1e-2, seed=0)
    assert stats == {"steps": 0, "loss": None, "examples": len(sequences)}
    assert all(not v.any() for v in b_matrices(model).values())
