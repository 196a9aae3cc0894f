"""`fedhybrid fleet traffic`: open-loop requests at a fleet's device agents, measured.

Open loop: requests arrive as a Poisson process at `rate` per second whatever the agents
are doing, so a slow agent shows up as latency (and queueing), not as a lower offered
load. Every request streams (`/v1/completions`, `stream: true`) and records time to first
token, the gaps between tokens, the provenance of every token (device / cache / cloud),
the adapter and cache version that served it (the round), and whether the answer is right.
Rows are grouped by the round installed at the agent when it answered; at the end, the
cloud alone answers every distinct prompt once, so each round's accuracy is also given
relative to cloud-only on exactly the requests of that round. The tables (per round, per tier,
with intervals) are `fedhybrid.traffic_report`.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx

from fedhybrid.traffic_report import prompt_key
from workloads.requests import Request, grade


@dataclass
class Outcome:
    request_id: str
    device: str
    sent: float  # seconds since the start of the run
    ok: bool = False
    status: int = 0
    error: str = ""
    ttft_s: float | None = None
    total_s: float | None = None
    gaps_s: list[float] = field(default_factory=list)
    tokens: int = 0
    provenance: dict[str, int] = field(default_factory=dict)
    text: str = ""
    correct: bool | None = None
    adapter_version: int = -1
    cache_version: int = -1
    journal_seq: int | None = None
    corrections: int = 0
    record: dict | None = None  # the agent's `fedhybrid` record of the request
    finish_reason: str | None = None  # "stop", or "length": max_tokens (or the loop stop) ended it


def fleet_stream(devices: list[str], seed: int = 0, queries_per_round: int = 6) -> Iterator[Request]:
    """An endless stream of the fleet workload: each device's own Zipf-recurring queries
    (shared and private pools), devices visited in random order."""
    from workloads.fleet import FleetWorkload, FleetWorkloadConfig

    work = FleetWorkload(FleetWorkloadConfig(devices=len(devices), queries_per_round=queries_per_round, seed=seed))
    rng = random.Random(seed)
    queues: dict[int, list] = {d: [] for d in range(len(devices))}
    period = {d: 0 for d in range(len(devices))}
    n = 0
    while True:
        d = rng.randrange(len(devices))
        if not queues[d]:
            period[d] += 1
            queues[d] = list(work.queries(d, period[d]))
        q = queues[d].pop(0)
        n += 1
        yield Request(f"{n}", prompt=q.problem.prompt, answer=str(q.problem.answer), device=devices[d])


def file_stream(requests: list[Request], devices: list[str], seed: int = 0, split: str = "uniform",
                zipf_s: float = 1.1, alpha: float = 0.5) -> Iterator[Request]:
    """Cycle through a workload file; each request goes to its device (workloads.partition:
    its `device`, its `partition`, else the split rule, fixed per request), so a file's
    repeats recur on the device that saw them."""
    from workloads.partition import assign

    targets = assign(requests, devices, split, seed, zipf_s, alpha)  # here: a bad device is refused up front

    def cycle() -> Iterator[Request]:
        i = 0
        while True:
            req, device = requests[i % len(requests)], targets[i % len(requests)]
            yield Request(f"{i + 1}", req.prompt, req.messages, req.answer, req.reference, device, req.partition,
                          req.sensitive)
            i += 1

    return cycle()


async def stream_completion(client: httpx.AsyncClient, url: str, body: dict, out: Outcome,
                            headers: dict | None = None, chat: bool = False) -> Outcome:
    """Stream one request to an OpenAI-compatible server and measure it into `out`: every
    chunk of a choice that is not the final one is one token (these servers send one event per
    token); `ok` once the final chunk (with its finish_reason) arrived."""
    t0 = time.monotonic()
    last = None
    try:
        async with client.stream("POST", f"{url}/v1/{'chat/completions' if chat else 'completions'}",
                                 json={**body, "stream": True}, headers=headers or {}) as resp:
            out.status = resp.status_code
            if resp.status_code != 200:
                out.error = (await resp.aread()).decode(errors="replace")[:300]
                return out
            async for line in resp.aiter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                chunk = json.loads(line[6:])
                if "error" in chunk:
                    out.error = chunk["error"].get("message", "error")
                    return out
                now = time.monotonic()
                for choice in chunk.get("choices", []):
                    out.text += choice.get("text") or (choice.get("delta") or {}).get("content") or ""
                    if choice.get("finish_reason") is not None:
                        out.ok, out.finish_reason = True, choice["finish_reason"]
                        continue
                    if chat and "role" in (choice.get("delta") or {}):
                        continue  # the role announcement precedes the tokens
                    out.tokens += 1
                    prov = choice.get("provenance")
                    if prov is not None:
                        out.provenance[prov] = out.provenance.get(prov, 0) + 1
                    if out.ttft_s is None:
                        out.ttft_s = now - t0
                    elif last is not None:
                        out.gaps_s.append(now - last)
                    last = now
                for record in chunk.get("fedhybrid", []):
                    out.record = record
                    out.adapter_version = record.get("adapter_version", -1)
                    out.cache_version = record.get("cache_version", -1)
                    out.journal_seq = record.get("journal_seq")
                    out.corrections = record.get("corrections", 0)
        out.total_s = time.monotonic() - t0
        if not out.ok:
            out.error = "the stream ended without its final chunk"
    except (httpx.HTTPError, json.JSONDecodeError) as exc:
        out.error, out.ok = f"{type(exc).__name__}: {exc}", False
    return out


async def _one(client: httpx.AsyncClient, url: str, req: Request, max_tokens: int, started: float,
               api_key: str | None) -> Outcome:
    out = Outcome(req.id, req.device or "", time.monotonic() - started)
    chat = req.messages is not None
    body = {"max_tokens": max_tokens, "temperature": 0}
    if chat:
        body["messages"] = [{"role": r, "content": c} for r, c in req.messages]
    else:
        body["prompt"] = req.prompt
    if req.sensitive:
        body["privacy"] = "local-only"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    await stream_completion(client, url, body, out, headers, chat)
    if out.ok and out.journal_seq is None:
        out.ok, out.error = False, "no journal record in the final chunk (is this a device agent?)"
    out.correct = grade(req, out.text) if out.ok else None
    return out


async def drive(urls: dict[str, str], stream: Iterator[Request], rate: float, duration_s: float, max_tokens: int = 128,
                seed: int = 0, api_key: str | None = None,
                on_result: Callable[[Outcome], None] | None = None) -> tuple[list[Outcome], dict[str, Request]]:
    """Send requests to `urls` (device -> agent URL) as a Poisson process for `duration_s`.
    `on_result` gets each outcome as it is answered: on Ctrl-C (KeyboardInterrupt out of
    `asyncio.run`) what it got is all that was measured."""
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=64)
    tasks: list[asyncio.Task] = []
    sent: dict[str, Request] = {}
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=httpx.Timeout(600.0, connect=10.0), limits=limits) as client:
        next_at = 0.0
        try:
            while True:
                next_at += rng.expovariate(rate)
                if next_at > duration_s:
                    break
                delay = next_at - (time.monotonic() - started)
                if delay > 0:
                    await asyncio.sleep(delay)
                req = next(stream)
                sent[req.id] = req
                task = asyncio.create_task(_one(client, urls[req.device], req, max_tokens, started, api_key))
                if on_result is not None:  # answered requests only: Ctrl-C cancels those in flight
                    task.add_done_callback(lambda t: None if t.cancelled() or t.exception()
                                           else on_result(t.result()))
                tasks.append(task)
            results = list(await asyncio.gather(*tasks))
        except (asyncio.CancelledError, KeyboardInterrupt):
            # Ctrl-C: the requests in flight are cancelled while the client is still open (closed
            # under them, they would end as failures that never happened)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
    return results, sent


async def cloud_baseline(cloud_url: str, requests: list[Request], max_tokens: int = 128) -> dict[str, bool]:
    """Cloud-only correctness of every distinct graded prompt (greedy, one request each)."""
    distinct = {}
    for req in requests:
        if req.answer is not None:
            distinct.setdefault(prompt_key(req), req)
    out: dict[str, bool] = {}
    sem = asyncio.Semaphore(4)
    async with httpx.AsyncClient(timeout=600.0) as client:
        async def one(key: str, req: Request) -> None:
            async with sem:
                if req.messages is not None:
                    resp = await client.post(f"{cloud_url}/v1/chat/completions", json={
                        "messages": [{"role": r, "content": c} for r, c in req.messages],
                        "max_tokens": max_tokens, "temperature": 0})
                    text = resp.json()["choices"][0]["message"]["content"]
                else:
                    resp = await client.post(f"{cloud_url}/v1/completions", json={
                        "prompt": req.prompt, "max_tokens": max_tokens, "temperature": 0})
                    text = resp.json()["choices"][0]["text"]
                out[key] = bool(grade(req, text))

        await asyncio.gather(*(one(k, r) for k, r in distinct.items()))
    return out
