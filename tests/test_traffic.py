"""`fleet traffic`'s driver against a running agent: open-loop requests, measured and graded."""

import asyncio

from agent.app import create_agent_app, write_token
from agent.sync import RoundRunner
from fedhybrid import traffic
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
    rows = traffic.rows_by_round(results)
    assert [row["round"] for row in rows] == [0] and rows[0]["requests"] == len(results) and rows[0]["failed"] == 0
    assert engine.journal.count() == len(results)  # every answered request was journaled


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
    row = traffic.rows_by_round(results)[0]
    assert row["hub_share"] == 3 / 30 and row["cloud_share"] == 3 / 30 and row["cache_share"] == 5 / 30
    # a record without answered_by (an agent without hops, an older agent) leaves every escalation with the cloud
    plain = traffic.rows_by_round([traffic.Outcome("d", "edge-3", 0.0, ok=True, tokens=4, total_s=1.0, provenance={"cloud": 4})])[0]
    assert plain["cloud_share"] == 1.0 and plain["hub_share"] == 0.0
