"""`fedhybrid bench agent`: a device agent under load, against the cloud server and the bare decoder.

Everything runs as the product does: `fedhybrid cloud serve` and `fedhybrid device serve`
as separate processes on 127.0.0.1, requests streamed over HTTP. Four measurements:
1. throughput and latency (time to first token, gap between tokens) at 1, 4 and 16
   concurrent streams (closed loop, distinct held-out prompts), against the agent and
   against the cloud server directly;
2. the agent's added time per token over the bare `HybridDecoder` in this process (same
   model, same remote cloud, same policy and threshold, same prompts, one at a time);
3. swap under load: 16 streams while adapter+cache installs happen through the admin API:
   failed requests and the longest stall (gap between two tokens) per stream, with and
   without installs;
4. the kill -9 drill: traffic running, the agent killed with SIGKILL at random moments
   and restarted; every acknowledged response's record must be in the journal, and one
   federated round must merge each acknowledged correction exactly once.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from fedhybrid.traffic import Outcome, stream_completion
from serving.launch import CloudServerProcess, ServerProcess
from workloads import wordmath


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _stream(client: httpx.AsyncClient, url: str, prompt: str, max_tokens: int) -> dict:
    out = await stream_completion(client, url, {"prompt": prompt, "max_tokens": max_tokens, "temperature": 0},
                                  Outcome("", "", 0.0))
    return {"ok": out.ok and out.tokens > 0, "error": out.error, "tokens": out.tokens, "ttft": out.ttft_s,
            "total": out.total_s, "gaps": out.gaps_s, "record": out.record}


async def _closed_loop(url: str, prompts: list[str], concurrency: int, max_tokens: int) -> tuple[list[dict], float]:
    queue = list(prompts)
    results: list[dict] = []
    async with httpx.AsyncClient(timeout=httpx.Timeout(600.0, connect=10.0),
                                 limits=httpx.Limits(max_connections=concurrency + 4)) as client:
        async def worker() -> None:
            while queue:
                prompt = queue.pop()
                results.append(await _stream(client, url, prompt, max_tokens))

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.monotonic() - started
    return results, wall


def _row(target: str, concurrency: int, results: list[dict], wall: float) -> dict:
    ok = [r for r in results if r["ok"]]
    tokens = sum(r["tokens"] for r in ok)
    gaps = [g for r in ok for g in r["gaps"]]
    ttft = [r["ttft"] for r in ok]
    ms = 1e3
    return {"target": target, "streams": concurrency, "requests": len(results), "failed": len(results) - len(ok),
            "tok_s": tokens / wall if wall > 0 else 0.0,
            "ttft_p50": _pct(ttft, 0.5) * ms, "ttft_p95": _pct(ttft, 0.95) * ms, "ttft_p99": _pct(ttft, 0.99) * ms,
            "tok_p50": _pct(gaps, 0.5) * ms, "tok_p95": _pct(gaps, 0.95) * ms, "tok_p99": _pct(gaps, 0.99) * ms}


def agent_args(device: str, tier: str, state: Path, cloud_url: str, *extra: str) -> list[str]:
    return ["device", "serve", "--tier", tier, "--device", device, "--port", "{port}", "--state-dir", str(state),
            "--cloud-url", cloud_url, *extra]


def load(zoo, tier: str, cloud: CloudServerProcess, work: Path, levels: list[int], requests: int,
         max_tokens: int, log) -> list[dict]:
    """Measurement 1: the agent and the cloud server at each concurrency level."""
    prompts = [p.prompt for p in wordmath.generate("heldout", requests * len(levels) * 2 + 8, seed="bench-agent")]
    rows = []
    with ServerProcess(agent_args(f"{tier}-bench", tier, work / "agent-load", cloud.url), zoo.root,
                       log=work / "agent-load.log") as agent:
        asyncio.run(_closed_loop(agent.url, prompts[:4], 2, 8))  # warm both paths
        for i, c in enumerate(levels):
            chunk = prompts[i * requests: (i + 1) * requests]
            rows.append(_row("agent", c, *asyncio.run(_closed_loop(agent.url, chunk, c, max_tokens))))
            log(rows[-1])
    offset = requests * len(levels)
    for i, c in enumerate(levels):
        chunk = prompts[offset + i * requests: offset + (i + 1) * requests]
        rows.append(_row("cloud", c, *asyncio.run(_closed_loop(cloud.url, chunk, c, max_tokens))))
        log(rows[-1])
    return rows


def overhead(zoo, tier: str, cloud: CloudServerProcess, work: Path, n: int, max_tokens: int, repeats: int = 3) -> dict:
    """Measurement 2: seconds per token through the agent vs the bare decoder, same prompts
    (distinct, so neither serves from its cache), alternating runs, medians."""
    import torch

    from cache_sync.correction_cache import CacheHeader
    from inference.decoder import HybridDecoder
    from inference.device_cache import DeviceCache
    from inference.generation import DecodeConfig
    from inference.router import make_policy
    from inference.runtime import load_head, resolve_threshold
    from inference.tier_profile import profile
    from inference.tokenizer import number_token_ids, tokenizer_hash
    from inference.zoo import load_causal_lm
    from serving.remote_cloud import RemoteCloud, RemoteCloudConfig

    torch.set_num_threads(1)  # as the agent runs
    prof = profile(tier)
    model, tok = load_causal_lm(prof.model, zoo)
    head, meta = load_head(zoo.path(prof.model), zoo.model_name("cloud"))
    tau = resolve_threshold("reward", None, prof, meta)
    remote = RemoteCloud(RemoteCloudConfig(cloud.url))
    remote.connect(tok)
    prompts = [p.prompt for p in wordmath.generate("heldout", n * (repeats + 1), seed="bench-agent-overhead")]
    bare, served = [], []
    with ServerProcess(agent_args(f"{tier}-overhead", tier, work / "agent-overhead", cloud.url), zoo.root,
                       log=work / "agent-overhead.log") as agent:
        asyncio.run(_closed_loop(agent.url, prompts[-4:], 1, 8))
        for r in range(repeats):
            chunk = prompts[r * n: (r + 1) * n]
            header = CacheHeader(tokenizer_hash(tok), len(tok), 2, 8)
            cache = DeviceCache.for_profile(header, "bare", prof, frozen=True, number_tokens=number_token_ids(tok))
            decoder = HybridDecoder(model, tok, remote, cache=cache)
            cfg = DecodeConfig(max_new_tokens=max_tokens, deadline_s=prof.deadline_s)
            t, tokens = 0.0, 0
            for prompt in chunk:
                gen = decoder.generate(prompt, make_policy("reward", tau, head=head), cfg, record=False)
                t, tokens = t + gen.elapsed_s, tokens + len(gen.token_ids)
            bare.append(t / tokens)
            results, _ = asyncio.run(_closed_loop(agent.url, list(reversed(chunk)), 1, max_tokens))
            served.append(sum(x["total"] for x in results) / sum(x["tokens"] for x in results))
    remote.close()
    b, a = statistics.median(bare), statistics.median(served)
    return {"bare_ms_per_token": b * 1e3, "agent_ms_per_token": a * 1e3, "overhead": a / b - 1,
            "runs": repeats, "prompts_per_run": n}


def _random_adapter(zoo, tier: str, seed: int) -> bytes:
    from agent.wire import encode_adapter
    from inference.lora import LoraSpec, attach, b_matrices
    from inference.tier_profile import profile
    from inference.zoo import load_causal_lm

    prof = profile(tier)
    base, _ = load_causal_lm(prof.model, zoo)
    shapes = b_matrices(attach(base, LoraSpec(prof.lora_rank, prof.lora_rank, 1234)))
    rng = np.random.default_rng(seed)
    return encode_adapter({k: rng.normal(0, 1e-3, v.shape).astype(np.float32) for k, v in shapes.items()})


async def _with_installs(url: str, token: str, prompts: list[str], streams: int, max_tokens: int,
                         adapters: list[bytes], every_s: float) -> tuple[list[dict], list[float]]:
    import msgpack

    install_s = []

    async def pusher() -> None:
        async with httpx.AsyncClient(timeout=600.0) as client:
            for i, adapter in enumerate(adapters):
                await asyncio.sleep(every_s)
                t0 = time.monotonic()
                resp = await client.post(f"{url}/admin/v1/install", headers={"Authorization": f"Bearer {token}"},
                                         content=msgpack.packb({"round": i + 1, "adapter": adapter,
                                                                "adapter_version": i + 1}))
                resp.raise_for_status()
                install_s.append(time.monotonic() - t0)

    load_task = asyncio.create_task(_closed_loop(url, prompts, streams, max_tokens))
    if adapters:
        await pusher()
    results, _ = await load_task
    return results, install_s


def swap(zoo, tier: str, cloud: CloudServerProcess, work: Path, installs: int, streams: int, max_tokens: int,
         log) -> list[dict]:
    """Measurement 3: 16 streams with and without `installs` adapter installs meanwhile."""
    prompts = [p.prompt for p in wordmath.generate("heldout", streams * 8, seed="bench-agent-swap")]
    adapters = [_random_adapter(zoo, tier, i) for i in range(installs)]
    rows = []
    with ServerProcess(agent_args(f"{tier}-swap", tier, work / "agent-swap", cloud.url), zoo.root,
                       log=work / "agent-swap.log") as agent:
        token = (work / "agent-swap" / "admin.token").read_text().strip()
        asyncio.run(_closed_loop(agent.url, prompts[:4], 2, 8))
        for label, pushes in (("no installs", []), (f"{installs} installs", adapters)):
            chunk = prompts[:streams * 3] if not pushes else prompts[streams * 3: streams * 6]
            results, install_s = asyncio.run(_with_installs(agent.url, token, chunk, streams, max_tokens, pushes,
                                                            every_s=1.5))
            ok = [r for r in results if r["ok"]]
            stalls = [max(r["gaps"]) for r in ok if r["gaps"]]
            server = [(r["record"] or {}).get("max_token_gap_ms", 0.0) for r in ok]
            local = [(r["record"] or {}).get("max_local_gap_ms", 0.0) for r in ok]
            versions = sorted({(r["record"] or {}).get("adapter_version") for r in ok})
            rows.append({"case": label, "requests": len(results), "failed": len(results) - len(ok),
                         "max_stall_ms": max(stalls) * 1e3, "p50_stall_ms": _pct(stalls, 0.5) * 1e3,
                         "p95_stall_ms": _pct(stalls, 0.95) * 1e3, "max_stall_server_ms": max(server),
                         "p95_stall_server_ms": _pct(server, 0.95), "max_local_stall_ms": max(local),
                         "p95_local_stall_ms": _pct(local, 0.95),
                         "install_s_p50": _pct(install_s, 0.5), "adapter_versions_seen": versions})
            log(rows[-1])
    return rows


def drill(zoo, tier: str, cloud: CloudServerProcess, work: Path, kills: int, log, seed: int = 0) -> dict:
    """Measurement 4: kill -9 at random moments under traffic; then one round."""
    from agent.journal import Journal

    state = work / "agent-drill"
    prompts = [p.prompt for p in wordmath.generate("heldout", 64, seed="bench-agent-drill")]
    rng = random.Random(seed)
    acked: dict[str, int] = {}  # request id -> corrections, from responses that completed
    failed_in_flight = 0
    for k in range(kills):
        agent = ServerProcess(agent_args(f"{tier}-drill", tier, state, cloud.url), zoo.root,
                              log=work / "agent-drill.log").start(timeout_s=120)

        async def traffic(deadline: float) -> None:
            nonlocal failed_in_flight
            async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0)) as client:
                async def worker(i: int) -> None:
                    nonlocal failed_in_flight
                    while time.monotonic() < deadline:
                        r = await _stream(client, agent.url, prompts[rng.randrange(len(prompts))], 48)  # noqa: B023 - awaited in this iteration
                        if r["ok"] and r.get("record"):
                            acked[r["record"]["request_id"]] = r["record"]["corrections"]
                        elif r["error"]:
                            failed_in_flight += 1
                            return

                await asyncio.gather(*(worker(i) for i in range(4)))

        kill_at = rng.uniform(0.5, 4.0)
        asyncio.run(traffic(time.monotonic() + kill_at))
        os.kill(agent.proc.pid, signal.SIGKILL)
        agent.proc.wait()
        log(f"kill {k + 1}/{kills}: after {kill_at:.1f} s, {len(acked)} acknowledged so far")
    journal = Journal(state / "journal.sqlite")
    present = {}
    for rec in journal.records(0):
        present[rec.request_id] = len(rec.corrections)
    missing = [rid for rid in acked if rid not in present]
    wrong = [rid for rid, n in acked.items() if rid in present and present[rid] != n]
    journal.close()
    return {"kills": kills, "acknowledged_requests": len(acked), "acknowledged_corrections": sum(acked.values()),
            "recovered_corrections": sum(present[r] for r in acked if r in present),
            "journal_requests": len(present), "missing": len(missing), "mismatched": len(wrong),
            "requests_cut_by_kills": failed_in_flight, "state": str(state)}


def drill_round(zoo, tier: str, cloud: CloudServerProcess, work: Path, state: Path) -> dict:
    """The drill's journal through two federated rounds (in-process ServerApp, the real
    ClientApp over the agent's admin API): every uploadable correction merged exactly once."""
    from flwr.clientapp import ClientApp

    import clients.app as client_module
    from agent.deployment import fold
    from agent.journal import Journal
    from cache_sync.correction_cache import CacheHeader
    from cache_sync.keys import init_keys
    from fleet.config import FederationConfig
    from server.app import run_federation
    from server.inprocess_grid import InProcessGrid

    device = f"{tier}-drill"
    keys = work / "drill-keys"
    init_keys(keys, [device])
    journal = Journal(state / "journal.sqlite")
    header = CacheHeader(zoo.tokenizer_hash, int(zoo.manifest["vocab_size"]), 2, 8)
    expected, _, corrections = fold(header, device, journal.records(0), 1, only_upload=True)
    journal.close()
    with ServerProcess(agent_args(device, tier, state, cloud.url, "--key-dir", str(keys)), zoo.root,
                       log=work / "agent-drill.log") as agent:
        app = ClientApp()
        app.query()(client_module.query)
        app.train()(client_module.train)
        rc = {"num-rounds": 2, "zoo": str(zoo.root), "state-dir": str(work / "drill-server"), "key-dir": str(keys),
              "fleet-tiers": tier, "release-k": 1, "per-device-cap": 10**9, "local-steps": 1}
        node = {"partition-id": 0, "num-partitions": 1, "tier": tier, "device": device, "agent-url": agent.url,
                "agent-token-file": str(state / "admin.token")}
        fed_state = run_federation(InProcessGrid(app, rc, [node]), FederationConfig.from_run_config(rc))
    merged = int(fed_state.aggregate.table.entries["count"].sum())
    return {"uploadable_corrections": corrections, "expected_count": int(expected.entries["count"].sum()),
            "merged_count": merged, "ledger": sorted(s for _, s in fed_state.aggregate.ledger),
            "duplicates": sum(h["ingest"].get("duplicates", 0) for h in fed_state.history)}


PARTS = ("load", "overhead", "swap", "drill")


def run(zoo, tier: str, levels: list[int], requests: int, max_tokens: int, installs: int, kills: int,
        overhead_prompts: int, log, parts: tuple[str, ...] = PARTS) -> dict:
    work = Path(tempfile.mkdtemp(prefix="fedhybrid-bench-agent-"))
    out: dict = {"workdir": str(work)}
    with CloudServerProcess("cloud", zoo.root, log=work / "cloud.log") as cloud:
        if "load" in parts:
            out["load"] = load(zoo, tier, cloud, work, levels, requests, max_tokens, log)
        if "overhead" in parts:
            out["overhead"] = overhead(zoo, tier, cloud, work, overhead_prompts, max_tokens)
            log(out["overhead"])
        if installs and "swap" in parts:
            out["swap"] = swap(zoo, tier, cloud, work, installs, 16, max_tokens, log)
        if kills and "drill" in parts:
            out["drill"] = drill(zoo, tier, cloud, work, kills, log)
            log(out["drill"])
            out["drill_round"] = drill_round(zoo, tier, cloud, work, Path(out["drill"]["state"]))
            log(out["drill_round"])
    return out
