"""Workload files (JSONL, CSV, Parquet, folders, column mapping) and the graders."""

from __future__ import annotations

import json

import pytest

from workloads.errors import WorkloadError
from workloads.files import load_workload, parse_columns
from workloads.graders import Grader, last_number, token_agreement
from workloads.requests import Request


def _jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


# -- formats ------------------------------------------------------------------------------------------


def test_jsonl_csv_and_parquet_of_the_same_requests_load_alike(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = [{"id": "a", "prompt": "Q: 2+2?\nA:", "answer": "4", "partition": 1, "sensitive": False},
            {"id": "b", "prompt": "Say hi, 'you'", "reference": "hi", "device": "edge-3", "sensitive": True}]
    from_jsonl = load_workload(_jsonl(tmp_path / "w.jsonl", rows))
    csv_path = tmp_path / "w.csv"
    csv_path.write_text('id,prompt,answer,reference,device,partition,sensitive\n'
                        'a,"Q: 2+2?\nA:",4,,,1,false\n'
                        'b,"Say hi, \'you\'",,hi,edge-3,,yes\n')
    from_csv = load_workload(csv_path)
    table = pa.table({"id": ["a", "b"], "prompt": ["Q: 2+2?\nA:", "Say hi, 'you'"], "answer": [4.0, None],
                      "reference": [None, "hi"], "device": [None, "edge-3"], "partition": [1, None],
                      "sensitive": [False, True]})
    pq.write_table(table, tmp_path / "w.parquet")
    from_parquet = load_workload(tmp_path / "w.parquet")
    assert from_jsonl == from_csv == from_parquet
    assert from_jsonl[0] == Request("a", "Q: 2+2?\nA:", None, "4", None, None, 1, False, explicit_id=True)
    assert from_jsonl[1].sensitive and from_jsonl[1].device == "edge-3"


def test_column_mapping_renames_and_ignores_extra_columns(tmp_path):
    path = tmp_path / "gsm.csv"
    path.write_text("question,final,split,notes\nHow many?,7,train,x\nAnd now?,8,test,y\n")
    with pytest.raises(WorkloadError, match=r"unknown field\(s\) \['final', 'notes', 'question', 'split'\]"):
        load_workload(path)  # without a mapping, foreign columns are named, not guessed at
    requests = load_workload(path, parse_columns("prompt=question,answer=final"))
    assert [(r.id, r.prompt, r.answer) for r in requests] == [("2", "How many?", "7"), ("3", "And now?", "8")]
    with pytest.raises(WorkloadError, match="no column 'query'.*fix --columns"):
        load_workload(path, parse_columns("prompt=query"))


def test_a_folder_is_read_like_a_datasets_data_folder(tmp_path):
    (tmp_path / "data").mkdir()
    _jsonl(tmp_path / "data" / "train-00000.jsonl", [{"prompt": "one"}, {"prompt": "two"}])
    _jsonl(tmp_path / "data" / "train-00001.jsonl", [{"prompt": "three"}])
    (tmp_path / "README.md").write_text("not a workload")
    requests = load_workload(tmp_path)
    assert [r.prompt for r in requests] == ["one", "two", "three"]
    assert len({r.id for r in requests}) == 3  # line numbers of two files kept apart


def test_chat_messages_in_jsonl_and_csv(tmp_path):
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "2+2?"}]
    path = tmp_path / "chat.csv"
    path.write_text("messages,answer\n" + '"' + json.dumps(messages).replace('"', '""') + '",4\n')
    (req,) = load_workload(path)
    assert req.messages == (("system", "be brief"), ("user", "2+2?")) and req.prompt is None


