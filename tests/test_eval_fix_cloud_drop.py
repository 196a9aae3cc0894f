"""`fedhybrid eval` against a cloud that stops answering mid-run: warned, exit 1, and `--resume`
decodes the outputs that lost cloud calls again instead of keeping them."""

import json

from fedhybrid.eval_log import LOG_NAME
from inference.decoder import HybridDecoder
from tests.eval_runs import run_eval, wordmath_workload


def _rows(out, keep):
    return [{k: r[k] for k in keep} for r in json.loads((out / "eval.json").read_text())["rows"]]


def _outputs(out):
    """The finished outputs of the log: (configuration, request) -> token ids (the last one logged)."""
    lines = (out / LOG_NAME).read_text().splitlines()[1:]
    return {(r["config"], r["request"]): r["ids"] for r in map(json.loads, lines) if not r["missed"]}


def test_eval_fix_a_cloud_that_stops_mid_run_is_warned_exits_1_and_resume_decodes_the_lost_outputs(
        tiny_zoo_dir, tmp_path, monkeypatch, capsys):
    from serving.launch import CloudServerProcess

    workload = wordmath_workload(tmp_path / "w.jsonl", "eval-drop")
    out, whole = tmp_path / "drop", tmp_path / "whole"
    real = HybridDecoder.generate
    state = {"calls": 0, "kill_after": None, "server": None}

    def generate(self, *args, **kwargs):
        if state["calls"] == state["kill_after"]:
            state["server"].kill()  # the cloud goes away between two requests of cloud-only
        state["calls"] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(HybridDecoder, "generate", generate)
    srv = CloudServerProcess("cloud", tiny_zoo_dir, log=tmp_path / "cloud.log").start()
    state.update(server=srv, kill_after=1)
    try:
        assert run_eval(tiny_zoo_dir, workload, out, "--cloud-url", srv.url) == 1
    finally:
        srv.kill()
    err = capsys.readouterr().err
    result = json.loads((out / "eval.json").read_text())
    assert result["complete"] is False
    lost = {r["policy"]: r["missed_outputs"] for r in result["rows"]}
    assert lost["cloud-only"] == 2 and lost["slm-only"] == 0  # every cloud-only token is a cloud call
    assert f"warning: the cloud stopped answering at {srv.url}:" in err
    assert "cloud-only 2 of 3" in err and "rerun the same command with --resume" in err
    logged = [json.loads(line) for line in (out / LOG_NAME).read_text().splitlines()[1:]]
    unfinished = sum(r["missed"] > 0 for r in logged)
    assert unfinished == sum(lost.values()) >= 2  # logged, but as unfinished

    # the cloud is back (same URL): --resume decodes exactly the outputs that lost cloud calls
    with CloudServerProcess("cloud", tiny_zoo_dir, port=srv.port, log=tmp_path / "cloud2.log") as again:
        state.update(server=again, kill_after=None, calls=0)
        assert run_eval(tiny_zoo_dir, workload, out, "--cloud-url", again.url, "--resume") == 0
        err = capsys.readouterr().err
        assert state["calls"] == unfinished
        assert f"({unfinished} whose cloud calls failed are decoded again)" in err
        assert "warning" not in err
        assert run_eval(tiny_zoo_dir, workload, whole, "--cloud-url", again.url) == 0
    assert json.loads((out / "eval.json").read_text())["complete"] is True
    # as if the cloud had never stopped (the tokens the server computed depend on what it had cached)
    assert _outputs(out) == _outputs(whole)
    keep = ("policy", "threshold", "cloud_share", "quality", "agreement", "identical", "tokens", "cloud_tokens")
    assert _rows(out, keep) == _rows(whole, keep)


def test_eval_fix_a_local_cloud_run_is_complete_and_exits_0(tiny_zoo_dir, tmp_path, capsys):
    workload = wordmath_workload(tmp_path / "w.jsonl", "eval-drop", n=2)
    out = tmp_path / "eval"
    assert run_eval(tiny_zoo_dir, workload, out) == 0
    result = json.loads((out / "eval.json").read_text())
    assert result["complete"] is True and all(r["missed_outputs"] == 0 for r in result["rows"])
    assert "warning" not in capsys.readouterr().err
