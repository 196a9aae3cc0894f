"""Run-config values (`[tool.flwr.app.config]`, `--set KEY=VALUE`): every key's type and range is
checked when the config is built, before anything loads, with one line naming the key, the value
and what to do; the CLI turns it into exit 2. Nothing here loads a model or starts Flower."""

from __future__ import annotations

import dataclasses
import math
import tomllib

import pytest
from flwr.app import Context, RecordDict

from fedhybrid import engines
from fedhybrid.cli import main
from fedhybrid.run_config import default_run_config, parse_sets
from fleet.config import FederationConfig
from fleet.errors import FleetError

DEFAULTS = default_run_config()
FIELDS = {f.name.replace("_", "-"): f for f in dataclasses.fields(FederationConfig)}


@pytest.fixture
def started(monkeypatch):
    """The engines, replaced by a recorder: a run that gets this far is a failure of the check."""
    calls = []

    def engine(name):
        def run(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"the {name} engine started")
        return run

    for name in ("run_inprocess", "run_simulation", "run_deployment"):
        monkeypatch.setattr(engines, name, engine(name))
    return calls


def _fed(tmp_path, capsys, *sets: str, engine: str = "inprocess") -> tuple[int, str]:
    argv = ["fed", "run", "--engine", engine, "--rounds", "2", "--state-dir", str(tmp_path / "state")]
    for item in sets:
        argv += ["--set", item]
    code = main(argv)
    err = capsys.readouterr().err
    return code, err


def _refused(tmp_path, capsys, started, *sets: str, engine: str = "inprocess") -> str:
    code, err = _fed(tmp_path, capsys, *sets, engine=engine)
    assert code == 2, err
    assert err.startswith("fedhybrid fed run: error: ") and err.count("\n") == 1, err
    assert started == [] and not (tmp_path / "state").exists()
    return err


# -- through the CLI: exit 2, one line, nothing started ----------------------------------------

def test_an_unknown_key_is_named_with_the_fix(tmp_path, capsys, started):
    err = _refused(tmp_path, capsys, started, "nonsense=1")
    assert "unknown run-config key 'nonsense'" in err and "[tool.flwr.app.config]" in err and "fraction-train" in err
    err = _refused(tmp_path, capsys, started, "fraction-trian=0.5")
    assert "'fraction-trian'" in err and "did you mean 'fraction-train'?" in err


def test_a_set_without_an_equals_sign_says_key_value(tmp_path, capsys, started):
    err = _refused(tmp_path, capsys, started, "fraction-train")
    assert "--set 'fraction-train'" in err and "KEY=VALUE" in err


def test_a_string_in_an_integer_key_names_the_key_not_a_type_error(tmp_path, capsys, started):
    err = _refused(tmp_path, capsys, started, "min-replies=abc")
    assert "min-replies='abc' is a string; min-replies takes an integer" in err and "not supported" not in err


@pytest.mark.parametrize("item, shown", [("secure=no", "secure='no'"), ('secure="false"', "secure='false'"),
                                         ("secure=yes", "secure='yes'"), ("relay=1", "relay=1")])
def test_a_boolean_key_takes_only_true_or_false(tmp_path, capsys, started, item, shown):
    err = _refused(tmp_path, capsys, started, item)
    assert f"{shown} is " in err and "takes a boolean: true or false" in err


@pytest.mark.parametrize("item, fragment", [
    ("lr=nan", "lr=nan is not a finite number; lr takes a finite number"),
    ("timeout=inf", "timeout=inf is not a finite number"),
    ("local-steps=1.5", "local-steps=1.5 is a float; local-steps takes an integer"),
    ("queries-per-round=true", "queries-per-round=True is a boolean; queries-per-round takes an integer"),
    ("queries-per-round=many", "queries-per-round='many' is a string"),  # not TOML: a bare string
    ("robust-method=3", "robust-method=3 is an integer; robust-method takes a string"),
])
def test_a_value_of_the_wrong_type_is_named_with_the_type_expected(tmp_path, capsys, started, item, fragment):
    assert fragment in _refused(tmp_path, capsys, started, item)


