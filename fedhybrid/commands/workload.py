"""`fedhybrid workload make|check`: workload files to start from, and a check of your own before a run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_MODEL = "edge"  # whose tokenizer and context a check measures by default: eval's default --device


def register(sub: argparse._SubParsersAction) -> None:
    wl = sub.add_parser("workload", help="write workload files (JSONL) to evaluate or drive traffic with, or check "
                                         "your own before a run")
    wl_sub = wl.add_subparsers(dest="workload_command", required=True)
    make = wl_sub.add_parser("make", help="write N requests of a generated workload as JSONL")
    make.add_argument("kind", choices=["wordmath", "paraphrase", "unseen-verbs", "pycode"],
                      help="wordmath: the zoo's held-out word problems; paraphrase: the same arithmetic phrased "
                           "unlike anything the zoo trained on; unseen-verbs: paraphrase's names, items and questions around "
                           "steps told with verbs no curriculum trains on (workloads/lexicon.py); pycode: next-line completion of held-out stdlib "
                           "files (the true line as reference)")
    make.add_argument("--n", type=int, default=100, help="requests (default 100)")
    make.add_argument("--seed", default="0", help="the generator's seed (default 0)")
    make.add_argument("--out", type=Path, required=True, help="the .jsonl file to write")
    make.set_defaults(run=_make)
    from workloads.graders import KINDS

    check = wl_sub.add_parser(
        "check", help="load and check a workload file as eval, calibrate, bench and fed run do, without loading "
                      "a model; print what it holds (requests, graders, devices, prompt tokens)")
    check.add_argument("workload", type=Path, metavar="FILE",
                       help="a .jsonl, .csv or .parquet file, or a folder of them (see README: Workload files)")
    check.add_argument("--columns", default=None, metavar="FIELD=COLUMN,...",
                       help="map request fields to your columns, e.g. prompt=question,answer=final")
    check.add_argument("--grader", default="auto", choices=list(KINDS),
                       help="the grader to check the requests against (auto: by the answer when a request has one, "
                            "else agreement with the cloud-only output)")
    check.add_argument("--pattern", default=None, help="the regex grader's pattern (default: each request's answer)")
    check.add_argument("--tokenizer", default=None, metavar="MODEL",
                       help="count prompt tokens with this model's tokenizer.json: a zoo tier or model, or a model "
                            "folder (its config.json's max_position_embeddings is the context checked against); "
                            f"default: the zoo's {DEFAULT_MODEL} model (eval's default --device), skipped when "
                            "there is no zoo")
    check.add_argument("--max-new-tokens", type=int, default=128,
                       help="tokens eval decodes after each prompt, checked with it against the context "
                            "(default 128, eval's)")
    check.add_argument("--json", type=Path, default=None, metavar="PATH",
                       help="also write the summary as JSON here ('-': print only the JSON, on stdout)")
    check.set_defaults(run=_check)


def _make(args: argparse.Namespace) -> int:
    from workloads.errors import WorkloadError
    from workloads.files import write_jsonl

    if args.n <= 0:
        raise WorkloadError(f"--n={args.n} must be positive")
    if args.kind == "wordmath":
        from workloads import wordmath

        records = [{"id": f"wordmath-{i}", "prompt": p.prompt, "answer": str(p.answer)}
                   for i, p in enumerate(wordmath.generate("heldout", args.n, seed=args.seed))]
    elif args.kind in ("paraphrase", "unseen-verbs"):
        from workloads import paraphrase, phrasings

        frames = paraphrase.FRAMES if args.kind == "paraphrase" else phrasings.UNSEEN_VERBS
        records = [{"id": f"{args.kind}-{i}", "prompt": p.prompt, "answer": str(p.answer)}
                   for i, p in enumerate(paraphrase.generate(args.n, seed=args.seed, frames=frames))]
    else:
        from workloads import pycode

        records = [{"id": f"pycode-{i}", "prompt": t.prefix, "reference": t.line}
                   for i, t in enumerate(pycode.line_tasks("heldout", args.n, seed=int(args.seed)
                                                           if args.seed.isdigit() else 0))]
    write_jsonl(args.out, records)
    print(f"wrote {len(records)} {args.kind} requests to {args.out}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from fedhybrid import workload_check
    from workloads.errors import WorkloadError
    from workloads.files import load_workload, parse_columns
    from workloads.graders import Grader

    if args.max_new_tokens < 0:
        raise WorkloadError(f"--max-new-tokens={args.max_new_tokens} must be >= 0")
    grader = Grader(args.grader, args.pattern)
    requests = load_workload(args.workload, parse_columns(args.columns))
    grader.check(requests)  # what eval checks before decoding, here before anything is loaded
    to_stdout = str(args.json) == "-"
    if args.json is not None and not to_stdout:  # refused before the tokenizer loads, not after
        from fedhybrid.tables import writable_path

        writable_path(args.json, "--json")
    tokens, why_not = _tokens(args)
    summary = workload_check.summarize(args.workload, requests, grader, tokens, args.max_new_tokens)
    summary["tokens_skipped"] = why_not  # None: the tokens were counted
    for line in workload_check.warnings(summary):
        print(f"warning: {line}", file=sys.stderr)
    if to_stdout:
        print(json.dumps(summary, indent=2))
        return 0
    title = f"workload {args.workload}: valid"
    lines = workload_check.rows(summary) + ([("prompt tokens", why_not)] if why_not else [])
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, show_header=False)
        table.add_column(style="bold")
        table.add_column()
        for label, text in lines:
            table.add_row(label, text)
        Console().print(table)
    else:  # a log or a pipe: plain lines, one per item
        print(title)
        for label, text in lines:
            print(f"  {label}: {text}")
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


def _tokens(args: argparse.Namespace):
    """(Tokens, None) to measure the prompts with, or (None, why not) when no tokenizer is at
    hand by default (no zoo): a --tokenizer or --zoo the user named that does not load is an error."""
    from fedhybrid.workload_check import Tokens, context_of
    from inference.errors import ZooError
    from inference.tokenizer import TOKENIZER_FILE, load_tokenizer

    ref = args.tokenizer
    folder = Path(ref) if ref is not None else None
    if folder is not None and folder.name == TOKENIZER_FILE and folder.is_file():
        folder = folder.parent
    if folder is not None and folder.is_dir():
        source = str(folder)
    else:
        from inference.zoo import Zoo

        try:
            zoo = Zoo(args.zoo)
        except ZooError as exc:
            if ref is None and args.zoo is None:
                return None, f"not counted: no zoo to take a tokenizer from ({exc}); give --tokenizer MODEL_FOLDER"
            raise ZooError(f"--tokenizer {ref}: not a folder, and no zoo to find it in ({exc})" if ref is not None
                           else str(exc)) from exc
        name = ref or DEFAULT_MODEL
        if name not in zoo.tiers and name not in zoo.names:
            raise ZooError(f"--tokenizer {name}: neither a folder nor a tier {sorted(zoo.tiers)} or model "
                           f"{zoo.names} of the zoo at {zoo.root}")
        folder, source = zoo.path(name), f"zoo {name}"
    if not (folder / TOKENIZER_FILE).is_file():
        raise ZooError(f"{TOKENIZER_FILE} is missing in {folder}: give --tokenizer a model folder saved with "
                       "save_pretrained (its tokenizer beside it)")
    try:
        tokenizer = load_tokenizer(folder)
    except (OSError, ValueError) as exc:
        raise ZooError(f"the tokenizer in {folder} does not load ({exc})") from exc
    return Tokens(tokenizer, f"{source} ({folder})" if source != str(folder) else source, folder,
                  context_of(folder)), None
