"""Request fields are taken as the OpenAI API takes them: a number of the wrong JSON type or
out of its range is a 400 naming the field (never coerced: "0.5" or true is not a
temperature), null means the default, a field OpenAI defines that these servers do not
implement is accepted only at its neutral value, and a field OpenAI does not define (nor our
extensions) is "Unrecognized request argument supplied", as OpenAI answers it."""

import json
from pathlib import Path

import httpx
import openai
import pytest

from serving.cloud_server import create_cloud_app
from serving.http_app import HttpConfig
from workloads import wordmath

PROMPT = wordmath.generate("heldout", 1, seed=5)[0].prompt
MESSAGES = [{"role": "user", "content": PROMPT[3:-3]}]
CHAT = "/v1/chat/completions"
LEGACY = "/v1/completions"
BODY = {LEGACY: {"prompt": "x", "max_tokens": 1}, CHAT: {"messages": MESSAGES, "max_tokens": 1}}


@pytest.fixture
def server(cloud_engine, serve_app):
    with serve_app(create_cloud_app(cloud_engine, HttpConfig(max_tokens_limit=64))) as url:
        yield url


def _refusal(resp: httpx.Response) -> dict:
    assert resp.status_code == 400, resp.text
    err = resp.json()["error"]
    assert err["type"] == "invalid_request_error" and set(err) == {"message", "type", "param", "code"}, err
    return err


def _create(client: openai.OpenAI, path: str, **kwargs):
    if path == LEGACY:
        return client.completions.create(model="cloud", prompt="x", max_tokens=kwargs.pop("max_tokens", 1), **kwargs)
    return client.chat.completions.create(model="cloud", messages=MESSAGES, max_tokens=kwargs.pop("max_tokens", 1),
                                          **kwargs)


# -- numbers are strict --------------------------------------------------------------------------
@pytest.mark.parametrize("path", [LEGACY, CHAT])
@pytest.mark.parametrize("field,value,message", [
    ("temperature", "0.5", "temperature is the string '0.5': send a number from 0 to 2"),
    ("temperature", True, "temperature is true: send a number from 0 to 2"),
    ("temperature", 2.5, "temperature is 2.5: send a number from 0 to 2"),
    ("temperature", -0.1, "temperature is -0.1: send a number from 0 to 2"),
    ("top_p", "1", "top_p is the string '1': send 1"),
    ("top_p", True, "top_p is true: send 1"),
    ("top_p", 0, "top_p is 0: send 1"),
    ("presence_penalty", "0", "presence_penalty is the string '0': send 0"),
    ("frequency_penalty", False, "frequency_penalty is false: send 0"),
    ("presence_penalty", 2.5, "presence_penalty is 2.5: send 0"),
    ("max_tokens", "12", "max_tokens is the string '12': send an integer"),
    ("max_tokens", True, "max_tokens is true: send an integer"),
    ("max_tokens", 12.5, "max_tokens is 12.5: send an integer"),
    ("max_tokens", -1, "max_tokens is -1: send an integer >="),
    ("seed", 1.5, "seed is 1.5: send an integer"),
    ("seed", "7", "seed is the string '7': send an integer"),
    ("n", True, "n is true: send 1"),
    ("stream_options", {"include_usage": "yes"}, "stream_options.include_usage is the string 'yes': send true or false"),
])
def test_a_number_of_the_wrong_type_or_range_is_a_400_naming_field_value_and_what_to_send(client, path, field, value,
                                                                                          message):
    """Through the openai client as a user writes it (`temperature="0.5"`): refused, never coerced."""
    extra = {"stream": True} if field == "stream_options" else {}
    with pytest.raises(openai.BadRequestError) as caught:
        _create(client, path, **{field: value}, **extra)
    err = caught.value.body
    assert err["param"] == field and err["type"] == "invalid_request_error", err
    assert message in err["message"], err["message"]


@pytest.mark.parametrize("path", [LEGACY, CHAT])
@pytest.mark.parametrize("field", ["temperature", "top_p", "presence_penalty", "frequency_penalty"])
@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_refused(server, path, field, raw):
    """Python's json (the server's) reads NaN, Infinity and 1e400 (inf): none is a number to sample with."""
    body = json.dumps(BODY[path])[:-1] + f', "{field}": {raw}}}'
    err = _refusal(httpx.post(f"{server}{path}", content=body, headers={"content-type": "application/json"}))
    assert err["param"] == field and field in err["message"], err


