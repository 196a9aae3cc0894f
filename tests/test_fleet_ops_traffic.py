"""`fleet traffic` stopped by Ctrl-C: what was answered until then is written (marked partial),
the tables shown, and the exit is still 130."""

import asyncio
import json
import logging
import os
import signal
import threading
import time

from starlette.applications import Starlette
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from fedhybrid import traffic
from fedhybrid import traffic_report as report
from fedhybrid.cli import main
from workloads.requests import Request

FAST = 3  # requests answered before Ctrl-C; every later one hangs until it is cancelled


def _agent(hanging: threading.Event):
    """An agent that answers the first FAST requests at once (one token, then the final chunk with
    its journal record) and keeps every later one open."""
    async def completions(request):
        body = await request.json()

        async def events():
            if body["prompt"].startswith("slow"):
                hanging.set()
                for _ in range(600):
                    await asyncio.sleep(0.05)
            token = {"choices": [{"index": 0, "text": " 4", "finish_reason": None, "provenance": "device"}]}
            final = {"choices": [{"index": 0, "text": "", "finish_reason": "stop"}],
                     "fedhybrid": [{"adapter_version": 0, "cache_version": 0, "journal_seq": 1}]}
            for chunk in (token, final):
                yield f"data: {json.dumps(chunk)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    async def health(request):
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route("/v1/completions", completions, methods=["POST"]), Route("/health", health)])


def _stream(devices, seed=0):
    n = 0
    while True:
        n += 1
        yield Request(f"{n}", prompt=("fast" if n <= FAST else "slow") + f" {n}: 2+2=", answer="4", device=devices[0])


def test_fleet_traffic_interrupted_writes_what_was_answered_as_partial_and_exits_130(tmp_path, capsys, caplog,
                                                                                      monkeypatch, serve_app,
                                                                                      request):
    # Python's own Ctrl-C handler, as in a user's terminal: a job a shell started in the background
    # (CI's) inherits SIGINT ignored, and the test skipped there instead of checking anything
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    request.addfinalizer(lambda: signal.signal(signal.SIGINT, previous))
    answered = []
    add = report.RoundProgress.add
    monkeypatch.setattr(report.RoundProgress, "add", lambda self, o: answered.append(o) or add(self, o))
    monkeypatch.setattr(traffic, "fleet_stream", _stream)
    hanging = threading.Event()

    def ctrl_c() -> None:  # once FAST were answered and a later one is in flight: as a user would
        deadline = time.monotonic() + 30
        while (len(answered) < FAST or not hanging.is_set()) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    work = tmp_path / "fleet"
    work.mkdir()
    with serve_app(_agent(hanging)) as url:
        (work / "fleet.json").write_text(json.dumps({
            "workdir": str(work), "processes": [], "cloud_url": "http://127.0.0.1:1",
            "agents": [{"device": "edge-0", "tier": "edge", "url": url}]}))
        watcher = threading.Thread(target=ctrl_c, daemon=True)
        watcher.start()
        code = main(["fleet", "traffic", "--workdir", str(work), "--rate", "20", "--duration", "60"])
        watcher.join(timeout=5)
    out, err = capsys.readouterr()
    assert code == 130 and "fedhybrid fleet traffic: interrupted" in err, err
    written = json.loads((work / "traffic.json").read_text())
    assert written["meta"]["interrupted"] == "traffic" and written["meta"]["sent"] > FAST
    assert written["summary"]["requests"] == FAST and written["summary"]["failed"] == 0  # in flight: left out
    assert [r["request_id"] for r in written["results"]] == [str(i + 1) for i in range(FAST)]
    assert written["rounds"][0]["requests"] == FAST and written["rounds"][0]["accuracy"] == 1.0
    assert f"interrupted: {FAST} of {written['meta']['sent']} requests sent were answered" in out
    assert "traffic by installed round" in out and "partial: interrupted during the traffic" in out
    # the requests cancelled in flight are dropped quietly, not "Exception in callback" tracebacks
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
