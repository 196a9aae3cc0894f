"""One device across federated rounds: its configuration, its saved state, and a real round on the micro-zoo."""

import math
from types import SimpleNamespace

import msgpack
import numpy as np
import pytest

from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.errors import CacheError
from cache_sync.merge import Delta
from fleet.device_node import DamagedState, DeviceNode, DeviceState, NodeConfig, RoundInput, read_served
from fleet.errors import FleetError
from inference.tier_profile import DEFAULT_PROFILES

LORA_SEED, R_MAX = 1234, 8  # the edge family: edge (rank 8) and iot (rank 4) nodes
METRIC_KEYS = {
    "state-rejoined",
    "num-examples", "tokens", "cloud-tokens", "cache-tokens", "cloud-share", "cache-share", "accuracy",
    "cloud-calls", "cloud-tokens-computed", "missed-escalations", "train-loss", "cache-entries",
    "private-queries", "malformed-outputs", "cache-loops", "hub-tokens", "hub-tokens-computed", "settled-requests",
    "relearnt-requests",
}


def _config(state_dir, device: str = "iot-0", **over) -> NodeConfig:
    values = {"device": device, "partition": 0, "profile": DEFAULT_PROFILES["iot"], "state_dir": state_dir,
              "r_max": R_MAX, "lora_seed": LORA_SEED, "local_steps": 2, "max_new_tokens": 96}
    values.update(over)
    return NodeConfig(**values)


# -- NodeConfig -------------------------------------------------------------------------------


@pytest.mark.parametrize("device", ["", "edge/3", "../edge-3", "/etc", ".hidden", "..", "."])
def test_node_config_rejects_a_device_name_that_is_not_a_plain_folder_name(tmp_path, device):
    with pytest.raises(FleetError, match="device name") as info:
        _config(tmp_path, device=device)
    assert repr(device) in str(info.value)


@pytest.mark.parametrize("device", ["edge-3", "iot_7", "client-0.v2"])
def test_node_config_accepts_plain_device_names(tmp_path, device):
    assert _config(tmp_path, device=device).device == device


@pytest.mark.parametrize("over", [{"partition": -1}, {"local_steps": -1}, {"lr": 0.0}, {"lr": -1e-3}])
def test_node_config_rejects_negative_partition_or_steps_and_non_positive_lr(tmp_path, over):
    with pytest.raises(FleetError, match="partition and local_steps"):
        _config(tmp_path, **over)


# -- DeviceState ------------------------------------------------------------------------------

HEADER = CacheHeader("test-tokenizer", vocab_size=50, n_min=2, n_max=4)


def _table(device: str, round_: int, corrections) -> CountTable:
    return CountTable.from_corrections(HEADER, corrections, device, round_)


def test_device_state_save_load_round_trips(tmp_path):
    released = _table("other", 1, [([1, 2, 3], 4), ([7, 8], 9)])
    local = _table("dev", 2, [([3, 4, 5, 6], 10)])
    DeviceState(HEADER, released, local, version=7).save(tmp_path, 2)
    loaded = DeviceState.load(tmp_path, 2, HEADER)
    assert loaded.released == released and loaded.local == local and loaded.version == 7
    assert len(loaded.released) and len(loaded.local)
    DeviceState(HEADER, released, local, version=7, asked={5, 9}, agreed={2**62, 1}).save(tmp_path, 3)
    loaded = DeviceState.load(tmp_path, 3, HEADER)
    assert loaded.asked == {5, 9} and loaded.agreed == {2**62, 1}


