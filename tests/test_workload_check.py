"""`fedhybrid workload check`: a workload file read by the loader every command uses, summarized
without loading a model; a bad file is exit 2 with the loader's own message (file, line, field)."""

from __future__ import annotations

import json

import pytest

from fedhybrid.cli import main

LONG = "Q: " + " ".join(["zebra quartz juxtapose"] * 12) + "?\nA:"  # far past a 24-token context
RECORDS = [
    {"id": "a", "prompt": "Q: 2+2?\nA:", "answer": "4", "device": "edge-1"},
    {"id": "b", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
     "reference": "hello", "partition": 2, "sensitive": True},
    {"id": "c", "prompt": "Q: 2+2?\nA:", "answer": "5", "device": "edge-1"},
    {"id": "d", "prompt": LONG},
]


@pytest.fixture(autouse=True)
def no_model(monkeypatch):
    """A check that loads a model (not a tokenizer) fails the test."""
    import transformers

    from inference import runtime, zoo

    def refuse(*args, **kwargs):
        raise AssertionError("workload check loaded a model")

    monkeypatch.setattr(zoo, "load_causal_lm", refuse)
    monkeypatch.setattr(runtime, "load_stack", refuse)
    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", refuse)


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    """A tokenizer folder as a model folder holds it: tokenizer.json and a config.json saying the context."""
    from inference.tokenizer import train_tokenizer

    folder = tmp_path_factory.mktemp("model")
    train_tokenizer(["Q: 2+2?\nA: 4", "Be brief. Hi hello"] * 20, vocab_size=300).save_pretrained(str(folder))
    (folder / "config.json").write_text(json.dumps({"max_position_embeddings": 24}))
    return folder


