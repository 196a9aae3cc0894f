"""The OpenAI-compatible HTTP layer shared by `fedhybrid cloud serve` and `fedhybrid device serve`.

Thin on purpose: parse and validate a request, tokenize it off the event loop, turn it into
`serving.engine_api.Job`s, stream the engine's events back (server-sent events, one per
token, as OpenAI and vLLM clients expect) or gather them into one JSON body. The engine
(any `ServedEngine`) never sees HTTP.

Endpoints: POST /v1/completions, POST /v1/chat/completions, GET /v1/models,
GET /v1/models/{id}, GET /health, GET /metrics (Prometheus text). Every error has the OpenAI
shape {"error": {"message", "type", "param", "code"}} with the right status: 400 for a bad
field (named in `param`; the message says what was sent and what to send), 401 without the
API key, 404 for an unknown model or route, 413 for a body over the limit however it is sent,
503 when the engine's queue is full.

Every response carries `x-request-id`: the client's own when it sends a valid one, else one
made here (`serving.request_id`); a completion's `id` is its prefix and that id, and its
engine jobs are named after it (a device agent journals each request under it).

`fedhybrid_requests_total{endpoint, status}` counts every request to a /v1/ or /admin/ path and every
401 (no or a wrong key) and 413 (a body over the limit) on any path; `endpoint` is the
route's path, or "other" for a path no route serves (so that clients cannot add label
values, and series, by inventing paths).

Per-request routing dials (device agents) come from the body or from headers:
`x-fedhybrid-privacy: local-only|redact|allow`, `x-fedhybrid-threshold: 0.3`,
`x-fedhybrid-target-cloud-share: 0.1` (privacy: the stricter of the two when both are given;
the others: the body's).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from inference.privacy import MODES, strictest
from serving.engine_api import EngineOverloaded, Job, JobDone, JobFailed, RoutingParams, SamplingParams, TokenEvent
from serving.engine_gauges import EngineGauges
from serving.errors import ServingError
from serving.openai_protocol import ChatCompletionRequest, CompletionRequest, OpenAIError
from serving.openai_shapes import ChatShape, CompletionShape, sse_event, usage
from serving.request_id import REQUEST_ID, RefuseBadRequestId, RequestId
from serving.transport import BodyLimit, Front, error_response
from serving.validation_errors import validation_error

disable_created_metrics()  # the *_created series only add noise to every scrape
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class ServedEngine(Protocol):
    """What the HTTP layer needs from an engine (cloud or device agent)."""

    model_name: str
    tokenizer: object
    max_positions: int
    vocab_size: int
    supports_logprobs: bool  # logprobs / echo / token-id output (the cloud's scoring API)
    routes: bool  # per-token provenance and routing dials (device agents)

    def card(self) -> dict: ...

    def encode(self, text: str) -> list[int]: ...

    def chat_ids(self, messages: list[tuple[str, str]]) -> list[int]: ...

    def submit(self, job: Job, emit: Callable) -> None: ...

    def gauges(self) -> dict[str, tuple[float, str]]: ...

    def health(self) -> dict: ...  # more fields for GET /health (what the engine depends on)


@dataclass(frozen=True)
class HttpConfig:
    api_key: str | None = None
    max_body_bytes: int = 1 << 20
    max_tokens_limit: int = 512  # the most tokens one request may ask for
    max_prompt_chars: int = 200_000  # text longer than this is refused before tokenizing
    admin_max_body_bytes: int = 256 << 20  # /admin/ routes carry adapters and cache diffs

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1024:
            raise ServingError("max_body_bytes must be at least 1024")
        if self.max_tokens_limit < 1 or self.max_prompt_chars < 1:
            raise ServingError("max_tokens_limit and max_prompt_chars must be positive")


# -- the app ------------------------------------------------------------------------------------
def create_app(engine: ServedEngine, cfg: HttpConfig, title: str = "fedhybrid",
               extend: Callable[[FastAPI], None] | None = None, admin_token: str | None = None,
               admin_hint: str = "") -> ASGIApp:
    """The ASGI app for `engine`; `extend(app)` adds server-specific routes (with `admin_token`,
    /admin/ ones: that token is checked before their larger body is read)."""
    started = time.time()
    registry = CollectorRegistry()
    requests = Counter("fedhybrid_requests", "HTTP requests by endpoint and status", ["endpoint", "status"],
                       registry=registry)
    body_bytes = Counter("fedhybrid_http_request_bytes", "request body bytes received", registry=registry)
    latency = Histogram("fedhybrid_request_seconds", "request latency (submit to last token)", ["endpoint"],
                        buckets=LATENCY_BUCKETS, registry=registry)
    ttft = Histogram("fedhybrid_time_to_first_token_seconds", "time to first token", ["endpoint"],
                     buckets=LATENCY_BUCKETS, registry=registry)
    tokens = Counter("fedhybrid_generated_tokens", "generated tokens by provenance", ["provenance"],
                     registry=registry)
    registry.register(EngineGauges(engine))

    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.engine, app.state.registry = engine, registry

    @app.exception_handler(OpenAIError)
    async def openai_error(_: Request, exc: OpenAIError) -> JSONResponse:
        headers = {"Retry-After": "1"} if exc.status == 503 else None
        return error_response(exc, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        body_field = getattr(request.scope.get("route"), "body_field", None)  # None: a route without a body
        body_type = getattr(getattr(body_field, "field_info", None), "annotation", None)
        return error_response(validation_error(exc.errors(), body_type, exc.body, engine.supports_logprobs))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        message = str(exc.detail)
        if exc.status_code in (404, 405) and message in ("Not Found", "Method Not Allowed"):
            # Starlette's bare "Not Found" leaves a typo'd path or a GET for a POST a guess
            served = ", ".join(f"{'/'.join(sorted(r.methods - {'HEAD'}))} {r.path}" for r in request.app.routes
                               if getattr(r, "methods", None) and getattr(r, "include_in_schema", True))
            message = f"{message}: {request.method} {request.url.path}; this server answers {served}"
        return error_response(OpenAIError(exc.status_code, message, kind=kind))

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "model": engine.model_name, **engine.health()}

    def card() -> dict:
        return {"id": engine.model_name, "object": "model", "created": int(started), "owned_by": "fedhybrid",
                **engine.card()}

    @app.get("/v1/models")
    async def models() -> dict:
        return {"object": "list", "data": [card()]}

    @app.get("/v1/models/{name:path}")  # :path: a served name may hold a slash ("org/model"), as hub ids do
    async def model(name: str) -> dict:
        check_model(name)
        return card()

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    def check_model(name: str | None) -> None:
        if name is not None and name != engine.model_name:
            raise OpenAIError(404, f"model {name!r} is not served here (serving {engine.model_name!r})", "model",
                              kind="not_found_error", code="model_not_found")

    def routing(req, request: Request) -> RoutingParams:
        headers = request.headers
        # the strictest of the body and every value of the header (a gateway may append its own
        # after the client's) holds, so a client cannot loosen what a gateway set
        said = headers.getlist("x-fedhybrid-privacy")
        if bad := [header for header in said if header not in MODES]:
            raise OpenAIError(400, f"header x-fedhybrid-privacy: {bad[0]!r}: use allow, local-only or redact", "privacy")
        privacy = strictest(req.privacy, *said)

        def number(field: str, value: float | None, header: str) -> float | None:
            if value is not None:  # the body's: a finite number (openai_protocol)
                return value
            raw = headers.get(header)
            if raw is None:
                return None
            try:
                parsed = float(raw)
            except ValueError:
                parsed = math.nan
            if not math.isfinite(parsed):
                raise OpenAIError(400, f"header {header}: {raw!r} is not a number: send a finite number such as "
                                       "0.3", field)
            return parsed

        threshold = number("threshold", req.threshold, "x-fedhybrid-threshold")
        share = number("target_cloud_share", req.target_cloud_share, "x-fedhybrid-target-cloud-share")
        if threshold is not None and threshold < 0:  # by header: a body's value was checked when parsed
            raise OpenAIError(400, f"x-fedhybrid-threshold {threshold:g} is below 0: send a number >= 0", "threshold")
        if share is not None and not 0 <= share <= 1:
            raise OpenAIError(400, f"x-fedhybrid-target-cloud-share {share:g}: send a number from 0 to 1", "target_cloud_share")
        if threshold is not None and share is not None:
            raise OpenAIError(400, "give threshold or target_cloud_share, not both", "threshold")
        if not engine.routes and (privacy or threshold is not None or share is not None):
            raise OpenAIError(400, "this server does not route: privacy, threshold and target_cloud_share "
                                   "apply to device agents", "privacy")
        return RoutingParams(privacy, threshold, share)

    def token_ids(ids: list[int], where: str) -> list[int]:  # a 400 names the first id outside the vocabulary
        bad = next((i for i, token in enumerate(ids) if token >= engine.vocab_size), None)
        if bad is not None:
            raise OpenAIError(400, f"{where}[{bad}] is {ids[bad]}, outside this model's vocabulary of "
                                   f"{engine.vocab_size} tokens: send token ids from 0 to {engine.vocab_size - 1}",
                              "prompt")
        return ids

    async def encode(text: str) -> list[int]:
        if len(text) > cfg.max_prompt_chars:
            raise OpenAIError(413, f"prompt of {len(text)} characters is over the limit of {cfg.max_prompt_chars}",
                              "prompt")
        ids = await run_in_threadpool(engine.encode, text)  # tokenizing is CPU work: off the event loop
        if not ids:
            raise OpenAIError(400, "the prompt tokenizes to nothing: send some text", "prompt")
        return ids

    def sampling(req, prompt_len: int, limit: int | None, logprobs: int | None, echo: bool,
                 prompt_field: str = "prompt", limit_field: str = "max_tokens") -> SamplingParams:
        room = engine.max_positions - prompt_len
        if room < 1:  # the prompt alone leaves no room for one token: the prompt is what to change
            what = ("the prompt", "leaves", "it") if prompt_field == "prompt" else \
                (f"the {prompt_field} (with the chat template)", "leave", "them")
            raise OpenAIError(400, f"{what[0]} ({prompt_len} tokens) {what[1]} no room in the model's context of "
                                   f"{engine.max_positions} tokens: shorten {what[2]} to at most "
                                   f"{engine.max_positions - 1} tokens", prompt_field)
        if limit is not None and limit > room and not (echo and limit == 0):
            # the most a request may ask for is under both bounds: naming only the context's
            # room sent a client to a number the server limit then refused
            most = min(room, cfg.max_tokens_limit)
            raise OpenAIError(400, f"the {prompt_field} ({prompt_len} tokens) plus {limit_field} ({limit}) exceeds "
                                   f"the model's context of {engine.max_positions} tokens: ask for at most "
                                   f"{most} tokens" + (" (this server's limit)" if most < room else
                                                       f" or shorten the {prompt_field}"), limit_field)
        wanted = room if limit is None else limit
        if wanted > cfg.max_tokens_limit:
            if limit is not None:
                raise OpenAIError(400, f"{limit_field} {limit} is over this server's limit {cfg.max_tokens_limit}",
                                  limit_field)
            wanted = cfg.max_tokens_limit
        return SamplingParams(max_tokens=wanted, temperature=req.temperature, seed=req.seed, stops=req.stops(),
                              ignore_eos=req.ignore_eos, logprobs=logprobs, echo=echo)

    # -- completions --------------------------------------------------------------------------
    @app.post("/v1/completions")
    async def completions(req: CompletionRequest, request: Request):
        check_model(req.model)
        if (bad := req.unsupported()) is not None:
            raise bad
        sent = [name for name, given in (("logprobs", req.logprobs is not None), ("echo", req.echo),
                                         ("return_tokens_as_token_ids", req.return_tokens_as_token_ids)) if given]
        if sent and not engine.supports_logprobs:
            raise OpenAIError(400, f"{' and '.join(sent)} {'is' if len(sent) == 1 else 'are'} not supported by "
                                   f"this server (it generates text but does not score it): leave "
                                   f"{'it' if len(sent) == 1 else 'them'} out", sent[0])
        if req.max_tokens == 0 and not req.echo:
            if engine.supports_logprobs:
                raise OpenAIError(400, "max_tokens=0 needs echo=true (nothing to return otherwise)", "max_tokens")
            raise OpenAIError(400, "max_tokens must be at least 1 (with max_tokens=0 there is nothing to return)",
                              "max_tokens")
        route = routing(req, request)
        rid, prompts = request.scope[REQUEST_ID], req.prompts()
        jobs = []
        nested = isinstance(req.prompt, list) and isinstance(req.prompt[0], list)  # a list of token-id lists
        for index, prompt in enumerate(prompts):
            where = f"prompt[{index}]" if nested else "prompt"
            ids = await encode(prompt) if isinstance(prompt, str) else token_ids(prompt, where)
            params = sampling(req, len(ids), req.max_tokens, req.logprobs, req.echo)
            jobs.append(Job(ids, params, route, request_id=rid if len(prompts) == 1 else f"{rid}-{index}"))
        kind = CompletionShape(engine, req)
        return await respond(rid, jobs, kind, req.stream, req.include_usage, "/v1/completions")

    @app.post("/v1/chat/completions")
    async def chat(req: ChatCompletionRequest, request: Request):
        check_model(req.model)
        if (bad := req.unsupported()) is not None:
            raise bad
        route = routing(req, request)
        messages = [(m.role, m.text()) for m in req.messages]
        if sum(len(t) for _, t in messages) > cfg.max_prompt_chars:
            raise OpenAIError(413, f"messages over the limit of {cfg.max_prompt_chars} characters", "messages")
        try:
            ids = await run_in_threadpool(engine.chat_ids, messages)
        except ServingError as exc:
            raise OpenAIError(400, str(exc), "messages") from exc
        except ValueError as exc:  # a domain error of the engine (unknown role, bad template)
            raise OpenAIError(400, str(exc), "messages") from exc
        limit_field = "max_completion_tokens" if req.max_completion_tokens is not None else "max_tokens"
        rid = request.scope[REQUEST_ID]
        job = Job(ids, sampling(req, len(ids), req.limit(), None, False, "messages", limit_field), route,
                  request_id=rid)
        return await respond(rid, [job], ChatShape(engine), req.stream, req.include_usage, "/v1/chat/completions")

    # -- running jobs -------------------------------------------------------------------------
    def start(job: Job) -> asyncio.Queue:
        loop = asyncio.get_running_loop()
        events: asyncio.Queue = asyncio.Queue()
        try:
            engine.submit(job, lambda ev: loop.call_soon_threadsafe(events.put_nowait, ev))
        except EngineOverloaded as exc:
            raise OpenAIError(503, str(exc), kind="server_overloaded", code="overloaded") from exc
        return events

    def observe(done: JobDone, endpoint: str, began: float, first: float | None) -> None:
        latency.labels(endpoint).observe(time.monotonic() - began)
        if first is not None:
            ttft.labels(endpoint).observe(first - began)
        for prov in done.provenance or ["model"] * len(done.token_ids):
            tokens.labels(prov).inc()

    async def respond(request_id: str, jobs: list[Job], shape, stream: bool, include_usage: bool, endpoint: str):
        rid = shape.id_prefix + request_id
        created = int(time.time())
        if not stream:
            results = []
            for index, job in enumerate(jobs):
                began, first = time.monotonic(), None
                events = start(job)
                while True:
                    ev = await events.get()
                    if isinstance(ev, TokenEvent):
                        first = first or time.monotonic()
                        continue
                    if isinstance(ev, JobFailed):
                        raise OpenAIError(ev.status, ev.message, ev.param,
                                          kind="server_error" if ev.status >= 500 else "invalid_request_error")
                    observe(ev, endpoint, began, first)
                    results.append((index, job, ev))
                    break
            return shape.body(rid, created, results)
        queues = [start(jobs[0])]  # submitted now, so a full queue is a 503 before streaming starts

        async def sse() -> AsyncIterator[bytes]:
            results = []
            try:
                for index, job in enumerate(jobs):
                    events = queues[0] if index == 0 else start(job)
                    began, first, streamed = time.monotonic(), None, 0
                    if head := shape.first_chunk(rid, created, index):
                        yield head
                    while True:
                        ev = await events.get()
                        if isinstance(ev, TokenEvent):
                            first = first or time.monotonic()
                            streamed += len(ev.text)
                            yield shape.token_chunk(rid, created, index, ev)
                        elif isinstance(ev, JobFailed):
                            yield sse_event({"error": OpenAIError(ev.status, ev.message, ev.param).body()["error"]})
                            yield b"data: [DONE]\n\n"
                            return
                        else:
                            observe(ev, endpoint, began, first)
                            results.append((index, job, ev))
                            # text held back for a stop sequence that never came goes out last
                            yield shape.final_chunk(rid, created, index, ev, ev.text[streamed:])
                            break
                if include_usage:
                    yield sse_event({"id": rid, "object": shape.chunk_object, "created": created,
                                "model": engine.model_name, "choices": [], "usage": usage(results)})
                yield b"data: [DONE]\n\n"
            finally:
                for job in jobs:  # the client went away (or we are done): stop generating
                    job.cancelled.set()

        return StreamingResponse(sse(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    if extend is not None:
        extend(app)
    # the id is outermost: a 401 or 413 refused in front of the app names its request too; a
    # client's unusable id is refused behind the key and the counter
    inner = RefuseBadRequestId(BodyLimit(app, cfg.max_body_bytes, body_bytes,
                                         cfg.admin_max_body_bytes if admin_token else None))
    return RequestId(Front(inner, requests, app.router, cfg.api_key, admin_token, admin_hint))

