"""Rounds reaching running device agents through the real ClientApp and ServerApp (in-process
Grid, agents over real loopback HTTP): at-least-once uploads, exactly-once merges, installs."""

import httpx
import numpy as np
import pytest
from flwr.app import Error, Message
from flwr.clientapp import ClientApp

import clients.app as client_module
from agent.app import create_agent_app, write_token
from agent.sync import RoundRunner
from cache_sync.channel import DeviceChannel
from cache_sync.envelope import Opener
from cache_sync.keys import init_keys, known_devices, load_aggregator_keys
from cache_sync.merge import Delta
from fleet.config import FederationConfig
from inference.tier_profile import profile
from server.app import run_federation
from server.inprocess_grid import InProcessGrid
from serving.http_app import HttpConfig
from workloads import wordmath

PROMPTS = [p.prompt for p in wordmath.generate("heldout", 4, seed=21)]
DEVICES = [("edge-0", "edge"), ("iot-1", "iot")]


@pytest.fixture
def fleet(make_agent, serve_app, tmp_path, request):
    """Two running agents (edge-0, iot-1) with keys; yields (node configs, keys dir, engines).
    Their routing policy is cloud-only unless a test parametrizes it (indirect)."""
    policy = getattr(request, "param", "cloud-only")
    keys = tmp_path / "keys"
    init_keys(keys, [d for d, _ in DEVICES])
    node_configs, engines, stack = [], {}, []
    for i, (device, tier) in enumerate(DEVICES):
        engine = make_agent(device, policy=policy, profile=profile(tier))
        token = write_token(engine.cfg.token_path)
        app = create_agent_app(engine, RoundRunner(engine, DeviceChannel.load(keys, device)), HttpConfig(), token)
        ctx = serve_app(app)
        url = ctx.__enter__()
        stack.append(ctx)
        engines[device] = (engine, url)
        node_configs.append({"partition-id": i, "num-partitions": 2, "tier": tier, "device": device,
                             "agent-url": url, "agent-token-file": str(engine.cfg.token_path)})
    yield node_configs, keys, engines
    for ctx in stack:
        ctx.__exit__(None, None, None)


def _traffic(engines, n=2):
    for _, url in engines.values():
        for prompt in PROMPTS[:n]:
            resp = httpx.post(f"{url}/v1/completions", json={"prompt": prompt, "max_tokens": 12, "temperature": 0},
                              timeout=120)
            assert resp.status_code == 200, resp.text


