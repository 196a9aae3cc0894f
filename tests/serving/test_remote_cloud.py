"""The cloud as a service: real `fedhybrid cloud serve` on loopback, stopped by PID."""

import http.server
import json
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from inference.cloud import CloudUnavailable, LocalCloud
from inference.decoder import HybridDecoder
from inference.errors import TokenizerMismatchError
from inference.generation import DecodeConfig, Provenance
from inference.router import make_policy
from inference.tokenizer import train_tokenizer
from serving.errors import ServingError
from serving.launch import CloudServerProcess
from serving.remote_cloud import RemoteCloud, RemoteCloudConfig
from workloads import wordmath

PROMPTS = [p.prompt for p in wordmath.generate("heldout", 8, seed=31)]
CFG = DecodeConfig(max_new_tokens=16, deadline_s=5.0)


@pytest.fixture(scope="module")
def server(tiny_zoo_dir, tmp_path_factory):
    log = tmp_path_factory.mktemp("srv") / "server.log"
    with CloudServerProcess("cloud", tiny_zoo_dir, log=log, extra=["--api-key", "sesame"]) as srv:
        yield srv


def _remote(server, tok, **kw):
    cloud = RemoteCloud(RemoteCloudConfig(server.url, api_key="sesame", **kw))
    cloud.connect(tok)
    return cloud


def test_the_openai_base_url_form_is_taken_as_the_servers_root(server, pair):
    """`http://host:port/v1` (what an openai client is given) was refused as no OpenAI server."""
    _, _, tok = pair
    for url in (f"{server.url}/v1", f"{server.url}/v1/"):
        remote = RemoteCloud(RemoteCloudConfig(url, api_key="sesame"))
        assert remote.cfg.url == server.url
        remote.connect(tok)  # /v1/models answered: no /v1/v1 on the way
        remote.close()


def test_remote_decoder_matches_the_local_cloud_and_reuses_prefixes(server, pair):
    device, cloud_model, tok = pair
    remote = _remote(server, tok)
    for policy in (make_policy("cloud-only"), make_policy("confidence", 0.3)):
        for verify in (False, True):
            cfg = DecodeConfig(max_new_tokens=16, verify=verify, deadline_s=5.0)
            a = HybridDecoder(device, tok, remote).generate(PROMPTS[0], policy, cfg)
            b = HybridDecoder(device, tok, LocalCloud(cloud_model)).generate(PROMPTS[0], policy, cfg)
            assert a.token_ids == b.token_ids and a.provenance == b.provenance
    # prefix reuse: a cloud-only generation computes ~one token per call after the prompt
    fresh = PROMPTS[1]
    gen = HybridDecoder(device, tok, remote).generate(fresh, make_policy("cloud-only"), CFG)
    n_prompt = len(tok(fresh)["input_ids"])
    assert gen.cloud_tokens_computed <= n_prompt + 2 * len(gen.token_ids)
    stats = remote.stats.summary()
    assert stats["failures"] == 0 and stats["p50_ms"] > 0 and stats["bytes_sent"] > 0
    remote.close()


def test_eight_concurrent_devices_get_the_same_outputs_as_serial_runs(server, pair):
    device, _, tok = pair
    policy = make_policy("confidence", 0.3)

    def run(prompt):
        remote = _remote(server, tok)
        import copy

        local_device = copy.deepcopy(device)  # one device model per device thread
        out = HybridDecoder(local_device, tok, remote).generate(prompt, policy, CFG)
        remote.close()
        return out.token_ids, out.provenance, out.cloud_failures

    serial = [run(p) for p in PROMPTS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(run, PROMPTS))
    assert concurrent == serial
    assert all(failures == 0 for _, _, failures in serial)


@pytest.mark.parametrize("body,param", [
    ({"prompt": "oops" * 0 + "x", "max_tokens": "ten"}, "max_tokens"),
    ({"prompt": [1, 2, 10**9], "max_tokens": 1}, "prompt"),
    ({"prompt": [1, 2, -4], "max_tokens": 1}, "prompt"),
    ({"prompt": [1] * 600, "max_tokens": 1}, "prompt"),
    ({"prompt": [1, 2], "max_tokens": 1, "logprobs": 99}, "logprobs"),
    ({"prompt": [1, 2], "max_tokens": 1, "model": "gpt-9"}, "model"),
    ({"max_tokens": 1}, "prompt"),
])
def test_bad_requests_get_openai_style_4xx(server, body, param):
    resp = httpx.post(f"{server.url}/v1/completions", json=body, headers={"Authorization": "Bearer sesame"})
    assert 400 <= resp.status_code < 500, resp.text
    err = resp.json()["error"]
    assert err["message"] and err["type"]
    assert param in (err.get("param") or "") or param in err["message"]
    assert httpx.get(f"{server.url}/health").status_code == 200  # still alive


