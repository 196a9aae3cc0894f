"""`fedhybrid device serve`: a device agent answering its users over the OpenAI API."""

from __future__ import annotations

import argparse
import functools
import gc
import logging
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from agent.recent import DEFAULT_REMEMBER
from fedhybrid.commands.decode import chain_from_args, hop_args, loop_stop_arg

if TYPE_CHECKING:
    from agent.config import AgentConfig, RelayConfig
    from inference.zoo import Zoo

TOKENS_LIMIT = 256  # --max-tokens-limit when not given (lowered to a smaller model context)


def register(sub: argparse._SubParsersAction) -> None:
    device = sub.add_parser("device", help="run a device agent (OpenAI-compatible API, journal, rounds)")
    dsub = device.add_subparsers(dest="device_command", required=True, metavar="ACTION")
    serve = dsub.add_parser(
        "serve", help="serve a device's users with the hybrid decoder; rounds reach it through its SuperNode",
        description="A long-running device agent: POST /v1/completions and /v1/chat/completions (streaming or "
                    "not) answered by the device model, the correction cache and the cloud; every correction "
                    "journaled durably in <state-dir>/journal.sqlite; adapters and cache updates that rounds push "
                    "are swapped in without dropping a request. Listens on 127.0.0.1 unless --host says otherwise.")
    serve.add_argument("--tier", default="edge", choices=["client", "edge", "iot"], help="the device's tier profile")
    serve.add_argument("--device", required=True, help="stable device name (e.g. edge-3): names its keys and state")
    serve.add_argument("--model", default=None, help="zoo model or HF folder (default: the tier's zoo model)")
    serve.add_argument("--cloud-url", default=None,
                       help="the tier above: an OpenAI/vLLM-compatible server (default: the zoo's cloud model "
                            "in this process); one that is down at the start is logged and asked again at its "
                            "first call, the agent serving with its device and cache meanwhile")
    serve.add_argument("--cloud-api-key", default=None, help="bearer key for --cloud-url")
    serve.add_argument("--cloud-ca", type=Path, default=None, help="CA bundle to trust for an https --cloud-url")
    hop_args(serve)
    serve.add_argument("--recurring-to-cloud", action=argparse.BooleanOptionalAction, default=True,
                       help="with --hop: a question this agent answered before escalates to the cloud only "
                            "(the cache replays the cloud's answers; a hub's are never recorded, so a wrong one "
                            "would come back at every recurrence; default on)")
    serve.add_argument("--settle-recurring", action=argparse.BooleanOptionalAction, default=True,
                       help="a question this agent answered before: one cloud call at the end scores the tokens "
                            "the device chose unchecked, so the cache learns the cloud's answer to it (one call "
                            "per such request while the cache does not yet replay it all; default on)")
    serve.add_argument("--remember", type=int, default=DEFAULT_REMEMBER, metavar="N",
                       help="questions (and agreed answers) kept in memory to tell a recurrence; past N the "
                            f"oldest is forgotten and counts as new again (default {DEFAULT_REMEMBER})")
    serve.add_argument("--serve-hop", action="store_true",
                       help="also answer the tiers below at /hop (the cloud protocol over this agent's model: "
                            "their --hop TIER=http://HOST:PORT/hop)")
    serve.add_argument("--relay-url", default=None, metavar="URL",
                       help="the hub above (a device agent of the tier above, e.g. http://hub:8101) to fetch the "
                            "server's cache updates from between rounds (needs --key-dir: each is checked against "
                            "the server's signature, this device's tier and header, its version and budget)")
    serve.add_argument("--relay-api-key", default=None, help="the hub's --api-key, when it has one")
    serve.add_argument("--relay-interval", type=float, default=30.0, help="seconds between polls of --relay-url")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    serve.add_argument("--port", type=int, default=8100, help="TCP port (0: a free one, printed at the start)")
    serve.add_argument("--state-dir", type=Path, default=None, help="journal and installed state "
                       "(default: runs/agents/<device>)")
    serve.add_argument("--key-dir", type=Path, default=None,
                       help="keys from `fedhybrid keys init` (this device's signing key, the aggregator's and the "
                            "server's public keys); without it uploads go unsealed (servers with secure=false only)")
    serve.add_argument("--policy", default="reward", choices=["slm-only", "cloud-only", "reward", "confidence",
                                                               "fusion"],
                       help="how device tokens are routed to the tier above")
    serve.add_argument("--threshold", type=float, default=None,
                       help="default routing threshold (default: the tier's, else the calibrated tau); requests "
                            "may set their own")
    serve.add_argument("--privacy", default="allow", choices=["allow", "local-only", "redact"],
                       help="privacy of requests that name none (a request may name a looser one, unless "
                            "--privacy-floor forbids it)")
    serve.add_argument("--privacy-floor", default="allow", choices=["allow", "local-only", "redact"],
                       help="the loosest privacy any request gets, whatever its body or header names "
                            "(local-only: nothing of this device's requests reaches the cloud or leaves the device)")
    serve.add_argument("--api-key", default=None, help="require 'Authorization: Bearer KEY' on the OpenAI API")
    serve.add_argument("--max-queue", type=int, default=64,
                       help="requests that may wait besides the one decoding; more get 503")
    serve.add_argument("--max-tokens-limit", type=int, default=None,
                       help=f"most tokens one request may ask for (default: {TOKENS_LIMIT}, or the model's context "
                            "when smaller; a value above the context is refused at start)")
    serve.add_argument("--max-body-bytes", type=int, default=1 << 20,
                       help="larger request bodies to the OpenAI API (and /hop) get 413")
    serve.add_argument("--index-refresh", type=float, default=2.0,
                       help="seconds between folding new corrections into the served cache")
    loop_stop_arg(serve)
    serve.add_argument("--train-budget", type=float, default=30.0, help="seconds of local fine-tuning per round")
    serve.add_argument("--lora-seed", type=int, default=1234, help="the federation's lora-seed (frozen A)")
    serve.add_argument("--threads", type=int, default=1, help="torch threads (default 1: the other core builds)")
    serve.set_defaults(run=_serve)


