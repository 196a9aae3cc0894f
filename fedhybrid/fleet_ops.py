"""`fedhybrid fleet up|down`: a whole deployed fleet on 127.0.0.1, as a user would run it.

`up` starts, each as its own process group (so `down` can stop it and everything it spawned
by PID): a cloud server; one device agent per device (`fedhybrid device serve`, its own
port, journal and keys); a Flower SuperLink (TLS with `--tls`); one SuperNode per device
whose node config points at its agent (`agent-url`, `agent-token-file`); and `flwr run`,
which drives the ServerApp's rounds on a schedule (`round-interval`) while the agents keep
serving. Everything it started is written to `<workdir>/fleet.json`, each process with its
start time (and the boot's id); `down` reads it and stops every process by its PID (SIGTERM,
then SIGKILL after a grace period), but only one that is still the process `up` started: a
record left by a crash or a reboot names PIDs the kernel may have handed to others since.

With `hierarchy` the agents form the tier chain of fleet/hierarchy.py, deployed: each tier's
hub (its first device) also answers the tiers below at /hop (`--serve-hop`); an iot agent
asks the edge hub, then the client hub, then the cloud; an edge agent the client hub, then
the cloud (`--hop`, each hop at `hop_confidence`); and every agent below a hub fetches the
server's updates for its tier from the hub above (`--relay-url`, the run config's `relay`
on), each update checked against the server's signature on arrival.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from agent.recent import DEFAULT_REMEMBER
from fedhybrid.engines import FLWR_ENV, FlowerLoopback, _bin, free_port, run_config_arg
from fedhybrid.fleet_record import DOWN_FILE, FLEET_FILE, load_fleet, save, standing
from fedhybrid.process_group import alive as _alive
from fedhybrid.process_group import boot_id, started, wait_gone
from fedhybrid.run_config import default_run_config
from fleet.config import FederationConfig
from inference.generation import MIN_LOOP_STOP, valid_loop_stop
from inference.privacy import MODES as PRIVACY_MODES
from server.errors import ServerError

# run-config keys `fleet up` sets from its own flags (or, for state-dir, from --workdir)
FLEET_OWNS = {"num-rounds": "--rounds", "round-interval": "--round-interval", "fleet-tiers": "--tiers",
              "state-dir": "--workdir: the server's state is <workdir>/server-state", "key-dir": "--key-dir",
              "cloud-url": "--cloud-url", "zoo": "--zoo"}


@dataclass(frozen=True)
class FleetSpec:
    workdir: Path
    tiers: tuple[str, ...] = ("client", "client", "edge", "edge", "edge", "iot", "iot", "iot")
    rounds: int = 10
    round_interval: float = 30.0
    tls: bool = False
    cloud_url: str | None = None  # None: start the zoo's cloud model as a server
    zoo: Path | None = None
    train_budget: float = 10.0
    overrides: dict = field(default_factory=dict)  # [tool.flwr.app.config] keys
    hierarchy: bool = False  # agents escalate through the tier hubs and fetch updates from them
    hop_confidence: float = 0.99  # with hierarchy: a hub's answer is taken at top-1 probability >= this
    hop_deadline_s: float = 1.0  # with hierarchy: a hub later than this is skipped
    loop_stop: int = 32  # every agent's --loop-stop (0: off)
    recurring_to_cloud: bool = True  # with hierarchy: a question an agent answered before skips the hubs
    settle_recurring: bool = True  # a question an agent answered before: the cloud scores its unchecked tokens
    remember: int = DEFAULT_REMEMBER  # every agent's --remember: questions kept in memory to tell a recurrence
    key_dir: Path | None = None  # the operator's key folder (`fedhybrid keys init`); None: <workdir>/keys, made here
    # (tier or "*", mode) pairs: the agents' --privacy-floor, a tier's own over "*"'s (`fleet up --privacy-floor`)
    privacy_floor: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        owned = [f"--set {key}=... (use {flag})" for key, flag in FLEET_OWNS.items() if key in self.overrides]
        if owned:  # else replaced without a word by the fleet's own value (--set num-rounds=3 ran 10 rounds)
            raise ServerError(f"fleet up sets these run-config values itself: {'; '.join(owned)}")
        if not self.tiers or any(t not in ("client", "edge", "iot") for t in self.tiers):
            raise ServerError(f"fleet tiers {self.tiers} must be client, edge or iot")
        if self.rounds < 1:
            raise ServerError(f"--rounds {self.rounds}: the server runs at least 1 round; give --rounds 1 or more")
        if not self.round_interval >= 0:  # also NaN
            raise ServerError(f"--round-interval {self.round_interval:g}: seconds between round starts cannot be "
                              "negative; give 0 (each round as soon as the last ended) or more")
        if not self.train_budget >= 0:
            raise ServerError(f"--train-budget {self.train_budget:g}: seconds of local fine-tuning per round cannot "
                              "be negative; give 0 or more")
        if self.hierarchy and self.overrides.get("secure") is False:
            raise ServerError("--hierarchy relays the server's updates through the hubs, which needs secure=true: "
                              "drop --set secure=false (the devices below a hub install only what the server signed)")
        if not 0 <= self.hop_confidence <= 1 or self.hop_deadline_s <= 0:
            raise ServerError(f"hop confidence {self.hop_confidence} must lie in [0, 1] and the hop deadline "
                              f"{self.hop_deadline_s} s be positive")
        if not valid_loop_stop(self.loop_stop):
            raise ServerError(f"loop stop {self.loop_stop}: use 0 (off) or at least {MIN_LOOP_STOP} tokens")
        if self.remember < 1:
            raise ServerError(f"remember {self.remember}: every agent keeps at least 1 question in memory")
        for tier, mode in self.privacy_floor:
            given = mode if tier == "*" else f"{tier}={mode}"
            if mode not in PRIVACY_MODES:
                raise ServerError(f"--privacy-floor {given}: the mode must be one of {', '.join(PRIVACY_MODES)}")
            if tier != "*" and tier not in self.tiers:
                raise ServerError(f"--privacy-floor {given}: the fleet has no {tier} agent (--tiers "
                                  f"{','.join(self.tiers)}); name one of its tiers, or give the mode alone for all")

    def floor_of(self, tier: str) -> str | None:
        """The --privacy-floor of `tier`'s agents (None: none given, the agent's own default)."""
        floors = dict(self.privacy_floor)
        return floors.get(tier, floors.get("*"))


def agent_argv(spec: FleetSpec, device: str, tier: str, port: int, state: Path, keys: Path, cloud_url: str,
               lora_seed: int, chain: list[str]) -> list[str]:
    """`fedhybrid device serve ...` for one agent of the fleet (after the CLI's own path)."""
    return ["device", "serve", "--tier", tier, "--device", device, "--port", str(port), "--state-dir", str(state),
            "--key-dir", str(keys), "--cloud-url", cloud_url, "--lora-seed", str(lora_seed),
            "--train-budget", str(spec.train_budget), "--loop-stop", str(spec.loop_stop),
            "--recurring-to-cloud" if spec.recurring_to_cloud else "--no-recurring-to-cloud",
            "--settle-recurring" if spec.settle_recurring else "--no-settle-recurring",
            "--remember", str(spec.remember),
            *(["--privacy-floor", floor] if (floor := spec.floor_of(tier)) else []), *chain]


def chain_args(tiers: tuple[str, ...], urls: list[str], hop_confidence: float, hop_deadline_s: float
               ) -> list[list[str]]:
    """Per device (in fleet order), the `device serve` arguments that put it in the hierarchy:
    `--serve-hop` for a hub some device below asks, `--hop` per hub above (nearest first, a
    device never asks itself), and `--relay-url` of the hub of the tier directly above (the
    server hands a tier's updates to the tier just above it, so an iot agent with no edge tier
    in the fleet has no relay)."""
    from fleet.hierarchy import ABOVE, hub_device

    devices = [f"{tier}-{i}" for i, tier in enumerate(tiers)]
    url_of = dict(zip(devices, urls))
    hubs = {tier: hub_device(tiers, tier) for tier in ABOVE}
    asked: set[str] = set()
    out = []
    for device, tier in zip(devices, tiers):
        args = []
        above = [(up, hubs[up]) for up in ABOVE[tier] if hubs[up] is not None and hubs[up] != device]
        for up, hub in above:
            args += ["--hop", f"{up}={url_of[hub]}/hop,confidence={hop_confidence:g},deadline={hop_deadline_s:g}"]
            asked.add(hub)
        if above and above[0][0] == ABOVE[tier][0]:  # the server relays a tier's updates to the tier just above
            args += ["--relay-url", url_of[above[0][1]]]
        out.append(args)
    return [(["--serve-hop"] if device in asked else []) + args for device, args in zip(devices, out)]


def _distinct_ports(n: int) -> list[int]:
    """n free loopback ports, no two alike (the OS may hand a just-closed port out again)."""
    ports: list[int] = []
    while len(ports) < n:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def _env() -> dict:
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, **FLWR_ENV, "PATH": path}


