"""fedhybrid.report: the chain shares, intervals from per-query outcomes, goal verdicts."""

import pytest

from fedhybrid.report import add_intervals, chain_parts, goal_verdicts, tier_rows


def _query(key, tokens, cloud=0, cache=0, hubs=None, correct=True):
    return {"key": key, "correct": correct, "tokens": tokens, "cloud": cloud, "cache": cache, "hubs": hubs or {},
            "computed": 0, "hub_computed": 0}


def _metrics(tier, served):
    """A node's round metrics as fleet.device_node reports them, from its per-query outcomes."""
    hubs = {t for q in served for t in q["hubs"]}
    graded = [q for q in served if q["correct"] is not None]
    return {"tier": tier, "num-examples": float(len(served)), "tokens": float(sum(q["tokens"] for q in served)),
            "cloud-tokens": float(sum(q["cloud"] for q in served)),
            "cache-tokens": float(sum(q["cache"] for q in served)),
            **{f"hub-tokens-{t}": float(sum(q["hubs"].get(t, 0) for q in served)) for t in hubs},
            "accuracy": sum(bool(q["correct"]) for q in graded) / max(1, len(graded)),
            "cloud-tokens-computed": 0.0, "bytes-up": 0.0, "bytes-down": 0.0}


def _fleet(rounds: int = 1):
    """An iot and a client device per round; the iot device escalates to an edge hub and the cloud."""
    served, history = {}, []
    for rnd in range(1, rounds + 1):
        served[(rnd, "iot-1")] = [_query(f"shared/{i}", 10, cloud=1, cache=4, hubs={"edge": 2}) for i in range(20)]
        served[(rnd, "client-0")] = [_query(f"shared/{i}", 20, cloud=1, cache=10, correct=i % 2 != 0)
                                     for i in range(20)]
        history.append({"round": rnd, "release": {},
                        "nodes": {d: _metrics(d.split("-")[0], served[(rnd, d)]) for _, d in
                                  [k for k in served if k[0] == rnd]}})
    reference = {f"shared/{i}": {"correct": True, "cost": 50} for i in range(20)}
    return history, served, reference


def test_chain_parts_are_in_chain_order_and_sum_to_one():
    history, _, _ = _fleet()
    iot = next(r for r in tier_rows(history) if r["tier"] == "iot")
    parts = chain_parts(iot)
    assert [name for name, _ in parts] == ["local", "cache", "edge hub", "cloud"]
    assert dict(parts) == pytest.approx({"local": 0.3, "cache": 0.4, "edge hub": 0.2, "cloud": 0.1})
    assert iot["local_cache_share"] == pytest.approx(0.7)


def test_add_intervals_from_per_query_outcomes():
    history, served, reference = _fleet()
    rows = tier_rows(history)
    add_intervals(rows, history, served, reference, resamples=500)
    by_tier = {r["tier"]: r for r in rows}
    iot, client, fleet = by_tier["iot"], by_tier["client"], by_tier["all"]
    # every iot query is the same: the shares are certain
    assert iot["ci"]["local_cache_share"] == {"point": pytest.approx(0.7), "low": pytest.approx(0.7),
                                              "high": pytest.approx(0.7)}
    # the client missed 10 of 20 that cloud-only got right: paired ratio 50%, Wilson for the accuracy
    assert client["graded"] == 20 and client["ci"]["accuracy_vs_cloud"]["point"] == pytest.approx(0.5)
    assert client["ci"]["accuracy_vs_cloud"]["low"] < 0.5 < client["ci"]["accuracy_vs_cloud"]["high"] < 1.0
    assert client["ci"]["accuracy"]["low"] == pytest.approx(0.2993, abs=1e-4)  # Wilson 10/20
    assert (client["wins"], client["losses"]) == (0, 10)
    # the fleet row resamples within each device: its token shares match the history's
    assert fleet["ci"]["cloud_share"]["point"] == pytest.approx(fleet["cloud_share"])
    assert fleet["ci"]["hub_share"]["point"] == pytest.approx(fleet["hub_share"])


def test_add_intervals_says_why_a_row_has_none():
    history, served, reference = _fleet()
    rows = tier_rows(history)
    del served[(1, "client-0")]
    served[(1, "iot-1")] = served[(1, "iot-1")][:-1]  # outcomes that do not add up to the reported tokens
    add_intervals(rows, history, served, reference, resamples=50)
    by_tier = {r["tier"]: r for r in rows}
    assert by_tier["client"]["ci"] is None and "client-0" in by_tier["client"]["ci_note"]
    assert by_tier["iot"]["ci"] is None and "another run" in by_tier["iot"]["ci_note"]


def test_goal_verdicts_judge_each_part_by_its_interval():
    history, served, reference = _fleet(rounds=10)
    rows = tier_rows(history)
    add_intervals(rows, history, served, reference, resamples=500)
    goals = {g["goal"].split(":")[0]: g for g in goal_verdicts(rows)}
    # round 1: accuracy vs cloud-only 30/40 = 75%, its whole interval below 95%
    first = goals["round 1"]
    assert first["verdict"] == "not met" and first["parts"][0]["high"] < 0.95
    assert first["parts"][1]["verdict"] == "met"  # cloud share 40/600 tokens, <= 15%
    assert goals["round 10"]["parts"][0]["verdict"] == "not met"  # the same 6.7% is over 3%
    assert goals["round 10, iot"]["verdict"] == "met"  # 70% >= 60% on every query
    assert goals["round 10, client"]["verdict"] == "met"  # 95% >= 90% on every query
    assert goals["round 10, edge"]["verdict"].startswith("not evaluated")  # no edge device in this fleet


def test_a_tier_that_served_nothing_has_no_shares_and_no_accuracy():
    """More devices than requests: a tier whose devices served nothing reads "-", not 0% (which
    said every answer was wrong), and the fleet row is the tiers that served."""
    history, served, reference = _fleet()
    served[(1, "edge-2")] = []
    history[0]["nodes"]["edge-2"] = _metrics("edge", [])
    rows = tier_rows(history)
    add_intervals(rows, history, served, reference, resamples=50)
    by_tier = {r["tier"]: r for r in rows}
    edge = by_tier["edge"]
    assert edge["queries"] == 0 and edge["accuracy"] is None
    assert all(edge[k] is None for k in ("cloud_share", "cache_share", "local_cache_share", "hub_share"))
    assert edge["ci"] is None and "served no request" in edge["ci_note"]
    assert dict(chain_parts(edge)) == {"local": 0.0, "cache": 0.0, "cloud": 0.0}
    assert by_tier["all"]["queries"] == 40 and by_tier["all"]["accuracy"] == pytest.approx(0.75)
