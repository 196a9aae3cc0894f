"""Property-based fuzzing of the command line (hypothesis).

Two layers, each with its own contract:
- the parser: `build_parser().parse_args(argv)` over argv lists built from the parser's own
  vocabulary (every sub-command and flag, read by walking its sub-parsers) mixed with random
  strings, numbers, negative numbers, empty strings, missing paths and `--zoo` before or after
  the sub-command. Only argparse's contract may escape: a Namespace that names the command to
  run, or `SystemExit` with code 0 (help) or 2 (usage error).
- `main()`, on commands that are cheap and fail early (a missing zoo, fleet, key folder, a
  folder that cannot be created, damaged files), with random arguments: exit code 2 (returned,
  or argparse's `SystemExit(2)`), one line on stderr, never a traceback, and nothing created
  where the command was pointed. `main()` is never given arbitrary argv: it would start
  servers, demos and training.

Argv strings hold no NUL (an operating system cannot pass one) and no lone surrogates (what a
non-UTF-8 argv decodes to; the capture streams here are strict UTF-8, a terminal's stderr is not).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, event, example, given
from hypothesis import strategies as st

from fedhybrid.cli import build_parser, main
from tests.fuzzing import examples

# every property: no deadline (main() imports torch on its first call), no example database (CI
# starts from a clean clone; the runs here must take the same time)

# -- the parser's vocabulary, read from the parser itself --------------------------------------


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command path, parser) for every parser under `parser` (itself included)."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _walk(child, path + (name,))


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and not isinstance(a, argparse._SubParsersAction)]


PARSERS = list(_walk(build_parser()))
LEAVES = [(path, parser) for path, parser in PARSERS
          if path and not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)]
COMMAND_WORDS = sorted({word for path, _ in PARSERS for word in path})
OPTION_STRINGS = sorted({s for _, parser in PARSERS for a in _options(parser) for s in a.option_strings})
CHOICE_WORDS = sorted({str(c) for _, parser in PARSERS for a in parser._actions
                       if a.choices and not isinstance(a, argparse._SubParsersAction) for c in a.choices})

# argv text: anything an OS can pass (no NUL), no lone surrogates (see the module docstring)
ARG_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=16)
NUMBERS = st.one_of(st.integers(-10**6, 10**6).map(str), st.integers().map(str),
                    st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.sampled_from(["0", "-1", "-0", "1e999", "-1e999", "nan", "inf", "0x10", "1_000", "١٢"]))
MISSING_PATHS = st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
                                 min_size=1, max_size=12), min_size=1, max_size=3).map(
    lambda parts: "/nonexistent-fedhybrid-fuzz/" + "/".join(parts))
VALUES = st.one_of(ARG_TEXT, NUMBERS, st.just(""), MISSING_PATHS, st.sampled_from(CHOICE_WORDS))
RANDOM_TOKENS = st.one_of(VALUES, st.sampled_from(OPTION_STRINGS), st.sampled_from(COMMAND_WORDS),
                          st.sampled_from(["-h", "--help", "--", "-", "--zoo", "--debug", "--zoo=", "-x", "--nope"]))


@st.composite
def option_args(draw, action: argparse.Action) -> list[str]:
    """One use of `action`: its flag, with values of the right kind or not, as separate or
    `--flag=value` words."""
    flag = draw(st.sampled_from(action.option_strings))
    if action.nargs == 0:
        return [flag] if draw(st.booleans()) else [f"{flag}={draw(VALUES)}"]
    good = st.sampled_from([str(c) for c in action.choices]) if action.choices else (
        NUMBERS if action.type in (int, float) else VALUES)
    values = draw(st.lists(st.one_of(good, VALUES), min_size=0, max_size=3))
    if values and draw(st.booleans()):
        return [f"{flag}={values[0]}", *values[1:]]
    return [flag, *values]


@st.composite
def argvs(draw) -> list[str]:
    """A command path from the parser (sometimes cut short or misspelt), flags of that command
    with values, a positional, `--zoo` before and/or after the sub-command, and random words."""
    path, parser = draw(st.sampled_from(LEAVES))
    words = list(path)
    if draw(st.integers(0, 9)) == 0:
        words = words[:draw(st.integers(0, len(words)))]
    if draw(st.integers(0, 9)) == 0 and words:
        words[draw(st.integers(0, len(words) - 1))] = draw(ARG_TEXT)
    before = ["--zoo", draw(VALUES)] if draw(st.booleans()) else []
    if draw(st.integers(0, 4)) == 0:
        before.append("--debug")
    body: list[str] = []
    options = _options(parser)
    for action in draw(st.lists(st.sampled_from(options), max_size=5)) if options else []:
        body += draw(option_args(action))
    if any(not a.option_strings and a.dest != "help" for a in parser._actions) or draw(st.booleans()):
        body.append(draw(VALUES))  # a positional (generate's prompt), or one too many
    after = ["--zoo", draw(VALUES)] if draw(st.booleans()) else []
    argv = before + words + body + after
    for _ in range(draw(st.integers(0, 3))):
        argv.insert(draw(st.integers(0, len(argv))), draw(RANDOM_TOKENS))
    return argv


@contextlib.contextmanager
def captured():
    """(stdout, stderr) buffers for the duration of the block."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


