"""`fedhybrid eval` without `--resume` into a folder that holds a log: the log is kept as
eval.runs.jsonl.bak, and the run says so before it decodes anything."""

from fedhybrid.eval_log import LOG_NAME, EvalLog, Output
from inference.decoder import HybridDecoder
from tests.eval_runs import run_eval, wordmath_workload


def test_eval_fix_a_run_without_resume_keeps_the_old_log_as_bak_and_says_so_before_decoding(
        tiny_zoo_dir, tmp_path, monkeypatch, capsys):
    workload = wordmath_workload(tmp_path / "w.jsonl", "eval-backup")
    out = tmp_path / "eval"
    log, bak = out / LOG_NAME, out / (LOG_NAME + ".bak")
    assert run_eval(tiny_zoo_dir, workload, out, max_new_tokens=4) == 0
    first = log.read_bytes()
    assert len(first.splitlines()) == 10 and not bak.exists()  # fingerprint + 3 configurations x 3 requests
    said = []  # what stderr held when the first request was decoded
    real = HybridDecoder.generate

    def generate(self, *args, **kwargs):
        if not said:
            said.append(capsys.readouterr().err)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(HybridDecoder, "generate", generate)
    capsys.readouterr()
    assert run_eval(tiny_zoo_dir, workload, out, "--limit", "1", max_new_tokens=4) == 0  # --resume forgotten
    assert bak.read_bytes() == first  # the 9 outputs are kept
    assert f"starting afresh (no --resume): the 9 outputs {log} held are kept in {bak}; to reuse them" in said[0]
    assert f"mv {bak} {log} and rerun with --resume" in said[0]
    second = log.read_bytes()
    assert len(second.splitlines()) == 4
    said.clear()
    assert run_eval(tiny_zoo_dir, workload, out, "--limit", "1", max_new_tokens=4) == 0
    assert bak.read_bytes() == second  # an older backup is replaced, and the run says so
    assert "the 3 outputs" in said[0] and "(replacing the older one)" in said[0]


def test_eval_fix_a_log_without_outputs_does_not_replace_a_backup(tmp_path):
    fp = {"max_new_tokens": 4}
    log = EvalLog.open(tmp_path, fp, resume=False)
    log.put("cloud-only", "k0", "q0", Output((1,), " 1", 1, 3, 0.1, 0))
    log.close()
    log = EvalLog.open(tmp_path, fp, resume=False)  # the output moves to the backup
    assert (log.backup, log.backed_up) == (tmp_path / (LOG_NAME + ".bak"), 1)
    log.close()  # a run that stopped before its first output: its log is a fingerprint line alone
    kept = (tmp_path / (LOG_NAME + ".bak")).read_bytes()
    log = EvalLog.open(tmp_path, fp, resume=False)
    assert log.backup is None and log.backed_up == 0
    log.close()
    assert (tmp_path / (LOG_NAME + ".bak")).read_bytes() == kept
