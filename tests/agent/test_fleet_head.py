"""The fleet's reward head on a device agent: labels while serving, fine-tuned in the round,
routed with, kept across a restart; a head that does not fit changes nothing."""

import msgpack
import numpy as np
import pytest

from agent.errors import AgentError
from agent.head import BLOB, FleetHead
from agent.journal import Journal
from agent.sync import RoundRunner
from agent.wire import RoundReply, RoundRequest, pack_reply, pack_request, unpack_reply, unpack_request
from inference.reward_head import RewardHead, RewardHeadConfig, head_arrays, pack_head, unpack_head
from inference.reward_labels import MIN_HEAD_LABELS
from inference.tokenizer import encode_prompt
from serving.engine_api import JobDone, JobFailed, RoutingParams
from workloads import wordmath

PROBLEMS = wordmath.generate("heldout", 4, seed=31)


def _request(round_: int, head: bytes | None, explore: float = 1.0) -> RoundRequest:
    return RoundRequest(round=round_, adapter=None, cache_update=None, seed=3, reward_head=head, explore=explore,
                        head_epochs=2)


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def _serve(engine, run_job, n: int = 3, **routing) -> None:
    for p in PROBLEMS[:n]:
        run_job(engine, encode_prompt(engine.tokenizer, p.prompt), max_tokens=16,
                routing=RoutingParams(**routing) if routing else None)


def test_the_agent_labels_what_it_serves_tunes_the_rounds_head_and_routes_with_it(make_agent, run_job, tmp_path):
    engine = make_agent("edge-7", policy="reward", state_dir=tmp_path / "edge-7")
    runner = RoundRunner(engine)
    zoo = head_arrays(engine.head)
    _serve(engine, run_job)
    assert engine.fleet_head.pending() == 0  # no labels before a round asks for them
    first = runner.run(_request(1, pack_head(zoo)))
    assert first.reward_head is None and first.metrics["head-labels"] == 0 and first.route_hist == []
    # the zoo's calibration table is not the fleet head's: with nothing routed yet, a target share is refused
    refused, _ = run_job(engine, encode_prompt(engine.tokenizer, PROBLEMS[0].prompt),
                         routing=RoutingParams(target_cloud_share=0.2))
    assert isinstance(refused, JobFailed) and refused.status == 400 and refused.param == "target_cloud_share"
    assert "fleet's reward head of round 1" in refused.message
    _serve(engine, run_job)
    assert engine.fleet_head.pending() >= MIN_HEAD_LABELS
    fleet = {k: v * 0.5 for k, v in zoo.items()}  # round 2's global head: another one than the zoo's
    reply = unpack_reply(pack_reply(runner.run(_request(2, pack_head(fleet)))))
    assert reply.metrics["head-labels"] >= MIN_HEAD_LABELS and reply.metrics["head-explored"] > 0
    tuned = unpack_head(reply.reward_head)
    assert not _same(tuned, fleet) and all(np.isfinite(v).all() for v in tuned.values())  # trained from it
    assert sum(reply.route_hist) > 0  # the tuned head's scores of the tokens the device proposed
    assert _same(head_arrays(engine.head), fleet)  # requests now route with the round's head
    assert engine.fleet_head.pending() == 0  # taken by the round
    # round 2's head scored the tokens routed since round 1: a target share maps to tau through them
    hist = engine.fleet_head.hist
    assert hist is not None and hist.sum() > 0
    taus = [engine.fleet_head.tau_for_share(s) for s in (0.05, 0.2, 0.6)]
    assert taus[0] >= taus[1] >= taus[2] >= 0  # more escalation, a lower bar
    done, _ = run_job(engine, encode_prompt(engine.tokenizer, PROBLEMS[0].prompt), max_tokens=8,
                      routing=RoutingParams(target_cloud_share=0.2))
    assert isinstance(done, JobDone)
    engine.close()
    again = make_agent("edge-7", policy="reward", state_dir=tmp_path / "edge-7")
    assert _same(head_arrays(again.head), fleet) and again.fleet_head.version == 2  # kept in the journal
    assert np.array_equal(again.fleet_head.hist, hist)  # and so is its histogram
    assert again.fleet_head.label_cfg.explore == 1.0
    _serve(again, run_job, n=1)
    assert again.fleet_head.pending() > 0  # and it goes on collecting for the next round


@pytest.mark.parametrize("privacy", ["local-only", "redact"])
def test_requests_that_may_not_leave_the_device_give_no_labels(make_agent, run_job, privacy):
    """The head tuned on the labels is uploaded; a redacted request's labels come from the states
    of its unredacted prompt, so only `allow` requests label (redact did, though the cloud was asked)."""
    engine = make_agent(policy="confidence", threshold=0.9)
    RoundRunner(engine).run(_request(1, pack_head(head_arrays(engine.head))))
    _serve(engine, run_job, privacy=privacy)
    assert engine.fleet_head.pending() == 0 and len(engine.fleet_head.take().proposed) == 0
    _serve(engine, run_job, n=1, privacy="allow")
    assert engine.fleet_head.pending() > 0  # the same agent labels an allowed one


