"""`fedhybrid` command line: the boundary where flags become frozen configs.

Each command imports its heavy modules lazily, so `fedhybrid --help` answers at once.
Domain errors of any package end the command with a one-line message and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fedhybrid import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fedhybrid",
        description="Federated hybrid LLM inference: device SLMs, reward-routed cloud "
                    "corrections, federated correction caches and LoRA adapters.")
    parser.add_argument("--zoo", type=Path, default=None,
                        help="zoo folder (default: the zoo shipped beside the packages)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in commands.REGISTRY:
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except commands.DOMAIN_ERRORS as exc:
        print(f"fedhybrid {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"fedhybrid {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
