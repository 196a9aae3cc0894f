"""`fleet traffic`'s driver against a running agent: open-loop requests, measured and graded."""

import asyncio
import json

from agent.app import create_agent_app, write_token
from agent.sync import RoundRunner
from fedhybrid import traffic
from fedhybrid import traffic_report as report
from serving.http_app import HttpConfig
from workloads.requests import Request


def test_traffic_streams_grades_and_groups_by_round(make_agent, serve_app, tiny_zoo_dir):
    engine = make_agent("edge-0", policy="cloud-only")
    token = write_token(engine.cfg.token_path)
    with serve_app(create_agent_app(engine, RoundRunner(engine), HttpConfig(), token)) as url:
        requests = [Request("a", prompt="Q: Ava has 12 apples. She buys 5 more.\nA:", answer="17", device="edge-0"),
                    Request("b", messages=(("user", "What is 2 + 2?"),), answer="4", device="edge-0"),
                    Request("c", prompt="Q: private\nA:", sensitive=True, device="edge-0")]
        stream = traffic.file_stream(requests, ["edge-0"])
        results, sent = asyncio.run(traffic.drive({"edge-0": url}, stream, rate=20.0, duration_s=0.6,
                                                  max_tokens=8))
    assert results and all(r.ok for r in results), [r.error for r in results]
    for r in results:
        req = sent[r.request_id]
        assert r.tokens == 8 and sum(r.provenance.values()) == 8 and r.ttft_s is not None
        assert (r.correct is None) == (req.answer is None)  # graded when there is an answer
        if req.sensitive:
            assert "cloud" not in r.provenance  # sent as local-only
    rows = report.rows_by_round(results)
    assert [row["round"] for row in rows] == [0] and rows[0]["requests"] == len(results) and rows[0]["failed"] == 0
    assert engine.journal.count() == len(results)  # every answered request was journaled
    # 8 tokens cut every graded answer short (all 8 generated, no stop asked for): the run says so
    assert {r.finish_reason for r in results} == {"length"}
    graded = sum(r.correct is not None for r in results)
    assert report.cut_short(results, 8) == (f"{graded} of {graded} graded answers ended at --max-tokens 8 before "
                                            "they finished (an answer cut before its number reads as wrong): raise "
                                            "--max-tokens if that is more than a few")


def test_tokens_a_hub_answered_count_as_hub_share_not_cloud_share():
    """A device agent with --hop streams every escalated token as "cloud"; its record says which
    tier answered (answered_by), and the round's shares must split them."""
    def outcome(rid, cloud, cache, answered_by):
        device = 10 - cloud - cache
        return traffic.Outcome(rid, "edge-3", 0.0, ok=True, tokens=10, total_s=1.0,
                               provenance={"device": device, "cloud": cloud, "cache": cache},
                               record={"answered_by": answered_by})

    results = [outcome("a", 4, 0, {"client": 3, "cloud": 1}), outcome("b", 2, 5, {"cloud": 2}),
               outcome("c", 0, 0, {})]
    row = report.rows_by_round(results)[0]
    assert row["hub_share"] == 3 / 30 and row["cloud_share"] == 3 / 30 and row["cache_share"] == 5 / 30
    # a record without answered_by (an agent without hops, an older agent) leaves every escalation with the cloud
    plain = report.rows_by_round([traffic.Outcome("d", "edge-3", 0.0, ok=True, tokens=4, total_s=1.0, provenance={"cloud": 4})])[0]
    assert plain["cloud_share"] == 1.0 and plain["hub_share"] == 0.0
    # the requests an agent ended because they looped are counted per round
    looped = traffic.Outcome("e", "edge-3", 0.0, ok=True, tokens=32, total_s=1.0, provenance={"cloud": 32},
                             record={"answered_by": {"cloud": 32}, "loop_stopped": True})
    assert report.rows_by_round(results)[0]["looped"] == 0
    assert report.rows_by_round([*results, looped])[0]["looped"] == 1


