"""`fedhybrid bench cloud`: the remote cloud path on loopback.

A real `fedhybrid cloud serve` child (stopped by PID) answers devices that run the hybrid
decoder in threads of this process. Rows per (prefix reuse, concurrency, policy):
escalation latency p50/p95, server tokens computed per call against the context sent per
call, and end-to-end generated tokens/s summed over devices.
"""

from __future__ import annotations

import copy
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from inference.decoder import HybridDecoder
from inference.generation import DecodeConfig
from serving.launch import CloudServerProcess
from serving.remote_cloud import RemoteCloud, RemoteCloudConfig
from workloads import wordmath


def _device_run(url: str, device_model, tokenizer, policy, prompts: list[str], cfg: DecodeConfig) -> dict:
    remote = RemoteCloud(RemoteCloudConfig(url, failure_threshold=1000))
    remote.connect(tokenizer)
    decoder = HybridDecoder(device_model, tokenizer, remote)
    tokens = 0
    for prompt in prompts:
        tokens += len(decoder.generate(prompt, policy, cfg).token_ids)
    remote.close()
    return {"tokens": tokens, "stats": remote.stats}


def run(zoo_root: Path | None, device_model, tokenizer, policies: list, problems_per_device: int,
        concurrency: tuple[int, ...], log_dir: Path) -> list[dict]:
    rows = []
    cfg = DecodeConfig(max_new_tokens=128, deadline_s=30.0)
    for reuse in (True, False):
        extra = ["--threads", "1"] + ([] if reuse else ["--no-prefix-reuse"])
        with CloudServerProcess("cloud", zoo_root, extra=extra, log=log_dir / f"cloud-reuse-{reuse}.log") as srv:
            for policy in policies:
                for n in concurrency:
                    if not reuse and n != 1:
                        continue  # the no-reuse server is the per-call compute baseline only
                    devices = [copy.deepcopy(device_model) for _ in range(n)]
                    prompts = [[p.prompt for p in wordmath.generate(
                        "heldout", problems_per_device, seed=f"bench-cloud/{d}")] for d in range(n)]
                    started = time.perf_counter()
                    with ThreadPoolExecutor(max_workers=n) as pool:  # the lambda is used up in this iteration
                        results = list(pool.map(lambda d: _device_run(srv.url, devices[d], tokenizer,  # noqa: B023
                                                                      policy, prompts[d], cfg), range(n)))  # noqa: B023
                    seconds = time.perf_counter() - started
                    latencies = sorted(x for r in results for x in r["stats"].latencies_ms)
                    calls = sum(r["stats"].calls for r in results)
                    computed = sum(r["stats"].tokens_computed for r in results)
                    sent = sum(r["stats"].tokens_sent for r in results)
                    rows.append({
                        "prefix_reuse": reuse, "policy": policy.name, "concurrency": n,
                        "p50_ms": latencies[len(latencies) // 2] if latencies else None,
                        "p95_ms": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else None,
                        "calls": calls, "tokens_computed_per_call": computed / max(1, calls),
                        "context_tokens_per_call": sent / max(1, calls),
                        "tok_s": sum(r["tokens"] for r in results) / seconds,
                        "failures": sum(r["stats"].failures for r in results),
                    })
    return rows


COLUMNS = [("prefix_reuse", "{}"), ("policy", "{}"), ("concurrency", "{}"), ("p50_ms", "{:.1f}"),
           ("p95_ms", "{:.1f}"), ("calls", "{}"), ("tokens_computed_per_call", "{:.1f}"),
           ("context_tokens_per_call", "{:.1f}"), ("tok_s", "{:.0f}"), ("failures", "{}")]
