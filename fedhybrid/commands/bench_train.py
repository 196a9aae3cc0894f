"""`fedhybrid bench train`: training step time, one padded batch against length buckets, and the
gradient difference between them. Its flags and handler; `bench.py` adds it beside the others.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from fedhybrid.tables import print_table, write_json


def register(bsub: argparse._SubParsersAction, common: Callable) -> None:
    train = bsub.add_parser("train", help="training step time: one padded batch vs length buckets, same gradient")
    train.add_argument("--models", nargs="+", default=None, metavar="NAME", help="zoo models (default: all)")
    train.add_argument("--batches", type=int, default=8, help="word-problem batches timed per model")
    train.add_argument("--max-parts", type=int, default=None, help="length buckets per batch at most "
                       "(default: what training uses)")
    common(train, run)


def run(args: argparse.Namespace) -> int:
    from fedhybrid.bench import train
    from inference.zoo import Zoo
    from training import buckets
    from training.errors import TrainingError

    max_parts = buckets.MAX_PARTS if args.max_parts is None else args.max_parts
    if args.batches < 1 or max_parts < 1:
        raise TrainingError(f"--batches ({args.batches}) and --max-parts ({max_parts}) must be at least 1")
    zoo = Zoo(args.zoo)
    unknown = sorted(set(args.models or ()) - set(zoo.names))
    if unknown:
        raise TrainingError(f"{', '.join(unknown)}: not a model of the zoo {zoo.root} (its models: "
                            f"{', '.join(zoo.names)})")
    rows = train.run(zoo, args.models, args.batches, max_parts,
                     on_model=lambda name: print(f"timing {name} ...", file=sys.stderr, flush=True))
    print_table("training step, word-problem batches: forward + backward, padded vs length buckets (medians)",
                rows, train.COLUMNS)
    write_json(args, "train", rows)
    return 0
