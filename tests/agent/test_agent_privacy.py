"""The device agent's privacy modes over HTTP, as an application and a gateway reach them: by
body field or header (the strictest holds, every value of a repeated header included), the
operator's floor, and what the cloud receives byte for byte."""

import json

import httpx
import openai

from agent.app import create_agent_app, write_token
from agent.sync import RoundRunner
from serving.http_app import HttpConfig
from workloads import wordmath

PROBLEM = wordmath.generate("heldout", 1, seed=31)[0]


def test_privacy_and_the_quality_dial_by_field_or_header(agent):
    engine, url, _ = agent
    body = {"prompt": PROBLEM.prompt, "max_tokens": 12, "temperature": 0}
    local = httpx.post(f"{url}/v1/completions", json={**body, "privacy": "local-only"}).json()
    assert local["usage"]["cloud_calls"] == 0 and local["fedhybrid"][0]["privacy"] == "local-only"
    by_header = httpx.post(f"{url}/v1/completions", json=body, headers={"x-fedhybrid-privacy": "local-only"}).json()
    assert by_header["usage"]["cloud_calls"] == 0
    eager = httpx.post(f"{url}/v1/completions", json={**body, "threshold": 0.0}).json()  # escalate unless sure
    lax = httpx.post(f"{url}/v1/completions", json=body, headers={"x-fedhybrid-threshold": "1000"}).json()
    assert eager["usage"]["cloud_tokens"] >= lax["usage"]["cloud_tokens"] and lax["usage"]["cloud_tokens"] == 0
    share = httpx.post(f"{url}/v1/completions", json={**body, "target_cloud_share": 0.2})
    assert share.status_code == 200, share.text  # the reward head's calibration table picks tau
    assert [r.upload for r in engine.journal.records(0)] == [False, False, True, True, True]


def test_a_body_cannot_loosen_the_privacy_a_header_sets_nor_the_reverse(agent):
    """A gateway that adds `x-fedhybrid-privacy: local-only` must hold whatever the client puts in
    the body: the body's "allow" won, and the prompt went to the cloud. The stricter of the two holds."""
    engine, url, _ = agent
    body = {"prompt": PROBLEM.prompt, "max_tokens": 12, "temperature": 0, "threshold": 0.0}  # escalate unless sure
    for given, header, held in (("allow", "local-only", "local-only"), ("local-only", "allow", "local-only"),
                                ("allow", "redact", "redact"), ("redact", "local-only", "local-only")):
        out = httpx.post(f"{url}/v1/completions", json={**body, "privacy": given},
                         headers={"x-fedhybrid-privacy": header}).json()
        assert out["fedhybrid"][0]["privacy"] == held, (given, header, out)
        if held == "local-only":
            assert out["usage"]["cloud_calls"] == 0, (given, header)
    shared = [r.upload for r in engine.journal.records(0)]
    assert shared == [False, False, False, False]  # nothing of a local-only or redacted request is uploaded


def test_a_privacy_floor_holds_whatever_the_request_names(make_agent, serve_app):
    """`--privacy-floor local-only`: an application that sends `privacy: allow` (or a header that
    says so) still gets nothing sent to the cloud and nothing marked for upload; a stricter mode
    than the floor still holds."""
    engine = make_agent("edge-4", policy="cloud-only", privacy_floor="local-only")
    token = write_token(engine.cfg.token_path)
    with serve_app(create_agent_app(engine, RoundRunner(engine), HttpConfig(max_tokens_limit=64), token)) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        asked = [({"privacy": "allow"}, {}), ({}, {"x-fedhybrid-privacy": "allow"}), ({"privacy": "redact"}, {}),
                 ({}, {})]
        for body, headers in asked:
            out = client.completions.create(model="edge-4", prompt=PROBLEM.prompt, max_tokens=8, temperature=0,
                                            extra_body=body, extra_headers=headers)
            assert out.usage.model_extra["cloud_calls"] == 0, (body, headers)
            assert out.usage.model_extra["cloud_tokens"] == 0 and out.model_extra["fedhybrid"][0]["privacy"] == \
                "local-only", (body, headers)
    assert [(r.upload, r.train) for r in engine.journal.records(0)] == [(False, False)] * len(asked)


