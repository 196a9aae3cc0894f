"""What the `openai` client sends and reads, answered as OpenAI answers it: null for an
optional field, `models.retrieve`, the `x-request-id` header, refusals of fields these
servers do not implement, and validation errors that name the field and what to send."""

import httpx
import openai
import pytest

from agent.app import create_agent_app, write_token
from agent.sync import RoundRunner
from serving.cloud_server import create_cloud_app
from serving.http_app import HttpConfig, create_app
from workloads import wordmath

PROMPT = wordmath.generate("heldout", 1, seed=5)[0].prompt
CHAT = "/v1/chat/completions"
LEGACY = "/v1/completions"
MESSAGES = [{"role": "user", "content": PROMPT[3:-3]}]


@pytest.fixture
def server(cloud_engine, serve_app):
    with serve_app(create_cloud_app(cloud_engine, HttpConfig(max_body_bytes=4096))) as url:
        yield url


# -- null is the default -------------------------------------------------------------------------
def test_null_for_every_optional_field_means_its_default_through_the_openai_client(client):
    """The client sends null for a parameter passed as None; the answer is the default's."""
    nulls = {name: None for name in ("temperature", "top_p", "n", "presence_penalty", "frequency_penalty", "stream")}
    default = client.completions.create(model="cloud", prompt=PROMPT, max_tokens=6, seed=3)
    given = client.completions.create(model="cloud", prompt=PROMPT, max_tokens=6, seed=3, logprobs=None, **nulls)
    assert given.choices[0].text == default.choices[0].text  # temperature null: 1.0, the same draw
    chat_default = client.chat.completions.create(model="cloud", messages=MESSAGES, max_tokens=6, seed=3)
    chat_given = client.chat.completions.create(model="cloud", messages=MESSAGES, max_tokens=6, seed=3,
                                                logprobs=None, **nulls)
    assert chat_given.choices[0].message.content == chat_default.choices[0].message.content


COMMON_FIELDS = ["temperature", "top_p", "n", "presence_penalty", "frequency_penalty", "logprobs", "stream",
                 "stream_options", "stop", "seed", "user", "logit_bias", "ignore_eos", "model"]
LEGACY_FIELDS = ["echo", "return_tokens_as_token_ids", "best_of", "suffix"]
CHAT_FIELDS = ["max_completion_tokens", "top_logprobs", "response_format", "tools", "tool_choice", "functions",
               "function_call", "parallel_tool_calls", "modalities", "audio", "prediction", "reasoning_effort",
               "verbosity", "service_tier", "store", "moderation", "web_search_options", "metadata",
               "safety_identifier", "prompt_cache_key", "prompt_cache_options", "prompt_cache_retention"]


@pytest.mark.parametrize("path,field", [(LEGACY, f) for f in COMMON_FIELDS + LEGACY_FIELDS] +
                         [(CHAT, f) for f in COMMON_FIELDS + CHAT_FIELDS])
def test_null_is_accepted_for_every_optional_field(server, path, field):
    body = {"prompt": "x"} if path == LEGACY else {"messages": [{"role": "user", "content": "x"}]}
    resp = httpx.post(f"{server}{path}", json={**body, "max_tokens": 1, field: None})
    assert resp.status_code == 200, resp.text


# -- GET /v1/models/{id} -------------------------------------------------------------------------
def test_models_retrieve_answers_the_list_entry_and_404s_other_names(server, client):
    (listed,) = client.models.list().data
    assert client.models.retrieve("cloud").model_dump() == listed.model_dump()
    for name in ("gpt-9", "org/model"):  # a name with a slash, as hub ids have, reaches the route too
        with pytest.raises(openai.NotFoundError) as caught:
            client.models.retrieve(name)
        err = caught.value.body
        assert err["code"] == "model_not_found" and name in err["message"] and "'cloud'" in err["message"], err
    scrape = httpx.get(f"{server}/metrics").text  # asked-for names share the route's label
    assert 'endpoint="/v1/models/{name:path}",status="404"} 2.0' in scrape and "gpt-9" not in scrape


# -- fields refused rather than ignored ----------------------------------------------------------
def test_response_format_other_than_text_is_refused_naming_what_to_send(client):
    for fmt in ({"type": "json_object"}, {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}):
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(model="cloud", messages=MESSAGES, max_tokens=1, response_format=fmt)
        err = caught.value.body
        assert err["param"] == "response_format" and fmt["type"] in err["message"], err
        assert "not supported" in err["message"] and '{"type": "text"}' in err["message"], err
    text = client.chat.completions.create(model="cloud", messages=MESSAGES, max_tokens=1,
                                          response_format={"type": "text"})
    assert text.usage.completion_tokens == 1


