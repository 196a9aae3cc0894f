"""Per-round, per-tier numbers from the server's round history (one definition everywhere).

- cloud share: cloud-generated tokens / all generated tokens (token-weighted over nodes)
- cache share: cache-served tokens / all generated tokens
- accuracy: exact-match share over the tier's queries
- bytes up/down: mean per node of the tier
"""

from __future__ import annotations

from collections import defaultdict


def tier_rows(history: list[dict], tiers: tuple[str, ...] = ("client", "edge", "iot", "all")) -> list[dict]:
    rows = []
    for record in history:
        groups: dict[str, list[dict]] = defaultdict(list)
        for device, m in record["nodes"].items():
            groups[m["tier"]].append(m)
            groups["all"].append(m)
        for tier in tiers:
            nodes = groups.get(tier)
            if not nodes:
                continue
            tokens = sum(m["tokens"] for m in nodes) or 1.0
            queries = sum(m["num-examples"] for m in nodes) or 1.0
            rows.append({
                "round": record["round"], "tier": tier, "nodes": len(nodes),
                "cloud_share": sum(m["cloud-tokens"] for m in nodes) / tokens,
                "cache_share": sum(m["cache-tokens"] for m in nodes) / tokens,
                "accuracy": sum(m["accuracy"] * m["num-examples"] for m in nodes) / queries,
                "cloud_tokens_computed": sum(m["cloud-tokens-computed"] for m in nodes),
                "tokens": sum(m["tokens"] for m in nodes), "queries": queries,
                "bytes_up": sum(m["bytes-up"] for m in nodes) / len(nodes),
                "bytes_down": sum(m["bytes-down"] for m in nodes) / len(nodes),
                "released": record["release"].get("released", 0),
                "withheld": record["release"].get("withheld", 0),
            })
    return rows
