"""The shared OpenAI layer, exercised through the cloud server with the `openai` client
package (what users point at these servers) and with raw HTTP for the error paths."""

import json

import httpx
import openai
import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from inference.cloud import LocalCloud
from inference.decoder import HybridDecoder
from inference.generation import DecodeConfig
from inference.router import CloudOnly
from inference.tokenizer import encode_prompt
from serving.cloud_engine import CloudEngine
from serving.cloud_server import create_cloud_app
from serving.http_app import HttpConfig
from serving.prefix_engine import PrefixEngine
from workloads import wordmath

PROMPT = wordmath.generate("heldout", 1, seed=5)[0].prompt


@pytest.fixture
def server(cloud_engine, serve_app):
    with serve_app(create_cloud_app(cloud_engine, HttpConfig(max_body_bytes=4096, max_prompt_chars=3000))) as url:
        yield url


def test_text_prompt_continues_exactly_as_the_decoder_does(client, pair):
    """The text path tokenizes as the decoder does: same ids, same greedy continuation."""
    device, cloud, tok = pair
    by_text = client.completions.create(model="cloud", prompt=PROMPT, max_tokens=24, temperature=0)
    ids = encode_prompt(tok, PROMPT)
    by_ids = client.completions.create(model="cloud", prompt=ids, max_tokens=24, temperature=0)
    local = LocalCloud(cloud)
    gen = HybridDecoder(device, tok, local).generate(PROMPT, CloudOnly(), DecodeConfig(max_new_tokens=24))
    local.close()
    assert by_text.choices[0].text == by_ids.choices[0].text == gen.text
    assert by_text.usage.prompt_tokens == len(ids) and by_text.usage.completion_tokens == 24


def test_streaming_completion_has_one_event_per_token_and_matches_the_whole(client):
    whole = client.completions.create(model="cloud", prompt=PROMPT, max_tokens=16, temperature=0)
    chunks = list(client.completions.create(model="cloud", prompt=PROMPT, max_tokens=16, temperature=0,
                                            stream=True, stream_options={"include_usage": True}))
    token_chunks = [c for c in chunks if c.choices and c.choices[0].finish_reason is None]
    assert len(token_chunks) == 16
    assert "".join(c.choices[0].text for c in chunks if c.choices) == whole.choices[0].text
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == whole.choices[0].finish_reason == "length"
    assert chunks[-1].usage.completion_tokens == 16 and not chunks[-1].choices


def test_chat_streaming_and_not_agree(client):
    messages = [{"role": "system", "content": "Answer the question."},
                {"role": "user", "content": PROMPT[3:-3]}]
    whole = client.chat.completions.create(model="cloud", messages=messages, max_tokens=12, temperature=0)
    assert whole.choices[0].message.role == "assistant" and whole.object == "chat.completion"
    chunks = list(client.chat.completions.create(model="cloud", messages=messages, max_tokens=12, temperature=0,
                                                 stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == whole.choices[0].message.content and chunks[-1].choices[0].finish_reason == "length"


def test_stop_sequences_cut_before_the_stop_streaming_or_not(client):
    full = client.completions.create(model="cloud", prompt=PROMPT, max_tokens=40, temperature=0).choices[0].text
    stop = next(c for c in full[4:] if not c.isspace())  # a character the output does contain
    cut = full[: full.index(stop)]
    whole = client.completions.create(model="cloud", prompt=PROMPT, max_tokens=40, temperature=0, stop=[stop, "@@"])
    assert whole.choices[0].text == cut and whole.choices[0].finish_reason == "stop"
    streamed = client.completions.create(model="cloud", prompt=PROMPT, max_tokens=40, temperature=0, stop=stop,
                                         stream=True)
    chunks = list(streamed)
    assert "".join(c.choices[0].text for c in chunks) == cut and chunks[-1].choices[0].finish_reason == "stop"


def test_a_stop_sequence_spanning_tokens_is_cut_and_never_leaks_in_the_stream(client):
    full = client.completions.create(model="cloud", prompt=PROMPT, max_tokens=40, temperature=0).choices[0].text
    stop = full[10:16]  # six characters that straddle token boundaries
    chunks = list(client.completions.create(model="cloud", prompt=PROMPT, max_tokens=40, temperature=0, stop=stop,
                                            stream=True))
    streamed = "".join(c.choices[0].text for c in chunks)
    assert streamed == full[: full.index(stop)] and stop not in streamed


def test_eos_ends_generation_unless_ignore_eos(pair, serve_app):
    """A model whose every prediction is EOS (zeroed output layer: all logits tie, argmax
    takes id 0, the zoo tokenizer's EOS) stops after one token, as vLLM does."""
    _, _, tok = pair
    assert tok.eos_token_id == 0
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), hidden_size=16, intermediate_size=32,
                                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
                                         max_position_embeddings=64, tie_word_embeddings=False)).eval()
    with torch.no_grad():
        model.lm_head.weight.zero_()
    engine = CloudEngine(PrefixEngine(model), tok, "eos")
    with serve_app(create_cloud_app(engine, HttpConfig())) as url:
        body = {"prompt": "Q: hi\nA:", "max_tokens": 8, "temperature": 0}
        stopped = httpx.post(f"{url}/v1/completions", json=body).json()
        assert stopped["choices"][0]["finish_reason"] == "stop" and stopped["usage"]["completion_tokens"] == 1
        assert stopped["choices"][0]["text"] == ""  # EOS is a special token: no text
        ignored = httpx.post(f"{url}/v1/completions", json={**body, "ignore_eos": True}).json()
        assert ignored["choices"][0]["finish_reason"] == "length" and ignored["usage"]["completion_tokens"] == 8
    engine.close()


