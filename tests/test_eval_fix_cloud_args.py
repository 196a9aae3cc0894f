"""`fedhybrid eval --cloud X --cloud-url URL`: refused before anything is loaded (--cloud was ignored)."""

from fedhybrid.cli import main


def test_eval_fix_refuses_cloud_beside_cloud_url(tmp_path, capsys):
    workload = tmp_path / "w.jsonl"
    workload.write_text('{"prompt": "Q: 1?\\nA:", "answer": "1"}\n')
    out = tmp_path / "eval"
    assert main(["--zoo", str(tmp_path / "no-zoo"), "eval", "--workload", str(workload), "--cloud", "client",
                 "--cloud-url", "http://127.0.0.1:9", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--cloud client and --cloud-url http://127.0.0.1:9 both name the cloud: give one" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()
