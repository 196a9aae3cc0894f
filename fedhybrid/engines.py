"""Run the federation on an engine: in-process, Flower simulation, or loopback deployment.

All three run the same ServerApp/ClientApp. The Flower engines are driven through the
`flwr` CLI exactly as a user would; every process this module starts listens on
127.0.0.1 only and is stopped by its PID (process group), and a run counts as done only
when `flwr ls` reports `finished:completed` (`flwr run --stream` exits 0 even when the
run failed).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from fedhybrid.process_group import descendant_groups, stop_group, stop_groups
from fleet.config import FederationConfig
from server.errors import ServerError

REPO = Path(__file__).resolve().parent.parent
FLWR_ENV = {"FLWR_TELEMETRY_ENABLED": "0", "FLWR_DISABLE_UPDATE_CHECK": "1",
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION": "1",
            "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1",
            "RAY_DEDUP_LOGS": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"}


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))  # a TOML basic string


def run_config_arg(values: dict) -> str:
    return " ".join(f"{k}={toml_value(v)}" for k, v in values.items())


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def free_port() -> int:
    from serving.launch import free_port as _free

    return _free()


@dataclass
class _Proc:
    name: str
    proc: subprocess.Popen
    log: Path
    hosts_server: bool = False  # the SuperLink: the ServerApp runs under it (stopped first)

    def stop(self) -> None:
        # our child leads its own process group: stop it and everything it spawned, and return
        # only when the whole group is gone (a helper Flower started can outlive the leader, and
        # one left behind when the leader had already exited was never signalled at all)
        stop_group(self.proc.pid, leader=lambda: self.proc.poll() is None)


@dataclass
class FlowerLoopback:
    """A throw-away FLWR_HOME with one SuperLink (and SuperNodes) on loopback."""

    workdir: Path
    procs: list[_Proc] = field(default_factory=list)

    def env(self) -> dict:
        # Flower's processes start their helpers (flower-superexec, ...) through PATH: make
        # it find this interpreter's environment even when the venv is not activated
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        return {**os.environ, **FLWR_ENV, "FLWR_HOME": str(self.workdir / "flwr-home"), "PATH": path}

    def start(self, name: str, cmd: list[str], hosts_server: bool = False) -> _Proc:
        """Start `cmd` as its own process-group leader, logging to <workdir>/<name>.log;
        `hosts_server`: it runs the ServerApp (the SuperLink), so `stop_all` stops it first."""
        log = self.workdir / f"{name}.log"
        with open(log, "ab") as out:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=self.env(),
                                    cwd=str(REPO), start_new_session=True)
        handle = _Proc(name, proc, log, hosts_server)
        self.procs.append(handle)
        return handle

    def wait_http(self, url: str, proc: _Proc, timeout_s: float = 60.0, verify=True) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.proc.poll() is not None:
                raise ServerError(f"{proc.name} exited with {proc.proc.returncode}; see {proc.log}")
            try:
                if httpx.get(url, timeout=1.0, verify=verify).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise ServerError(f"{proc.name} did not become healthy within {timeout_s:.0f} s; see {proc.log}")

    def write_connection(self, name: str, address: str, root_cert: Path | None = None) -> None:
        home = self.workdir / "flwr-home"
        home.mkdir(parents=True, exist_ok=True)
        tls = f'root-certificates = "{root_cert}"\n' if root_cert else "insecure = true\n"
        (home / "config.toml").write_text(f'[superlink]\ndefault = "{name}"\n\n'
                                          f'[superlink.{name}]\naddress = "{address}"\n{tls}')

    def flwr_run(self, connection: str, run_config: dict, federation_config: str | None = None,
                 timeout_s: float = 3600.0, on_line: Callable[[str], None] | None = None) -> str:
        """`flwr run . CONNECTION --stream`; returns the run id once it completed."""
        cmd = [_bin("flwr"), "run", ".", connection, "--stream", "--run-config", run_config_arg(run_config)]
        if federation_config:
            cmd += ["--federation-config", federation_config]
        log = self.workdir / "flwr-run.log"
        with open(log, "ab") as out:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=self.env(),
                                    cwd=str(REPO), start_new_session=True)
            handle = _Proc("flwr-run", proc, log)
            self.procs.append(handle)
            deadline = time.monotonic() + timeout_s
            for raw in proc.stdout:
                out.write(raw)
                if on_line is not None:
                    on_line(raw.decode("utf-8", "replace").rstrip())
                if time.monotonic() > deadline:
                    handle.stop()
                    raise ServerError(f"flwr run exceeded {timeout_s:.0f} s; see {log}")
            proc.wait()
        return self.check_completed(connection)

    def check_completed(self, connection: str) -> str:
        out = subprocess.run([_bin("flwr"), "ls", connection, "--format", "json"], capture_output=True,
                             env=self.env(), cwd=str(REPO), timeout=60, check=False)
        try:
            runs = json.loads(out.stdout)["runs"]
        except (ValueError, KeyError) as exc:
            raise ServerError(f"`flwr ls` gave no run list: {out.stdout[:300]!r} {out.stderr[:300]!r}") from exc
        if not runs:
            raise ServerError("no run was recorded by the SuperLink")
        latest = max(runs, key=lambda r: r.get("pending-at", ""))
        if latest.get("status") != "finished:completed":
            raise ServerError(f"run {latest.get('run-id')} ended as {latest.get('status')!r} "
                              f"({latest.get('status-details')}); see {self.workdir}")
        return str(latest["run-id"])

    def stop_all(self, grace_s: float = 15.0, settle_s: float = 5.0) -> None:
        """Stop everything started here, the ServerApp before any node: first the SuperLink's group
        and the groups its helpers lead (Flower starts flower-superexec, which runs the ServerApp,
        in a session of its own, out of reach of the SuperLink's group), waiting until all of them
        are gone; only then the SuperNodes and `flwr run`, all at once. Stopping the nodes first let
        a ServerApp still running (an interrupted run) go on and save rounds that no node answered."""
        server = [h for h in self.procs if h.hosts_server]
        helpers = [(pgid, None) for h in server for pgid in descendant_groups(h.proc.pid)]
        stop_groups([*[_group(h) for h in server], *helpers], grace_s, settle_s)
        stop_groups([_group(h) for h in self.procs if not h.hosts_server], grace_s, settle_s)
        self.procs.clear()


def _group(handle: _Proc) -> tuple[int, Callable[[], bool]]:
    return handle.proc.pid, lambda: handle.proc.poll() is None


def preflight(run_config: dict):
    """What the server would refuse about a saved state, checked before an engine starts (a
    Flower stack found it only after a minute, as a ServerApp traceback), by the server's own
    check (`server.federation.check_resume`: the options and the workload file's content), and
    that the state is not past num-rounds. Loads no model.

    Returns:
        The saved state (None: a fresh state folder), for the in-process engine to resume from
        without reading the folder again (`run_inprocess(saved=...)`).

    Raises:
        ServerError: the state is damaged, was written under other options, or is past num-rounds.
    """
    from server.federation import check_resume
    from server.state import ServerState
    from workloads.files import content_digest

    cfg = FederationConfig.from_run_config(run_config)
    state = ServerState.load_latest(cfg.state_path)
    if state is None:
        return None
    check_resume(cfg, state, content_digest(cfg.workload_file) if cfg.workload_file else None)
    if state.round > cfg.num_rounds:
        raise ServerError(f"the state in {cfg.state_path} is already at round {state.round}, past --rounds "
                          f"(num-rounds) {cfg.num_rounds}: give --rounds {state.round + 1} or more to run further "
                          "rounds, or use another --state-dir to start over")
    return state


def check_zoo(cfg: FederationConfig) -> None:
    """The zoo's manifest loads and names the fleet's models and the cloud's, as the server's
    first step finds it (same ZooError): checked before a Flower engine starts any process.
    Reads the manifest only."""
    from inference.zoo import Zoo

    zoo = Zoo(cfg.zoo or None)
    for ref in ("cloud", *sorted({cfg.profile(t).model for t in cfg.fleet_tiers})):
        zoo.model_name(ref)


def run_inprocess(run_config: dict, on_round=None, saved=None):
    """Run the federation in this process (no Ray, no network): tests, benchmarks. `saved`: a
    `(state,)` `preflight` read (its state, None for a fresh folder), so the folder is read once."""
    from clients.app import app as client_app
    from server.app import run_federation
    from server.inprocess_grid import InProcessGrid

    cfg = FederationConfig.from_run_config(run_config)
    grid = InProcessGrid(client_app, run_config, [{"partition-id": i, "num-partitions": len(cfg.fleet_tiers)}
                                                  for i in range(len(cfg.fleet_tiers))])
    from server.federation import LOAD

    return run_federation(grid, cfg, on_round=on_round, saved=LOAD if saved is None else saved[0])


def _final_state(cfg: FederationConfig, engine: str):
    """The saved state after a Flower run; an error unless it reached the last round."""
    from server.state import ServerState

    state = ServerState.load_latest(cfg.state_path)
    if state is None or state.round != cfg.num_rounds:
        raise ServerError(f"{engine} finished but the state in {cfg.state_path} is at round "
                          f"{None if state is None else state.round}, expected {cfg.num_rounds}")
    return state


@contextlib.contextmanager
def _flower_folder(workdir: Path | None, prefix: str):
    """The SuperLink's database, the logs and Flower's home for one run. Without `workdir`, a
    temporary folder (~8 MB) removed when the run succeeds or is interrupted; a failed run's
    is kept, since its error names the logs in it."""
    if workdir is not None:
        Path(workdir).mkdir(parents=True, exist_ok=True)
        yield Path(workdir)
        return
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    except KeyboardInterrupt:
        shutil.rmtree(work, ignore_errors=True)
        raise
    shutil.rmtree(work, ignore_errors=True)


def run_simulation(run_config: dict, workdir: Path | None = None, on_line=None, timeout_s: float = 3600.0):
    """Flower's simulation engine (Ray), driven by `flwr run`; returns the final ServerState."""
    cfg = FederationConfig.from_run_config(run_config)
    check_zoo(cfg)
    with _flower_folder(workdir, "fedhybrid-sim-") as work:
        return _run_simulation(cfg, run_config, work, on_line, timeout_s)


def _run_simulation(cfg: FederationConfig, run_config: dict, work: Path, on_line, timeout_s: float):
    link = FlowerLoopback(work)
    port = free_port()
    try:
        superlink = link.start("superlink", [
            _bin("flower-superlink"), "--insecure", "--simulation", "--isolation", "subprocess",
            "--host", "127.0.0.1", "--port", str(port), "--database", str(work / "superlink.db"),
            "--disable-runtime-dependency-installation"], hosts_server=True)
        link.wait_http(f"http://127.0.0.1:{port}/health", superlink)
        link.write_connection("fedsim", f"127.0.0.1:{port}")
        n = len(cfg.fleet_tiers)
        link.flwr_run("fedsim", run_config, f"num-supernodes={n} client-resources-num-cpus=1",
                      timeout_s=timeout_s, on_line=on_line)
    finally:
        link.stop_all()
    return _final_state(cfg, "simulation")


def run_deployment(run_config: dict, workdir: Path | None = None, tls: bool = False, on_line=None,
                   timeout_s: float = 3600.0):
    """Deployment engine on loopback: one SuperLink, one SuperNode per device (its tier in
    --node-config), `flwr run`, completion check, everything stopped by PID."""
    cfg = FederationConfig.from_run_config(run_config)
    check_zoo(cfg)
    with _flower_folder(workdir, "fedhybrid-deploy-") as work:
        return _run_deployment(cfg, run_config, work, tls, on_line, timeout_s)


def _run_deployment(cfg: FederationConfig, run_config: dict, work: Path, tls: bool, on_line, timeout_s: float):
    link = FlowerLoopback(work)
    port = free_port()
    security, node_security, root = ["--insecure"], ["--insecure"], None
    if tls:
        from fedhybrid.certs import make_tls

        files = make_tls(work / "tls")
        root = files.ca_cert
        security = ["--ssl-ca-certfile", str(files.ca_cert), "--ssl-certfile", str(files.server_cert),
                    "--ssl-keyfile", str(files.server_key)]
        node_security = ["--root-certificates", str(files.ca_cert)]
    try:
        superlink = link.start("superlink", [
            _bin("flower-superlink"), *security, "--isolation", "subprocess", "--host", "127.0.0.1",
            "--port", str(port), "--database", str(work / "superlink.db"),
            "--disable-runtime-dependency-installation"], hosts_server=True)
        scheme = "https" if tls else "http"
        link.wait_http(f"{scheme}://127.0.0.1:{port}/health", superlink,
                       verify=_ssl_context(root) if root else True)
        for i, tier in enumerate(cfg.fleet_tiers):
            node_config = f'tier="{tier}" device="{cfg.device_name(i)}" partition-id={i} num-partitions={len(cfg.fleet_tiers)}'
            link.start(f"supernode-{i}", [
                _bin("flower-supernode"), *node_security, "--superlink", f"127.0.0.1:{port}",
                "--host", "127.0.0.1", "--port", str(free_port()), "--node-config", node_config,
                "--isolation", "subprocess"])
        link.write_connection("loopback", f"127.0.0.1:{port}", root)
        link.flwr_run("loopback", run_config, timeout_s=timeout_s, on_line=on_line)
    finally:
        link.stop_all()
    return _final_state(cfg, "deployment")


def _ssl_context(ca: Path):
    import ssl

    return ssl.create_default_context(cafile=str(ca))
