"""The tier hierarchy's hubs: a hub answers from its released cache at no cost, then its model;
a cache-only hub passes a miss up; a hub's answers are used but never learnt; the simulated
fleet's chains ask the tiers above in order."""

import pytest

from cache_sync.correction_cache import CacheHeader, CountTable
from inference.cloud import LocalCloud
from inference.decoder import HybridDecoder
from inference.device_cache import DeviceCache
from inference.escalation import EscalationChain, Hop
from inference.generation import DecodeConfig
from inference.router import CloudOnly
from inference.tier_hub import TierHub
from inference.tokenizer import encode_prompt, tokenizer_hash
from workloads import wordmath

PROMPT = wordmath.generate("heldout", 1, seed=5)[0].prompt


def _header(tok):
    return CacheHeader(tokenizer_hash(tok), len(tok), 2, 8)


def _cache(header, released=(), local=()):
    from inference.automaton_index import ServeRule

    cache = DeviceCache(header, "hub", ServeRule(min_match=2, confidence=0.5, min_count=1, prompt_min_match=2),
                        frozen=True)
    if released:
        cache.released = CountTable.from_corrections(header, list(released), "server", 1)
    if local:
        cache.local = CountTable.from_corrections(header, list(local), "hub", 1)
    return cache


def test_a_hub_answers_from_its_released_cache_for_free_and_never_from_its_private_entries(pair):
    _device, cloud_model, tok = pair
    header = _header(tok)
    ids = encode_prompt(tok, PROMPT)
    ctx = tuple(ids[-4:])
    model = LocalCloud(cloud_model)
    # the entry in the hub's local (private) table must not serve another device
    private_only = TierHub(_cache(header, local=[(ctx, 7)]), model)
    answer = private_only.predict("s", ids, len(ids), 4, 5.0)
    assert answer.tokens_computed > 0 and private_only.model_answers == 1
    released = TierHub(_cache(header, released=[(ctx, 7)]), model)
    hit = released.predict("s2", ids, len(ids), 4, 5.0)
    assert hit.top_ids == [7] and hit.top_logprobs == [0.0] and hit.tokens_computed == 0
    assert released.cache_answers == 1
    model.close()


def test_a_cache_only_hub_passes_a_miss_to_the_next_hop_and_its_answers_are_never_learnt(pair):
    device, cloud_model, tok = pair
    header = _header(tok)
    ids = encode_prompt(tok, PROMPT)
    cloud = LocalCloud(cloud_model)
    empty_hub = TierHub(_cache(header), vocab_size=len(tok))
    chain = EscalationChain([Hop("edge", empty_hub, min_confidence=1.0), Hop("cloud", cloud, deadline_s=5.0)])
    gen = HybridDecoder(device, tok, chain).generate(ids, CloudOnly(), DecodeConfig(max_new_tokens=4, deadline_s=6.0))
    stats = {row["tier"]: row for row in chain.summary()}
    assert gen.answered_by == ["cloud"] * len(gen.token_ids) and stats["edge"]["escalated"] == len(gen.token_ids)
    assert len(gen.corrections) >= len(gen.token_ids)  # the cloud's answers teach the cache
    # now the hub knows every next token the cloud gave: it answers them all, and nothing is learnt
    seen = list(ids)
    known = []
    for token in gen.token_ids:
        known.append((tuple(seen[-4:]), token))
        seen.append(token)
    hub = TierHub(_cache(header, released=known), vocab_size=len(tok))
    chain = EscalationChain([Hop("edge", hub, min_confidence=1.0), Hop("cloud", LocalCloud(cloud_model))])
    again = HybridDecoder(device, tok, chain).generate(ids, CloudOnly(), DecodeConfig(max_new_tokens=4, deadline_s=6.0))
    assert again.token_ids == gen.token_ids and again.answered_by == ["edge"] * len(gen.token_ids)
    assert again.cloud_tokens_computed == 0 and not again.corrections
    with pytest.raises(Exception, match="needs a cache, a model"):
        TierHub(None)
    cloud.close()


def test_the_simulated_fleet_asks_the_tiers_above_in_order(tiny_zoo, tmp_path):
    from fleet.config import FederationConfig
    from fleet.hierarchy import chain_builder, hub_device
    from inference.zoo import load_causal_lm

    cfg = FederationConfig(fleet_tiers=("client", "edge", "edge", "iot"), hierarchy=True)
    model, tok = load_causal_lm("cloud", tiny_zoo)
    cloud = LocalCloud(model)
    header = _header(tok)
    built = {}

    def hub_model(name):
        built[name] = LocalCloud(load_causal_lm(name, tiny_zoo)[0])
        return built[name]

    def chain_for(tier):
        return chain_builder(cfg.fleet_tiers, tier, tmp_path, header, cfg.profile,
                             lambda t: tiny_zoo.model_name(cfg.profile(t).model), hub_model, cloud,
                             cfg.hop_confidence)(1)

    assert hub_device(cfg.fleet_tiers, "edge") == "edge-1" and hub_device(cfg.fleet_tiers, "cloud") is None
    iot = chain_for("iot")
    assert [h.tier for h in iot.hops] == ["edge", "client", "cloud"]
    # the edge hub runs the iot device's own model: a cache-only hop; the client hub has a model
    assert iot.hops[0].cloud.model is None and iot.hops[1].cloud.model is built["client"]
    assert [h.tier for h in chain_for("edge").hops] == ["client", "cloud"]
    assert [h.tier for h in chain_for("client").hops] == ["cloud"]
    cloud.close()


def test_a_hub_computes_only_what_it_has_not_seen(pair):
    """A hub answers the next token only (scoring earlier positions is the top's job), so its
    session KV makes each call cost the new tokens, not everything since the top's last call."""
    device, cloud_model, tok = pair
    header = _header(tok)
    ids = encode_prompt(tok, PROMPT)
    hub, cloud = LocalCloud(cloud_model), LocalCloud(cloud_model)
    chain = EscalationChain([Hop("client", TierHub(None, hub), min_confidence=0.0), Hop("cloud", cloud)])
    gen = HybridDecoder(device, tok, chain, cache=DeviceCache(header, "d")).generate(
        ids, CloudOnly(), DecodeConfig(max_new_tokens=12, deadline_s=6.0))
    assert gen.answered_by == ["client"] * 12
    assert gen.hub_tokens_computed["client"] == len(ids) + 11  # the prompt once, then one token per call
    hub.close()
    cloud.close()
