"""`fedhybrid cloud serve`: the cloud tier behind the shared OpenAI-compatible layer.

Endpoints (see `serving.http_app` for the shared ones):
- POST /v1/completions: text, list-of-text or token-id prompts; `max_tokens`,
  `temperature`, `seed`, `stop`, `stream`, `ignore_eos`, and the scoring extras devices use:
  `logprobs` (top-k, <= 20), `echo`, vLLM's `return_tokens_as_token_ids`. Responses follow
  the OpenAI/vLLM shapes, so a client written against this server works with vLLM.
- POST /v1/chat/completions: messages through the model's chat template (or the plain
  template of `inference.chat`), streaming or not.
- POST /tokenize: vLLM's tokenizer endpoint (lets a device check token compatibility).
- GET /v1/models (with `tokenizer_hash` and `vocab_size`), GET /health, GET /metrics.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp

from serving.cloud_engine import CloudEngine
from serving.http_app import HttpConfig, create_app
from serving.openai_protocol import OpenAIError, TokenizeRequest


def create_cloud_app(engine: CloudEngine, cfg: HttpConfig) -> ASGIApp:
    def extend(app: FastAPI) -> None:
        @app.post("/tokenize")
        async def tokenize(req: TokenizeRequest) -> dict:
            if len(req.prompt) > cfg.max_prompt_chars:
                raise OpenAIError(413, f"prompt of {len(req.prompt)} characters is over the limit of "
                                       f"{cfg.max_prompt_chars}", "prompt")
            ids = await run_in_threadpool(engine.encode, req.prompt)
            return {"tokens": ids, "count": len(ids), "max_model_len": engine.max_positions}

    return create_app(engine, cfg, title="fedhybrid cloud", extend=extend)
