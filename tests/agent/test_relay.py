"""Cache updates relayed down the hierarchy (issue 15): a hub agent keeps the server's signed
updates of the tier below and serves them; a device below installs only what the server signed
for its own tier, newer than what it holds, within its budget, and keeps serving otherwise."""

import httpx
import numpy as np
import pytest

from agent.config import RelayConfig
from agent.errors import AgentError
from agent.relay import ROUTE, RelayPoller, RelayStore
from agent.sync import RoundRunner
from agent.wire import RoundRequest, pack_request
from cache_sync.channel import DeviceChannel, ServerChannel
from cache_sync.correction_cache import CountTable
from cache_sync.envelope import Ed25519PrivateKey, sign_update, verify_update
from cache_sync.keys import init_keys
from cache_sync.versioned import VersionedView
from inference.tier_profile import profile
from serving.engine_api import JobDone
from workloads import wordmath

PROMPT = wordmath.generate("heldout", 1, seed=41)[0].prompt


class Server:
    """The server's side, as far as a relay sees it: per-tier versioned views and a signing key."""

    def __init__(self, keys, header):
        self.channel, self.header = ServerChannel(keys), header
        self.views = {t: VersionedView(header) for t in ("edge", "iot")}
        self.rng = np.random.default_rng(0)

    def publish(self, tier: str, n: int = 12, order: int = 3) -> int:
        """A new version of `tier`'s view: its table plus `n` new corrections of context `order`."""
        pairs = [([int(x) for x in self.rng.integers(3, 60, size=order)], int(self.rng.integers(3, 60)))
                 for _ in range(n)]
        view = self.views[tier]
        return view.publish(view.table.upsert(CountTable.from_corrections(self.header, pairs, "x", view.version + 1)))

    def relayed(self, tier: str, round_: int) -> list[bytes]:
        return [self.channel.sign_update(u.to_bytes(), round_, u.version) for u in self.views[tier].relayed(tier)]

    def direct(self, tier: str, since: int, round_: int) -> bytes:
        return self.channel.sign_update(self.views[tier].diff(since, tier).to_bytes(), round_,
                                        self.views[tier].version)


@pytest.fixture
def keys(tmp_path):
    folder = tmp_path / "keys"
    init_keys(folder, ["edge-hub", "iot-1"])
    return folder


def _rows(table: CountTable) -> list[bytes]:
    raw = table.entries.tobytes()
    size = table.entries.dtype.itemsize
    return sorted(raw[i:i + size] for i in range(0, len(raw), size))


def _device(make_agent, keys, **over):
    """An iot agent and its round runner (with the fleet's keys)."""
    engine = make_agent("iot-1", policy="cloud-only", profile=over.pop("profile", profile("iot")), **over)
    return engine, RoundRunner(engine, DeviceChannel.load(keys, "iot-1"))


def _two_versions(make_agent, keys):
    """An iot device, the server, and its relayed updates of the iot view at versions 1 and 2."""
    device, runner = _device(make_agent, keys)
    server = Server(keys, device.header)
    server.publish("iot")
    first = server.relayed("iot", 1)
    server.publish("iot")
    return device, runner, server, first, server.relayed("iot", 2)


def _poller(engine, runner, url="http://hub.test", handler=None, **cfg):
    transport = httpx.MockTransport(handler) if handler is not None else None
    return RelayPoller(engine, runner.lock, runner.channel.server_key, RelayConfig(url, **cfg), transport=transport)


def _hub_answers(*bodies):
    """A hub (MockTransport handler) that answers each poll with the next body, as given."""
    queue = list(bodies)

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == ROUTE and request.url.params["tier"] == "iot"
        return httpx.Response(200, content=queue.pop(0))

    return handler