@pytest.mark.parametrize(("content", "message"), [
    ('{"prompt": "ok"}\n{"prompt": 3}\n', r"w.jsonl:2: field 'prompt' must be a non-empty string"),
    ('{"prompt": "ok"}\n{"prompt": "x", "answer": [1]}\n', r"w.jsonl:2: field 'answer' must be a string"),
    ('{"prompt": "ok"}\n{"prompt": "x"\n', r"w.jsonl:2: not valid JSON"),
    ('{"prompt": "ok"}\n["prompt"]\n', r"w.jsonl:2: a request must be a JSON object"),
    ('{"prompt": "a", "messages": []}\n', r"w.jsonl:1: give exactly one of 'prompt' or 'messages'"),
    ('{"prompt": "a", "partition": -1}\n', r"w.jsonl:1: field 'partition' must be a non-negative integer"),
    ('{"prompt": "a", "sensitive": "yes"}\n', r"w.jsonl:1: field 'sensitive' must be true or false"),
    ('{"prompt": "a", "device": "edge-3", "partition": 2}\n',  # which would win was a guess
     r"w.jsonl:1: give one of 'device' or 'partition' .*device 'edge-3' and partition 2"),
    ('{"prompt": "a", "id": "x"}\n{"prompt": "b", "id": "x"}\n', r"w.jsonl:2: field 'id' repeats 'x'"),
    ('{"prompt": "a", "colour": 1}\n', r"unknown field\(s\) \['colour'\].*--columns prompt=question\)"),
    ("\n\n", r"holds no requests"),
])
def test_malformed_jsonl_names_the_line_and_the_field_and_loads_nothing(tmp_path, content, message):
    path = tmp_path / "w.jsonl"
    path.write_text(content)
    with pytest.raises(WorkloadError, match=message):
        load_workload(path)


@pytest.mark.parametrize(("content", "message"), [
    ("prompt,partition\nx,two\n", r"w.csv:2: field 'partition' must be a non-negative integer, got 'two'"),
    ("prompt,sensitive\nx,maybe\n", r"w.csv:2: field 'sensitive' must be true or false"),
    ("prompt,answer\nx,1,extra\n", r"w.csv:2: more cells than the header has columns"),
    ("prompt,messages\n,[not json\n", r"w.csv:2: field 'messages' must hold a JSON list"),
    ("", r"no header row"),
])
def test_malformed_csv_names_the_row_and_the_field(tmp_path, content, message):
    path = tmp_path / "w.csv"
    path.write_text(content)
    with pytest.raises(WorkloadError, match=message):
        load_workload(path)


def test_unreadable_inputs_are_workload_errors(tmp_path):
    with pytest.raises(WorkloadError, match="no workload at"):
        load_workload(tmp_path / "missing.jsonl")
    (tmp_path / "w.jsonl").write_bytes(b'{"prompt": "\xff"}\n')
    with pytest.raises(WorkloadError, match="not UTF-8"):
        load_workload(tmp_path / "w.jsonl")
    (tmp_path / "w.parquet").write_bytes(b"PAR1 not really")
    pytest.importorskip("pyarrow")
    with pytest.raises(WorkloadError, match="not a readable Parquet file"):
        load_workload(tmp_path / "w.parquet")
    (tmp_path / "w.txt").write_text("prompt\n")
    with pytest.raises(WorkloadError, match="unknown workload format '.txt'"):
        load_workload(tmp_path / "w.txt")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WorkloadError, match="holds no"):
        load_workload(empty)


def _refused(path, message, columns=None):
    """Loading `path` stops with `message` and hands back nothing (no partial list)."""
    loaded = None
    with pytest.raises(WorkloadError, match=message):
        loaded = load_workload(path, columns)
    assert loaded is None


def _chat(*messages):
    return json.dumps({"messages": list(messages)})


_HI = {"role": "user", "content": "hi"}


def test_chat_roles_are_the_ones_inference_renders():
    from inference.chat import ROLES as CHAT_ROLES
    from workloads.requests import ROLES

    assert ROLES == CHAT_ROLES


def test_every_chat_role_loads(tmp_path):
    from workloads.requests import ROLES

    path = tmp_path / "w.jsonl"
    path.write_text(_chat(*({"role": r, "content": r} for r in ROLES)) + "\n")
    (req,) = load_workload(path)
    assert req.messages == tuple((r, r) for r in ROLES)