def test_parser_vocabulary_is_read_from_the_parser():
    assert {" ".join(p) for p, _ in LEAVES} >= {"zoo verify", "generate", "fleet down", "keys rotate", "device serve",
                                                "bench cache"}
    assert {"--zoo", "--workdir", "--max-new-tokens", "--devices", "--set"} <= set(OPTION_STRINGS)


@examples(1000)
@given(argv=argvs())
def test_parse_args_returns_a_command_or_exits_0_or_2(argv):
    parser = build_parser()
    with captured():
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:
            assert exc.code in (0, 2), f"argparse exited with {exc.code!r} for {argv!r}"
            event(f"SystemExit({exc.code})")
            return
    event("parsed")
    assert callable(args.run) and isinstance(args.command, str)


@examples(600)
@given(argv=st.lists(RANDOM_TOKENS, max_size=8))
def test_parse_args_on_random_words_returns_a_command_or_exits_0_or_2(argv):
    with captured():
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:
            assert exc.code in (0, 2), f"argparse exited with {exc.code!r} for {argv!r}"
            event(f"SystemExit({exc.code})")
            return
    event("parsed")
    assert callable(args.run)


# -- main() on commands that fail early ---------------------------------------------------------

# a path component; line breaks have their own property below
COMPONENT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00\n"), min_size=1,
                    max_size=20).filter(lambda s: s not in (".", ".."))
LINE_BREAK_COMPONENT = st.tuples(COMPONENT, COMPONENT).map("\n".join)
# values for flags: random text as `--flag=value` (so a value such as "-h" stays a value)
FLAG_VALUE = st.one_of(ARG_TEXT, NUMBERS, st.just(""))


def _flags(draw, pairs: list[tuple[str, st.SearchStrategy]]) -> list[str]:
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=4)) if pairs else []
    return [f"{flag}={draw(st.one_of(good, FLAG_VALUE))}" for flag, good in chosen]


@st.composite
def failing_commands(draw, base: Path, component: st.SearchStrategy[str] = COMPONENT) -> list[str]:
    """argv of a cheap command that must fail early: paths under `base/missing` (absent) or
    under `base/a-file` (a regular file: nothing can be created below it)."""
    missing = str(base.joinpath("missing", *draw(st.lists(component, min_size=1, max_size=3))))
    blocked = str(base.joinpath("a-file", *draw(st.lists(component, min_size=1, max_size=2))))
    kind = draw(st.sampled_from(["zoo verify", "zoo show", "generate", "calibrate", "fleet down", "fleet traffic",
                                 "keys rotate", "keys init"]))
    floats = NUMBERS
    if kind in ("zoo verify", "zoo show"):
        cmd, zoo_needed = kind.split(), True
    elif kind == "generate":
        cmd = ["generate", *_flags(draw, [("--tier", st.sampled_from(["edge", "client", "iot", "cloud"])),
                                          ("--policy", st.sampled_from(["slm-only", "cloud-only", "reward",
                                                                        "confidence", "fusion"])),
                                          ("--threshold", floats), ("--max-new-tokens", NUMBERS),
                                          ("--temperature", floats), ("--seed", NUMBERS),
                                          ("--privacy", st.sampled_from(["allow", "local-only", "redact"]))])]
        zoo_needed = True
    elif kind == "calibrate":
        cmd = ["calibrate", *_flags(draw, [("--device", ARG_TEXT), ("--target-cloud-share", floats),
                                           ("--grid", NUMBERS), ("--seed", NUMBERS)])]
        zoo_needed = True
    elif kind == "fleet down":
        cmd, zoo_needed = ["fleet", "down", f"--workdir={draw(st.sampled_from([missing, blocked]))}"], False
    elif kind == "fleet traffic":
        cmd = ["fleet", "traffic", f"--workdir={draw(st.sampled_from([missing, blocked]))}",
               *_flags(draw, [("--rate", floats), ("--duration", floats), ("--seed", NUMBERS),
                              ("--max-tokens", NUMBERS), ("--workload", ARG_TEXT)])]
        zoo_needed = False
    elif kind == "keys rotate":
        cmd, zoo_needed = ["keys", "rotate", f"--dir={blocked}"], False
    else:
        devices = draw(st.lists(COMPONENT.filter(lambda s: not s.startswith("-")), min_size=1, max_size=3))
        cmd, zoo_needed = ["keys", "init", f"--dir={blocked}", "--devices", *devices], False
    zoo = [f"--zoo={missing}"] if zoo_needed or draw(st.booleans()) else []
    where = draw(st.sampled_from(["before", "after"]))
    argv = zoo + cmd if where == "before" else cmd + zoo
    if kind == "generate":
        argv += ["--", draw(st.one_of(st.just(""), ARG_TEXT))]  # the prompt (after "--": "-h" is a prompt too)
    return argv


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli-fuzz")
    (folder / "a-file").write_text("a regular file, not a folder")
    return folder


