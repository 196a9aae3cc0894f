"""What `fleet traffic` (and the agents demo) report from the requests they sent: per installed
round and per tier, where the tokens came from and how many answers were right, each figure
with its 95% interval.

Pure functions over `traffic.Outcome`s (no network): the driver is `fedhybrid.traffic`.
Intervals resample whole requests (`fedhybrid.stats`): a token share is a ratio of sums over
the round's requests, accuracy a Wilson interval, and accuracy against cloud-only a paired
bootstrap over the same requests (the cloud-only answer of each request's prompt, from the
run's cloud-only pass), so a round where the fleet and the cloud agree on every request has
a zero-width interval at 100%.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from fedhybrid.stats import Interval, bootstrap_ratios, wilson

if TYPE_CHECKING:  # traffic imports httpx; the report needs only its records
    from fedhybrid.traffic import Outcome
    from workloads.requests import Request

HUB_TIERS = ("edge", "client")  # tiers whose hub may answer another tier (fleet/hierarchy.py ABOVE)
# The seed's claims for a tier's local + cache hit rate (issue 15): how much it serves without asking up
CLAIMED_HIT_RATE = {"iot": 0.60, "edge": 0.75, "client": 0.90}


def tier_of(device: str) -> str:
    """`iot-6` -> `iot` (fleet devices are named <tier>-<index>)."""
    return device.rsplit("-", 1)[0]


def answered_by(r: Outcome) -> dict[str, int]:
    """Escalated tokens per answering tier (hubs and the cloud): the stream marks every escalated
    token "cloud", the agent's record says which tier answered each; a record without it (an
    agent without hops) leaves every escalated token with the cloud."""
    got = {k: int(v) for k, v in ((r.record or {}).get("answered_by") or {}).items() if isinstance(v, (int, float))}
    if not got:
        return {"cloud": r.provenance.get("cloud", 0)} if r.provenance.get("cloud") else {}
    return got


def _sources(r: Outcome) -> dict[str, int]:
    """A request's tokens and where they came from (one row of the bootstrap's columns)."""
    by = answered_by(r)
    hubs = sum(v for k, v in by.items() if k != "cloud")
    device, cache = r.provenance.get("device", 0), r.provenance.get("cache", 0)
    return {"tokens": r.tokens, "device": device, "cache": cache, "served": device + cache,
            "cloud": r.provenance.get("cloud", 0) - hubs, "hub": hubs,
            **{f"hub_{t}": by.get(t, 0) for t in HUB_TIERS}}


def _shares(ok: list[Outcome], figures: dict[str, str], round_: int) -> dict[str, Interval]:
    """Each figure (name -> source column) as a share of the tokens, resampled over the requests."""
    if not ok:
        return {name: Interval(None, None, None) for name in figures}
    rows = [_sources(r) for r in ok]
    columns = {k: [row[k] for row in rows] for k in rows[0]}
    return bootstrap_ratios(columns, {name: (col, "tokens") for name, col in figures.items()}, seed=_seed(round_))


def _seed(round_: int) -> int:
    return round_ % 2**32  # a round's intervals are reproducible; round -1 (unknown) is a valid seed too


def prompt_key(req: Request) -> str:
    return req.prompt if req.prompt is not None else json.dumps(req.messages)


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ms(value: float | None) -> float | None:
    return None if value is None else value * 1e3


def _ci(interval: Interval) -> list[float] | None:
    return None if interval.low is None else [interval.low, interval.high]


def rows_by_round(results: list[Outcome], baseline: dict[str, bool] | None = None,
                  sent: dict[str, Request] | None = None) -> list[dict]:
    """Per installed round: requests, failures, cloud / hub / cache share, accuracy, latency;
    `<figure>_ci` is its 95% interval ([low, high], None when there is nothing to resample)."""
    groups: dict[int, list[Outcome]] = defaultdict(list)
    for r in results:
        groups[r.adapter_version].append(r)
    rows = []
    for rnd in sorted(groups):
        rs = groups[rnd]
        ok = [r for r in rs if r.ok]
        shares = _shares(ok, {"cloud_share": "cloud", "hub_share": "hub", "cache_share": "cache"}, rnd)
        graded = [r for r in ok if r.correct is not None]
        right = sum(bool(r.correct) for r in graded)
        acc = wilson(right, len(graded)) if graded else Interval(None, None, None)
        row = {"round": rnd, "requests": len(rs), "failed": len(rs) - len(ok),
               **{k: (v.point if v.point is not None else 0.0) for k, v in shares.items()},
               **{f"{k}_ci": _ci(v) for k, v in shares.items()},
               "accuracy": acc.point, "accuracy_ci": _ci(acc),
               # requests the agent ended because their output looped (its --loop-stop)
               "looped": sum(1 for r in ok if (r.record or {}).get("loop_stopped")),
               "ttft_p50_ms": _ms(_pct([r.ttft_s for r in ok if r.ttft_s is not None], 0.5)),
               "latency_p50_ms": _ms(_pct([r.total_s for r in ok], 0.5)),
               "latency_p95_ms": _ms(_pct([r.total_s for r in ok], 0.95))}
        if baseline is not None and sent is not None and graded:
            pairs = [(float(bool(r.correct)), float(baseline[key])) for r in graded
                     if (key := prompt_key(sent[r.request_id])) in baseline]
            if pairs:
                vs = bootstrap_ratios({"fleet": [p[0] for p in pairs], "cloud": [p[1] for p in pairs],
                                       "one": [1.0] * len(pairs)},
                                      {"cloud_only_accuracy": ("cloud", "one"), "vs_cloud_only": ("fleet", "cloud")},
                                      seed=_seed(rnd))
                row["cloud_only_accuracy"] = vs["cloud_only_accuracy"].point
                row["vs_cloud_only"] = vs["vs_cloud_only"].point
                row["vs_cloud_only_ci"] = _ci(vs["vs_cloud_only"])
                row["paired_requests"] = len(pairs)
        rows.append(row)
    return rows


class RoundProgress:
    """Progress rows while traffic runs: a round's row once an answer from a later round arrives
    (rounds only move forward at an agent, so the round is mostly done), the rows of the rounds
    still open at the end from `rest()`. Counts are those so far: answers still in flight land in
    the final tables only."""

    def __init__(self) -> None:
        self.done: list[Outcome] = []
        self.shown: int | None = None  # the oldest round without a row yet

    def add(self, outcome: Outcome) -> list[dict]:
        self.done.append(outcome)
        version = outcome.adapter_version
        if self.shown is None:
            self.shown = version
        if version <= self.shown:
            return []
        rows = rows_by_round([r for r in self.done if self.shown <= r.adapter_version < version])
        self.shown = version
        return rows

    def rest(self) -> list[dict]:
        if self.shown is None:
            return []
        return rows_by_round([r for r in self.done if r.adapter_version >= self.shown])


def tiers_by_round(results: list[Outcome]) -> list[dict]:
    """Per installed round and tier: the share of the tier's tokens its devices' own model
    produced (`local`), their cache served, each hub answered (`hub_edge`, `hub_client`) and the
    cloud answered, and the local + cache hit rate with its 95% interval."""
    groups: dict[tuple[int, str], list[Outcome]] = defaultdict(list)
    for r in results:
        if r.ok:
            groups[(r.adapter_version, tier_of(r.device))].append(r)
    rows = []
    for (rnd, tier) in sorted(groups):
        ok = groups[(rnd, tier)]
        figures = {"local": "device", "cache": "cache", **{f"hub_{t}": f"hub_{t}" for t in HUB_TIERS},
                   "cloud": "cloud", "hit_rate": "served"}
        shares = _shares(ok, figures, rnd)
        rows.append({"round": rnd, "tier": tier, "requests": len(ok), "tokens": sum(r.tokens for r in ok),
                     **{k: v.point for k, v in shares.items()}, "hit_rate_ci": _ci(shares["hit_rate"]),
                     "claimed_hit_rate": CLAIMED_HIT_RATE.get(tier)})
    return rows


def summary(results: list[Outcome]) -> dict:
    ok = [r for r in results if r.ok]
    gaps = [g for r in ok for g in r.gaps_s]
    return {"requests": len(results), "failed": len(results) - len(ok),
            "ttft_ms": {q: _ms(_pct([r.ttft_s for r in ok if r.ttft_s is not None], p))
                        for q, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))},
            "per_token_ms": {q: _ms(_pct(gaps, p)) for q, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))},
            "max_gap_ms": _ms(max(gaps)) if gaps else None}


def cut_short(results: list[Outcome], max_tokens: int) -> str | None:
    """A line when graded answers ended at `max_tokens` (not at a stop or the loop stop): such
    an answer is cut before its number and reads as wrong, cloud-only's too, so a --max-tokens
    set too low shows as accuracy near 0% with nothing else to say why."""
    graded = [r for r in results if r.ok and r.correct is not None]
    cut = [r for r in graded if r.finish_reason == "length" and not (r.record or {}).get("loop_stopped")]
    if not cut:
        return None
    return (f"{len(cut)} of {len(graded)} graded answers ended at --max-tokens {max_tokens} before they finished "
            "(an answer cut before its number reads as wrong): raise --max-tokens if that is more than a few")


def failures_by_agent(results: list[Outcome]) -> list[str]:
    """One line per agent with failed requests: how many of its requests, and the last error
    (a stopped agent, a 503 from a full queue), so the terminal says why, not only how many."""
    by: dict[str, list[Outcome]] = defaultdict(list)
    for r in results:
        by[r.device].append(r)
    lines = []
    for device in sorted(by):
        failed = [r for r in by[device] if not r.ok]
        if failed:
            last = failed[-1]
            why = last.error or (f"HTTP {last.status}" if last.status else "no answer")
            lines.append(f"{device}: {len(failed)} of {len(by[device])} requests failed (last: {why})")
    return lines


def with_interval(row: dict, key: str) -> str:
    """`17.6% [14.0, 21.3]` for a row's figure and its `_ci`; `-` when it has none."""
    ci = row.get(f"{key}_ci")
    return Interval(row.get(key), *(ci or (None, None))).fmt()


