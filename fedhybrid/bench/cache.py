"""`fedhybrid bench cache`: the correction cache's speed, size and serving quality.

Speed rows use real token streams (held-out stdlib source through the fleet tokenizer) as
both the cached contexts and the text being decoded, at 1e3..1e6 stored entries.
Quality rows decode a recurring wordmath workload pass after pass with the reward policy,
recording corrections into the cache between passes.
"""

from __future__ import annotations

import time

import numpy as np

from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.merge import Delta, merge_all
from inference.automaton_index import ServeRule
from inference.cloud import LocalCloud
from inference.decoder import HybridDecoder
from inference.device_cache import DeviceCache
from inference.generation import DecodeConfig, Provenance
from inference.router import RewardPolicy, make_policy
from inference.tokenizer import number_token_ids
from training.calibration_sets import Task
from workloads import wordmath


def entries_from_stream(header: CacheHeader, stream: np.ndarray, target: int, device: str = "bench",
                        seed: int = 0) -> CountTable:
    """A table of about `target` entries: (context, next) pairs read off a token stream."""
    rng = np.random.default_rng(seed)
    per_position = header.n_max - header.n_min + 1
    # short n-grams of code repeat: oversample positions, then keep the first `target` entries
    positions = min(len(stream) - header.n_max - 1, int(target / per_position * 2.0) + 1)
    starts = np.sort(rng.choice(len(stream) - header.n_max - 1, size=positions, replace=False))
    pairs = [(stream[s: s + header.n_max].tolist(), int(stream[s + header.n_max])) for s in starts]
    table = CountTable.from_corrections(header, pairs, device, 0)
    if len(table) > target:
        table = table.select(np.arange(len(table)) < target)
    return table


def lookup_rate(cache: DeviceCache, text: list[int], anchor: int | None = None) -> float:
    """Steps/s of the decode loop's per-token cache calls: serve() then advance(token)
    (with `anchor`, a request whose prompt has its own entries: two automata per token)."""
    cache.begin(text[:1], anchor=anchor)
    serve, advance = cache.serve, cache.advance
    started = time.perf_counter()
    for token in text:
        serve()
        advance(token)
    return len(text) / (time.perf_counter() - started)


def speed_rows(header: CacheHeader, stream: np.ndarray, sizes: tuple[int, ...], text_tokens: int
               ) -> list[dict]:
    rows = []
    text = stream[-text_tokens:].tolist()  # decode the stream's tail (partly seen contexts)
    for size in sizes:
        table = entries_from_stream(header, stream[:-text_tokens], size)
        # plus one prompt's own entries (its recurring answer: the text's first 64 tokens)
        anchor = header.anchor_of([1, 2, 3])
        span = text[:64]
        own = CountTable.from_corrections(header, [(span[i - 7: i], span[i]) for i in range(7, len(span))],
                                          "bench", 0, anchor=anchor)
        cache = DeviceCache(header, "bench", ServeRule(min_match=3, confidence=0.5))
        cache.local = table.merge_add(own)
        started = time.perf_counter()
        cache.rebuild()
        build_s = time.perf_counter() - started
        context_tokens = cache.context_tokens
        # rate: median of 3 passes (2-core machines are noisy)
        rates = sorted(lookup_rate(cache, text) for _ in range(3))
        prompt_rates = sorted(lookup_rate(cache, text, anchor) for _ in range(3))
        served = 0
        cache.begin(text[:1])
        for token in text:
            served += cache.serve() is not None
            cache.advance(token)
        rows.append({"entries": len(table), "bytes_per_entry": table.nbytes / max(1, len(table)),
                     "lookup_steps_s": rates[1], "lookup_steps_s_prompt": prompt_rates[1], "build_s": build_s,
                     "build_tok_s": context_tokens / build_s if build_s else 0.0,
                     "automaton_states": cache.index.nodes, "served_rate": served / len(text)})
        del cache
    return rows


def device_deltas(header: CacheHeader, stream: np.ndarray, devices: int, per_device: int) -> list[Delta]:
    """One delta per device, each read off its own stretch of a real token stream."""
    deltas = []
    for d in range(devices):
        offset = (d * 7919) % max(1, len(stream) - 200_000)
        table = entries_from_stream(header, stream[offset: offset + 200_000], per_device,
                                    device=f"dev-{d}", seed=d)
        deltas.append(Delta(f"dev-{d}", 1, 1, table))
    return deltas