@pytest.mark.parametrize("item, fragment", [
    ("max-new-tokens=0", "max-new-tokens=0 must be >= 1"),
    ('seed="abc"', "seed='abc' is a string; seed takes an integer"),
    ("zipf-s=-1", "zipf-s=-1 must be > 0"),
    ("lr=-1", "lr=-1 must be > 0"),
    ("trim=0.7", "trim=0.7 must be in [0, 0.5)"),
    ("min-replies=9", "min-replies=9 is more than the fleet's 8 devices"),
    ('replay-dir="/nonexistent/corpus"', "replay-dir /nonexistent/corpus does not exist: record a corpus"),
    ('workload-columns="prompt=question"', "workload-file is not set"),
    ('workload-split="zipf"', "workload-split='zipf' splits the requests of a workload file"),
])
def test_a_value_every_round_would_fail_on_is_refused_before_the_run(tmp_path, capsys, started, item, fragment):
    assert fragment in _refused(tmp_path, capsys, started, item)


@pytest.mark.parametrize("engine", ["inprocess", "simulation", "deployment"])
@pytest.mark.parametrize("item", ["trim=0.7", "secure=no", "nonsense=1"])
def test_every_engine_checks_before_it_starts(tmp_path, capsys, started, engine, item):
    assert item.split("=")[0] in _refused(tmp_path, capsys, started, item, engine=engine)


def test_a_replay_dir_without_recordings_and_an_unwritable_json_are_refused_before_the_run(tmp_path, capsys,
                                                                                            started):
    empty = tmp_path / "corpus"
    empty.mkdir()
    assert "holds no recordings" in _refused(tmp_path, capsys, started, f'replay-dir="{empty}"')
    (tmp_path / "file").write_text("x")
    for bad in (tmp_path / "file" / "out.json", tmp_path):  # under a file; a folder
        assert main(["fed", "run", "--engine", "inprocess", "--rounds", "1", "--state-dir", str(tmp_path / "state"),
                     "--json", str(bad)]) == 2
        assert "--json" in capsys.readouterr().err and started == [] and not (tmp_path / "state").exists()


def test_a_workload_split_without_a_workload_file_is_refused(tmp_path, capsys, started):
    assert main(["fed", "run", "--engine", "inprocess", "--state-dir", str(tmp_path / "state"),
                 "--workload-split", "zipf"]) == 2
    assert "add --workload FILE" in capsys.readouterr().err and started == [] and not (tmp_path / "state").exists()


def test_a_good_value_still_reaches_the_engine(tmp_path, capsys, started):
    _fed(tmp_path, capsys, "zoo=/not/read/here", "lr=1", "fleet-tiers=edge,iot", "secure=false", "trim=0")
    assert started == ["run_inprocess"]


def test_fleet_up_checks_its_sets_before_it_creates_anything(tmp_path, capsys, monkeypatch):
    from fedhybrid import fleet_ops

    calls = []
    monkeypatch.setattr(fleet_ops, "fleet_up", lambda spec, say: calls.append(spec))
    for item, fragment in (("secure=no", "secure='no' is a string"), ("nonsense=1", "unknown run-config key")):
        code = main(["fleet", "up", "--workdir", str(tmp_path / "fleet"), "--set", item])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith(f"fedhybrid fleet up: error: {fragment}"), err
    assert calls == [] and not (tmp_path / "fleet").exists()