def _spawn(name: str, cmd: list[str], workdir: Path, env: dict | None = None) -> dict:
    log = workdir / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env or _env(),
                                cwd=str(Path(__file__).resolve().parent.parent), start_new_session=True)
    # our child until we reap it: its PID (and so its start time) cannot belong to another process yet
    return {"name": name, "pid": proc.pid, "started": started(proc.pid), "log": str(log), "cmd": cmd}


def _wait_health(url: str, proc: dict, timeout_s: float = 120.0, verify=True) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(proc["pid"]):
            raise ServerError(f"{proc['name']} exited while starting; see {proc['log']}")
        try:
            if httpx.get(url, timeout=1.0, verify=verify).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise ServerError(f"{proc['name']} did not answer {url} within {timeout_s:.0f} s; see {proc['log']}")


def _run_config(spec: FleetSpec, work: Path, keys: Path, cloud_url: str) -> dict:
    """The server app's run config: the project's defaults, the user's --set, then the fleet's own."""
    return {**default_run_config(), **spec.overrides, "num-rounds": spec.rounds,
            "round-interval": float(spec.round_interval), "fleet-tiers": ",".join(spec.tiers),
            "state-dir": str(work / "server-state"), "key-dir": str(keys), "cloud-url": cloud_url,
            **({"zoo": str(spec.zoo.resolve())} if spec.zoo else {}),
            **({"relay": True} if spec.hierarchy else {})}