def test_failed_requests_are_summed_up_per_agent_with_the_last_reason():
    results = [traffic.Outcome("a", "edge-0", 0.0, ok=True, tokens=3, total_s=1.0, provenance={"device": 3}),
               traffic.Outcome("b", "iot-1", 0.1, error="ConnectError: All connection attempts failed"),
               traffic.Outcome("c", "iot-1", 0.2, status=503),
               traffic.Outcome("d", "iot-1", 0.3, ok=True, tokens=2, total_s=1.0, provenance={"device": 2})]
    assert report.failures_by_agent(results) == ["iot-1: 2 of 3 requests failed (last: HTTP 503)"]
    assert report.failures_by_agent(results[:2]) == [
        "iot-1: 1 of 1 requests failed (last: ConnectError: All connection attempts failed)"]
    assert report.failures_by_agent(results[:1]) == []


def test_answers_that_finished_or_that_the_loop_stop_ended_are_not_counted_as_cut_short():
    def outcome(finish, correct=True, looped=False):
        return traffic.Outcome("a", "edge-0", 0.0, ok=True, tokens=4, total_s=1.0, correct=correct,
                               finish_reason=finish, record={"loop_stopped": looped})

    assert report.cut_short([outcome("stop"), outcome("length", looped=True)], 32) is None
    assert report.cut_short([outcome("length", correct=None)], 32) is None  # ungraded: nothing reads wrong
    assert report.cut_short([outcome("stop"), outcome("length")], 32).startswith("1 of 2 graded answers ended at "
                                                                                 "--max-tokens 32")


def _done(rid, device, provenance, answered_by=None, correct=None, round_=1):
    return traffic.Outcome(rid, device, 0.0, ok=True, tokens=sum(provenance.values()), total_s=1.0,
                           provenance=provenance, correct=correct, adapter_version=round_,
                           record={"answered_by": answered_by} if answered_by is not None else None)


def test_each_tier_splits_its_tokens_by_source_and_the_hit_rate_is_local_plus_cache():
    results = [_done("a", "iot-5", {"device": 6, "cache": 2, "cloud": 2}, {"edge": 1, "client": 1}),
               _done("b", "iot-6", {"device": 8, "cloud": 2}, {"cloud": 2}),
               _done("c", "edge-2", {"device": 3, "cloud": 1}, {"client": 1}),
               _done("d", "client-0", {"device": 4}, round_=2),
               traffic.Outcome("e", "iot-5", 0.0, ok=False, adapter_version=1)]  # a failed request adds no tokens
    rows = {(t["round"], t["tier"]): t for t in report.tiers_by_round(results)}
    assert sorted(rows) == [(1, "edge"), (1, "iot"), (2, "client")]
    iot = rows[(1, "iot")]
    assert iot["requests"] == 2 and iot["tokens"] == 20
    assert (iot["local"], iot["cache"], iot["hub_edge"], iot["hub_client"], iot["cloud"]) == (0.7, 0.1, 0.05, 0.05, 0.1)
    assert iot["hit_rate"] == 0.8 and iot["claimed_hit_rate"] == 0.6
    low, high = iot["hit_rate_ci"]
    assert 0.6 <= low <= 0.8 <= high <= 1.0  # resampling the two requests: 8/10 and 8/10... or mixed
    edge = rows[(1, "edge")]
    assert edge["hub_client"] == 0.25 and edge["cloud"] == 0.0 and edge["hit_rate"] == 0.75
    client = rows[(2, "client")]
    assert client["hit_rate"] == 1.0 and client["hit_rate_ci"] == [1.0, 1.0]  # the same in every resample


