"""`fedhybrid device serve` as an operator runs it: a child process, its log, its /health."""

import time

import httpx
from fastapi import FastAPI

from fedhybrid.cli import main
from serving.launch import CloudServerProcess, ServerProcess, free_port
from workloads import wordmath

PROMPT = wordmath.generate("heldout", 1, seed=17)[0].prompt


def _agent_args(state, cloud_url: str) -> list[str]:
    # confidence with threshold 1.0: every token asks the cloud, so each answer shows whether it did
    return ["device", "serve", "--tier", "edge", "--device", "edge-4", "--host", "127.0.0.1", "--port", "{port}",
            "--state-dir", str(state), "--cloud-url", cloud_url, "--policy", "confidence", "--threshold", "1.0"]


def test_an_agent_whose_cloud_is_down_at_start_serves_and_takes_the_cloud_when_it_comes(tiny_zoo_dir, tmp_path):
    """A device that reboots during a cloud outage must serve its users, as a running one does
    when its cloud goes: it refused to start (exit 2) and then served nothing."""
    cloud_port = free_port()
    cloud_url = f"http://127.0.0.1:{cloud_port}"
    log = tmp_path / "agent.log"
    body = {"prompt": PROMPT, "max_tokens": 6, "temperature": 0, "ignore_eos": True}
    with ServerProcess(_agent_args(tmp_path / "edge-4", cloud_url), tiny_zoo_dir, log=log) as agent:
        health = httpx.get(f"{agent.url}/health").json()  # before any request: the start-up probe's finding
        assert health["cloud"] == "failing" and "cloud_failing_since" in health, health
        text = log.read_text()
        assert f"edge-4: starting without the cloud (cannot reach the cloud at {cloud_url}" in text, text
        assert "/health says cloud: failing" in text
        alone = httpx.post(f"{agent.url}/v1/completions", json=body, timeout=60).json()
        assert alone["usage"]["device_tokens"] == 6 and alone["fedhybrid"][0]["cloud_failures"] > 0
        with CloudServerProcess("cloud", tiny_zoo_dir, port=cloud_port, log=tmp_path / "cloud.log"):
            deadline = time.monotonic() + 60  # the breaker lets a call through once its cooldown ends
            while True:
                answer = httpx.post(f"{agent.url}/v1/completions", json=body, timeout=60).json()
                if answer["usage"]["cloud_tokens"] > 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert answer["usage"]["cloud_tokens"] > 0, answer
            # the request that first reached the cloud may also hold calls that failed before it came
            # (so it leaves /health failing); the next one whose calls all answer says ok
            while httpx.get(f"{agent.url}/health").json()["cloud"] != "ok" and time.monotonic() < deadline:
                httpx.post(f"{agent.url}/v1/completions", json=body, timeout=60)
            assert httpx.get(f"{agent.url}/health").json()["cloud"] == "ok"
    assert "the cloud answers again" in log.read_text()


def test_a_cloud_with_another_tokenizer_is_still_refused_at_start(tiny_zoo_dir, tmp_path, serve_app, capsys):
    """Down is a state the agent recovers from; another tokenizer is not (no call could succeed)."""
    other = FastAPI()

    @other.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "cloud", "tokenizer_hash": "0" * 64, "vocab_size": 7}]}

    with serve_app(other) as url:
        code = main(["--zoo", str(tiny_zoo_dir), *[a.replace("{port}", "0") for a in
                                                     _agent_args(tmp_path / "edge-4", url)]])
    assert code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and f"the cloud at {url} uses tokenizer 000000000000" in lines[0], lines
    assert not (tmp_path / "edge-4" / "admin.token").exists()


