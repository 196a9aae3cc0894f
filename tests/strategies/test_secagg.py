"""Secure aggregation (SecAgg+): exact sums under dropouts, masked updates that look random,
devices that refuse what would reveal them, and the server refusing what it cannot unmask."""

import numpy as np
import pytest

from strategies import shamir
from strategies.errors import StrategyError
from strategies.secagg import (
    DeviceSession,
    SecAggConfig,
    ServerSession,
    dequantize,
    flatten,
    quantize,
    unflatten,
)

SHAPES = {"l0.q.lora_B": (12, 4), "l0.v.lora_B": (6, 4)}


def _fleet(n, seed=0, cfg=SecAggConfig(), shapes=SHAPES):
    devices = [f"edge-{i}" for i in range(n)]
    server = ServerSession(cfg, 3, "edge", devices, seed, shapes)
    sessions = {d: DeviceSession(3, "edge", d) for d in devices}
    offers = server.offers({d: s.advertise() for d, s in sessions.items()})
    inbox = server.route({d: sessions[d].share(offers[d]) for d in offers})
    return server, sessions, inbox


def _update(rng, rank=None, shapes=SHAPES):
    r = rank or int(rng.integers(1, 5))
    return {k: rng.normal(scale=0.05, size=(d, r)) for k, (d, _) in shapes.items()}, float(rng.integers(1, 40))


def _x(rng):
    adapter, weight = _update(rng)
    return flatten(adapter, SHAPES, weight)


def _run(n, drop, seed=0, cfg=SecAggConfig(), shapes=SHAPES):
    rng = np.random.default_rng(seed)
    server, sessions, inbox = _fleet(n, seed, cfg, shapes)
    plain, masked = {}, {}
    for i, device in enumerate(sorted(inbox)):
        adapter, weight = _update(rng, shapes=shapes)
        plain[device] = flatten(adapter, shapes, weight)
        if device not in drop:  # the dropped never send their masked update
            masked[device] = sessions[device].mask(plain[device], inbox[device])
    requests = server.collect(masked)
    answers = {d: sessions[d].reveal(r["b"], r["s"]) for d, r in requests.items()}
    return server, plain, masked, server.unmask(answers)


def test_hundred_devices_ten_percent_dropping_mid_round_sum_exactly():
    devices = [f"edge-{i}" for i in range(100)]
    drop = set(devices[3::10])
    server, plain, _, (weighted, weight, contributors) = _run(100, drop)
    assert set(contributors) == set(devices) - drop and server.dropped == sorted(drop)
    expected, expected_weight = unflatten(sum(plain[d] for d in contributors), SHAPES)
    assert weight == pytest.approx(expected_weight, abs=1e-5)
    for key in SHAPES:
        assert np.abs(weighted[key] - expected[key]).max() < 1e-5
    assert 2 <= server.k < 99  # SecAgg+: a sparse neighbourhood, not all pairs


def test_a_masked_update_is_indistinguishable_from_random():
    # an adapter of 4,097 values: the masks come from fresh X25519 keys each run, and on the 73
    # values of SHAPES a random vector's correlation with the update exceeds 0.2 about one run in ten
    big = {"l0.q.lora_B": (256, 8), "l0.v.lora_B": (256, 8)}
    _server, plain, masked, _ = _run(12, set(), seed=1, shapes=big)
    device = min(masked)
    y = np.frombuffer(masked[device], dtype="<u8")
    q = quantize(plain[device])
    assert np.mean(y == q) == 0.0
    bits = np.unpackbits(y.view(np.uint8))
    assert abs(bits.mean() - 0.5) < 0.02  # uniform bits, whereas the plain code is mostly 0s or 1s
    assert abs(np.corrcoef(dequantize(y), plain[device])[0, 1]) < 0.2


