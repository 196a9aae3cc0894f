"""Below the OpenAI routes (serving/http_app.py): the OpenAI-shaped error response every
failure becomes, and the two ASGI layers in front of the app: the front gate (API key and
request counter) and, inside it, the body-size guard that refuses an oversized request before
the app reads a byte, counting the bytes every request sent."""

from __future__ import annotations

import hmac

from fastapi.responses import JSONResponse
from prometheus_client import Counter
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.openai_protocol import OpenAIError

UNMATCHED = "other"  # the endpoint label of a path no route serves


def error_response(err: OpenAIError, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(status_code=err.status, content=err.body(), headers=headers)


class BodyLimit:
    """ASGI middleware: read the whole body first and refuse it with 413 (OpenAI shape) when
    it is over the limit, by Content-Length or while chunks arrive; the app then reads the
    buffered body. (Raising inside the app's own body read would be turned into a 400 by
    FastAPI.) Also counts the bytes every request sent: what a server was told is auditable."""

    def __init__(self, app: ASGIApp, max_bytes: int, counter: Counter, admin_max_bytes: int | None = None):
        self.app, self.max_bytes, self.counter = app, max_bytes, counter
        self.admin_max_bytes = admin_max_bytes  # None: no admin API here, /admin/ paths get the API's limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        admin = self.admin_max_bytes is not None and scope.get("path", "").startswith("/admin/")
        limit = self.admin_max_bytes if admin else self.max_bytes
        # what to do: the admin API's limit is fixed, the API's is the serve commands' --max-body-bytes
        fix = "send a smaller body (the admin API's limit)" if admin else \
            "send a shorter body, or start the server with a larger --max-body-bytes"
        too_large = OpenAIError(413, f"request body over {limit} bytes: {fix}", kind="invalid_request_error")
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


class Front:
    """The outermost ASGI layer: the API key, then the request counter, both outside the
    body-size guard. The key is checked from the headers before any of the body is read, so a
    client without it cannot make the server buffer a body (nor get anything but 401); /health
    is exempt, and the admin API (a device agent's) takes its own token instead (one
    Authorization header cannot carry both), checked here the same way. Counted: every request to a /v1/ or /admin/
    path, and a 401 or 413 on any path. The endpoint label is the matching route's path (its template, for
    a route with parameters), or UNMATCHED: a client must not be able to grow /metrics by
    inventing paths."""

    def __init__(self, inner: ASGIApp, counter: Counter, router: Router, api_key: str | None = None,
                 admin_token: str | None = None, admin_hint: str = ""):
        self.inner, self.counter, self.router = inner, counter, router
        self.expected = f"Bearer {api_key}".encode() if api_key else None
        # with an admin API (a device agent's): its token, checked here from the headers so that a
        # client without it cannot make the server buffer an admin-sized body (256 MiB) first
        self.admin = f"Bearer {admin_token}".encode() if admin_token else None
        self.admin_hint = admin_hint  # where the token is, for the 401's message

    def denial(self, scope: Scope) -> OpenAIError | None:
        """The 401 for a request without the key its path needs (None: it may go on)."""
        path = scope.get("path", "")
        admin = self.admin is not None and path.startswith("/admin/")
        expected = self.admin if admin else self.expected
        if expected is None or path == "/health":
            return None
        given = b""
        for name, value in scope.get("headers") or []:
            if name == b"authorization":
                given = value
                break
        if hmac.compare_digest(given, expected):
            return None
        if admin:
            return OpenAIError(401, f"admin endpoints need 'Authorization: Bearer <token>'{self.admin_hint}",
                               kind="authentication_error")
        return OpenAIError(401, "missing or wrong API key: send 'Authorization: Bearer <key>'",
                           kind="authentication_error")

    def endpoint(self, scope: Scope) -> str:
        for route in self.router.routes:
            match, _ = route.matches(scope)
            if match is not Match.NONE:  # PARTIAL: the path is served, by another method (a 405)
                return getattr(route, "path", UNMATCHED)
        return UNMATCHED

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        # the admin API too: an operator sees rounds and installs succeed and fail beside the users' requests
        counted = scope.get("path", "").startswith(("/v1/", "/admin/"))
        before = dict(scope)  # routing updates `scope` (a mount's root_path): label the request as it came

        # a response is counted by its status once its last body part is sent; one that started and
        # never finished is "499", nginx's "client closed request", when the client went (closed a
        # stream, timed out: the app returns or is cancelled), and "500" when the app raised after
        # the start (its status already sent, only the count can still tell it from a client's leaving)
        started: dict[str, str] = {}
        raised = False

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start" and (counted or message["status"] in (401, 413)):
                started["status"] = str(message["status"])
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body") and "status" in started:
                self.counter.labels(self.endpoint(before), started.pop("status")).inc()

        try:
            denied = self.denial(scope)
            if denied is not None:
                await error_response(denied)(scope, receive, counting_send)
                return
            await self.inner(scope, receive, counting_send)
        except Exception:  # not CancelledError (a BaseException): a client that left cancels the app
            raised = True
            raise
        finally:
            if "status" in started:
                self.counter.labels(self.endpoint(before), "500" if raised else "499").inc()
