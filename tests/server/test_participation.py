"""Partial participation: a sampled share of the fleet per round, and a floor of replies."""

import numpy as np
import pytest

import clients.app as client_module
from fedhybrid.engines import run_inprocess
from fleet.config import FederationConfig
from fleet.errors import FleetError
from server.app import run_federation
from server.federation import participants
from server.inprocess_grid import InProcessGrid


def _config(zoo, state_dir, **over):
    cfg = {"num-rounds": 3, "zoo": str(zoo), "state-dir": str(state_dir), "queries-per-round": 2,
           "max-new-tokens": 16, "local-steps": 1, "release-k": 2}
    cfg.update(over)
    return cfg


def test_participants_are_a_seeded_share_with_a_floor():
    ids = list(range(100, 120))
    devices = {n: f"edge-{n}" for n in ids}
    half = participants(ids, devices, 0.5, 1, 0, 3)
    assert len(half) == 10 and set(half) <= set(ids)
    assert half == participants(ids, devices, 0.5, 1, 0, 3)  # a resumed round asks the same devices
    assert half != participants(ids, devices, 0.5, 1, 0, 4)
    assert len(participants(ids, devices, 0.01, 1, 0, 3)) == 1  # ceil, never 0
    assert len(participants(ids, devices, 0.1, 5, 0, 3)) == 5  # at least min-replies
    assert len(participants(ids, devices, 0.1, 50, 0, 3)) == 20  # capped at the fleet
    assert participants(ids, devices, 1.0, 1, 0, 3) == ids


@pytest.mark.parametrize("over", [{"fraction-train": 0.0}, {"fraction-train": 1.5}, {"min-replies": 0}])
def test_bad_participation_settings_are_refused(over):
    (key,) = over
    with pytest.raises(FleetError, match=f"^{key}="):  # the key that is wrong, not the other one
        FederationConfig.from_run_config(over)


def test_half_the_fleet_per_round_keeps_each_devices_state_between_its_rounds(tiny_zoo_dir, tmp_path):
    state = run_inprocess(_config(tiny_zoo_dir, tmp_path / "run", **{"fraction-train": 0.5}))
    seen: set[str] = set()
    for record in state.history:
        assert record["asked"] == 4 and len(record["nodes"]) == 4 and not record["dropped"]
        assert record["ingest"]["merged"] == 4
        for device, metrics in record["nodes"].items():
            # a device asked again restores the state of its last round, however long ago
            assert metrics["state-rejoined"] == (0.0 if device in seen else float(record["round"] > 1))
        seen |= set(record["nodes"])
    assert len({frozenset(r["nodes"]) for r in state.history}) > 1  # the sample changes by round


def test_fewer_replies_than_min_replies_keep_the_adapters_and_still_merge_the_deltas(tiny_zoo_dir, tmp_path):
    run_config = _config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 1, "min-replies": 8})
    cfg = FederationConfig.from_run_config(run_config)
    grid = InProcessGrid(client_module.app, run_config, [{"partition-id": i, "num-partitions": 8} for i in range(8)])
    grid.failing = {next(iter(grid.contexts))}  # one node crashes: 7 replies < 8
    state = run_federation(grid, cfg)
    record = state.history[0]
    assert len(record["nodes"]) == 7 and len(record["dropped"]) == 1
    assert record["ingest"]["merged"] == 7  # the corrections that arrived are not thrown away
    assert all(not np.any(b) for family in state.adapters.values() for b in family.values())  # still the zero B
