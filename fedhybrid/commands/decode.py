"""`fedhybrid generate` and `fedhybrid calibrate`: hybrid decoding from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.text import Text

COLOURS = {"device": "green", "cloud": "bold magenta", "cache": "cyan"}


def register(sub: argparse._SubParsersAction) -> None:
    gen = sub.add_parser("generate", help="decode one prompt with the hybrid decoder, coloured by provenance")
    gen.add_argument("prompt", help="the prompt text (wordmath prompts look like 'Q: ...\\nA:')")
    gen.add_argument("--tier", default="edge", help="device tier, zoo model or HF folder (default: edge)")
    gen.add_argument("--cloud", default="cloud", help="cloud zoo model or HF folder (default: cloud)")
    gen.add_argument("--cloud-url", default=None,
                     help="use a remote OpenAI/vLLM-compatible cloud instead (e.g. http://127.0.0.1:8000)")
    gen.add_argument("--api-key", default=None, help="bearer key for --cloud-url")
    hop_args(gen)
    gen.add_argument("--policy", default="reward",
                     choices=["slm-only", "cloud-only", "reward", "confidence", "fusion"],
                     help="how device tokens are routed to the cloud")
    gen.add_argument("--threshold", type=float, default=None,
                     help="tau for reward (accept when r_hat >= -tau; default: calibrated), "
                          "top-probability floor for confidence/fusion")
    gen.add_argument("--fusion-weight", type=float, default=0.7, help="cloud weight for fusion")
    gen.add_argument("--max-new-tokens", type=int, default=128, help="tokens to generate at most")
    gen.add_argument("--verify", action="store_true", help="verify and roll back accepted tokens")
    loop_stop_arg(gen)
    gen.add_argument("--temperature", type=_temperature, default=0.0, help="0: greedy; at most 2, as in the API")
    gen.add_argument("--seed", type=int, default=0, help="sampling seed (with --temperature > 0)")
    gen.add_argument("--deadline", type=float, default=None, help="cloud deadline in seconds (default: tier's)")
    gen.add_argument("--privacy", default="allow", choices=["allow", "local-only", "redact"],
                     help="local-only: nothing reaches the cloud; redact: e-mails and digit runs are masked "
                          "before the cloud sees the prompt")
    gen.set_defaults(run=_generate)

    cal = sub.add_parser("calibrate", help="train the reward head of a device/cloud pair and calibrate tau")
    cal.add_argument("--device", default="edge", help="device tier, zoo model or HF folder")
    cal.add_argument("--cloud", default="cloud", help="cloud tier, zoo model or HF folder")
    cal.add_argument("--target-cloud-share", type=float, default=None,
                     help="pick tau so this share of tokens goes to the cloud on held-out data")
    cal.add_argument("--train-problems", type=int, default=400,
                     help="word problems whose decoded tokens label the head's training set")
    cal.add_argument("--calib-problems", type=int, default=64,
                     help="held-out problems that build the tau table (and as many that check it)")
    cal.add_argument("--grid", type=int, default=10, help="tau values in the calibration table")
    cal.add_argument("--seed", type=int, default=0, help="draws the problems and the head's initialisation")
    cal.add_argument("--labels", choices=["consequence", "disagreement"], default="disagreement",
                     help="what the head learns: disagreement (default) labels every token the cloud would not "
                          "have written; consequence labels a device token by the cloud's disagreement only where "
                          "taking it changes the graded answer (one cloud rollout per disagreement; README: Routing)")
    cal.add_argument("--inconsequential-weight", type=float, default=0.2,
                     help="with consequence labels: the weight of a disagreement that leaves the answer as it was "
                          "(0: such tokens rank with the ones the cloud agrees with; 1: plain disagreement)")
    cal.add_argument("--retarget", action="store_true",
                     help="keep the trained head and its table; only pick tau for --target-cloud-share again")
    cal.add_argument("--workload", type=Path, default=None,
                     help="calibrate on your requests (a .jsonl/.csv/.parquet file or folder; 60%% label the head, "
                          "20%% build the tau table, 20%% check it) instead of the zoo's word problems")
    cal.add_argument("--columns", default=None, help="with --workload: map fields to columns (prompt=question,...)")
    cal.add_argument("--grader", default="auto",
                     choices=["auto", "exact-number", "exact-match", "contains", "regex", "agreement-with-cloud"],
                     help="with --workload: how the table's accuracy is judged")
    cal.add_argument("--pattern", default=None, help="with --grader regex: the pattern")
    cal.add_argument("--stop", action="append", default=[], help="with --workload: a stop string (repeatable)")
    cal.set_defaults(run=_calibrate)


def loop_stop_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--loop-stop", type=int, default=32, metavar="N",
                        help="end a request once its last N tokens are one cycle of <= 4 tokens (a model looping "
                             "on '\\n#'): every further token would be more of it, escalated ones at a cloud "
                             "token each (default 32; 0: off; else >= 8)")


def _temperature(text: str) -> float:
    """The OpenAI API's range, [0, 2], which `device serve` and `cloud serve` hold requests to."""
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from exc
    if not 0.0 <= value <= 2.0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text} must lie in [0, 2] (0: greedy), as a request's temperature does")
    return value


