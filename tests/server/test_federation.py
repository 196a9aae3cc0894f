"""Federated rounds through the real ServerApp/ClientApp, driven in-process (no Ray)."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from flwr.app import Message
from flwr.clientapp import ClientApp

import clients.app as client_module
from cache_sync.durable import read_checked, write_checked
from fedhybrid.engines import run_inprocess
from fleet.config import FederationConfig
from server.app import run_federation
from server.errors import ServerError
from server.inprocess_grid import InProcessGrid
from server.state import ServerState, config_digest


def base_config(zoo, state_dir, **over):
    cfg = {"num-rounds": 2, "zoo": str(zoo), "state-dir": str(state_dir), "queries-per-round": 2,
           "max-new-tokens": 16, "local-steps": 2, "release-k": 2}
    cfg.update(over)
    return cfg


def test_rounds_run_every_tier_and_write_loadable_peft_adapters(tiny_zoo_dir, tmp_path):
    from peft import PeftModel

    from inference.zoo import Zoo, load_causal_lm

    state = run_inprocess(base_config(tiny_zoo_dir, tmp_path / "run"))
    assert state.round == 2 and len(state.history) == 2
    for record in state.history:
        tiers = sorted({m["tier"] for m in record["nodes"].values()})
        assert tiers == ["client", "edge", "iot"] and len(record["nodes"]) == 8
        for m in record["nodes"].values():
            assert m["bytes-up"] > 0 and m["bytes-down"] > 0 and 0 <= m["cloud-share"] <= 1
        assert record["ingest"]["merged"] == 8 and not record["ingest"]["rejected"]
    zoo = Zoo(tiny_zoo_dir)
    for family in ("edge", "client"):
        base, _ = load_causal_lm(family, zoo)
        model = PeftModel.from_pretrained(base, str(tmp_path / "run" / "server" / "adapters" / family))
        loaded = {k: v for k, v in model.state_dict().items() if "lora_B" in k}
        assert loaded and all(np.isfinite(v.numpy()).all() for v in loaded.values())
        # the saved adapter is the server's global adapter
        saved = state.adapters[family]
        for key, value in saved.items():
            match = [v for k, v in loaded.items() if k.replace(".default", "") == key]
            assert match and np.allclose(match[0].numpy(), value)


def _poisoning_app(poison: dict) -> ClientApp:
    """The real ClientApp behind a Flower mod that corrupts chosen devices' replies."""

    def corrupt(msg: Message, context, call_next) -> Message:
        reply = call_next(msg, context)
        if msg.metadata.message_type != "train" or reply.has_error():
            return reply
        device = str(reply.content["config"]["device"])
        kind = poison.get(device)
        arrays = reply.content["arrays"]
        from flwr.app import Array

        for key in list(arrays.keys()):
            value = arrays[key].numpy()
            if kind == "nan":
                arrays[key] = Array(np.full_like(value, np.nan))
            elif kind == "shape":
                arrays[key] = Array(np.zeros((value.shape[0] + 1, value.shape[1]), dtype=np.float32))
            elif kind == "huge":
                arrays[key] = Array(np.full_like(value, 1e6))
        if kind == "keys":
            first = next(iter(arrays.keys()))
            arrays["bogus." + first] = arrays.pop(first)
        return reply

    app = ClientApp(mods=[corrupt])
    app.query()(client_module.query)
    app.train()(client_module.train)
    return app


def test_poisoned_and_crashed_replies_are_dropped_and_rounds_go_on(tiny_zoo_dir, tmp_path, caplog):
    rc = base_config(tiny_zoo_dir, tmp_path / "run")
    cfg = FederationConfig.from_run_config(rc)
    app = _poisoning_app({"edge-2": "nan", "iot-5": "shape", "client-1": "keys", "edge-3": "huge"})
    grid = InProcessGrid(app, rc, [{"partition-id": i, "num-partitions": 8} for i in range(8)])
    grid.failing.add(1001 + 7)  # iot-7 crashes every round
    state = run_federation(grid, cfg)
    assert state.round == 2
    for record in state.history:
        reasons = {d: r for d, r in record["dropped"]}
        assert "NaN" in reasons["edge-2"] and "shape" in reasons["iot-5"]
        assert "wrong keys" in reasons["client-1"] and "crashed" in reasons["iot-7"]
        assert "edge-3" in record["nodes"]  # accepted, but clipped and trimmed below
    for family in state.adapters.values():
        for value in family.values():
            assert np.isfinite(value).all() and np.abs(value).max() < 10.0
    assert "dropped reply of edge-2" in caplog.text


def _run_cli(zoo, state_dir, rounds, extra=()):
    return [sys.executable, "-m", "fedhybrid.cli", "--zoo", str(zoo), "fed", "run", "--engine", "inprocess",
            "--rounds", str(rounds), "--state-dir", str(state_dir), "--set", "queries-per-round=3",
            "--set", "max-new-tokens=16", "--set", "release-k=2", *extra]