def test_round_figures_carry_intervals_and_agreement_with_cloud_only_is_exactly_100_percent():
    prompts = {f"r{i}": Request(f"r{i}", prompt=f"Q: {i}\nA:", answer=str(i)) for i in range(40)}
    baseline = {p.prompt: i % 4 != 0 for i, p in enumerate(prompts.values())}  # the cloud misses every 4th
    # round 1 answers exactly as the cloud does; round 2 also misses the ones the cloud gets right at i % 4 == 1
    results = [_done(rid, "edge-2", {"device": 9, "cloud": 1}, correct=baseline[p.prompt], round_=1)
               for rid, p in prompts.items()]
    results += [traffic.Outcome(f"{rid}b", "edge-2", 0.0, ok=True, tokens=10, total_s=1.0,
                                provenance={"device": 10}, adapter_version=2,
                                correct=baseline[p.prompt] and int(rid[1:]) % 4 != 1)
                for rid, p in prompts.items()]
    sent = {**prompts, **{f"{rid}b": p for rid, p in prompts.items()}}
    one, two = report.rows_by_round(results, baseline, sent)
    assert one["vs_cloud_only"] == 1.0 and one["vs_cloud_only_ci"] == [1.0, 1.0] and one["paired_requests"] == 40
    assert one["cloud_share"] == 0.1 and one["cloud_share_ci"] == [0.1, 0.1]  # every request the same share
    assert one["accuracy"] == 0.75 and one["accuracy_ci"][0] < 0.75 < one["accuracy_ci"][1]  # Wilson, n=40
    assert two["vs_cloud_only"] == 20 / 30 and two["vs_cloud_only_ci"][1] < 1.0  # decided below cloud-only
    assert report.with_interval(one, "vs_cloud_only") == "100.0% [100.0, 100.0]"
    assert report.with_interval({"x": None}, "x") == "-"


def test_the_written_report_keeps_what_recomputes_the_tables(tmp_path):
    req = Request("a", prompt="Q: 1\nA:", answer="1")
    results = [_done("a", "iot-5", {"device": 3, "cloud": 1}, {"edge": 1}, correct=True)]
    baseline = {req.prompt: True}
    rows = report.rows_by_round(results, baseline, {"a": req})
    report.write_report(tmp_path / "t.json", results, rows, {"rate": 1.0}, baseline)
    saved = json.loads((tmp_path / "t.json").read_text())
    assert saved["cloud_only"] == baseline and saved["rounds"] == rows
    assert saved["tiers"] == report.tiers_by_round(results)
    again = [traffic.Outcome(**r) for r in saved["results"]]
    assert report.rows_by_round(again, saved["cloud_only"], {"a": req}) == rows


def test_the_agents_report_shows_every_tiers_chain_with_intervals(tmp_path):
    from fedhybrid.demo_agents import write_agents_report

    results = [_done("a", "iot-5", {"device": 6, "cache": 2, "cloud": 2}, {"edge": 1, "cloud": 1}, correct=True),
               _done("b", "edge-2", {"device": 3, "cloud": 1}, {"client": 1}, correct=False, round_=2)]
    rows, tiers = report.rows_by_round(results), report.tiers_by_round(results)
    path = write_agents_report(tmp_path, rows, tiers, report.summary(results), 12.0, ("edge", "iot"), 1.0, 40.0)
    text = path.read_text()
    assert "| 1 | iot | 1 | 60.0% | 20.0% | 10.0% | 0.0% | 10.0% | 80.0% [80.0, 80.0] |" in text
    assert "| 2 | edge | 1 | 75.0% | 0.0% | 0.0% | 25.0% | 0.0% | 75.0% [75.0, 75.0] |" in text
    assert "| round | requests | failed | looped |" in text and "| 2 | 1 | 0 | 0 | 0.0% [0.0, 0.0] |" in text
    assert (tmp_path / "agents.png").stat().st_size > 0
    assert json.loads((tmp_path / "report.json").read_text())["tiers"] == tiers


def test_progress_rows_come_when_a_later_round_answers_and_the_open_rounds_at_the_end():
    progress = report.RoundProgress()
    order = [(0, "a"), (0, "b"), (1, "c"), (0, "late"), (3, "d"), (3, "e")]
    shown = [[(row["round"], row["requests"]) for row in progress.add(_done(rid, "edge-2", {"device": 2},
                                                                             round_=v))] for v, rid in order]
    # round 0 when round 1 answers (2 so far: the late one is in the final tables only); rounds 1
    # (and the skipped 2, which had none) when round 3 answers; round 3 at the end
    assert shown == [[], [], [(0, 2)], [], [(1, 1)], []]
    assert [(row["round"], row["requests"]) for row in progress.rest()] == [(3, 2)]
    assert report.RoundProgress().rest() == []
