"""The fleet's ClientApp: translates Flower Messages to `fleet.device_node` calls.

- `query`: the node's identity (device name, tier, partition), so the server can key
  state by stable device names whatever node ids this run assigned.
- `train`: one federated round on this device (serve, correct, fine-tune, report).
A node's tier comes from node_config (`tier="edge"` in deployment) or, in simulation,
from its partition id and the run's `fleet-tiers`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from flwr.app import (
    Array,
    ArrayRecord,
    ConfigRecord,
    Context,
    Message,
    MetricRecord,
    RecordDict,
)
from flwr.clientapp import ClientApp

from fleet.config import FederationConfig

log = logging.getLogger("fedhybrid.client")
app = ClientApp()


def identity(context: Context, cfg: FederationConfig) -> tuple[str, str, int]:
    """(device name, tier, partition) of this node."""
    nc = context.node_config
    partition = int(nc.get("partition-id", 0))
    tier = str(nc.get("tier") or cfg.fleet_tiers[partition % len(cfg.fleet_tiers)])
    device = str(nc.get("device") or f"{tier}-{partition}")
    return device, tier, partition


@app.query()
def query(msg: Message, context: Context) -> Message:
    cfg = FederationConfig.from_run_config(context.run_config)
    device, tier, partition = identity(context, cfg)
    return Message(RecordDict({"identity": ConfigRecord(
        {"device": device, "tier": tier, "partition": partition})}), reply_to=msg)


@app.train()
def train(msg: Message, context: Context) -> Message:
    from clients.runtime import node_for  # heavy imports only when training

    cfg = FederationConfig.from_run_config(context.run_config)
    device, tier, partition = identity(context, cfg)
    state_dir = Path(str(context.node_config.get("state-dir") or cfg.state_path / "nodes"))
    node, secure = node_for(cfg, device, tier, partition, state_dir)
    content = msg.content
    config = dict(content["config"])
    adapter = {k: v.numpy() for k, v in content["arrays"].items()}
    round_ = int(config["server-round"])
    update_bytes = config["cache-update"]
    if secure is not None:
        from cache_sync.envelope import EnvelopeError

        try:
            update_bytes = secure.open_update(update_bytes, round_)
        except EnvelopeError as exc:
            # never merge what does not verify; keep serving with the cache we have
            log.warning("%s: cache update rejected (%s); keeping the current cache", device, exc.reason)
            update_bytes = None
    from fleet.device_node import RoundInput

    out = node.run_round(RoundInput(round=round_, adapter=adapter, cache_update=update_bytes,
                                    threshold=float(config["threshold"]), seed=int(config["seed"])))
    delta = secure.seal_delta(out.delta, round_) if secure else out.delta
    bytes_down = sum(v.nbytes for v in adapter.values()) + len(config["cache-update"])
    bytes_up = sum(np.asarray(v).nbytes for v in out.adapter.values()) + len(delta)
    metrics = {**out.metrics, "bytes-down": float(bytes_down), "bytes-up": float(bytes_up)}
    return Message(RecordDict({
        "arrays": ArrayRecord({k: Array(np.ascontiguousarray(v, dtype=np.float32)) for k, v in out.adapter.items()}),
        "metrics": MetricRecord(metrics),
        "config": ConfigRecord({"delta": delta, "cache-version": out.cache_version, "device": device,
                                "tier": tier}),
    }), reply_to=msg)

