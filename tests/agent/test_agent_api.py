"""The device agent over HTTP, as an application reaches it: the `openai` client package."""


import httpx
import msgpack
import openai
import pytest

from agent.app import create_agent_app, write_token
from agent.sync import RoundRunner
from serving.http_app import HttpConfig
from workloads import wordmath

PROBLEM = wordmath.generate("heldout", 1, seed=31)[0]


def test_chat_streams_tokens_with_provenance_and_the_journal_record(agent):
    engine, url, _ = agent
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    stream = client.chat.completions.create(model="edge-2", messages=[{"role": "user", "content": PROBLEM.question}],
                                            max_tokens=20, temperature=0, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    tokens = [c for c in chunks if c.choices and c.choices[0].finish_reason is None and
              c.choices[0].model_extra.get("provenance")]
    assert len(tokens) == 20 and {c.choices[0].model_extra["provenance"] for c in tokens} <= {"device", "cloud", "cache"}
    final = next(c for c in chunks if c.choices and c.choices[0].finish_reason)
    (record,) = final.model_extra["fedhybrid"]
    usage = chunks[-1].usage
    assert usage.completion_tokens == 20
    assert usage.model_extra["cloud_tokens"] == sum(c.choices[0].model_extra["provenance"] == "cloud" for c in tokens)
    assert record["journal_seq"] == 1 and engine.journal.count() == 1


def test_completions_answer_the_question_like_the_decoder_and_carry_provenance(agent):
    _, url, _ = agent
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    whole = client.completions.create(model="edge-2", prompt=PROBLEM.prompt, max_tokens=24, temperature=0)
    choice = whole.choices[0]
    assert len(choice.model_extra["provenance"]) == whole.usage.completion_tokens == 24
    again = client.completions.create(model="edge-2", prompt=PROBLEM.prompt, max_tokens=24, temperature=0, stop=["."])
    assert "." not in again.choices[0].text and whole.choices[0].text.startswith(again.choices[0].text)


@pytest.mark.parametrize("body,headers,param", [
    ({"threshold": -1}, {}, "threshold"),
    ({}, {"x-fedhybrid-threshold": "lots"}, "threshold"),
    ({"privacy": "public"}, {}, "privacy"),
    ({}, {"x-fedhybrid-privacy": "public"}, "privacy"),
    ({"threshold": 0.1, "target_cloud_share": 0.1}, {}, "threshold"),
    ({"target_cloud_share": 1.5}, {}, "target_cloud_share"),
    ({"logprobs": 2}, {}, "logprobs"),
    ({"max_tokens": 65}, {}, "max_tokens"),
])
def test_bad_requests_are_400_never_500(agent, body, headers, param):
    _, url, _ = agent
    resp = httpx.post(f"{url}/v1/completions", json={"prompt": PROBLEM.prompt, "max_tokens": 4, **body},
                      headers=headers)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["param"] == param
    assert httpx.post(f"{url}/v1/completions", json={"prompt": "Q: x\nA:", "max_tokens": 2}).status_code == 200


@pytest.mark.parametrize("body,param", [
    ({"max_tokens": 0}, "max_tokens"),
    ({"max_tokens": 0, "echo": True}, "echo"),
    ({"echo": True}, "echo"),
    ({"logprobs": 0}, "logprobs"),
    ({"return_tokens_as_token_ids": True}, "return_tokens_as_token_ids"),
    ({"echo": True, "return_tokens_as_token_ids": True}, "echo"),
])
def test_scoring_fields_are_refused_by_the_field_sent_and_never_suggested(agent, body, param):
    """An agent generates but does not score: the refusal names the field that was sent, and
    max_tokens=0 does not send the client to echo, which is refused too."""
    _, url, _ = agent
    resp = httpx.post(f"{url}/v1/completions", json={"prompt": "hi", **body})
    assert resp.status_code == 400, resp.text
    err = resp.json()["error"]
    assert err["param"] == param, err
    if param == "max_tokens":
        assert "at least 1" in err["message"] and "echo" not in err["message"], err
    else:
        assert "logprobs, echo" not in err["message"] and param in err["message"], err


def test_a_prompt_too_long_for_the_context_names_the_prompt_or_messages(agent):
    engine, url, _ = agent
    context = httpx.get(f"{url}/v1/models").json()["data"][0]["max_model_len"]
    cases = (({"prompt": [1] * context, "max_tokens": 1}, "prompt"),  # no room for a token
             ({"prompt": [1] * (context + 400), "max_tokens": 2}, "prompt"),
             ({"prompt": [1] * (context - 1), "max_tokens": 2}, "max_tokens"))  # only max_tokens overflows
    for body, param in cases:
        resp = httpx.post(f"{url}/v1/completions", json=body)
        assert resp.status_code == 400 and resp.json()["error"]["param"] == param, resp.text
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    long_text = " ".join(["apples"] * context)
    assert len(engine.chat_ids([("user", long_text)])) > context
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="edge-2", messages=[{"role": "user", "content": long_text}], max_tokens=1)
    assert caught.value.body["param"] == "messages" and "shorten" in caught.value.body["message"]
    short = engine.chat_ids([("user", "hi")])
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="edge-2", messages=[{"role": "user", "content": "hi"}],
                                       max_completion_tokens=context - len(short) + 1)
    assert caught.value.body["param"] == "max_completion_tokens"


