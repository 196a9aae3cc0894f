"""The agent's engine without HTTP: requests, journal, privacy, cache refresh, version swaps."""

import threading

import numpy as np

from agent.wire import encode_adapter
from inference.lora import LoraSpec, attach, b_matrices
from inference.tokenizer import encode_prompt
from serving.engine_api import JobDone, JobFailed, RoutingParams
from workloads import wordmath

PROBLEMS = wordmath.generate("heldout", 3, seed=11)


def _ids(engine, i=0):
    return encode_prompt(engine.tokenizer, PROBLEMS[i].prompt)


def test_a_request_is_answered_with_provenance_and_journaled_before_it_completes(make_agent, run_job):
    engine = make_agent(policy="cloud-only")
    done, events = run_job(engine, _ids(engine), max_tokens=16)
    assert isinstance(done, JobDone) and len(events) == len(done.token_ids) == 16
    assert done.provenance == ["cloud"] * 16 and done.usage["cloud_tokens"] == 16
    record = done.extra["fedhybrid"]
    assert record["journal_seq"] == 1 and record["corrections"] == 16
    (rec,) = list(engine.journal.records(0))  # committed by the time the job reported done
    assert rec.request_id == record["request_id"] and rec.upload and rec.train
    assert len(rec.corrections) == 16 and rec.output == done.token_ids and not rec.finished
    assert "".join(ev.text for ev in events) + "" == done.text or done.text.startswith("".join(e.text for e in events))


def test_local_only_and_redact_keep_the_request_on_the_device(make_agent, run_job):
    engine = make_agent(policy="cloud-only")
    done, _ = run_job(engine, _ids(engine), max_tokens=8, routing=RoutingParams(privacy="local-only"))
    assert done.usage["cloud_calls"] == 0 and set(done.provenance) <= {"device", "cache"}
    done, _ = run_job(engine, _ids(engine, 1), max_tokens=8, routing=RoutingParams(privacy="redact"))
    assert done.usage["cloud_calls"] > 0
    recs = list(engine.journal.records(0))
    assert [(r.upload, r.train) for r in recs] == [(False, False), (False, False)]
    assert list(engine.journal.records(0, only_upload=True)) == []


def test_bad_routing_dials_fail_the_job_not_the_engine(make_agent, run_job):
    engine = make_agent(policy="confidence", threshold=0.5)
    failed, _ = run_job(engine, _ids(engine), routing=RoutingParams(target_cloud_share=0.1))
    assert isinstance(failed, JobFailed) and failed.status == 400 and failed.param == "target_cloud_share"
    failed, _ = run_job(engine, _ids(engine), routing=RoutingParams(threshold=7.0))
    assert isinstance(failed, JobFailed) and failed.param == "threshold"
    too_long, _ = run_job(engine, [5] * 600)
    assert isinstance(too_long, JobFailed) and too_long.status == 400 and "context" in too_long.message
    ok, _ = run_job(engine, _ids(engine), max_tokens=4)  # the worker is still serving
    assert isinstance(ok, JobDone)


def test_a_recurring_question_is_served_from_the_cache_after_a_refresh(make_agent, run_job):
    engine = make_agent(policy="cloud-only")
    ids = _ids(engine)
    first, _ = run_job(engine, ids, max_tokens=24)
    run_job(engine, ids, max_tokens=24)  # entries need two sightings
    assert engine.refresh() and engine.current.index_upto == 2
    third, _ = run_job(engine, ids, max_tokens=24)
    assert third.usage["cache_tokens"] > 0 and third.token_ids == first.token_ids
    (rec,) = list(engine.journal.records(2))  # its serves are journaled as feedback for the entries
    assert sum(served for _, _, served, _ in rec.feedback) == third.usage["cache_tokens"]
    assert rec.corrections == []  # the cloud was not asked


def test_state_survives_a_restart(make_agent, run_job, tmp_path):
    engine = make_agent("edge-5", policy="cloud-only", state_dir=tmp_path / "edge-5")
    ids = _ids(engine)
    first, _ = run_job(engine, ids, max_tokens=24)
    run_job(engine, ids, max_tokens=24)
    engine.close()
    again = make_agent("edge-5", policy="cloud-only", state_dir=tmp_path / "edge-5")
    assert again.local_upto == 2 and len(again.local) > 0  # the journal replayed into the local table
    served, _ = run_job(again, ids, max_tokens=24)
    assert served.usage["cache_tokens"] > 0 and served.token_ids == first.token_ids


