"""`fleet up --hierarchy`: the arguments that put each deployed agent in the tier chain."""

import argparse
import os
import signal
import time

import pytest

from fedhybrid.commands import device
from fedhybrid.fleet_ops import FleetSpec, _alive, agent_argv, chain_args, fleet_down
from server.errors import ServerError

TIERS = ("client", "client", "edge", "edge", "edge", "iot", "iot", "iot")
URLS = [f"http://127.0.0.1:{9000 + i}" for i in range(len(TIERS))]


def _parse(argv: list[str]) -> argparse.Namespace:
    """What `fedhybrid device serve` makes of them: the real parser, so a renamed flag fails here."""
    parser = argparse.ArgumentParser()
    device.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def _serve_args(tier: str, name: str, chain: list[str]) -> argparse.Namespace:
    return _parse(["device", "serve", "--tier", tier, "--device", name, *chain])


def test_every_agent_of_a_fleet_gets_the_fleets_settings(tmp_path):
    spec = FleetSpec(tmp_path, train_budget=7.5, loop_stop=16, remember=500)
    chain = chain_args(TIERS, URLS, 0.99, 1.0)[5]
    args = _parse(agent_argv(spec, "iot-5", "iot", 9005, tmp_path / "iot-5", tmp_path / "keys", URLS[0], 77, chain))
    assert (args.tier, args.device, args.port, args.lora_seed) == ("iot", "iot-5", 9005, 77)
    assert (args.train_budget, args.loop_stop, args.cloud_url) == (7.5, 16, URLS[0])
    assert [h.tier for h in args.hop] == ["edge", "client"] and args.recurring_to_cloud
    assert args.settle_recurring and args.remember == 500
    off = FleetSpec(tmp_path, recurring_to_cloud=False, settle_recurring=False)
    args = _parse(agent_argv(off, "iot-5", "iot", 9005, tmp_path / "iot-5", tmp_path / "keys", URLS[0], 77, chain))
    assert args.recurring_to_cloud is False and args.settle_recurring is False


def test_each_tier_asks_the_hubs_above_nearest_first_and_relays_from_the_next_tier_up():
    chains = chain_args(TIERS, URLS, 0.85, 0.7)
    parsed = [_serve_args(t, f"{t}-{i}", c) for i, (t, c) in enumerate(zip(TIERS, chains))]
    hops = [list(p.hop) for p in parsed]  # argparse parses --hop into HopSpecs
    # the hubs are each tier's first agent: client-0 and edge-2, and only they answer at /hop
    assert [p.serve_hop for p in parsed] == [True, False, True, False, False, False, False, False]
    assert hops[0] == [] and hops[1] == [] and parsed[0].relay_url is None  # client -> cloud
    assert [h.url for h in hops[2]] == [f"{URLS[0]}/hop"] and parsed[3].relay_url == URLS[0]  # edge -> client hub
    for i in (5, 6, 7):  # iot -> edge hub -> client hub -> cloud; updates from the edge hub
        assert [(h.tier, h.url) for h in hops[i]] == [("edge", f"{URLS[2]}/hop"), ("client", f"{URLS[0]}/hop")]
        assert all(h.min_confidence == 0.85 and h.deadline_s == 0.7 for h in hops[i])
        assert parsed[i].relay_url == URLS[2]


def test_a_missing_tier_is_skipped_and_no_relay_is_named_that_the_server_would_not_fill():
    chains = chain_args(("client", "iot", "iot"), URLS[:3], 0.9, 1.0)
    parsed = [_serve_args(t, f"{t}-{i}", c) for i, (t, c) in enumerate(zip(("client", "iot", "iot"), chains))]
    assert parsed[0].serve_hop and [h.tier for h in parsed[1].hop] == ["client"]
    assert parsed[1].relay_url is None  # the server relays iot updates to the edge tier, and there is none
    assert chain_args(("iot", "iot"), URLS[:2], 0.9, 1.0) == [[], []]  # no tier above: straight to the cloud


