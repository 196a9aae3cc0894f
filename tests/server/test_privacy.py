"""Private text never reaches other devices; bad envelopes merge nothing; local-only is local."""

import random
from typing import ClassVar

import httpx
import numpy as np
from flwr.app import Message
from flwr.clientapp import ClientApp

import clients.app as client_module
from cache_sync.correction_cache import CacheHeader, CountTable
from fleet.config import FederationConfig
from fleet.device_node import DeviceState
from inference.device_cache import DeviceCache
from server.app import run_federation
from server.inprocess_grid import InProcessGrid
from workloads import wordmath

DEVICES = ["client-0", "client-1", "edge-2", "edge-3", "edge-4", "iot-5", "iot-6", "iot-7"]


def _config(zoo, state_dir, **over):
    cfg = {"num-rounds": 2, "zoo": str(zoo), "state-dir": str(state_dir), "queries-per-round": 2,
           "max-new-tokens": 16, "local-steps": 1, "release-k": 5}
    cfg.update(over)
    return cfg


def _contexts_of(table: CountTable) -> set[tuple[int, ...]]:
    pad = table.header.pad
    return {tuple(int(t) for t in row if t != pad) for row in table.entries["ctx"]}


def test_canaries_planted_on_single_devices_never_reach_another_device(tiny_zoo_dir, tmp_path, monkeypatch):
    vocab = 384
    rng = random.Random(0)
    canaries = {d: [tuple(rng.randrange(vocab) for _ in range(8)) for _ in range(125)] for d in DEVICES}
    shared = [tuple(rng.randrange(vocab) for _ in range(8)) for _ in range(10)]
    original = DeviceCache.take_delta

    def planted(self, round_=None):
        # every device reports its own 125 canaries (1000 in all) and the 10 shared n-grams
        self.record([(ctx, ctx[-1]) for ctx in canaries[self.device_id] + shared])
        return original(self, round_)

    monkeypatch.setattr(DeviceCache, "take_delta", planted)
    rc = _config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 3})
    cfg = FederationConfig.from_run_config(rc)
    grid = InProcessGrid(client_module.app, rc, [{"partition-id": i, "num-partitions": 8} for i in range(8)])
    state = run_federation(grid, cfg)
    header = CacheHeader(state.header.tokenizer_hash, state.header.vocab_size, cfg.n_min, cfg.n_max)
    leaked = 0
    for device in DEVICES:
        mine = DeviceState.load(tmp_path / "run" / "nodes" / device, 3, header)
        received = _contexts_of(mine.released)
        top = cfg.profile(device.split("-")[0]).ngram_orders[1]  # the tier's longest n-gram
        # a canary leaks if any of its suffixes of 3+ tokens reached this device
        leaked += sum(1 for d, cs in canaries.items() if d != device for c in cs
                      if any(c[-n:] in received for n in range(3, 9)))
        # the shared n-grams (seen by 8 >= k devices) did propagate: the test can fail
        assert all(ctx[-top:] in received for ctx in shared), device
        # a device keeps its own corrections locally
        assert set(canaries[device]) <= _contexts_of(mine.local)
    assert leaked == 0, f"{leaked}/1000 canaries reached another device"
    assert state.history[-1]["release"]["withheld"] >= 1000 * (cfg.n_max - cfg.n_min + 1)


def _mod_app(mod) -> ClientApp:
    app = ClientApp(mods=[mod])
    app.query()(client_module.query)
    app.train()(client_module.train)
    return app


def test_tampered_updates_and_deltas_merge_nothing_and_rounds_go_on(tiny_zoo_dir, tmp_path, caplog):
    def tamper(msg: Message, context, call_next):
        device = client_module.identity(context, FederationConfig.from_run_config(context.run_config))[0]
        if msg.metadata.message_type == "train" and device == "edge-2":
            update = msg.content["config"]["cache-update"]
            msg.content["config"]["cache-update"] = update[:-1] + bytes([update[-1] ^ 1])
        reply = call_next(msg, context)
        if msg.metadata.message_type == "train" and device == "edge-3" and not reply.has_error():
            delta = reply.content["config"]["deltas"][0]
            reply.content["config"]["deltas"] = [delta[:60] + bytes([delta[60] ^ 1]) + delta[61:]]
        return reply

    rc = _config(tiny_zoo_dir, tmp_path / "run", **{"release-k": 2})
    cfg = FederationConfig.from_run_config(rc)
    grid = InProcessGrid(_mod_app(tamper), rc, [{"partition-id": i, "num-partitions": 8} for i in range(8)])
    state = run_federation(grid, cfg)
    assert state.round == 2
    ledger_devices = {d for d, _ in state.aggregate.ledger}
    assert "edge-3" not in ledger_devices and len(ledger_devices) == 7
    for record in state.history:
        # the round record (the server's own) says why; the peer only ever hears "rejected"
        assert ["edge-3", "envelope rejected: bad signature for sender 'edge-3' (tampered or wrong key)"] in [
            list(r) for r in record["ingest"]["rejected"]]
    assert "cache update rejected" in caplog.text and "bad server signature" in caplog.text
    assert "bad signature" in caplog.text  # the server's log says why; the peer only "rejected"
    # edge-2 never applied an update that did not verify: it stays at version 0
    assert state.node_versions["edge-2"]["edge"] == 0
    assert state.node_versions["edge-4"]["edge"] >= 1


def scrape(url: str) -> dict[str, float]:
    """A server's Prometheus samples, summed over labels, by sample name."""
    from prometheus_client.parser import text_string_to_metric_families

    out: dict[str, float] = {}
    for family in text_string_to_metric_families(httpx.get(f"{url}/metrics").text):
        for sample in family.samples:
            out[sample.name] = out.get(sample.name, 0.0) + sample.value
    return out