def test_a_device_state_of_before_the_asked_questions_loads_with_none(tmp_path):
    from cache_sync.durable import write_checked

    data = msgpack.packb({"version": 3, "released": CountTable(HEADER).to_bytes(),
                          "local": CountTable(HEADER).to_bytes()}, use_bin_type=True)
    write_checked(tmp_path / "round-1.msgpack", data)
    state = DeviceState.load(tmp_path, 1, HEADER)
    assert state.version == 3 and state.asked == set() and state.agreed == set()
    # a sound file whose asked questions or agreed answers are not ids is damage, not a half-loaded state
    for n, bad in enumerate(({"asked": 7}, {"agreed": ["x"]}), start=2):
        data = msgpack.packb({"version": 3, "released": CountTable(HEADER).to_bytes(),
                              "local": CountTable(HEADER).to_bytes(), **bad}, use_bin_type=True)
        write_checked(tmp_path / f"round-{n}.msgpack", data)
        with pytest.raises(DamagedState, match=f"does not hold a device state.*{next(iter(bad))}"):
            DeviceState.load(tmp_path, n, HEADER)


def test_device_state_keeps_only_the_last_three_rounds(tmp_path):
    for round_ in range(1, 6):
        DeviceState(HEADER, local=_table("dev", round_, [([round_, 2, 3], 4)]), version=round_).save(tmp_path, round_)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["round-3.msgpack", "round-4.msgpack", "round-5.msgpack"]
    assert DeviceState.load(tmp_path, 3, HEADER).version == 3  # the previous round stays loadable


@pytest.mark.parametrize("round_", [0, 3])
def test_device_state_load_of_a_missing_round_is_empty(tmp_path, round_):
    DeviceState(HEADER, local=_table("dev", 1, [([1, 2], 3)]), version=1).save(tmp_path, 1)
    state = DeviceState.load(tmp_path, round_, HEADER)
    assert len(state.released) == 0 and len(state.local) == 0 and state.version == 0
    assert state.header == HEADER
    assert DeviceState.load(tmp_path / "never-written", 1, HEADER).version == 0


def test_device_state_load_refuses_another_header(tmp_path):
    DeviceState(HEADER, local=_table("dev", 1, [([1, 2], 3)])).save(tmp_path, 1)
    with pytest.raises(CacheError):
        DeviceState.load(tmp_path, 1, CacheHeader("another-tokenizer", vocab_size=50, n_min=2, n_max=4))


# -- one round on the micro-zoo ---------------------------------------------------------------


@pytest.fixture(scope="module")
def stack(tiny_zoo_dir):
    """What clients.runtime loads once per process: models, tokenizer, reward head, cloud, header, workload."""
    from inference.cloud import LocalCloud
    from inference.runtime import load_head
    from inference.zoo import Zoo, load_causal_lm
    from workloads.fleet import FleetWorkload, FleetWorkloadConfig

    zoo = Zoo(tiny_zoo_dir)
    model_name = zoo.model_name(DEFAULT_PROFILES["iot"].model)
    base, tokenizer = load_causal_lm(model_name, zoo)
    head, meta = load_head(zoo.path(model_name), zoo.model_name("cloud"))
    cloud_model, _ = load_causal_lm("cloud", zoo)
    header = CacheHeader(zoo.tokenizer_hash, int(zoo.manifest["vocab_size"]), 2, 8)
    workload = FleetWorkload(FleetWorkloadConfig(devices=8, queries_per_round=2, seed=0))
    clouds = []

    def node(state_dir) -> DeviceNode:
        """A node as a fresh process would build it (its own cloud sessions)."""
        clouds.append(LocalCloud(cloud_model))
        return DeviceNode(_config(state_dir), base, tokenizer, clouds[-1], head, header, workload)

    yield {"base": base, "header": header, "node": node, "tau": float(meta["target"]["tau"])}
    for cloud in clouds:
        cloud.close()


def _round_input(stack, round_: int, adapter=None) -> RoundInput:
    if adapter is None:  # the server's first global adapter: zeros, truncated to the node's rank
        from inference.lora import b_shapes

        rank = DEFAULT_PROFILES["iot"].lora_rank
        adapter = {k: np.zeros((s[0], rank), np.float32) for k, s in b_shapes(stack["base"], R_MAX, LORA_SEED).items()}
    return RoundInput(round=round_, adapter=adapter, cache_update=None, threshold=stack["tau"], seed=100 + round_)


