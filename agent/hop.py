"""A device agent as the next hop of the tiers below it: the cloud protocol over its own model.

An edge hub's agent serves its own users and, mounted at `/hop` of the same server, answers
the scoring calls of the IoT devices under it exactly as the cloud does (token ids in,
top-k log-probabilities and echo scores out: `serving.cloud_engine.CloudEngine` over a
`PrefixEngine`), with the hub's current model, adapter included. A next-token call
(`max_tokens=1`, greedy, no echo) is first looked up in the cache the server released to
the hub (`inference.tier_hub.TierHub`: never the hub's own local entries, which come from
its users' private text): a hit answers with certainty and no forward pass, so it costs
neither the hub's model nor the cloud. An install that swaps the adapter swaps the hop's
model too (a new prefix engine: cached KV of the old weights must not serve the new ones),
and a new released cache version replaces the lookup; calls in flight finish on what they
started with. The devices below point at it with `--hop edge=http://hub:8101/hop` and take
its answer when it is sure enough (`inference.escalation`).
"""

from __future__ import annotations

from inference.tier_hub import TierHub
from serving.cloud_engine import CloudEngine
from serving.cloud_server import create_cloud_app
from serving.http_app import HttpConfig
from serving.prefix_engine import EngineResult, PrefixEngine


class _CacheFirst:
    """A `PrefixEngine` whose greedy next-token calls are answered by the hub's released cache
    when it has the context (everything else goes to the model)."""

    def __init__(self, prefix: PrefixEngine, hub: TierHub | None):
        self.prefix, self.hub = prefix, hub
        self.cache_answers = 0

    def __getattr__(self, name):  # model, stats, cached_tokens, max_positions, vocab_size, close
        return getattr(self.prefix, name)

    def complete(self, prompt, max_tokens, top_k, echo, temperature=0.0, seed=None, eos_id=None, on_token=None):
        hub = self.hub
        if hub is not None and max_tokens == 1 and not echo and temperature == 0 and prompt:
            token = hub.lookup(prompt)
            if token is not None:
                self.cache_answers += 1
                if on_token is not None:
                    on_token(token, 0.0, {token: 0.0})
                return EngineResult([], [], [token], [0.0], [{token: 0.0}], 0, 0)
        return self.prefix.complete(prompt, max_tokens, top_k, echo, temperature, seed, eos_id, on_token)


class AgentHop:
    def __init__(self, agent, model_name: str):
        self.agent = agent
        self.engine = CloudEngine(_CacheFirst(PrefixEngine(agent.current.model), self._hub(agent.current)),
                                  agent.tokenizer, model_name)
        self.swaps = 0
        self._cache_version = agent.current.cache_version
        agent.on_swap.append(self._swapped)

    @staticmethod
    def _hub(deployment) -> TierHub | None:
        cache = deployment.cache
        return TierHub(cache, vocab_size=cache.header.vocab_size) if len(cache.released) else None

    @property
    def cache_answers(self) -> int:
        return self.engine.prefix.cache_answers

    def _swapped(self, deployment) -> None:
        current = self.engine.prefix
        prefix = current.prefix
        if deployment.model is not prefix.model:
            prefix = PrefixEngine(deployment.model)
            self.swaps += 1
        hub = current.hub
        if deployment.cache_version != self._cache_version:  # a new released view: a new lookup
            hub, self._cache_version = self._hub(deployment), deployment.cache_version
        if prefix is not current.prefix or hub is not current.hub:
            fresh = _CacheFirst(prefix, hub)
            fresh.cache_answers = current.cache_answers
            self.engine.prefix = fresh  # one reference: the next call sees it

    def app(self, cfg: HttpConfig):
        return create_cloud_app(self.engine, cfg)

    def close(self) -> None:
        self.engine.close()