def write_report(path: Path, results: list[Outcome], rows: list[dict], meta: dict,
                 baseline: dict[str, bool] | None = None) -> None:
    """traffic.json: the tables, every request's outcome, and the cloud-only verdict per prompt
    (so the paired figures can be recomputed from the file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "summary": summary(results), "rounds": rows,
                                "tiers": tiers_by_round(results), "cloud_only": baseline,
                                "results": [asdict(r) for r in results]}, indent=1))


def print_tables(rows: list[dict], tiers: list[dict]) -> None:
    """The per-round table (95% intervals in brackets) and the per-tier split of every round."""
    from fedhybrid.tables import print_table

    shown = [{**row, **{k: with_interval(row, k) for k in ("cloud_share", "accuracy", "vs_cloud_only")}}
             for row in rows]
    print_table("traffic by installed round (round 0: before the first round reached the agent; "
                "[95% interval])", shown,
                [("round", "{}"), ("requests", "{}"), ("failed", "{}"), ("looped", "{}"), ("cloud_share", "{}"),
                 ("hub_share", "{:.1%}"), ("cache_share", "{:.1%}"), ("accuracy", "{}"),
                 ("cloud_only_accuracy", "{:.1%}"), ("vs_cloud_only", "{}"), ("ttft_p50_ms", "{:.0f}"),
                 ("latency_p50_ms", "{:.0f}"), ("latency_p95_ms", "{:.0f}")])
    shown = [{**t, "hit_rate": with_interval(t, "hit_rate")} for t in tiers]
    print_table("where each tier's tokens came from, by round (hit rate: local + cache, [95% interval])", shown,
                [("round", "{}"), ("tier", "{}"), ("requests", "{}"), ("local", "{:.1%}"), ("cache", "{:.1%}"),
                 ("hub_edge", "{:.1%}"), ("hub_client", "{:.1%}"), ("cloud", "{:.1%}"), ("hit_rate", "{}"),
                 ("claimed_hit_rate", "{:.0%}")])