class InternalErrorExit(AssertionError):
    """main() ended a user's mistake with exit 3 ("internal error") instead of 2."""


class NotOneLine(AssertionError):
    """main() failed with exit 2 but its message on stderr spans more than one line."""


def _assert_one_line_failure(argv: list[str], may_succeed: bool = False) -> None:
    """main(argv) exits 2 with one line on stderr (or, with `may_succeed`, returns 0)."""
    with captured() as (_, err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's usage error: usage lines, then one error line
            assert exc.code == 2, f"SystemExit({exc.code!r}) for {argv!r}"
            assert "Traceback" not in err.getvalue() and "error:" in err.getvalue(), err.getvalue()
            event("usage error: SystemExit(2)")
            return
    text = err.getvalue()
    event(f"main returned {code}")
    assert "Traceback" not in text, text
    if code == 0 and may_succeed:
        return
    if code == 3:
        raise InternalErrorExit(f"main returned 3 for {argv!r}; stderr: {text!r}")
    assert code == 2, f"main returned {code!r} for {argv!r}; stderr: {text!r}"
    lines = [line for line in text.split("\n") if line.strip()]  # a line is what ends in "\n"
    assert lines and lines[0].startswith("fedhybrid ") and "error:" in lines[0], text
    if len(lines) != 1:
        raise NotOneLine(f"{len(lines)} lines on stderr for {argv!r}: {text!r}")


@examples(800)
@given(data=st.data())
def test_main_on_cheap_failing_commands_exits_2_with_one_line(base, data):
    argv = data.draw(failing_commands(base), label="argv")
    _assert_one_line_failure(argv)
    assert not (base / "missing").exists(), f"{argv!r} created {base / 'missing'}"
    assert (base / "a-file").is_file()


@examples(50)
@given(data=st.data())
@example(data=None)  # once 3 lines on stderr: the path's line break was echoed raw
def test_main_error_for_a_path_with_a_line_break_is_one_line(base, data):
    if data is None:
        argv = [f"--zoo={base / 'missing' / '0'}\n0", "zoo", "verify"]
    else:
        argv = data.draw(failing_commands(base, LINE_BREAK_COMPONENT), label="argv")
    _assert_one_line_failure(argv)


# -- main() on damaged files ---------------------------------------------------------------------

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    # a fleet.json naming processes would make `fleet down` signal them: never generated
    st.dictionaries(st.text(max_size=8).filter(lambda k: k != "processes"), inner, max_size=3)), max_leaves=8)
MANIFESTS = st.one_of(
    JSON_VALUES.map(json.dumps),
    st.fixed_dictionaries({"schema": st.just(1)}, optional={"models": JSON_VALUES, "tiers": JSON_VALUES,
                                                            "tokenizer": JSON_VALUES}).map(json.dumps),
)
DAMAGED = {
    # file written, its content, the argv that reads it; a manifest may happen to be a valid (empty) zoo
    "zoo-manifest": ("manifest.json", st.one_of(st.binary(max_size=64), MANIFESTS.map(str.encode)),
                     lambda d: ["zoo", "verify", f"--zoo={d}"]),
    "fleet-json": ("fleet.json", st.one_of(st.binary(max_size=64), JSON_VALUES.map(json.dumps).map(str.encode)),
                   lambda d: ["fleet", "down", f"--workdir={d}"]),
    "keyring": ("aggregator/keyring.json", st.one_of(st.binary(max_size=64), st.one_of(
        JSON_SCALARS, st.lists(JSON_VALUES, max_size=3)).map(json.dumps).map(str.encode)),
        lambda d: ["keys", "rotate", f"--dir={d}"]),
}


# escapes this property found once (exit 3 "internal error" instead of a domain error, exit 2):
# a manifest that is JSON but not a manifest object; a fleet.json not UTF-8 or not an object
REGRESSIONS = {"zoo-manifest": [b"null", b'{"schema":1}', b'{"schema":1,"models":{"a":1},"tiers":{}}'],
               "fleet-json": [b"\x80", b"0", b'{"workdir":"x"}'], "keyring": []}


@pytest.mark.parametrize("what", ["zoo-manifest", "fleet-json", "keyring"])
@examples(100)
@given(data=st.data())
@example(data=None)  # the regressions of `what`, first
def test_main_with_a_damaged_file_exits_2_with_one_line(what, data):
    name, contents, command = DAMAGED[what]
    for content in REGRESSIONS[what] if data is None else [data.draw(contents, label="content")]:
        assume(b"processes" not in content)  # see JSON_VALUES
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(content)
            _assert_one_line_failure(command(folder), may_succeed=what == "zoo-manifest")
