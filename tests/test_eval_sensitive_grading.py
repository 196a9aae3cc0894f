"""A sensitive request is decoded local-only in every eval row, cloud-only included, so it has no
cloud output: graded agreement-with-cloud (no answer or reference of its own) it would be the
device compared with itself. eval leaves such requests out of quality, every sensitive request out
of agreement, counts them and says why; `workload check` and eval warn once with the fix. Cloud
share and cost still count every request (they are the routing's), and --resume keys are as before."""

from __future__ import annotations

import json

from fedhybrid.cli import main
from tests.eval_runs import run_eval
from workloads import wordmath

NEVER = "zebra quartz juxtapose"  # an answer the micro-zoo never writes: exact-match is wrong in every row


def _workload(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _mixed(path):
    """s1, s2: sensitive, no answer; wrong: an answer no row gives; free: no answer, graded against the cloud."""
    p1, p2 = (p.prompt for p in wordmath.generate("heldout", 2, seed="eval-sensitive"))
    return _workload(path, [{"id": "s1", "prompt": p1, "sensitive": True},
                            {"id": "s2", "prompt": p2, "sensitive": True},
                            {"id": "wrong", "prompt": "Q: name a colour.\nA:", "answer": NEVER},
                            {"id": "free", "prompt": "def add(a, b):\n"}])


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning:")]


def test_sensitive_requests_without_an_answer_are_left_out_of_quality_and_agreement(tiny_zoo_dir, tmp_path, capsys):
    out = tmp_path / "eval"
    assert run_eval(tiny_zoo_dir, _mixed(tmp_path / "w.jsonl"), out) == 0
    printed, err = capsys.readouterr()
    result = json.loads((out / "eval.json").read_text())
    rows = result["rows"]
    assert [r["policy"] for r in rows] == ["cloud-only", "slm-only", "confidence"]
    for row in rows:
        assert row["requests"] == 4 and row["graded"] == 2 and row["compared"] == 2
        # graded over 'wrong' (never right) and 'free' (right when it matches cloud-only): the two
        # sensitive requests would have added two free "right" answers to every row
        assert row["quality"] in (0.0, 0.5)
    cloud_only = rows[0]
    assert cloud_only["quality"] == 0.5 and cloud_only["agreement"] == 1.0 and cloud_only["identical"] == 1.0
    left = result["left_out"]
    assert left["quality"]["count"] == 2 and left["quality"]["of"] == 4 and left["quality"]["ids"] == ["s1", "s2"]
    assert "no cloud output to grade it against" in left["quality"]["why"]
    assert left["agreement"]["ids"] == ["s1", "s2"]
    assert {r["id"]: r["graded"] for r in result["requests"]} == {"s1": False, "s2": False, "wrong": True,
                                                                  "free": True}
    assert ("quality and quality_vs_cloud leave out 2 of 4 requests ('s1', 's2'; cloud share and cost count them): "
            "each is sensitive") in printed
    assert "agreement leaves out 2 of 4 requests" in printed
    warned = _warnings(err)
    assert len(warned) == 1, err
    assert warned[0].startswith("warning: 2 sensitive requests of 4 ('s1', 's2') have no `answer` or `reference`")
    assert "eval leaves them out of quality and agreement" in warned[0]
    assert "give them an `answer` or `reference`, or grade with another grader" in warned[0]


def test_a_workload_of_only_such_requests_says_quality_cannot_be_measured(tiny_zoo_dir, tmp_path, capsys):
    prompts = [p.prompt for p in wordmath.generate("heldout", 2, seed="eval-sensitive")]
    workload = _workload(tmp_path / "sens_only.jsonl",
                         [{"id": f"s{i}", "prompt": p, "sensitive": True} for i, p in enumerate(prompts)])
    out = tmp_path / "eval"
    assert main(["--zoo", str(tiny_zoo_dir), "eval", "--workload", str(workload), "--device", "edge",
                 "--policies", "", "--max-new-tokens", "6", "--out", str(out)]) == 0
    printed, err = capsys.readouterr()
    rows = json.loads((out / "eval.json").read_text())["rows"]
    assert [r["policy"] for r in rows] == ["cloud-only", "slm-only"]
    for row in rows:  # was 100.0% for both: the device graded against itself
        assert row["quality"] is None and row["quality_vs_cloud"] is None and row["graded"] == 0
        assert row["agreement"] is None and row["identical"] is None
        # nothing reached the cloud, cloud-only included: the routing figures say so as before
        assert row["cloud_share"] == 0.0 and row["cost"] == 0.0 and row["tokens"] > 0
    assert "quality cannot be measured ('-'): each of the 2 requests is sensitive" in printed
    assert "100.0%" not in printed
    warned = _warnings(err)
    assert len(warned) == 1 and "eval cannot measure quality or agreement at all" in warned[0], err
    assert (out / "eval.png").stat().st_size > 1000


def test_grading_leaves_the_routing_figures_and_resume_keys_alone(tiny_zoo_dir, tmp_path, capsys):
    workload = _mixed(tmp_path / "w.jsonl")
    out = tmp_path / "eval"
    assert run_eval(tiny_zoo_dir, workload, out) == 0
    first = json.loads((out / "eval.json").read_text())
    capsys.readouterr()
    # regraded from the log with a grader that judges every request by its own pattern: nothing decoded
    assert run_eval(tiny_zoo_dir, workload, out, "--grader", "regex", "--pattern", ".", "--resume") == 0
    err = capsys.readouterr().err
    assert "reused 12 of this run's 12 outputs from the log, decoded 0" in err
    assert _warnings(err) == []
    second = json.loads((out / "eval.json").read_text())
    assert second["left_out"]["quality"]["count"] == 0 and first["left_out"]["quality"]["count"] == 2
    routing = ("cloud_share", "tokens", "cloud_tokens", "cloud_tokens_processed", "cost", "cost_cut", "requests")
    for a, b in zip(first["rows"], second["rows"], strict=True):
        assert b["graded"] == 4
        assert {k: a[k] for k in routing} == {k: b[k] for k in routing}
    assert first["rows"][0]["cloud_share"] > 0  # the unsensitive requests went to the cloud under cloud-only


def test_an_explicit_agreement_grader_cannot_grade_a_sensitive_request_even_with_an_answer():
    from workloads.graders import Grader, not_graded_against_cloud
    from workloads.requests import Request

    reqs = [Request("a", "Q: 1+1?\nA:", answer="2", sensitive=True), Request("b", "Q: 2+2?\nA:", sensitive=True),
            Request("c", "Q: 3+3?\nA:")]
    assert [r.id for r in not_graded_against_cloud(Grader(), reqs)] == ["b"]  # auto grades 'a' by its answer
    assert [r.id for r in not_graded_against_cloud(Grader("agreement-with-cloud"), reqs)] == ["a", "b"]
    assert not_graded_against_cloud(Grader("regex", "."), reqs) == []


def _check(capsys, zoo, *argv) -> tuple[int, str, str]:
    code = main(["--zoo", str(zoo), "workload", "check", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_workload_check_warns_once_with_the_count_and_the_fix(tiny_zoo_dir, tmp_path, capsys):
    path = _workload(tmp_path / "w.jsonl", [{"id": "s1", "prompt": "Q: 1?\nA:", "sensitive": True},
                                            {"id": "s2", "prompt": "Q: 2?\nA:", "sensitive": True},
                                            {"id": "s3", "prompt": "Q: 3?\nA:", "answer": "3", "sensitive": True},
                                            {"id": "x", "prompt": "Q: 4?\nA:"}])
    code, out, err = _check(capsys, tiny_zoo_dir, path)
    assert code == 0, err
    warned = _warnings(err)
    assert len(warned) == 1, err
    assert warned[0].startswith("warning: 2 sensitive requests of 4 ('s1', 's2') have no `answer` or `reference`")
    assert "give them an `answer` or `reference`" in warned[0]
    assert "  sensitive: 3 (local-only" in out and "; 2 graded agreement-with-cloud: eval cannot grade them" in out
    code, out, err = _check(capsys, tiny_zoo_dir, path, "--json", "-")
    assert json.loads(out)["not_graded"] == ["s1", "s2"]
    code, out, err = _check(capsys, tiny_zoo_dir, path, "--grader", "agreement-with-cloud")
    warned = _warnings(err)
    assert len(warned) == 1 and warned[0].startswith("warning: 3 sensitive requests of 4 ('s1', 's2', 's3')")
    assert "--grader auto judges a request by its `answer` or `reference`" in warned[0]


def test_workload_check_counts_one_repeat_in_the_singular(tiny_zoo_dir, tmp_path, capsys):
    path = _workload(tmp_path / "w.jsonl", [{"id": "a", "prompt": "Q: 1?\nA:", "answer": "1"},
                                            {"id": "b", "prompt": "Q: 1?\nA:", "answer": "1"},
                                            {"id": "c", "prompt": "Q: 2?\nA:", "answer": "2"}])
    code, out, err = _check(capsys, tiny_zoo_dir, path)
    assert code == 0, err
    assert "warning: 1 prompt appears more than once (ids 'a' = 'b')" in err
    assert "  duplicate prompts: 1 repeat of 1 prompt" in out
    assert "sensitive requests" not in err
