"""`fedhybrid eval`'s output log: an interrupted run resumes, nothing foreign is mixed in."""

import json
import re
import shutil

import pytest

from fedhybrid.eval_log import LOG_NAME, EvalLog, Output
from inference.decoder import HybridDecoder
from inference.errors import InferenceError
from tests.eval_runs import run_eval, wordmath_workload


class _Crash(Exception):
    pass


@pytest.fixture
def decodes(monkeypatch):
    """Counts the real decoder's requests; `crash_after` makes the next one past it fail, as a
    dropped connection or an out-of-memory would mid-run."""
    state = {"calls": 0, "crash_after": None}
    real = HybridDecoder.generate

    def counting(self, *args, **kwargs):
        if state["crash_after"] is not None and state["calls"] >= state["crash_after"]:
            raise _Crash("the cloud went away")
        state["calls"] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(HybridDecoder, "generate", counting)
    return state


def _outputs(out):
    lines = (out / LOG_NAME).read_text().splitlines()[1:]
    return {(r["config"], r["request"]): r["text"] for r in map(json.loads, lines)}


def test_an_interrupted_eval_resumes_and_matches_an_uninterrupted_one(tiny_zoo_dir, tmp_path, decodes, capsys):
    workload = wordmath_workload(tmp_path / "w.jsonl", "eval-resume")
    whole = tmp_path / "whole"
    assert run_eval(tiny_zoo_dir, workload, whole) == 0
    assert decodes["calls"] == 9  # cloud-only, slm-only, confidence @ 0.5: 3 requests each
    decodes.update(calls=0, crash_after=4)
    capsys.readouterr()
    out = tmp_path / "cut"
    assert run_eval(tiny_zoo_dir, workload, out) == 3  # the crash surfaces as an internal error
    assert len(_outputs(out)) == 4 and not (out / "eval.json").exists()  # the 4 decoded before it are on disk
    # off a terminal, progress is plain lines as it goes: a log shows how far the run got
    progress = [re.sub(r"\(\d+ s\)$", "(T s)", line) for line in capsys.readouterr().out.splitlines()[-3:]]
    assert progress == ["cloud-only: 1/3 (T s)", "cloud-only: 3/3 (T s)", "slm-only: 1/3 (T s)"]
    decodes.update(calls=0, crash_after=None)
    capsys.readouterr()
    assert run_eval(tiny_zoo_dir, workload, out, "--resume") == 0
    assert "reused 4 of this run's 9 outputs from the log, decoded 5" in capsys.readouterr().err
    assert decodes["calls"] == 5  # only what was missing
    assert _outputs(out) == _outputs(whole)  # greedy: the same outputs as one uninterrupted run
    strip = ("tok_s",)  # timing is the one thing a resumed run does not reproduce

    def rows(folder):
        return [{k: v for k, v in r.items() if k not in strip} for r in json.loads((folder / "eval.json").read_text())["rows"]]

    assert rows(out) == rows(whole)


def test_resume_reuses_cloud_only_under_another_sweep_and_grader(tiny_zoo_dir, tmp_path, decodes):
    workload = wordmath_workload(tmp_path / "w.jsonl", "eval-resume", n=2)
    out = tmp_path / "eval"
    assert run_eval(tiny_zoo_dir, workload, out) == 0
    decodes["calls"] = 0
    assert run_eval(tiny_zoo_dir, workload, out, "--thresholds", "0.5,0.9", "--resume") == 0
    assert decodes["calls"] == 2  # confidence @ 0.9 on the 2 requests; the rest came from the log
    decodes["calls"] = 0
    assert run_eval(tiny_zoo_dir, workload, out, "--grader", "agreement-with-cloud", "--resume") == 0
    assert decodes["calls"] == 0  # regraded, not decoded
    rows = json.loads((out / "eval.json").read_text())["rows"]
    assert rows[0]["policy"] == "cloud-only" and rows[0]["quality"] == 1.0  # the cloud agrees with itself


def test_resume_refuses_a_log_of_other_models_or_decode_settings(tiny_zoo_dir, tmp_path, decodes, capsys):
    workload = wordmath_workload(tmp_path / "w.jsonl", "eval-resume", n=2)
    out = tmp_path / "eval"
    assert run_eval(tiny_zoo_dir, workload, out) == 0
    before = (out / LOG_NAME).read_bytes()
    decodes["calls"] = 0
    capsys.readouterr()
    # the client model as the cloud: other weights, the same tokenizer
    assert run_eval(tiny_zoo_dir, workload, out, "--cloud", "client", "--resume") == 2
    err = capsys.readouterr().err
    assert "was written by another run (--cloud / --cloud-url (the model, its files, or the URL) differs)" in err
    assert "pass another --out" in err
    assert run_eval(tiny_zoo_dir, workload, out, "--max-new-tokens", "5", "--resume") == 2
    assert "--max-new-tokens: the log's 6, now" in capsys.readouterr().err
    assert run_eval(tiny_zoo_dir, workload, out, "--stop", "x", "--resume") == 2
    assert "--stop differs" in capsys.readouterr().err
    assert decodes["calls"] == 0 and (out / LOG_NAME).read_bytes() == before  # nothing decoded, nothing written