def _hop(spec: str):
    """--hop parsed by argparse, so a malformed one is exit 2 before any model loads."""
    from fedhybrid.hops import HopSpecError, parse_hop

    try:
        return parse_hop(spec)
    except HopSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--hop ")) from exc


def hop_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hop", action="append", default=[], type=_hop,
                        metavar="TIER=URL[,confidence=P,deadline=S,price=X]",
                        help="a tier above to ask before the cloud (repeatable, in order; e.g. "
                             "edge=http://hub:8101): its answer is taken when its top-1 probability >= P "
                             "(default 0.6), a hop down, late (S seconds, default 0.5) or garbled is skipped")
    parser.add_argument("--cloud-price", type=float, default=1.0,
                        help="with --hop: the cloud's price per 1k tokens it computes (hops have their own)")


def chain_from_args(args: argparse.Namespace, cloud, tokenizer, deadline_s: float):
    """`cloud`, or the escalation chain --hop describes ending at it."""
    if not args.hop:
        return cloud
    from fedhybrid.hops import build_chain

    return build_chain(args.hop, cloud, tokenizer, deadline_s, args.cloud_price)


def connect_remote(stack, zoo, url: str, api_key: str | None) -> dict:
    """Point `stack` at the cloud server at `url` (generate's and eval's --cloud-url) and return its
    model card: connected first, so a server of another tokenizer is refused before any head is
    looked for, then `stack.cloud_name` names the head for the served model (`remote_head_name`)."""
    from inference.model_identity import folder_identity
    from inference.runtime import remote_head_name
    from serving.remote_cloud import RemoteCloud, RemoteCloudConfig

    stack.cloud = RemoteCloud(RemoteCloudConfig(url, api_key=api_key))
    card = stack.cloud.connect(stack.tokenizer)
    stack.cloud_name = remote_head_name(stack.device_folder, zoo.model_name("cloud"), card, zoo, folder_identity)
    return card


def pin_remote(stack, card: dict, meta: dict, zoo) -> None:
    """Refuse the server of `card` when it reports another model than the one the head (`meta`)
    was calibrated for: the head's tau would route for a cloud that is not there."""
    from inference.model_identity import folder_identity
    from inference.runtime import remote_pin

    stack.cloud.expect(card, *remote_pin(meta, stack.device_folder, stack.cloud_name, zoo, folder_identity))


