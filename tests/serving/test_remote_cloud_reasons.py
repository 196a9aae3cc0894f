"""What a remote tier's failures say: the reason in /health and the log, a server that answered and
cannot be used told apart from one that is down, and a hop named as a hop, not as "the cloud"."""

import http.server
import json
import threading

import pytest

from inference.cloud import CloudSkipped, CloudUnavailable, LocalCloud
from inference.errors import TokenizerMismatchError
from inference.tokenizer import encode_prompt, tokenizer_hash
from serving.errors import ServingError
from serving.launch import free_port
from serving.remote_cloud import NotACloud, RemoteCloud, RemoteCloudConfig
from workloads import wordmath

PROMPT = wordmath.generate("heldout", 1, seed=37)[0].prompt


class Upstream:
    """A server on loopback whose answers a test sets: `card` (None: /v1/models answers 503, a
    server still starting) and `tokenize` (the status /tokenize answers, 404 for a non-vLLM)."""

    def __init__(self):
        self.card: dict | None = None
        self.tokenize = 404
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if upstream.card is None:
                    self._send(503, {"error": {"message": "loading"}})
                else:
                    self._send(200, {"object": "list", "data": [upstream.card]})

            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                self._send(upstream.tokenize, {"detail": "Not Found"} if upstream.tokenize >= 400 else {"tokens": []})

            def _send(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
    server.close()


def test_a_late_cloud_serving_another_model_says_why_in_health_and_once_as_an_error(
        make_agent, run_job, zoo_models, upstream, caplog):
    """The cloud came up late serving another model than the head's: requests went on device-only,
    /health said `"cloud": "failing"` with no reason, and the log only counted failed calls."""
    tok = zoo_models[2]
    remote = RemoteCloud(RemoteCloudConfig(upstream.url, expect_identity="a" * 64, cooldown_s=600.0,
                                           expect_why="serve the calibrated model there"))
    remote.connect_later(tok)
    assert "not ready" in remote.probe()  # still starting: the agent serves without it
    upstream.card = {"id": "other", "tokenizer_hash": tokenizer_hash(tok), "vocab_size": len(tok),
                     "model_identity": "b" * 64}
    engine = make_agent("edge-8", upstream=remote, policy="cloud-only", settle_recurring=False)
    ids = encode_prompt(engine.tokenizer, PROMPT)
    with caplog.at_level("WARNING", logger="fedhybrid.agent"):
        for _ in range(2):
            done, _ = run_job(engine, ids, max_tokens=4)
            assert done.usage["device_tokens"] == 4
    health = engine.health()
    assert health["cloud"] == "failing"
    why = "serves 'other' (identity bbbbbbbbbbbb), not the model of identity aaaaaaaaaaaa: serve the calibrated"
    assert why in health["cloud_last_failure"] and "waiting will not help" in health["cloud_last_failure"]
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and why in errors[0] and "Waiting will not help" in errors[0], errors
    warning = next(r.getMessage() for r in caplog.records if "failed or missed their deadline" in r.getMessage())
    assert "last: unusable, waiting will not help: the cloud at" in warning, warning


def test_a_cloud_that_fails_says_its_last_reason_and_keeps_it_once_back(make_agent, run_job, zoo_models):
    """A cloud down (not unusable): the reason is there, and no ERROR is due."""
    remote = RemoteCloud(RemoteCloudConfig(f"http://127.0.0.1:{free_port()}", connect_timeout_s=1.0,
                                           cooldown_s=600.0, max_retries=0))
    remote.connect_later(zoo_models[2])
    engine = make_agent("edge-9", upstream=remote, policy="cloud-only", settle_recurring=False)
    run_job(engine, encode_prompt(engine.tokenizer, PROMPT), max_tokens=2)
    assert engine.health()["cloud_last_failure"].startswith(f"cannot reach the cloud at {remote.cfg.url}/v1/models")
    assert remote.unusable is None


def test_a_cloud_without_tokenize_or_tokenizer_hash_is_unusable_not_down(upstream, pair):
    """A non-vLLM OpenAI server (no /tokenize, no tokenizer_hash) was taken as down: `device serve`
    waited for it 'until it answers', and its message held httpx's multi-line help text."""
    tok = pair[2]
    upstream.card = {"id": "gpt"}
    remote = RemoteCloud(RemoteCloudConfig(upstream.url))
    with pytest.raises(NotACloud) as refused:
        remote.connect(tok)
    text = str(refused.value)
    assert "no tokenizer_hash" in text and "answered 404 to /tokenize" in text and "vLLM" in text, text
    assert "\n" not in text and "mozilla" not in text, text
    remote.connect_later(tok)
    with pytest.raises(NotACloud):  # the start-up probe refuses it (device serve exits 2)
        remote.probe()
    upstream.tokenize = 503  # a vLLM still loading: down, asked again later
    assert "answered 503 to /tokenize: not ready" in remote.probe()


def test_device_serve_refuses_a_cloud_without_tokenize_at_start(upstream, tiny_zoo_dir, tmp_path, capsys):
    from fedhybrid.cli import main

    upstream.card = {"id": "gpt"}
    code = main(["--zoo", str(tiny_zoo_dir), "device", "serve", "--tier", "edge", "--device", "edge-4", "--port", "0",
                 "--state-dir", str(tmp_path / "edge-4"), "--cloud-url", upstream.url, "--policy", "confidence",
                 "--threshold", "1.0"])
    assert code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and "answered 404 to /tokenize" in lines[0] and "mozilla" not in lines[0], lines


def test_a_hop_is_named_as_a_hop_with_the_hint_that_fits(upstream, pair):
    """`--hop client=URL` said 'the cloud at URL uses tokenizer ...' and, dead, 'circuit open: the
    cloud at URL ... is `fedhybrid cloud serve` (or vLLM) running there?'."""
    from fedhybrid.hops import HopSpec, build_chain

    _, cloud_model, tok = pair
    dead = f"http://127.0.0.1:{free_port()}/hop"
    with pytest.raises(ServingError) as down:
        RemoteCloud(RemoteCloudConfig(dead, hop_tier="client", connect_timeout_s=0.5)).connect(tok)
    assert f"cannot reach the hop of tier client at {dead}/v1/models" in str(down.value)
    assert "--serve-hop" in str(down.value) and "the cloud" not in str(down.value)

    upstream.card = {"id": "m", "tokenizer_hash": "0" * 64, "vocab_size": 7}
    with pytest.raises(TokenizerMismatchError, match=f"the hop of tier client at {upstream.url} uses tokenizer "
                                                     "000000000000 .* point the device at a hub"):
        RemoteCloud(RemoteCloudConfig(upstream.url, hop_tier="client")).connect(tok)

    chain = build_chain([HopSpec("client", dead)], LocalCloud(cloud_model), tok, 2.0)
    assert chain.hops[0].cloud.cfg.hop_tier == "client"
    for _ in range(4):  # three failures open the hop's breaker; the fourth call skips it
        assert chain.predict("s", [5, 6, 7], 3, 2, 2.0).tier == "cloud"
    client = chain.summary()[0]
    assert client["skipped"] == 1 and client["last_failure"].startswith(
        f"circuit open: the hop of tier client at {dead} failed repeatedly (last: cannot reach the hop of tier "
        f"client at {dead}/v1/models"), client
    assert "is a device agent started with --serve-hop running there" in client["last_failure"]
    assert "fedhybrid cloud serve" not in client["last_failure"]
    chain.close()


def test_a_hop_calls_failure_names_the_hop(pair):
    remote = RemoteCloud(RemoteCloudConfig(f"http://127.0.0.1:{free_port()}", hop_tier="edge", max_retries=0))
    remote.vocab_size = len(pair[2])  # connected (no deferred check): the completions call itself fails
    with pytest.raises(CloudUnavailable) as failed:
        remote.predict("s", [1, 2, 3], 3, 2, deadline_s=1.0)
    assert not isinstance(failed.value, CloudSkipped)
    assert str(failed.value).startswith(f"call to the hop of tier edge at {remote.cfg.url} failed within 1000 ms: "
                                        "ConnectError"), failed.value
    remote.close()