# the flag that sets each AgentConfig field, so a value it refuses is named as the user typed it
_FLAGS = {"device": "--device", "policy": "--policy", "threshold": "--threshold", "privacy": "--privacy",
          "privacy_floor": "--privacy-floor", "index_refresh_s": "--index-refresh", "max_queue": "--max-queue",
          "train_budget_s": "--train-budget", "loop_stop": "--loop-stop", "remember": "--remember"}


def _flags_named(serve_fn):
    """`serve_fn` with an AgentConfig field it refuses named by its flag (`--index-refresh 0.0: ...`)."""

    @functools.wraps(serve_fn)
    def named(args: argparse.Namespace) -> int:
        from agent.config import AgentConfigError
        from agent.errors import AgentError

        try:
            return serve_fn(args)
        except AgentConfigError as exc:
            if exc.field not in _FLAGS:
                raise
            raise AgentError(exc.named(_FLAGS[exc.field])) from exc

    return named


@_flags_named
def _serve(args: argparse.Namespace) -> int:
    from agent.config import AgentConfig, RelayConfig
    from agent.errors import AgentError
    from agent.state_lock import hold_state_dir
    from inference.tier_profile import profile
    from inference.zoo import Zoo
    from serving.listener import bind
    from serving.start_limits import check_limit_flags

    # every check that needs no model comes first, then the port, then the models
    check_limit_flags(args.max_queue, args.max_tokens_limit, args.max_body_bytes)
    zoo = Zoo(args.zoo)
    tier = profile(args.tier)
    cfg = AgentConfig(device=args.device, profile=tier, state_dir=args.state_dir or Path("runs/agents") / args.device,
                      policy=args.policy, threshold=args.threshold, privacy=args.privacy,
                      privacy_floor=args.privacy_floor, lora_seed=args.lora_seed,
                      index_refresh_s=args.index_refresh, max_queue=args.max_queue, train_budget_s=args.train_budget,
                      loop_stop=args.loop_stop, recurring_to_cloud=args.recurring_to_cloud,
                      settle_recurring=args.settle_recurring, remember=args.remember)
    relay = None
    if args.relay_url:  # checked before any model loads
        if args.key_dir is None:
            raise AgentError("--relay-url needs --key-dir: relayed updates are installed only when the server's "
                             "signature verifies")
        relay = RelayConfig(args.relay_url, api_key=args.relay_api_key, interval_s=args.relay_interval)
    # a taken port, or a state folder another agent serves from, fails now, not after the models load
    with bind(args.host, args.port) as sock, hold_state_dir(cfg.state_dir):
        return _serve_on(args, sock, zoo, cfg, relay)


