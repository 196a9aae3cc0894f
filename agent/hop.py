"""A device agent as the next hop of the tiers below it: the cloud protocol over its own model.

An edge hub's agent serves its own users and, mounted at `/hop` of the same server, answers
the scoring calls of the IoT devices under it exactly as the cloud does (token ids in,
top-k log-probabilities and echo scores out: `serving.cloud_engine.CloudEngine` over a
`PrefixEngine`), with the hub's current model, adapter included. An install that swaps the
adapter swaps the hop's model too (a new prefix engine: cached KV of the old weights must
not serve the new ones); calls in flight finish on the model they started with. The
devices below point at it with `--hop edge=http://hub:8101/hop` and take its answer when
it is sure enough (`inference.escalation`).
"""

from __future__ import annotations

from serving.cloud_engine import CloudEngine
from serving.cloud_server import create_cloud_app
from serving.http_app import HttpConfig
from serving.prefix_engine import PrefixEngine


class AgentHop:
    def __init__(self, agent, model_name: str):
        self.agent = agent
        self.engine = CloudEngine(PrefixEngine(agent.current.model), agent.tokenizer, model_name)
        self.swaps = 0
        agent.on_swap.append(self._swapped)

    def _swapped(self, deployment) -> None:
        if deployment.model is not self.engine.prefix.model:
            self.engine.prefix = PrefixEngine(deployment.model)  # one reference: the next call sees it
            self.swaps += 1

    def app(self, cfg: HttpConfig):
        return create_cloud_app(self.engine, cfg)

    def close(self) -> None:
        self.engine.close()