def test_whole_numbers_are_numbers_and_null_is_the_default(client):
    """An integer where a number is wanted is that number; null for an optional field is its default."""
    as_int = client.completions.create(model="cloud", prompt=PROMPT, max_tokens=4, temperature=0, top_p=1,
                                       presence_penalty=0, frequency_penalty=0)
    as_float = client.completions.create(model="cloud", prompt=PROMPT, max_tokens=4, temperature=0.0, top_p=None,
                                         presence_penalty=None, frequency_penalty=None, seed=None, n=None)
    assert as_int.choices[0].text == as_float.choices[0].text


@pytest.fixture
def agent_url(make_agent, serve_app):
    from agent.app import create_agent_app, write_token
    from agent.sync import RoundRunner

    engine = make_agent("edge-2")
    token = write_token(engine.cfg.token_path)
    with serve_app(create_agent_app(engine, RoundRunner(engine), HttpConfig(max_tokens_limit=16), token)) as url:
        yield url


def test_routing_dials_are_strict_numbers_in_the_body_and_finite_in_headers(agent_url):
    body = {"prompt": "x", "max_tokens": 1}
    for field, value in (("threshold", '"0.3"'), ("threshold", "true"), ("target_cloud_share", '"0.1"'),
                         ("target_cloud_share", "1.5"), ("threshold", "-1"), ("threshold", "Infinity"),
                         ("threshold", "NaN")):
        sent = json.dumps(body)[:-1] + f', "{field}": {value}}}'
        err = _refusal(httpx.post(f"{agent_url}{LEGACY}", content=sent, headers={"content-type": "application/json"}))
        assert err["param"] == field and f"{field} is " in err["message"], err
    for header, field in (("x-fedhybrid-threshold", "threshold"), ("x-fedhybrid-target-cloud-share",
                                                                   "target_cloud_share")):
        for raw in ("nan", "inf", "soon"):
            err = _refusal(httpx.post(f"{agent_url}{LEGACY}", json=body, headers={header: raw}))
            assert err["param"] == field and header in err["message"] and raw in err["message"], err
    ok = httpx.post(f"{agent_url}{LEGACY}", json={**body, "threshold": 0, "target_cloud_share": None})
    assert ok.status_code == 200, ok.text  # an integer threshold is a number; null is "the agent's default"


# -- fields OpenAI does not define ---------------------------------------------------------------
@pytest.mark.parametrize("path", [LEGACY, CHAT])
@pytest.mark.parametrize("stream", [False, True])
def test_an_unknown_field_is_refused_as_openai_refuses_it(client, path, stream):
    with pytest.raises(openai.BadRequestError) as caught:
        _create(client, path, stream=stream, extra_body={"top_k": 5})
    err = caught.value.body
    assert err["message"].startswith("Unrecognized request argument supplied: top_k"), err
    assert err["param"] == "top_k" and err["type"] == "invalid_request_error", err
    with pytest.raises(openai.BadRequestError) as caught:  # null is no excuse: the name is unknown
        _create(client, path, extra_body={"min_p": None, "typo_temperature": 0.5})
    assert caught.value.body["message"].startswith("Unrecognized request arguments supplied: min_p, typo_temperature")


@pytest.mark.parametrize("path,field,value,other", [
    (LEGACY, "messages", MESSAGES, CHAT),
    (CHAT, "prompt", "x", LEGACY),
    (CHAT, "echo", True, LEGACY),
    (CHAT, "best_of", 1, LEGACY),
    (CHAT, "suffix", "", LEGACY),
    (LEGACY, "tools", [], CHAT),
    (LEGACY, "max_completion_tokens", 3, CHAT),
])
def test_a_field_of_the_other_endpoint_is_unrecognized_and_says_where_it_belongs(server, path, field, value, other):
    err = _refusal(httpx.post(f"{server}{path}", json={**BODY[path], field: value}))
    assert err["message"].startswith(f"Unrecognized request argument supplied: {field}"), err
    assert f"POST {other}" in err["message"] and err["param"] == field, err


def test_our_own_extensions_are_still_accepted(server, client):
    """What our own clients send: RemoteCloud's scoring body (vLLM's return_tokens_as_token_ids),
    ignore_eos, and the routing dials (refused by name on the cloud, which does not route)."""
    scored = httpx.post(f"{server}{LEGACY}", json={"model": "cloud", "prompt": [1, 2, 3], "max_tokens": 1,
                                                   "temperature": 0.0, "logprobs": 1, "echo": True,
                                                   "return_tokens_as_token_ids": True})
    assert scored.status_code == 200, scored.text
    assert _create(client, LEGACY, extra_body={"ignore_eos": True}).usage.completion_tokens == 1
    assert _create(client, CHAT, extra_body={"ignore_eos": True}).usage.completion_tokens == 1
    err = _refusal(httpx.post(f"{server}{CHAT}", json={**BODY[CHAT], "privacy": "local-only"}))
    assert "does not route" in err["message"], err


