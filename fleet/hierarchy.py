"""The tier hierarchy of a simulated fleet: each device's escalation chain, rebuilt every round.

IoT -> edge hub -> client hub -> cloud; edge -> client hub -> cloud; client -> cloud. A
tier's hub is its first device in the fleet (`edge-2` for the default fleet). Per round a
hub answers from the cache the server released to it at the end of the previous round
(its saved state's `released` table: never its local, private entries) and, when its tier
runs another model than the device asking (client above edge), from its model; a hub with
the asker's own model is a cache-only hop (asking the same model twice adds nothing).

In this simulation the hub's model is its tier's zoo model without the round's adapter;
deployed, a hub is a device agent started with `--serve-hop` answering with its current
adapter and cache (agent/hop.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from cache_sync.correction_cache import CacheHeader
from fleet.errors import FleetError
from inference.cloud import Cloud
from inference.device_cache import DeviceCache
from inference.escalation import EscalationChain, Hop
from inference.tier_hub import TierHub
from inference.tier_profile import TierProfile

log = logging.getLogger("fedhybrid.device")
ABOVE = {"iot": ("edge", "client"), "edge": ("client",), "client": ()}  # the hubs a tier asks, in order


def hub_device(fleet_tiers: tuple[str, ...], tier: str) -> str | None:
    """The device that serves as `tier`'s hub: its first device in the fleet (None: no such tier)."""
    return next((f"{t}-{i}" for i, t in enumerate(fleet_tiers) if t == tier), None)


def hub_cache(state_dir: Path, device: str, round_: int, header: CacheHeader, profile: TierProfile,
              number_tokens: frozenset[int] = frozenset()) -> DeviceCache:
    """The hub's released table as of its newest state before `round_` (empty when it has none)."""
    from fleet.device_node import DamagedState, DeviceState

    folder = state_dir / device
    cache = DeviceCache.for_profile(header, device, profile, frozen=True, number_tokens=number_tokens)
    try:
        state = DeviceState.load(folder, DeviceState.newest_before(folder, round_), header)
        cache.released = state.released
    except DamagedState as exc:  # the hub lost its state: it answers from an empty cache this round
        log.warning("hub %s: %s", device, exc)
    cache.round = round_
    return cache


def chain_builder(fleet_tiers: tuple[str, ...], tier: str, state_dir: Path, header: CacheHeader,
                  profiles: Callable[[str], TierProfile], model_of: Callable[[str], str],
                  hub_model: Callable[[str], Cloud], cloud: Cloud, hop_confidence: float,
                  number_tokens: frozenset[int] = frozenset()) -> Callable[[int], EscalationChain]:
    """round -> the device's escalation chain for that round (hubs reloaded from their state).

    `model_of(tier)` names the tier's model; `hub_model(name)` gives a `Cloud` over it;
    `number_tokens`: the tokenizer's digit ids (hub caches serve them on full contexts only).
    """
    if tier not in ABOVE:
        raise FleetError(f"tier {tier!r} has no place in the hierarchy {sorted(ABOVE)}")
    own_model = model_of(tier)

    def build(round_: int) -> EscalationChain:
        hops = []
        for up in ABOVE[tier]:
            device = hub_device(fleet_tiers, up)
            if device is None:
                continue  # no device of that tier in this fleet: the next hop is asked
            profile = profiles(up)
            cache = hub_cache(state_dir, device, round_, header, profile, number_tokens)
            name = model_of(up)
            model = None if name == own_model else hub_model(name)
            hops.append(Hop(up, TierHub(cache, model, vocab_size=header.vocab_size),
                            min_confidence=hop_confidence if model is not None else 1.0,
                            deadline_s=profile.deadline_s))
        hops.append(Hop("cloud", cloud, deadline_s=profiles(tier).deadline_s))
        return EscalationChain(hops)

    return build
