import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference.lora_basis import frozen_a
from strategies.lora_math import (
    Reply,
    RobustConfig,
    aggregate_fedavg_ab,
    aggregate_frozen_a,
    effective_delta,
    truncate_for_rank,
    validate,
)

KEY_B = "layers.0.q_proj.lora_B.weight"
KEY_A = "layers.0.q_proj.lora_A.weight"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1, 2, 4, 8]), st.floats(0.1, 10.0)), min_size=1, max_size=7),
       st.integers(0, 2**31 - 1))
def test_frozen_a_aggregate_equals_weighted_sum_of_products(nodes, seed):
    rng = np.random.default_rng(seed)
    d_out, d_in, r_max = 6, 5, 8
    a = frozen_a(seed, KEY_A, r_max, d_in)
    previous = {KEY_B: np.zeros((d_out, r_max), dtype=np.float32)}
    replies = [Reply(f"n{i}", r, w, {KEY_B: rng.normal(size=(d_out, r)).astype(np.float32)})
               for i, (r, w) in enumerate(nodes)]
    agg, _ = aggregate_frozen_a(replies, previous, r_max, RobustConfig(enabled=False))
    weights = np.array([w for _, w in nodes]) / sum(w for _, w in nodes)
    expected = sum(p * effective_delta(rep.tensors[KEY_B], a[: rep.rank]) for p, rep in zip(weights, replies))
    assert np.abs(effective_delta(agg[KEY_B], a) - expected).max() < 1e-6 * max(1.0, np.abs(expected).max())


def test_fedavg_of_a_and_b_is_not_the_average_of_products():
    rng = np.random.default_rng(0)
    replies = [Reply(f"n{i}", 4, 1.0, {KEY_B: rng.normal(size=(6, 4)), KEY_A: rng.normal(size=(4, 5))})
               for i in range(3)]
    agg, _ = aggregate_fedavg_ab(replies, 4)
    exact = sum(effective_delta(r.tensors[KEY_B], r.tensors[KEY_A]) for r in replies) / 3
    assert np.abs(effective_delta(agg[KEY_B], agg[KEY_A]) - exact).max() > 1e-2


def test_frozen_a_is_public_and_deterministic():
    assert np.array_equal(frozen_a(7, KEY_A, 8, 16), frozen_a(7, KEY_A, 8, 16))
    assert not np.array_equal(frozen_a(7, KEY_A, 8, 16), frozen_a(8, KEY_A, 8, 16))
    assert not np.array_equal(frozen_a(7, KEY_A, 8, 16), frozen_a(7, KEY_A.replace("q", "v"), 8, 16))
    # nested ranks: a rank-4 node's A is the first 4 rows of the rank-8 family A
    assert frozen_a(7, KEY_A, 8, 16).shape == (8, 16)
    assert truncate_for_rank({KEY_B: np.ones((6, 8))}, 4)[KEY_B].shape == (6, 4)


def test_poisoned_replies_are_dropped_with_reasons():
    shapes = {KEY_B: (6, 8)}
    ok = Reply("good", 4, 1.0, {KEY_B: np.zeros((6, 4))})
    nan = Reply("nan", 4, 1.0, {KEY_B: np.full((6, 4), np.nan)})
    inf = Reply("inf", 8, 1.0, {KEY_B: np.full((6, 8), np.inf)})
    shape = Reply("shape", 4, 1.0, {KEY_B: np.zeros((7, 4))})
    keys = Reply("keys", 4, 1.0, {"other": np.zeros((6, 4))})
    rank = Reply("rank", 16, 1.0, {KEY_B: np.zeros((6, 16))})
    weight = Reply("weight", 4, float("nan"), {KEY_B: np.zeros((6, 4))})
    good, dropped = validate([ok, nan, inf, shape, keys, rank, weight], shapes, 8)
    assert [r.node for r in good] == ["good"]
    reasons = dict(dropped)
    assert "NaN" in reasons["nan"] and "NaN or Inf" in reasons["inf"]
    assert "shape" in reasons["shape"] and "wrong keys" in reasons["keys"]
    assert "rank 16" in reasons["rank"] and "weight" in reasons["weight"]


def test_clipping_and_trimmed_mean_bound_a_malicious_update():
    rng = np.random.default_rng(1)
    previous = {KEY_B: np.zeros((6, 8), dtype=np.float32)}
    honest = [Reply(f"h{i}", 8, 1.0, {KEY_B: rng.normal(scale=0.01, size=(6, 8))}) for i in range(9)]
    attacker = Reply("evil", 8, 1.0, {KEY_B: np.full((6, 8), 1e6)})
    plain, _ = aggregate_frozen_a(honest + [attacker], previous, 8, RobustConfig(enabled=False))
    robust, info = aggregate_frozen_a(honest + [attacker], previous, 8, RobustConfig())
    assert np.abs(plain[KEY_B]).max() > 1e4
    assert np.abs(robust[KEY_B]).max() < 0.1
    median, _ = aggregate_frozen_a(honest + [attacker], previous, 8, RobustConfig(method="median"))
    assert np.abs(median[KEY_B]).max() < 0.1
    assert max(info["update_norms"]) > 1e6


def test_robust_config_rejects_bad_values():
    with pytest.raises(ValueError, match="robust method"):
        RobustConfig(method="mode")
    with pytest.raises(ValueError, match="trim"):
        RobustConfig(trim=0.5)