def test_malformed_json_oversized_body_and_wrong_key(server):
    auth = {"Authorization": "Bearer sesame", "Content-Type": "application/json"}
    bad = httpx.post(f"{server.url}/v1/completions", content=b"{not json", headers=auth)
    assert bad.status_code == 400 and "error" in bad.json()
    big = httpx.post(f"{server.url}/v1/completions", content=b"[" + b"1," * 700_000 + b"1]", headers=auth)
    assert big.status_code == 413 and "error" in big.json()
    nokey = httpx.post(f"{server.url}/v1/completions", json={"prompt": [1], "max_tokens": 1})
    assert nokey.status_code == 401 and nokey.json()["error"]["type"] == "authentication_error"
    assert httpx.get(f"{server.url}/health").status_code == 200


def test_completion_response_follows_the_vllm_shape(server, pair):
    _, _, tok = pair
    ids = tok(PROMPTS[0])["input_ids"]
    resp = httpx.post(f"{server.url}/v1/completions", headers={"Authorization": "Bearer sesame"},
                      json={"prompt": ids, "max_tokens": 2, "temperature": 0, "logprobs": 3, "echo": True,
                            "return_tokens_as_token_ids": True})
    data = resp.json()
    assert data["object"] == "text_completion" and data["usage"]["prompt_tokens"] == len(ids)
    lp = data["choices"][0]["logprobs"]
    assert len(lp["tokens"]) == len(ids) + 2 and lp["token_logprobs"][0] is None
    assert lp["tokens"][0] == f"token_id:{ids[0]}"
    assert all(len(top) == 3 for top in lp["top_logprobs"][1:])


def test_server_killed_mid_generation_completes_device_only(tiny_zoo_dir, pair, tmp_path):
    device, _, tok = pair
    srv = CloudServerProcess("cloud", tiny_zoo_dir, log=tmp_path / "s.log").start()
    remote = RemoteCloud(RemoteCloudConfig(srv.url, failure_threshold=2, cooldown_s=60.0))
    remote.connect(tok)
    seen = []

    def on_token(token, provenance):
        seen.append(provenance)
        if len(seen) == 4:
            srv.kill()  # SIGKILL by PID, mid-generation

    gen = HybridDecoder(device, tok, remote).generate(
        PROMPTS[2], make_policy("cloud-only"), DecodeConfig(max_new_tokens=12, deadline_s=1.0), on_token=on_token)
    assert len(gen.token_ids) == 12
    assert gen.provenance[:4] == [Provenance.CLOUD] * 4
    assert Provenance.DEVICE in gen.provenance[4:] and gen.missed_escalations == 8
    assert remote.circuit_open and remote.stats.short_circuited >= 5  # no network wait once open
    remote.close()


class _Peer(http.server.BaseHTTPRequestHandler):
    """A misbehaving completions server (fault injection on the wire)."""

    mode = "ok"
    delay = 0.0
    vocab = 384
    tok_hash = ""

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = json.dumps({"object": "list", "data": [{"id": "m", "vocab_size": self.vocab,
                                                       "tokenizer_hash": self.tok_hash}]}).encode()
        self._send(200, body)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        time.sleep(self.delay)
        if self.mode == "500":
            self._send(500, b'{"error": {"message": "boom"}}')
        elif self.mode == "malformed":
            self._send(200, b'{"choices": [{"logprobs": {"tokens": 3}}]}')
        elif self.mode == "truncated":
            self._send(200, b'{"choices": [{"logprobs": {"tok')
        else:
            self._send(200, json.dumps({"choices": [{"logprobs": {
                "tokens": ["token_id:5"], "token_logprobs": [-0.1],
                "top_logprobs": [{"token_id:5": -0.1}]}}], "usage": {}}).encode())

    def _send(self, status, body):
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def peer(pair):
    from inference.tokenizer import tokenizer_hash

    _Peer.tok_hash = tokenizer_hash(pair[2])
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Peer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    _Peer.mode, _Peer.delay, _Peer.vocab = "ok", 0.0, 384


@pytest.mark.parametrize("mode", ["500", "malformed", "truncated"])
def test_server_errors_and_broken_bodies_fall_back_to_the_device(peer, pair, mode):
    device, _, tok = pair
    _Peer.mode = mode
    remote = RemoteCloud(RemoteCloudConfig(f"http://127.0.0.1:{peer.server_port}", max_retries=1))
    remote.connect(tok)
    with pytest.raises(CloudUnavailable):
        remote.predict("s", [1, 2, 3], 3, 4, deadline_s=2.0)
    gen = HybridDecoder(device, tok, remote).generate(PROMPTS[3], make_policy("cloud-only"),
                                                      DecodeConfig(max_new_tokens=6, deadline_s=1.0))
    assert len(gen.token_ids) == 6 and gen.cloud_share == 0
    assert remote.stats.failures >= 1 and remote.stats.retries >= 1
    remote.close()