@pytest.mark.parametrize("over, message", [({"hop_confidence": 1.5}, "hop confidence"),
                                           ({"hop_deadline_s": 0.0}, "hop deadline"),
                                           ({"overrides": {"secure": False}}, "needs secure=true"),
                                           ({"loop_stop": 4}, "loop stop 4: use 0"),
                                           ({"remember": 0}, "remember 0")])
def test_bad_hierarchy_settings_are_refused_before_anything_starts(tmp_path, over, message):
    with pytest.raises(ServerError, match=message):
        FleetSpec(tmp_path, hierarchy=True, **over)
    assert not any(tmp_path.iterdir())
    FleetSpec(tmp_path, overrides={"secure": False})  # without the hierarchy, secure=false stays the user's call


def test_a_run_config_value_out_of_range_is_refused_before_any_process_starts(tmp_path):
    """`fleet up --set trim=0.7`: the server app would refuse it once every agent, the cloud and
    the SuperLink were up; fleet_up checks the whole run config first."""
    from fedhybrid.fleet_ops import fleet_up
    from fleet.errors import FleetError

    with pytest.raises(FleetError, match=r"trim=0\.7 must be in \[0, 0\.5\)"):
        fleet_up(FleetSpec(tmp_path / "fleet", tiers=("edge",), overrides={"trim": 0.7}), say=lambda _: None)
    assert not (tmp_path / "fleet").exists()


def test_fleet_down_returns_only_when_every_process_of_each_group_is_gone(tmp_path):
    """A leader (the SuperLink, say) exits on SIGTERM while a child it started (Flower's
    serverapp) lingers: `fleet down` waits for the whole group, then kills what is left."""
    import json
    import subprocess
    import sys

    from fedhybrid.process_group import boot_id, started

    child_pid = tmp_path / "child.pid"
    leader = subprocess.Popen([sys.executable, "-c", (
        "import pathlib, subprocess, sys, time\n"
        "code = 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)'\n"
        "child = subprocess.Popen([sys.executable, '-c', code])\n"
        f"pathlib.Path({str(child_pid)!r}).write_text(str(child.pid))\n"
        "time.sleep(120)\n")], start_new_session=True)
    try:
        for _ in range(200):
            if child_pid.exists() and child_pid.read_text():
                break
            time.sleep(0.05)
        child = int(child_pid.read_text())
        (tmp_path / "fleet.json").write_text(json.dumps({
            "workdir": str(tmp_path), "agents": [], "boot": boot_id(),
            "processes": [{"name": "superlink", "pid": leader.pid, "started": started(leader.pid)}]}))
        assert fleet_down(tmp_path, grace_s=1.0) == ["superlink"]
        assert not _alive(leader.pid) and not _alive(child)
        assert (tmp_path / "fleet.down.json").is_file()
    finally:
        for pid in (leader.pid,):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_a_fleets_privacy_floor_reaches_its_tiers_agents(tmp_path):
    """`fleet up --privacy-floor redact --privacy-floor iot=local-only`: every agent's floor, a
    tier's own over the fleet's; without one an agent keeps device serve's default (allow)."""
    from fedhybrid.commands.fleet import _floor

    spec = FleetSpec(tmp_path, privacy_floor=(_floor("redact"), _floor("iot=local-only")))
    floors = [_parse(agent_argv(spec, f"{t}-{i}", t, 9000 + i, tmp_path / t, tmp_path / "keys", URLS[0], 1, []))
              .privacy_floor for i, t in enumerate(TIERS)]
    assert floors == ["redact"] * 5 + ["local-only"] * 3
    plain = _parse(agent_argv(FleetSpec(tmp_path), "iot-5", "iot", 9005, tmp_path, tmp_path / "keys", URLS[0], 1, []))
    assert plain.privacy_floor == "allow"
    for bad, said in ((("*", "secret"),), "--privacy-floor secret: the mode must be one of"), \
                     ((("edge", "local-only"),), "--privacy-floor edge=local-only: the fleet has no edge agent"):
        with pytest.raises(ServerError, match=said):
            FleetSpec(tmp_path, tiers=("client", "iot"), privacy_floor=bad)