def test_every_openai_prompt_form_is_accepted(server, pair):
    _, _, tok = pair
    ids = encode_prompt(tok, PROMPT)
    for prompt, n in ((PROMPT, 1), ([PROMPT, PROMPT[:-4] + "\nA:"], 2), (ids, 1), ([ids, ids[:-1]], 2)):
        resp = httpx.post(f"{server}/v1/completions", json={"prompt": prompt, "max_tokens": 3, "temperature": 0})
        assert resp.status_code == 200, resp.text
        assert [c["index"] for c in resp.json()["choices"]] == list(range(n))


@pytest.mark.parametrize("body,param,status", [
    ({"prompt": "x", "seed": 2**70}, "seed", 400),
    ({"prompt": "x", "max_tokens": -1}, "max_tokens", 400),
    ({"prompt": "x", "temperature": "hot"}, "temperature", 400),
    ({"prompt": "x", "n": 2}, "n", 400),
    ({"prompt": "x", "stop": ["a", "b", "c", "d", "e"]}, "stop", 400),
    ({"prompt": "x", "stop": [""]}, "stop", 400),
    ({"prompt": []}, "prompt", 400),
    ({"prompt": [[]]}, "prompt", 400),
    ({"prompt": [1, 2, 10**9]}, "prompt", 400),
    ({"prompt": "x", "max_tokens": 10_000}, "max_tokens", 400),
    ({"prompt": "x" * 3001}, "prompt", 413),
    ({"prompt": "x", "model": "gpt-9"}, "model", 404),
    ({"prompt": "x", "privacy": "local-only"}, "privacy", 400),  # the cloud does not route
    ({"prompt": "x", "max_tokens": 0}, "max_tokens", 400),
])
def test_bad_completion_requests_name_their_field(server, body, param, status):
    resp = httpx.post(f"{server}/v1/completions", json=body)
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert err["param"] == param and err["message"] and err["type"]


@pytest.mark.parametrize("content,headers,message", [
    (b"", {}, "the body is empty: send a JSON object with content-type: application/json"),
    (b"", {"content-type": "application/json"}, "the body is empty"),
    (b'{"prompt": "x"}', {"content-type": "text/plain"}, ("the body is not a JSON object: send one with "
                                                          "content-type: application/json")),
    (b'["x"]', {"content-type": "application/json"}, "the body is not a JSON object"),
])
def test_a_body_that_is_not_a_json_object_is_told_what_to_send(server, content, headers, message):
    resp = httpx.post(f"{server}/v1/completions", content=content, headers=headers)
    assert resp.status_code == 400 and message in resp.json()["error"]["message"], resp.text