def test_fleet_up_refuses_hub_settings_without_the_hierarchy(tmp_path, capsys, monkeypatch):
    """--hop-confidence, --hop-deadline and --recurring-to-cloud act only through hubs: without
    --hierarchy they changed nothing and the fleet came up as if they were not given."""
    from fedhybrid import fleet_ops

    calls = []
    monkeypatch.setattr(fleet_ops, "fleet_up", lambda spec, say: calls.append(spec) or {"agents": []})
    for flags in (["--hop-confidence", "0.5"], ["--hop-deadline", "2"], ["--no-recurring-to-cloud"]):
        code = main(["fleet", "up", "--workdir", str(tmp_path / "fleet"), *flags])
        err = capsys.readouterr().err
        assert code == 2 and f"{flags[0]} acts only through the hubs" in err and "add --hierarchy" in err, err
    assert calls == [] and not (tmp_path / "fleet").exists()
    assert main(["fleet", "up", "--workdir", str(tmp_path / "fleet"), "--hierarchy", "--hop-confidence", "0.5"]) == 0
    assert calls[0].hierarchy and calls[0].hop_confidence == 0.5 and calls[0].hop_deadline_s == 1.0
    assert main(["fleet", "up", "--workdir", str(tmp_path / "fleet")]) == 0  # the defaults, as before
    assert calls[1].hop_confidence == 0.99 and calls[1].recurring_to_cloud is True


def test_demo_refuses_hop_confidence_without_the_hierarchy(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "demo"), "--hop-confidence", "0.5"]) == 2
    err = capsys.readouterr().err
    assert "--hop-confidence 0.5 sets when a device takes its hub's answer" in err and "add --hierarchy" in err
    assert not (tmp_path / "demo").exists()


# -- the Flower apps (simulation, deployment) build the config from Flower's run config ---------

class _Untouchable:
    def __getattr__(self, name):
        raise AssertionError(f"the grid was used ({name}) before the config was checked")


def _context(**over) -> Context:
    return Context(run_id=1, node_id=1, node_config={}, state=RecordDict(), run_config={**DEFAULTS, **over})


@pytest.mark.parametrize("over, fragment", [({"secure": "no"}, "secure='no' is a string"),
                                             ({"min-replies": "abc"}, "min-replies='abc' is a string"),
                                             ({"trim": 0.7}, "trim=0.7 must be in [0, 0.5)"),
                                             ({"max-new-tokens": 0}, "max-new-tokens=0 must be >= 1"),
                                             ({"fleet-tiers": 3}, "fleet-tiers=3 is an integer")])