def test_a_relayed_update_over_http_is_installed_as_the_server_would_have_sent_it(make_agent, keys, serve_app,
                                                                                  run_job):
    from agent.app import create_agent_app, write_token
    from serving.http_app import HttpConfig

    hub = make_agent("edge-hub", policy="cloud-only")
    hub_runner = RoundRunner(hub, DeviceChannel.load(keys, "edge-hub"))
    server = Server(keys, hub.header)
    server.publish("iot")
    server.publish("iot")  # version 2
    token = write_token(hub.cfg.token_path)
    device, runner = _device(make_agent, keys)
    with serve_app(create_agent_app(hub, hub_runner, HttpConfig(), token)) as url:
        admin = {"Authorization": f"Bearer {token}", "Content-Type": "application/msgpack"}
        # the hub's round brings the iot view's step diff and whole view: the real admin path
        request = RoundRequest(round=1, adapter=None, cache_update=None, local_steps=0,
                               relayed=server.relayed("iot", 1))
        assert httpx.post(f"{url}/admin/v1/round", content=pack_request(request), headers=admin).status_code == 200
        assert hub_runner.relay.versions() == {"iot": 2}
        assert httpx.get(f"{url}{ROUTE}", params={"tier": "iot", "since": 2}).status_code == 204
        assert httpx.get(f"{url}{ROUTE}", params={"tier": "edge", "since": 0}).status_code == 404  # never its to hold
        assert httpx.get(f"{url}{ROUTE}", params={"tier": "iot", "since": -1}).status_code == 400
        poller = _poller(device, runner, url)
        assert poller.poll_once() == "installed"  # a new device: the whole view
        assert device.cache_version == 2 and device.current.cache_version == 2
        direct = runner.open_update(server.direct("iot", 0, 1), 1)
        assert _rows(device.released) == _rows(direct.apply_to(CountTable(device.header)))
        # the next version: the hub hands a device one version behind the step diff
        server.publish("iot")
        step, _ = relayed = server.relayed("iot", 2)
        hub_runner.relay.keep(relayed, 2)
        served = httpx.get(f"{url}{ROUTE}", params={"tier": "iot", "since": 2})
        assert served.content == step  # the diff, byte for byte as the server signed it
        assert poller.poll_once() == "installed" and device.cache_version == 3
        assert _rows(device.released) == _rows(server.views["iot"].table)
        assert poller.poll_once() == "current"
        gauges = device.gauges()
        assert gauges["relay_installs_total"][0] == 2 and gauges["relay_refused_total"][0] == 0
        poller.close()
    done, _ = run_job(device, device.encode(PROMPT), max_tokens=6)
    assert isinstance(done, JobDone) and done.extra["fedhybrid"]["cache_version"] == 3
    assert RelayStore(hub, hub_runner.channel).versions() == {"iot": 3}  # durable: a restarted hub serves it


def test_the_hub_route_takes_the_api_key_when_the_agent_has_one(make_agent, keys, serve_app, caplog):
    from agent.app import create_agent_app, write_token
    from serving.http_app import HttpConfig

    hub = make_agent("edge-hub", policy="cloud-only")
    hub_runner = RoundRunner(hub, DeviceChannel.load(keys, "edge-hub"))
    server = Server(keys, hub.header)
    server.publish("iot")
    hub_runner.relay.keep(server.relayed("iot", 4), 4)
    device, runner = _device(make_agent, keys)
    app = create_agent_app(hub, hub_runner, HttpConfig(api_key="hub-key"), write_token(hub.cfg.token_path))
    with serve_app(app) as url:
        with caplog.at_level("WARNING", logger="fedhybrid.agent"):
            assert _poller(device, runner, url).poll_once() == "failed" and device.cache_version == 0  # 401
        # a wrong key is a refusal to fix, not an outage to wait out: the log says which and how
        (line,) = [r.getMessage() for r in caplog.records if "relay hub" in r.getMessage()]
        assert f"relay hub {url} refuses this device's polls (it answered 401" in line, line
        assert "give --relay-api-key the hub's --api-key" in line and "is not answering" not in line
        assert _poller(device, runner, url, api_key="hub-key").poll_once() == "installed"
    assert device.cache_version == 1


