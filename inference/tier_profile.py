"""Tier profiles: what each tier of the fleet runs and how much it may keep.

| tier   | role                         | model (zoo) | cache budget | n-gram orders |
|--------|------------------------------|-------------|--------------|---------------|
| cloud  | source of corrections        | cloud       | everything   | 2..8          |
| client | subject-matter experts       | client      | ~1e6         | 2..8          |
| edge   | context experts (car, hub)   | edge (~1M)  | ~1e5         | 2..8          |
| iot    | task experts (sensor)        | edge        | ~1e4         | 2..6          |
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from inference.automaton_index import ServeRule
from inference.errors import InferenceError

TIERS = ("cloud", "client", "edge", "iot")


@dataclass(frozen=True)
class TierProfile:
    tier: str
    model: str  # zoo tier/model name or an HF folder
    lora_rank: int
    cache_budget: int | None  # max correction-cache entries kept (None: all)
    ngram_orders: tuple[int, int]  # (n_min, n_max) context lengths stored and matched
    reward_threshold: float | None  # tau; None: the calibrated tau of the (device, cloud) pair
    deadline_s: float  # per cloud call
    # shortest context match the cache may serve from: short contexts are shared by
    # different problems ("25 =" after 13 + 25 and after 43 + 25), long ones are not
    cache_min_match: int = 6
    cache_confidence: float = 0.9  # top next-token share needed to serve from cache
    # times the top next token must have been seen: a context seen once ("there at the
    # end?\nA:" -> " Felix") is one problem's text, not a pattern; a recurring question
    # earns its entries a second count, a shared phrase with different continuations
    # loses its confidence (measured: with 1, the demo served names of other problems)
    cache_min_count: int = 2
    # the same for contexts anchored to the request's prompt (they hold n_max - 1 tokens):
    # inside one answer, short contexts recur with different continuations ("= 5." after
    # "11 - 6" and after "12 - 7"), and the tail after the last escalation is never
    # observed, so a short stored context would be the longest match there
    cache_prompt_min_match: int = 6
    # a digit serves from the cache only on the longest stored context: numbers of different
    # problems share long suffixes ("oranges to Clara, so 2" after 25 and after 2 oranges);
    # measured on `make demo`: most cache errors against cloud-only were such digits
    cache_number_full_match: bool = True

    def __post_init__(self) -> None:
        if self.tier not in TIERS:
            raise InferenceError(f"unknown tier {self.tier!r}: use one of {TIERS}")
        if self.lora_rank <= 0:
            raise InferenceError(f"{self.tier}: lora_rank={self.lora_rank} must be positive")
        if self.cache_budget is not None and self.cache_budget <= 0:
            raise InferenceError(f"{self.tier}: cache_budget must be positive or None")
        n_min, n_max = self.ngram_orders
        if not 1 <= n_min <= n_max <= 32:
            raise InferenceError(f"{self.tier}: ngram_orders {self.ngram_orders} need 1 <= n_min <= n_max <= 32")
        if not n_min <= self.cache_min_match <= n_max:
            raise InferenceError(f"{self.tier}: cache_min_match={self.cache_min_match} must lie in the "
                             f"n-gram orders {self.ngram_orders}")
        if not 1 <= self.cache_prompt_min_match <= n_max - 1:
            raise InferenceError(f"{self.tier}: cache_prompt_min_match={self.cache_prompt_min_match} must "
                             f"lie in [1, {n_max - 1}] (anchored contexts hold n_max - 1 tokens)")
        if self.reward_threshold is not None and not (math.isfinite(self.reward_threshold)
                                                      and self.reward_threshold >= 0):
            raise InferenceError(f"{self.tier}: reward_threshold must be >= 0")
        if not (math.isfinite(self.deadline_s) and self.deadline_s > 0):
            raise InferenceError(f"{self.tier}: deadline_s must be positive")
        if not 0 < self.cache_confidence <= 1:
            raise InferenceError(f"{self.tier}: cache_confidence must lie in (0, 1]")
        if self.cache_min_count < 1:
            raise InferenceError(f"{self.tier}: cache_min_count={self.cache_min_count} must be >= 1")

    def serve_rule(self, number_tokens: frozenset[int] = frozenset()) -> ServeRule:
        """The correction cache's serve rule for this tier; `number_tokens`: the ids that spell a
        digit under the fleet's tokenizer (`inference.tokenizer.number_token_ids`)."""
        return ServeRule(min_match=self.cache_min_match, confidence=self.cache_confidence,
                         min_count=self.cache_min_count, prompt_min_match=self.cache_prompt_min_match,
                         number_tokens=number_tokens if self.cache_number_full_match else frozenset())

    def with_(self, **changes) -> TierProfile:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


DEFAULT_PROFILES: dict[str, TierProfile] = {
    "cloud": TierProfile("cloud", "cloud", lora_rank=16, cache_budget=None, ngram_orders=(2, 8),
                         reward_threshold=0.0, deadline_s=5.0),
    "client": TierProfile("client", "client", lora_rank=16, cache_budget=1_000_000,
                          ngram_orders=(2, 8), reward_threshold=None, deadline_s=2.0),
    "edge": TierProfile("edge", "edge", lora_rank=8, cache_budget=100_000, ngram_orders=(2, 8),
                        reward_threshold=None, deadline_s=1.0),
    # iot keeps a small table, but of long contexts: with orders <= 4 its matches were too
    # short to tell problems apart (demo: 11% accuracy at round 10 vs 67% for edge)
    "iot": TierProfile("iot", "iot", lora_rank=4, cache_budget=10_000, ngram_orders=(2, 6),
                       reward_threshold=None, deadline_s=0.5, cache_min_match=6, cache_prompt_min_match=5),
}


def profile(tier: str) -> TierProfile:
    if tier not in DEFAULT_PROFILES:
        raise InferenceError(f"unknown tier {tier!r}: use one of {TIERS}")
    return DEFAULT_PROFILES[tier]
