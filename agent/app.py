"""The device agent's HTTP surface: the shared OpenAI layer for its users, and an admin API
on the same loopback port for the round's ClientApp and for operators.

Admin endpoints need `Authorization: Bearer <token>`, the token the agent writes (mode
0600) to `<state-dir>/admin.token` at start; the POSTs speak msgpack (`agent.wire`), the GETs answer JSON:
- GET  /admin/v1/identity: device, tier, model, installed versions;
- POST /admin/v1/round: one federated round (`agent.sync`), RoundRequest -> RoundReply;
- POST /admin/v1/install: push an adapter and/or a signed cache diff now (the same install
  rounds use), e.g. to roll out an adapter between rounds (`agent.wire.InstallRequest`); all
  or nothing: a part that does not open or apply refuses the push (400) and installs nothing;
- GET  /admin/v1/journal: journal counters (records, corrections, uploads).

A hub also serves, read-only and behind the OpenAI API's key when it has one:
- GET  /relay/v1/updates?tier=T&since=V: the server-signed update a device of tier T at
  cache version V needs, as the server signed it (application/octet-stream), or 204 when
  there is nothing newer (agent/relay.py); 400 naming the relayed tiers for any other T or a
  missing T or V, 404 for a tier this agent's own never relays (only the tier just below it).
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp

from agent.engine import AgentEngine
from agent.errors import AgentError
from agent.relay import RELAY_TIERS, TIER_ABOVE, TIER_BELOW
from agent.relay import ROUTE as RELAY_ROUTE
from agent.sync import RoundRunner
from agent.wire import decode_adapter, pack_reply, unpack_install, unpack_request
from cache_sync.errors import CacheError
from inference.errors import InferenceError
from serving.http_app import HttpConfig, create_app
from serving.openai_protocol import OpenAIError

log = logging.getLogger("fedhybrid.agent")
MSGPACK = "application/msgpack"


def write_token(path: Path) -> str:
    """A fresh admin token, written durably with mode 0600."""
    token = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return token


def create_agent_app(engine: AgentEngine, runner: RoundRunner, cfg: HttpConfig, admin_token: str,
                     hop_app: ASGIApp | None = None) -> ASGIApp:
    """The agent's server; with `hop_app` (agent/hop.py) it also answers the tiers below at /hop."""
    rounds = runner.lock  # one install at a time (a retried round waits for the first; relays wait too)

    def run_round(body: bytes) -> bytes:
        with rounds:
            return pack_reply(runner.run(unpack_request(body)))

    def install(body: bytes) -> dict:
        # all or nothing: every part opened and checked before anything is installed, and a part
        # that is unusable refuses the whole push (400, its reason), as a bad adapter always did
        req = unpack_install(body)
        round_ = req.round if req.round is not None else engine.round
        adapter = decode_adapter(req.adapter) if req.adapter else None
        update = runner.open_update(req.cache_update, round_) if req.cache_update else None
        with rounds:  # the table the diff applies to is the one installed now, not before a relay's install
            released, version = None, engine.cache_version
            if update is not None:
                released, version = runner.applied(update, round_), update.version
            adapter_version = (req.adapter_version or round_) if adapter is not None else engine.adapter_version
            dep = engine.install(adapter, adapter_version, released, version, round_)
        return {"adapter_version": dep.adapter_version, "cache_version": dep.cache_version, "swaps": engine.swaps}

    def relay_query(request: Request) -> tuple[str, int]:
        """(tier, since) of a relay poll. A tier no hub holds updates of is refused, not answered
        204: 'nothing newer' would keep a device with a mistyped tier polling, believing it current."""
        valid = ", ".join(RELAY_TIERS)
        query = request.query_params
        tier, since = query.get("tier"), query.get("since")
        for name, value in (("tier", tier), ("since", since)):
            if value is None:  # a poll without its version would be handed the whole view every time
                raise OpenAIError(400, f"the query needs tier=T (one of {valid}) and since=V (the cache version "
                                       f"the device holds): GET {RELAY_ROUTE}?tier=iot&since=3", name)
        if tier not in RELAY_TIERS:
            raise OpenAIError(400, f"tier {tier!r} is not a tier a hub relays to: use one of {valid}", "tier")
        own = engine.cfg.profile.tier
        held = TIER_BELOW.get(own)
        if tier != held:  # the server hands an agent the updates of the tier just below its own only
            holds = f"it holds tier {held}'s updates only" if held else f"{own} agents hold none"
            above = TIER_ABOVE.get(tier)
            fix = (f"point the --relay-url of {tier} devices at an agent of tier {above}" if above else
                   f"no agent relays tier {tier}'s updates: {tier} devices take theirs from the rounds")
            hint = f"{holds}; {fix}"
            raise OpenAIError(404, f"this agent ({engine.cfg.device}, tier {own}) never holds updates for tier "
                                   f"{tier} ({hint})", "tier")
        if not since.isascii() or not since.isdigit():
            raise OpenAIError(400, f"since={since!r} must be a cache version (an integer >= 0)", "since")
        return tier, int(since)

    def extend(app: FastAPI) -> None:
        if hop_app is not None:
            app.mount("/hop", hop_app)

        @app.get("/admin/v1/identity")
        async def identity(request: Request) -> dict:
            return {"device": engine.cfg.device, "tier": engine.cfg.profile.tier, "model": engine.model_name,
                    "adapter_version": engine.current.adapter_version,
                    "cache_version": engine.current.cache_version, "round": engine.round}

        @app.post("/admin/v1/round")
        async def round_(request: Request) -> Response:
            body = await request.body()
            try:
                reply = await run_in_threadpool(run_round, body)
            except (AgentError, CacheError, InferenceError) as exc:
                raise OpenAIError(400, f"round refused: {exc}", "body") from exc
            return Response(reply, media_type=MSGPACK)

        @app.post("/admin/v1/install")
        async def push(request: Request) -> dict:
            body = await request.body()
            try:
                return await run_in_threadpool(install, body)
            except (AgentError, CacheError, InferenceError) as exc:
                raise OpenAIError(400, f"install refused: {exc}", "body") from exc

        @app.get(RELAY_ROUTE)
        async def relayed(request: Request) -> Response:
            tier, since = relay_query(request)
            signed = runner.relay.pick(tier, since)
            if signed is None:
                return Response(status_code=204)
            return Response(signed, media_type="application/octet-stream")

        @app.get("/admin/v1/journal")
        async def journal(request: Request) -> dict:
            j = engine.journal
            return {"records": await run_in_threadpool(j.count), "last_seq": j.last_seq(),
                    "corrections": j.corrections_total(), "uploaded_upto": j.meta("uploaded_upto"),
                    **j.upload_counts()}

    # every /admin/ route takes `admin_token`, checked in front of the app (serving.transport.Front)
    # from the headers, before the body is read
    return create_app(engine, cfg, title=f"fedhybrid device {engine.cfg.device}", extend=extend,
                      admin_token=admin_token, admin_hint=f" from {engine.cfg.token_path}")
