"""`fedhybrid` command line: the boundary where flags become frozen configs.

Each command imports its heavy modules lazily, so `fedhybrid --help` answers at once.
Every failure a user can cause ends the command with one line on stderr that names what was
wrong, and an exit code (see EXIT_CODES); --debug adds the traceback before that line. The global
options (--zoo, --debug) are accepted before or after the sub-command.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from fedhybrid import commands

EXIT_CODES = """exit codes:
  0    success
  1    the command ran but what it checked failed (e.g. requests that failed under traffic)
  2    bad arguments, input, files, state or configuration (the message says which and what to do)
  3    an unexpected internal error (rerun with --debug for the traceback, and report it)
  130  interrupted (Ctrl-C)"""


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """The epilog as written, and every option's default at the end of its help unless the
    help already says it (argparse's ArgumentDefaultsHelpFormatter would repeat those)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (not action.option_strings or "default" in text.lower() or default is None
                or default is argparse.SUPPRESS or isinstance(default, bool) or default == []):
            return text
        shown = " ".join(map(str, default)) if isinstance(default, (list, tuple)) else str(default)
        return f"{text} (default: {shown.replace('%', '%%')})".lstrip()


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--zoo", type=Path, default=default,
                        help="zoo folder (default: the zoo shipped beside the packages)")
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="show the Python traceback of a failure")


def _leaves(parser: argparse.ArgumentParser):
    """Every parser that runs a command (sub-parsers without sub-parsers of their own)."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield parser
        return
    for action in subs:
        for child in dict.fromkeys(action.choices.values()):
            yield from _leaves(child)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fedhybrid",
        description="Federated hybrid LLM inference: device SLMs, reward-routed cloud "
                    "corrections, federated correction caches and LoRA adapters.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in commands.REGISTRY:
        register(sub)
    for leaf in _leaves(parser):
        if leaf is not parser:
            # after the sub-command too; SUPPRESS keeps a value given before it
            _global_options(leaf, suppress=True)
            leaf.epilog = (leaf.epilog + "\n\n" if leaf.epilog else "") + EXIT_CODES
            leaf.formatter_class = _HelpFormatter
    return parser


def _one_line(message: str) -> str:
    """The message with every unprintable character (line breaks in a path the user typed, say)
    escaped as Python writes it, so the error stays the one line scripts and logs expect."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    name = " ".join(v for v in (args.command, *(getattr(args, k, None) for k in
                                                ("cloud_command", "device_command", "fleet_command", "fed_command",
                                                 "keys_command", "zoo_command", "workload_command", "suite")))
                    if isinstance(v, str))

    def fail(message: str, code: int) -> int:
        if args.debug:  # the traceback, then the same line and exit code as without --debug
            traceback.print_exc(file=sys.stderr)
        print(f"fedhybrid {name}: error: {_one_line(message)}", file=sys.stderr)
        return code

    try:
        return int(args.run(args) or 0)
    except commands.DOMAIN_ERRORS as exc:
        return fail(str(exc), 2)
    except FileNotFoundError as exc:
        return fail(f"{exc.filename or exc}: no such file or folder", 2)
    except PermissionError as exc:
        return fail(f"{exc.filename or exc}: permission denied", 2)
    except OSError as exc:
        return fail(f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""), 2)
    except KeyboardInterrupt:
        print(f"fedhybrid {name}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, not a traceback
        return fail(f"internal error ({type(exc).__name__}: {exc}); rerun with --debug for the traceback and "
                    "report it", 3)


if __name__ == "__main__":
    sys.exit(main())
