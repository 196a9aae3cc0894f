"""Tier profiles: the shipped defaults validate, every bad field is a clear error, copies re-validate."""

import dataclasses
import math

import pytest

from inference.automaton_index import ServeRule
from inference.errors import InferenceError
from inference.tier_profile import DEFAULT_PROFILES, TIERS, TierProfile, profile


def _fields(p: TierProfile) -> dict:
    return {f.name: getattr(p, f.name) for f in dataclasses.fields(p)}


@pytest.mark.parametrize("tier", TIERS)
def test_default_profile_validates_and_is_served_by_profile(tier):
    p = DEFAULT_PROFILES[tier]
    assert p.tier == tier and profile(tier) is p
    assert TierProfile(**_fields(p)) == p  # constructing it again passes every rule
    p.serve_rule()  # and its serve rule is a valid one


def test_default_profiles_cover_every_tier_with_decreasing_budgets():
    assert set(DEFAULT_PROFILES) == set(TIERS)
    budgets = [DEFAULT_PROFILES[t].cache_budget for t in ("client", "edge", "iot")]
    assert DEFAULT_PROFILES["cloud"].cache_budget is None  # the cloud keeps everything
    assert budgets == sorted(budgets, reverse=True)


def test_profile_of_an_unknown_tier_is_a_clear_error():
    with pytest.raises(InferenceError, match=r"unknown tier 'satellite'.*cloud.*client.*edge.*iot"):
        profile("satellite")


@pytest.mark.parametrize("changes,field", [
    ({"tier": "satellite"}, "unknown tier 'satellite'"),
    ({"lora_rank": 0}, "lora_rank=0"),
    ({"lora_rank": -4}, "lora_rank=-4"),
    ({"cache_budget": 0}, "cache_budget"),
    ({"ngram_orders": (0, 8)}, "ngram_orders"),
    ({"ngram_orders": (5, 4)}, "ngram_orders"),
    ({"ngram_orders": (2, 33)}, "ngram_orders"),
    ({"cache_min_match": 1}, "cache_min_match=1"),  # below n_min = 2
    ({"cache_min_match": 9}, "cache_min_match=9"),  # above n_max = 8
    ({"ngram_orders": (7, 8)}, "cache_min_match=6"),  # the orders move away from the default match
    ({"cache_prompt_min_match": 0}, "cache_prompt_min_match=0"),
    ({"cache_prompt_min_match": 8}, "cache_prompt_min_match=8"),  # anchored contexts hold n_max - 1 tokens
    ({"reward_threshold": -0.1}, "reward_threshold"),
    ({"deadline_s": 0.0}, "deadline_s"),
    ({"deadline_s": -1.0}, "deadline_s"),
    ({"cache_confidence": 0.0}, "cache_confidence"),
    ({"cache_confidence": 1.01}, "cache_confidence"),
    ({"cache_min_count": 0}, "cache_min_count=0"),
])
def test_tier_profile_rejects_a_bad_field_naming_it(changes, field):
    fields = {**_fields(DEFAULT_PROFILES["edge"]), **changes}
    with pytest.raises(InferenceError, match=field):
        TierProfile(**fields)


@pytest.mark.parametrize("field", ["reward_threshold", "deadline_s"])
def test_tier_profile_rejects_nan(field):
    with pytest.raises(InferenceError, match=field):
        DEFAULT_PROFILES["edge"].with_(**{field: math.nan})


def test_tier_profile_error_names_the_tier():
    with pytest.raises(InferenceError, match="^iot: lora_rank=0"):
        TierProfile(**{**_fields(DEFAULT_PROFILES["iot"]), "lora_rank": 0})


def test_tier_profile_accepts_the_edges_of_each_range():
    edge = DEFAULT_PROFILES["edge"]
    p = edge.with_(ngram_orders=(1, 32), cache_min_match=1, cache_prompt_min_match=31, cache_budget=1,
                   reward_threshold=0.0, cache_confidence=1.0, cache_min_count=1, lora_rank=1)
    assert p.ngram_orders == (1, 32) and p.cache_prompt_min_match == 31
    assert edge.with_(cache_budget=None, reward_threshold=None).cache_budget is None


def test_serve_rule_carries_the_profile_fields():
    p = DEFAULT_PROFILES["client"].with_(cache_min_match=5, cache_confidence=0.8, cache_min_count=4,
                                         cache_prompt_min_match=3)
    rule = p.serve_rule()
    assert isinstance(rule, ServeRule)
    assert (rule.min_match, rule.confidence, rule.min_count, rule.prompt_min_match) == (5, 0.8, 4, 3)


def test_serve_rule_takes_the_digit_ids_unless_the_profile_turns_the_rule_off():
    digits = frozenset({3, 4})
    assert DEFAULT_PROFILES["edge"].serve_rule(digits).number_tokens == digits
    assert DEFAULT_PROFILES["edge"].serve_rule().number_tokens == frozenset()
    off = DEFAULT_PROFILES["edge"].with_(cache_number_full_match=False)
    assert off.serve_rule(digits).number_tokens == frozenset()


def test_with_returns_a_changed_copy_and_leaves_the_original():
    edge = DEFAULT_PROFILES["edge"]
    copy = edge.with_(lora_rank=2, deadline_s=0.25)
    assert (copy.lora_rank, copy.deadline_s) == (2, 0.25)
    assert {k: v for k, v in _fields(copy).items() if k not in ("lora_rank", "deadline_s")} == \
        {k: v for k, v in _fields(edge).items() if k not in ("lora_rank", "deadline_s")}
    assert (edge.lora_rank, edge.deadline_s) == (8, 1.0)


@pytest.mark.parametrize("changes,field", [
    ({"lora_rank": 0}, "lora_rank"),
    ({"ngram_orders": (2, 4)}, "cache_min_match"),  # valid orders, but the default min match no longer fits
    ({"deadline_s": 0}, "deadline_s"),
])
def test_with_validates_the_copy(changes, field):
    with pytest.raises(InferenceError, match=field):
        DEFAULT_PROFILES["edge"].with_(**changes)


def test_tier_profile_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_PROFILES["edge"].lora_rank = 2