@pytest.mark.parametrize(("bad", "message"), [
    ([_HI, {"role": "robot", "content": "x"}], r"w.jsonl:2: field 'messages\[1\]\.role' must be one of .*got 'robot'"),
    ([{"content": "x"}], r"w.jsonl:2: field 'messages\[0\]\.role' is missing"),
    ([{"role": 3, "content": "x"}], r"w.jsonl:2: field 'messages\[0\]\.role' must be one of .*got 3"),
    ([_HI, {"role": "user"}], r"w.jsonl:2: field 'messages\[1\]\.content' is missing"),
    ([{"role": "user", "content": ["x"]}], r"w.jsonl:2: field 'messages\[0\]\.content' must be a string, got list"),
    ([_HI, "hi"], r"w.jsonl:2: field 'messages\[1\]' must be an object with 'role' and 'content', got str"),
])
def test_a_bad_chat_message_names_the_line_and_the_message_field(tmp_path, bad, message):
    path = tmp_path / "w.jsonl"
    path.write_text(_chat(_HI) + "\n" + json.dumps({"messages": bad}) + "\n")
    _refused(path, message)


def test_a_bad_chat_role_in_csv_names_the_line_and_the_message_field(tmp_path):
    good, bad = ('"' + json.dumps(m).replace('"', '""') + '"' for m in ([_HI], [_HI, {"role": "robot", "content": "x"}]))
    path = tmp_path / "w.csv"
    path.write_text(f"messages,answer\n{good},1\n{bad},2\n")
    _refused(path, r"w.csv:3: field 'messages\[1\]\.role' must be one of .*got 'robot'")


def test_a_leading_byte_order_mark_is_accepted(tmp_path):
    bom = "\ufeff"
    (tmp_path / "bom.jsonl").write_text(bom + '{"prompt": "a", "answer": "1"}\n{"prompt": "b"}\n', encoding="utf-8")
    (tmp_path / "bom.csv").write_text(bom + "prompt,answer\na,1\nb,\n", encoding="utf-8")
    (tmp_path / "mapped.csv").write_text(bom + "question,final\na,1\nb,\n", encoding="utf-8")
    expected = [("1", "a", "1"), ("2", "b", None)]
    assert [(r.id, r.prompt, r.answer) for r in load_workload(tmp_path / "bom.jsonl")] == expected
    assert [(r.id, r.prompt, r.answer) for r in load_workload(tmp_path / "bom.csv")] == [
        ("2", "a", "1"), ("3", "b", None)]
    mapped = load_workload(tmp_path / "mapped.csv", parse_columns("prompt=question,answer=final"))
    assert [(r.prompt, r.answer) for r in mapped] == [("a", "1"), ("b", None)]
    # the mark is dropped, not the checks: a bad first record still names its line and field
    (tmp_path / "bad.jsonl").write_text(bom + '{"prompt": 3}\n', encoding="utf-8")
    _refused(tmp_path / "bad.jsonl", r"bad.jsonl:1: field 'prompt' must be a non-empty string")


@pytest.mark.parametrize(("content", "columns", "message"), [
    ("question,final\nHow many?,7\n", None,
     r"h.csv:1: the header names unknown field\(s\) \['final', 'question'\].*--columns prompt=question,answer=final"),
    ("question,final\n", None, r"h.csv:1: the header names unknown field\(s\)"),  # no record needed to tell
    ("prompt,notes\nok,x\n", None, r"h.csv:1: the header names unknown field\(s\) \['notes'\].*--columns"),
    ("question,final\nHow many?,7\n", "prompt=query", r"h.csv:1: no column 'query' in the header.*fix --columns"),
    ("prompt,answer,prompt\na,1,b\n", None, r"h.csv:1: the header names the column 'prompt' twice"),
])
def test_a_csv_header_that_does_not_map_is_reported_against_the_header(tmp_path, content, columns, message):
    path = tmp_path / "h.csv"
    path.write_text(content)
    _refused(path, message, parse_columns(columns))


