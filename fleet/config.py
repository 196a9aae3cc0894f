"""The federation's configuration: `[tool.flwr.app.config]` mapped once to a frozen dataclass."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

from fleet.errors import FleetError
from inference.tier_profile import DEFAULT_PROFILES, TIERS, TierProfile

DEVICE_TIERS = ("client", "edge", "iot")
# fields that never change what a resumed state holds: paths, timeouts, the round schedule
# (relay changes what a round sends, never the state: turning it on or off resumes a run)
NOT_STATE = frozenset({"num_rounds", "state_dir", "timeout", "cloud_url", "key_dir", "round_interval",
                       "record_dir", "memory_cap_mb", "relay", "ingest_workers", "keep_round_details"})
# options added after state folders existed, with the value those folders ran with: a new option
# goes here with its first default. Never edit a value when a default changes: it records the
# past (and states made since the server kept its options name every value, `resume_values`)
INTRODUCED_AS = {"replay_dir": "", "fraction_train": 1.0, "min_replies": 1, "secure_aggregation": False,
                 "secagg_threshold": 0.5, "secagg_degree": 0, "hierarchy": False, "hop_confidence": 0.99,
                 "recurring_to_cloud": True, "settle_recurring": True, "federated_head": False,
                 "explore_rate": 0.05, "target_escalation_share": 0.0, "head_epochs": 4, "head_lr": 1e-3,
                 "forget_after": 0, "workload_columns": "", "dirichlet_alpha": 0.5}
# kept in a state's config beside the options: the workload file's content (by path alone, a file
# edited in place resumed unnoticed); compared by the server, which alone reads the file's bytes
WORKLOAD_DIGEST = "workload_sha256"
# what a run-config value of each type must be, as the message says it (values are TOML)
_EXPECTED = {bool: "a boolean: true or false (TOML, unquoted)",
             int: "an integer (a TOML whole number such as 4: not 4.0, \"4\" or true)",
             float: "a finite number (TOML, such as 0.5 or 2: not nan, inf, \"0.5\" or true)",
             str: "a string (TOML, quoted: \"...\")"}


def _kind(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float" if math.isfinite(value) else "not a finite number"
    return "a string" if isinstance(value, str) else f"a {type(value).__name__}"


def value_type_error(key: str, value, default) -> str | None:
    """Why `value` cannot be the value of run-config key `key`, whose default is `default`
    (None: it can). A bool key takes only true/false, an int key only integers (not floats or
    bools), a float key integers or finite floats, a string key strings."""
    expected = type(default)
    if expected is bool:
        ok = isinstance(value, bool)
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif expected is float:
        ok = not isinstance(value, bool) and (isinstance(value, int) or isinstance(value, float) and math.isfinite(value))
    else:
        ok = isinstance(value, expected)
    if ok:
        return None
    return f"{key}={value!r} is {_kind(value)}; {key} takes {_EXPECTED.get(expected, expected.__name__)}"


def _require(ok: bool, key: str, value, rule: str, note: str = "") -> None:
    if not ok:
        raise FleetError(f"{key}={value!r} must be {rule}" + (f" ({note})" if note else ""))


@dataclass(frozen=True)
class FederationConfig:
    num_rounds: int = 3
    fleet_tiers: tuple[str, ...] = ("client", "client", "edge", "edge", "edge", "iot", "iot", "iot")
    queries_per_round: int = 6
    shared_pool: int = 48
    private_pool: int = 6
    private_fraction: float = 0.25
    zipf_s: float = 1.1
    seed: int = 0
    lora_seed: int = 1234  # the public seed of every family's frozen A
    local_steps: int = 4
    lr: float = 3e-3
    threshold: float = -1.0  # reward tau; < 0: each tier's calibrated tau
    aggregation: str = "frozen-a"  # or "fedavg-ab" (comparison only)
    robust: bool = True
    robust_method: str = "trimmed-mean"
    trim: float = 0.2
    release_k: int = 5
    # the server forgets an entry fewer than release-k devices reported once no device has
    # reported it for this many rounds: it could not be released, and without this the global
    # table grows with every private n-gram of every device, round after round (0: never)
    forget_after: int = 10
    per_device_cap: int = 5000
    dp_epsilon: float = 0.0  # 0: no noise
    n_min: int = 2
    n_max: int = 8
    max_new_tokens: int = 128
    state_dir: str = "runs/fleet"
    zoo: str = ""  # "": the shipped zoo
    # a workload file (README: Workload files) instead of the generated fleet workload; its
    # requests without device/partition are split over the fleet by `workload_split`
    workload_file: str = ""
    workload_split: str = "uniform"
    dirichlet_alpha: float = 0.5  # with workload_split "dirichlet": the concentration (smaller: more skewed)
    workload_columns: str = ""  # FIELD=COLUMN,... (`workloads.files.parse_columns`): the file's own column names
    cloud_url: str = ""  # "": each node runs the zoo's cloud model in-process
    timeout: float = 900.0
    secure: bool = True  # seal deltas and sign updates (cache_sync.envelope)
    key_dir: str = ""  # "": <state_dir>/keys
    # a hub's round also carries the server's signed updates of the tier below it (client ->
    # edge -> iot), which its agent hands to the devices that poll it (`device serve
    # --relay-url`, agent/relay.py); they verify each with the server's key, so it needs secure
    relay: bool = False
    # rounds on a schedule: a round starts at least this many seconds after the previous one
    # started (device agents serve traffic in between); 0: back to back (simulation)
    round_interval: float = 0.0
    # fleet scale (fleet.replay): a simulated run writes what every node sent to record_dir;
    # with replay_dir set, every node answers with a resampled recording instead of decoding
    record_dir: str = ""
    replay_dir: str = ""
    # partial participation: the share of the fleet asked each round (sampled per round from
    # the seed), and the fewest accepted replies that update the adapters (below it the round
    # still merges what arrived, and the adapters stay as they were)
    fraction_train: float = 1.0
    min_replies: int = 1
    # secure aggregation of the adapters (strategies.secagg, SecAgg+): the server learns only
    # each family's sum; the alternative to robust aggregation, which needs every update
    secure_aggregation: bool = False
    secagg_threshold: float = 0.5  # share of a device's neighbours that must survive to unmask
    secagg_degree: int = 0  # neighbours per device; 0: 2 ceil(2 log2 n)
    # the server's resident memory (MB) checked after every phase of a round; above it the run
    # stops after saving that round, naming the phase (0: not checked)
    memory_cap_mb: float = 0.0
    # processes that open, check and merge the replies' deltas beside the server process
    # (server/ingest.py); 0: the server process opens them itself. Never changes the state
    ingest_workers: int = 0
    # rounds whose per-device details files (<state-dir>/server/rounds/) are kept; older ones are
    # deleted once the state no longer needs them, and their history records keep their totals
    # (0: every round's, forever: 0.5 KB x devices a round); the newest 16 rounds' always stay
    # (server.round_log.DETAIL_ROUNDS: the state holds their details itself). Never changes the state
    keep_round_details: int = 0
    # the tier hierarchy (fleet.hierarchy): a device escalates to the tier above before the
    # cloud (iot -> edge hub -> client hub -> cloud); a hub's model answer is taken when its
    # top-1 probability is at least hop-confidence (its cache's answers always are)
    hierarchy: bool = False
    hop_confidence: float = 0.99
    # with the hierarchy: a question the device answered before escalates to the cloud only (a
    # hub's answer is never recorded, so a wrong one would come back at every recurrence; the
    # cloud's is, and the cache replays it), as a device agent does (AgentConfig.recurring_to_cloud)
    recurring_to_cloud: bool = True
    # a question the device answered before has its answer settled (DecodeConfig.settle): one last
    # call scores the tokens the device chose unchecked, so the cache learns the cloud's answer to
    # it and replays it next time, as a device agent does (AgentConfig.settle_recurring)
    settle_recurring: bool = True
    # the federated reward head (server/head_round.py): devices label their tokens from the
    # cloud's answers and scores plus spot checks of explore-rate of their requests, fine-tune
    # the family's head, and the server averages the heads per family each round; with
    # target-escalation-share > 0 each tier's threshold is then recalibrated so that this
    # share of the tokens its devices route (those the cache did not serve) goes up the chain
    federated_head: bool = False
    explore_rate: float = 0.05
    target_escalation_share: float = 0.0
    head_epochs: int = 4
    head_lr: float = 1e-3

    def __post_init__(self) -> None:
        # these two check their type and range at once
        if not isinstance(self.ingest_workers, int) or isinstance(self.ingest_workers, bool) \
                or not 0 <= self.ingest_workers <= 256:
            raise FleetError(f"ingest-workers={self.ingest_workers!r} must be an integer in [0, 256] (0: the server "
                             "process opens the deltas itself)")
        if not isinstance(self.keep_round_details, int) or isinstance(self.keep_round_details, bool) \
                or self.keep_round_details < 0:
            raise FleetError(f"keep-round-details={self.keep_round_details!r} must be an integer >= 0 (rounds whose "
                             "per-device details stay on disk; 0: all)")
        # every value has the type of its default (the one in pyproject's [tool.flwr.app.config])
        # before any range is compared: a string in a number's place is named, not a TypeError
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "fleet_tiers":
                if not isinstance(value, tuple) or not all(isinstance(t, str) for t in value):
                    raise FleetError(f"fleet-tiers={value!r} must be a tuple of tier names (in the run config: a "
                                     "string such as \"edge,edge,iot\")")
                continue
            error = value_type_error(f.name.replace("_", "-"), value, f.default)
            if error:
                raise FleetError(error)
        if self.num_rounds < 1:
            raise FleetError(f"num-rounds={self.num_rounds} must be >= 1")
        unknown = [t for t in self.fleet_tiers if t not in DEVICE_TIERS]
        if unknown or not self.fleet_tiers:
            raise FleetError(f"fleet-tiers {self.fleet_tiers} must be a non-empty list of {DEVICE_TIERS} "
                              "(the cloud tier is the server-side model)")
        if self.aggregation not in ("frozen-a", "fedavg-ab"):
            raise FleetError(f"aggregation {self.aggregation!r}: use 'frozen-a' or 'fedavg-ab'")
        if self.robust_method not in ("trimmed-mean", "median"):
            raise FleetError(f"robust-method {self.robust_method!r}: use 'trimmed-mean' or 'median'")
        if self.round_interval < 0:
            raise FleetError(f"round-interval={self.round_interval} must be >= 0")
        _require(self.queries_per_round >= 1, "queries-per-round", self.queries_per_round, ">= 1")
        _require(self.local_steps >= 0, "local-steps", self.local_steps, ">= 0", "0: no local training")
        _require(self.timeout > 0, "timeout", self.timeout, "> 0", "seconds a round waits for replies")
        _require(self.release_k >= 1, "release-k", self.release_k, ">= 1", "devices that must report an entry")
        _require(self.per_device_cap >= 1, "per-device-cap", self.per_device_cap, ">= 1")
        _require(self.dp_epsilon >= 0, "dp-epsilon", self.dp_epsilon, ">= 0", "0: no noise")
        _require(self.shared_pool >= 1, "shared-pool", self.shared_pool, ">= 1", "distinct shared questions")
        _require(self.private_pool >= 0, "private-pool", self.private_pool, ">= 0", "distinct private questions")
        _require(0 <= self.private_fraction <= 1, "private-fraction", self.private_fraction, "in [0, 1]")
        if not self.workload_file and self.private_fraction > 0 and self.private_pool == 0:
            raise FleetError(f"private-fraction={self.private_fraction!r} draws questions from each device's private "
                             "pool, and private-pool=0 holds none: set private-pool >= 1 or private-fraction=0")
        _require(self.zipf_s > 0, "zipf-s", self.zipf_s, "> 0", "the Zipf exponent of question recurrence")
        _require(self.seed >= 0, "seed", self.seed, ">= 0")
        _require(self.lora_seed >= 0, "lora-seed", self.lora_seed, ">= 0")
        _require(self.lr > 0, "lr", self.lr, "> 0", "the devices' LoRA learning rate")
        _require(0 <= self.trim < 0.5, "trim", self.trim, "in [0, 0.5)", "the share trimmed from each end")
        _require(self.max_new_tokens >= 1, "max-new-tokens", self.max_new_tokens, ">= 1")
        _require(not self.cloud_url or self.cloud_url.startswith(("http://", "https://")), "cloud-url",
                 self.cloud_url, "an http:// or https:// URL", "\"\": each node runs the zoo's cloud model")
        if self.forget_after < 0:
            raise FleetError(f"forget-after={self.forget_after} must be >= 0 (rounds; 0: never forget)")
        if self.workload_split in ("zipf", "dirichlet") and not self.workload_file:  # alone: changes nothing
            raise FleetError(f"workload-split={self.workload_split!r} splits the requests of a workload file, and "
                             "workload-file is not set: add --workload FILE, or leave the split out")
        if self.workload_columns and not self.workload_file:
            raise FleetError(f"workload-columns={self.workload_columns!r} maps the columns of a workload file, and "
                             "workload-file is not set: give --workload FILE too, or leave --columns out")
        if self.workload_split not in ("uniform", "zipf", "dirichlet"):
            raise FleetError(f"workload-split={self.workload_split!r}: use uniform, zipf or dirichlet")
        _require(self.dirichlet_alpha > 0, "dirichlet-alpha", self.dirichlet_alpha, "> 0",
                 "the concentration of workload-split = \"dirichlet\" (smaller: fewer devices get most requests)")
        if self.dirichlet_alpha != 0.5 and self.workload_split != "dirichlet":  # alone: changes nothing
            raise FleetError(f"dirichlet-alpha={self.dirichlet_alpha!r} sets the skew of workload-split = "
                             f"\"dirichlet\", and the split is {self.workload_split!r}: add --workload-split "
                             "dirichlet, or leave dirichlet-alpha out")
        _require(0.0 < self.fraction_train <= 1.0, "fraction-train", self.fraction_train, "in (0, 1]",
                 "the share of the fleet asked each round")
        _require(self.min_replies >= 1, "min-replies", self.min_replies, ">= 1",
                 "the fewest accepted replies that update the adapters")
        if self.min_replies > len(self.fleet_tiers):
            raise FleetError(f"min-replies={self.min_replies} is more than the fleet's {len(self.fleet_tiers)} devices: "
                             "no round could update the adapters; set min-replies <= the number of devices")
        if self.secure_aggregation and (self.robust or self.aggregation != "frozen-a"):
            raise FleetError("secure-aggregation=true hides each device's adapter from the server, so it needs "
                             "aggregation='frozen-a' and robust=false (robust aggregation needs the individual "
                             "updates): set --set robust=false, or leave secure-aggregation off")
        if self.relay and not self.secure:
            raise FleetError("relay=true needs secure=true: the devices below a hub accept only updates the "
                             "server signed")
        if not 0.0 < self.secagg_threshold < 1.0 or self.secagg_degree < 0:
            raise FleetError(f"secagg-threshold={self.secagg_threshold} must lie in (0, 1) and secagg-degree="
                             f"{self.secagg_degree} must be >= 0")
        if not 0.0 <= self.explore_rate <= 1.0 or not 0.0 <= self.target_escalation_share < 1.0:
            raise FleetError(f"explore-rate={self.explore_rate} must lie in [0, 1] and target-escalation-share="
                             f"{self.target_escalation_share} in [0, 1)")
        if self.head_epochs < 1 or self.head_lr <= 0:
            raise FleetError(f"head-epochs={self.head_epochs} must be >= 1 and head-lr={self.head_lr} > 0")
        if self.federated_head and self.secure_aggregation:
            raise FleetError("federated-head=true sends each device's fine-tuned reward head to the server, which "
                             "secure-aggregation=true promises never to see per device: use one or the other")
        if not 0.0 <= self.hop_confidence <= 1.0:
            raise FleetError(f"hop-confidence={self.hop_confidence} must lie in [0, 1]")
        if self.memory_cap_mb < 0:
            raise FleetError(f"memory-cap-mb={self.memory_cap_mb} must be >= 0 (0: not checked)")
        if not 1 <= self.n_min <= self.n_max <= 16:
            raise FleetError(f"n-gram orders [{self.n_min}, {self.n_max}] need 1 <= n_min <= n_max <= 16")

    @staticmethod
    def from_run_config(raw: dict) -> FederationConfig:
        """Map Flower's run_config (kebab-case keys, scalar values) to the config."""
        fields = {f.name: f for f in dataclasses.fields(FederationConfig)}
        values = {}
        for key, value in raw.items():
            name = key.replace("-", "_")
            if name not in fields:
                continue  # keys of other apps/tools are not ours to judge
            if name == "fleet_tiers":  # a comma-separated string in the run config
                error = value_type_error(key, value, "")
                if error:
                    raise FleetError(error)
                value = tuple(t.strip() for t in value.split(",") if t.strip())
            values[name] = value
        try:
            return FederationConfig(**values)
        except TypeError as exc:
            raise FleetError(f"bad federation config: {exc}") from exc

    def notices(self) -> list[str]:
        """Settings that are valid but make part of the run do nothing, said before it starts
        (refusing them would break a run that measures only the adapters, say)."""
        fleet = len(self.fleet_tiers)
        if self.release_k > fleet and self.dp_epsilon == 0:
            return [(f"release-k={self.release_k} is more than the fleet's {fleet} devices: no n-gram can be reported "
                    f"by {self.release_k} distinct devices, so no cache update is released and the cloud share does "
                    f"not fall round by round; set --set release-k={fleet} or fewer to share corrections")]
        return []

    @property
    def state_path(self) -> Path:
        return Path(self.state_dir)

    @property
    def key_path(self) -> Path:
        return Path(self.key_dir) if self.key_dir else self.state_path / "keys"

    def profile(self, tier: str) -> TierProfile:
        if tier not in TIERS:
            raise FleetError(f"unknown tier {tier!r}")
        return DEFAULT_PROFILES[tier]

    def device_name(self, partition: int) -> str:
        return f"{self.fleet_tiers[partition]}-{partition}"

    def resume_values(self) -> dict:
        """Every field that must not change across a resume (all but paths, timeouts and the
        round schedule), defaults included, as JSON stores them (tuples as lists).

        A state keeps these from when it was made, so a later release that changes a default
        cannot resume it under the new value unnoticed (`resume_differences`)."""
        values = {k: v for k, v in dataclasses.asdict(self).items() if k not in NOT_STATE}
        return json.loads(json.dumps(values, sort_keys=True, default=str))

    def digest_values(self) -> dict:
        """The digest's fields: `resume_values` less the options added later that still hold
        the value a state made before them ran with (so those states keep their digest)."""
        skip = {name for name, value in INTRODUCED_AS.items() if getattr(self, name) == value}
        if not self.workload_file:  # state folders from before the file workload resume unchanged
            skip |= {"workload_file", "workload_split"}
        # (JSON writes a tuple as a list either way: the digest is the one of the raw values)
        return {k: v for k, v in self.resume_values().items() if k not in skip}

    def resume_differences(self, stored: dict) -> list[str]:
        """What differs between the values a state kept (`resume_values` when it was made) and
        this config's, one "name: state X, now Y" each (empty: it may resume). A field the state
        does not name was added since: it ran with the value INTRODUCED_AS records."""
        now, defaults = self.resume_values(), {f.name: f.default for f in dataclasses.fields(self)}
        out = []
        for name in sorted((set(now) | set(stored)) - {WORKLOAD_DIGEST}):  # the server compares that one
            was = stored[name] if name in stored else INTRODUCED_AS.get(name, defaults.get(name))
            if name not in now or was != now[name]:
                out.append(f"{name.replace('_', '-')}: state {was!r}, now {now.get(name, '(no such option)')!r}")
        return out