def _generate(args: argparse.Namespace) -> int:
    from inference.decoder import HybridDecoder
    from inference.errors import InferenceError
    from inference.generation import DecodeConfig
    from inference.model_identity import folder_identity
    from inference.privacy import PrivacyPolicy
    from inference.router import make_policy
    from inference.runtime import load_head, load_stack, resolve_threshold
    from inference.tier_profile import DEFAULT_PROFILES
    from inference.tokenizer import encode_prompt
    from inference.zoo import Zoo, context_length

    zoo = Zoo(args.zoo)
    local_cloud = None if args.policy == "slm-only" or args.cloud_url else args.cloud
    stack = load_stack(zoo, args.tier, local_cloud)
    card = None
    if args.cloud_url and args.policy != "slm-only":
        card = connect_remote(stack, zoo, args.cloud_url, args.api_key)
    profile = DEFAULT_PROFILES.get(args.tier)
    head, meta = (None, None)
    if args.policy == "reward":
        head, meta = load_head(stack.device_folder, stack.cloud_name, zoo, local_cloud, folder_identity,
                               device_model=stack.device_model)
    if card is not None and meta is not None:
        pin_remote(stack, card, meta, zoo)
    threshold = resolve_threshold(args.policy, args.threshold, profile, meta)
    policy = make_policy(args.policy, threshold, head=head, weight=args.fusion_weight)
    deadline = args.deadline or (profile.deadline_s if profile else 2.0)
    if stack.cloud is not None:
        stack.cloud = chain_from_args(args, stack.cloud, stack.tokenizer, deadline)
    cfg = DecodeConfig(max_new_tokens=args.max_new_tokens, verify=args.verify,
                       temperature=args.temperature, seed=args.seed, deadline_s=deadline, loop_stop=args.loop_stop)
    decoder = HybridDecoder(stack.device_model, stack.tokenizer, stack.cloud)
    console = Console(highlight=False, soft_wrap=True)  # piped: no line breaks inside the answer
    prompt = args.prompt.replace("\\n", "\n")
    ids = encode_prompt(stack.tokenizer, prompt)
    limit = context_length(stack.device_model)
    if not ids:
        raise InferenceError("the prompt is empty: give the text to continue, e.g. 'Q: ...\\nA:'")
    if len(ids) >= limit:
        raise InferenceError(f"the prompt has {len(ids)} tokens; the {args.tier} model's context holds {limit}: "
                             "shorten the prompt")
    console.print(Text(prompt, style="dim"), end="")
    shown: list[int] = []
    printed = ""

    def on_token(token: int, provenance) -> None:
        nonlocal printed
        shown.append(token)
        # decode the whole stream each time: byte-level pieces may split characters
        text = stack.tokenizer.decode(shown, skip_special_tokens=True)
        console.print(Text(text[len(printed):], style=COLOURS[provenance.value]), end="")
        printed = text

    try:
        gen = decoder.generate(ids, policy, cfg, on_token=on_token, privacy=PrivacyPolicy(args.privacy))
    finally:
        if stack.cloud is not None:
            stack.cloud.close()
    console.print()
    console.print(
        f"[dim]tokens {len(gen.token_ids)} | cloud share {gen.cloud_share:.1%} | cache share "
        f"{gen.cache_share:.1%} | {gen.tokens_per_s:.0f} tok/s | policy {policy.name}"
        f"{'' if threshold is None else f' @ {threshold:g}'} | rollbacks {gen.rollbacks} | "
        f"missed escalations {gen.missed_escalations}"
        f"{f' | stopped: the last {cfg.loop_stop} tokens looped' if gen.loop_stopped else ''}[/dim]")
    summary = getattr(stack.cloud, "summary", None)
    if summary is not None:  # an escalation chain: who answered, at what cost
        console.print("[dim]" + escape(" | ".join(map(_hop_line, summary()))) + "[/dim]")
    return 0


def _hop_line(h: dict) -> str:
    """'client: 3 answered, 4 passed up, 1 failed (last: <why>), cost 0.012'"""
    why = f" (last: {h['last_failure']})" if h["last_failure"] else ""
    return (f"{h['tier']}: {h['answered']} answered, {h['escalated']} passed up, {h['failed']} failed{why}, "
            f"cost {h['cost']:.3f}")