def test_a_redact_floor_loosens_nothing_and_tightens_allow(make_agent, run_job):
    from inference.tokenizer import encode_prompt
    from serving.engine_api import RoutingParams

    engine = make_agent("edge-5", policy="cloud-only", privacy="allow", privacy_floor="redact")
    ids = encode_prompt(engine.tokenizer, PROBLEM.prompt)
    held = [run_job(engine, ids, max_tokens=4, routing=RoutingParams(privacy=asked))[0].extra["fedhybrid"]["privacy"]
            for asked in (None, "allow", "redact", "local-only")]
    assert held == ["redact", "redact", "redact", "local-only"]


def test_every_byte_the_cloud_receives_local_only_none_redact_no_masked_value(zoo_models, serve_app, tmp_path):
    """The agent's cloud is a real cloud server behind a recorder of raw request bodies."""
    from agent.config import AgentConfig
    from agent.engine import AgentEngine
    from inference.tier_profile import profile
    from serving.cloud_engine import CloudEngine
    from serving.cloud_server import create_cloud_app
    from serving.prefix_engine import PrefixEngine
    from serving.remote_cloud import RemoteCloud, RemoteCloudConfig

    device_model, cloud_model, tok, head, meta = zoo_models
    cloud_engine = CloudEngine(PrefixEngine(cloud_model), tok, "cloud")
    inner = create_cloud_app(cloud_engine, HttpConfig())
    bodies: list[bytes] = []

    async def recorder(scope, receive, send):
        async def tap():
            message = await receive()
            if message["type"] == "http.request":
                bodies.append(message.get("body", b""))
            return message
        await inner(scope, tap, send)

    with serve_app(recorder) as cloud_url:
        remote = RemoteCloud(RemoteCloudConfig(cloud_url))
        remote.connect(tok)
        engine = AgentEngine(AgentConfig("edge-8", profile("edge"), tmp_path / "edge-8", policy="cloud-only"),
                             device_model, tok, remote, head, meta)
        token = write_token(engine.cfg.token_path)
        with serve_app(create_agent_app(engine, RoundRunner(engine), HttpConfig(), token)) as url:
            prompt = "Q: Mail ava.smith@example.com about card 4111222233334444. Ava has 12 apples.\nA:"
            bodies.clear()
            # (ignore_eos: sampled at the default temperature, the tiny device may end before 6 tokens)
            local = httpx.post(f"{url}/v1/completions", json={"prompt": prompt, "max_tokens": 6, "ignore_eos": True,
                                                              "privacy": "local-only"}).json()
            assert local["usage"]["completion_tokens"] == 6 and bodies == []  # not one byte
            redacted = httpx.post(f"{url}/v1/completions", json={"prompt": prompt, "max_tokens": 6},
                                  headers={"x-fedhybrid-privacy": "redact"}).json()
            assert redacted["usage"]["cloud_calls"] > 0 and bodies
            for body in bodies:
                seen = tok.decode(json.loads(body)["prompt"])
                assert "example.com" not in seen and "4111" not in seen and "[redacted]" in seen
        engine.close()
        remote.close()
    cloud_engine.close()


def test_a_repeated_privacy_header_cannot_loosen_a_gateways(agent):
    """A gateway that appends `x-fedhybrid-privacy: local-only` after a client's own `allow` held
    nothing: the first value was read, and the prompt reached the cloud. Every value counts now."""
    engine, url, _ = agent
    body = {"prompt": PROBLEM.prompt, "max_tokens": 8, "temperature": 0, "threshold": 0.0}  # escalate unless sure
    for values in (("allow", "local-only"), ("local-only", "allow")):
        out = httpx.post(f"{url}/v1/completions", json=body,
                         headers=[("x-fedhybrid-privacy", value) for value in values]).json()
        assert out["fedhybrid"][0]["privacy"] == "local-only" and out["usage"]["cloud_calls"] == 0, (values, out)
    bad = httpx.post(f"{url}/v1/completions", json=body,
                     headers=[("x-fedhybrid-privacy", "local-only"), ("x-fedhybrid-privacy", "public")])
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "privacy"
    assert [r.upload for r in engine.journal.records(0)] == [False, False]