@pytest.fixture(scope="module")
def first_round(stack, tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("nodes")
    inp = _round_input(stack, 1)
    return state_dir, inp, stack["node"](state_dir).run_round(inp)


def test_run_round_returns_an_adapter_of_the_nodes_rank(first_round):
    _, inp, out = first_round
    rank = DEFAULT_PROFILES["iot"].lora_rank
    assert out.adapter.keys() == inp.adapter.keys() and len(out.adapter) > 0
    for key, value in out.adapter.items():
        assert value.shape == (inp.adapter[key].shape[0], rank) and value.dtype == np.float32
        assert np.isfinite(value).all()
    # B is fine-tuned on the well-formed outputs only (here 1 of 2 on the micro-zoo), else it comes back as sent
    trained = out.metrics["malformed-outputs"] < out.metrics["num-examples"]
    assert any(np.abs(v).max() > 0 for v in out.adapter.values()) == trained
    assert (out.metrics["train-loss"] > 0) == trained


def test_run_round_returns_a_decodable_delta_of_this_round(first_round, stack):
    _, _, out = first_round
    delta = Delta.from_bytes(out.delta, stack["header"])
    assert (delta.device_id, delta.seq, delta.round) == ("iot-0", 1, 1)
    assert delta.table.header == stack["header"]


def test_run_round_reports_the_documented_metrics(first_round):
    _, _inp, out = first_round
    m = out.metrics
    assert set(m) == METRIC_KEYS
    assert all(isinstance(v, float) and math.isfinite(v) for v in m.values())
    assert m["num-examples"] == 2.0 and 0 <= m["private-queries"] <= 2 and m["tokens"] > 0
    assert m["cloud-share"] == pytest.approx(m["cloud-tokens"] / m["tokens"])
    assert m["cache-share"] == pytest.approx(m["cache-tokens"] / m["tokens"])
    assert 0 <= m["cloud-share"] + m["cache-share"] <= 1 and 0 <= m["accuracy"] <= 1
    assert m["hub-tokens"] == 0.0  # no hierarchy: every escalation went to the cloud
    assert out.cache_version == 0  # no cache update arrived


def test_run_round_writes_its_state(first_round, stack):
    state_dir, _, out = first_round
    assert (state_dir / "iot-0" / "round-1.msgpack").is_file()
    state = DeviceState.load(state_dir / "iot-0", 1, stack["header"])
    assert state.version == out.cache_version
    assert float(len(state.released) + len(state.local)) == out.metrics["cache-entries"]


def test_run_round_twice_from_the_same_saved_state_gives_identical_outputs(first_round, stack):
    state_dir, _, first = first_round
    inp = _round_input(stack, 2, adapter=first.adapter)
    folder = state_dir / "iot-0"
    node = stack["node"](state_dir)
    a = node.run_round(inp)
    saved = (folder / "round-2.msgpack").read_bytes()
    b = node.run_round(inp)  # the same node asked again (a retried round)
    c = stack["node"](state_dir).run_round(inp)  # a fresh process resuming after a crash
    assert (folder / "round-2.msgpack").read_bytes() == saved
    for other in (b, c):
        assert other.delta == a.delta and other.metrics == a.metrics and other.cache_version == a.cache_version
        assert other.adapter.keys() == a.adapter.keys()
        assert all(np.array_equal(other.adapter[k], a.adapter[k]) for k in a.adapter)
    assert sorted(p.name for p in folder.iterdir()) == ["round-1.msgpack", "round-2.msgpack",
                                                        "served-1.jsonl", "served-2.jsonl"]
    # the per-query outcomes the demo's confidence intervals resample
    rows = read_served(folder, 2)
    assert len(rows) == a.metrics["num-examples"] and sum(r["tokens"] for r in rows) == a.metrics["tokens"]
    assert sum(r["cloud"] for r in rows) == a.metrics["cloud-tokens"]


def test_with_the_hierarchy_a_sure_hub_answers_and_nothing_it_says_is_learnt(stack, tiny_zoo_dir, tmp_path):
    """iot -> client hub (always sure) -> cloud: every escalation is the hub's, so the round's
    delta holds no correction, and the metrics count the tokens by tier."""
    from inference.cloud import LocalCloud
    from inference.escalation import EscalationChain, Hop
    from inference.tier_hub import TierHub
    from inference.zoo import Zoo, load_causal_lm

    hub_model, _ = load_causal_lm("client", Zoo(tiny_zoo_dir))
    hub, cloud = LocalCloud(hub_model), LocalCloud(load_causal_lm("cloud", Zoo(tiny_zoo_dir))[0])
    node = stack["node"](tmp_path)
    node.chain_for_round = lambda round_: EscalationChain([Hop("client", TierHub(None, hub), min_confidence=0.0),
                                                          Hop("cloud", cloud)])
    out = node.run_round(_round_input(stack, 1))
    m = out.metrics
    assert m["hub-tokens-client"] > 0 and m["hub-tokens"] == m["hub-tokens-client"]
    assert m["cloud-tokens"] == 0 and m["cloud-tokens-computed"] == 0 and m["hub-tokens-computed"] > 0
    delta = Delta.from_bytes(out.delta, stack["header"])
    assert int(delta.table.entries["count"].sum()) == 0  # served/contradicted feedback at most: no correction
    rows = read_served(tmp_path / "iot-0", 1)
    assert sum(r["hubs"].get("client", 0) for r in rows) == m["hub-tokens-client"]
    # the same questions again: answered before, so past the hub to the cloud, whose answers are learnt
    asked = DeviceState.load(tmp_path / "iot-0", 1, stack["header"]).asked
    assert len(asked) == 2
    round_one = node.workload.queries(0, 1)
    node.workload = SimpleNamespace(queries=lambda partition, round_: round_one)
    again = node.run_round(_round_input(stack, 2))
    assert again.metrics["hub-tokens"] == 0 and again.metrics["cloud-tokens"] > 0
    assert int(Delta.from_bytes(again.delta, stack["header"]).table.entries["count"].sum()) > 0
    # turned off (run config recurring-to-cloud = false), the hub keeps answering
    off = DeviceNode(_config(tmp_path / "off", recurring_to_cloud=False), node.base, node.tokenizer, cloud,
                     node.head, stack["header"], node.workload, node.chain_for_round)
    off.run_round(_round_input(stack, 1))
    assert off.run_round(_round_input(stack, 2)).metrics["cloud-tokens"] == 0
    hub.close()
    cloud.close()


def test_a_question_answered_before_is_settled_by_the_cloud(stack, tmp_path):
    """The device answers alone (a threshold it always passes): a question it answered before has
    its answer scored by the cloud at the end (one call, no cloud token in the answer), whose
    observations the round's delta carries. Off (run
    config settle-recurring = false), a recurrence costs the cloud nothing."""
    from dataclasses import replace

    node = stack["node"](tmp_path / "on")
    round_one = node.workload.queries(0, 1)
    node.workload = SimpleNamespace(queries=lambda partition, round_: round_one)
    alone = [replace(_round_input(stack, r), threshold=1e6) for r in (1, 2)]
    first = node.run_round(alone[0]).metrics
    repeats = len(round_one) - len({q.key for q in round_one})  # a question twice in round 1
    assert first["cloud-tokens"] == 0 and first["settled-requests"] == first["cloud-calls"] <= repeats
    again = node.run_round(alone[1])
    m = again.metrics
    assert m["cloud-tokens"] == 0 and 1 <= m["settled-requests"] == m["cloud-calls"] <= len(round_one)
    assert int(Delta.from_bytes(again.delta, stack["header"]).table.entries["count"].sum()) > 0
    off = DeviceNode(_config(tmp_path / "off", settle_recurring=False), node.base, node.tokenizer, node.cloud,
                     node.head, stack["header"], node.workload)
    off.run_round(alone[0])
    assert off.run_round(alone[1]).metrics["cloud-calls"] == 0