def check_fleet_keys(folder: Path, devices: list[str]) -> None:
    """An operator's key folder serving a whole fleet on this machine: the server's half
    (every device's public key, the aggregator and signing keys, `check_server_keys` and
    `ServerChannel`) and every agent's (its own private key, `DeviceChannel`) must load, so
    a missing or damaged key is named before any process starts rather than in one agent's
    log after the others are up. Nothing in the folder is created or replaced."""
    from cache_sync.channel import DeviceChannel, ServerChannel
    from cache_sync.keys import check_server_keys

    if not folder.is_dir():
        raise ServerError(f"--key-dir {folder} is not a folder: make one with `fedhybrid keys init --dir {folder} "
                          f"--devices {' '.join(devices)}`, or leave --key-dir out (the fleet then makes its own "
                          "keys in <workdir>/keys)")
    check_server_keys(folder, devices)
    ServerChannel(folder)
    for device in devices:
        DeviceChannel.load(folder, device)


def fleet_up(spec: FleetSpec, say=print) -> dict:
    """Start the fleet (see the module docstring); returns what fleet.json records. On any
    failure everything started so far is stopped again."""
    from cache_sync.keys import init_keys

    work = spec.workdir.resolve()
    if (work / FLEET_FILE).is_file():  # a record a crash or reboot left behind names nothing that runs
        old = load_fleet(work)
        up = [(p["name"], why) for p in old["processes"]
              for state, why in [standing(p, old)] if state in ("ours", "unknown")]
        if up:
            unsure = "; ".join(f"{name}: {why}" for name, why in up if why)
            raise ServerError(f"a fleet is already up in {work} ({', '.join(name for name, _ in up)} still "
                              f"running{'; ' + unsure if unsure else ''}): `fedhybrid fleet down --workdir {work}` "
                              "first")
    devices = [f"{tier}-{i}" for i, tier in enumerate(spec.tiers)]
    keys = work / "keys"
    # every run-config value is checked before anything starts (the cloud's URL is known only once
    # it runs: any http URL stands in for it here); the server app would refuse it after all started
    for notice in FederationConfig.from_run_config(_run_config(spec, work, keys,
                                                               spec.cloud_url or "http://127.0.0.1:1")).notices():
        say(f"note: {notice}")
    if spec.key_dir is not None:  # the operator's keys: checked whole before anything starts, nothing made
        keys = spec.key_dir.resolve()
        check_fleet_keys(keys, devices)
    work.mkdir(parents=True, exist_ok=True)
    if spec.key_dir is None:
        init_keys(keys, devices)
    zoo_args = ["--zoo", str(spec.zoo.resolve())] if spec.zoo else []
    cli = [sys.executable, "-m", "fedhybrid.cli", *zoo_args]
    fleet: dict = {"workdir": str(work), "processes": [], "agents": [], "started": time.time(), "boot": boot_id(),
                   "key_dir": str(keys)}
    try:
        cloud_url = spec.cloud_url
        if cloud_url is None:
            port = free_port()
            proc = _spawn("cloud", [*cli, "cloud", "serve", "--host", "127.0.0.1", "--port", str(port)], work)
            fleet["processes"].append(proc)
            cloud_url = f"http://127.0.0.1:{port}"
            _wait_health(f"{cloud_url}/health", proc)
            say(f"cloud server at {cloud_url}")
        fleet["cloud_url"] = cloud_url
        run_config = _run_config(spec, work, keys, cloud_url)
        ports = _distinct_ports(len(devices))  # known up front: an agent's hops name the hubs' ports
        chains = (chain_args(spec.tiers, [f"http://127.0.0.1:{p}" for p in ports], spec.hop_confidence,
                             spec.hop_deadline_s) if spec.hierarchy else [[] for _ in devices])
        for device, tier, port, chain in zip(devices, spec.tiers, ports, chains):
            state = work / "agents" / device
            proc = _spawn(device, [*cli, *agent_argv(spec, device, tier, port, state, keys, cloud_url,
                                                     int(run_config["lora-seed"]), chain)], work)
            fleet["processes"].append(proc)
            fleet["agents"].append({"device": device, "tier": tier, "url": f"http://127.0.0.1:{port}",
                                    "token_file": str(state / "admin.token"), "state_dir": str(state),
                                    "chain": chain})
            save(work, fleet)
        for agent, proc in zip(fleet["agents"], fleet["processes"][-len(devices):]):
            _wait_health(f"{agent['url']}/health", proc, timeout_s=180.0)
        say(f"{len(devices)} device agent{'s' if len(devices) != 1 else ''} up ({', '.join(devices)})")
        link = FlowerLoopback(work)
        port = free_port()
        security, node_security, root = ["--insecure"], ["--insecure"], None
        if spec.tls:
            from fedhybrid.certs import make_tls

            files = make_tls(work / "tls")
            root = files.ca_cert
            security = ["--ssl-ca-certfile", str(files.ca_cert), "--ssl-certfile", str(files.server_cert),
                        "--ssl-keyfile", str(files.server_key)]
            node_security = ["--root-certificates", str(files.ca_cert)]
        env = link.env()
        superlink = _spawn("superlink", [_bin("flower-superlink"), *security, "--isolation", "subprocess",
                                         "--host", "127.0.0.1", "--port", str(port), "--database",
                                         str(work / "superlink.db"), "--disable-runtime-dependency-installation"],
                           work, env)
        fleet["processes"].append(superlink)
        save(work, fleet)
        import ssl

        verify = ssl.create_default_context(cafile=str(root)) if root else True
        _wait_health(f"{'https' if spec.tls else 'http'}://127.0.0.1:{port}/health", superlink, verify=verify)
        for i, agent in enumerate(fleet["agents"]):
            node_config = (f'tier="{agent["tier"]}" device="{agent["device"]}" partition-id={i} '
                           f'num-partitions={len(devices)} agent-url="{agent["url"]}" '
                           f'agent-token-file="{agent["token_file"]}"')
            fleet["processes"].append(_spawn(
                f"supernode-{agent['device']}", [_bin("flower-supernode"), *node_security, "--superlink",
                                                 f"127.0.0.1:{port}", "--host", "127.0.0.1", "--port",
                                                 str(free_port()), "--node-config", node_config,
                                                 "--isolation", "subprocess"], work, env))
        link.write_connection("fleet", f"127.0.0.1:{port}", root)
        fleet["processes"].append(_spawn("flwr-run", [_bin("flwr"), "run", ".", "fleet", "--stream", "--run-config",
                                                      run_config_arg(run_config)], work, env))
        fleet["superlink"] = f"127.0.0.1:{port}"
        fleet["server_state"] = run_config["state-dir"]
        fleet["rounds"], fleet["round_interval"] = spec.rounds, spec.round_interval
        save(work, fleet)
        say(f"SuperLink at 127.0.0.1:{port}{' (TLS)' if spec.tls else ''}; {spec.rounds} round{'s' if spec.rounds != 1 else ''} every "
            f"{spec.round_interval:.0f} s; logs in {work / 'logs'}")
        return fleet
    except BaseException:
        fleet_down(work, quiet=True, fleet=fleet)
        raise


