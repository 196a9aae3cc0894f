"""`dirichlet-alpha`: the skew of `workload-split = "dirichlet"` as a run-config key (it was fixed
at 0.5 for rounds, while `fleet traffic` already took --dirichlet-alpha)."""

import json

import pytest

from clients.runtime import file_workload_for
from fleet.config import FederationConfig
from fleet.errors import FleetError
from workloads.partition import assign
from workloads.requests import Request


def _file(tmp_path, n=200):
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps({"id": f"r{i}", "prompt": f"question {i}?", "answer": str(i)}) + "\n"
                            for i in range(n)))
    return path


def _pool_sizes(cfg: FederationConfig) -> list[int]:
    return [len(pool) for pool in file_workload_for(cfg).pools]


def test_the_rounds_split_a_file_with_the_alpha_the_run_config_gives(tmp_path):
    path = _file(tmp_path)
    base = {"workload-file": str(path), "workload-split": "dirichlet", "fleet-tiers": "edge,edge,edge,iot,iot,iot"}
    sizes = {alpha: _pool_sizes(FederationConfig.from_run_config({**base, "dirichlet-alpha": alpha}))
             for alpha in (0.05, 0.5, 50.0)}
    assert sizes[0.5] == _pool_sizes(FederationConfig.from_run_config(base))  # the default is the old fixed 0.5
    requests = [Request(prompt=f"question {i}?", answer=str(i), id=f"r{i}") for i in range(200)]
    devices = [f"{t}-{i}" for i, t in enumerate(base["fleet-tiers"].split(","))]
    for alpha, got in sizes.items():  # the same draw as workloads.partition (and fleet traffic) make
        owners = assign(requests, devices, "dirichlet", 0, 1.1, alpha)
        assert got == [owners.count(d) for d in devices], alpha
    assert max(sizes[0.05]) > max(sizes[50.0])  # smaller alpha: more of the file on the busiest device
    assert max(sizes[50.0]) - min(sizes[50.0]) < 40  # large alpha: close to even (200 over 6)


@pytest.mark.parametrize("values, message", [
    ({"dirichlet-alpha": 0.0, "workload-split": "dirichlet"}, "dirichlet-alpha=0.0 must be > 0"),
    ({"dirichlet-alpha": 0.2}, ("dirichlet-alpha=0.2 sets the skew of workload-split = \"dirichlet\", and the split "
                               "is 'uniform'")),
    ({"dirichlet-alpha": 0.2, "workload-split": "zipf"}, "the split is 'zipf'"),
])
def test_an_alpha_that_would_change_nothing_or_is_not_positive_is_refused(tmp_path, values, message):
    with pytest.raises(FleetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        FederationConfig.from_run_config({"workload-file": str(_file(tmp_path, 3)), **values})


def test_a_state_made_before_the_key_resumes_at_the_default_and_not_under_another_alpha(tmp_path):
    path = str(_file(tmp_path, 3))
    before = FederationConfig.from_run_config({"workload-file": path, "workload-split": "dirichlet"}).resume_values()
    del before["dirichlet_alpha"]  # what a state written before the key kept
    assert FederationConfig.from_run_config({"workload-file": path, "workload-split": "dirichlet"}
                                            ).resume_differences(before) == []
    changed = FederationConfig.from_run_config({"workload-file": path, "workload-split": "dirichlet",
                                                "dirichlet-alpha": 0.1}).resume_differences(before)
    assert changed == ["dirichlet-alpha: state 0.5, now 0.1"]
