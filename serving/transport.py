"""Below the OpenAI routes (serving/http_app.py): the OpenAI-shaped error response every
failure becomes, and the body-size guard that refuses an oversized request before the app
reads a byte, counting the bytes every request sent."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.openai_protocol import OpenAIError


def error_response(err: OpenAIError, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(status_code=err.status, content=err.body(), headers=headers)


class BodyLimit:
    """ASGI middleware: read the whole body first and refuse it with 413 (OpenAI shape) when
    it is over the limit, by Content-Length or while chunks arrive; the app then reads the
    buffered body. (Raising inside the app's own body read would be turned into a 400 by
    FastAPI.) Also counts the bytes every request sent: what a server was told is auditable."""

    def __init__(self, app: ASGIApp, max_bytes: int, counter: Counter, admin_max_bytes: int | None = None):
        self.app, self.max_bytes, self.counter = app, max_bytes, counter
        self.admin_max_bytes = admin_max_bytes or max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.admin_max_bytes if scope.get("path", "").startswith("/admin/") else self.max_bytes
        too_large = OpenAIError(413, f"request body over {limit} bytes", kind="invalid_request_error")
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await error_response(too_large)(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            self.counter.inc(len(body))
            if size > limit:
                await error_response(too_large)(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        buffered: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay() -> Message:
            return buffered.pop() if buffered else await receive()

        await self.app(scope, replay, send)
