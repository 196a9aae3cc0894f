"""A reward head meets a remote cloud (`--cloud-url`): `cloud serve` reports the content identity
of the model it serves, and a device whose head was calibrated for another model refuses it, as
`--cloud FOLDER` already did. Before, any server in the tokenizer's family was taken, and the
head's tau routed for a cloud that was not there."""

import pytest

from fedhybrid.cli import main
from inference.model_identity import folder_identity
from inference.zoo import Zoo, load_causal_lm
from serving.cloud_engine import CloudEngine
from serving.cloud_server import create_cloud_app
from serving.http_app import HttpConfig
from serving.prefix_engine import PrefixEngine
from serving.remote_cloud import NotACloud, RemoteCloud, RemoteCloudConfig

PROMPT = "Q: Ava has 12 apples. She buys 5 more apples at the shop. How many apples does Ava have now?\\nA:"


@pytest.fixture
def serve_model(tiny_zoo_dir, serve_app):
    """`with serve_model(ref, report=True) as url:` a cloud server (the `cloud serve` engine) of the
    micro-zoo's model `ref`, its card with the folder's identity (report=False: as vLLM, none)."""
    from contextlib import contextmanager

    zoo = Zoo(tiny_zoo_dir)

    @contextmanager
    def serve(ref: str, report: bool = True):
        model, tok = load_causal_lm(ref, zoo)
        engine = CloudEngine(PrefixEngine(model), tok, ref,
                             model_identity=folder_identity(zoo.folder(ref)) if report else None)
        try:
            with serve_app(create_cloud_app(engine, HttpConfig())) as url:
                yield url
        finally:
            engine.close()

    return serve


def test_generate_refuses_a_cloud_serving_another_model_than_its_heads(tiny_zoo_dir, serve_model, capsys):
    zoo = Zoo(tiny_zoo_dir)
    argv = ["--zoo", str(tiny_zoo_dir), "generate", PROMPT, "--tier", "edge", "--policy", "reward",
            "--max-new-tokens", "4"]
    with serve_model("client") as url:  # same tokenizer, another model: the edge head's tau means nothing here
        assert main([*argv, "--cloud-url", url]) == 2
        err = capsys.readouterr().err
        client, cloud = folder_identity(zoo.folder("client")), folder_identity(zoo.folder("cloud"))
        assert f"serves 'client' (identity {client[:12]}), not the model of identity {cloud[:12]}" in err, err
        assert f"the reward head in {zoo.path('edge') / 'reward-cloud'} was calibrated for that model" in err, err
        assert "fedhybrid calibrate --device" in err
        assert main([*argv, "--cloud-url", url, "--policy", "confidence", "--threshold", "0.5"]) == 0  # no head
        capsys.readouterr()
    with serve_model("cloud") as url:  # the model the head was calibrated for
        assert main([*argv, "--cloud-url", url]) == 0, capsys.readouterr().err
    with serve_model("client", report=False) as url:  # a server that reports no identity (vLLM): not checked
        assert main([*argv, "--cloud-url", url]) == 0, capsys.readouterr().err


def test_a_device_agent_refuses_it_at_start_and_a_deferred_connect_never_takes_it(tiny_zoo_dir, serve_model):
    """`device serve` checks its cloud with `connect_later` + `probe` (a cloud down at start is
    checked at its first call): both refuse a server reporting another model."""
    from serving.remote_cloud import CloudUnavailable

    zoo = Zoo(tiny_zoo_dir)
    _, tok = load_causal_lm("edge", zoo)
    pin = folder_identity(zoo.folder("cloud"))
    with serve_model("client") as url:
        remote = RemoteCloud(RemoteCloudConfig(url, expect_identity=pin, expect_why="the head says so"))
        remote.connect_later(tok)
        with pytest.raises(NotACloud, match="the head says so"):
            remote.probe()
        with pytest.raises(CloudUnavailable, match="not the model of identity"):
            remote._connect_deferred(5.0)
    with serve_model("cloud") as url:
        remote = RemoteCloud(RemoteCloudConfig(url, expect_identity=pin))
        remote.connect_later(tok)
        assert remote.probe() is None


def test_a_federation_node_refuses_a_cloud_url_serving_another_model(tiny_zoo_dir, serve_model, tmp_path):
    """`fed run` / `fleet up` with `cloud-url`: each node's reward head routed for whatever model
    the server held; a node now refuses a server reporting another model than its head's."""
    from clients.runtime import node_for
    from fleet.config import FederationConfig

    def cfg(url):
        return FederationConfig(fleet_tiers=("edge",), zoo=str(tiny_zoo_dir), cloud_url=url, threshold=0.5, secure=False,
                                state_dir=str(tmp_path / "state"))

    refused = r"serves 'client' .* the reward head in .* was calibrated for that model"
    with serve_model("client") as url, pytest.raises(NotACloud, match=refused):
        node_for(cfg(url), "edge-0", "edge", 0, tmp_path / "edge-0")
    with serve_model("cloud") as url:
        node, _ = node_for(cfg(url), "edge-1", "edge", 1, tmp_path / "edge-1")
        assert node.cloud.model == "cloud"
