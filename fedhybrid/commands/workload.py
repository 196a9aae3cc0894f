"""`fedhybrid workload make`: workload files to start from (and to see the format)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    wl = sub.add_parser("workload", help="write workload files (JSONL) to evaluate or drive traffic with")
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