def test_a_stopped_agent_says_it_is_finishing_its_requests_and_when_it_has(tiny_zoo_dir, tmp_path):
    """SIGTERM drains the requests in flight (uvicorn's graceful shutdown): the agent says so at
    the signal and says when it has stopped, where a 20 s drain logged nothing."""
    import threading

    log = tmp_path / "agent.log"
    with CloudServerProcess("cloud", tiny_zoo_dir, log=tmp_path / "cloud.log") as cloud:
        agent = ServerProcess(_agent_args(tmp_path / "edge-4", cloud.url), tiny_zoo_dir, log=log)
        agent.start()
        body = {"prompt": PROMPT, "max_tokens": 200, "temperature": 0, "ignore_eos": True}
        answers = []
        worker = threading.Thread(target=lambda: answers.append(
            httpx.post(f"{agent.url}/v1/completions", json=body, timeout=120)))
        worker.start()
        time.sleep(0.5)  # the request is decoding
        agent.stop()  # SIGTERM, then waits for the process
        worker.join(timeout=120)
        code = agent.proc.returncode
    assert answers and answers[0].status_code == 200  # the request in flight finished
    assert len(answers[0].json()["choices"][0]["text"]) > 0
    text = log.read_text()
    assert "device edge-4: SIGTERM: stopping; finishing 1 request(s)" in text, text
    assert text.rstrip().endswith("device edge-4: stopped") and code == 143, (code, text)  # its clean-up ran
    # `cloud serve` says the same when the context above stops it (it was silent for its drain)
    cloud_log = (tmp_path / "cloud.log").read_text()
    assert "cloud cloud: SIGTERM: stopping; finishing 0 request(s)" in cloud_log, cloud_log
    assert cloud_log.rstrip().endswith("cloud cloud: stopped") and cloud.proc.returncode == 143, cloud_log


def test_a_value_the_agent_config_refuses_is_named_by_its_flag(tiny_zoo_dir, tmp_path, capsys):
    """`--index-refresh 0` said "index_refresh_s > 0, checkpoint_every >= 1 and max_queue >= 1 are
    required": three internal names, not the flag that was wrong nor its value."""
    import pytest

    base = [a.replace("{port}", "0") for a in _agent_args(tmp_path / "edge-4", "http://127.0.0.1:9")]
    for flag, value, said in (("--index-refresh", "0", "--index-refresh 0.0: must be a finite number of seconds > 0"),
                              ("--index-refresh", "nan", "--index-refresh nan: must be a finite number of seconds > 0"),
                              ("--train-budget", "-1", "--train-budget -1.0: must be a finite number of seconds >= 0"),
                              ("--remember", "0", "--remember 0: must be >= 1")):
        code = main(["--zoo", str(tiny_zoo_dir), *base, flag, value])
        err = capsys.readouterr().err
        assert code == 2 and said in err, (flag, err)
        assert "_s" not in err.split(said)[0] and "checkpoint_every" not in err
    assert not (tmp_path / "edge-4").exists()  # refused before anything starts
    # the config itself names its field (a caller in Python sets fields, not flags)
    from agent.config import AgentConfig, AgentConfigError
    from inference.tier_profile import profile

    with pytest.raises(AgentConfigError, match=r"^checkpoint_every=0: must be >= 1") as info:
        AgentConfig("edge-1", profile("edge"), tmp_path, checkpoint_every=0)
    assert (info.value.field, info.value.value) == ("checkpoint_every", 0)


def test_privacy_flags_reach_the_agent_config(tiny_zoo_dir, tmp_path, monkeypatch):
    """`--privacy-floor` is what the engine enforces (test_agent_api); this holds the flag to the field."""
    from fedhybrid.commands import device as device_command

    seen = []
    monkeypatch.setattr(device_command, "_serve_on", lambda args, sock, zoo, cfg, relay: seen.append(cfg) or 0)
    base = [a.replace("{port}", "0") for a in _agent_args(tmp_path / "edge-4", "http://127.0.0.1:9")]
    assert main(["--zoo", str(tiny_zoo_dir), *base, "--privacy", "redact", "--privacy-floor", "local-only"]) == 0
    assert main(["--zoo", str(tiny_zoo_dir), *base]) == 0
    assert [(c.privacy, c.privacy_floor) for c in seen] == [("redact", "local-only"), ("allow", "allow")]