def test_logit_bias_is_refused_unless_empty(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model="cloud", prompt="x", max_tokens=1, logit_bias={"5": -100})
    assert caught.value.body["param"] == "logit_bias" and "not supported" in caught.value.body["message"]
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="cloud", messages=MESSAGES, max_tokens=1, logit_bias={"5": 100})
    assert caught.value.body["param"] == "logit_bias"
    assert client.completions.create(model="cloud", prompt="x", max_tokens=1, logit_bias={}).usage.completion_tokens == 1


@pytest.mark.parametrize("field,value", [
    ("tools", [{"type": "function", "function": {"name": "f", "parameters": {}}}]),
    ("functions", [{"name": "f", "parameters": {}}]),
])
def test_function_calling_is_refused_in_either_form(server, field, value):
    resp = httpx.post(f"{server}{CHAT}", json={"messages": MESSAGES, "max_tokens": 1, field: value})
    assert resp.status_code == 400 and resp.json()["error"]["param"] == field, resp.text
    assert "not supported" in resp.json()["error"]["message"]


# -- validation errors -----------------------------------------------------------------------------
PROMPT_FORMS = "send a string, a list of strings, a list of token ids, or a list of token-id lists"


@pytest.mark.parametrize("path,body,param,message", [
    (LEGACY, {"prompt": "x", "stream": "yes"}, "stream", "stream is the string 'yes': send true or false"),
    (CHAT, {"messages": MESSAGES, "stream": 1}, "stream", "stream is 1: send true or false"),
    (LEGACY, {"prompt": "x", "temperature": "hot"}, "temperature",
     "temperature is the string 'hot': send a number from 0 to 2"),
    (LEGACY, {"prompt": "x", "temperature": 3}, "temperature", "temperature is 3: send a number from 0 to 2"),
    (LEGACY, {"prompt": 7}, "prompt", f"prompt is 7: {PROMPT_FORMS}"),
    (LEGACY, {"prompt": None}, "prompt", f"prompt is null: {PROMPT_FORMS}"),
    (LEGACY, {}, "prompt", f"prompt is missing: {PROMPT_FORMS}"),
    (LEGACY, {"prompt": []}, "prompt", f"prompt is an empty list: {PROMPT_FORMS}"),
    (LEGACY, {"prompt": ["a", 1]}, "prompt", "prompt[1] is 1 in a list of strings"),
    (LEGACY, {"prompt": [1, "a"]}, "prompt", "prompt[1] is the string 'a' in a list of token ids"),
    (LEGACY, {"prompt": [1, -2]}, "prompt", "prompt[1] is -2 in a list of token ids"),
    (LEGACY, {"prompt": [[1], []]}, "prompt", "prompt[1] is an empty list in a list of token-id lists"),
    (LEGACY, {"prompt": [[1], [2, "b"]]}, "prompt", "prompt[1][1] is the string 'b' in a list of token-id lists"),
    (LEGACY, {"prompt": [{"text": "x"}]}, "prompt", f"prompt[0] is an object: {PROMPT_FORMS}"),
    (LEGACY, {"prompt": "x", "stop": [""]}, "stop", "stop[0] is an empty string"),
    (LEGACY, {"prompt": "x", "stop": ["a", 1]}, "stop", "stop[1] is 1: send a string or a list of at most 4"),
    (LEGACY, {"prompt": "x", "seed": 2**70}, "seed", f"seed is {2**70}: send an integer from -2**63 to 2**63-1"),
    (LEGACY, {"prompt": "x", "max_tokens": "ten"}, "max_tokens", "max_tokens is the string 'ten': send an integer"),
    (CHAT, {"messages": [{"role": "robot", "content": "x"}]}, "messages",
     "messages[0].role is the string 'robot': send one of system, developer, user, assistant, tool"),
    (CHAT, {"messages": [{"role": "user", "content": 3}]}, "messages", "messages[0].content is 3: send a string"),
    (CHAT, {"messages": ["hi"]}, "messages", "messages[0] is the string 'hi': send"),
    (CHAT, {"messages": None}, "messages", "messages is null: send"),
    (CHAT, {"messages": MESSAGES, "max_tokens": 0}, "max_tokens", "max_tokens is 0: send an integer >= 1"),
    (CHAT, {"messages": MESSAGES, "stream_options": "usage"}, "stream_options", "stream_options is the string"),
])
def test_validation_errors_name_the_field_say_what_was_wrong_and_what_to_send(server, path, body, param, message):
    resp = httpx.post(f"{server}{path}", json=body)
    assert resp.status_code == 400, resp.text
    err = resp.json()["error"]
    assert err["param"] == param and err["type"] == "invalid_request_error" and err["code"] == "400", err
    assert message in err["message"], err["message"]
    assert not any(w in err["message"] for w in ("Input should", "Value error", "valid dictionary")), err["message"]


