"""Start and stop `fedhybrid` servers (cloud, device agent) as child processes (tests, benches, demos).

Servers listen on 127.0.0.1 only and are stopped by their PID.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

import httpx

from serving.errors import ServingError
from serving.tls import tls_verify


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A `fedhybrid ...` server child on 127.0.0.1 (`args` after the CLI's global options,
    with `{port}` filled in); use as a context manager. Stopped by its PID."""

    def __init__(self, args: list[str], zoo: Path | None = None, port: int | None = None,
                 log: Path | None = None, scheme: str = "http"):
        self.port = port or free_port()
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "fedhybrid.cli"]
        if zoo is not None:
            cmd += ["--zoo", str(zoo)]
        self.cmd = cmd + [a.replace("{port}", str(self.port)) for a in args]
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self, timeout_s: float = 60.0, verify: bool | str = True, headers: dict | None = None
              ) -> ServerProcess:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
        # the child keeps its own copy of the log's descriptor
        with open(self.log, "ab") if self.log else contextlib.nullcontext(subprocess.DEVNULL) as out:
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout_s
        verify = tls_verify(verify)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServingError(f"server exited with {self.proc.returncode} while starting: {self.cmd}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0, verify=verify).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise ServingError(f"server did not answer /health within {timeout_s:.0f} s: {self.cmd}")

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def kill(self) -> None:
        """SIGKILL by PID (a crash, for fault tests)."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def __enter__(self) -> Self:
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class CloudServerProcess(ServerProcess):
    """A `fedhybrid cloud serve` child; use as a context manager."""

    def __init__(self, model: str, zoo: Path | None = None, port: int | None = None,
                 extra: list[str] | None = None, log: Path | None = None, scheme: str = "http"):
        super().__init__(["cloud", "serve", "--model", model, "--host", "127.0.0.1", "--port", "{port}",
                          *(extra or [])], zoo, port, log, scheme)
