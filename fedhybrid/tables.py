"""Tables on the terminal and JSON beside them: how every bench and run reports numbers."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table


def print_table(title: str, rows: list[dict], columns: list[tuple[str, str]]) -> None:
    table = Table(title=title)
    for key, _ in columns:
        table.add_column(key, justify="right")
    for row in rows:
        table.add_row(*[fmt.format(row[key]) if row.get(key) is not None else "-" for key, fmt in columns])
    # rich falls back to 80 columns when piped and then wraps cells ("9.5% [2.8," / "18.5]"): a log
    # gets the table at its natural width instead (a table is never wider than its content)
    Console(width=None if sys.stdout.isatty() else 1000).print(table)


def writable_path(path: Path, flag: str) -> None:
    """Refuse (FleetError: exit 2) an output path that cannot be written, before the work that
    fills it: its folder is made if missing and must accept a file."""
    import os

    from fleet.errors import FleetError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FleetError(f"{flag} {path}: cannot make its folder ({exc.strerror}): give a path you can write") from exc
    if path.is_dir() or not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise FleetError(f"{flag} {path}: {'a folder' if path.is_dir() else 'not writable'}: give a file path you can write")


def write_json(args: argparse.Namespace, suite: str, payload) -> Path:
    path = args.json or Path("bench-results") / f"{suite}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path}")
    return path