def test_a_long_bad_string_is_not_echoed_whole(server):
    resp = httpx.post(f"{server}{LEGACY}", json={"prompt": "x", "temperature": "h" * 2000})
    assert resp.status_code == 400 and len(resp.json()["error"]["message"]) < 200, resp.text


def test_validation_errors_reach_the_openai_client_with_param_and_message(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model="cloud", prompt=[1, "a"], max_tokens=1)
    assert caught.value.param == "prompt" and "prompt[1]" in caught.value.message


# -- x-request-id ----------------------------------------------------------------------------------
def test_every_openai_response_carries_x_request_id_streaming_or_not(client):
    whole = client.completions.create(model="cloud", prompt=PROMPT, max_tokens=2, temperature=0)
    assert whole._request_id and whole.id == f"cmpl-{whole._request_id}"
    chat = client.chat.completions.create(model="cloud", messages=MESSAGES, max_tokens=2)
    assert chat._request_id and chat.id == f"chatcmpl-{chat._request_id}" and chat._request_id != whole._request_id
    with client.chat.completions.with_streaming_response.create(model="cloud", messages=MESSAGES, max_tokens=2,
                                                                stream=True) as raw:
        rid = raw.headers["x-request-id"]
        chunks = list(raw.parse())
    assert rid and {c.id for c in chunks} == {f"chatcmpl-{rid}"}
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model="cloud", prompt="x", max_tokens=1, n=2)
    assert caught.value.request_id  # an error names its request too


def test_an_app_mounted_in_another_answers_with_the_id_of_the_request_it_serves(cloud_engine, serve_app):
    """An agent's /hop is a whole app mounted in the agent's: one header, the id its jobs got."""
    inner = create_cloud_app(cloud_engine, HttpConfig())
    with serve_app(create_app(cloud_engine, HttpConfig(), extend=lambda app: app.mount("/hop", inner))) as url:
        resp = httpx.post(f"{url}/hop/v1/completions", json={"prompt": "x", "max_tokens": 1})
    (rid,) = resp.headers.get_list("x-request-id")
    assert resp.json()["id"] == f"cmpl-{rid}"


@pytest.fixture
def agent(make_agent, serve_app):
    engine = make_agent("edge-2")
    token = write_token(engine.cfg.token_path)
    with serve_app(create_agent_app(engine, RoundRunner(engine), HttpConfig(max_tokens_limit=64), token)) as url:
        yield engine, url


def test_an_agents_request_id_is_its_journal_record_s(agent):
    """The id a client reads from the header finds the request's journal record."""
    engine, url = agent
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    whole = client.completions.create(model="edge-2", prompt=PROMPT, max_tokens=3, temperature=0)
    assert whole.model_extra["fedhybrid"][0]["request_id"] == whole._request_id
    two = httpx.post(f"{url}{LEGACY}", json={"prompt": [PROMPT, PROMPT], "max_tokens": 2, "temperature": 0})
    rid = two.headers["x-request-id"]
    assert [r["request_id"] for r in two.json()["fedhybrid"]] == [f"{rid}-0", f"{rid}-1"]  # one record per prompt
    assert {r.request_id for r in engine.journal.records(0)} == {whole._request_id, f"{rid}-0", f"{rid}-1"}


def test_a_query_parameter_is_named_by_its_own_name(cloud_engine, serve_app):
    """A route a server adds (`extend`) with a validated query: the parameter is `param`, not "query"."""
    def extend(app):
        @app.get("/v1/probe")
        async def probe(since: int) -> dict:
            return {"since": since}

    with serve_app(create_app(cloud_engine, HttpConfig(), extend=extend)) as url:
        missing = httpx.get(f"{url}/v1/probe").json()["error"]
        wrong = httpx.get(f"{url}/v1/probe", params={"since": "soon"}).json()["error"]
    assert missing["param"] == "since" and missing["message"] == "since is missing: send it as a query parameter"
    assert wrong["param"] == "since" and wrong["message"] == "since is the string 'soon': send an integer"
