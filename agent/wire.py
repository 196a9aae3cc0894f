"""The messages between a round's ClientApp and the device agent, as msgpack.

The ClientApp (clients/) receives the server's Flower Message, forwards what the device
needs as a `RoundRequest` to the agent's admin endpoint, and turns the `RoundReply` into
the reply Message. Both ends decode defensively: a malformed message is an AgentError
naming the field, never a half-applied round.
"""

from __future__ import annotations

import logging
import math
from dataclasses import MISSING, asdict, dataclass, field, fields

import msgpack
import numpy as np

from agent.errors import AgentError
from cache_sync.errors import DECODE_ERRORS

log = logging.getLogger("fedhybrid.agent")
MAX_MESSAGE = 256 << 20  # a round message holds an adapter and a cache diff: far below this


def encode_adapter(adapter: dict[str, np.ndarray]) -> bytes:
    """{key: float32 matrix} -> bytes (shape and raw little-endian float32 per key)."""
    return msgpack.packb({k: [list(v.shape), np.ascontiguousarray(v, dtype="<f4").tobytes()]
                          for k, v in sorted(adapter.items())}, use_bin_type=True)


def decode_adapter(data: bytes) -> dict[str, np.ndarray]:
    try:
        raw = msgpack.unpackb(data, raw=False)
        out = {}
        for key, (shape, buf) in raw.items():
            if not isinstance(key, str) or not isinstance(buf, bytes) or len(shape) != 2:
                raise ValueError(f"entry {key!r} is not (shape, bytes)")
            if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in shape):
                raise ValueError(f"entry {key!r} has shape {shape!r:.40}: two integers >= 1 are needed")
            array = np.frombuffer(buf, dtype="<f4").reshape([int(s) for s in shape]).astype(np.float32)
            if not np.isfinite(array).all():
                raise ValueError(f"{key} holds NaN or Inf")
            out[key] = array
        return out
    except DECODE_ERRORS as exc:
        raise AgentError(f"adapter bytes are malformed ({type(exc).__name__}: {exc})") from exc


@dataclass(frozen=True)
class RoundRequest:
    round: int
    adapter: bytes | None  # the family's global B for this device's rank (encode_adapter)
    cache_update: bytes | None  # the server-signed diff of this tier's released view
    acked: list[int] = field(default_factory=list)  # this device's upload seqs the server has merged
    threshold: float | None = None  # the server's routing threshold for the tier (None: keep the agent's)
    seed: int = 0
    lora_seed: int = 1234
    local_steps: int = 4
    lr: float = 3e-3
    # with the server's `relay`: its signed updates of the tier below, kept for the devices
    # there to fetch (agent/relay.py); packed only when there are some, as older agents expect
    relayed: list[bytes] = field(default_factory=list)
    # with the server's federated-head: the family's reward head (inference.reward_head.pack_head)
    # and the share of requests spot-checked for unbiased labels; packed only when present
    reward_head: bytes | None = None
    explore: float = 0.0
    head_epochs: int = 4  # the head's local fine-tuning (the run config's head-epochs, head-lr)
    head_lr: float = 1e-3


@dataclass(frozen=True)
class RoundReply:
    device: str
    tier: str
    adapter: bytes  # this device's fine-tuned B (encode_adapter)
    deltas: list[bytes]  # sealed correction deltas: unconfirmed earlier ones again, then the new one
    delta_seqs: list[int]
    cache_version: int
    metrics: dict[str, float] = field(default_factory=dict)
    # the reward head fine-tuned on this device's labels and its scores' histogram over the
    # tokens the device routed (server/head_round.py); packed only when present
    reward_head: bytes | None = None
    route_hist: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class InstallRequest:
    """A push between rounds (POST /admin/v1/install), from an operator or a tool of this version."""

    round: int | None = None  # the round the cache update was signed for (None: the agent's current round)
    adapter: bytes | None = None  # the family's B for this device's rank (encode_adapter)
    adapter_version: int | None = None  # the version the adapter installs as (None: the round)
    cache_update: bytes | None = None  # a server-signed diff or whole view of this tier's released cache