def test_survivors_reveal_self_mask_but_the_pairwise_masks_still_hide_the_update():
    from strategies.secagg import prg

    rng = np.random.default_rng(2)
    _server, sessions, inbox = _fleet(10, 2)
    device = min(inbox)
    x = _x(rng)
    # the session survives the trip through the node's context.state between messages
    session = DeviceSession.from_bytes(sessions[device].to_bytes())
    y = np.frombuffer(session.mask(x, inbox[device]), dtype="<u8")
    without_self = y - prg(session.b, y.size)  # what the server can compute after unmasking
    assert np.mean(without_self == quantize(x)) == 0.0
    assert abs(np.unpackbits(without_self.view(np.uint8)).mean() - 0.5) < 0.02


def test_a_device_never_reveals_both_secrets_of_one_neighbour_nor_its_own_mask_key():
    rng = np.random.default_rng(3)
    _, sessions, inbox = _fleet(6)
    device = min(inbox)
    other = min(inbox[device])
    sessions[device].mask(_x(rng), inbox[device])
    with pytest.raises(StrategyError, match="both secrets"):
        sessions[device].reveal([other], [other])
    with pytest.raises(StrategyError, match="own mask key"):
        sessions[device].reveal([], [device])
    with pytest.raises(StrategyError, match="before"):
        DeviceSession(3, "edge", "x").reveal([], [])


def test_tampered_shares_do_not_authenticate():
    rng = np.random.default_rng(4)
    _, sessions, inbox = _fleet(6)
    device = min(inbox)
    other = min(inbox[device])
    bad = dict(inbox[device])
    bad[other] = bad[other][:-1] + bytes([bad[other][-1] ^ 1])
    sessions[device].mask(_x(rng), bad)
    with pytest.raises(StrategyError, match="do not authenticate"):
        sessions[device].reveal(sorted(inbox[device]), [])


def test_too_many_dropouts_are_refused_by_name_not_summed_wrong():
    devices = [f"edge-{i}" for i in range(8)]
    cfg = SecAggConfig(threshold_fraction=0.9)
    rng = np.random.default_rng(5)
    server, sessions, inbox = _fleet(8, 0, cfg)
    masked = {d: sessions[d].mask(_x(rng), inbox[d]) for d in devices[:3]}
    requests = server.collect(masked)
    answers = {}
    for d, r in requests.items():
        try:
            answers[d] = sessions[d].reveal(r["b"], r["s"])
        except StrategyError as exc:  # devices refuse to unmask with fewer survivors than t
            assert "fewer than the threshold" in str(exc)
    with pytest.raises(StrategyError, match="shares of the .* of edge-.* came back"):
        server.unmask(answers)


def test_a_masked_update_of_the_wrong_length_is_left_out_and_named():
    rng = np.random.default_rng(6)
    server, sessions, inbox = _fleet(5)
    masked = {d: sessions[d].mask(_x(rng), inbox[d]) for d in inbox}
    short = min(masked)
    masked[short] = masked[short][:-8]
    server.collect(masked)
    assert short in dict(server.excluded) and short in server.dropped


def test_updates_that_cannot_be_coded_are_refused_before_anything_is_sent():
    with pytest.raises(StrategyError, match="NaN"):
        quantize(np.array([0.0, np.nan]))
    with pytest.raises(StrategyError, match="exceeds"):
        quantize(np.array([2.0**31]))
    with pytest.raises(StrategyError, match="keys differ"):
        flatten({"x": np.zeros((12, 2))}, SHAPES, 1.0)


def test_shamir_any_t_shares_rebuild_and_fewer_do_not():
    import os

    secret = os.urandom(32)
    shares = shamir.split(secret, [1, 2, 3, 4, 5, 6], 4)
    assert shamir.combine({x: shares[x] for x in (2, 3, 5, 6)}, 4) == secret
    assert shamir.combine({x: shares[x] for x in (1, 4, 5, 6)}, 4) == secret
    with pytest.raises(StrategyError, match="cannot reconstruct"):
        shamir.combine({x: shares[x] for x in (1, 2, 3)}, 4)


def test_bad_secagg_settings_are_refused():
    with pytest.raises(StrategyError, match="threshold fraction"):
        SecAggConfig(threshold_fraction=1.0)
    with pytest.raises(StrategyError, match="degree"):
        SecAggConfig(degree=-1)
