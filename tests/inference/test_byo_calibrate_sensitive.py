"""`calibrate --workload`: a request marked sensitive never reaches the cloud."""

from __future__ import annotations

import json

from fedhybrid.cli import main
from inference.cloud import LocalCloud
from inference.tokenizer import encode_prompt
from inference.zoo import Zoo, load_causal_lm
from workloads import wordmath


def _workload(path, plain: int, sensitive: int):
    problems = wordmath.generate("heldout", plain + sensitive, seed="byo-sensitive")
    with path.open("w") as f:
        for i, p in enumerate(problems):
            f.write(json.dumps({"id": f"q{i}", "prompt": p.prompt, "answer": str(p.answer),
                                "sensitive": i >= plain}) + "\n")
    return [p.prompt for p in problems[plain:]]


def test_calibrate_leaves_sensitive_requests_out_of_what_the_cloud_sees(tiny_zoo_dir, tmp_path, monkeypatch,
                                                                       capsys):
    import shutil

    zoo = tmp_path / "zoo"  # a copy: calibrate writes the head beside the device model
    shutil.copytree(tiny_zoo_dir, zoo)
    secret = _workload(tmp_path / "w.jsonl", plain=7, sensitive=3)
    _, tok = load_causal_lm("edge", Zoo(zoo))
    secret_ids = [encode_prompt(tok, p) for p in secret]
    seen: list[list[int]] = []
    predict = LocalCloud.predict

    def spy(self, session, tokens, *args, **kwargs):
        seen.append(list(tokens))
        return predict(self, session, tokens, *args, **kwargs)

    monkeypatch.setattr(LocalCloud, "predict", spy)
    assert main(["--zoo", str(zoo), "calibrate", "--device", "edge", "--workload", str(tmp_path / "w.jsonl"),
                 "--grid", "2", "--stop", "\\n"]) == 0
    assert seen  # the cloud labelled and measured the plain requests
    assert not any(tokens[:len(ids)] == ids for tokens in seen for ids in secret_ids)
    err = capsys.readouterr().err
    assert "left out the 3 requests" in err and "marked sensitive" in err and "other 7" in err
    meta = json.loads((zoo / "edge" / "reward-cloud" / "head.json").read_text())
    assert meta["sets"]["requests"] == 7 and meta["sets"]["sensitive_left_out"] == 3


def test_calibrate_refuses_a_workload_too_small_once_sensitive_requests_are_left_out(tiny_zoo_dir, tmp_path,
                                                                                    capsys):
    _workload(tmp_path / "w.jsonl", plain=2, sensitive=8)
    assert main(["--zoo", str(tiny_zoo_dir), "calibrate", "--device", "edge",
                 "--workload", str(tmp_path / "w.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "2 of the workload's 10 requests can calibrate: 8 are marked sensitive and are left out" in err
    assert "at least 7 requests not marked sensitive" in err and len(err.strip().splitlines()) == 1