def _jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _check(capsys, *argv) -> tuple[int, str, str]:
    code = main(["workload", "check", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def _summary(capsys, *argv) -> tuple[dict, str]:
    code, out, err = _check(capsys, *argv, "--json", "-")
    assert code == 0, err
    return json.loads(out), err


def test_workload_check_summarizes_a_jsonl_file(tmp_path, capsys, model_folder):
    path = _jsonl(tmp_path / "w.jsonl", RECORDS)
    summary, err = _summary(capsys, path, "--tokenizer", model_folder, "--max-new-tokens", "4")
    assert summary["format"] == "jsonl" and summary["requests"] == 4
    assert (summary["prompt"], summary["messages"]) == (3, 1)
    assert (summary["with_answer"], summary["with_reference"], summary["without_target"]) == (2, 1, 1)
    assert summary["grader"] == "auto"
    assert summary["graders"] == {"exact-number": 2, "exact-match": 1, "agreement-with-cloud": 1}
    assert summary["devices"] == {"edge-1": 2} and summary["partitions"] == {"2": 1} and summary["unplaced"] == 1
    assert summary["sensitive"] == 1
    assert summary["duplicate_prompts"] == [["a", "c"]] and summary["conflicting_answers"] == [["a", "c"]]
    tok = summary["tokens"]
    assert tok["context"] == 24 and tok["max_new_tokens"] == 4 and tok["folder"] == str(model_folder)
    assert tok["min"] < tok["median"] < tok["max"] and tok["max"] > 24
    assert tok["too_long"] == ["d"] and tok["longer_than_context"] == 1 and tok["empty"] == []
    assert "warning: 1 prompt appear" in err and "'a' = 'c'" in err and "different answers" in err
    assert "('d') exceeds the context of 24 tokens with --max-new-tokens 4: eval refuses the file" in err


def test_workload_check_prints_plain_lines_off_a_terminal_and_writes_json(tmp_path, capsys, model_folder):
    path = _jsonl(tmp_path / "w.jsonl", RECORDS[:2])
    code, out, err = _check(capsys, path, "--tokenizer", model_folder, "--grader", "agreement-with-cloud",
                            "--json", tmp_path / "out" / "check.json")
    assert code == 0 and err.startswith("warning: 2 requests ('a', 'b') exceed the context of 24 tokens")
    assert out.splitlines()[0] == f"workload {path}: valid"
    assert "  requests: 2 (1 prompt, 1 messages)" in out
    assert "  answers: 1 with answer, 1 with reference, 0 with neither" in out
    assert "  grader: agreement-with-cloud: agreement-with-cloud 2" in out
    assert "  devices: device edge-1: 1; partition 2: 1" in out
    assert "  sensitive: 1 (local-only" in out and "  duplicate prompts: none" in out
    assert "  context: 24 tokens: 2 of 2 prompts + --max-new-tokens 128 exceed it" in out
    assert json.loads((tmp_path / "out" / "check.json").read_text())["requests"] == 2


def test_workload_check_reads_csv_parquet_and_folders_with_a_column_mapping(tmp_path, capsys):
    csv_path = tmp_path / "gsm.csv"
    csv_path.write_text('question,final,split\n"Q: 1+1?\nA:",2,train\nQ: 3+3?,six,test\n')
    summary, _ = _summary(capsys, csv_path, "--columns", "prompt=question,answer=final")
    assert summary["format"] == "csv" and summary["requests"] == 2
    assert summary["graders"] == {"exact-number": 1, "exact-match": 1} and summary["unplaced"] == 2
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    folder = tmp_path / "ds"
    (folder / "data").mkdir(parents=True)
    pq.write_table(pa.table({"question": ["Q: 5+5?\nA:", "Q: 5+5?\nA:"], "final": [10.0, 10.0]}),
                   folder / "data" / "train-00000.parquet")
    _jsonl(folder / "data" / "test-00000.jsonl", [{"question": "Q: 1+2?\nA:", "final": "3"}])
    summary, err = _summary(capsys, folder, "--columns", "prompt=question,answer=final")
    assert summary["format"] == "folder of 2 files (jsonl, parquet)" and summary["requests"] == 3
    assert summary["graders"] == {"exact-number": 3}
    assert summary["duplicate_prompts"] == [["train-00000:1", "train-00000:2"]]
    assert summary["conflicting_answers"] == [] and "1 prompt appears more than once" in err


def test_workload_check_takes_the_zoo_tokenizer_by_default(tmp_path, capsys, model_folder, monkeypatch):
    import shutil

    zoo = tmp_path / "zoo"
    shutil.copytree(model_folder, zoo / "edge-model")
    (zoo / "manifest.json").write_text(json.dumps({"schema": 1, "tiers": {"edge": "edge-model"},
                                                   "models": {"edge-model": {"files": {}}}, "tokenizer_hash": "x"}))
    path = _jsonl(tmp_path / "w.jsonl", RECORDS[:1])
    code = main(["--zoo", str(zoo), "workload", "check", str(path), "--json", "-"])
    out, _ = capsys.readouterr()
    assert code == 0
    tok = json.loads(out)["tokens"]
    assert tok["tokenizer"] == f"zoo edge ({zoo / 'edge-model'})" and tok["context"] == 24
    # no zoo at all and none asked for: the file is still checked, the tokens are not counted
    from inference import zoo as zoo_module

    monkeypatch.setattr(zoo_module, "default_zoo_dir", lambda: tmp_path / "no-zoo")
    summary, _ = _summary(capsys, path)
    assert summary["tokens"] is None and "give --tokenizer MODEL_FOLDER" in summary["tokens_skipped"]
    code, _, err = _check(capsys, path, "--tokenizer", "client")  # named, but there is no zoo to find it in
    assert code == 2 and "--tokenizer client: not a folder, and no zoo" in err


def _csv(path, text):
    path.write_text(text)
    return path


MALFORMED = [  # (file name, content, extra flags, what the error says)
    ("w.jsonl", '{"prompt": "a"}\n{"prompt": "b",\n', [], "w.jsonl:2: not valid JSON"),
    ("w.jsonl", '{"prompt": "a"}\n\n{"answer": "3"}\n', [], "w.jsonl:3: give exactly one of 'prompt' or 'messages'"),
    ("w.jsonl", '{"prompt": 7}\n', [], "w.jsonl:1: field 'prompt' must be a non-empty string"),
    ("w.jsonl", '{"prompt": "a", "sensitive": "yes"}\n', [], "w.jsonl:1: field 'sensitive' must be true or false"),
    ("w.jsonl", '{"messages": [{"role": "bot", "content": "x"}]}\n', [], "w.jsonl:1: field 'messages[0].role'"),
    ("w.jsonl", '{"prompt": "a", "id": "x"}\n{"prompt": "b", "id": "x"}\n', [], "w.jsonl:2: field 'id' repeats 'x'"),
    ("w.jsonl", "", [], "w.jsonl holds no requests"),
    ("w.jsonl", '{"prompt": "a"}\n', ["--grader", "exact-match"],
     "request '1' has no 'answer' or 'reference' for the exact-match grader"),
    ("w.jsonl", '{"prompt": "a", "answer": "x"}\n', ["--grader", "exact-number"],
     "request '1': the exact-number grader needs a number in its answer"),
    ("w.jsonl", '{"prompt": "a"}\n', ["--grader", "contains", "--pattern", "a"], "--pattern goes with the regex grader"),
    ("w.csv", "question,final\nhi,3\n", [], "w.csv:1: the header names unknown field(s) ['final', 'question']"),
    ("w.csv", "question,final\nhi,3\n", ["--columns", "prompt=query"], "w.csv:1: no column 'query' in the header"),
    ("w.csv", "question,final\nhi,3\n", ["--columns", "promt=question"], "--columns names the field 'promt'"),
    ("w.csv", "prompt,partition\nhi,3\nho,two\n", [], "w.csv:3: field 'partition' must be a non-negative integer"),
    ("w.txt", "prompt\nhi\n", [], "unknown workload format '.txt'"),
]


@pytest.mark.parametrize(("name", "content", "flags", "message"), MALFORMED,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MALFORMED)])
def test_workload_check_refuses_a_malformed_file_with_the_loaders_message(tmp_path, capsys, name, content,
                                                                          flags, message):
    path = tmp_path / name
    path.write_text(content)
    code, out, err = _check(capsys, path, *flags)
    assert code == 2 and out == ""
    assert err.startswith("fedhybrid workload check: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_workload_check_gives_the_message_eval_gives(tmp_path, capsys):
    path = _jsonl(tmp_path / "w.jsonl", [{"prompt": "a"}, {"prompt": "b", "answer": ["4"]}])
    code, _, check_err = _check(capsys, path)
    assert code == 2
    assert main(["eval", "--workload", str(path), "--out", str(tmp_path / "eval")]) == 2
    eval_err = capsys.readouterr().err
    assert check_err.removeprefix("fedhybrid workload check: ") == eval_err.removeprefix("fedhybrid eval: ")
    assert "w.jsonl:2: field 'answer' must be a string (or an integer)" in check_err


def test_workload_check_refuses_an_unknown_grader_and_a_missing_file(tmp_path, capsys):
    path = _jsonl(tmp_path / "w.jsonl", RECORDS[:1])
    with pytest.raises(SystemExit) as exc:
        main(["workload", "check", str(path), "--grader", "bogus"])
    assert exc.value.code == 2 and "argument --grader: invalid choice: 'bogus'" in capsys.readouterr().err
    code, _, err = _check(capsys, tmp_path / "absent.jsonl")
    assert code == 2 and "no workload at" in err