def test_admin_endpoints_need_the_token_and_reject_malformed_rounds(agent):
    engine, url, token = agent
    assert httpx.get(f"{url}/admin/v1/identity").status_code == 401
    assert httpx.get(f"{url}/admin/v1/identity", headers={"Authorization": "Bearer nope"}).status_code == 401
    auth = {"Authorization": f"Bearer {token}"}
    ident = httpx.get(f"{url}/admin/v1/identity", headers=auth).json()
    assert ident["device"] == "edge-2" and ident["tier"] == "edge" and ident["adapter_version"] == 0
    for body in (b"\x00not msgpack", msgpack.packb({"round": 0}), msgpack.packb({"round": 1, "acked": ["x"]}),
                 msgpack.packb({"round": 1, "adapter": b"junk", "cache_update": None})):
        resp = httpx.post(f"{url}/admin/v1/round", content=body, headers=auth)
        assert resp.status_code == 400 and "round refused" in resp.json()["error"]["message"], resp.text
    assert engine.current.adapter_version == 0 and engine.journal.pending_uploads() == []  # nothing changed


def test_metrics_report_what_operators_watch(agent):
    _, url, _ = agent
    httpx.post(f"{url}/v1/completions", json={"prompt": PROBLEM.prompt, "max_tokens": 4})
    text = httpx.get(f"{url}/metrics").text
    for name in ('fedhybrid_requests_total{endpoint="/v1/completions",status="200"}',
                 "fedhybrid_generated_tokens_total", "fedhybrid_cloud_calls_total", "fedhybrid_cloud_errors_total",
                 "fedhybrid_request_seconds_bucket", "fedhybrid_time_to_first_token_seconds_bucket",
                 "fedhybrid_cache_entries", "fedhybrid_adapter_version", "fedhybrid_cache_version",
                 "fedhybrid_queue_depth"):
        assert name in text, name