# fields added after the first agents shipped: left out when empty, so an agent or ClientApp
# of before them still reads every message that does not use them
_OPTIONAL = {"relayed": [], "reward_head": None, "explore": 0.0, "route_hist": []}


def _pack(message) -> bytes:
    raw = asdict(message)
    for name, empty in _OPTIONAL.items():
        if name in raw and raw[name] == empty:
            del raw[name]
    if isinstance(message, RoundRequest) and message.reward_head is None:
        del raw["head_epochs"], raw["head_lr"]  # they only tune a head the request brings
    return msgpack.packb(raw, use_bin_type=True)


def _fields_of(cls, data: bytes) -> dict:
    """The map of fields a msgpack message holds (AgentError when it is not one, saying what to send)."""
    if len(data) > MAX_MESSAGE:
        raise AgentError(f"{cls.__name__} of {len(data)} bytes is over {MAX_MESSAGE}")
    if not data:
        raise AgentError(f"the body is empty: {_usage(cls)}")
    try:
        raw = msgpack.unpackb(data, raw=False)
    except DECODE_ERRORS as exc:
        why = type(exc).__name__ + (f": {str(exc).rstrip('.')}" if str(exc) else "")
        raise AgentError(f"the body is not msgpack ({why}): {_usage(cls)}") from exc
    if not isinstance(raw, dict):
        raise AgentError(f"the body is a msgpack {type(raw).__name__}, not a map of fields: {_usage(cls)}")
    return raw


def _required(cls) -> list[str]:
    return [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]


def _usage(cls) -> str:
    """What a body of `cls` must be, in words a sender can act on."""
    rules, required = _RULES[cls], _required(cls)
    needs = _NEEDS.get(cls) or ", ".join(f"{name} ({rules[name][1]})" for name in required)
    optional = [f.name for f in fields(cls) if f.name not in required and f.name not in _NEEDED.get(cls, ())]
    return (f"send a msgpack map (not JSON) with {needs}" + (f"; optional: {', '.join(optional)}" if optional else "")
            + f" ({cls.__name__}, agent/wire.py)")


def _unpack(cls, data: bytes):
    raw = _fields_of(cls, data)
    missing = [name for name in _required(cls) if name not in raw]
    if missing:
        raise AgentError(f"{cls.__name__} lacks field(s) {', '.join(missing)}: {_usage(cls)}")
    try:
        # A newer peer's message may carry fields this version does not know (the ClientApp comes
        # with the server's app, the agent may be older): read what we know, name what we skip,
        # so a mixed-version fleet still installs the round's adapter and cache.
        known = {f.name for f in fields(cls)}
        extra = [k for k in raw if k not in known]
        if extra:
            log.warning("%s carries fields this version does not know, ignored: %s (a newer peer; update this "
                        "agent to use them)", cls.__name__, ", ".join(repr(k) for k in extra)[:300])
        return cls(**{k: v for k, v in raw.items() if k in known})
    except DECODE_ERRORS as exc:
        raise AgentError(f"malformed {cls.__name__} ({type(exc).__name__}: {exc})") from exc


def pack_request(req: RoundRequest) -> bytes:
    return _pack(req)


def _is_int(value, low: int | None = None) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and (low is None or value >= low)


