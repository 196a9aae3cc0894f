"""`--hop TIER=URL[,confidence=P][,deadline=S][,price=X]`: the tiers a device asks before its cloud.

Parsed once at the command line into `inference.escalation.Hop`s over `RemoteCloud`
clients; the device's own cloud (`--cloud-url` or the in-process cloud model) becomes the
last hop. Each hop is probed once at start-up: one that answers and cannot be used (another
tokenizer; `NotACloud`: not an OpenAI server there, a refused key, a device agent's user API) is
refused then (no call could succeed); one that does not answer is logged and is not an error: it
is checked again at its first call and skipped (with the next hop asked) until it answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger("fedhybrid.hops")


class HopSpecError(ValueError):
    pass


@dataclass(frozen=True)
class HopSpec:
    tier: str
    url: str
    min_confidence: float = 0.6
    deadline_s: float = 0.5
    price_per_1k: float = 0.0


def parse_hop(spec: str) -> HopSpec:
    """'edge=http://hub:8101,confidence=0.7,deadline=0.3,price=0.1' -> HopSpec."""
    head, *options = [part.strip() for part in spec.split(",")]
    tier, sep, url = head.partition("=")
    if sep and tier and url and "://" not in url:  # the likeliest slip: host:port without the scheme
        raise HopSpecError(f"--hop {spec!r}: the URL needs its scheme: {tier}=http://{url}")
    if not sep or not tier or not url.startswith(("http://", "https://")):
        raise HopSpecError(f"--hop {spec!r}: write TIER=URL (e.g. edge=http://127.0.0.1:8101), then optional "
                           ",confidence=P,deadline=S,price=X")
    values = {"confidence": 0.6, "deadline": 0.5, "price": 0.0}
    for option in options:
        key, sep, value = option.partition("=")
        if key not in values or not sep:
            raise HopSpecError(f"--hop {spec!r}: unknown option {option!r} (confidence=P, deadline=S, price=X)")
        try:
            values[key] = float(value)
        except ValueError as exc:
            raise HopSpecError(f"--hop {spec!r}: {key}={value!r} is not a number") from exc
    if not 0.0 <= values["confidence"] <= 1.0 or values["deadline"] <= 0 or values["price"] < 0:
        raise HopSpecError(f"--hop {spec!r}: confidence must lie in [0, 1], deadline > 0, price >= 0")
    return HopSpec(tier, url, values["confidence"], values["deadline"], values["price"])


def build_chain(specs: list[HopSpec], cloud, tokenizer, cloud_deadline_s: float, cloud_price: float = 0.0,
                api_key: str | None = None):
    """The device's escalation chain: the hops in order, then `cloud` (always answers).

    Raises:
        TokenizerMismatchError: a hop answering at start-up uses another tokenizer.
        NotACloud: a hop answering at start-up cannot be used (`RemoteCloud.probe`).
    """
    from inference.escalation import EscalationChain, Hop
    from serving.remote_cloud import RemoteCloud, RemoteCloudConfig

    hops = []
    for spec in specs:
        # hop_tier: its messages say "the hop of tier T at URL" and hint --serve-hop, not "the cloud"
        remote = RemoteCloud(RemoteCloudConfig(spec.url, api_key=api_key, cooldown_s=2.0, hop_tier=spec.tier))
        remote.connect_later(tokenizer)  # a hub that is down now is skipped until it answers
        down = remote.probe()
        if down is not None:  # said now, not first seen in /health after the hop's first failed call
            log.warning("hop %s is not answering at start-up (%s): its calls go to the next tier up "
                        "until it answers", spec.tier, down)
        hops.append(Hop(spec.tier, remote, spec.min_confidence, spec.deadline_s, spec.price_per_1k))
    hops.append(Hop("cloud", cloud, 0.0, cloud_deadline_s, cloud_price))
    return EscalationChain(hops)