def _serve_on(args: argparse.Namespace, sock: socket.socket, zoo: Zoo, cfg: AgentConfig,
              relay: RelayConfig | None) -> int:
    import torch

    from agent.app import create_agent_app, write_token
    from agent.engine import AgentEngine
    from agent.sync import RoundRunner
    from inference.runtime import load_head
    from inference.zoo import context_length, load_causal_lm
    from serving.http_app import HttpConfig
    from serving.listener import bound_port, serve
    from serving.start_limits import tokens_limit

    port = bound_port(sock)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request at INFO: one line per cloud call, hop and relay poll buried the
    # agent's own lines (127 of a client hub's 128 log lines); its warnings still show
    logging.getLogger("httpx").setLevel(logging.WARNING)
    torch.set_num_threads(max(1, args.threads))
    # the decode worker shares the GIL with the HTTP event loop and the builder thread: hand it
    # back every 1 ms instead of 5 so a burst of arrivals or a rebuild never stalls a stream long
    sys.setswitchinterval(0.001)
    tier = cfg.profile
    model_ref = args.model or tier.model
    base, tokenizer = load_causal_lm(model_ref, zoo, expected_tokenizer_hash=zoo.tokenizer_hash)
    # refused before the head and the cloud load: the context is the model's, as the engine reads it
    max_tokens_limit = tokens_limit(args.max_tokens_limit, TOKENS_LIMIT,
                                    context_length(base))
    folder = zoo.folder(model_ref)
    cloud_name = zoo.model_name("cloud")
    log = logging.getLogger("fedhybrid.agent")
    unadaptable = not_adaptable(base)
    if unadaptable:  # said at start, not found at the first round (every round's reply would fail on it)
        log.warning("%s: the model serves, but rounds cannot adapt it: %s", args.device, unadaptable)
    head, meta = (None, None)
    from inference.model_identity import folder_identity

    if args.cloud_url:  # the served model is not known before the first call: the zoo cloud's head, else the only one
        from inference.runtime import remote_head_name

        cloud_name = remote_head_name(folder, cloud_name, None, zoo, folder_identity)
    if args.policy == "reward":
        from agent.errors import AgentError
        from inference.errors import NoRewardHead
        from inference.runtime import head_dir

        try:
            head, meta = load_head(folder, cloud_name, identify=folder_identity, device_model=base)
        except NoRewardHead as exc:
            cloud = "<the folder of the model at --cloud-url>" if args.cloud_url else cloud_name
            raise AgentError(f"no reward head in {head_dir(folder, cloud_name)}: run `fedhybrid calibrate --device "
                             f"{folder} --cloud {cloud} --target-cloud-share 0.1` for this pair, or serve with "
                             "--policy confidence --threshold 0.5") from exc
    cloud_down = None
    if args.cloud_url:
        from inference.runtime import remote_pin
        from serving.remote_cloud import RemoteCloud, RemoteCloudConfig

        # the head routes for the cloud it was calibrated with: a server reporting another model is refused
        pin, why = remote_pin(meta, folder, cloud_name, zoo, folder_identity) if meta is not None else (None, "")
        cloud = RemoteCloud(RemoteCloudConfig(args.cloud_url, api_key=args.cloud_api_key,
                                              verify_tls=str(args.cloud_ca) if args.cloud_ca else True,
                                              expect_identity=pin, expect_why=why))
        # A device that reboots during a cloud outage serves its users as a running one does when
        # its cloud goes (the device and its cache): a cloud that does not answer now is checked
        # again at its first call; one that answers with another tokenizer is refused here (exit 2),
        # since no call to it could ever succeed.
        cloud.connect_later(tokenizer)
        cloud_down = cloud.probe()
        if cloud_down is not None:
            log.warning("%s: starting without the cloud (%s); until it answers, the tokens it would correct go "
                        "out uncorrected (the device and its cache answer alone) and /health says cloud: failing",
                        args.device, cloud_down)
    else:
        from inference.cloud import LocalCloud

        cloud = LocalCloud(load_causal_lm("cloud", zoo)[0])
    cloud = chain_from_args(args, cloud, tokenizer, tier.deadline_s)
    channel = None
    if args.key_dir is not None:
        from cache_sync.channel import DeviceChannel

        channel = DeviceChannel.load(args.key_dir, args.device)
    else:
        log.warning("no --key-dir: uploads are not sealed and cache updates are not verified (servers with "
                    "secure=false only)")
    engine = AgentEngine(cfg, base, tokenizer, cloud, head, meta, model_name=f"{args.device}")
    if cloud_down is not None:
        engine.note_cloud_down()  # /health right from the first request
    token = write_token(cfg.token_path)
    # Everything loaded so far (models, libraries) lives as long as the process: move it out of
    # the collector's reach, so a full collection never walks it mid-answer (measured: the first
    # full collection under load stalled a stream ~165 ms).
    gc.collect()
    gc.freeze()
    http_cfg = HttpConfig(api_key=args.api_key, max_tokens_limit=max_tokens_limit, max_body_bytes=args.max_body_bytes)
    hop = None
    if args.serve_hop:
        from agent.hop import AgentHop

        hop = AgentHop(engine, f"{args.device}-hop")
    runner = RoundRunner(engine, channel)
    app = create_agent_app(engine, runner, http_cfg, token, hop.app(http_cfg) if hop is not None else None)
    poller = None
    if relay is not None:
        from agent.relay import RelayPoller

        poller = RelayPoller(engine, runner.lock, channel.server_key, relay)
        poller.start()
    print(f"device {args.device} ({tier.tier}, model {Path(str(model_ref)).name}) serving at "
          f"http://{args.host}:{port}/v1; journal {cfg.journal_path}; admin token {cfg.token_path}"
          + (f"; answering the tiers below at http://{args.host}:{port}/hop" if hop is not None else "")
          + (f"; cache updates also from the hub at {relay.url}" if relay is not None else ""),
          flush=True)
    def stopping(sig: int) -> None:
        import signal

        print(f"device {args.device}: {signal.Signals(sig).name}: stopping; finishing "
              f"{engine.queued + int(engine.busy)} request(s) queued or decoding, taking no new ones", flush=True)

    try:
        serve(app, sock, on_stop=stopping)
    finally:  # also on SIGTERM (serve ends it as SystemExit once the requests in flight are done)
        if poller is not None:
            poller.close()
        if hop is not None:
            hop.close()
        engine.close()
        cloud.close()
        print(f"device {args.device}: stopped", flush=True)
    return 0


def not_adaptable(model) -> str | None:
    """Why federated rounds could not fit a LoRA adapter to `model` (no target modules known for
    its architecture), or None. The agent still serves such a model."""
    from inference.errors import InferenceError
    from inference.lora import target_modules_for

    try:
        target_modules_for(model)
    except InferenceError as exc:
        return str(exc)
    return None
