"""How `serving.transport.Front` counts a response that started and did not finish: "499" when
the client left, "500" when the app raised after its status was sent (both were "499")."""

import asyncio

from prometheus_client import CollectorRegistry, Counter
from starlette.applications import Starlette
from starlette.responses import StreamingResponse
from starlette.routing import Route

from serving.transport import Front


def _app():
    async def broken(request):
        async def body():
            yield b"data: first\n\n"
            raise RuntimeError("the decoder broke mid-stream")

        return StreamingResponse(body(), media_type="text/event-stream")

    async def endless(request):
        async def body():
            while True:
                yield b"data: more\n\n"
                await asyncio.sleep(0.01)

        return StreamingResponse(body(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/broken", broken, methods=["POST"]),
                             Route("/v1/endless", endless, methods=["POST"])])


def _counts(registry) -> dict:
    return {(s.labels["endpoint"], s.labels["status"]): s.value for metric in registry.collect()
            for s in metric.samples if s.name == "requests_total"}


async def _call(front, path: str, leave_after_first: bool) -> None:
    """One POST through the ASGI interface; with `leave_after_first` the client disconnects once
    the first body part arrived (as a closed connection reads to the app)."""
    got_body = asyncio.Event()
    sent_request = False

    async def receive():
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"{}", "more_body": False}
        if leave_after_first:
            await got_body.wait()
            return {"type": "http.disconnect"}
        await asyncio.Event().wait()  # the client stays

    async def send(message):
        if message["type"] == "http.response.body":
            got_body.set()

    scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "headers": [],
             "query_string": b"", "root_path": "", "scheme": "http", "server": ("127.0.0.1", 80),
             "http_version": "1.1", "asgi": {"version": "3.0"}}
    await front(scope, receive, send)


def test_a_stream_the_app_broke_counts_500_and_one_the_client_left_counts_499():
    registry = CollectorRegistry()
    counter = Counter("requests", "requests", ["endpoint", "status"], registry=registry)
    app = _app()
    front = Front(app, counter, app.router)
    try:
        asyncio.run(_call(front, "/v1/broken", leave_after_first=False))
    except RuntimeError as exc:  # the app's error still reaches the server (uvicorn logs it)
        assert "broke mid-stream" in str(exc)
    else:
        raise AssertionError("the app's exception was swallowed")
    asyncio.run(asyncio.wait_for(_call(front, "/v1/endless", leave_after_first=True), 10))
    assert _counts(registry) == {("/v1/broken", "500"): 1, ("/v1/endless", "499"): 1}