def _is_float(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check(cls, message, checks: dict) -> None:
    """Every field of a decoded message against its rule: the message names the first that fails."""
    for name, (ok, rule) in checks.items():
        if not ok(getattr(message, name)):
            raise AgentError(f"{cls.__name__}.{name}={getattr(message, name)!r:.80} must be {rule}")


# each field's rule, in words: checked after decoding, and said when a body is not a message at all
_RULES: dict[type, dict[str, tuple]] = {
    RoundRequest: {
        "round": (lambda v: _is_int(v, 1), "an integer >= 1"),
        "adapter": (lambda v: v is None or isinstance(v, bytes), "bytes, or nil for none"),
        "cache_update": (lambda v: v is None or isinstance(v, bytes), "bytes, or nil for none"),
        "acked": (lambda v: isinstance(v, list) and all(_is_int(s, 0) for s in v), "a list of integers >= 0"),
        "threshold": (lambda v: v is None or _is_float(v), "a finite number or absent"),
        "seed": (_is_int, "an integer"),
        "lora_seed": (_is_int, "an integer"),
        "local_steps": (lambda v: _is_int(v, 0), "an integer >= 0"),
        "lr": (lambda v: _is_float(v) and v > 0, "a finite number > 0"),
        "relayed": (lambda v: isinstance(v, list) and all(isinstance(u, bytes) for u in v), "a list of bytes"),
        "reward_head": (lambda v: v is None or isinstance(v, bytes), "bytes or absent"),
        "explore": (lambda v: _is_float(v) and 0.0 <= v <= 1.0, "a number in [0, 1]"),
        "head_epochs": (lambda v: _is_int(v, 0), "an integer >= 0"),
        "head_lr": (lambda v: _is_float(v) and v > 0, "a finite number > 0"),
    },
    InstallRequest: {
        "round": (lambda v: v is None or _is_int(v, 1), "an integer >= 1 or absent"),
        "adapter": (lambda v: v is None or isinstance(v, bytes), "bytes or absent"),
        "adapter_version": (lambda v: v is None or _is_int(v, 1), "an integer >= 1 or absent"),
        "cache_update": (lambda v: v is None or isinstance(v, bytes), "bytes or absent"),
    },
    RoundReply: {
        "device": (lambda v: isinstance(v, str), "a string"),
        "tier": (lambda v: isinstance(v, str), "a string"),
        "adapter": (lambda v: isinstance(v, bytes), "bytes"),
        "deltas": (lambda v: isinstance(v, list) and all(isinstance(d, bytes) for d in v), "a list of bytes"),
        "delta_seqs": (lambda v: isinstance(v, list) and all(_is_int(s, 0) for s in v), "a list of integers >= 0"),
        "cache_version": (_is_int, "an integer"),
        # a metric may be NaN (a diverged loss): reported as it is, not a reason to drop the reply
        "metrics": (lambda v: isinstance(v, dict) and all(
            isinstance(k, str) and isinstance(x, (int, float)) and not isinstance(x, bool) for k, x in v.items()),
            "a map of names to numbers"),
        "reward_head": (lambda v: v is None or isinstance(v, bytes), "bytes or absent"),
        "route_hist": (lambda v: isinstance(v, list) and all(_is_float(c) and c >= 0 for c in v),
                       "a list of finite counts >= 0"),
    },
}
# a push needs one of two optional fields: said in words (the other messages' needs are their required fields)
_NEEDS = {InstallRequest: "adapter (agent.wire.encode_adapter's bytes) and/or cache_update (the server-signed "
                          "update's bytes)"}
_NEEDED = {InstallRequest: ("adapter", "cache_update")}


def unpack_request(data: bytes) -> RoundRequest:
    req = _unpack(RoundRequest, data)
    _check(RoundRequest, req, _RULES[RoundRequest])
    return req


def unpack_install(data: bytes) -> InstallRequest:
    """An install push, every field checked; one that brings nothing to install is refused."""
    raw = _fields_of(InstallRequest, data)
    # unlike a round's message, a push does not come from a newer peer: a field this version does
    # not know is a typo ('cache-update') that would install less than was asked, so it is refused
    known = [f.name for f in fields(InstallRequest)]
    unknown = [k for k in raw if k not in known]
    if unknown:
        raise AgentError(f"InstallRequest field(s) {', '.join(repr(k) for k in unknown)[:200]} unknown: "
                         f"use {', '.join(known)}")
    req = InstallRequest(**raw)
    _check(InstallRequest, req, _RULES[InstallRequest])
    if not req.adapter and not req.cache_update:
        raise AgentError(f"InstallRequest brings neither an adapter nor a cache_update: nothing to install; "
                         f"{_usage(InstallRequest)}")
    return req


def pack_reply(reply: RoundReply) -> bytes:
    return _pack(reply)


def unpack_reply(data: bytes) -> RoundReply:
    reply = _unpack(RoundReply, data)
    _check(RoundReply, reply, _RULES[RoundReply])
    if len(reply.deltas) != len(reply.delta_seqs):
        raise AgentError("RoundReply.deltas and delta_seqs differ in length")
    return reply
