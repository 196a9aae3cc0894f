"""`fedhybrid zoo build|verify|show|init`: build, check and describe the offline model zoo, or make
one of the user's own models."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    zoo = sub.add_parser("zoo", help="build, verify or show the offline model zoo")
    zsub = zoo.add_subparsers(dest="zoo_command", required=True, metavar="ACTION")
    build = zsub.add_parser("build", help="train the tokenizer and the zoo models (offline)")
    build.add_argument("--tiny", action="store_true",
                       help="build the micro-zoo used by tests (under a minute on CPU)")
    build.add_argument("--out", type=Path, default=None,
                       help="output folder (default: the --zoo folder, else the shipped zoo)")
    build.add_argument("--only", nargs="+", default=(), metavar="MODEL",
                       help="rebuild only these models against the existing tokenizer")
    build.add_argument("--widen", nargs="?", const="worked", default=None, choices=("worked", "equations"),
                       help="run only the widening stage of the --only models (experiments, not shipped: see "
                            "README), continuing the first-stage models already in the zoo: 'worked' (the "
                            "default) widens the cloud's curriculum, 'equations' also switches the solution "
                            "format and has a stage for every model (widen all three: tiers share a format)")
    build.add_argument("--quiet", action="store_true", help="no progress bars")
    build.set_defaults(run=_build)
    verify = zsub.add_parser("verify", help="check every zoo file against the manifest hashes")
    verify.set_defaults(run=_verify)
    show = zsub.add_parser("show", help="print the manifest's models, tiers and metrics")
    show.set_defaults(run=_show)
    init = zsub.add_parser("init", help="make a zoo of your own Hugging Face models (one tokenizer), for --zoo")
    init.add_argument("--out", type=Path, required=True, help="the new zoo's folder (must not exist)")
    init.add_argument("--cloud", type=Path, required=True, help="the cloud model's folder")
    init.add_argument("--device", type=Path, default=None,
                      help="the model of every device tier not given its own (--client, --edge, --iot)")
    for tier in ("client", "edge", "iot"):
        init.add_argument(f"--{tier}", type=Path, default=None, help=f"the {tier} tier's model (default: --device)")
    init.set_defaults(run=_init)


def _init(args: argparse.Namespace) -> int:
    from inference.errors import ZooError
    from inference.zoo_init import init_zoo

    sources = {"cloud": args.cloud}
    for tier in ("client", "edge", "iot"):
        folder = getattr(args, tier) or args.device
        if folder is None:
            raise ZooError(f"no model for the {tier} tier: give --device FOLDER (every device tier) or --{tier} FOLDER")
        sources[tier] = folder
    manifest = init_zoo(args.out, sources, say=lambda line: print(line, file=sys.stderr))
    for tier, name in sorted(manifest["tiers"].items()):
        print(f"{tier}: {name} ({manifest['models'][name]['params']:,} parameters)")
    print(f"zoo written to {args.out}; use it with `fedhybrid --zoo {args.out} ...` (calibrate its heads first: "
          f"`fedhybrid --zoo {args.out} calibrate --device edge --cloud cloud --target-cloud-share 0.1`)")
    return 0


def _build(args: argparse.Namespace) -> int:
    from inference.zoo import default_zoo_dir
    from training.zoo_build import EQUATIONS, FULL, TINY, WIDENED, build_zoo, mixed_formats

    out = args.out or args.zoo or default_zoo_dir()
    recipe = TINY if args.tiny else {None: FULL, "worked": WIDENED, "equations": EQUATIONS}[args.widen]
    manifest = build_zoo(out, recipe, only=tuple(args.only), quiet=args.quiet, widen_only=args.widen is not None)
    for name, entry in sorted(manifest["models"].items()):
        m = entry["metrics"]
        para = f" paraphrase_acc={m['paraphrase_acc']:.3f}" if "paraphrase_acc" in m else ""
        print(f"{name:8s} params={entry['params']:>10,d} wordmath_acc={m['wordmath_acc']:.3f}{para} "
              f"pycode_loss={m['pycode_loss']:.3f} train_s={m['train_seconds']}")
    print(f"zoo written to {out}")
    mixed = mixed_formats(manifest)
    if mixed:
        listed = ", ".join(f"{name}: {fmt}" for name, fmt in sorted(mixed.items()))
        print(f"warning: the zoo's models write different solution formats ({listed}); token-level routing "
              "between them sends most tokens to the cloud. Build the others in the same format "
              "(--only <models> --widen equations).", file=sys.stderr)
    return 0


def _verify(args: argparse.Namespace) -> int:
    """Every model, not only up to the first bad one (a user repairing a zoo wants the whole
    list), and every reward head beside a model: heads are not in the manifest (`calibrate`
    rewrites them), so each is loaded, which is the check the decoder would make."""
    from inference.errors import InferenceError
    from inference.reward_head import RewardHead
    from inference.zoo import Zoo, ZooError

    zoo = Zoo(args.zoo)
    bad = []
    for name in zoo.names:
        try:
            folder = zoo.verify(name)
        except ZooError as exc:
            bad.append(name)
            print(f"{name}: {exc}")
            continue
        heads = []
        for head in sorted(p for p in folder.glob("reward-*") if p.is_dir()):
            try:
                RewardHead.load(head)
                heads.append(f"{head.name} loads")
            except InferenceError as exc:
                bad.append(f"{name}/{head.name}")
                heads.append(f"{head.name}: {exc}")
        print(f"{name}: ok ({len(zoo.entry(name)['files'])} files)" + "".join(f"; {h}" for h in heads))
    if bad:
        raise ZooError(f"{len(bad)} of the zoo's parts failed the check ({', '.join(bad)}); each is named above "
                       "with what to do")
    return 0


def _show(args: argparse.Namespace) -> int:
    from inference.zoo import Zoo

    zoo = Zoo(args.zoo)
    summary = {
        "root": str(zoo.root), "tokenizer_hash": zoo.tokenizer_hash, "tiers": zoo.tiers,
        "models": {n: {"params": zoo.entry(n)["params"], **zoo.entry(n)["metrics"]} for n in zoo.names},
    }
    print(json.dumps(summary, indent=2))
    return 0
