"""`fedhybrid bench SUITE [--json PATH]`: every benchmark prints a table and writes JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table


def register(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="benchmarks: print a table, write JSON")
    bsub = bench.add_subparsers(dest="suite", required=True, metavar="SUITE")
    models = bsub.add_parser("models", help="size, held-out quality and speed of each zoo model")
    models.add_argument("--problems", type=int, default=200, help="held-out wordmath problems")
    _common(models, _models)


def _common(parser: argparse.ArgumentParser, run) -> None:
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="where to write the rows as JSON (default: bench-results/SUITE.json)")
    parser.set_defaults(run=run)


def print_table(title: str, rows: list[dict], columns: list[tuple[str, str]]) -> None:
    table = Table(title=title)
    for key, _ in columns:
        table.add_column(key, justify="right")
    for row in rows:
        table.add_row(*[fmt.format(row[key]) if row.get(key) is not None else "-" for key, fmt in columns])
    Console().print(table)


def write_json(args: argparse.Namespace, suite: str, payload) -> Path:
    path = args.json or Path("bench-results") / f"{suite}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path}")
    return path


def _models(args: argparse.Namespace) -> int:
    from fedhybrid.bench import models
    from inference.zoo import Zoo

    rows = models.run(Zoo(args.zoo), problems=args.problems)
    print_table("zoo models (held-out wordmath exact match, pycode held-out loss, batch-1 decode)",
                rows, models.COLUMNS)
    write_json(args, "models", rows)
    return 0