def test_requests_in_flight_finish_on_the_old_version_and_new_ones_take_the_new(make_agent, run_job):
    engine = make_agent(policy="slm-only")
    base = engine.base
    spec = LoraSpec(engine.cfg.profile.lora_rank, engine.cfg.profile.lora_rank, engine.cfg.lora_seed)
    rng = np.random.default_rng(0)
    adapter = {k: rng.normal(0, 0.5, v.shape).astype(np.float32) for k, v in b_matrices(attach(base, spec)).items()}
    first_token, release = threading.Event(), threading.Event()

    def hold(_ev):  # the request pauses after its first token until the install is done
        if not first_token.is_set():
            first_token.set()
            release.wait(60)

    result = {}
    worker = threading.Thread(target=lambda: result.update(
        old=run_job(engine, _ids(engine), max_tokens=12, on_event=hold)[0]))
    worker.start()
    assert first_token.wait(60)
    dep = engine.install(adapter, 1, None, 0, 1)  # while the request is mid-stream
    assert dep.adapter_version == 1 and engine.current is dep
    release.set()
    worker.join(60)
    old = result["old"]
    assert isinstance(old, JobDone) and old.extra["fedhybrid"]["adapter_version"] == 0 and len(old.token_ids) == 12
    new, _ = run_job(engine, _ids(engine), max_tokens=12)
    assert new.extra["fedhybrid"]["adapter_version"] == 1
    assert new.token_ids != old.token_ids  # the new adapter does change the model
    assert engine.journal.blob("adapter")[1] == 1  # and it is what a restart loads
    assert encode_adapter(engine.adapter) == encode_adapter(adapter)


def test_an_adapter_that_does_not_fit_changes_nothing(make_agent, run_job):
    engine = make_agent(policy="slm-only")
    before = engine.current
    import pytest

    from agent.errors import AgentError

    with pytest.raises(AgentError, match="does not fit"):
        engine.install({"base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight":
                        np.zeros((3, 2), dtype=np.float32)}, 1, None, 0, 1)
    assert engine.current is before and engine.journal.blob("adapter") is None


def test_a_question_asked_before_escalates_past_the_hubs_to_the_cloud(make_agent, run_job, zoo_models, tmp_path):
    """A hub's answer is never recorded, so a wrong one would return at every recurrence: the
    second time a question comes, its escalations go to the cloud, whose answers the cache keeps.
    The agent remembers which questions it answered across a restart (its journal)."""
    from inference.cloud import LocalCloud
    from inference.escalation import EscalationChain, Hop

    device, cloud_model, *_ = zoo_models

    def chain():  # a hub that is always sure of itself (the device's own model), then the cloud
        return EscalationChain([Hop("edge", LocalCloud(device), min_confidence=0.0, deadline_s=5.0),
                                Hop("cloud", LocalCloud(cloud_model), deadline_s=5.0)])

    engine = make_agent("edge-8", upstream=chain(), policy="cloud-only", state_dir=tmp_path / "a")
    ids = _ids(engine)
    first, _ = run_job(engine, ids, max_tokens=12)
    assert first.extra["fedhybrid"]["answered_by"] == {"edge": 12} and first.extra["fedhybrid"]["corrections"] == 0
    again, _ = run_job(engine, ids, max_tokens=12)
    assert again.extra["fedhybrid"]["answered_by"] == {"cloud": 12} and again.extra["fedhybrid"]["corrections"] == 12
    other, _ = run_job(engine, _ids(engine, 1), max_tokens=12)  # a new question still asks the hub first
    assert other.extra["fedhybrid"]["answered_by"] == {"edge": 12}
    engine.close()
    restarted = make_agent("edge-8", upstream=chain(), policy="cloud-only", state_dir=tmp_path / "a")
    after, _ = run_job(restarted, _ids(restarted, 1), max_tokens=12)
    assert after.extra["fedhybrid"]["answered_by"] == {"cloud": 12}
    off = make_agent("edge-9", upstream=chain(), policy="cloud-only", state_dir=tmp_path / "b",
                     recurring_to_cloud=False)
    for _ in range(2):
        done, _ = run_job(off, ids, max_tokens=12)
        assert done.extra["fedhybrid"]["answered_by"] == {"edge": 12}


def test_a_question_asked_before_has_its_unchecked_tokens_settled_by_the_cloud(make_agent, run_job, tmp_path):
    """The device answers alone (slm-only: nothing escalated): the first time nothing reaches the
    cloud; the second time one call at the end scores the answer, whose observations are journaled
    for the cache; the answer itself is the device's both times. Off, the recurrence costs nothing."""
    engine = make_agent("edge-8", policy="slm-only", state_dir=tmp_path / "a")
    ids = _ids(engine)
    first, _ = run_job(engine, ids, max_tokens=12)
    assert first.usage["cloud_calls"] == 0 and first.extra["fedhybrid"]["corrections"] == 0
    again, _ = run_job(engine, ids, max_tokens=12)
    assert again.token_ids == first.token_ids and again.usage["cloud_tokens"] == 0
    assert again.usage["cloud_calls"] == 1 and again.extra["fedhybrid"]["corrections"] > 0
    (_, rec) = list(engine.journal.records(0))
    assert len(rec.corrections) == again.extra["fedhybrid"]["corrections"]
    off = make_agent("edge-9", policy="slm-only", state_dir=tmp_path / "b", settle_recurring=False)
    for _ in range(2):
        done, _ = run_job(off, ids, max_tokens=12)
        assert done.usage["cloud_calls"] == 0 and done.extra["fedhybrid"]["corrections"] == 0