def merge_rate(header: CacheHeader, deltas: list[Delta], repeats: int = 3) -> dict:
    """Merge the deltas into one aggregate (median of `repeats` timings)."""
    total = sum(len(d.table) for d in deltas)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        agg = merge_all(header, deltas)
        times.append(time.perf_counter() - started)
    t = sorted(times)[len(times) // 2]
    return {"devices": len(deltas), "entries_in": total, "entries_out": len(agg.table), "aggregate": agg,
            "merge_s": t, "merge_entries_s": total / t}


def quality_rows(device_model, cloud_model, tokenizer, head, tau: float, header: CacheHeader,
                 problems: int, passes: int, tasks: list | None = None,
                 stop_ids: frozenset[int] = frozenset()) -> list[dict]:
    """Cloud and cache share pass after pass on a recurring workload; served precision.

    `tasks` (training.calibration_sets.Task): a user's requests with their grader; default
    `problems` held-out word problems judged by their final answer.
    """
    if tasks is None:
        tasks = [Task(p.prompt, _judge(p)) for p in wordmath.generate("heldout", problems, seed="bench-cache")]
    cloud = LocalCloud(cloud_model)
    plain = HybridDecoder(device_model, tokenizer, cloud)
    cfg = DecodeConfig(max_new_tokens=128, deadline_s=30.0, stop_ids=stop_ids)
    policy = RewardPolicy(head, tau)
    baseline = [plain.generate(t.prompt, policy, cfg) for t in tasks]
    cloud_only = [plain.generate(t.prompt, make_policy("cloud-only"), cfg) for t in tasks]
    for t, g in zip(tasks, cloud_only):
        if t.needs_reference:
            t.reference = list(g.token_ids)

    def accuracy(gens) -> float:
        return sum(t.is_correct(g.text, g.token_ids) for t, g in zip(tasks, gens)) / len(tasks)

    base_acc, cloud_acc = accuracy(baseline), accuracy(cloud_only)
    from inference.tier_profile import profile as tier_profile

    edge = tier_profile("edge")  # the serve rule devices of the edge tier use
    cache = DeviceCache(header, "bench-device", edge.serve_rule(number_token_ids(tokenizer)))
    decoder = HybridDecoder(device_model, tokenizer, cloud, cache=cache)
    rows = []
    for n in range(1, passes + 1):
        gens = [decoder.generate(t.prompt, policy, cfg) for t in tasks]
        tokens = sum(len(g.token_ids) for g in gens)
        served = matched = 0
        for g in gens:
            cached = [i for i, prov in enumerate(g.provenance) if prov is Provenance.CACHE]
            if not cached:
                continue
            # the cloud's greedy choice at every position of the actual output (teacher forcing)
            full = g.prompt_ids + g.token_ids
            pred = cloud.predict(f"precision-{n}", full, len(g.prompt_ids), 1, 60.0)
            cloud.end_session(f"precision-{n}")
            for i in cached:
                served += 1
                matched += pred.positions[i].greedy == g.token_ids[i]
        rows.append({
            "pass": n, "cloud_share": sum(g.count(Provenance.CLOUD) for g in gens) / max(1, tokens),
            "cache_share": sum(g.count(Provenance.CACHE) for g in gens) / max(1, tokens),
            "accuracy": accuracy(gens),
            "accuracy_no_cache": base_acc, "accuracy_cloud_only": cloud_acc,
            "served_precision": matched / served if served else None, "cache_entries": cache.entries,
        })
    cloud.close()
    return rows


def _judge(problem: wordmath.Problem):
    return lambda text, ids, ref: wordmath.is_correct(problem, text)


SPEED_COLUMNS = [("entries", "{:,}"), ("bytes_per_entry", "{:.1f}"), ("lookup_steps_s", "{:,.0f}"),
                 ("lookup_steps_s_prompt", "{:,.0f}"),
                 ("build_tok_s", "{:,.0f}"), ("build_s", "{:.2f}"), ("automaton_states", "{:,}"),
                 ("served_rate", "{:.1%}")]
QUALITY_COLUMNS = [("pass", "{}"), ("cloud_share", "{:.1%}"), ("cache_share", "{:.1%}"),
                   ("accuracy", "{:.1%}"), ("accuracy_no_cache", "{:.1%}"),
                   ("accuracy_cloud_only", "{:.1%}"), ("served_precision", "{:.1%}"),
                   ("cache_entries", "{:,}")]


def code_stream(tokenizer) -> np.ndarray:
    from training.train import encode_corpus
    from workloads import pycode

    return encode_corpus(tokenizer, pycode.texts("train")).numpy()