def test_the_admin_token_is_checked_before_any_admin_body_is_read(make_agent):
    """The admin routes take bodies up to 256 MiB and checked their token in the route, after the
    body was buffered: four unauthenticated 250 MiB posts took an agent from 417 to 1,668 MB. The
    token is checked from the headers now, before the first byte of the body is read."""
    import asyncio

    engine = make_agent("edge-7")
    token = write_token(engine.cfg.token_path)
    app = create_agent_app(engine, RoundRunner(engine), HttpConfig(), token)

    def post(path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
        """(status, body chunks the app read) for a POST of up to 16 chunks of 1 MiB."""
        read, sent = [0], []

        async def receive():
            read[0] += 1
            return {"type": "http.request", "body": b"x" * (1 << 20), "more_body": read[0] < 16}

        async def send(message):
            if message["type"] == "http.response.start":
                sent.append(message["status"])

        scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"",
                 "headers": [(b"content-type", b"application/msgpack"), *headers], "scheme": "http",
                 "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5), "root_path": "", "http_version": "1.1"}
        asyncio.run(app(scope, receive, send))
        return sent[0], read[0]

    assert post("/admin/v1/install", []) == (401, 0)
    assert post("/admin/v1/round", [(b"authorization", b"Bearer wrong")]) == (401, 0)
    assert post("/admin/no-such-route", []) == (401, 0)
    status, read = post("/admin/v1/install", [(b"authorization", f"Bearer {token}".encode())])
    assert status == 400 and read == 16  # the token's holder is read, and its bad body refused as before


def test_an_agent_with_an_api_key_still_takes_its_rounds_on_the_admin_token(make_agent, serve_app):
    """The API key guards the OpenAI routes; the admin routes keep their own token (a key on
    both would need two Authorization headers: the round could never reach the agent)."""
    engine = make_agent("edge-2")
    token = write_token(engine.cfg.token_path)
    with serve_app(create_agent_app(engine, RoundRunner(engine), HttpConfig(api_key="user-key"), token)) as url:
        assert httpx.get(f"{url}/v1/models").status_code == 401
        assert httpx.get(f"{url}/v1/models", headers={"Authorization": "Bearer user-key"}).status_code == 200
        admin = httpx.get(f"{url}/admin/v1/identity", headers={"Authorization": f"Bearer {token}"})
        assert admin.status_code == 200 and admin.json()["device"] == "edge-2"
        assert httpx.get(f"{url}/admin/v1/identity", headers={"Authorization": "Bearer user-key"}).status_code == 401
        for path in ("/random-abc", "/x/y/z123"):  # unauthenticated probes of invented paths
            assert httpx.get(f"{url}{path}").status_code == 401
        text = httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer user-key"}).text
        assert 'fedhybrid_requests_total{endpoint="other",status="401"} 2.0' in text
        assert 'fedhybrid_requests_total{endpoint="/v1/models",status="401"} 1.0' in text
        assert "random-abc" not in text and "z123" not in text
        # the admin API is counted too: an operator sees pushes succeed and fail beside the users' requests
        assert 'fedhybrid_requests_total{endpoint="/admin/v1/identity",status="200"} 1.0' in text
        assert 'fedhybrid_requests_total{endpoint="/admin/v1/identity",status="401"} 1.0' in text


def test_an_answer_that_loops_ends_early_with_finish_reason_length(make_agent, serve_app, looping_cloud_model):
    """A question the cloud answers with "\\n#" for ever: the agent stops after `loop_stop` tokens
    (not max_tokens cloud tokens), says why, and counts it on /metrics; off, it runs to max_tokens."""
    engine = make_agent("edge-5", cloud_model_override=looping_cloud_model, policy="cloud-only", loop_stop=16)
    token = write_token(engine.cfg.token_path)
    with serve_app(create_agent_app(engine, RoundRunner(engine), HttpConfig(max_tokens_limit=64), token)) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        reply = client.chat.completions.create(model="edge-5", messages=[{"role": "user", "content": PROBLEM.question}],
                                               max_tokens=60, temperature=0)
        choice = reply.choices[0]
        assert choice.finish_reason == "length" and reply.usage.completion_tokens == 16
        assert reply.usage.model_extra["cloud_tokens"] == 16
        assert reply.model_extra["fedhybrid"][0]["loop_stopped"] is True
        assert "fedhybrid_loop_stops_total 1.0" in httpx.get(f"{url}/metrics").text
    off = make_agent("edge-6", cloud_model_override=looping_cloud_model, policy="cloud-only", loop_stop=0)
    token = write_token(off.cfg.token_path)
    with serve_app(create_agent_app(off, RoundRunner(off), HttpConfig(max_tokens_limit=64), token)) as url:
        reply = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0).chat.completions.create(
            model="edge-6", messages=[{"role": "user", "content": PROBLEM.question}], max_tokens=60, temperature=0)
        assert reply.usage.completion_tokens == 60 and reply.model_extra["fedhybrid"][0]["loop_stopped"] is False


