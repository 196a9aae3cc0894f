"""What one request asks of the decode loop and what it gets back.

`DecodeConfig` holds per-request settings (the routing policy and its threshold travel
separately, so the threshold is a runtime dial); `Generation` is the result, every token
with its `Provenance`; `Correction` is what the correction cache learns from a request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from inference.errors import InferenceError

MIN_LOOP_STOP = 8  # the shortest tail `DecodeConfig.loop_stop` may judge a loop on


def valid_loop_stop(n: int) -> bool:
    """0 (off) or a tail of at least MIN_LOOP_STOP tokens (every config that carries one checks this)."""
    return n == 0 or n >= MIN_LOOP_STOP


class Provenance(str, Enum):
    DEVICE = "device"
    CLOUD = "cloud"
    CACHE = "cache"


@dataclass(frozen=True)
class DecodeConfig:
    """Per-request decoding settings (the policy and its threshold travel separately)."""

    max_new_tokens: int = 128
    verify: bool = False  # verify accepted device tokens whenever the cloud is asked
    verify_window: int | None = None  # None: every token since the last verification
    deadline_s: float = 2.0  # per cloud call
    cloud_top_k: int = 8
    temperature: float = 0.0  # 0: greedy
    seed: int = 0  # sampling seed (temperature > 0)
    stop_at_eos: bool = True
    # Token ids that end generation like EOS (vLLM's `stop`, precomputed per tokenizer with
    # inference.tokenizer.stop_token_ids). Text past the answer is never served, scored or
    # corrected, so no correction cache learns from it.
    stop_ids: frozenset[int] = frozenset()
    correction_context: int = 8  # context tokens recorded with each correction (observation)
    # Cache loop guard: a cache whose entries chain into a short cycle (n-grams of a
    # degenerate output, "\n#\n#...") would serve it until max_new_tokens, with no reward
    # head or cloud to break it. Once the last `cache_loop_repeats` periods (of <= 4
    # tokens) were all served from cache, the request stops serving from cache. With the loop
    # stop on, a cycle the request's own prompt entries serve is let through: it is the
    # cloud's own earlier answer to this prompt, which the loop stop ends (agents demo: one
    # recurring question the cloud loops on cost 32 cloud tokens at each recurrence).
    cache_loop_repeats: int = 3
    # Loop stop: once the last `loop_stop` generated tokens are one cycle of <= 4 tokens
    # repeated ("\n#\n#..." from a model that cannot answer), the request ends there
    # (`Generation.loop_stopped`; the finish reason is "length"). Whoever produced the loop,
    # every further token is more of it, and once escalated each costs a cloud token: on the
    # agents demo one recurring question the cloud loops on was 45% of the fleet's cloud
    # tokens. 0 turns it off; otherwise >= 8, so a short legitimate repeat never ends a request.
    loop_stop: int = 0
    # With a correction cache attached, every escalation also has the cloud score the
    # tokens it had not scored yet (session KV reuse computes them in the same forward pass
    # anyway) and records its greedy choice at each: a confirmation where it equals the
    # output token, a correction (and, for a cache-served token, a contradiction) where it
    # does not. A cache fed only escalations sees one side of a context that the cloud
    # continues differently in different requests (" does Chloe have left?\nA:" -> " Sam"
    # in one problem, " There" in others) and serves that side everywhere; with
    # observations the split shows in the counts and the serve rule's confidence holds it back.
    observe: bool = True
    # With an escalation chain (inference/escalation.py): send this request's escalations to
    # the top of the chain only. For a question asked before: the top's answers are recorded and
    # the cache replays them at every later recurrence, while a hub's answer is never recorded,
    # so a wrong one would come back each time (agents demo: one hub token, wrong, repeated on
    # all 12 recurrences of an iot device's question).
    skip_hubs: bool = False
    # Settle: at the request's end, one call to the top of the chain scores the tokens no call to it
    # scored (device tokens, cache tokens the prompt's own entries did not serve; not a hub's); its
    # greedy choices are recorded like observations, the output stays as it is. For a question
    # asked before (`AgentConfig.settle_recurring`): a device token the reward head accepted
    # wrongly is never escalated, so without this it comes back at every recurrence (make demo: 14
    # of the 32 queries lost against cloud-only in rounds 2-10); with it the cache learns the
    # cloud's answer up to that token and replays it next time.
    settle: bool = False

    def __post_init__(self) -> None:
        if self.max_new_tokens <= 0:
            raise InferenceError(f"max_new_tokens={self.max_new_tokens} must be positive")
        if self.temperature < 0:
            raise InferenceError(f"temperature={self.temperature} must be >= 0")
        if self.verify and self.temperature > 0:
            raise InferenceError("verification compares greedy choices: use temperature=0 with verify")
        if self.verify_window is not None and self.verify_window <= 0:
            raise InferenceError(f"verify_window={self.verify_window} must be positive or None")
        if self.deadline_s <= 0:
            raise InferenceError(f"deadline_s={self.deadline_s} must be positive")
        if self.correction_context <= 0 or self.cloud_top_k <= 0:
            raise InferenceError("correction_context and cloud_top_k must be positive")
        if self.cache_loop_repeats < 2:
            raise InferenceError(f"cache_loop_repeats={self.cache_loop_repeats} must be >= 2")
        if not valid_loop_stop(self.loop_stop):
            raise InferenceError(f"loop_stop={self.loop_stop}: use 0 (off) or at least {MIN_LOOP_STOP} tokens")


def answer_digest(prompt_ids: Sequence[int], output_ids: Sequence[int]) -> int:
    """A stable 63-bit id of one answer to one prompt (`HybridDecoder.generate(settled=...)`)."""
    data = np.asarray([*prompt_ids, -1, *output_ids], dtype="<i8").tobytes()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little") >> 1


@dataclass(frozen=True)
class Correction:
    """A cloud answer the cache can learn: after `context`, the cloud says `token`.

    An escalation's answer, or an observation (`DecodeConfig.observe`): then
    `device_token` is the token the output holds there, equal to `token` when the cloud
    confirmed it.
    """

    context: tuple[int, ...]
    token: int
    device_token: int | None  # what the device had proposed (None if it proposed nothing)


@dataclass
class Generation:
    """The result of one request."""

    prompt_ids: list[int]
    token_ids: list[int] = field(default_factory=list)
    provenance: list[Provenance] = field(default_factory=list)
    answered_by: list[str] = field(default_factory=list)  # per token: device, cache, or the tier that answered
    corrections: list[Correction] = field(default_factory=list)
    cloud_calls: int = 0  # calls made to the cloud (or the tier above), those that failed included
    cloud_failures: int = 0  # calls made that failed or missed their deadline
    # calls the cloud's client refused without contacting it (a remote client's circuit breaker,
    # open after repeated failures): not calls made, so in neither count above
    cloud_skipped: int = 0
    missed_escalations: int = 0  # tokens kept from the device because the cloud failed
    cloud_tokens_computed: int = 0  # prefill + verification tokens the cloud ran
    hub_tokens_computed: dict[str, int] = field(default_factory=dict)  # per hub tier below the cloud
    rollbacks: int = 0
    cache_contradictions: int = 0
    cache_loops: int = 0  # requests where the cache loop guard stopped cache serving
    loop_stopped: bool = False  # ended by `DecodeConfig.loop_stop`: the output was looping
    settled: bool = False  # `DecodeConfig.settle` had the cloud score the unchecked tokens (one call)
    relearnt: bool = False  # `settle` found an answer the cloud agreed with before: learnt again, no call
    elapsed_s: float = 0.0
    text: str = ""

    def count(self, provenance: Provenance) -> int:
        return sum(1 for p in self.provenance if p is provenance)

    def answered(self, tier: str) -> int:
        """Tokens produced by `tier` ("device", "cache", a hub's tier, "cloud")."""
        return sum(1 for t in self.answered_by if t == tier)

    @property
    def cloud_share(self) -> float:
        return self.count(Provenance.CLOUD) / max(1, len(self.token_ids))

    @property
    def cache_share(self) -> float:
        return self.count(Provenance.CACHE) / max(1, len(self.token_ids))

    @property
    def tokens_per_s(self) -> float:
        return len(self.token_ids) / self.elapsed_s if self.elapsed_s > 0 else 0.0