def test_a_csv_record_is_named_by_the_line_it_starts_on(tmp_path):
    path = tmp_path / "w.csv"
    head = 'prompt,partition\n"one\nline two",1\n\n'  # lines 1-4: header, a two-line record, a blank line
    path.write_text(head + 'three,2\n"four\nfive\nsix",3\n')
    assert [(r.id, r.partition) for r in load_workload(path)] == [("2", 1), ("5", 2), ("6", 3)]
    path.write_text(head + '"five\nsix\nseven",two\n')
    _refused(path, r"w.csv:5: field 'partition' must be a non-negative integer, got 'two'")
    path.write_text(head + '"five\nsix",1,extra\n')
    _refused(path, r"w.csv:5: more cells than the header has columns")


def test_an_unclosed_csv_quote_is_an_error_at_its_record_not_the_rest_of_the_file_in_one_cell(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text('prompt,answer\nok,1\n"never closed,2\nthree,3\nfour,4\n')
    _refused(path, r"w.csv:3: not valid CSV \(unexpected end of data\)")


@pytest.mark.parametrize(("spec", "message"), [
    ("prompt", "is not FIELD=COLUMN"), ("colour=c", r"names the field .colour.; .* \(FIELD=COLUMN: the request field first"),
    ("prompt=a,prompt=b", "maps the field 'prompt' twice")])
def test_bad_column_mappings_are_refused(spec, message):
    with pytest.raises(WorkloadError, match=message):
        parse_columns(spec)


# -- graders ------------------------------------------------------------------------------------------


def _req(answer=None, reference=None, id_="r"):
    return Request(id_, "p", answer=answer, reference=reference)


def test_exact_number_reads_the_last_number_of_both_sides():
    g = Grader("exact-number")
    assert g.correct(_req("17"), "so 9 + 8 = 17. The answer is 17.", (), None)
    assert g.correct(_req("1,200"), "It costs 1200", (), None)
    assert g.correct(_req("The answer is 17.0"), "17", (), None)
    assert not g.correct(_req("17"), "The answer is 71.", (), None)
    assert not g.correct(_req("17"), "", (), None)
    assert last_number("a -3.5 b 12, c") == 12.0


def test_exact_match_contains_and_regex():
    assert Grader("exact-match").correct(_req("return x"), "  return x\n", (), None)
    assert not Grader("exact-match").correct(_req("return x"), "return x + 1", (), None)
    assert Grader("contains").correct(_req(reference="Paris"), "It is Paris, France.", (), None)
    assert not Grader("contains").correct(_req(reference="Paris"), "It is Lyon.", (), None)
    assert Grader("regex", r"\bdef \w+\(").correct(_req(), "def add(a, b):", (), None)
    assert Grader("regex").correct(_req(r"^\s*yes\b"), " yes, it does", (), None)  # the answer as the pattern
    assert not Grader("regex").correct(_req(r"^\s*yes\b"), "no", (), None)


def test_agreement_with_cloud_compares_token_ids_with_the_cloud_only_output():
    g = Grader("agreement-with-cloud")
    assert g.correct(_req(), "x", [1, 2, 3], [1, 2, 3])
    assert not g.correct(_req(), "x", [1, 2, 4], [1, 2, 3])
    assert token_agreement([1, 2, 4], [1, 2, 3]) == pytest.approx(2 / 3)
    assert token_agreement([1, 2], [1, 2, 3, 4]) == 0.5
    with pytest.raises(WorkloadError, match="needs the cloud-only output"):
        g.correct(_req(), "x", [1], None)


def test_auto_picks_by_what_the_request_carries():
    g = Grader()
    assert g.resolve(_req("42")) == "exact-number"
    assert g.resolve(_req("forty-two")) == "exact-match"
    assert g.resolve(_req(reference="print(x)")) == "exact-match"
    assert g.resolve(_req()) == "agreement-with-cloud"


def test_a_request_a_grader_cannot_judge_is_refused_before_decoding():
    with pytest.raises(WorkloadError, match="request 'q7' has no 'answer' or 'reference' for the contains grader"):
        Grader("contains").check([_req("a", id_="q1"), _req(id_="q7")])
    with pytest.raises(WorkloadError, match="needs a number in its answer"):
        Grader("exact-number").check([_req("none")])
    with pytest.raises(WorkloadError, match="not a valid regular expression"):
        Grader("regex").check([_req("(unclosed")])
    with pytest.raises(WorkloadError, match="not a valid regular expression"):
        Grader("regex", "(unclosed")
    with pytest.raises(WorkloadError, match="grader 'fuzzy' is unknown"):
        Grader("fuzzy")
    with pytest.raises(WorkloadError, match="--pattern goes with the regex grader"):
        Grader("contains", "x")


# -- generated workload files ------------------------------------------------------------------------


def test_paraphrases_share_no_name_item_or_sentence_frame_with_wordmath():
    from workloads import paraphrase

    problems = paraphrase.generate(300, seed=1)
    assert len({p.question for p in problems}) == 300
    assert all(paraphrase.shares_no_template_with_wordmath(p) for p in problems)
    assert all(2 <= p.answer <= 99 for p in problems)
    assert paraphrase.generate(5, seed=1) == problems[:5]  # reproducible from the seed
    # the check itself can fail: a wordmath question does share its frames
    from workloads import wordmath

    (w,) = wordmath.generate("heldout", 1)
    assert not paraphrase.shares_no_template_with_wordmath(paraphrase.Paraphrase(w.question, w.answer, w.steps))


def test_workload_make_writes_files_that_load_and_grade(tmp_path, capsys):
    from fedhybrid.cli import main

    for kind, grader in (("wordmath", "exact-number"), ("paraphrase", "exact-number"),
                         ("unseen-verbs", "exact-number"), ("pycode", "exact-match")):
        out = tmp_path / f"{kind}.jsonl"
        assert main(["workload", "make", kind, "--n", "5", "--out", str(out)]) == 0
        requests = load_workload(out)
        assert len(requests) == 5 and all(r.explicit_id for r in requests)
        assert {Grader().resolve(r) for r in requests} == {grader}
    assert main(["workload", "make", "wordmath", "--n", "0", "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "--n=0 must be positive" in capsys.readouterr().err


# -- which device serves a request ---------------------------------------------------------------------


def test_assignment_honours_device_and_partition_and_splits_the_rest_stably():
    import numpy as np

    from workloads.partition import assign, device_shares

    devices = [f"edge-{i}" for i in range(4)]
    named = [Request("a", "p", device="edge-2"), Request("b", "p", partition=5)]
    free = [Request(f"r{i}", "p") for i in range(4000)]
    out = assign(named + free, devices, "uniform")
    assert out[:2] == ["edge-2", "edge-1"]
    counts = np.array([out.count(d) for d in devices])
    assert (abs(counts - 1000) < 120).all()  # uniform: about a quarter each
    assert assign(free, devices, "uniform") == out[2:]  # fixed per request, whatever else is in the file
    zipf = assign(free, devices, "zipf", zipf_s=1.5)
    zipf_counts = [zipf.count(d) for d in devices]
    assert zipf_counts == sorted(zipf_counts, reverse=True) and zipf_counts[0] > 2 * zipf_counts[-1]
    shares = device_shares(4, "dirichlet", seed=3, alpha=0.1)
    assert shares.sum() == pytest.approx(1.0) and shares.max() > 0.5  # small alpha: skewed
    assert assign(free, devices, "dirichlet", seed=3, alpha=0.1) == assign(free, devices, "dirichlet", seed=3,
                                                                            alpha=0.1)


def test_assignment_refuses_an_unknown_device_and_a_bad_rule():
    from workloads.partition import assign

    with pytest.raises(WorkloadError, match="request 'x' names device 'edge-9'; the fleet has"):
        assign([Request("x", "p", device="edge-9")], ["edge-0", "edge-1"])
    with pytest.raises(WorkloadError, match="split 'random' is unknown"):
        assign([Request("x", "p")], ["edge-0"], "random")
    with pytest.raises(WorkloadError, match="must be positive"):
        assign([Request("x", "p")], ["edge-0"], "dirichlet", alpha=0.0)
