"""Property-based fuzzing of the OpenAI-compatible request models through the real ASGI app
(hypothesis).

The cloud app (`serving.cloud_server.create_cloud_app` over a `CloudEngine` and a
`PrefixEngine`) runs in-process behind `httpx.ASGITransport`, no sockets, over a TINY model
built here (a one-layer Llama with hidden size 16 and 64 positions, random weights) and the
zoo's shipped tokenizer. Requests:
- `/v1/completions` and `/v1/chat/completions` bodies built from a valid request (prompt as
  text, token ids, lists of either; messages with every role and content form; every known
  field with a valid value) and then perturbed: any known field, or an unknown one, set to a
  value of any JSON type or range (strings, lists, nested lists, objects, null, NaN,
  infinities, huge and negative numbers) or removed;
- raw bytes as the body (random bytes, JSON fragments, truncated and oversized bodies) with
  any content type.
For every response: the status is never >= 500; every non-200 has the OpenAI error shape
{"error": {"message", "type", "param", "code"}}; a 200 has `choices` (every event of a 200
stream too, and no error event).

The sampling property carries the escape it once found as explicit examples: a tiny positive
temperature (1.5e-305, 5e-324) made the engine's softmax NaN and the request fail with 500.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
import torch
from hypothesis import event, example, given
from hypothesis import strategies as st
from transformers import LlamaConfig, LlamaForCausalLM

from inference.tokenizer import load_tokenizer
from serving.cloud_engine import CloudEngine
from serving.cloud_server import create_cloud_app
from serving.http_app import HttpConfig
from serving.prefix_engine import PrefixEngine
from tests.fuzzing import examples

ZOO_TOKENIZER = Path(__file__).resolve().parents[2] / "zoo" / "tokenizer"
VOCAB = 2048  # the zoo tokenizer's (checked in the fixture)
POSITIONS = 64
MAX_TOKENS = 16  # the server's per-request limit: examples stay fast
MAX_BODY = 4096
ENDPOINTS = ("/v1/completions", "/v1/chat/completions")



class ServerErrorStatus(AssertionError):
    """The server answered >= 500 (or a 200 stream carried a >= 500 error event)."""


@pytest.fixture(scope="module")
def post():
    """post(path, content, headers) -> httpx.Response from the cloud app, in-process."""
    tokenizer = load_tokenizer(ZOO_TOKENIZER)
    assert len(tokenizer) == VOCAB
    torch.manual_seed(0)
    config = LlamaConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                         num_key_value_heads=2, vocab_size=VOCAB, max_position_embeddings=POSITIONS,
                         bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.eos_token_id)
    engine = CloudEngine(PrefixEngine(LlamaForCausalLM(config).eval()), tokenizer, "cloud")
    app = create_cloud_app(engine, HttpConfig(max_body_bytes=MAX_BODY, max_tokens_limit=MAX_TOKENS,
                                              max_prompt_chars=2000))
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cloud", timeout=60)

    def send(path: str, content: bytes, headers: dict[str, str]) -> httpx.Response:
        return loop.run_until_complete(client.post(path, content=content, headers=headers))

    try:
        yield send
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
        engine.close()


# -- the contract --------------------------------------------------------------------------------


def _check(response: httpx.Response, sent) -> None:
    """The response contract (see the module docstring); `sent` is named in failures."""
    status = response.status_code
    event(f"status {status}")
    if status >= 500:
        raise ServerErrorStatus(f"{status} for {sent!r}: {response.text[:300]}")
    if status != 200:
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
        error = body["error"]
        assert isinstance(error["message"], str) and error["message"] and isinstance(error["type"], str), body
        assert error["param"] is None or isinstance(error["param"], str), body
        assert isinstance(error["code"], str), body
        return
    if response.headers["content-type"].startswith("text/event-stream"):
        chunks = [c for c in response.text.split("\n\n") if c]
        assert chunks and chunks[-1] == "data: [DONE]", response.text[-300:]
        for chunk in chunks[:-1]:
            assert chunk.startswith("data: "), chunk
            payload = json.loads(chunk[len("data: "):])
            if "error" in payload:
                code = str(payload["error"].get("code"))
                error = ServerErrorStatus if not code.isdigit() or int(code) >= 500 else AssertionError
                raise error(f"a 200 stream carried an error event for {sent!r}: {payload}")
            assert isinstance(payload.get("choices"), list), payload
        event("stream")
        return
    body = response.json()
    assert isinstance(body.get("choices"), list) and body["choices"], body
    event("generated")


# -- request bodies ----------------------------------------------------------------------------------

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-(2**70), 2**70),
                         st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
JSON_ANY = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=10)
PROMPT_TEXT = st.text(min_size=1, max_size=40)
TOKEN_IDS = st.lists(st.integers(0, VOCAB - 1), min_size=1, max_size=40)

COMMON_GOOD = {
    "model": st.just("cloud"),
    "temperature": st.floats(0.0, 2.0),
    "top_p": st.just(1.0),
    "n": st.just(1),
    "stream": st.booleans(),
    "stream_options": st.fixed_dictionaries({"include_usage": st.booleans()}),
    "stop": st.one_of(st.text(min_size=1, max_size=4), st.lists(st.text(min_size=1, max_size=4), max_size=4)),
    "seed": st.integers(-(2**63), 2**63 - 1),
    "user": st.text(max_size=8),
    "presence_penalty": st.just(0),
    "frequency_penalty": st.just(0.0),
    "ignore_eos": st.booleans(),
}
COMPLETION_GOOD = {
    **COMMON_GOOD,
    "max_tokens": st.integers(1, MAX_TOKENS),
    "logprobs": st.one_of(st.none(), st.integers(0, 20)),
    "echo": st.booleans(),
    "best_of": st.just(1),
    "suffix": st.just(""),
    "return_tokens_as_token_ids": st.booleans(),
}
CHAT_GOOD = {
    **COMMON_GOOD,
    "max_tokens": st.integers(1, MAX_TOKENS),
    "max_completion_tokens": st.integers(1, MAX_TOKENS),
    "logprobs": st.just(False),
    "tools": st.one_of(st.none(), st.just([])),
}
# values near the edges of each field's range or of another shape; any field may also get JSON_ANY
WILD = {
    "model": st.text(max_size=8),
    "prompt": st.one_of(st.just(""), st.just([]), st.just([[]]), st.lists(st.integers(-3, VOCAB + 3), max_size=70),
                        st.lists(st.lists(st.integers(-1, VOCAB + 1), max_size=5), max_size=3),
                        st.lists(st.one_of(PROMPT_TEXT, st.integers(0, 9)), max_size=3),
                        st.text(min_size=60, max_size=300)),
    "messages": st.one_of(st.just([]), st.lists(st.dictionaries(st.text(max_size=8), JSON_ANY, max_size=3),
                                                max_size=3),
                          st.lists(st.fixed_dictionaries({"role": st.text(max_size=10), "content": JSON_ANY}),
                                   max_size=3)),
    "temperature": st.one_of(st.floats(), st.sampled_from([-0.0, 2.0000001, -1, 3])),
    "top_p": st.floats(),
    "n": st.integers(-2, 4),
    "max_tokens": st.one_of(st.integers(-3, 3 * MAX_TOKENS), st.sampled_from([0, 2**31, 2**63, 2**64, -(2**63)])),
    "max_completion_tokens": st.integers(-3, 3 * MAX_TOKENS),
    "seed": st.one_of(st.integers(), st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**30])),
    "stop": st.one_of(st.just(""), st.just([""]), st.lists(st.text(max_size=3), min_size=5, max_size=7)),
    "logprobs": st.one_of(st.integers(-3, 30), st.booleans()),
    "echo": st.integers(0, 1),
    "stream": st.sampled_from([0, 1, "true", "false"]),
    "privacy": st.sampled_from(["allow", "local-only", "redact", "deny", ""]),
    "threshold": st.floats(),
    "target_cloud_share": st.floats(),
    "presence_penalty": st.floats(-3, 3),
    "frequency_penalty": st.floats(-3, 3),
    "best_of": st.integers(-1, 3),
    "suffix": st.text(max_size=4),
    "tools": st.lists(JSON_ANY, max_size=2),
}


def _value(name: str) -> st.SearchStrategy:
    return st.one_of(WILD.get(name, JSON_ANY), JSON_ANY)


@st.composite
def messages(draw) -> list:
    roles = st.sampled_from(["system", "developer", "user", "assistant", "tool"])
    content = st.one_of(st.text(max_size=30),  # null content is refused (400): `bodies` still sends it
                        st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=12)}),
                                 max_size=2),
                        st.lists(st.fixed_dictionaries({"type": st.sampled_from(["image_url", "input_audio"]),
                                                        "text": JSON_ANY}), min_size=1, max_size=1))
    return draw(st.lists(st.fixed_dictionaries({"role": roles, "content": content},
                                               optional={"name": st.text(max_size=6)}), min_size=1, max_size=3))


@st.composite
def bodies(draw, endpoint: str) -> dict:
    """A valid request for `endpoint` (a third of them streaming) with up to four perturbed fields
    (none in a third of the examples, so generation itself is exercised)."""
    good = COMPLETION_GOOD if endpoint == "/v1/completions" else CHAT_GOOD
    if endpoint == "/v1/completions":
        body = {"prompt": draw(st.one_of(PROMPT_TEXT, TOKEN_IDS, st.lists(PROMPT_TEXT, min_size=1, max_size=2),
                                         st.lists(TOKEN_IDS, min_size=1, max_size=2)))}
    else:
        body = {"messages": draw(messages())}
    for name in draw(st.lists(st.sampled_from(sorted(good)), max_size=5, unique=True)):
        body[name] = draw(good[name])
    if draw(st.integers(0, 2)) == 0:  # a third streams
        body["stream"] = True
    known = sorted({*good, *WILD, "prompt" if endpoint == "/v1/completions" else "messages"})
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 4]))):
        op = draw(st.sampled_from(["set", "set", "set", "unknown", "delete"]))
        if op == "set":
            name = draw(st.sampled_from(known))
            body[name] = draw(_value(name))
        elif op == "unknown":
            body[draw(st.text(min_size=1, max_size=10))] = draw(JSON_ANY)
        elif body:
            body.pop(draw(st.sampled_from(sorted(body))))
    return body


def _post_json(post, endpoint: str, body) -> httpx.Response:
    # Python's json (as the server's) writes and reads NaN and Infinity: they are sent as such
    return post(endpoint, json.dumps(body).encode(), {"content-type": "application/json"})


@examples(600)
@given(endpoint=st.sampled_from(ENDPOINTS), data=st.data())
def test_openai_endpoint_on_random_bodies_answers_below_500_in_the_openai_shape(post, endpoint, data):
    body = data.draw(bodies(endpoint), label="body")
    _check(_post_json(post, endpoint, body), body)


@st.composite
def sampling_bodies(draw, endpoint: str) -> dict:
    """A valid request whose sampling parameters (temperature, seed, max_tokens, stop, stream)
    take any value their fields accept."""
    if endpoint == "/v1/completions":
        body = {"prompt": draw(st.one_of(PROMPT_TEXT, TOKEN_IDS))}
    else:
        body = {"messages": draw(messages())}
    body.update(temperature=draw(st.floats(0.0, 2.0)), seed=draw(COMMON_GOOD["seed"]),
                max_tokens=draw(st.integers(1, MAX_TOKENS)))
    for name in draw(st.lists(st.sampled_from(["stop", "stream", "ignore_eos"]), unique=True)):
        body[name] = draw(COMMON_GOOD[name])
    return body


@examples(150)
@given(request=st.sampled_from(ENDPOINTS).flatmap(lambda e: st.tuples(st.just(e), sampling_bodies(e))))
@example(request=("/v1/completions", {"prompt": "0", "temperature": 1.5142641295655836e-305, "seed": 0,
                                      "max_tokens": 1}))  # once a 500: float32 softmax of lps / 1e-305 is NaN
@example(request=("/v1/completions", {"prompt": "0", "temperature": 5e-324, "seed": 0, "max_tokens": 2,
                                      "stream": True}))
@example(request=("/v1/chat/completions", {"messages": [{"role": "system", "content": ""}],
                                           "temperature": 2.225073858507203e-309, "max_tokens": 2}))
def test_openai_endpoint_with_valid_sampling_parameters_answers_below_500(post, request):
    endpoint, body = request
    _check(_post_json(post, endpoint, body), body)


JSON_FRAGMENTS = st.one_of(
    JSON_ANY.map(json.dumps), st.just("{"), st.just('{"prompt": '), st.just("[" * 3000 + "]" * 3000),
    st.just('{"prompt": "' + "x" * 5000 + '"}'),
    st.builds(lambda body, cut: json.dumps(body)[:cut], bodies("/v1/completions"), st.integers(0, 60)))
RAW_BODIES = st.one_of(st.binary(max_size=200), JSON_FRAGMENTS.map(str.encode),
                       JSON_FRAGMENTS.map(lambda text: text.encode("utf-16")),
                       st.binary(min_size=MAX_BODY - 8, max_size=MAX_BODY + 8))
CONTENT_TYPES = st.sampled_from([None, "application/json", "application/json; charset=utf-8", "text/plain",
                                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                 "application/merge-patch+json", ""])


@examples(800)
@given(endpoint=st.sampled_from(ENDPOINTS), content=RAW_BODIES, content_type=CONTENT_TYPES)
def test_openai_endpoint_on_raw_bytes_answers_below_500_in_the_openai_shape(post, endpoint, content, content_type):
    headers = {} if content_type is None else {"content-type": content_type}
    _check(post(endpoint, content, headers), content[:200])
