"""`fedhybrid cloud serve`: the cloud tier as an OpenAI/vLLM-compatible HTTP service."""

from __future__ import annotations

import argparse
import gc
import socket
from pathlib import Path

TOKENS_LIMIT = 512  # --max-tokens-limit when not given (lowered to a smaller model context)


def register(sub: argparse._SubParsersAction) -> None:
    cloud = sub.add_parser("cloud", help="run the cloud tier as an HTTP service")
    csub = cloud.add_subparsers(dest="cloud_command", required=True, metavar="ACTION")
    serve = csub.add_parser("serve", help="serve a model over vLLM's OpenAI-compatible completions API")
    serve.add_argument("--model", default="cloud", help="zoo tier/model name or an HF model folder")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    serve.add_argument("--port", type=int, default=8000, help="TCP port (0: a free one, printed at the start)")
    serve.add_argument("--api-key", default=None, help="require 'Authorization: Bearer KEY'")
    serve.add_argument("--tls-cert", type=Path, default=None, help="PEM certificate (enables HTTPS)")
    serve.add_argument("--tls-key", type=Path, default=None, help="PEM private key for --tls-cert")
    serve.add_argument("--max-sessions", type=int, default=64, help="sequences kept for prefix reuse")
    serve.add_argument("--max-cached-tokens", type=int, default=65536, help="cap on tokens held in KV caches")
    serve.add_argument("--no-prefix-reuse", action="store_true", help="recompute every prompt (benchmarks)")
    serve.add_argument("--max-body-bytes", type=int, default=1 << 20, help="larger request bodies get 413")
    serve.add_argument("--max-tokens-limit", type=int, default=None,
                       help=f"most tokens one request may ask for (default: {TOKENS_LIMIT}, or the model's context "
                            "when smaller; a value above the context is refused at start)")
    serve.add_argument("--max-queue", type=int, default=256,
                       help="requests that may wait besides the one decoding; more get 503")
    serve.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    serve.set_defaults(run=_serve)


def _serve(args: argparse.Namespace) -> int:
    from serving.errors import ServingError
    from serving.listener import bind
    from serving.start_limits import check_limit_flags

    if (args.tls_cert is None) != (args.tls_key is None):
        raise ServingError("--tls-cert and --tls-key go together")
    check_limit_flags(args.max_queue, args.max_tokens_limit, args.max_body_bytes)
    with bind(args.host, args.port) as sock:  # a taken port fails now, not after the model loads
        return _serve_on(args, sock)


def _serve_on(args: argparse.Namespace, sock: socket.socket) -> int:
    import torch

    from inference.zoo import Zoo, context_length, load_causal_lm
    from serving.cloud_engine import CloudEngine
    from serving.cloud_server import create_cloud_app
    from serving.http_app import HttpConfig
    from serving.listener import bound_port, serve
    from serving.prefix_engine import PrefixEngine
    from serving.start_limits import tokens_limit

    if args.threads:
        torch.set_num_threads(args.threads)
    zoo = Zoo(args.zoo) if (args.zoo or not Path(args.model).is_dir()) else None
    model, tokenizer = load_causal_lm(args.model, zoo)
    context = context_length(model)  # as PrefixEngine reads it (inference.zoo)
    max_tokens_limit = tokens_limit(args.max_tokens_limit, TOKENS_LIMIT, context)
    name = zoo.model_name(args.model) if zoo and (args.model in zoo.tiers or args.model in zoo.names) else Path(args.model).name
    prefix = PrefixEngine(model, max_entries=args.max_sessions, max_cached_tokens=args.max_cached_tokens,
                          prefix_reuse=not args.no_prefix_reuse)
    from inference.model_identity import folder_identity

    folder = zoo.folder(args.model) if zoo else Path(args.model)
    engine = CloudEngine(prefix, tokenizer, name, max_queue=args.max_queue, model_identity=folder_identity(folder))
    app = create_cloud_app(engine, HttpConfig(api_key=args.api_key, max_body_bytes=args.max_body_bytes,
                                              max_tokens_limit=max_tokens_limit))
    gc.collect()
    gc.freeze()  # the models and libraries live as long as the process: keep full collections off them
    scheme = "https" if args.tls_cert else "http"
    print(f"serving {name} at {scheme}://{args.host}:{bound_port(sock)}/v1 (vocab {len(tokenizer)})", flush=True)
    def stopping(sig: int) -> None:  # as `device serve` says it: a draining server is not a hung one
        import signal

        print(f"cloud {name}: {signal.Signals(sig).name}: stopping; finishing "
              f"{engine.queued + int(engine.busy)} request(s) queued or decoding, taking no new ones", flush=True)

    try:
        serve(app, sock, on_stop=stopping, ssl_certfile=str(args.tls_cert) if args.tls_cert else None,
              ssl_keyfile=str(args.tls_key) if args.tls_key else None)
    finally:  # also on SIGTERM (serve ends it as SystemExit(143) once the requests in flight are done)
        engine.close()
        print(f"cloud {name}: stopped", flush=True)
    return 0
