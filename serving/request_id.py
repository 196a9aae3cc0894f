"""The id of a request: the client's `X-Request-Id` when it sends one, else one made here.

The id names the request everywhere: the routes read it from the scope (`REQUEST_ID`), a
completion's `id` is its prefix and the id, the engine's jobs are named after it (a device
agent journals each request under it, with `-<i>` appended per prompt when one request sends
several), and every response carries it back in `x-request-id` (what the openai client reads
into `_request_id`), streaming or not, errors included. So a client (or a proxy) that sends
its own id finds the request's journal record and log lines by that id.

A client's id must be 1 to `MAX_LENGTH` visible ASCII characters (0x21-0x7E: no spaces,
no control or non-ASCII bytes), sent once: it lands in logs, the journal and response ids.
Any other is refused with a 400 naming the header, not replaced: a client that quotes its
own id would look for a request the server filed under another. The refusal carries an id
made here, to quote in turn. Ids need not be unique: one sent twice names two requests.
"""

from __future__ import annotations

import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.openai_protocol import OpenAIError
from serving.transport import error_response

REQUEST_ID = "fedhybrid.request_id"  # the scope key of the request's id
_REFUSED = "fedhybrid.request_id_refused"  # the scope key of the 400 for a client's unusable id
HEADER = b"x-request-id"
MAX_LENGTH = 128
ACCEPTED = (f"send 1 to {MAX_LENGTH} visible ASCII characters (letters, digits, punctuation; no spaces), or "
            "leave the header out for an id made by the server")


def client_id(values: list[bytes]) -> str:
    """The id a client sent in its `x-request-id` header(s); OpenAIError (400) if unusable."""
    if len(values) > 1:
        raise OpenAIError(400, f"x-request-id is sent {len(values)} times: send it once", "x-request-id")
    (raw,) = values
    shown = repr(raw[:40])[1:] + ("..." if len(raw) > 40 else "")
    if not raw:
        problem = "is empty"
    elif len(raw) > MAX_LENGTH:
        problem = f"{shown} has {len(raw)} characters"
    else:
        at = next((i for i, byte in enumerate(raw) if not 0x21 <= byte <= 0x7E), None)
        if at is None:
            return raw.decode("ascii")
        problem = f"{shown} holds {repr(raw[at:at + 1])[1:]} at position {at}"
    raise OpenAIError(400, f"x-request-id {problem}: {ACCEPTED}", "x-request-id")


class RequestId:
    """The outermost ASGI layer: puts the request's id in the scope (the client's, or a fresh
    one when it sent none or one `client_id` refuses, the refusal kept for `RefuseBadRequestId`)
    and adds it to the response's headers. An app mounted inside another (an agent's /hop)
    keeps the id of the request it is part of, so a response carries one id, the one its jobs
    are named after."""

    def __init__(self, inner: ASGIApp):
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or REQUEST_ID in scope:
            await self.inner(scope, receive, send)
            return
        sent = [value for name, value in scope.get("headers") or () if name == HEADER]
        try:
            scope[REQUEST_ID] = client_id(sent) if sent else uuid.uuid4().hex
        except OpenAIError as refused:
            scope[REQUEST_ID], scope[_REFUSED] = uuid.uuid4().hex, refused
        header = (HEADER, scope[REQUEST_ID].encode())

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0].lower() != HEADER]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        await self.inner(scope, receive, with_id)


class RefuseBadRequestId:
    """ASGI layer inside the front gate (so the refusal is counted as any request is, and only
    a client with the API key is told about its header): answers the 400 for an unusable
    `x-request-id` before the body is read."""

    def __init__(self, inner: ASGIApp):
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused = scope.get(_REFUSED) if scope["type"] == "http" else None
        if refused is None:
            await self.inner(scope, receive, send)
            return
        await error_response(refused)(scope, receive, send)
