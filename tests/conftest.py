"""Shared fixtures: a micro-zoo built once per test session (seconds, CPU, offline)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

# the tests run on 2-core machines next to other work: keep torch from oversubscribing
torch.set_num_threads(1)
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_zoo_dir(tmp_path_factory) -> Path:
    """A micro-zoo (tokenizer + edge/client/cloud) built with the real build code."""
    from training.zoo_build import TINY, build_zoo

    out = tmp_path_factory.mktemp("tiny-zoo")
    build_zoo(out, TINY, quiet=True, device=torch.device("cpu"))
    calibrate_tiny(out)
    return out


def calibrate_tiny(root: Path) -> None:
    """Reward heads for both device models of a micro-zoo (seconds)."""
    from inference.cloud import LocalCloud
    from inference.runtime import head_dir
    from inference.zoo import Zoo, load_causal_lm
    from training.calibrate import CalibrationConfig, calibrate

    zoo = Zoo(root)
    cloud_model, _ = load_causal_lm("cloud", zoo)
    cloud = LocalCloud(cloud_model)
    cfg = CalibrationConfig(train_problems=8, calib_problems=4, max_new_tokens=16, epochs=5, grid=4,
                            bisect_steps=4)
    for name in ("edge", "client"):
        device, tok = load_causal_lm(name, zoo)
        calibrate(device, cloud, tok, head_dir(zoo.path(name), "cloud"), cfg, target_cloud_share=0.3,
                  meta={"device": name, "cloud": "cloud"})
    cloud.close()


@pytest.fixture(scope="session")
def tiny_zoo(tiny_zoo_dir):
    from inference.zoo import Zoo

    return Zoo(tiny_zoo_dir)


@pytest.fixture(scope="session")
def replay_corpus(tiny_zoo_dir, tmp_path_factory) -> Path:
    """What a real 3-node, 2-round in-process run sent (`record-dir`): replay nodes answer with
    resampled, perturbed copies of it, so tests get many distinct nodes without decoding."""
    from fedhybrid.engines import run_inprocess

    folder = tmp_path_factory.mktemp("replay-corpus")
    run_inprocess({"num-rounds": 2, "zoo": str(tiny_zoo_dir), "state-dir": str(folder / "run"),
                   "queries-per-round": 2, "max-new-tokens": 16, "local-steps": 1, "release-k": 2,
                   "fleet-tiers": "client,edge,iot", "record-dir": str(folder / "rec")})
    return folder / "rec"


@pytest.fixture(scope="module")
def pair(tiny_zoo):
    """(device model, cloud model, tokenizer) from the micro-zoo."""
    from inference.zoo import load_causal_lm

    device, tok = load_causal_lm("edge", tiny_zoo)
    cloud, _ = load_causal_lm("cloud", tiny_zoo)
    return device, cloud, tok


class LoopingModel(torch.nn.Module):
    """Wraps a causal LM so it always continues with the next token of `cycle` (after a token not
    in the cycle, its first): a cloud that answers a question it cannot answer with "\\n#\\n#...".
    Each position's choice depends on its own input token only, so KV-cached calls agree."""

    def __init__(self, model, cycle: list[int]):
        super().__init__()
        self.inner, self.config = model, model.config
        self.next_of = torch.full((model.config.vocab_size,), cycle[0], dtype=torch.long)
        for a, b in zip(cycle, cycle[1:] + cycle[:1]):
            self.next_of[a] = b

    def forward(self, input_ids=None, **kwargs):
        out = self.inner(input_ids=input_ids, **kwargs)
        # (1, n, V): push each position's cycle successor far above the rest
        out.logits = out.logits + 50.0 * torch.nn.functional.one_hot(self.next_of[input_ids], out.logits.shape[-1])
        return out


@pytest.fixture
def looping_cloud_model(pair):
    """The micro-zoo's cloud model, made to answer every prompt with "\\n#" repeated."""
    _, cloud_model, tok = pair
    return LoopingModel(cloud_model, [tok("\n")["input_ids"][-1], tok("#")["input_ids"][-1]])


@pytest.fixture
def serve_app():
    """`with serve_app(asgi_app) as url:` runs the app under uvicorn on a free loopback port
    in a thread (real HTTP for real clients) and stops it afterwards."""
    import threading
    import time
    from contextlib import contextmanager

    import httpx
    import uvicorn

    from serving.launch import free_port

    @contextmanager
    def serving(app, timeout_s: float = 30.0):
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none",
                                               lifespan="off"))
        thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"test server on port {port} did not start")
            time.sleep(0.02)
        try:
            httpx.get(f"{url}/health", timeout=5.0)
            yield url
        finally:
            server.should_exit = True
            thread.join(timeout=30)

    return serving


# -- device agents over the micro-zoo (tests/agent, tests/clients) -------------------------------

@pytest.fixture(scope="module")
def zoo_models(tiny_zoo):
    from inference.runtime import load_head
    from inference.zoo import load_causal_lm

    device, tok = load_causal_lm("edge", tiny_zoo)
    cloud, _ = load_causal_lm("cloud", tiny_zoo)
    head, meta = load_head(tiny_zoo.path("edge"), "cloud")
    return device, cloud, tok, head, meta


@pytest.fixture
def make_agent(zoo_models, tmp_path):
    """make_agent(device="edge-1", cloud_model_override=None, upstream=None, **AgentConfig overrides)
    -> a running AgentEngine (its cloud: the micro-zoo's, the given model, or `upstream`, any Cloud
    such as an escalation chain)."""
    from agent.config import AgentConfig
    from agent.engine import AgentEngine
    from inference.cloud import LocalCloud
    from inference.tier_profile import profile

    device_model, cloud_model, tok, head, meta = zoo_models
    made = []

    def make(device: str = "edge-1", state_dir=None, cloud_model_override=None, upstream=None, **over) -> AgentEngine:
        cfg = AgentConfig(device=device, profile=over.pop("profile", profile("edge")),
                          state_dir=state_dir or tmp_path / device, threshold=over.pop("threshold", 0.3),
                          index_refresh_s=over.pop("index_refresh_s", 3600.0), **over)
        cloud = upstream or LocalCloud(cloud_model_override or cloud_model)
        engine = AgentEngine(cfg, device_model, tok, cloud, head, meta, model_name=device)
        made.append((engine, cloud))
        return engine

    yield make
    for engine, cloud in made:
        engine.close()
        cloud.close()


def _run_job(engine, prompt_ids, max_tokens=24, routing=None, on_event=None, **params):
    """Submit one job and wait for it; returns (JobDone or JobFailed, token events)."""
    import threading

    from serving.engine_api import Job, RoutingParams, SamplingParams, TokenEvent

    routing = routing or RoutingParams()

    events, done = [], threading.Event()
    result = {}

    def emit(ev):
        if isinstance(ev, TokenEvent):
            events.append(ev)
            if on_event is not None:
                on_event(ev)
        else:
            result["final"] = ev
            done.set()

    engine.submit(Job(list(prompt_ids), SamplingParams(max_tokens=max_tokens, **params), routing), emit)
    assert done.wait(120), "the job never finished"
    return result["final"], events


@pytest.fixture
def run_job():
    """run_job(engine, prompt_ids, max_tokens=24, routing=..., on_event=None, **sampling) ->
    (JobDone or JobFailed, token events): submit one job and wait for it."""
    return _run_job
