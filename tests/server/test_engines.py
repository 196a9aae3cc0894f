"""One real run per Flower engine: the same app, the same final state as in-process."""

import os

import pytest

from fedhybrid.engines import run_deployment, run_inprocess, run_simulation


def _config(zoo, state_dir, rounds=2):
    return {"num-rounds": rounds, "zoo": str(zoo), "state-dir": str(state_dir), "queries-per-round": 2,
            "max-new-tokens": 16, "local-steps": 2, "release-k": 2}


def _no_children_left(workdir):
    """Every process the engine started is gone (stopped by PID)."""
    for pid_dir in os.listdir("/proc"):
        if not pid_dir.isdigit():
            continue
        try:
            with open(f"/proc/{pid_dir}/cmdline", "rb") as fh:
                cmd = fh.read().decode(errors="replace")
            with open(f"/proc/{pid_dir}/stat") as fh:
                state = fh.read().split()[2]
        except OSError:
            continue
        if str(workdir) in cmd and state != "Z":
            return False
    return True


@pytest.mark.slow
def test_simulation_engine_matches_the_inprocess_run(tiny_zoo_dir, tmp_path):
    reference = run_inprocess(_config(tiny_zoo_dir, tmp_path / "ref"))
    state = run_simulation(_config(tiny_zoo_dir, tmp_path / "sim"), workdir=tmp_path / "flwr")
    assert state.round == 2
    assert state.state_hash() == reference.state_hash()
    assert _no_children_left(tmp_path / "flwr")


@pytest.mark.slow
def test_deployment_engine_over_tls_with_a_supernode_per_device(tiny_zoo_dir, tmp_path):
    reference = run_inprocess(_config(tiny_zoo_dir, tmp_path / "ref", rounds=1))
    # the ServerApp process of Flower's deployment engine opens the deltas in a worker process
    state = run_deployment({**_config(tiny_zoo_dir, tmp_path / "dep", rounds=1), "ingest-workers": 1},
                           workdir=tmp_path / "flwr", tls=True)
    assert state.round == 1
    assert state.state_hash() == reference.state_hash()
    assert sorted({m["tier"] for m in state.history[0]["nodes"].values()}) == ["client", "edge", "iot"]
    assert (tmp_path / "flwr" / "tls" / "server.key").stat().st_mode & 0o777 == 0o600
    assert _no_children_left(tmp_path / "flwr")


def test_a_runs_temporary_flower_folder_goes_unless_the_run_failed(tmp_path, monkeypatch):
    """`fed run --engine deployment|simulation` without a folder of its own: the SuperLink's
    database and logs (~8 MB) were left in /tmp after every run; now only a failed run's stay,
    for the logs its error names."""
    import tempfile

    from fedhybrid.engines import _flower_folder
    from server.errors import ServerError

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with _flower_folder(None, "fedhybrid-deploy-") as work:
        (work / "superlink.db").write_bytes(b"x")
    assert not work.exists()
    with pytest.raises(KeyboardInterrupt), _flower_folder(None, "fedhybrid-deploy-") as work:
        raise KeyboardInterrupt
    assert not work.exists()
    with pytest.raises(ServerError), _flower_folder(None, "fedhybrid-deploy-") as work:
        raise ServerError(f"flwr ls reports failed; see {work}")
    assert work.is_dir()
    mine = tmp_path / "mine"
    with _flower_folder(mine, "fedhybrid-deploy-") as work:
        pass
    assert work == mine and mine.is_dir()  # a folder the caller named is the caller's