def test_bad_chat_requests_and_unknown_routes_get_the_openai_shape(server):
    for body, param in (({"messages": []}, "messages"), ({"messages": [{"role": "robot", "content": "x"}]}, "messages"),
                        ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, "messages"),
                        ({"messages": [{"role": "user", "content": "x"}], "logprobs": True}, "logprobs")):
        resp = httpx.post(f"{server}/v1/chat/completions", json=body)
        assert resp.status_code == 400 and resp.json()["error"]["param"] == param, resp.text
    missing = httpx.get(f"{server}/v1/nothing")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found_error"
    # the routes the server has are named, so a typo'd path or a GET for a POST needs no guessing
    message = missing.json()["error"]["message"]
    assert message.startswith("Not Found: GET /v1/nothing; this server answers ") and "POST /v1/completions" in message
    assert "POST /v1/chat/completions" in message and "GET /v1/models" in message, message
    wrong_method = httpx.get(f"{server}/v1/completions")
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()
    assert wrong_method.json()["error"]["message"].startswith("Method Not Allowed: GET /v1/completions; this server")
    not_json = httpx.post(f"{server}/v1/completions", content=b"{oops", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["error"]["message"]


def test_oversized_bodies_are_413_however_they_are_sent(server):
    big = json.dumps({"prompt": "x" * 10_000}).encode()

    def chunked():
        for i in range(0, len(big), 1000):
            yield big[i: i + 1000]

    for content in (big, chunked()):
        resp = httpx.post(f"{server}/v1/completions", content=content, headers={"Content-Type": "application/json"})
        assert resp.status_code == 413, resp.text
        assert resp.json()["error"]["message"].startswith("request body over")
    assert httpx.get(f"{server}/health").status_code == 200


def requests_counted(url: str, headers: dict | None = None) -> dict[tuple[str, str], float]:
    """fedhybrid_requests_total from /metrics: {(endpoint, status): count}."""
    from prometheus_client.parser import text_string_to_metric_families

    scrape = httpx.get(f"{url}/metrics", headers=headers)
    assert scrape.status_code == 200, scrape.text
    return {(s.labels["endpoint"], s.labels["status"]): s.value
            for family in text_string_to_metric_families(scrape.text) for s in family.samples
            if s.name == "fedhybrid_requests_total"}


def test_oversized_bodies_are_counted_on_metrics_like_any_refusal(server):
    big = json.dumps({"prompt": "x" * 10_000}).encode()
    json_type = {"Content-Type": "application/json"}
    assert httpx.post(f"{server}/v1/completions", content=big, headers=json_type).status_code == 413
    chunks = (big[i: i + 1000] for i in range(0, len(big), 1000))  # no Content-Length: refused while it arrives
    assert httpx.post(f"{server}/v1/completions", content=chunks, headers=json_type).status_code == 413
    assert httpx.post(f"{server}/nowhere", content=big, headers=json_type).status_code == 413
    assert httpx.post(f"{server}/v1/completions", json={"prompt": "x", "n": 2}).status_code == 400
    assert requests_counted(server) == {("/v1/completions", "413"): 2, ("other", "413"): 1,
                                        ("/v1/completions", "400"): 1}


def test_a_stream_the_client_drops_is_counted_as_499_not_200(server):
    """A response is counted once its last part is sent: a client that closes a stream after
    its first event was counted as a 200 when the response started."""
    import time

    body = {"prompt": "Q: Ava has 12 apples.\nA:", "max_tokens": 300, "ignore_eos": True, "stream": True}
    with httpx.stream("POST", f"{server}/v1/completions", json=body) as resp:
        assert resp.status_code == 200
        next(resp.iter_lines())  # one event, then the client goes
    deadline = time.monotonic() + 10
    while ("/v1/completions", "499") not in (counted := requests_counted(server)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert counted == {("/v1/completions", "499"): 1}, counted
    assert httpx.post(f"{server}/v1/completions", json={**body, "stream": False, "max_tokens": 2}).status_code == 200
    assert requests_counted(server) == {("/v1/completions", "499"): 1, ("/v1/completions", "200"): 1}


def test_unknown_paths_share_one_metrics_label_and_metrics_needs_the_key(cloud_engine, serve_app):
    """Inventing paths, with or without the key, cannot add series to /metrics."""
    auth = {"Authorization": "Bearer sesame"}
    with serve_app(create_cloud_app(cloud_engine, HttpConfig(api_key="sesame"))) as url:
        for path in ("/random-abc", "/x/y/z123", "/v1/nothing-123"):
            assert httpx.get(f"{url}{path}").status_code == 401
            assert httpx.get(f"{url}{path}", headers=auth).status_code == 404
        assert httpx.get(f"{url}/v1/completions", headers=auth).status_code == 405
        assert httpx.get(f"{url}/metrics").status_code == 401  # the scrape needs the key too
        counted = requests_counted(url, auth)
    # an unknown path is counted as a /v1/ request (404) or a refusal (401), never by its name
    assert counted == {("other", "401"): 3, ("other", "404"): 1, ("/v1/completions", "405"): 1,
                       ("/metrics", "401"): 1}


def test_too_many_stop_sequences_name_the_limit(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model="cloud", prompt="x", max_tokens=1, stop=["a", "b", "c", "d", "e"])
    err = caught.value.body
    assert err["param"] == "stop" and "at most 4 sequences (got 5)" in err["message"], err


def test_a_prompt_too_long_for_the_context_names_the_prompt_unless_max_tokens_is_what_overflows(server, cloud_engine):
    context = cloud_engine.max_positions
    assert 3 * context < 4000  # the ids ("1, " at most) fit the server's 4096-byte body limit
    cases = (([1] * context, 1, "prompt"),  # the prompt alone leaves no room for a token
             ([1] * (context - 1), 2, "max_tokens"))  # the prompt fits; max_tokens pushes past
    for ids, max_tokens, param in cases:
        resp = httpx.post(f"{server}/v1/completions", json={"prompt": ids, "max_tokens": max_tokens})
        assert resp.status_code == 400 and resp.json()["error"]["param"] == param, resp.text
    fits = httpx.post(f"{server}/v1/completions", json={"prompt": [1] * (context - 1), "max_tokens": 1})
    assert fits.status_code == 200, fits.text


def test_max_tokens_past_the_context_is_told_the_most_it_may_ask_under_both_bounds(cloud_engine, serve_app):
    context = cloud_engine.max_positions
    with serve_app(create_cloud_app(cloud_engine, HttpConfig(max_tokens_limit=8))) as url:
        # the context leaves room for thousands more, but the server stops at 8: the hint says 8
        far = httpx.post(f"{url}/v1/completions", json={"prompt": "x", "max_tokens": 10 * context})
        assert far.status_code == 400
        assert far.json()["error"]["message"].endswith("ask for at most 8 tokens (this server's limit)")
        assert httpx.post(f"{url}/v1/completions", json={"prompt": "x", "max_tokens": 8}).status_code == 200
        # the context is the tighter bound: the hint names its room, and shortening the prompt
        near = httpx.post(f"{url}/v1/completions", json={"prompt": [1] * (context - 3), "max_tokens": 9})
        assert near.json()["error"]["message"].endswith("ask for at most 3 tokens or shorten the prompt")


def test_api_key_is_required_when_set(cloud_engine, serve_app):
    with serve_app(create_cloud_app(cloud_engine, HttpConfig(api_key="sesame"))) as url:
        assert httpx.post(f"{url}/v1/completions", json={"prompt": "x"}).status_code == 401
        wrong = httpx.post(f"{url}/v1/completions", json={"prompt": "x"}, headers={"Authorization": "Bearer sesamf"})
        assert wrong.status_code == 401 and wrong.json()["error"]["type"] == "authentication_error"
        good = openai.OpenAI(base_url=f"{url}/v1", api_key="sesame", max_retries=0)
        assert good.completions.create(model="cloud", prompt="x", max_tokens=1).usage.completion_tokens == 1
        assert httpx.get(f"{url}/health").status_code == 200  # health stays open for probes


def test_without_the_key_no_body_is_read(cloud_engine, serve_app):
    """The key is checked from the headers before the body guard reads anything: a client
    without it gets 401, never 413, and the server counts none of its bytes."""
    def received(url):
        text = httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer sesame"}).text
        return sum(float(line.split()[-1]) for line in text.splitlines()
                   if line.startswith("fedhybrid_http_request_bytes_total"))

    with serve_app(create_cloud_app(cloud_engine, HttpConfig(api_key="sesame", max_body_bytes=4096))) as url:
        before = received(url)
        for body in (b"x" * 100_000, b'{"prompt": "x"}'):
            resp = httpx.post(f"{url}/v1/completions", content=body, headers={"content-type": "application/json"})
            assert resp.status_code == 401 and resp.json()["error"]["type"] == "authentication_error"
        chunked = httpx.post(f"{url}/v1/completions", content=iter([b"x" * 3000] * 5))
        assert chunked.status_code == 401
        assert received(url) == before


def test_metrics_are_prometheus_text(server, client):
    client.completions.create(model="cloud", prompt=PROMPT, max_tokens=2, temperature=0)
    text = httpx.get(f"{server}/metrics").text
    for name in ("fedhybrid_requests_total", "fedhybrid_request_seconds_bucket",
                 "fedhybrid_time_to_first_token_seconds_bucket", "fedhybrid_generated_tokens_total",
                 "fedhybrid_queue_depth", "fedhybrid_tokens_computed_total"):
        assert name in text, name
