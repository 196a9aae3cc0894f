"""A client's `X-Request-Id` is the request's id: echoed in the response header (streaming or
not, errors too), the prefix of the completion's `id`, and the name a device agent journals the
request under. A header that is not 1 to 128 visible ASCII characters is refused (400) rather
than replaced, so the client does not look for an id the server never used; without one the
server makes an id and sends it back the same way."""

import httpx
import openai
import pytest

from agent.app import create_agent_app, write_token
from agent.sync import RoundRunner
from serving.cloud_server import create_cloud_app
from serving.http_app import HttpConfig, create_app
from workloads import wordmath

PROMPT = wordmath.generate("heldout", 1, seed=5)[0].prompt
MESSAGES = [{"role": "user", "content": PROMPT[3:-3]}]
LEGACY = "/v1/completions"
CHAT = "/v1/chat/completions"


@pytest.fixture
def server(cloud_engine, serve_app):
    with serve_app(create_cloud_app(cloud_engine, HttpConfig(max_tokens_limit=64))) as url:
        yield url


def test_the_clients_id_comes_back_in_the_header_and_names_the_completion(client):
    whole = client.completions.create(model="cloud", prompt=PROMPT, max_tokens=2,
                                      extra_headers={"X-Request-Id": "app-7f3a:retry.1"})
    assert whole._request_id == "app-7f3a:retry.1" and whole.id == "cmpl-app-7f3a:retry.1"
    chat = client.chat.completions.create(model="cloud", messages=MESSAGES, max_tokens=2,
                                          extra_headers={"x-request-id": "chat-1"})
    assert chat._request_id == "chat-1" and chat.id == "chatcmpl-chat-1"


@pytest.mark.parametrize("path", [LEGACY, CHAT])
def test_a_stream_carries_the_clients_id_in_its_header_and_every_chunk(client, path):
    create = client.completions.with_streaming_response.create if path == LEGACY else \
        client.chat.completions.with_streaming_response.create
    body = {"prompt": PROMPT} if path == LEGACY else {"messages": MESSAGES}
    with create(model="cloud", max_tokens=3, stream=True, extra_headers={"X-Request-Id": "stream-42"}, **body) as raw:
        assert raw.headers.get_list("x-request-id") == ["stream-42"]
        chunks = list(raw.parse())
    prefix = "cmpl-" if path == LEGACY else "chatcmpl-"
    assert chunks and {c.id for c in chunks} == {f"{prefix}stream-42"}


def test_an_error_answers_with_the_clients_id_too(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model="cloud", prompt="x", max_tokens=1, n=2, extra_headers={"X-Request-Id": "e-1"})
    assert caught.value.request_id == "e-1"


def test_without_a_header_the_server_makes_one_id_per_request(server):
    one = httpx.post(f"{server}{LEGACY}", json={"prompt": "x", "max_tokens": 1})
    two = httpx.post(f"{server}{LEGACY}", json={"prompt": "x", "max_tokens": 1})
    ids = [r.headers["x-request-id"] for r in (one, two)]
    assert ids[0] != ids[1] and all(len(i) == 32 for i in ids)
    assert one.json()["id"] == f"cmpl-{ids[0]}"


@pytest.mark.parametrize("value,problem", [
    (b"", "empty"),
    (b"a" * 129, "129 characters"),
    (b"two words", "' '"),
    (b"tab\there", "'\\t'"),
    ("café".encode(), "'\\xc3'"),
])
def test_an_id_that_is_not_1_to_128_visible_ascii_characters_is_refused(server, value, problem):
    resp = httpx.post(f"{server}{LEGACY}", json={"prompt": "x", "max_tokens": 1}, headers={"x-request-id": value})
    assert resp.status_code == 400, resp.text
    err = resp.json()["error"]
    assert err["param"] == "x-request-id" and err["type"] == "invalid_request_error", err
    assert problem in err["message"] and "1 to 128 visible ASCII characters" in err["message"], err["message"]
    (given,) = resp.headers.get_list("x-request-id")  # the refusal has an id of its own to quote
    assert len(given) == 32 and given.encode() != value
    scrape = httpx.get(f"{server}/metrics").text  # counted like any refusal
    assert 'fedhybrid_requests_total{endpoint="/v1/completions",status="400"}' in scrape


def test_an_id_sent_twice_is_refused(server):
    resp = httpx.post(f"{server}{LEGACY}", json={"prompt": "x", "max_tokens": 1},
                      headers=[("x-request-id", "a"), ("x-request-id", "b")])
    assert resp.status_code == 400 and "once" in resp.json()["error"]["message"], resp.text


def test_the_longest_id_and_every_visible_character_are_accepted(server):
    for rid in ("x" * 128, "".join(chr(c) for c in range(0x21, 0x7F))[:128]):
        resp = httpx.post(f"{server}{LEGACY}", json={"prompt": "x", "max_tokens": 1}, headers={"x-request-id": rid})
        assert resp.status_code == 200 and resp.headers["x-request-id"] == rid, resp.text


def test_a_mounted_app_keeps_the_clients_id(cloud_engine, serve_app):
    inner = create_cloud_app(cloud_engine, HttpConfig())
    with serve_app(create_app(cloud_engine, HttpConfig(), extend=lambda app: app.mount("/hop", inner))) as url:
        resp = httpx.post(f"{url}/hop/v1/completions", json={"prompt": "x", "max_tokens": 1},
                          headers={"x-request-id": "hop-1"})
    assert resp.headers.get_list("x-request-id") == ["hop-1"] and resp.json()["id"] == "cmpl-hop-1"


@pytest.fixture
def agent(make_agent, serve_app):
    engine = make_agent("edge-2")
    token = write_token(engine.cfg.token_path)
    with serve_app(create_agent_app(engine, RoundRunner(engine), HttpConfig(max_tokens_limit=16), token)) as url:
        yield engine, url


def test_an_agent_journals_the_request_under_the_clients_id(agent):
    engine, url = agent
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    whole = client.completions.create(model="edge-2", prompt=PROMPT, max_tokens=3, temperature=0,
                                      extra_headers={"X-Request-Id": "order-981"})
    assert whole._request_id == "order-981" and whole.model_extra["fedhybrid"][0]["request_id"] == "order-981"
    with client.chat.completions.with_streaming_response.create(
            model="edge-2", messages=MESSAGES, max_tokens=3, temperature=0, stream=True,
            extra_headers={"X-Request-Id": "order-982"}) as raw:
        assert raw.headers["x-request-id"] == "order-982"
        list(raw.parse())
    two = httpx.post(f"{url}{LEGACY}", json={"prompt": [PROMPT, PROMPT], "max_tokens": 2, "temperature": 0},
                     headers={"X-Request-Id": "batch-5"})
    assert two.headers["x-request-id"] == "batch-5"
    assert {r.request_id for r in engine.journal.records(0)} == {"order-981", "order-982", "batch-5-0", "batch-5-1"}