def test_run_killed_mid_round_resumes_to_the_same_final_state(tiny_zoo_dir, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    clean = subprocess.run(_run_cli(tiny_zoo_dir, tmp_path / "clean", 3, ["--json", str(tmp_path / "clean.json")]),
                           capture_output=True, env=env, timeout=300, check=False)
    assert clean.returncode == 0, clean.stderr.decode()[-2000:]
    proc = subprocess.Popen(_run_cli(tiny_zoo_dir, tmp_path / "crash", 3), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    latest = tmp_path / "crash" / "server" / "LATEST"
    nodes = tmp_path / "crash" / "nodes"
    deadline = time.monotonic() + 240
    killed_mid_round = False
    while time.monotonic() < deadline and proc.poll() is None:
        # mid-round: round 2 has started on some node but the server has not saved it
        if latest.is_file() and read_checked(latest) == b"1" and any(nodes.glob("*/round-2.msgpack")):
            os.kill(proc.pid, signal.SIGKILL)
            killed_mid_round = True
            break
        time.sleep(0.005)
    proc.wait(timeout=30)
    assert killed_mid_round, "the run finished before it could be killed mid-round"
    assert read_checked(latest) == b"1"
    resumed = subprocess.run(_run_cli(tiny_zoo_dir, tmp_path / "crash", 3, ["--json", str(tmp_path / "crash.json")]),
                             capture_output=True, env=env, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr.decode()[-2000:]
    assert json.loads((tmp_path / "crash.json").read_text())["state_hash"] == \
        json.loads((tmp_path / "clean.json").read_text())["state_hash"]


def test_resume_refuses_another_configuration_and_keeps_the_state(tiny_zoo_dir, tmp_path):
    run_inprocess(base_config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 1}))
    before = (tmp_path / "run" / "server" / "round-1.msgpack").read_bytes()
    with pytest.raises(ServerError, match=r"another configuration \(release-k: state 2, now 3\)"):
        run_inprocess(base_config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 2, "release-k": 3}))
    assert (tmp_path / "run" / "server" / "round-1.msgpack").read_bytes() == before


def _rewrite_round_1(state_dir, change) -> bytes:
    """Round 1's snapshot rewritten (checksummed as the server writes it) after `change(state)`."""
    path = state_dir / "server" / "round-1.msgpack"
    state = ServerState.from_bytes(read_checked(path))
    change(state)
    write_checked(path, state.to_bytes())
    return path.read_bytes()


def test_resume_refuses_a_default_that_changed_since_the_state_was_made(tiny_zoo_dir, tmp_path):
    """A state made when hop-confidence defaulted to 0.9, resumed by a release whose default is
    0.99: the digest drops both (each equals the default of its day), the kept values do not."""
    run_inprocess(base_config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 1}))
    before = _rewrite_round_1(tmp_path / "run", lambda state: state.config.update(hop_confidence=0.9))
    assert ServerState.from_bytes(read_checked(tmp_path / "run" / "server" / "round-1.msgpack")).config_digest == \
        config_digest(FederationConfig.from_run_config(base_config(tiny_zoo_dir, tmp_path / "run")).digest_values())
    with pytest.raises(ServerError, match=r"hop-confidence: state 0\.9, now 0\.99\): set those options back"):
        run_inprocess(base_config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 2}))
    assert (tmp_path / "run" / "server" / "round-1.msgpack").read_bytes() == before
    state = run_inprocess(base_config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 2, "hop-confidence": 0.9}))
    assert state.round == 2


def test_a_state_from_before_the_kept_values_resumes_by_its_digest_and_keeps_them_from_then_on(
        tiny_zoo_dir, tmp_path):
    run_inprocess(base_config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 1}))
    _rewrite_round_1(tmp_path / "run", lambda state: setattr(state, "config", None))
    with pytest.raises(ServerError, match="another configuration"):  # the digest still guards it
        run_inprocess(base_config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 2, "release-k": 3}))
    state = run_inprocess(base_config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 2}))
    assert state.round == 2
    assert state.config == FederationConfig.from_run_config(base_config(tiny_zoo_dir, tmp_path / "run")).resume_values()


def test_a_state_from_before_an_option_existed_is_refused_naming_the_option_and_its_old_value(
        tiny_zoo_dir, tmp_path):
    """A state made before forget-after (it never forgot, and kept no values): its digest is the
    one of forget-after 0, so a resume under the default 10 names the option and the --set."""
    run_inprocess(base_config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 1, "forget-after": 0}))
    before = _rewrite_round_1(tmp_path / "run", lambda state: setattr(state, "config", None))
    with pytest.raises(ServerError, match=r"forget-after: state 0, now 10; it was made before those options "
                                          r"existed\): resume with --set forget-after=0"):
        run_inprocess(base_config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 2}))
    assert (tmp_path / "run" / "server" / "round-1.msgpack").read_bytes() == before
    with pytest.raises(ServerError, match=r"\([0-9a-f]{16} != [0-9a-f]{16}\): use another --state-dir"):
        run_inprocess(base_config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 2, "release-k": 3}))
    state = run_inprocess(base_config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 2, "forget-after": 0}))
    assert state.round == 2


def test_a_state_whose_kept_config_is_not_a_table_is_refused(tiny_zoo_dir, tmp_path):
    run_inprocess(base_config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 1}))
    _rewrite_round_1(tmp_path / "run", lambda state: setattr(state, "config", [1, 2]))
    with pytest.raises(ServerError, match="config is not a table"):
        ServerState.from_bytes(read_checked(tmp_path / "run" / "server" / "round-1.msgpack"))


def test_fedavg_of_a_and_b_runs_for_comparison(tiny_zoo_dir, tmp_path):
    state = run_inprocess(base_config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 1,
                                                                         "aggregation": "fedavg-ab"}))
    assert state.round == 1