# -- fields OpenAI defines that these servers do not implement -------------------------------------
REFUSED = [  # (field, a neutral value accepted, a value that would change the answer: refused)
    ("audio", None, {"voice": "alloy", "format": "wav"}),
    ("modalities", ["text"], ["text", "audio"]),
    ("function_call", "none", {"name": "f"}),
    ("tool_choice", "auto", "required"),
    ("moderation", None, {"model": "omni-moderation-latest"}),
    ("prediction", None, {"type": "content", "content": "x"}),
    ("reasoning_effort", "none", "high"),
    ("service_tier", "auto", "flex"),
    ("store", False, True),
    ("top_logprobs", 0, 3),
    ("verbosity", "medium", "low"),
    ("web_search_options", None, {}),
]


@pytest.mark.parametrize("field,neutral,refused", REFUSED)
def test_an_openai_field_we_do_not_implement_is_accepted_only_at_its_neutral_value(client, field, neutral, refused):
    accepted = _create(client, CHAT, **{field: neutral})
    assert accepted.usage.completion_tokens == 1
    with pytest.raises(openai.BadRequestError) as caught:
        _create(client, CHAT, **{field: refused})
    err = caught.value.body
    assert err["param"] == field and "not supported by this server" in err["message"], err
    assert err["message"].startswith(field), err


def test_chat_logprobs_points_to_a_server_that_scores_not_to_every_completions_route(server):
    """It said "use /v1/completions for log-probabilities", which a device agent refuses too."""
    err = _refusal(httpx.post(f"{server}{CHAT}", json={**BODY[CHAT], "logprobs": True}))
    assert err["param"] == "logprobs" and "such as `fedhybrid cloud serve`" in err["message"], err
    assert "a device agent does not" in err["message"], err


def test_an_openai_enum_field_with_a_value_openai_does_not_define_lists_what_to_send(server):
    err = _refusal(httpx.post(f"{server}{CHAT}", json={**BODY[CHAT], "service_tier": "fastest"}))
    assert err["param"] == "service_tier" and "fastest" in err["message"] and "'auto'" in err["message"], err


def test_metadata_openai_defines_is_accepted_and_changes_nothing(client):
    plain = client.chat.completions.create(model="cloud", messages=MESSAGES, max_tokens=4, temperature=0)
    tagged = client.chat.completions.create(model="cloud", messages=MESSAGES, max_tokens=4, temperature=0,
                                            user="u-1", metadata={"team": "a"}, safety_identifier="h-1",
                                            prompt_cache_key="k", prompt_cache_retention="24h",
                                            parallel_tool_calls=False, tools=[], store=None)
    assert tagged.choices[0].message.content == plain.choices[0].message.content
    assert client.completions.create(model="cloud", prompt="x", max_tokens=1, user="u-1").usage.completion_tokens == 1


@pytest.mark.parametrize("path", [LEGACY, CHAT])
def test_stream_options_need_a_stream_and_known_keys(client, path):
    with pytest.raises(openai.BadRequestError) as caught:
        _create(client, path, stream_options={"include_usage": True})
    assert caught.value.body["param"] == "stream_options" and "stream" in caught.value.body["message"]
    with pytest.raises(openai.BadRequestError) as caught:
        _create(client, path, stream=True, stream_options={"include_usage": True, "every_token": True})
    err = caught.value.body
    assert err["param"] == "stream_options" and "every_token" in err["message"], err
    chunks = list(_create(client, path, stream=True, stream_options={"include_usage": True,
                                                                     "include_obfuscation": False}))
    assert chunks[-1].usage.completion_tokens == 1


# -- layout ----------------------------------------------------------------------------------------
OPENAI_LAYER = ("http_app.py", "openai_protocol.py", "openai_shapes.py", "request_id.py", "validation_errors.py")


def test_openai_layer_modules_stay_under_400_lines():
    serving = Path(__file__).resolve().parents[2] / "serving"
    sizes = {name: len((serving / name).read_text().splitlines()) for name in OPENAI_LAYER}
    assert all(n < 400 for n in sizes.values()), sizes


def test_every_field_the_openai_client_can_send_is_a_field_here_not_unrecognized():
    """The SDK's own parameter lists: a name OpenAI defines is accepted or refused by name, never
    answered "Unrecognized request argument" (a newer SDK adding a field fails this test)."""
    from openai.types import completion_create_params as legacy
    from openai.types.chat import completion_create_params as chat

    from serving.openai_protocol import ChatCompletionRequest, CompletionRequest

    for params, model in ((legacy.CompletionCreateParamsBase, CompletionRequest),
                          (chat.CompletionCreateParamsBase, ChatCompletionRequest)):
        assert set(params.__annotations__) - set(model.model_fields) == set(), model.__name__