def test_past_remember_the_oldest_question_is_forgotten_and_counts_as_new_again(make_agent, run_job, tmp_path):
    """remember=1: after A then B, A is no longer known as asked (no settle call when it comes
    back); a restart keeps the most recently asked anchors from the journal, within the bound."""
    engine = make_agent("edge-6", policy="slm-only", state_dir=tmp_path / "a", remember=1)
    a, b = _ids(engine, 0), _ids(engine, 1)
    for ids in (a, b):
        done, _ = run_job(engine, ids, max_tokens=8)
        assert done.usage["cloud_calls"] == 0
    assert len(engine.asked) == 1
    forgotten, _ = run_job(engine, a, max_tokens=8)  # asked before, but past the bound
    assert forgotten.usage["cloud_calls"] == 0
    known, _ = run_job(engine, a, max_tokens=8)  # now the most recent: settled
    assert known.usage["cloud_calls"] == 1
    engine.close()
    restarted = make_agent("edge-6", policy="slm-only", state_dir=tmp_path / "a", remember=1)
    assert list(restarted.asked) == [restarted.current.cache.anchor_of(a)]  # A was asked last
    again, _ = run_job(restarted, a, max_tokens=8)
    assert again.usage["cloud_calls"] == 1


def test_an_answer_the_cloud_agreed_with_is_relearnt_without_a_call(make_agent, run_job, zoo_models, tmp_path):
    """The cloud here is the device's own model, so the settle finds the answer all agreed: after
    the next round's install (which ends the per-round memory) the recurrence journals the same
    corrections again, without a cloud call."""
    from inference.cloud import LocalCloud

    device, *_ = zoo_models
    engine = make_agent("edge-7", policy="slm-only", upstream=LocalCloud(device), state_dir=tmp_path / "a")
    ids = _ids(engine)
    run_job(engine, ids, max_tokens=12)
    settled, _ = run_job(engine, ids, max_tokens=12)
    assert settled.usage["cloud_calls"] == 1 and len(engine.agreed) == 1
    engine.install(None, 0, None, 0, 1)
    again, _ = run_job(engine, ids, max_tokens=12)
    assert again.token_ids == settled.token_ids and again.usage["cloud_calls"] == 0
    assert again.extra["fedhybrid"]["corrections"] == settled.extra["fedhybrid"]["corrections"] > 0


def test_a_hop_that_is_down_is_in_health_and_the_log_while_the_next_tier_answers(make_agent, run_job, zoo_models,
                                                                                caplog):
    """The next tier up answers for a hop that is down, so no request shows it: /health lists each
    hop's calls and failures with the last reason, and the agent logs it (at most every 30 s)."""
    from inference.cloud import LocalCloud
    from inference.escalation import EscalationChain, Hop
    from serving.launch import free_port
    from serving.remote_cloud import RemoteCloud, RemoteCloudConfig

    _, cloud_model, tok, *_ = zoo_models
    hub = RemoteCloud(RemoteCloudConfig(f"http://127.0.0.1:{free_port()}", max_retries=0, connect_timeout_s=1.0))
    hub.connect_later(tok)  # as `device serve --hop` does: a hub down at the start is tried at its first call
    chain = EscalationChain([Hop("edge", hub, min_confidence=0.5, deadline_s=2.0),
                             Hop("cloud", LocalCloud(cloud_model), deadline_s=5.0)])
    engine = make_agent("iot-8", upstream=chain, policy="cloud-only")
    with caplog.at_level("WARNING", logger="fedhybrid.agent"):
        done, _ = run_job(engine, _ids(engine), max_tokens=6)
    assert done.extra["fedhybrid"]["answered_by"] == {"cloud": 6}  # every token, the cloud's
    edge, cloud = engine.health()["hops"]
    assert edge["tier"] == "edge" and edge["failed"] >= 1 and edge["answered"] == 0
    assert "127.0.0.1" in edge["last_failure"] and cloud["tier"] == "cloud" and cloud["answered"] >= 6
    assert engine.health()["cloud"] == "ok"  # the tier above the hops answered every call
    assert "iot-8: hop edge failed" in caplog.text and "the next tier up answered for it" in caplog.text
    assert caplog.text.count("hop edge failed") == 1  # one warning, not one per call
