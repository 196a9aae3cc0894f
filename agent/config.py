"""The device agent's configuration: built once by `fedhybrid device serve`, passed down."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from agent.errors import AgentError
from agent.recent import DEFAULT_REMEMBER
from inference.generation import MIN_LOOP_STOP, valid_loop_stop
from inference.privacy import MODES
from inference.router import POLICIES
from inference.tier_profile import TierProfile


class AgentConfigError(AgentError):
    """One AgentConfig field outside its rule. `field`, `value` and `rule` let the boundary that
    set the field name it its own way (`device serve` names its flag: `--index-refresh 0.0`)."""

    def __init__(self, field: str, value, rule: str):
        self.field, self.value, self.rule = field, value, rule
        super().__init__(f"{field}={value!r}: {rule}")

    def named(self, name: str) -> str:
        """The message with the field called `name` (a flag): `--index-refresh 0.0: must be > 0 ...`."""
        return f"{name} {self.value}: {self.rule}"


@dataclass(frozen=True)
class AgentConfig:
    device: str  # stable device name, e.g. "edge-3": keys its keys, state and uploads
    profile: TierProfile  # the tier's serve rule, budgets, deadline, LoRA rank
    state_dir: Path  # journal and installed state
    policy: str = "reward"  # routing policy for requests (reward needs a calibrated head)
    threshold: float | None = None  # the default dial; None: the profile's, else the calibrated tau
    privacy: str = "allow"  # default privacy mode of a request that names none
    # the loosest mode any request is decoded with, whatever its body or header names (a device
    # whose text must never leave it: "local-only"); above it `privacy` is the default
    privacy_floor: str = "allow"
    n_min: int = 2  # the fleet's n-gram orders (must match the server's cache header)
    n_max: int = 8
    lora_seed: int = 1234  # the public seed of the family's frozen A (the server's `lora-seed`)
    index_refresh_s: float = 2.0  # how often new corrections are folded into the served cache
    checkpoint_every: int = 512  # records between checkpoints of the local table
    max_queue: int = 64  # requests waiting before new ones get 503
    train_budget_s: float = 30.0  # wall-clock cap on local fine-tuning per round
    train_batch: int = 8
    # a request whose last `loop_stop` tokens are one short cycle ends there (DecodeConfig.loop_stop):
    # a question the cloud cannot answer would otherwise cost max_tokens cloud tokens each time; 0: off
    loop_stop: int = 32
    # with hops above (--hop): a question this agent answered before escalates to the cloud only
    # (DecodeConfig.skip_hubs): the cloud's answers are recorded and its cache replays them from
    # then on, a hub's are not, so a wrong hub answer would return at every recurrence
    recurring_to_cloud: bool = True
    # a question this agent answered before: one last cloud call scores the tokens the device chose
    # unchecked (DecodeConfig.settle), so a token the reward head accepted wrongly is learnt as the
    # cloud's answer and replayed from then on, instead of coming back at every recurrence
    settle_recurring: bool = True
    # the most question anchors, and answer digests, the agent keeps in memory to tell a recurrence
    # (agent/recent.py): past it the oldest is forgotten, and counts as new when it comes back
    remember: int = DEFAULT_REMEMBER

    def __post_init__(self) -> None:
        if not self.device or any(c in self.device for c in "/\\") or self.device.startswith(".") or len(self.device) > 128:
            raise AgentConfigError("device", self.device, "must be a plain name of 1-128 characters (no '/', '\\' or "
                                   "leading '.')")
        if self.policy not in POLICIES:
            raise AgentConfigError("policy", self.policy, f"must be one of {', '.join(POLICIES)}")
        if self.privacy not in MODES:
            raise AgentConfigError("privacy", self.privacy, f"must be one of {', '.join(MODES)}")
        if self.privacy_floor not in MODES:
            raise AgentConfigError("privacy_floor", self.privacy_floor, f"must be one of {', '.join(MODES)}")
        if self.threshold is not None and not self.threshold >= 0:
            raise AgentConfigError("threshold", self.threshold, "must be >= 0")
        if not 1 <= self.n_min <= self.n_max <= 32:
            raise AgentError(f"n-gram orders [{self.n_min}, {self.n_max}] need 1 <= n_min <= n_max <= 32")
        # one check per field (`not x > 0` also refuses NaN), each naming its own rule
        if not 0 < self.index_refresh_s < math.inf:  # inf: never
            raise AgentConfigError("index_refresh_s", self.index_refresh_s, "must be a finite number of seconds > 0 "
                                   "(how often new corrections reach the served cache)")
        if self.checkpoint_every < 1:
            raise AgentConfigError("checkpoint_every", self.checkpoint_every,
                                   "must be >= 1 (journal records between checkpoints)")
        if self.max_queue < 1:
            raise AgentConfigError("max_queue", self.max_queue, "must be >= 1 (requests waiting for the decoder)")
        if not 0 <= self.train_budget_s < math.inf:
            raise AgentConfigError("train_budget_s", self.train_budget_s,
                                   "must be a finite number of seconds >= 0 (0: no local fine-tuning)")
        if self.train_batch < 1:
            raise AgentConfigError("train_batch", self.train_batch, "must be >= 1 (sequences per training step)")
        if self.remember < 1:
            raise AgentConfigError("remember", self.remember, "must be >= 1 (questions and answers kept in memory)")
        if not valid_loop_stop(self.loop_stop):
            raise AgentConfigError("loop_stop", self.loop_stop, f"use 0 (off) or at least {MIN_LOOP_STOP} tokens")

    @property
    def journal_path(self) -> Path:
        return self.state_dir / "journal.sqlite"

    @property
    def token_path(self) -> Path:
        return self.state_dir / "admin.token"


@dataclass(frozen=True)
class RelayConfig:
    """Where a device fetches the server's updates between rounds: the hub above it (agent/relay.py)."""

    url: str  # the hub agent's base URL, e.g. http://hub:8101 (it answers GET /relay/v1/updates)
    api_key: str | None = None  # the hub's --api-key, when it has one
    interval_s: float = 30.0  # between two polls of the hub
    timeout_s: float = 10.0  # one poll's HTTP deadline

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise AgentError(f"relay url {self.url!r} must start with http:// or https://")
        if not (self.interval_s > 0 and self.timeout_s > 0):
            raise AgentError(f"relay interval ({self.interval_s}) and timeout ({self.timeout_s}) must be > 0 s")
