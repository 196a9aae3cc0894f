"""The federated reward head in rounds: devices fine-tune and send the family's head, the server
averages per family, recalibrates each tier's threshold, keeps both across a resume, and leaves
out a head that is malformed."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from fedhybrid.engines import run_inprocess
from inference.reward_head import head_arrays, pack_head
from inference.reward_labels import HIST_EDGES, score_histogram, threshold_for
from server.head_round import HeadRound
from server.state import ServerState
from strategies.lora_math import RobustConfig


def test_the_threshold_puts_the_target_share_of_scores_below_it():
    rng = np.random.default_rng(0)
    scores = -rng.exponential(0.5, size=20_000)
    hist = np.array(score_histogram(scores))
    assert hist.sum() == len(scores) and hist.shape == (len(HIST_EDGES) - 1,)
    for share in (0.05, 0.15, 0.3):
        tau = threshold_for(hist, share)
        assert (scores < -tau).mean() == pytest.approx(share, abs=0.005)
    assert threshold_for(np.zeros(len(HIST_EDGES) - 1), 0.1) is None


@pytest.fixture(scope="module")
def fed_run(tiny_zoo_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fed-head")
    config = {"zoo": str(tiny_zoo_dir), "state-dir": str(folder / "state"), "queries-per-round": 2,
              "max-new-tokens": 16, "local-steps": 1, "release-k": 2, "fleet-tiers": "client,edge,iot",
              "federated-head": True, "explore-rate": 0.5, "target-escalation-share": 0.2}
    state = run_inprocess({**config, "num-rounds": 2})
    return config, state


def test_devices_train_the_head_and_the_server_averages_it_per_family(fed_run, tiny_zoo):
    from inference.runtime import load_head

    _, state = fed_run
    for family in ("edge", "client"):
        zoo_head, _ = load_head(tiny_zoo.path(family), "cloud")
        start = head_arrays(zoo_head)
        assert set(state.heads[family]) == set(start)
        assert any(not np.allclose(state.heads[family][k], start[k]) for k in start)  # it moved
    record = state.history[-1]["heads"]
    assert set(record["families"]) == {"edge", "client"} and record["dropped"] == []
    assert record["families"]["edge"]["heads"] == 2 and record["families"]["edge"]["labels"] > 0
    nodes = state.history[-1]["nodes"]
    assert all(m["head-labels"] > 0 and m["head-loss-after"] <= m["head-loss-before"] for m in nodes.values())
    # each tier's threshold recalibrated and kept with the state
    assert set(state.thresholds) == {"client", "edge", "iot"} and record["thresholds"] == state.thresholds


def test_heads_and_thresholds_survive_a_resume_and_runs_without_them_are_unchanged(fed_run, tmp_path):
    config, state = fed_run
    saved = ServerState.load_latest(Path(config["state-dir"]))
    assert saved.state_hash() == state.state_hash()
    assert saved.thresholds == state.thresholds
    assert all(np.array_equal(saved.heads[f][k], state.heads[f][k]) for f in state.heads for k in state.heads[f])
    resumed = run_inprocess({**config, "num-rounds": 3})
    assert resumed.round == 3 and len(resumed.history) == 3 and "heads" in resumed.history[-1]
    plain = ServerState(state.header, "digest")
    assert b"thresholds" not in plain.to_bytes()  # a run without federated heads writes what it wrote before


def test_a_malformed_head_is_left_out_and_changes_nothing(tiny_zoo):
    from inference.runtime import load_head

    head, _ = load_head(tiny_zoo.path("edge"), "cloud")
    start = head_arrays(head)
    state = SimpleNamespace(heads={}, thresholds={})
    rounds = HeadRound(state, {"edge": head}, {"edge": "edge", "iot": "edge"}, {"edge": 0.1},
                       0.05, 0.0, RobustConfig(enabled=False))
    payload = rounds.payload("iot", 1)
    assert payload["explore-rate"] == 0.05 and payload["reward-head"] == pack_head(start)
    nan = {k: v.copy() for k, v in start.items()}
    nan["fc2.bias"][:] = np.nan

    def reply(device, tier, raw, labels=20.0, hist=None):
        return SimpleNamespace(node=SimpleNamespace(device=device, tier=tier), metrics={"head-labels": labels},
                               config={"reward-head": raw, **({"route-hist": hist} if hist is not None else {})})

    record = rounds.finish(1, [reply("edge-1", "edge", b"not a head"), reply("iot-2", "iot", pack_head(nan)),
                               reply("iot-3", "iot", pack_head(start), hist=[1.0, 2.0])])
    assert [d for d, _ in record["dropped"]] == ["edge-1", "iot-3", "iot-2"]
    assert "unreadable" in record["dropped"][0][1] and "NaN" in record["dropped"][2][1]
    assert all(np.array_equal(state.heads["edge"][k], start[k]) for k in start)  # the valid one equals the start
    assert state.thresholds == {} and record["thresholds"] == {"edge": 0.1}