def _calibrate(args: argparse.Namespace) -> int:
    from fedhybrid.progress import TaskProgress
    from fedhybrid.run_config import stop_strings
    from inference.model_identity import folder_identity
    from inference.runtime import CLOUD_IDENTITY, DEVICE_IDENTITY, head_dir, load_head, load_stack
    from inference.tokenizer import tokenizer_hash
    from inference.zoo import Zoo
    from training.calibrate import CalibrationConfig, calibrate, retarget
    from training.errors import TrainingError

    zoo = Zoo(args.zoo)
    cfg = CalibrationConfig(train_problems=args.train_problems, calib_problems=args.calib_problems,
                            grid=args.grid, seed=args.seed, labels=args.labels,
                            inconsequential_weight=args.inconsequential_weight)
    if args.retarget and args.target_cloud_share is None:
        raise TrainingError("--retarget needs --target-cloud-share")
    requests = None
    if args.workload is not None:  # read and checked before any model is loaded
        from training.calibrate import cloud_requests
        from workloads.files import load_workload, parse_columns

        requests, left_out = cloud_requests(load_workload(args.workload, parse_columns(args.columns)))
        if left_out:
            print(f"calibrate: left out the {left_out} request{'s' if left_out != 1 else ''} of {args.workload} "
                  "marked sensitive (never sent to the cloud, so they neither label the head nor build its table); "
                  f"calibrating on the other {len(requests)}", file=sys.stderr)
    stack = load_stack(zoo, args.device, args.cloud)
    # the head is found by the cloud folder's name: check the head a retarget reuses or calibrate replaces
    out = head_dir(stack.device_folder, stack.cloud_name)
    cloud_identity = folder_identity(zoo.folder(args.cloud))
    if args.retarget:
        load_head(stack.device_folder, stack.cloud_name, zoo, args.cloud, folder_identity,
                  device_model=stack.device_model)
    else:
        _check_replaced_head(out, zoo, args.cloud, cloud_identity)
    sets = None
    if requests is not None:
        from fedhybrid.workload_eval import prompt_ids
        from inference.tokenizer import stop_token_ids
        from training.calibration_sets import workload_sets
        from workloads.graders import Grader

        stops = stop_strings(args.stop)
        sets = workload_sets(requests, Grader(args.grader, args.pattern), lambda r: prompt_ids(stack.tokenizer, r),
                             stop_token_ids(stack.tokenizer, stops), seed=args.seed,
                             source={"path": str(args.workload), "columns": args.columns, "grader": args.grader,
                                     "requests": len(requests), "sensitive_left_out": left_out})
    if args.retarget:
        meta = retarget(stack.device_model, stack.cloud, stack.tokenizer, out, cfg, args.target_cloud_share,
                        sets=sets)
        stack.cloud.close()
        _print_calibration(meta, out)
        return 0
    with TaskProgress() as progress:  # rich bars on a terminal, plain lines in a log
        meta = calibrate(stack.device_model, stack.cloud, stack.tokenizer, out, cfg,
                         target_cloud_share=args.target_cloud_share,
                         meta={"device": args.device, "cloud": stack.cloud_name, CLOUD_IDENTITY: cloud_identity,
                               DEVICE_IDENTITY: folder_identity(stack.device_folder),
                               "tokenizer_hash": tokenizer_hash(stack.tokenizer)}, progress=progress.update,
                         sets=sets)
    stack.cloud.close()
    _print_calibration(meta, out)
    return 0


def _check_replaced_head(out: Path, zoo, cloud: str, cloud_identity: str) -> None:
    """Calibrating replaces the head in `out`: refuse to replace the zoo's own head with one for
    another cloud model that has its folder name; say so when a head of another cloud is replaced."""
    import json

    from inference.errors import InferenceError
    from inference.model_identity import folder_identity
    from inference.reward_head import CONFIG_FILE
    from inference.runtime import calibrated_for

    try:
        previous = json.loads((out / CONFIG_FILE).read_text())
    except (OSError, ValueError):  # no head there yet (or an unreadable one): nothing worth keeping
        return
    if not isinstance(previous, dict):
        return
    expected, recorded = calibrated_for(previous, out, zoo, folder_identity)
    if expected is None or expected == cloud_identity:
        return
    if not recorded:
        raise InferenceError(
            f"{out} holds the zoo's reward head for its own {out.name.removeprefix('reward-')} model, and --cloud "
            f"{cloud} is another model (identity {cloud_identity[:12]}, the zoo's {expected[:12]}) in a folder of "
            f"that name: calibrating would replace the zoo's head; calibrate a copy of the device model instead "
            f"(`cp -r {out.parent} my-{out.parent.name}`, then --device my-{out.parent.name})")
    print(f"calibrate: replacing the head in {out}, calibrated for another cloud model (identity {expected[:12]}), "
          f"with one for {cloud} (identity {cloud_identity[:12]})", file=sys.stderr)


def _print_calibration(meta: dict, out) -> None:
    console = Console()
    head = meta["head"]
    console.print("head: " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                       for k, v in head.items()) if isinstance(head, dict) else f"head: {head}")
    for row in sorted(meta["table"], key=lambda r: r["tau"]):
        console.print(f"tau {row['tau']:8.4f}  cloud share {row['cloud_share']:6.1%}  accuracy {row['accuracy']:6.1%}")
    for name, row in meta["baseline"].items():
        console.print(f"{name:>10s}  cloud share {row['cloud_share']:6.1%}  accuracy {row['accuracy']:6.1%}")
    if "target" in meta:
        t = meta["target"]
        console.print(f"target {t['cloud_share']:.1%}: tau={t['tau']:.4f}, calibration share "
                      f"{t['calibration_share']:.1%}, held-out check share {t['heldout_share']:.1%} "
                      f"(accuracy {t['heldout_accuracy']:.1%})")
    console.print(f"written to {out}")
