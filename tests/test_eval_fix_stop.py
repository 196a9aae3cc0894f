"""`fedhybrid eval --stop S` with S spread over several tokens: the decode ends at the token that
completes S and the graded text is cut before it (it was ignored: only single tokens stopped)."""

import json

from fedhybrid.cli import main
from fedhybrid.eval_log import LOG_NAME
from inference.tokenizer import load_tokenizer


def _eval(zoo, workload, out, *extra):
    return main(["--zoo", str(zoo), "eval", "--workload", str(workload), "--device", "edge", "--policies", "",
                 "--max-new-tokens", "16", "--out", str(out), *extra])


def _cloud_only(out):
    """The cloud-only output's token ids, as logged."""
    lines = (out / LOG_NAME).read_text().splitlines()[1:]
    return next(r["ids"] for r in map(json.loads, lines) if r["config"] == "cloud-only")


def _spanning_stop(tokenizer, ids):
    """Two adjacent tokens' text that first occurs where they stand, is not blank, and lies inside
    no single token of the output: a stop string only a text check can catch."""
    text = tokenizer.decode(ids)
    singles = [tokenizer.decode([i]) for i in ids]
    for j in range(1, len(ids) - 2):
        before, stop = tokenizer.decode(ids[:j]), tokenizer.decode(ids[j:j + 2])
        if (stop.strip() and text.startswith(before + stop) and text.find(stop) == len(before)
                and not any(stop in s for s in singles)):
            return before, stop, j + 2
    raise AssertionError(f"no two-token stop string in {text!r}")


def test_eval_fix_a_stop_string_spanning_tokens_ends_the_output_and_cuts_the_text(tiny_zoo_dir, tmp_path, capsys):
    workload = tmp_path / "w.jsonl"
    workload.write_text(json.dumps({"id": "q0", "prompt": "Q: Ava has 3 pens. She finds 4 more. How many pens does "
                                    "Ava have now?\nA:"}) + "\n")
    free = tmp_path / "free"
    assert _eval(tiny_zoo_dir, workload, free) == 0
    ids = _cloud_only(free)
    assert len(ids) == 16  # ran to --max-new-tokens: the stop below occurs well before the end
    tokenizer = load_tokenizer(tiny_zoo_dir / "edge")
    before, stop, upto = _spanning_stop(tokenizer, ids)
    out = tmp_path / "stopped"
    assert _eval(tiny_zoo_dir, workload, out, "--stop", stop) == 0
    assert _cloud_only(out) == ids[:upto]  # ended at the token that completed the stop string
    result = json.loads((out / "eval.json").read_text())
    assert result["requests"][0]["cloud_only"] == before  # cut before it, as the OpenAI API does
    assert result["rows"][0]["tokens"] == upto
    capsys.readouterr()
    # another spanning stop is other outputs: --resume refuses the log (the stop ids alone were equal)
    assert _eval(tiny_zoo_dir, workload, out, "--stop", stop + stop, "--resume") == 2
    assert "was written by another run (--stop differs)" in capsys.readouterr().err