@pytest.mark.parametrize("bad", [b"not a head", "wrong-size"])
def test_a_head_that_does_not_fit_is_refused_and_changes_nothing(make_agent, run_job, bad):
    engine = make_agent(policy="reward")
    zoo = head_arrays(engine.head)
    if bad == "wrong-size":
        bad = pack_head(head_arrays(RewardHead(RewardHeadConfig(hidden_size=engine.head.cfg.hidden_size + 1))))
    reply = RoundRunner(engine).run(_request(1, bad))
    assert reply.metrics["head-refused"] == 1.0 and reply.reward_head is None
    assert _same(head_arrays(engine.head), zoo) and engine.journal.blob(BLOB) is None
    assert engine.fleet_head.label_cfg is None  # and no labels are collected for it
    _serve(engine, run_job, n=1)
    assert engine.fleet_head.pending() == 0


def test_an_agent_without_a_head_of_its_own_takes_the_fleets(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    arrays = head_arrays(RewardHead(RewardHeadConfig(hidden_size=12, top_k=5, width=7)))
    fleet = FleetHead(journal, "iot-3", None)
    head, _ = fleet.install(pack_head(arrays), 0.2, 4)
    assert (head.cfg.hidden_size, head.cfg.top_k, head.cfg.width) == (12, 5, 7) and _same(head_arrays(head), arrays)
    assert fleet.collector(seed=1).cfg.explore == 0.2
    # a damaged blob: the agent starts with no fleet head (logged), never a crash
    journal.put_blobs({BLOB: (msgpack.packb({"head": b"junk", "explore": 0.2}), 4)})
    assert FleetHead(journal, "iot-3", None).head is None
    # so is a sound head kept beside a damaged score histogram: nothing of the blob is half-used
    for hist in (["x"], [1.0, 2.0], [float("nan")] * 304):
        journal.put_blobs({BLOB: (msgpack.packb({"head": pack_head(arrays), "explore": 0.2, "hist": hist}), 4)})
        restored = FleetHead(journal, "iot-3", None)
        assert restored.head is None and restored.hist is None and restored.version == 0
    journal.close()


def test_round_messages_carry_the_head_only_when_there_is_one():
    plain = RoundRequest(round=1, adapter=None, cache_update=None)
    assert set(msgpack.unpackb(pack_request(plain))) & {"reward_head", "explore", "head_epochs", "head_lr"} == set()
    with_head = _request(2, b"\x01\x02", explore=0.25)
    assert unpack_request(pack_request(with_head)) == with_head
    reply = RoundReply("edge-1", "edge", b"", [], [], 0, {}, reward_head=b"h", route_hist=[1.0, 0.0])
    assert unpack_reply(pack_reply(reply)) == reply
    assert "route_hist" not in msgpack.unpackb(pack_reply(RoundReply("e", "edge", b"", [], [], 0)))
    raw = msgpack.unpackb(pack_request(with_head))
    for field, value, rule in (("explore", 1.5, "in \\[0, 1\\]"), ("reward_head", "text", "bytes"),
                               ("head_epochs", -1, ">= 0")):
        with pytest.raises(AgentError, match=f"RoundRequest.{field}=.*{rule}"):
            unpack_request(msgpack.packb({**raw, field: value}))
    bad = msgpack.unpackb(pack_reply(reply))
    with pytest.raises(AgentError, match="route_hist"):
        unpack_reply(msgpack.packb({**bad, "route_hist": [-1.0]}))


def test_a_message_from_a_newer_peer_is_read_without_the_fields_this_version_does_not_know(caplog):
    """The round's ClientApp comes with the server's app, the agent may be older: a field it does
    not know is skipped (and named in the log) so the round's adapter and cache still install."""
    req = _request(3, b"\x01\x02")
    newer = msgpack.packb({**msgpack.unpackb(pack_request(req)), "future_knob": [1, 2]}, use_bin_type=True)
    with caplog.at_level("WARNING", logger="fedhybrid.agent"):
        assert unpack_request(newer) == req
    assert "RoundRequest carries fields this version does not know, ignored: 'future_knob'" in caplog.text
    reply = RoundReply("edge-1", "edge", b"", [], [], 0, {})
    assert unpack_reply(msgpack.packb({**msgpack.unpackb(pack_reply(reply)), "x": 1})) == reply
    # what it does know is still checked, and a message that is not a map is refused
    with pytest.raises(AgentError, match="RoundRequest.explore="):
        unpack_request(msgpack.packb({**msgpack.unpackb(newer), "explore": 7.0}))
    with pytest.raises(AgentError, match="not a map of fields"):
        unpack_request(msgpack.packb([1, 2, 3]))