def test_lost_replies_and_lost_acks_still_merge_every_upload_exactly_once(fleet, tiny_zoo_dir, tmp_path):
    node_configs, keys, engines = fleet
    sent: list[tuple[str, bytes]] = []

    def faults(msg: Message, context, call_next):
        device = context.node_config["device"]
        rnd = int(msg.content["config"]["server-round"]) if msg.metadata.message_type == "train" else 0
        if rnd == 2 and device == "iot-1":  # the round never reaches the agent
            return Message(Error(code=1, reason="injected: node offline"), reply_to=msg)
        if rnd == 3 and device == "iot-1":  # the merge of its upload 1 does not reach it either (an agent
            msg.content["config"]["acked-seqs"] = []  # restored from an older backup would not know it)
        reply = call_next(msg, context)
        if msg.metadata.message_type == "train" and not reply.has_error():
            sent.extend((device, d) for d in reply.content["config"]["deltas"])
            if rnd == 1 and device == "edge-0":  # the agent ran the round, its reply is lost
                return Message(Error(code=1, reason="injected: reply lost"), reply_to=msg)
        return reply

    app = ClientApp(mods=[faults])
    app.query()(client_module.query)
    app.train()(client_module.train)
    rc = {"num-rounds": 3, "zoo": str(tiny_zoo_dir), "state-dir": str(tmp_path / "server"), "key-dir": str(keys),
          "fleet-tiers": "edge,iot", "release-k": 1, "per-device-cap": 10**9, "local-steps": 1}
    _traffic(engines)
    state = run_federation(InProcessGrid(app, rc, node_configs), FederationConfig.from_run_config(rc),
                           on_round=lambda rnd, record: _traffic(engines))
    history = state.history
    assert [sorted(h["nodes"]) for h in history] == [["iot-1"], ["edge-0"], ["edge-0", "iot-1"]]
    assert history[1]["ingest"]["merged"] == 2  # edge-0's lost upload 1 went again, with upload 2
    assert history[2]["ingest"]["duplicates"] == 1  # iot-1 did not know upload 1 was merged: re-sent, merged once
    assert sorted(state.aggregate.ledger) == [("edge-0", 1), ("edge-0", 2), ("edge-0", 3), ("iot-1", 1), ("iot-1", 2)]
    # exactly once: the merged counts equal the distinct uploads' counts, not what was sent
    opener_keys, senders = load_aggregator_keys(keys), known_devices(keys)
    distinct: dict[tuple[str, int], int] = {}
    total_sent = 0
    for device, sealed in sent:
        _, payload = Opener(opener_keys, senders).open(sealed, expect_sender=device)
        delta = Delta.from_bytes(payload)
        count = int(delta.table.entries["count"].sum())
        distinct[(device, delta.seq)] = count
        total_sent += count
    assert int(state.aggregate.table.entries["count"].sum()) == sum(distinct.values()) < total_sent
    # what the server has merged is confirmed at the agents once the next round tells them
    edge, _ = engines["edge-0"]
    assert [u.seq for u in edge.journal.pending_uploads()] == [3]  # 1 and 2 confirmed in round 3
    # and every agent runs the installed global adapter and cache version of the last round
    for device, (engine, _) in engines.items():
        assert engine.current.adapter_version == 3 and engine.current.cache_version >= 1, device
        assert state.node_versions[device][engine.cfg.profile.tier] == engine.current.cache_version


def test_an_unreachable_agent_is_left_out_and_the_rest_of_the_fleet_goes_on(fleet, tiny_zoo_dir, tmp_path, caplog):
    node_configs, keys, engines = fleet
    node_configs = [dict(nc) for nc in node_configs]
    node_configs[1]["agent-url"] = "http://127.0.0.1:9"  # nothing listens there
    app = ClientApp()
    app.query()(client_module.query)
    app.train()(client_module.train)
    rc = {"num-rounds": 1, "zoo": str(tiny_zoo_dir), "state-dir": str(tmp_path / "server"), "key-dir": str(keys),
          "fleet-tiers": "edge,iot", "release-k": 1}
    _traffic({"edge-0": engines["edge-0"]})
    state = run_federation(InProcessGrid(app, rc, node_configs), FederationConfig.from_run_config(rc))
    assert list(state.history[0]["nodes"]) == ["edge-0"]
    assert sorted(state.aggregate.ledger) == [("edge-0", 1)]
    assert "failed to identify itself" in caplog.text


