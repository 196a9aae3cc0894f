"""`fedhybrid eval`: a workload file through every policy; a table, JSON and a plot."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from fedhybrid.tables import print_table

DEFAULT_CLOUD = "cloud"  # --cloud's default: a --cloud-url beside any other --cloud is refused


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from exc


def register(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("eval", help="your workload file through every routing policy: cloud share, quality, "
                                     "tokens/s and cost cut vs cloud-only (table, JSON, plot)")
    ev.add_argument("--workload", required=True, type=Path,
                    help="a .jsonl, .csv or .parquet file, or a folder of them (see README: Workload files)")
    ev.add_argument("--columns", default=None,
                    help="map request fields to your columns, e.g. prompt=question,answer=final")
    ev.add_argument("--grader", default="auto",
                    choices=["auto", "exact-number", "exact-match", "contains", "regex", "agreement-with-cloud"],
                    help="how outputs are judged (auto: by the answer when a request has one, else agreement "
                         "with the cloud-only output)")
    ev.add_argument("--pattern", default=None, help="the regex grader's pattern (default: each request's answer)")
    ev.add_argument("--device", default="edge", help="device tier, zoo model or HF folder (default: edge)")
    ev.add_argument("--cloud", default=DEFAULT_CLOUD,
                    help=f"cloud tier, zoo model or HF folder (default: {DEFAULT_CLOUD})")
    ev.add_argument("--cloud-url", default=None, help="a remote OpenAI/vLLM-compatible cloud instead of --cloud")
    ev.add_argument("--api-key", default=None, help="bearer key for --cloud-url")
    ev.add_argument("--policies", default="reward,confidence",
                    help="comma-separated, of reward, confidence, fusion (cloud-only and slm-only always run)")
    ev.add_argument("--thresholds", type=_floats, default=(),
                    help="thresholds for every policy, e.g. 0.5,0.9 (default: reward at --target-shares, "
                         "confidence at 0.5,0.7,0.9, fusion at 0.8)")
    ev.add_argument("--target-shares", type=_floats, default=(0.05, 0.10, 0.20),
                    help="reward: the cloud shares whose calibrated tau is tried (default 0.05,0.1,0.2)")
    ev.add_argument("--max-new-tokens", type=int, default=128, help="tokens per answer at most")
    ev.add_argument("--stop", action="append", default=[],
                    help="a stop string (repeatable; '\\n' for a newline); EOS always stops")
    ev.add_argument("--price-per-1k", type=float, default=1.0,
                    help="price of 1k cloud tokens processed, in your currency (default 1.0)")
    ev.add_argument("--limit", type=int, default=None, help="evaluate only the first N requests")
    ev.add_argument("--out", type=Path, default=Path("runs/eval"),
                    help="folder for eval.json, eval.png and eval.runs.jsonl (every output, logged as decoded)")
    ev.add_argument("--resume", action="store_true",
                    help="reuse the outputs --out's eval.runs.jsonl holds for this run's requests and "
                         "configurations (same models and decode settings; another file order, --limit, "
                         "threshold sweep or grader is fine) and decode only the rest")
    ev.set_defaults(run=_eval)


def _eval(args: argparse.Namespace) -> int:
    from fedhybrid.commands.decode import connect_remote, pin_remote
    from fedhybrid.eval_log import BACKUP_SUFFIX, LOG_NAME, EvalLog
    from fedhybrid.progress import TaskProgress
    from fedhybrid.run_config import stop_strings
    from fedhybrid.workload_eval import EvalConfig, evaluate, plot
    from inference.decoder import HybridDecoder
    from inference.errors import InferenceError
    from inference.model_identity import folder_identity
    from inference.runtime import load_head, load_stack
    from inference.zoo import Zoo
    from workloads.files import load_workload, parse_columns
    from workloads.graders import Grader

    if args.cloud_url and args.cloud != DEFAULT_CLOUD:
        raise InferenceError(f"--cloud {args.cloud} and --cloud-url {args.cloud_url} both name the cloud: give one "
                             "(--cloud-url decodes with the remote cloud; --cloud, a local model)")
    cfg = EvalConfig(policies=tuple(p.strip() for p in args.policies.split(",") if p.strip()),
                     thresholds=args.thresholds, target_shares=args.target_shares,
                     max_new_tokens=args.max_new_tokens, stop=stop_strings(args.stop),
                     price_per_1k=args.price_per_1k, limit=args.limit)
    grader = Grader(args.grader, args.pattern)
    requests = load_workload(args.workload, parse_columns(args.columns))
    zoo = Zoo(args.zoo)
    stack = load_stack(zoo, args.device, None if args.cloud_url else args.cloud)
    card = connect_remote(stack, zoo, args.cloud_url, args.api_key) if args.cloud_url else None
    head, meta = None, None
    if "reward" in cfg.policies:
        try:
            head, meta = load_head(stack.device_folder, stack.cloud_name, zoo, None if args.cloud_url else args.cloud,
                                   folder_identity, device_model=stack.device_model)
        except InferenceError as exc:
            raise InferenceError(_head_advice(exc, stack.device_folder, stack.cloud_name, args, card)) from exc
    if card is not None and meta is not None:  # the reward rows would mean nothing for another model
        pin_remote(stack, card, meta, zoo)
    decoder = HybridDecoder(stack.device_model, stack.tokenizer, stack.cloud)
    models = {"device": folder_identity(stack.device_folder),
              # a remote cloud by where it is and the model it serves there (its weights are not ours to read)
              "cloud": (f"url {args.cloud_url} model {stack.cloud.model}" if args.cloud_url
                        else folder_identity(zoo.folder(args.cloud)))}

    logs: list[EvalLog] = []

    def open_log(fingerprint: dict) -> EvalLog:
        log_path = args.out / LOG_NAME
        existed = log_path.exists() and log_path.stat().st_size > 0
        older = (args.out / (LOG_NAME + BACKUP_SUFFIX)).exists()
        log = EvalLog.open(args.out, {**fingerprint, **models}, resume=args.resume)
        logs.append(log)
        if log.backup is not None:  # said before anything is decoded: the user can still stop and resume
            print(f"starting afresh (no --resume): the {log.backed_up} outputs {log_path} held are kept in "
                  f"{log.backup}{' (replacing the older one)' if older else ''}; to reuse them instead, stop "
                  f"this run, mv {shlex.quote(str(log.backup))} {shlex.quote(str(log_path))} and rerun with --resume", file=sys.stderr)
        elif existed and not args.resume:
            print(f"starting afresh: {log_path} held no outputs", file=sys.stderr)
        elif args.resume and not existed:
            print(f"nothing to resume: {log_path} did not exist; every request is decoded", file=sys.stderr)
        elif args.resume:
            print(f"resuming: {log_path} holds {len(log)} outputs; those of this run's requests and "
                  "configurations are reused"
                  + (f" ({log.unfinished} whose cloud calls failed are decoded again)" if log.unfinished else ""),
                  file=sys.stderr)
        return log

    try:
        with TaskProgress() as bar:
            result = evaluate(decoder, stack.tokenizer, requests, grader, cfg, head=head, head_meta=meta,
                              progress=bar.update, open_log=open_log, calibrate=calibrate_command(args),
                              warn=lambda text: print(f"warning: {text}", file=sys.stderr))
    finally:
        if stack.cloud is not None:
            stack.cloud.close()
    if args.resume and logs:
        total = len(result["rows"]) * len(result["requests"])
        print(f"reused {logs[0].reused} of this run's {total} outputs from the log, decoded "
              f"{total - logs[0].reused}", file=sys.stderr)
    rows = result["rows"]
    n = len(result["requests"])
    title = (f"eval {args.workload.name}: {n} request{'s' if n != 1 else ''}, device {args.device}, cloud "
             f"{args.cloud_url or args.cloud}, grader {args.grader}")
    print_table(title, rows, [
        ("policy", "{}"), ("threshold", "{:g}"), ("cloud_share", "{:.1%}"), ("quality", "{:.1%}"),
        ("quality_vs_cloud", "{:.1%}"), ("agreement", "{:.1%}"), ("tok_s", "{:.0f}"), ("cost", "{:.3f}"),
        ("cost_cut", "{:.1%}")])
    for line in left_out_notes(result["left_out"]):  # under the table: its quality/agreement cover fewer requests
        print(line)
    if args.cloud_url:  # a newcomer read a 94.2% cost cut remotely where the in-process cloud gave 10.1%
        print("cost is what the server reports it computed: a server with prefix caching computes less for a prompt "
              "an earlier row already sent, so cost_cut here includes its cache; compare policies' cost cuts with "
              "the in-process cloud (--cloud FOLDER)")
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {"workload": str(args.workload), "device": args.device, "cloud": args.cloud_url or args.cloud,
               "grader": args.grader, "pattern": args.pattern, "price_per_1k": cfg.price_per_1k,
               "max_new_tokens": cfg.max_new_tokens, "stop": list(cfg.stop),
               "complete": not any(r["missed_outputs"] for r in rows), **result}
    (args.out / "eval.json").write_text(json.dumps(payload, indent=2) + "\n")
    png = plot(rows, args.out / "eval.png", title)
    print(f"wrote {args.out / 'eval.json'} and {png}")
    if payload["complete"]:
        return 0
    print(_missed_warning(rows, n, args), file=sys.stderr)
    return 1


def left_out_notes(left_out: dict, shown: int = 5) -> list[str]:
    """The lines under eval's table for the requests its quality and agreement columns leave out
    (evaluate's "left_out"): how many, which, why, and a figure that cannot be measured said so."""
    out = []
    for figure, columns in (("quality", "quality and quality_vs_cloud leave"), ("agreement", "agreement leaves")):
        part = left_out[figure]
        k, n = part["count"], part["of"]
        if not k:
            continue
        if k == n:
            every = "the one request is" if n == 1 else f"each of the {n} requests is"
            out.append(f"{figure} cannot be measured ('-'): {every} {part['why']}")
            continue
        ids = ", ".join(repr(i) for i in part["ids"][:shown]) + (f" and {k - shown} more" if k > shown else "")
        out.append(f"{columns} out {k} of {n} requests ({ids}; cloud share and cost count "
                   f"{'it' if k == 1 else 'them'}): {'it is' if k == 1 else 'each is'} {part['why']}")
    return out


def _head_advice(exc: Exception, device_folder: Path, cloud_name: str, args: argparse.Namespace,
                 card: dict | None = None) -> str:
    """Why the reward policy cannot run, in eval's flags: a missing head names the exact calibrate
    command for the user's device and cloud (RewardHead.load's own hint names generate's flags);
    with --cloud-url, the cloud is the folder of the model the server says it serves."""
    from inference.errors import NoRewardHead
    from inference.runtime import head_dir

    if not isinstance(exc, NoRewardHead):  # there, but unreadable or for another cloud: its own message
        return f"{exc} (or leave reward out: --policies confidence)"
    folder = head_dir(device_folder, cloud_name)
    cloud = f"the cloud at {args.cloud_url} (serving {card.get('id')!r})" if card else f"cloud {args.cloud}"
    return (f"the reward policy needs a reward head for --device {args.device} and {cloud}, and {folder} "
            f"holds none: run `{calibrate_command(args, card)}` (add --workload {shlex.quote(str(args.workload))} to fit "
            "it to these requests), or leave reward out: --policies confidence")


def calibrate_command(args: argparse.Namespace, card: dict | None = None) -> str:
    """The calibrate command for eval's device and cloud, quoted for a shell: a user copies it as it is
    (with --cloud-url, the served model's folder is the user's to fill in)."""
    zoo = f" --zoo {shlex.quote(str(args.zoo))}" if args.zoo is not None else ""
    cloud = "<the folder of the model served there>" if card else shlex.quote(args.cloud)
    return f"fedhybrid calibrate{zoo} --device {shlex.quote(args.device)} --cloud {cloud}"


def _missed_warning(rows: list[dict], n: int, args: argparse.Namespace) -> str:
    """What a run whose cloud stopped answering tells its user: which rows lost cloud calls, how
    many outputs each, and how to finish them (the log keeps them unfinished: --resume decodes them)."""
    lost = [r for r in rows if r["missed_outputs"]]
    per_row = ", ".join(f"{_label(r)} {r['missed_outputs']} of {n}" for r in lost)
    where = f"at {args.cloud_url}" if args.cloud_url else f"({args.cloud}) within its deadline"
    return (f"warning: the cloud stopped answering {where}: {sum(r['missed_outputs'] for r in lost)} outputs lost "
            f"cloud calls ({per_row}); their device tokens stand where the cloud's should, so these rows' cloud "
            "share, quality and cost cut are not the configuration's. They are not kept as finished: once the "
            "cloud answers, rerun the same command with --resume to decode them again (the rest is reused)")

def _label(row: dict) -> str:
    """A row as its progress bar names it: 'cloud-only', 'confidence @ 0.5'."""
    return row["policy"] if row["threshold"] is None else f"{row['policy']} @ {row['threshold']:g}"