def fleet_down(workdir: Path, quiet: bool = False, fleet: dict | None = None, grace_s: float = 15.0,
               say=print) -> list[str]:
    """Stop every process of the fleet by PID (its process group); returns the names stopped. A
    process whose PID is no longer the fleet's (`fleet_record.standing`) is not signalled: `say` names it
    (unless `quiet`) with the reason."""
    fleet = fleet or load_fleet(workdir)
    ours = []
    for proc in fleet["processes"]:
        state, why = standing(proc, fleet)
        if state == "ours":
            ours.append(proc)
        elif why and not quiet:
            say(f"{proc['name']}: {'gone' if state == 'other' else 'not checked'}, not signalled: {why}")
    stopped = []
    for proc in reversed(ours):
        try:
            os.killpg(proc["pid"], signal.SIGTERM)  # each was started as its own session leader
        except ProcessLookupError:
            continue
        stopped.append(proc["name"])
    deadline = time.monotonic() + grace_s
    for proc in ours:
        # the whole group, not only its leader: `fleet down` returns when nothing it started runs
        wait_gone(proc["pid"], max(0.0, deadline - time.monotonic()))
        if standing(proc, fleet)[0] == "ours":  # checked again: the PID may have been handed out since
            try:
                os.killpg(proc["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass
            wait_gone(proc["pid"], 5.0)
    path = Path(fleet["workdir"]) / FLEET_FILE
    if path.is_file():  # kept, with the time, for `fleet down` run again (and by hand, for the logs)
        tmp = path.with_name(f".{DOWN_FILE}.tmp")
        tmp.write_text(json.dumps({**fleet, "stopped": time.time()}, indent=2))
        os.replace(tmp, path.with_name(DOWN_FILE))
        path.unlink()
    return stopped