def test_server_slower_than_the_deadline_falls_back_in_time(peer, pair):
    device, _, tok = pair
    _Peer.delay = 1.0
    remote = RemoteCloud(RemoteCloudConfig(f"http://127.0.0.1:{peer.server_port}", failure_threshold=100))
    remote.connect(tok)
    started = time.monotonic()
    with pytest.raises(CloudUnavailable):
        remote.predict("s", [1, 2, 3], 3, 4, deadline_s=0.2)
    assert time.monotonic() - started < 0.2 + 0.15
    gen = HybridDecoder(device, tok, remote).generate(PROMPTS[3], make_policy("cloud-only"),
                                                      DecodeConfig(max_new_tokens=3, deadline_s=0.2))
    assert gen.cloud_share == 0 and gen.missed_escalations == 3
    remote.close()


def test_ok_peer_answers(peer, pair):
    remote = RemoteCloud(RemoteCloudConfig(f"http://127.0.0.1:{peer.server_port}"))
    remote.connect(pair[2])
    assert remote.predict("s", [1, 2, 3], 3, 1, deadline_s=2.0).greedy == 5
    remote.close()


def test_wrong_vocabulary_or_tokenizer_is_refused_at_connect(peer, pair, tiny_zoo_dir, tmp_path):
    _Peer.vocab = 999
    remote = RemoteCloud(RemoteCloudConfig(f"http://127.0.0.1:{peer.server_port}"))
    with pytest.raises(TokenizerMismatchError, match="vocab 999"):
        remote.connect(pair[2])
    # a real server with a model saved under another tokenizer
    foreign = tmp_path / "foreign"
    shutil.copytree(tiny_zoo_dir / "cloud", foreign)
    train_tokenizer(["other words entirely " * 40, "y = 2\n" * 40], 384).save_pretrained(str(foreign))
    with CloudServerProcess(str(foreign), log=tmp_path / "f.log") as srv, pytest.raises(TokenizerMismatchError):
        RemoteCloud(RemoteCloudConfig(srv.url)).connect(pair[2])


def test_unreachable_cloud_is_a_clear_error_at_connect(pair):
    from serving.launch import free_port

    remote = RemoteCloud(RemoteCloudConfig(f"http://127.0.0.1:{free_port()}", connect_timeout_s=0.5))
    with pytest.raises(ServingError, match="cannot reach the cloud"):
        remote.connect(pair[2])


def test_tls_with_project_generated_certificates(tiny_zoo_dir, pair, tmp_path):
    from fedhybrid.certs import make_tls

    tls = make_tls(tmp_path / "tls")
    assert (tls.server_key.stat().st_mode & 0o777) == 0o600
    srv = CloudServerProcess("cloud", tiny_zoo_dir, log=tmp_path / "t.log", scheme="https",
                             extra=["--tls-cert", str(tls.server_cert), "--tls-key", str(tls.server_key)])
    with srv.start(verify=str(tls.ca_cert)):
        remote = RemoteCloud(RemoteCloudConfig(srv.url, verify_tls=str(tls.ca_cert)))
        remote.connect(pair[2])
        assert remote.predict("s", [1, 2, 3], 3, 2, deadline_s=5.0).top_ids
        remote.close()
        with pytest.raises(httpx.ConnectError):  # an unverified client is refused
            httpx.get(f"{srv.url}/health")


def test_generate_command_against_the_embedded_server(server, tiny_zoo_dir, capsys):
    from fedhybrid.cli import main

    prompt = "Q: Ava has 12 apples. She buys 5 more apples at the shop. How many apples does Ava have now?\\nA:"
    assert main(["--zoo", str(tiny_zoo_dir), "generate", prompt, "--policy", "cloud-only", "--cloud-url",
                 server.url, "--api-key", "sesame", "--max-new-tokens", "6"]) == 0
    assert "cloud share 100.0%" in capsys.readouterr().out


def test_a_cloud_that_never_answers_costs_a_call_its_deadline_not_the_connect_timeout(pair):
    """An agent started while its cloud was down checks the cloud at its next calls: against a
    host that takes the connection and never answers, that check stays within the call's deadline
    (it took the whole 5 s connect timeout, once per breaker cool-down)."""
    import socket

    _, _, tok = pair
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nothing ever reads or answers
    try:
        remote = RemoteCloud(RemoteCloudConfig(f"http://127.0.0.1:{silent.getsockname()[1]}", max_retries=0))
        remote.connect_later(tok)
        started = time.monotonic()
        with pytest.raises(CloudUnavailable):
            remote.predict("s", [1, 2, 3], 3, 4, deadline_s=0.3)
        assert time.monotonic() - started < 1.5
    finally:
        silent.close()
