"""The federation's run config as the CLI builds it: pyproject defaults, then overrides."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

from fedhybrid.engines import REPO


def default_run_config() -> dict:
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    return dict(data["tool"]["flwr"]["app"]["config"])


def parse_sets(items: list[str]) -> dict:
    out = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"--set {item!r}: use KEY=VALUE")
        key, raw = item.split("=", 1)
        try:
            out[key.strip()] = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = raw  # a bare string
    return out


def known_sets(cfg: dict, items: list[str]) -> dict:
    """`--set` values parsed and checked against the run config's keys (an unknown key exits)."""
    overrides = parse_sets(items)
    unknown = sorted(set(overrides) - set(cfg))
    if unknown:
        raise SystemExit(f"unknown config keys {unknown}; known: {sorted(cfg)}")
    return overrides


def stop_strings(items: list[str]) -> tuple[str, ...]:
    """--stop values as typed on a shell (`--stop '\\n'`): the two characters \\n are a newline."""
    return tuple(s.replace("\\n", "\n") for s in items)


def build_run_config(args: argparse.Namespace) -> dict:
    """Defaults from pyproject, overridden by --set and flags; paths made absolute."""
    cfg = default_run_config()
    cfg.update(known_sets(cfg, args.set))
    if args.rounds is not None:
        cfg["num-rounds"] = args.rounds
    if args.state_dir is not None:
        cfg["state-dir"] = str(args.state_dir)
    if getattr(args, "zoo", None):
        cfg["zoo"] = str(Path(args.zoo).resolve())
    if getattr(args, "workload", None) is not None:
        cfg["workload-file"] = str(args.workload)
    if getattr(args, "workload_split", None):
        cfg["workload-split"] = args.workload_split
    if cfg.get("workload-file"):  # read, and split over this fleet, here: before any process starts
        from clients.runtime import file_workload_for
        from fleet.config import FederationConfig

        cfg["workload-file"] = str(Path(cfg["workload-file"]).resolve())
        file_workload_for(FederationConfig.from_run_config(cfg))
    cfg["state-dir"] = str(Path(cfg["state-dir"]).resolve())
    if cfg.get("zoo"):
        cfg["zoo"] = str(Path(cfg["zoo"]).resolve())
    return cfg
