"""Escalation up the tiers over the real cloud protocol: hops down, late or garbled are
skipped, an unsure hop passes the call up, and a request never fails for a hop."""

import asyncio
import time

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from fedhybrid.hops import HopSpecError, build_chain, parse_hop
from inference.cloud import CloudUnavailable, LocalCloud
from inference.decoder import HybridDecoder
from inference.errors import InferenceError
from inference.escalation import EscalationChain, Hop
from inference.generation import DecodeConfig
from inference.router import CloudOnly
from inference.tokenizer import encode_prompt, tokenizer_hash
from serving.cloud_engine import CloudEngine
from serving.cloud_server import create_cloud_app
from serving.errors import ServingError
from serving.http_app import HttpConfig
from serving.launch import free_port
from serving.prefix_engine import PrefixEngine
from serving.remote_cloud import RemoteCloud, RemoteCloudConfig
from workloads import wordmath

PROMPT = wordmath.generate("heldout", 1, seed=3)[0].prompt


def _bad_hub(tok, mode: str) -> FastAPI:
    """A hub that lists a compatible model, then answers completions late or with garbage."""
    app = FastAPI()

    @app.get("/v1/models")
    async def models():
        return {"data": [{"id": "hub", "tokenizer_hash": tokenizer_hash(tok), "vocab_size": len(tok)}]}

    @app.post("/v1/completions")
    async def completions():
        if mode == "late":
            await asyncio.sleep(1.5)
        return JSONResponse({"choices": [{"text": "not what you asked"}]})

    return app


def _remote(url, tok):
    remote = RemoteCloud(RemoteCloudConfig(url, max_retries=0))
    remote.connect_later(tok)
    return remote


@pytest.fixture(scope="module")
def engines(pair):
    device, cloud, tok = pair
    hub = CloudEngine(PrefixEngine(device), tok, "edge-hub")  # the tier above: a smaller model than the cloud
    top = CloudEngine(PrefixEngine(cloud), tok, "cloud")
    yield hub, top, tok
    hub.close()
    top.close()


def test_down_late_and_garbled_hops_are_skipped_and_the_next_answers(engines, serve_app):
    hub, top, tok = engines
    ids = encode_prompt(tok, PROMPT)
    with serve_app(create_cloud_app(hub, HttpConfig())) as hub_url, \
            serve_app(_bad_hub(tok, "late")) as late_url, serve_app(_bad_hub(tok, "garbage")) as garbage_url, \
            serve_app(create_cloud_app(top, HttpConfig())) as cloud_url:
        chain = EscalationChain([
            Hop("down", _remote(f"http://127.0.0.1:{free_port()}", tok), deadline_s=0.3),
            Hop("late", _remote(late_url, tok), deadline_s=0.3),
            Hop("garbled", _remote(garbage_url, tok), deadline_s=0.3),
            Hop("edge", _remote(hub_url, tok), min_confidence=0.0, deadline_s=2.0, price_per_1k=0.1),
            Hop("cloud", _remote(cloud_url, tok), deadline_s=2.0, price_per_1k=1.0)])
        started = time.monotonic()
        prediction = chain.predict("s1", ids, len(ids), 4, deadline_s=5.0)
        took = time.monotonic() - started
        stats = {row["tier"]: row for row in chain.summary()}
        assert chain.last_tier == "edge" and took < 3.0
        assert [stats[t]["failed"] for t in ("down", "late", "garbled")] == [1, 1, 1]
        assert stats["edge"]["answered"] == 1 and stats["cloud"]["calls"] == 0
        assert stats["edge"]["cost"] == pytest.approx(stats["edge"]["tokens_computed"] * 0.1 / 1000)
        # the hub's answer is its model's greedy token, the same as asking it directly
        assert prediction.greedy == _remote(hub_url, tok).predict("s2", ids, len(ids), 4, 5.0).greedy
        chain.close()