def test_a_quick_limited_look_is_reused_by_the_full_run_whatever_the_order(tiny_zoo_dir, tmp_path, decodes):
    workload = wordmath_workload(tmp_path / "w.jsonl", "eval-resume", n=3)
    out = tmp_path / "eval"
    assert run_eval(tiny_zoo_dir, workload, out, "--limit", "2") == 0
    decodes["calls"] = 0
    assert run_eval(tiny_zoo_dir, workload, out, "--resume") == 0
    assert decodes["calls"] == 3  # the third request under each of the 3 configurations
    lines = workload.read_text().splitlines()
    reordered = tmp_path / "r.jsonl"  # the same requests in another order, under other ids
    reordered.write_text("".join(json.dumps({**json.loads(line), "id": f"x{i}"}) + "\n"
                                 for i, line in enumerate(reversed(lines))))
    decodes["calls"] = 0
    assert run_eval(tiny_zoo_dir, reordered, out, "--resume") == 0
    assert decodes["calls"] == 0
    rows = json.loads((out / "eval.json").read_text())["rows"]
    assert [r["requests"] for r in rows] == [3, 3, 3]


def test_a_torn_last_line_is_decoded_again_and_a_corrupt_line_is_refused(tmp_path):
    fp = {"max_new_tokens": 6}
    log = EvalLog.open(tmp_path, fp, resume=False)
    out = Output((5, 6), " 11", 2, 9, 0.1, 0)
    log.put("cloud-only", "k0", "q0", out)
    log.put("cloud-only", "k1", "q1", out)
    log.close()
    path = tmp_path / LOG_NAME
    whole = path.read_bytes()
    path.write_bytes(whole[:-7])  # the crash cut the second output's write short
    log = EvalLog.open(tmp_path, fp, resume=True)
    assert len(log) == 1 and log.get("cloud-only", "k0") == out and log.get("cloud-only", "k1") is None
    assert log.get("slm-only", "k0") is None and log.reused == 1
    log.put("cloud-only", "k1", "q1", out)  # appended after the last whole line
    log.close()
    assert path.read_bytes() == whole
    lines = whole.decode().splitlines(keepends=True)
    path.write_text(lines[0] + '{"config": "cloud-only", "request": "k0"}\n' + lines[2])
    with pytest.raises(InferenceError, match=rf"{LOG_NAME}:2 is not a decoded output \(no field 'id'\); "
                                             "nothing was reused"):
        EvalLog.open(tmp_path, fp, resume=True)
    path.write_text("not json\n")
    with pytest.raises(InferenceError, match=":1 is not an eval log's fingerprint line"):
        EvalLog.open(tmp_path, fp, resume=True)
    # without --resume the log starts afresh
    fresh = EvalLog.open(tmp_path, fp, resume=False)
    assert len(fresh) == 0
    fresh.close()
    assert json.loads(path.read_text()) == {"fingerprint": fp}


def test_a_model_rewritten_in_place_changes_its_identity(tiny_zoo_dir, tmp_path):
    from inference.model_identity import folder_identity

    model = tmp_path / "m"
    shutil.copytree(tiny_zoo_dir / "edge", model)
    before = folder_identity(model)
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps({**config, "note": "x"}))
    assert folder_identity(model) != before


def test_a_model_is_known_by_its_content_not_its_file_times(tiny_zoo_dir, tmp_path, monkeypatch):
    import os

    from inference import model_identity

    # the tiny model's weights take the sampled path: 16 windows of 512 bytes, not the whole file
    monkeypatch.setattr(model_identity, "_WHOLE", 1 << 10)
    monkeypatch.setattr(model_identity, "_SAMPLE", 512)
    model = tmp_path / "m"
    shutil.copytree(tiny_zoo_dir / "edge", model)
    weights = model / "model.safetensors"
    assert weights.stat().st_size > 16 * 512
    before = model_identity.folder_identity(model)
    # a copy elsewhere, every time new: the same model
    shutil.copytree(model, tmp_path / "copy", copy_function=shutil.copyfile)
    assert model_identity.folder_identity(tmp_path / "copy") == before
    # weights retrained in place (every float's sign flipped past the safetensors header), same
    # size, times put back: not the same model
    st = weights.stat()
    data = bytearray(weights.read_bytes())
    start = 8 + int.from_bytes(data[:8], "little")
    for at in range(start + 3, len(data), 4):
        data[at] ^= 0x80
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert weights.stat().st_size == st.st_size and weights.stat().st_mtime_ns == st.st_mtime_ns
    assert model_identity.folder_identity(model) != before


def test_a_second_run_into_the_same_folder_is_refused_while_the_first_writes(tmp_path):
    first = EvalLog.open(tmp_path, {"max_new_tokens": 6}, resume=False)
    first.put("cloud-only", "k0", "q0", Output((1,), " 1", 1, 3, 0.1, 0))
    with pytest.raises(InferenceError, match=rf"another eval is writing {tmp_path} .*pass another --out"):
        EvalLog.open(tmp_path, {"max_new_tokens": 6}, resume=False)
    assert len((tmp_path / LOG_NAME).read_text().splitlines()) == 2  # the refused run replaced nothing
    first.close()
    again = EvalLog.open(tmp_path, {"max_new_tokens": 6}, resume=True)  # released: the first run's output is there
    assert again.get("cloud-only", "k0") == Output((1,), " 1", 1, 3, 0.1, 0)
    again.close()


def test_a_remote_cloud_is_fingerprinted_by_its_url_and_served_model(tiny_zoo_dir, tmp_path, decodes):
    from serving.launch import CloudServerProcess

    workload = wordmath_workload(tmp_path / "w.jsonl", "eval-resume", n=2)
    out = tmp_path / "eval"
    with CloudServerProcess("cloud", tiny_zoo_dir, log=tmp_path / "cloud.log") as srv:
        assert run_eval(tiny_zoo_dir, workload, out, "--cloud-url", srv.url) == 0
        fingerprint = json.loads((out / LOG_NAME).read_text().splitlines()[0])["fingerprint"]
        assert fingerprint["cloud"] == f"url {srv.url} model cloud"
        decodes["calls"] = 0
        assert run_eval(tiny_zoo_dir, workload, out, "--cloud-url", srv.url, "--resume") == 0
        assert decodes["calls"] == 0