def test_an_update_the_relay_altered_is_refused_and_nothing_changes(make_agent, keys):
    device, runner, _, (first,), (_, whole) = _two_versions(make_agent, keys)
    flipped = bytearray(whole)
    flipped[len(flipped) // 2] ^= 0x01  # one bit of the payload
    _, payload = verify_update(whole, runner.channel.server_key)
    resigned = sign_update(payload, signing_key=Ed25519PrivateKey.generate(), round_=2, version=2)  # another key
    bad_signature = whole[:-1] + bytes([whole[-1] ^ 0x01])
    poller = _poller(device, runner, handler=_hub_answers(first, bytes(flipped), resigned, bad_signature))
    assert poller.poll_once() == "installed" and device.cache_version == 1
    before, swaps = _rows(device.released), device.swaps
    for _ in range(3):
        assert poller.poll_once() == "refused"
    assert device.cache_version == 1 and device.current.cache_version == 1 and device.swaps == swaps
    assert _rows(device.released) == before and device.journal.blob("released")[1] == 1
    assert poller.counts["refused:signature"] == 3 and device.gauges()["relay_refused_total"][0] == 3


def test_a_replayed_older_version_is_refused(make_agent, keys):
    device, runner, server, (old,), (_, new) = _two_versions(make_agent, keys)
    poller = _poller(device, runner, handler=_hub_answers(new, old, new))
    assert poller.poll_once() == "installed" and device.cache_version == 2
    assert poller.poll_once() == "refused" and poller.counts["refused:replay"] == 1
    assert poller.poll_once() == "refused" and poller.counts["refused:replay"] == 2  # the same version again
    assert device.cache_version == 2 and _rows(device.released) == _rows(server.views["iot"].table)


def test_another_tiers_view_or_an_unnamed_one_is_refused_here_and_in_a_round(make_agent, keys):
    device, runner = _device(make_agent, keys)
    server = Server(keys, device.header)
    server.publish("edge")
    edge_view = server.relayed("edge", 1)[-1]  # signed by the server, for the edge devices
    server.publish("iot")
    unnamed = server.channel.sign_update(server.views["iot"].whole().to_bytes(), 1, 1)  # as updates were before
    poller = _poller(device, runner, handler=_hub_answers(edge_view, unnamed))
    assert poller.poll_once() == "refused" and poller.poll_once() == "refused"
    assert poller.counts["refused:tier"] == 2 and device.cache_version == 0 and len(device.released) == 0
    # the round's own path (and so the admin install) refuses another tier's view and an unnamed one as well
    with pytest.raises(AgentError, match="the view of tier 'edge', this device is 'iot'"):
        runner.open_update(edge_view, 1)
    with pytest.raises(AgentError, match="a view that names no tier, this device is 'iot'"):
        runner.open_update(unnamed, 1)
    assert device.cache_version == 0


def test_a_device_keeps_serving_while_its_hub_is_down_or_failing(make_agent, keys, run_job):
    device, runner = _device(make_agent, keys)
    down = _poller(device, runner, url="http://127.0.0.1:9", interval_s=0.05, timeout_s=1.0)  # nothing listens
    assert down.poll_once() == "failed"
    broken = _poller(device, runner, handler=lambda request: httpx.Response(500, text="hub trouble"))
    assert broken.poll_once() == "failed"
    down.start()  # the thread keeps asking in the background
    done, _ = run_job(device, device.encode(PROMPT), max_tokens=6)
    down.close()
    assert isinstance(done, JobDone) and len(done.token_ids) == 6
    assert down.counts["failed"] >= 2 and device.cache_version == 0
    assert down.gauges()["relay_failed_total"][0] == down.counts["failed"] and "relay_failed_total" in device.gauges()


def test_the_tier_budget_and_orders_are_enforced_on_apply(make_agent, keys):
    device, runner = _device(make_agent, keys, profile=profile("iot").with_(cache_budget=30))
    server = Server(keys, device.header)
    server.publish("iot", n=10)  # 20 entries (orders 2 and 3): within the budget of 30
    fits = server.relayed("iot", 1)[-1]
    server.publish("iot", n=10)  # 40 entries
    over = server.relayed("iot", 2)
    long = Server(keys, device.header)
    long.publish("iot", n=2, order=7)  # orders up to 7, beyond iot's 6
    poller = _poller(device, runner, handler=_hub_answers(fits, over[0], over[1], long.relayed("iot", 1)[-1]))
    assert poller.poll_once() == "installed" and len(device.released) == 20
    assert [poller.poll_once() for _ in range(2)] == ["refused", "refused"]  # the step diff and the whole view
    assert poller.counts["refused:budget"] == 2 and device.cache_version == 1 and len(device.released) == 20
    device.install(None, 0, CountTable(device.header), 0, 0)  # back to an empty table at version 0
    assert poller.poll_once() == "refused" and poller.counts["refused:budget"] == 3 and device.cache_version == 0


def test_a_round_that_brings_a_newer_version_wins_over_the_relay(make_agent, keys):
    device, runner, server, (relayed_v1,), _ = _two_versions(make_agent, keys)
    direct_v2 = server.direct("iot", 0, 2)

    def hub(request):  # the round installs version 2 while the poll of version 1 is on its way
        runner.run(RoundRequest(round=2, adapter=None, cache_update=direct_v2, local_steps=0))
        return httpx.Response(200, content=relayed_v1)

    poller = _poller(device, runner, handler=hub)
    assert poller.poll_once() == "current" and device.cache_version == 2  # not moved back to 1
    assert _rows(device.released) == _rows(server.views["iot"].table) and poller.counts["refused"] == 0


def test_the_hub_route_names_what_is_wrong_with_a_bad_tier_or_version(make_agent, serve_app):
    """A tier the hub can never hold updates of answered 204 (nothing newer), so a device with a
    mistyped tier would poll for ever believing it was current; a missing one read like pydantic."""
    from agent.app import create_agent_app, write_token
    from agent.relay import RELAY_TIERS
    from serving.http_app import HttpConfig

    hub = make_agent("edge-hub", policy="cloud-only")
    valid = ", ".join(RELAY_TIERS)
    with serve_app(create_agent_app(hub, RoundRunner(hub), HttpConfig(), write_token(hub.cfg.token_path))) as url:
        for params, param, message in (
                ({"tier": "bogus", "since": 0}, "tier", f"tier 'bogus' is not a tier a hub relays to: use one of {valid}"),
                ({"since": 0}, "tier", f"the query needs tier=T (one of {valid}) and since=V"),
                ({"tier": "iot", "since": "x"}, "since", "since='x' must be a cache version (an integer >= 0)"),
                ({"tier": "iot", "since": -1}, "since", "since='-1' must be a cache version (an integer >= 0)")):
            resp = httpx.get(f"{url}{ROUTE}", params=params)
            assert resp.status_code == 400, (params, resp.text)
            error = resp.json()["error"]
            assert error["param"] == param and message in error["message"], error
        resp = httpx.get(f"{url}{ROUTE}", params={"tier": "iot"})  # without its version: the whole view each time
        assert resp.status_code == 400 and resp.json()["error"]["param"] == "since", resp.text
        assert httpx.get(f"{url}{ROUTE}", params={"tier": "iot", "since": 0}).status_code == 204  # nothing held yet
        # a tier an edge agent never holds: 404 with where to point --relay-url, not 204 ("current") for ever
        for tier, fix in (("edge", "point the --relay-url of edge devices at an agent of tier client"),
                          ("client", "no agent relays tier client's updates")):
            resp = httpx.get(f"{url}{ROUTE}", params={"tier": tier, "since": 0})
            assert resp.status_code == 404, resp.text
            message = resp.json()["error"]["message"]
            assert "(edge-hub, tier edge) never holds updates for tier" in message and fix in message, message


def test_a_device_pointed_at_an_agent_that_never_holds_its_tier_says_so_and_how_to_fix_it(make_agent, serve_app,
                                                                                           keys, caplog):
    """An iot device whose --relay-url names another iot agent (not one of tier edge) was told
    204 at every poll and believed itself current for ever."""
    from agent.app import create_agent_app, write_token
    from serving.http_app import HttpConfig

    other = make_agent("iot-2", policy="cloud-only", profile=profile("iot"))
    device, runner = _device(make_agent, keys)
    with serve_app(create_agent_app(other, RoundRunner(other), HttpConfig(), write_token(other.cfg.token_path))
                   ) as url:
        poller = _poller(device, runner, url=url)
        with caplog.at_level("WARNING", logger="fedhybrid.agent"):
            assert poller.poll_once() == "failed" and device.cache_version == 0
        said = " ".join(r.getMessage() for r in caplog.records)
        assert "answered 404" in said and "iot agents hold none" in said and "an agent of tier edge" in said, said