def test_a_late_hub_does_not_eat_the_clouds_time(engines, serve_app):
    """The decoder's deadline is the cloud's: a hub that runs out its own deadline is skipped and
    the cloud still gets the decoder's full deadline (the call takes at most the sum)."""
    _, top, tok = engines
    ids = encode_prompt(tok, PROMPT)
    with serve_app(_bad_hub(tok, "late")) as late_url, serve_app(create_cloud_app(top, HttpConfig())) as cloud_url:
        chain = EscalationChain([Hop("edge", _remote(late_url, tok), deadline_s=1.0),
                                 Hop("cloud", _remote(cloud_url, tok), deadline_s=5.0)])
        started = time.monotonic()
        prediction = chain.predict("s", ids, len(ids), 4, deadline_s=0.9)  # less than the hub alone may take
        elapsed = time.monotonic() - started
        stats = {row["tier"]: row for row in chain.summary()}
        assert chain.last_tier == "cloud" and stats["edge"]["failed"] == 1 and stats["cloud"]["answered"] == 1
        assert prediction.greedy == _remote(cloud_url, tok).predict("t", ids, len(ids), 4, 5.0).greedy
        assert elapsed < 1.0 + 0.9 + 0.5  # the hub's deadline plus the cloud's, with slack for the box
        chain.close()


def test_an_unsure_hop_passes_the_call_to_the_tier_above(engines, serve_app):
    hub, top, tok = engines
    ids = encode_prompt(tok, PROMPT)
    with serve_app(create_cloud_app(hub, HttpConfig())) as hub_url, \
            serve_app(create_cloud_app(top, HttpConfig())) as cloud_url:
        chain = EscalationChain([Hop("edge", _remote(hub_url, tok), min_confidence=1.0, deadline_s=2.0),
                                 Hop("cloud", _remote(cloud_url, tok), deadline_s=2.0, price_per_1k=1.0)])
        prediction = chain.predict("s", ids, len(ids), 4, deadline_s=5.0)
        stats = {row["tier"]: row for row in chain.summary()}
        assert chain.last_tier == "cloud" and stats["edge"]["escalated"] == 1 and stats["cloud"]["answered"] == 1
        assert stats["cloud"]["cost"] > 0 and stats["edge"]["cost"] == 0.0
        assert prediction.greedy == _remote(cloud_url, tok).predict("t", ids, len(ids), 4, 5.0).greedy
        # provenance per token names the tier that answered
        sure_hub = EscalationChain([Hop("edge", _remote(hub_url, tok), min_confidence=0.0, deadline_s=2.0),
                                    Hop("cloud", _remote(cloud_url, tok), deadline_s=2.0)])
        gen = HybridDecoder(hub.prefix.model, tok, sure_hub).generate(
            ids, CloudOnly(), DecodeConfig(max_new_tokens=5, deadline_s=4.0))
        assert gen.answered_by == ["edge"] * len(gen.token_ids) and gen.cloud_share == 1.0
        assert gen.answered("cloud") == 0 and gen.cloud_tokens_computed == 0 and gen.hub_tokens_computed["edge"] > 0
        assert not gen.corrections  # a hub's answers are used, never learnt


def test_with_every_hop_down_the_request_still_completes_on_the_device(pair):
    device, _, tok = pair
    chain = EscalationChain([Hop("edge", _remote(f"http://127.0.0.1:{free_port()}", tok), deadline_s=0.2),
                             Hop("cloud", _remote(f"http://127.0.0.1:{free_port()}", tok), deadline_s=0.2)])
    ids = encode_prompt(tok, PROMPT)
    with pytest.raises(CloudUnavailable, match="every hop failed: edge: .*; cloud: "):
        chain.predict("s", ids, len(ids), 4, deadline_s=1.0)
    gen = HybridDecoder(device, tok, chain).generate(ids, CloudOnly(), DecodeConfig(max_new_tokens=6, deadline_s=0.5))
    assert len(gen.token_ids) > 0 and gen.cloud_share == 0.0  # every token the device's own
    edge = chain.summary()[0]  # the summary says why a hop failed, not only how often
    assert edge["failed"] >= 1 and "cannot reach" in edge["last_failure"]  # also once the circuit is open


