"""The fleet's ClientApp: translates Flower Messages to a device's round, and back.

Two kinds of node, one message contract:
- a device agent (`node_config` has `agent-url` and `agent-token-file`): the round is the
  running agent's (`agent.sync`: install, upload from its journal, fine-tune); this app
  only carries the messages over the agent's loopback admin API (`clients.agent_link`);
- a simulated device (no agent): `fleet.device_node` serves its slice of the fleet
  workload inside the round (the simulation and the demo); with `record-dir` set, what it
  sends is also recorded (`fleet.replay.Recorder`);
- a replayed device (`replay-dir` set): `fleet.replay` answers with a resampled recording,
  no decoding: how the server is measured with thousands of nodes (`bench fed --nodes`).
Messages:
- `query`: the node's identity (device name, tier, partition), so the server can key
  state by stable device names whatever node ids this run assigned.
- `train`: one federated round: the family's adapter and the signed cache diff in (with
  the server's `relay`, a hub also gets the signed updates of the tier below in
  `relay-updates`, which only a device agent keeps: agent/relay.py; with federated-head, the
  family's `reward-head` and `explore-rate`); the fine-tuned adapter, metrics and the sealed
  correction deltas (`deltas`, a list: an agent re-sends unconfirmed ones) out, and with
  federated-head the fine-tuned `reward-head` and its `route-hist`.
A node's tier comes from node_config (`tier="edge"` in deployment) or, in simulation,
from its partition id and the run's `fleet-tiers`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from flwr.app import Array, ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
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


def agent_link(context: Context):
    """The device agent this node fronts, or None for a simulated device."""
    url = context.node_config.get("agent-url")
    if not url:
        return None
    from clients.agent_link import AgentLink

    return AgentLink(str(url), Path(str(context.node_config.get("agent-token-file", ""))))


@app.query()
def query(msg: Message, context: Context) -> Message:
    cfg = FederationConfig.from_run_config(context.run_config)
    device, tier, partition = identity(context, cfg)
    link = agent_link(context)
    if link is not None:  # the agent is the authority on who it is
        ident = link.identity()
        device, tier = str(ident["device"]), str(ident["tier"])
    return Message(RecordDict({"identity": ConfigRecord(
        {"device": device, "tier": tier, "partition": partition})}), reply_to=msg)


@app.query("secagg_keys")
def secagg_keys(msg: Message, context: Context) -> Message:
    from clients import secure

    cfg = FederationConfig.from_run_config(context.run_config)
    device, _, _ = identity(context, cfg)
    link = agent_link(context)
    if link is not None:
        device = str(link.identity()["device"])
    return secure.keys(msg, context, device)


@app.query("secagg_share")
def secagg_share(msg: Message, context: Context) -> Message:
    from clients import secure

    return secure.share(msg, context)


@app.query("secagg_unmask")
def secagg_unmask(msg: Message, context: Context) -> Message:
    from clients import secure

    return secure.unmask(msg, context)


def _reply(msg: Message, adapter: dict, metrics: dict, deltas: list[bytes], cache_version: int, device: str,
           tier: str, context: Context | None = None, extra: dict | None = None) -> Message:
    config = {"deltas": list(deltas), "cache-version": int(cache_version), "device": device, "tier": tier,
              **(extra or {})}
    secagg = msg.content["config"].get("secagg")
    if secagg is not None and context is not None:
        # secure aggregation: the adapter leaves this device only masked (clients/secure.py)
        from clients import secure

        config["secagg-masked"] = secure.mask(context, secagg, int(msg.content["config"]["server-round"]),
                                              adapter, float(metrics.get("num-examples", 0.0)))
        if "bytes-up" in metrics:  # what actually goes up: the masked vector, not the adapter
            plain = sum(np.asarray(v).nbytes for v in adapter.values())
            metrics = {**metrics, "bytes-up": metrics["bytes-up"] - plain + len(config["secagg-masked"])}
        adapter = {}
    return Message(RecordDict({
        "arrays": ArrayRecord({k: Array(np.ascontiguousarray(v, dtype=np.float32)) for k, v in adapter.items()}),
        "metrics": MetricRecord({k: float(v) for k, v in metrics.items()}),
        "config": ConfigRecord(config),
    }), reply_to=msg)


@app.train()
def train(msg: Message, context: Context) -> Message:
    cfg = FederationConfig.from_run_config(context.run_config)
    content = msg.content
    config = dict(content["config"])
    adapter = {k: v.numpy() for k, v in content["arrays"].items()}
    round_ = int(config["server-round"])
    relayed = [bytes(u) for u in config.get("relay-updates", [])]
    bytes_down = sum(v.nbytes for v in adapter.values()) + len(config["cache-update"]) + sum(map(len, relayed))
    link = agent_link(context)
    if link is not None:
        from agent.wire import RoundRequest, decode_adapter, encode_adapter

        head = bytes(config["reward-head"]) if "reward-head" in config else None  # server/head_round.py
        reply = link.round(RoundRequest(
            round=round_, adapter=encode_adapter(adapter), cache_update=config["cache-update"],
            acked=[int(s) for s in config.get("acked-seqs", [])], threshold=float(config["threshold"]),
            seed=int(config["seed"]), lora_seed=cfg.lora_seed, local_steps=cfg.local_steps, lr=cfg.lr,
            relayed=relayed, reward_head=head, explore=float(config.get("explore-rate", 0.0)),
            head_epochs=cfg.head_epochs, head_lr=cfg.head_lr))
        trained = decode_adapter(reply.adapter)
        extra = {}
        if reply.reward_head is not None:  # the agent's fine-tuned reward head
            extra["reward-head"] = reply.reward_head
        if reply.route_hist:
            extra["route-hist"] = list(reply.route_hist)
        bytes_down += len(head or b"")
        bytes_up = (sum(v.nbytes for v in trained.values()) + sum(len(d) for d in reply.deltas)
                    + len(reply.reward_head or b""))
        metrics = {**reply.metrics, "bytes-down": float(bytes_down), "bytes-up": float(bytes_up)}
        return _reply(msg, trained, metrics, reply.deltas, reply.cache_version, reply.device, reply.tier,
                      context, extra)

    device, tier, partition = identity(context, cfg)
    state_dir = Path(str(context.node_config.get("state-dir") or cfg.state_path / "nodes"))
    if cfg.replay_dir:  # a replayed device: verify the update as a device does, answer from the corpus
        from clients.runtime import replay_node_for

        node, secure = replay_node_for(cfg, device, tier)
        update = _verified_update(secure, config["cache-update"], round_, device)
        out = node.reply(round_, cfg.profile(tier).lora_rank, update)
        return _answer(msg, context, out, secure, state_dir, device, tier, round_, config, bytes_down)

    from clients.runtime import node_for  # heavy imports only when training
    from fleet.device_node import RoundInput

    node, secure = node_for(cfg, device, tier, partition, state_dir)
    update = _verified_update(secure, config["cache-update"], round_, device)
    head = None
    if "reward-head" in config:  # the federated reward head (server/head_round.py)
        from inference.reward_head import unpack_head

        head = unpack_head(config["reward-head"])
        bytes_down += len(config["reward-head"])
    out = node.run_round(RoundInput(round=round_, adapter=adapter, cache_update=update,
                                    threshold=float(config["threshold"]), seed=int(config["seed"]), head=head,
                                    explore=float(config.get("explore-rate", 0.0))))
    if cfg.record_dir:
        from fleet.replay import Recorder

        Recorder(Path(cfg.record_dir)).write(device, tier, round_, out.adapter, out.delta, out.metrics)
    return _answer(msg, context, out, secure, state_dir, device, tier, round_, config, bytes_down)


def _verified_update(secure, update: bytes, round_: int, device: str) -> bytes | None:
    """The signed cache update's payload, or None when it does not verify: never merge what
    does not verify; the device keeps serving with the cache it has."""
    if secure is None:
        return update
    from cache_sync.envelope import EnvelopeError

    try:
        return secure.open_update(update, round_)
    except EnvelopeError as exc:
        log.warning("%s: cache update rejected (%s); keeping the current cache", device, exc.reason)
        return None


def _answer(msg: Message, context: Context, out, secure, state_dir: Path, device: str, tier: str, round_: int,
            config: dict, bytes_down: int) -> Message:
    """A simulated or replayed device's reply: its adapter, metrics and every unconfirmed delta."""
    deltas = _outgoing(state_dir / device / "outbox", out.delta, round_, config, secure)
    extra = {}
    if getattr(out, "head", None) is not None:  # a fine-tuned reward head (a replayed device has none)
        from inference.reward_head import pack_head

        extra["reward-head"] = pack_head(out.head)
    if getattr(out, "route_hist", None) is not None:
        extra["route-hist"] = [float(c) for c in out.route_hist]
    bytes_up = (sum(np.asarray(v).nbytes for v in out.adapter.values()) + sum(len(d) for d in deltas)
                + len(extra.get("reward-head", b"")))
    metrics = {**out.metrics, "bytes-down": float(bytes_down), "bytes-up": float(bytes_up),
               "deltas-sent": float(len(deltas))}
    return _reply(msg, out.adapter, metrics, deltas, out.cache_version, device, tier, context, extra)


def _outgoing(folder: Path, delta: bytes, round_: int, config: dict, secure) -> list[bytes]:
    """This round's delta and every earlier one the server has not confirmed merged (a reply
    lost or late: `fleet.outbox`), each sealed now; the server merges each once."""
    from fleet.outbox import Outbox

    outbox = Outbox(folder)
    outbox.confirm([int(s) for s in config.get("acked-seqs", [])])
    outbox.put(round_, delta)  # a simulated or replayed device numbers its deltas by round
    return [secure.seal_delta(d, round_, seq=seq) if secure else d for seq, d in outbox.pending()]
