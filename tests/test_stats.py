"""fedhybrid.stats: the Wilson interval, the paired query bootstrap, goal verdicts."""

import numpy as np
import pytest

from fedhybrid.stats import Interval, bootstrap_ratios, verdict, wilson


@pytest.mark.parametrize("k, n, low, high", [
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table II, method 3 (score, no correction)
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
    (5, 10, 0.2366, 0.7634),
    (10, 10, 0.7225, 1.0),
])
def test_wilson_matches_published_values(k, n, low, high):
    interval = wilson(k, n)
    assert interval.point == pytest.approx(k / n)
    assert interval.low == pytest.approx(low, abs=1e-4) and interval.high == pytest.approx(high, abs=1e-4)


def test_wilson_bounds_are_exact_at_zero_and_all_and_widen_with_level():
    assert wilson(0, 7).low == 0.0 and wilson(7, 7).high == 1.0
    assert wilson(3, 10, level=0.99).width > wilson(3, 10, level=0.95).width > wilson(3, 10, level=0.8).width


@pytest.mark.parametrize("k, n, level", [(0, 0, 0.95), (3, 2, 0.95), (-1, 5, 0.95), (1, 5, 1.0), (1, 5, 0.0)])
def test_wilson_rejects_what_is_no_proportion(k, n, level):
    with pytest.raises(ValueError):
        wilson(k, n, level=level)


def test_bootstrap_point_is_the_ratio_of_sums_and_the_interval_holds_it():
    tokens = np.array([10, 20, 30, 40.0])
    cloud = np.array([1, 0, 3, 8.0])
    out = bootstrap_ratios({"tokens": tokens, "cloud": cloud}, {"cloud_share": ("cloud", "tokens")}, seed=1)
    share = out["cloud_share"]
    assert share.point == pytest.approx(12 / 100)  # token-weighted, not the mean of per-query shares
    assert share.low <= share.point <= share.high and share.width > 0


def test_bootstrap_is_seeded():
    rng = np.random.default_rng(5)
    cols = {"a": rng.integers(0, 5, 50), "b": rng.integers(5, 10, 50)}
    first = bootstrap_ratios(cols, {"r": ("a", "b")}, seed=(3, 1))
    assert first == bootstrap_ratios(cols, {"r": ("a", "b")}, seed=(3, 1))
    assert first != bootstrap_ratios(cols, {"r": ("a", "b")}, seed=(3, 2))


def test_bootstrap_ratio_is_paired_zero_width_only_when_every_query_agrees():
    rng = np.random.default_rng(0)
    cloud_only = (rng.random(200) < 0.8).astype(float)
    agree = bootstrap_ratios({"system": cloud_only.copy(), "cloud_only": cloud_only},
                             {"vs_cloud": ("system", "cloud_only")})["vs_cloud"]
    assert agree == Interval(1.0, 1.0, 1.0)  # the same resampled queries on both sides
    # one query of 200 differs: no longer certain
    system = cloud_only.copy()
    system[np.flatnonzero(cloud_only == 0)[0]] = 1.0
    one_off = bootstrap_ratios({"system": system, "cloud_only": cloud_only},
                               {"vs_cloud": ("system", "cloud_only")})["vs_cloud"]
    assert one_off.point > 1.0 and one_off.width > 0 and one_off.low >= 1.0
    # and an unpaired comparison of two equal accuracies would not be zero width: pairing matters
    unpaired = bootstrap_ratios({"system": cloud_only, "ones": np.ones(200)}, {"acc": ("system", "ones")})["acc"]
    assert unpaired.width > 0.05


def test_bootstrap_covers_a_known_ratio_about_95_percent_of_the_time():
    # queries with random lengths and a 10% per-token cloud rate: the true cloud share is 0.1
    rng = np.random.default_rng(42)
    trials, covered = 300, 0
    for t in range(trials):
        tokens = rng.integers(5, 60, 150)
        cloud = rng.binomial(tokens, 0.1)
        share = bootstrap_ratios({"tokens": tokens, "cloud": cloud}, {"s": ("cloud", "tokens")},
                                 resamples=400, seed=t)["s"]
        covered += share.low <= 0.1 <= share.high
    assert 0.90 <= covered / trials <= 0.99


