"""The federation's run config as the CLI builds it: pyproject defaults, then overrides.

Every value is checked here, before anything loads (a model, Flower, a state folder): its key
must be one of `[tool.flwr.app.config]`, its type that of the key's default there
(`fleet.config.value_type_error`), its range what `FederationConfig` accepts. A failure is a
`FleetError` (the CLI: one line, exit 2). A flag that names a key (`--zoo`, `--rounds`, ...) wins
over `--set` for the same key, with a notice on stderr naming both values where they differ.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

from fedhybrid.engines import REPO
from fleet.config import FederationConfig, value_type_error
from fleet.errors import FleetError


def default_run_config() -> dict:
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    return dict(data["tool"]["flwr"]["app"]["config"])


def parse_sets(items: list[str], defaults: dict | None = None) -> dict:
    """`--set KEY=VALUE` items as {key: value}, each checked against `defaults` (the run config's,
    from pyproject, unless given): its key must be one of theirs and its value of the type of that
    key's default (FleetError names the first that is not). VALUE is TOML (true, 3, 0.5, "text"); a
    VALUE that is not TOML is the bare string (`--set zoo=/some/path`), which only a string key takes."""
    out = {}
    for item in items:
        if "=" not in item:
            raise FleetError(f"--set {item!r} has no '=': use --set KEY=VALUE (e.g. --set fraction-train=0.5)")
        key, raw = item.split("=", 1)
        try:
            out[key.strip()] = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = raw  # a bare string
    check_values(default_run_config() if defaults is None else defaults, out)
    return out


def check_values(defaults: dict, overrides: dict) -> None:
    """Each override's key is one of `defaults`' and its value has the type of that key's default;
    raises FleetError naming the first one that is not."""
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        key = unknown[0]
        close = difflib.get_close_matches(key, list(defaults), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise FleetError(f"unknown run-config key {key!r}" + (f" (and {unknown[1:]})" if unknown[1:] else "")
                         + f": {hint}the keys are those of [tool.flwr.app.config] in pyproject.toml: "
                         + ", ".join(sorted(defaults)))
    for key, value in overrides.items():
        error = value_type_error(key, value, defaults[key])
        if error:
            raise FleetError(error)


def stop_strings(items: list[str]) -> tuple[str, ...]:
    """--stop values as typed on a shell (`--stop '\\n'`): the two characters \\n are a newline."""
    return tuple(s.replace("\\n", "\n") for s in items)


PATH_KEYS = ("state-dir", "zoo", "workload-file")  # compared as the folders they name: "zoo" == "./zoo"


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def flag_over_set(sets: dict, key: str, flag: str, value, say: Callable[[str], None] = _say) -> None:
    """A flag and `--set KEY=...` both given for one key: the flag wins (as it does for every flag
    that names a run-config key), and a notice names both values where they differ, so neither is
    dropped without a word. `sets`: what parse_sets returned."""
    if key not in sets:
        return
    given = sets[key]
    same = (Path(str(given)).resolve() == Path(str(value)).resolve() if key in PATH_KEYS and given != ""
            else given == value)
    if not same:
        say(f"note: {flag} {value} overrides --set {key}={given} (a flag wins over --set for the same key): "
            "give one of them")


def build_run_config(args: argparse.Namespace, say: Callable[[str], None] = _say) -> dict:
    """Defaults from pyproject, overridden by --set and flags (a flag wins over --set for the same
    key, with a notice where they differ: `flag_over_set`), every value checked (FleetError);
    paths made absolute."""
    cfg = default_run_config()
    sets = parse_sets(args.set, cfg)
    cfg.update(sets)
    flags = {"num-rounds": ("--rounds", args.rounds),
             "state-dir": ("--state-dir", None if args.state_dir is None else str(args.state_dir)),
             "zoo": ("--zoo", str(Path(args.zoo).resolve()) if getattr(args, "zoo", None) else None),
             "workload-file": ("--workload", None if getattr(args, "workload", None) is None else str(args.workload)),
             # without a file: refused by FederationConfig
             "workload-split": ("--workload-split", getattr(args, "workload_split", None) or None),
             "workload-columns": ("--columns", getattr(args, "columns", None) or None)}
    for key, (flag, value) in flags.items():
        if value is not None:
            flag_over_set(sets, key, flag, value, say)
            cfg[key] = value
    # types and ranges of every value, before any path is resolved or anything loads
    FederationConfig.from_run_config(cfg)
    for key in ("state-dir", "zoo", "workload-file"):
        if key == "state-dir" or cfg[key]:  # "": the shipped zoo, no workload file
            cfg[key] = str(Path(cfg[key]).resolve())
    if cfg.get("replay-dir"):  # the nodes would each fail on it mid-round, and the state keep the path
        replay = Path(cfg["replay-dir"]).resolve()
        if not replay.is_dir() or not any(replay.glob("*/*.msgpack")):
            raise FleetError(f"replay-dir {replay} {'holds no recordings (*/*.msgpack)' if replay.is_dir() else 'does not exist'}"
                             ": record a corpus with `fedhybrid bench fed --nodes N` (bench-results/replay-corpus) or "
                             "`fed run --set record-dir=PATH`")
    if cfg.get("workload-file"):  # read, and split over this fleet, here: before any process starts
        from clients.runtime import file_workload_for

        file_workload_for(FederationConfig.from_run_config(cfg))
    return cfg
