"""Secure aggregation through the real ClientApp/ServerApp message path (in-process grid):
the adapters equal plain frozen-A averaging, a node dropping mid-round is recovered, and
the server never holds a node's adapter."""

import numpy as np
import pytest

import clients.app as client_module
from fleet.config import FederationConfig
from fleet.errors import FleetError
from server.app import run_federation
from server.inprocess_grid import InProcessGrid

TIERS = "client,edge,iot,edge,iot,client,edge,iot,edge,iot"


@pytest.fixture(scope="module")
def corpus(replay_corpus):
    return replay_corpus


def _run(zoo, corpus, state_dir, secure: bool, drop: bool):
    run_config = {"num-rounds": 2, "zoo": str(zoo), "state-dir": str(state_dir), "release-k": 2, "robust": False,
                  "secure-aggregation": secure, "replay-dir": str(corpus), "fleet-tiers": TIERS}
    n = len(TIERS.split(","))
    grid = InProcessGrid(client_module.app, run_config, [{"partition-id": i, "num-partitions": n} for i in range(n)])
    if drop:
        grid.failing = {sorted(grid.contexts)[2]}  # passes the key and share steps, then crashes in train
    state = run_federation(grid, FederationConfig.from_run_config(run_config))
    return state, grid


def test_secure_rounds_give_the_plain_average_and_survive_a_dropout(tiny_zoo_dir, corpus, tmp_path):
    plain, _ = _run(tiny_zoo_dir, corpus, tmp_path / "plain", secure=False, drop=True)
    secure, grid = _run(tiny_zoo_dir, corpus, tmp_path / "secure", secure=True, drop=True)
    for family, adapter in plain.adapters.items():
        assert all(np.any(b) for b in adapter.values())  # the nodes' adapters were averaged
        for key, b in adapter.items():
            # the fixed-point code has 2^-32 resolution: far below 1e-6 of these values' scale
            assert np.abs(secure.adapters[family][key] - b).max() <= 1e-6 * np.abs(b).max()
    for record in secure.history:
        assert len(record["nodes"]) == 9 and len(record["dropped"]) == 1
        assert "secagg_setup_s" in record["phases"] and "secagg_unmask_s" in record["phases"]
    # the corrections travel as before: the same merged table
    assert secure.aggregate.to_bytes() == plain.aggregate.to_bytes()
    # what the server received in train replies: masked vectors, never an adapter
    train_replies = [m for m in grid.down if m.metadata.message_type == "train"]
    assert train_replies and all("secagg" in m.content["config"] for m in train_replies)
    kinds = {m.metadata.message_type for m in grid.down}
    assert {"query.secagg_keys", "query.secagg_share", "query.secagg_unmask"} <= kinds


def test_secure_aggregation_with_robust_aggregation_is_refused():
    with pytest.raises(FleetError, match="robust=false"):
        FederationConfig.from_run_config({"secure-aggregation": True})
    with pytest.raises(FleetError, match="secagg-threshold"):
        FederationConfig.from_run_config({"secure-aggregation": True, "robust": False, "secagg-threshold": 1.0})


def test_fed_run_says_each_round_that_the_adapters_were_summed_securely(tiny_zoo_dir, corpus, tmp_path, capsys):
    from fedhybrid.cli import main

    argv = ["--zoo", str(tiny_zoo_dir), "fed", "run", "--engine", "inprocess", "--rounds", "1",
            "--set", f'replay-dir="{corpus}"', "--set", f'fleet-tiers="{TIERS}"', "--set", "release-k=2"]
    assert main([*argv, "--state-dir", str(tmp_path / "plain")]) == 0
    assert "secure aggregation" not in capsys.readouterr().out
    assert main([*argv, "--state-dir", str(tmp_path / "secure"), "--set", "secure-aggregation=true",
                 "--set", "robust=false"]) == 0
    assert "round 1: 10 nodes" in (out := capsys.readouterr().out)
    assert "adapters summed under secure aggregation (2 families)" in out  # client's model, edge's (iot's too)