def test_bootstrap_strata_keep_each_devices_queries():
    # two devices with very different shares: within-device resampling removes the
    # between-device mix from the interval, so it is narrower than unstratified
    tokens = np.full(40, 10.0)
    cloud = np.r_[np.zeros(20), np.full(20, 10.0)]  # device a: never the cloud, device b: always
    strata = ["a"] * 20 + ["b"] * 20
    stratified = bootstrap_ratios({"t": tokens, "c": cloud}, {"s": ("c", "t")}, strata=strata)["s"]
    plain = bootstrap_ratios({"t": tokens, "c": cloud}, {"s": ("c", "t")})["s"]
    assert stratified == Interval(0.5, 0.5, 0.5) and plain.width > 0.2


def test_bootstrap_zero_denominators():
    # no graded query answered right by cloud-only: no ratio at all
    out = bootstrap_ratios({"s": [0, 0, 0], "c": [0, 0, 0]}, {"r": ("s", "c")})
    assert out["r"] == Interval(None, None, None)
    # a single right answer: samples without it are left out, not counted as zero or infinity
    out = bootstrap_ratios({"s": [1, 0, 0, 0], "c": [1, 0, 0, 0]}, {"r": ("s", "c")})
    assert out["r"] == Interval(1.0, 1.0, 1.0)


@pytest.mark.parametrize("columns, ratios, kwargs, message", [
    ({"a": [], "b": []}, {"r": ("a", "b")}, {}, "no queries"),
    ({}, {}, {}, "no columns"),
    ({"a": [1, 2], "b": [1]}, {"r": ("a", "b")}, {}, "unequal length"),
    ({"a": [1, 2]}, {"r": ("a", "missing")}, {}, "names column 'missing'"),
    ({"a": [1, 2]}, {"r": ("a", "a")}, {"strata": ["x"]}, "one label per query"),
    ({"a": [1, 2]}, {"r": ("a", "a")}, {"resamples": 0}, "resamples"),
    ({"a": [1, 2]}, {"r": ("a", "a")}, {"level": 95}, "level"),
])
def test_bootstrap_rejects_bad_input_clearly(columns, ratios, kwargs, message):
    with pytest.raises(ValueError, match=message):
        bootstrap_ratios(columns, ratios, **kwargs)


@pytest.mark.parametrize("interval, goal, at_least, expected", [
    (Interval(0.97, 0.955, 0.99), 0.95, True, "met"),
    (Interval(0.93, 0.90, 0.945), 0.95, True, "not met"),
    (Interval(0.96, 0.94, 0.98), 0.95, True, "undecided"),
    (Interval(1.0, 1.0, 1.0), 1.0, True, "met"),  # on the goal exactly
    (Interval(0.046, 0.031, 0.060), 0.03, False, "not met"),
    (Interval(0.02, 0.012, 0.029), 0.03, False, "met"),
    (Interval(0.03, 0.02, 0.04), 0.03, False, "undecided"),
    (Interval(0.5, None, None), 0.3, False, "undecided"),
])
def test_verdict_needs_the_whole_interval_on_one_side(interval, goal, at_least, expected):
    assert verdict(interval, goal, at_least) == expected


def test_interval_formats_as_percent_with_bounds():
    assert Interval(0.046, 0.031, 0.06).fmt() == "4.6% [3.1, 6.0]"
    assert Interval(0.5, None, None).fmt() == "50.0%" and Interval(None, None, None).fmt() == "-"
    assert Interval(0.5, 0.25, 0.75).fmt(percent=False, digits=2) == "0.50 [0.25, 0.75]"