def test_a_recurring_question_the_cloud_loops_on_is_answered_from_the_cache(make_agent, serve_app,
                                                                             looping_cloud_model):
    """Once the journal holds the cloud's looping answer to a question (seen twice), the agent's
    cache replays it up to the loop stop: the same answer, no cloud token."""
    engine = make_agent("edge-7", cloud_model_override=looping_cloud_model, policy="cloud-only", loop_stop=16)
    token = write_token(engine.cfg.token_path)
    with serve_app(create_agent_app(engine, RoundRunner(engine), HttpConfig(max_tokens_limit=64), token)) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)

        def ask():
            return client.chat.completions.create(model="edge-7", max_tokens=60, temperature=0,
                                                  messages=[{"role": "user", "content": PROBLEM.question}])

        first = ask()
        ask()  # asked twice: the second time is a recurrence
        assert first.usage.model_extra["cloud_tokens"] == 16
        assert engine.refresh()  # the snapshot now holds the journal's corrections
        again = ask()
        assert again.choices[0].message.content == first.choices[0].message.content
        assert again.choices[0].finish_reason == "length"
        assert again.usage.model_extra["cloud_tokens"] == 0
        assert again.model_extra["fedhybrid"][0]["loop_stopped"] is True


def test_a_loop_stop_too_short_to_judge_is_refused_at_config():
    from agent.config import AgentConfig
    from agent.errors import AgentError
    from inference.tier_profile import profile

    with pytest.raises(AgentError, match="loop_stop=3: use 0"):
        AgentConfig("edge-1", profile("edge"), state_dir=".", loop_stop=3)


def test_an_agent_whose_cloud_stops_keeps_answering_and_says_so(make_agent, serve_app, tiny_zoo_dir, zoo_models,
                                                                tmp_path, caplog):
    """The cloud a real `fedhybrid cloud serve` process, stopped (by its PID) mid-run: answers go on
    (the device's tokens where the cloud would have corrected), /health and the log say why."""
    from serving.launch import CloudServerProcess
    from serving.remote_cloud import RemoteCloud, RemoteCloudConfig

    _, _, tok, _, _ = zoo_models
    body = {"prompt": PROBLEM.prompt, "max_tokens": 8, "temperature": 0}
    with CloudServerProcess("cloud", tiny_zoo_dir, log=tmp_path / "cloud.log") as srv:
        remote = RemoteCloud(RemoteCloudConfig(srv.url, connect_timeout_s=2.0))
        remote.connect(tok)
        engine = make_agent("edge-6", upstream=remote, policy="confidence", threshold=1.0)  # every token asks
        token = write_token(engine.cfg.token_path)
        with serve_app(create_agent_app(engine, RoundRunner(engine), HttpConfig(), token)) as url:
            up = httpx.post(f"{url}/v1/completions", json=body, timeout=60).json()
            assert up["usage"]["cloud_tokens"] == 8
            assert httpx.get(f"{url}/health").json() == {"status": "ok", "model": "edge-6", "cloud": "ok",
                                                         "cloud_failures_total": 0, "cloud_skipped_total": 0,
                                                         "cloud_last_failure": None}
            srv.stop()
            with caplog.at_level("WARNING", logger="fedhybrid.agent"):
                down = httpx.post(f"{url}/v1/completions", json=body, timeout=60)
            assert down.status_code == 200 and down.json()["usage"]["device_tokens"] == 8
            health = httpx.get(f"{url}/health").json()
            assert health["status"] == "ok" and health["cloud"] == "failing" and health["cloud_failures_total"] >= 1
            assert "cloud_failing_since" in health
            assert health["cloud_last_failure"].startswith("cloud call failed within"), health  # why, not only that
            assert "edge-6: " in caplog.text and "cloud call(s) failed or missed their deadline" in caplog.text


def test_a_hop_pointed_at_an_agents_own_api_is_told_its_hop_endpoint(agent, zoo_models):
    """An agent's user API answers completions but does not score tokens; a device given the
    agent's root as a hop got 'HTTP 400: {"error":{"message":"logprobs ... not supported by t'."""
    from inference.cloud import CloudUnavailable
    from serving.remote_cloud import NotACloud, RemoteCloud, RemoteCloudConfig

    _, url, _ = agent
    remote = RemoteCloud(RemoteCloudConfig(url))
    try:  # known by its model card at the check (a start-up probe refuses it), not at the first call
        with pytest.raises(NotACloud, match=rf"the user API of device agent 'edge-2', .* use {url}/hop "):
            remote.connect(zoo_models[2])
        remote.connect_later(zoo_models[2])
        with pytest.raises(NotACloud):
            remote.probe()
        with pytest.raises(CloudUnavailable, match=rf"use {url}/hop "):
            remote.predict("s", [5, 6, 7], 3, 4, 5.0)
    finally:
        remote.close()