def test_hops_with_another_vocabulary_and_bad_specs_are_refused(pair):
    _, cloud, tok = pair

    other = _remote(f"http://127.0.0.1:{free_port()}", tok)
    other.vocab_size = len(tok) + 1  # a hub whose model has another vocabulary

    with pytest.raises(InferenceError, match="vocabulary"):
        EscalationChain([Hop("edge", other), Hop("cloud", LocalCloud(cloud))])
    with pytest.raises(InferenceError, match="min_confidence"):
        Hop("edge", LocalCloud(cloud), min_confidence=1.5)
    assert parse_hop("edge=http://hub:8101,confidence=0.7,deadline=0.3,price=0.1").min_confidence == 0.7
    for bad in ("edge", "edge=hub:8101", "edge=http://h,speed=3", "edge=http://h,deadline=x",
                "edge=http://h,confidence=2"):
        with pytest.raises(HopSpecError, match="--hop"):
            parse_hop(bad)
    with pytest.raises(HopSpecError, match="the URL needs its scheme: client=http://127.0.0.1:8731$"):
        parse_hop("client=127.0.0.1:8731")
    chain = build_chain([parse_hop(f"edge=http://127.0.0.1:{free_port()}")], LocalCloud(cloud), tok, 1.0)
    assert [h.tier for h in chain.hops] == ["edge", "cloud"]  # a hub down at start-up is not an error


def test_hops_are_probed_at_start_up(engines, pair, serve_app, caplog):
    from inference.errors import TokenizerMismatchError

    hub, _, tok = engines
    cloud = LocalCloud(pair[1])
    down = f"http://127.0.0.1:{free_port()}"
    with serve_app(create_cloud_app(hub, HttpConfig())) as hub_url, caplog.at_level("WARNING", "fedhybrid.hops"):
        chain = build_chain([parse_hop(f"down={down}"), parse_hop(f"edge={hub_url}")], cloud, tok, 1.0)
    # the hop that is down is said at start-up, by name and address, and stays in the chain
    warned = [r.getMessage() for r in caplog.records if r.name == "fedhybrid.hops"]
    assert len(warned) == 1 and "hop down is not answering at start-up" in warned[0] and down in warned[0]
    assert [h.tier for h in chain.hops] == ["down", "edge", "cloud"]
    assert chain.hops[1].cloud.probe() is None  # the live hub passed its check: none left for the first call

    # a hub that answers with another tokenizer could never answer a call: refused at start-up
    foreign = FastAPI()

    @foreign.get("/v1/models")
    async def models():
        return {"data": [{"id": "hub", "tokenizer_hash": "f" * 64, "vocab_size": len(tok)}]}

    with serve_app(foreign) as foreign_url, pytest.raises(TokenizerMismatchError, match=foreign_url):
        build_chain([parse_hop(f"edge={foreign_url}")], cloud, tok, 1.0)
    # so is a server that answers but is not the tier above: a 404 for its model list (a wrong
    # URL), a page that is no model list; one that answers 503 (starting) is only not ready yet
    with serve_app(FastAPI()) as other_url, pytest.raises(ServingError, match="answered 404 to /v1/models: it is not"):
        build_chain([parse_hop(f"edge={other_url}")], cloud, tok, 1.0)
    from fastapi.responses import HTMLResponse

    page, starting = FastAPI(), FastAPI()
    page.get("/v1/models")(lambda: HTMLResponse("<html>index</html>"))
    starting.get("/v1/models")(lambda: JSONResponse({"detail": "loading"}, status_code=503))
    with serve_app(page) as page_url, pytest.raises(ServingError, match="not an OpenAI model list"):
        build_chain([parse_hop(f"edge={page_url}")], cloud, tok, 1.0)
    with serve_app(starting) as starting_url:
        remote = RemoteCloud(RemoteCloudConfig(starting_url))
        remote.connect_later(tok)
        assert "answered 503 to /v1/models: not ready" in remote.probe()