def test_the_server_and_client_apps_raise_the_same_errors_first(over, fragment):
    from clients import app as client_app
    from server import app as server_app

    with pytest.raises(FleetError, match=fragment.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        server_app.main(_Untouchable(), _context(**over))
    for handler in (client_app.query, client_app.train):
        with pytest.raises(FleetError, match=fragment.split(" ")[0]):
            handler(_Untouchable(), _context(**over))


# -- every key --------------------------------------------------------------------------------

def test_every_pyproject_key_is_a_config_field_of_the_same_type():
    assert set(DEFAULTS) == set(FIELDS)
    for key, default in DEFAULTS.items():
        field_default = FIELDS[key].default
        expected = str if key == "fleet-tiers" else type(field_default)  # a tuple, a string in the run config
        assert type(default) is expected, key
    # pyproject's values are valid as they stand
    FederationConfig.from_run_config(DEFAULTS)


WRONG = {bool: ["false", 1, 0], int: [1.5, 2.0, True, "1"], float: [True, "0.5", math.nan, math.inf, -math.inf],
         str: [1, True, 0.5]}


def _toml(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return f'"{value}"' if isinstance(value, str) else repr(value)


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_every_key_refuses_a_value_of_another_type_by_name(key):
    kind = type(DEFAULTS[key])
    for value in WRONG[kind]:
        with pytest.raises(FleetError) as info:
            FederationConfig.from_run_config({key: value})
        message = str(info.value)
        assert message.startswith(f"{key}={value!r} ") and "\n" not in message, message
        with pytest.raises(FleetError) as info:  # as `--set` gives it, TOML
            parse_sets([f"{key}={_toml(value)}"], DEFAULTS)
        assert str(info.value).startswith(f"{key}=") and "takes " in str(info.value)
    if kind is not str:  # not TOML: a bare string, which only a string key takes
        with pytest.raises(FleetError, match=f"^{key}='not toml' is a string"):
            parse_sets([f"{key}=not toml"], DEFAULTS)


@pytest.mark.parametrize("over, fragment", [
    ({"max-new-tokens": 0}, "max-new-tokens=0 must be >= 1"),
    ({"seed": -1}, "seed=-1 must be >= 0"),
    ({"lora-seed": -5}, "lora-seed=-5 must be >= 0"),
    ({"zipf-s": 0}, "zipf-s=0 must be > 0"),
    ({"zipf-s": -1.0}, "zipf-s=-1.0 must be > 0"),
    ({"lr": 0.0}, "lr=0.0 must be > 0"),
    ({"lr": -1}, "lr=-1 must be > 0"),
    ({"trim": 0.5}, "trim=0.5 must be in [0, 0.5)"),
    ({"trim": -0.1}, "trim=-0.1 must be in [0, 0.5)"),
    ({"shared-pool": 0}, "shared-pool=0 must be >= 1"),
    ({"private-pool": -1}, "private-pool=-1 must be >= 0"),
    ({"private-fraction": 1.5}, "private-fraction=1.5 must be in [0, 1]"),
    ({"private-pool": 0}, "private-fraction=0.25 draws questions from each device's private pool"),
    ({"queries-per-round": 0}, "queries-per-round=0 must be >= 1"),
    ({"local-steps": -1}, "local-steps=-1 must be >= 0"),
    ({"timeout": 0}, "timeout=0 must be > 0"),
    ({"release-k": 0}, "release-k=0 must be >= 1"),
    ({"per-device-cap": 0}, "per-device-cap=0 must be >= 1"),
    ({"dp-epsilon": -0.5}, "dp-epsilon=-0.5 must be >= 0"),
    ({"cloud-url": "localhost:8000"}, "cloud-url='localhost:8000' must be an http:// or https:// URL"),
])
def test_a_value_out_of_range_is_named(over, fragment):
    with pytest.raises(FleetError) as info:
        FederationConfig.from_run_config({**DEFAULTS, **over})
    assert fragment in str(info.value)


@pytest.mark.parametrize("over", [{"trim": 0}, {"trim": 0.49}, {"private-pool": 0, "private-fraction": 0.0},
                                  {"private-pool": 0, "workload-file": "requests.jsonl"}, {"threshold": -1.0},
                                  {"threshold": 3}, {"seed": 0}, {"lora-seed": 0}, {"lr": 1}, {"zipf-s": 0.01},
                                  {"dp-epsilon": 0}, {"max-new-tokens": 1}, {"local-steps": 0},
                                  {"cloud-url": "https://cloud.example:8000"}, {"timeout": 1}])
def test_values_the_code_handles_are_accepted(over):
    FederationConfig.from_run_config({**DEFAULTS, **over})


def test_an_integer_for_a_float_key_is_kept_as_given():
    # states made with `--set threshold=0` keep 0 in their digest: converting it to 0.0 would refuse their resume
    assert FederationConfig.from_run_config({"threshold": 0}).digest_values()["threshold"] == 0
    assert repr(FederationConfig.from_run_config({"threshold": 0}).threshold) == "0"


def test_parse_sets_checks_against_the_pyproject_defaults():
    with pytest.raises(FleetError, match="unknown run-config key 'nonsense'"):
        parse_sets(["nonsense=1"])
    with pytest.raises(FleetError, match="has no '='"):
        parse_sets(["relay"])
    assert parse_sets(["relay=true", "zoo=/a/path", "lr=1e-3"]) == {"relay": True, "zoo": "/a/path", "lr": 1e-3}
    pyproject = tomllib.loads((engines.REPO / "pyproject.toml").read_text())
    assert DEFAULTS == pyproject["tool"]["flwr"]["app"]["config"]
