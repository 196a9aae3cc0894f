"""What a newcomer met walking through the OpenAI API of a cloud server and a device agent:
null meaning the default, chat messages without content, error messages that say what to send,
--max-queue's count, and a --max-tokens-limit larger than the model's context."""

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

from agent.app import create_agent_app, write_token
from agent.sync import RoundRunner
from fedhybrid.cli import build_parser
from serving.cloud_server import create_cloud_app
from serving.http_app import HttpConfig
from workloads import wordmath

PROMPT = wordmath.generate("heldout", 1, seed=5)[0].prompt
MESSAGES = [{"role": "user", "content": PROMPT[3:-3]}]
CHAT = "/v1/chat/completions"
LEGACY = "/v1/completions"
EOS_OFF = {"ignore_eos": True}  # every answer runs to its limit: lengths show which limit applied


@pytest.fixture
def server(cloud_engine, serve_app):
    with serve_app(create_cloud_app(cloud_engine, HttpConfig(max_body_bytes=4096, max_tokens_limit=24))) as url:
        yield url


@pytest.fixture
def agent(make_agent, serve_app):
    engine = make_agent("edge-7", max_queue=1)
    token = write_token(engine.cfg.token_path)
    with serve_app(create_agent_app(engine, RoundRunner(engine), HttpConfig(max_tokens_limit=64), token)) as url:
        yield engine, url


# -- 1. null is the default ----------------------------------------------------------------------
def test_null_max_tokens_answers_as_omitting_it_on_both_endpoints(client):
    """Completions' max_tokens null decoded as many tokens as fit (34 here) where omitting it
    gives 16; README: null for an optional field means its default."""
    omitted = client.completions.create(model="cloud", prompt=PROMPT, temperature=0, extra_body=EOS_OFF)
    null = client.completions.create(model="cloud", prompt=PROMPT, temperature=0, max_tokens=None,
                                     extra_body=EOS_OFF)
    assert omitted.usage.completion_tokens == null.usage.completion_tokens == 16
    assert null.choices[0].text == omitted.choices[0].text
    # chat's default is as many as fit under the server's limit (24 here), null or omitted alike
    chat = [client.chat.completions.create(model="cloud", messages=MESSAGES, temperature=0, extra_body=EOS_OFF,
                                           **nulls).usage.completion_tokens
            for nulls in ({}, {"max_tokens": None}, {"max_completion_tokens": None})]
    assert chat == [24, 24, 24]


# -- 2. chat messages need content -----------------------------------------------------------------
@pytest.mark.parametrize("messages,where", [
    ([{"role": "user"}], "messages[0].content is missing"),
    ([{"role": "user", "content": None}], "messages[0].content is null"),
    ([{"role": "system", "content": None}, *MESSAGES], "messages[0].content is null"),
    ([{"role": "developer"}, *MESSAGES], "messages[0].content is missing"),
    ([*MESSAGES, {"role": "assistant", "content": None}, *MESSAGES], "messages[1].content is null"),
])
def test_a_message_without_content_is_refused_naming_it_and_what_to_send(server, messages, where):
    resp = httpx.post(f"{server}{CHAT}", json={"messages": messages, "max_tokens": 1})
    assert resp.status_code == 400, resp.text
    err = resp.json()["error"]
    assert err["param"] == "messages" and f"{where}: send a string, or a list of text parts" in err["message"], err


def test_the_openai_client_is_told_the_same_and_its_replayed_answers_are_taken(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="cloud", messages=[{"role": "user", "content": None}], max_tokens=1)
    assert "messages[0].content is null" in caught.value.body["message"]
    first = client.chat.completions.create(model="cloud", messages=MESSAGES, max_tokens=4, temperature=0)
    answer = first.choices[0].message
    # the SDK's message object as the SDK sends it, and dumped whole (refusal, tool_calls, audio ... null)
    for replayed in (answer, answer.model_dump()):
        again = client.chat.completions.create(model="cloud", messages=[*MESSAGES, replayed, MESSAGES[0]],
                                               max_tokens=2, temperature=0)
        assert again.usage.completion_tokens == 2
    called = {**answer.model_dump(), "tool_calls": [{"id": "c1", "type": "function",
                                                     "function": {"name": "f", "arguments": "{}"}}]}
    with pytest.raises(openai.BadRequestError) as caught:  # a tool call is refused by name, not dropped
        client.chat.completions.create(model="cloud", messages=[*MESSAGES, called, MESSAGES[0]], max_tokens=1)
    assert caught.value.body["param"] == "messages"
    assert caught.value.body["message"].startswith("messages[1].tool_calls is not supported"), caught.value.body