def test_a_device_agent_answers_the_tier_below_at_hop_and_follows_its_adapter(make_agent, serve_app, pair):
    import numpy as np

    from agent.app import create_agent_app
    from agent.hop import AgentHop
    from agent.sync import RoundRunner
    from inference.lora import b_shapes

    _, _, tok = pair
    agent = make_agent("edge-hub", policy="confidence", threshold=0.5)
    hop = AgentHop(agent, "edge-hub")
    ids = encode_prompt(tok, PROMPT)
    try:
        with serve_app(create_agent_app(agent, RoundRunner(agent, None), HttpConfig(), "t",
                                        hop.app(HttpConfig()))) as url:
            chain = EscalationChain([Hop("edge", _remote(f"{url}/hop", tok), min_confidence=0.0, deadline_s=3.0),
                                     Hop("cloud", LocalCloud(pair[1]), deadline_s=3.0)])
            before = chain.predict("s", ids, len(ids), 4, deadline_s=5.0)
            assert chain.last_tier == "edge"
            # the hub's model is its agent's: the same scores as the agent's deployed model
            direct = LocalCloud(agent.current.model).predict("d", ids, len(ids), 4, 5.0)
            assert before.greedy == direct.greedy
            assert np.allclose(before.top_logprobs, direct.top_logprobs, atol=1e-4)
            # a round installs a new adapter: the hop answers with the new model from then on
            shapes = b_shapes(agent.base, agent.cfg.profile.lora_rank, agent.cfg.lora_seed)
            rng = np.random.default_rng(0)
            adapter = {k: rng.normal(scale=0.5, size=s).astype(np.float32) for k, s in shapes.items()}
            agent.install(adapter, 1, None, agent.cache_version, 1)
            after = chain.predict("s2", ids, len(ids), 4, deadline_s=5.0)
            moved = LocalCloud(agent.current.model).predict("d2", ids, len(ids), 4, 5.0)
            assert hop.swaps == 1 and np.allclose(after.top_logprobs, moved.top_logprobs, atol=1e-4)
            assert not np.allclose(after.top_logprobs, before.top_logprobs, atol=1e-4)
            # a released cache entry for the context: the hub answers it for free, with certainty
            from cache_sync.correction_cache import CountTable

            wanted = (after.greedy + 1) % len(tok)
            pair = (tuple(ids[-7:]), wanted)
            released = CountTable.from_corrections(agent.header, [pair, pair], "server", 1)
            agent.install(None, 1, released, agent.cache_version + 1, 2)
            hit = chain.predict("s3", ids, len(ids), 4, deadline_s=5.0)
            assert hit.greedy == wanted and hit.top_logprobs[0] == 0.0 and hit.tier == "edge"
            assert hop.cache_answers == 1 and hop.swaps == 1  # the model stayed; only the lookup changed
            stats = {row["tier"]: row for row in chain.summary()}
            assert hit.hub_computed == (("edge", 0),) and hit.tokens_computed == 0  # no forward pass anywhere
            assert stats["edge"]["tokens_computed"] == sum(n for p in (before, after) for _, n in p.hub_computed)
            # the hub's private (local) entries never answer another device: only what the server released
            assert agent.current.cache.released is released
    finally:
        hop.close()


def test_skip_hubs_sends_every_escalation_to_the_top_of_the_chain(pair):
    device, cloud, tok = pair
    chain = EscalationChain([Hop("edge", LocalCloud(device), min_confidence=0.0, deadline_s=3.0),
                             Hop("cloud", LocalCloud(cloud), deadline_s=3.0, price_per_1k=1.0)])
    ids = encode_prompt(tok, PROMPT)
    cfg = DecodeConfig(max_new_tokens=6, deadline_s=3.0)
    hubbed = HybridDecoder(device, tok, chain).generate(ids, CloudOnly(), cfg)
    assert hubbed.answered_by == ["edge"] * 6 and not hubbed.corrections
    top = HybridDecoder(device, tok, chain).generate(ids, CloudOnly(), DecodeConfig(max_new_tokens=6, deadline_s=3.0,
                                                                                    skip_hubs=True))
    truth = HybridDecoder(device, tok, LocalCloud(cloud)).generate(ids, CloudOnly(), cfg)
    assert top.answered_by == ["cloud"] * 6 and top.token_ids == truth.token_ids and len(top.corrections) == 6
    stats = {row["tier"]: row for row in chain.summary()}
    assert stats["edge"]["calls"] == 6 and stats["cloud"]["answered"] == 6 and stats["cloud"]["cost"] > 0
    assert chain.predict_authority("s", ids, len(ids), 4, 3.0).tier == "cloud"