def test_with_relay_a_device_that_missed_a_round_gets_the_update_from_its_hub(fleet, tiny_zoo_dir, tmp_path):
    """relay=true: the edge hub's round carries the iot view; iot-1 misses round 3 and fetches the
    same update from the hub over HTTP (agent/relay.py), equal to what the round would have brought."""
    import threading

    from agent.config import RelayConfig
    from agent.relay import RelayPoller
    from cache_sync.versioned import CacheUpdate

    node_configs, keys, engines = fleet
    missed = {}

    def faults(msg: Message, context, call_next):
        device = context.node_config["device"]
        if msg.metadata.message_type == "train" and device == "iot-1" and \
                int(msg.content["config"]["server-round"]) == 3:
            missed["signed"] = msg.content["config"]["cache-update"]  # what the server sent it directly
            return Message(Error(code=1, reason="injected: node offline"), reply_to=msg)
        return call_next(msg, context)

    app = ClientApp(mods=[faults])
    app.query()(client_module.query)
    app.train()(client_module.train)
    rc = {"num-rounds": 3, "zoo": str(tiny_zoo_dir), "state-dir": str(tmp_path / "server"), "key-dir": str(keys),
          "fleet-tiers": "edge,iot", "release-k": 1, "local-steps": 0, "relay": True}
    _traffic(engines)
    state = run_federation(InProcessGrid(app, rc, node_configs), FederationConfig.from_run_config(rc),
                           on_round=lambda rnd, record: _traffic(engines))
    assert [sorted(h["nodes"]) for h in state.history] == [["edge-0", "iot-1"]] * 2 + [["edge-0"]]
    iot, _ = engines["iot-1"]
    _, hub_url = engines["edge-0"]
    channel = DeviceChannel.load(keys, "iot-1")
    direct = CacheUpdate.from_bytes(channel.open_update(missed["signed"], 3), iot.header)
    assert iot.cache_version == direct.base_version >= 1 and direct.version > iot.cache_version
    expected = direct.apply_to(iot.released)
    # the hub's round 3 held the same version of the iot view, relayed
    assert state.history[2]["bytes_down"]["edge-0"] > state.history[0]["bytes_down"]["edge-0"]
    poller = RelayPoller(iot, threading.Lock(), channel.server_key, RelayConfig(hub_url))
    assert poller.poll_once() == "installed"
    poller.close()
    assert iot.cache_version == direct.version
    assert sorted(map(bytes, iot.released.entries)) == sorted(map(bytes, expected.entries))


@pytest.mark.parametrize("fleet", ["confidence"], indirect=True)
def test_with_federated_head_the_agents_tune_the_fleets_reward_head_and_route_with_it(fleet, tiny_zoo_dir, tmp_path):
    """federated-head=true over running agents: round 1 hands them the zoo's head, they label what
    they serve, round 2's replies carry heads fine-tuned on those labels, the server averages them,
    and round 3 installs the average at every agent, which then routes with it."""
    from inference.reward_head import head_arrays, unpack_head

    node_configs, keys, engines = fleet
    sent: dict[int, bytes] = {}

    def spy(msg: Message, context, call_next):
        if msg.metadata.message_type == "train":
            sent[int(msg.content["config"]["server-round"])] = bytes(msg.content["config"]["reward-head"])
        return call_next(msg, context)

    app = ClientApp(mods=[spy])
    app.query()(client_module.query)
    app.train()(client_module.train)
    rc = {"num-rounds": 3, "zoo": str(tiny_zoo_dir), "state-dir": str(tmp_path / "server"), "key-dir": str(keys),
          "fleet-tiers": "edge,iot", "release-k": 1, "local-steps": 0, "federated-head": True,
          "explore-rate": 1.0, "head-epochs": 2}
    _traffic(engines)
    state = run_federation(InProcessGrid(app, rc, node_configs), FederationConfig.from_run_config(rc),
                           on_round=lambda rnd, record: _traffic(engines))
    records = [h["heads"] for h in state.history]
    (family,) = state.heads  # edge and iot run one model
    assert records[0]["families"] == {}  # no agent had labels before round 1 asked for them
    assert records[1]["families"][family]["heads"] == 2 and records[1]["families"][family]["labels"] > 0
    assert records[1]["dropped"] == []
    zoo_head, round2, round3 = (unpack_head(sent[r]) for r in (1, 2, 3))
    assert all(np.array_equal(zoo_head[k], round2[k]) for k in zoo_head)  # round 1 changed nothing
    assert any(not np.array_equal(round2[k], round3[k]) for k in round2)  # round 2 averaged tuned heads
    for device, (engine, _) in engines.items():
        installed = head_arrays(engine.head)
        assert all(np.array_equal(installed[k], round3[k]) for k in round3), device
        assert engine.fleet_head.version == 3, device