# -- 3. error messages say what to send ------------------------------------------------------------
@pytest.mark.parametrize("value", [-1, 2.5])
def test_a_bad_max_tokens_on_an_agent_asks_for_what_the_agent_takes(agent, server, value):
    """An agent refuses echo and max_tokens 0: "send an integer >= 0 (0 only with echo)" sent
    the client to two refusals. The cloud, which scores, still says it."""
    _, url = agent
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model="edge-7", prompt="Q: x\nA:", max_tokens=value)
    err = caught.value.body
    assert err["param"] == "max_tokens" and err["message"] == f"max_tokens is {value}: send an integer >= 1", err
    cloud = httpx.post(f"{server}{LEGACY}", json={"prompt": "x", "max_tokens": value}).json()["error"]
    assert cloud["message"] == f"max_tokens is {value}: send an integer >= 0 (0 only with echo)", cloud


def test_a_body_over_the_limit_is_told_how_to_fit(server):
    resp = httpx.post(f"{server}{LEGACY}", json={"prompt": "x" * 5000})
    assert resp.status_code == 413, resp.text
    assert resp.json()["error"]["message"] == ("request body over 4096 bytes: send a shorter body, or start the "
                                               "server with a larger --max-body-bytes")
    for command in (["cloud", "serve"], ["device", "serve", "--device", "edge-1"]):  # the flag named exists
        assert build_parser().parse_args([*command, "--max-body-bytes", "2048"]).max_body_bytes == 2048


@pytest.mark.parametrize("prompt,where", [([999999], "prompt[0]"), ([[1, 2], [3, 4, 999999]], "prompt[1][2]")])
def test_a_token_id_outside_the_vocabulary_is_named(client, cloud_engine, prompt, where):
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model="cloud", prompt=prompt, max_tokens=1)
    vocab = cloud_engine.vocab_size
    assert caught.value.body["param"] == "prompt"
    assert caught.value.body["message"] == (f"{where} is 999999, outside this model's vocabulary of {vocab} tokens: "
                                            f"send token ids from 0 to {vocab - 1}")


# -- 4. --max-queue: requests that may wait besides the one decoding -----------------------------
def test_max_queue_1_lets_one_request_wait_besides_the_one_decoding_under_a_burst(agent):
    """8 requests landing while the worker is between requests (folding corrections): 1 was
    answered and 7 refused, the next to decode counted as queued until the worker took it. The
    help says --max-queue counts requests waiting: with 1, two are answered (one decodes, one
    waits) and six get 503, saying why and what to do."""
    engine, url = agent
    between, release = threading.Event(), threading.Event()
    folding = engine.maintain

    def slow_maintain():  # the worker's housekeeping after each request, held until released
        between.set()
        release.wait(60)
        folding()

    engine.maintain = slow_maintain
    body = {"prompt": PROMPT, "max_tokens": 2, "temperature": 0}
    assert httpx.post(f"{url}{LEGACY}", json=body, timeout=60).status_code == 200
    assert between.wait(30)  # the worker is in its housekeeping now: nothing decodes, nothing was taken
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(httpx.post, f"{url}{LEGACY}", json=body, timeout=60) for _ in range(8)]
        deadline = time.monotonic() + 30
        while sum(f.done() for f in futures) < 6 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # a seventh refusal, if one were coming
        release.set()
        answers = [f.result() for f in futures]
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 2 + [503] * 6, statuses
    refused = next(a for a in answers if a.status_code == 503)
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["error"]["message"] == ("agent-edge-7: 1 request is already waiting besides the one "
                                                  "decoding, the most this server queues (--max-queue 1); retry "
                                                  "shortly")
    assert engine.queued == 0 and httpx.post(f"{url}{LEGACY}", json=body, timeout=60).status_code == 200


# -- 5. --max-tokens-limit above the model's context -----------------------------------------------
@pytest.mark.parametrize("command", [["cloud", "serve"], ["device", "serve", "--device", "edge-8"]])
def test_a_tokens_limit_above_the_models_context_is_refused_at_start_naming_both(tiny_zoo_dir, tmp_path, command):
    """Accepted, the server started and served with a limit no request could reach."""
    state = ["--state-dir", str(tmp_path / "edge-8")] if command[0] == "device" else []
    argv = [sys.executable, "-m", "fedhybrid.cli", "--zoo", str(tiny_zoo_dir), *command, *state, "--port", "0",
            "--max-tokens-limit", "100000"]
    try:  # a child with a deadline: a server that starts instead serves until stopped
        done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"it started serving: {exc.stdout!r}")
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "--max-tokens-limit 100000 is above the model's context of 512 tokens" in lines[0], lines
    assert "pass --max-tokens-limit 512 or less" in lines[0] and "serving" not in done.stdout
    assert not (tmp_path / "edge-8" / "admin.token").exists()
