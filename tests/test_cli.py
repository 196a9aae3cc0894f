import json

from fedhybrid.cli import main


def test_zoo_verify_and_show(tiny_zoo_dir, capsys):
    assert main(["--zoo", str(tiny_zoo_dir), "zoo", "verify"]) == 0
    out = capsys.readouterr().out
    assert "edge: ok" in out and "cloud: ok" in out
    assert main(["--zoo", str(tiny_zoo_dir), "zoo", "show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["tiers"]["iot"] == "edge"


def test_missing_zoo_is_a_one_line_error_not_a_traceback(tmp_path, capsys):
    assert main(["--zoo", str(tmp_path / "nowhere"), "zoo", "verify"]) == 2
    err = capsys.readouterr().err
    assert "no zoo manifest" in err and "fedhybrid zoo build" in err
    assert "Traceback" not in err


def test_bench_models_prints_a_table_and_writes_json(tiny_zoo_dir, tmp_path, capsys):
    out_json = tmp_path / "models.json"
    assert main(["--zoo", str(tiny_zoo_dir), "bench", "models", "--problems", "4",
                 "--json", str(out_json)]) == 0
    rows = json.loads(out_json.read_text())
    assert [r["name"] for r in rows] == ["edge", "client", "cloud"]
    for row in rows:
        assert {"name", "params", "bytes", "wordmath_acc", "pycode_loss", "decode_tok_s"} <= set(row)
        assert 0 <= row["wordmath_acc"] <= 1 and row["decode_tok_s"] > 0 and row["bytes"] > 0
    assert "zoo models" in capsys.readouterr().out
