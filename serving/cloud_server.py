"""`fedhybrid cloud serve`: the subset of vLLM's OpenAI-compatible API that routing needs.

Endpoints:
- POST /v1/completions: token-id `prompt`, `max_tokens`, `temperature`, `logprobs` (top-k,
  <= 20), `echo`, `seed`, vLLM's `return_tokens_as_token_ids`. Responses follow the
  OpenAI/vLLM JSON shapes, so a client written against this server works with vLLM.
- POST /tokenize: vLLM's tokenizer endpoint (lets a device check token compatibility).
- GET /v1/models: the model, with `tokenizer_hash` and `vocab_size` as extra fields.
- GET /health, GET /metrics (engine counters, JSON).
Bad requests get 4xx with an OpenAI-style error body; the server never crashes on input.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from starlette.types import ASGIApp, Receive, Scope, Send

from serving.errors import ServingError
from serving.prefix_engine import MAX_TOP_K, PrefixEngine


@dataclass(frozen=True)
class ServeConfig:
    model_name: str
    tokenizer_hash: str
    api_key: str | None = None
    max_body_bytes: int = 1 << 20
    max_tokens_limit: int = 512

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1024:
            raise ServingError("max_body_bytes must be at least 1024")
        if self.max_tokens_limit < 1:
            raise ServingError("max_tokens_limit must be positive")


class CompletionRequest(BaseModel):
    # unknown fields are accepted and ignored, as OpenAI-compatible servers do
    model_config = ConfigDict(extra="ignore")

    model: str | None = None
    prompt: list[StrictInt] | str
    max_tokens: StrictInt = Field(default=16, ge=0)
    temperature: float = Field(default=1.0, ge=0.0, le=10.0)
    logprobs: StrictInt | None = Field(default=None, ge=0, le=MAX_TOP_K)
    echo: StrictBool = False
    seed: StrictInt | None = None
    return_tokens_as_token_ids: StrictBool = False
    n: StrictInt = Field(default=1, ge=1, le=1)
    stream: StrictBool = False


class TokenizeRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: str | None = None
    prompt: str


def error(status: int, message: str, kind: str = "invalid_request_error", param: str | None = None,
          code: str | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={
        "error": {"message": message, "type": kind, "param": param, "code": code or str(status)}})


class BodyLimit:
    """ASGI middleware: refuse bodies over the limit (by header and while streaming)."""

    def __init__(self, app: ASGIApp, max_bytes: int, counters: dict | None = None):
        self.app, self.max_bytes = app, max_bytes
        self.counters = counters if counters is not None else {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.counters["http_requests"] = self.counters.get("http_requests", 0) + 1
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await error(413, f"request body over {self.max_bytes} bytes")(scope, receive, send)
            return
        seen = 0

        async def limited() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                self.counters["bytes_received"] = self.counters.get("bytes_received", 0) + len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await error(413, f"request body over {self.max_bytes} bytes")(scope, receive, send)


class _TooLarge(Exception):
    pass


def _token_str(token: int, tokenizer, as_ids: bool) -> str:
    return f"token_id:{token}" if as_ids else tokenizer.decode([token])


def create_app(engine: PrefixEngine, tokenizer, cfg: ServeConfig) -> ASGIApp:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")
    started = time.time()
    counters = {"http_requests": 0, "bytes_received": 0}  # everything the server was sent

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="fedhybrid cloud", docs_url=None, redoc_url=None, lifespan=lifespan)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or None
        return error(400, f"invalid request: {first.get('msg', 'malformed body')}" + (f" ({where})" if where else ""),
                     param=where)

    @app.middleware("http")
    async def auth(request: Request, call_next):
        if cfg.api_key and request.url.path not in ("/health",):
            if request.headers.get("authorization") != f"Bearer {cfg.api_key}":
                return error(401, "missing or wrong API key: send 'Authorization: Bearer <key>'",
                             kind="authentication_error")
        return await call_next(request)

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.get("/v1/models")
    async def models() -> dict:
        return {"object": "list", "data": [{
            "id": cfg.model_name, "object": "model", "created": int(started), "owned_by": "fedhybrid",
            "max_model_len": engine.max_positions, "vocab_size": engine.vocab_size,
            "tokenizer_hash": cfg.tokenizer_hash}]}

    @app.get("/metrics")
    async def metrics() -> dict:
        return {**engine.stats, **counters, "cached_tokens": engine.cached_tokens}

    @app.post("/tokenize")
    async def tokenize(req: TokenizeRequest) -> dict:
        ids = tokenizer(req.prompt)["input_ids"]
        return {"tokens": ids, "count": len(ids), "max_model_len": engine.max_positions}

    @app.post("/v1/completions")
    async def completions(req: CompletionRequest):
        if req.model is not None and req.model != cfg.model_name:
            return error(404, f"model {req.model!r} is not served here (serving {cfg.model_name!r})",
                         param="model", code="model_not_found")
        if req.stream:
            return error(400, "streaming is not supported by this server", param="stream")
        if req.max_tokens > cfg.max_tokens_limit:
            return error(400, f"max_tokens {req.max_tokens} is over the limit {cfg.max_tokens_limit}",
                         param="max_tokens")
        prompt = tokenizer(req.prompt)["input_ids"] if isinstance(req.prompt, str) else list(req.prompt)
        if req.max_tokens == 0 and not req.echo:
            return error(400, "max_tokens=0 needs echo=true (nothing to return otherwise)", param="max_tokens")
        top_k = req.logprobs or 0
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(
                executor, engine.complete, prompt, max(1, req.max_tokens), top_k, req.echo,
                req.temperature, req.seed)
        except ValueError as exc:
            return error(400, str(exc), param="prompt")
        generated = result.generated[: req.max_tokens]
        as_ids = req.return_tokens_as_token_ids
        body_tokens, body_lps, body_top = [], [], []
        if req.echo:
            for i, token in enumerate(prompt):
                body_tokens.append(_token_str(token, tokenizer, as_ids))
                body_lps.append(result.prompt_token_logprobs[i])
                top = result.prompt_top[i]
                body_top.append(None if top is None else
                                {_token_str(t, tokenizer, as_ids): v for t, v in top.items()})
        for token, lp, top in zip(generated, result.generated_logprobs, result.generated_top):
            body_tokens.append(_token_str(token, tokenizer, as_ids))
            body_lps.append(lp)
            body_top.append({_token_str(t, tokenizer, as_ids): v for t, v in top.items()})
        text = tokenizer.decode((prompt if req.echo else []) + generated)
        choice = {"index": 0, "text": text, "finish_reason": "length",
                  "logprobs": {"tokens": body_tokens, "token_logprobs": body_lps,
                               "top_logprobs": body_top, "text_offset": []} if req.logprobs is not None else None}
        return {"id": f"cmpl-{uuid.uuid4().hex}", "object": "text_completion", "created": int(time.time()),
                "model": cfg.model_name, "choices": [choice],
                "usage": {"prompt_tokens": len(prompt), "completion_tokens": len(generated),
                          "total_tokens": len(prompt) + len(generated),
                          # extension: what the server actually computed (prefix reuse)
                          "tokens_computed": result.tokens_computed, "tokens_reused": result.tokens_reused}}

    return BodyLimit(app, cfg.max_body_bytes, counters)