def test_a_local_only_request_sends_the_cloud_server_zero_bytes(tiny_zoo_dir, pair):
    from inference.decoder import HybridDecoder
    from inference.generation import DecodeConfig
    from inference.privacy import LOCAL_ONLY, PrivacyPolicy
    from inference.router import make_policy
    from serving.launch import CloudServerProcess
    from serving.remote_cloud import RemoteCloud, RemoteCloudConfig

    device, _, tok = pair
    header = CacheHeader(__import__("inference.tokenizer", fromlist=["x"]).tokenizer_hash(tok), len(tok), 2, 8)
    prompt = wordmath.generate("heldout", 1, seed=41)[0].prompt
    with CloudServerProcess("cloud", tiny_zoo_dir) as srv:
        remote = RemoteCloud(RemoteCloudConfig(srv.url))
        remote.connect(tok)
        cache = DeviceCache(header, "edge-9")
        dec = HybridDecoder(device, tok, remote, cache=cache)
        before = scrape(srv.url)
        gen = dec.generate(prompt, make_policy("cloud-only"), DecodeConfig(max_new_tokens=12), privacy=LOCAL_ONLY)
        after = scrape(srv.url)
        # the only traffic between the two reads is the first /metrics call itself (a GET, no body)
        assert after["fedhybrid_http_request_bytes_total"] == before["fedhybrid_http_request_bytes_total"]
        assert after.get("fedhybrid_requests_total", 0) == before.get("fedhybrid_requests_total", 0)
        assert gen.cloud_calls == 0 and gen.cloud_share == 0 and len(gen.token_ids) == 12
        assert len(cache.take_delta()) == 0  # nothing of it is uploaded
        # an allowed request does reach the server (the counter works)
        dec.generate(prompt, make_policy("cloud-only"), DecodeConfig(max_new_tokens=4), privacy=PrivacyPolicy("allow"))
        assert scrape(srv.url)["fedhybrid_http_request_bytes_total"] > after["fedhybrid_http_request_bytes_total"]
        remote.close()


def test_redacted_requests_hide_emails_and_digit_runs_from_the_cloud(pair):
    from inference.cloud import LocalCloud
    from inference.decoder import HybridDecoder
    from inference.generation import DecodeConfig
    from inference.privacy import PrivacyPolicy
    from inference.router import make_policy

    device, cloud_model, tok = pair

    class Recording(LocalCloud):
        seen: ClassVar[list] = []

        def predict(self, session, tokens, verify_from, top_k, deadline_s):
            Recording.seen.append(list(tokens))
            return super().predict(session, tokens, verify_from, top_k, deadline_s)

    cloud = Recording(cloud_model)
    header = CacheHeader(__import__("inference.tokenizer", fromlist=["x"]).tokenizer_hash(tok), len(tok), 2, 8)
    cache = DeviceCache(header, "edge-9")
    dec = HybridDecoder(device, tok, cloud, cache=cache)
    prompt = "Q: Mail ava.smith@example.com about card 4111222233334444. Ava has 12 apples.\nA:"
    gen = dec.generate(prompt, make_policy("cloud-only"), DecodeConfig(max_new_tokens=6, verify=True),
                       privacy=PrivacyPolicy("redact"))
    cloud.close()
    assert gen.cloud_calls > 0 and len(gen.token_ids) == 6
    for tokens in Recording.seen:
        text = tok.decode(tokens)
        assert "example.com" not in text and "4111" not in text and "[redacted]" in text
    assert len(cache.take_delta()) == 0  # redacted requests' corrections stay on the device
    assert len(cache.local) > 0


def test_dp_noise_is_reported_per_release(tiny_zoo_dir, tmp_path):
    from fedhybrid.engines import run_inprocess

    state = run_inprocess(_config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 1, "dp-epsilon": 2.0}))
    assert state.history[0]["release"]["epsilon"] == 2.0
    assert np.isfinite(state.history[0]["release"]["released"])


def test_a_device_that_missed_rounds_catches_up_with_one_diff(tiny_zoo_dir, tmp_path):
    from cache_sync.versioned import VersionedView  # noqa: F401  (state files hold views)
    from server.state import ServerState

    def miss_first_rounds(msg: Message, context, call_next):
        device = client_module.identity(context, FederationConfig.from_run_config(context.run_config))[0]
        if msg.metadata.message_type == "train" and device == "edge-2" and int(msg.content["config"]["server-round"]) < 3:
            raise RuntimeError("offline")  # edge-2 is unreachable in rounds 1 and 2
        return call_next(msg, context)

    rc = _config(tiny_zoo_dir, tmp_path / "run", **{"num-rounds": 3, "release-k": 2})
    cfg = FederationConfig.from_run_config(rc)
    grid = InProcessGrid(_mod_app(miss_first_rounds), rc, [{"partition-id": i, "num-partitions": 8} for i in range(8)])
    state = run_federation(grid, cfg)
    assert [d for d, _ in state.history[0]["dropped"]] == ["edge-2"]
    # what edge-2 was sent in round 3 is the edge view as published after round 2
    after_round_2 = ServerState.from_bytes((tmp_path / "run" / "server" / "round-2.msgpack").read_bytes())
    expected = after_round_2.views["edge"].table
    assert len(expected) > 0
    header = CacheHeader(state.header.tokenizer_hash, state.header.vocab_size, cfg.n_min, cfg.n_max)
    caught_up = DeviceState.load(tmp_path / "run" / "nodes" / "edge-2", 3, header)
    assert caught_up.released == expected
    assert caught_up.version == after_round_2.views["edge"].version
    # and it matches a device that never missed a round
    steady = DeviceState.load(tmp_path / "run" / "nodes" / "edge-3", 3, header)
    assert steady.released == expected
