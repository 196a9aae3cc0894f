"""The listening socket of a server command, bound before anything slow happens.

`uvicorn.run(app, host, port)` binds only after the models are loaded, and when the port is
taken it logs uvicorn's own `[Errno 98]` line and exits 1 (the code scripts read as "checks
failed"), after the command has already printed that it is serving. Binding first makes a
taken port a `ServingError` (exit 2, one line saying what to do) within a second of the
start, and the address printed is the one actually bound (`--port 0` picks a free port).
"""

from __future__ import annotations

import errno
import signal
import socket
import threading
from collections.abc import Callable
from typing import Any

from serving.errors import ServingError


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); `ServingError` naming the address and what to do
    when it cannot be had."""
    if not 0 <= port <= 65535:
        raise ServingError(f"--port {port} is not a TCP port: give 1-65535 (or 0 for a free one)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServingError(f"--host {host!r} is not an address this machine can listen on ({exc.strerror})") from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    # as uvicorn does: a restarted server may take over a port whose old connections linger in
    # TIME_WAIT; a port another process listens on still fails below
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServingError(f"{host}:{port} is already in use (another server, or an earlier one still "
                               "running): stop it or pick another --port") from exc
        if exc.errno == errno.EACCES:
            raise ServingError(f"not allowed to listen on {host}:{port}: pick a --port above 1023") from exc
        if exc.errno == errno.EADDRNOTAVAIL:
            raise ServingError(f"--host {host} is not an address of this machine") from exc
        raise ServingError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


def bound_port(sock: socket.socket) -> int:
    return sock.getsockname()[1]


def serve(app: Any, sock: socket.socket, on_stop: Callable[[int], None] | None = None,
          **uvicorn_options: Any) -> None:
    """Run `app` with uvicorn on the already bound `sock` until the process is told to stop.

    `on_stop(signal)` runs once at the first SIGTERM/SIGINT, before uvicorn drains the requests
    in flight (its own line about that is below the warning level we run it at): a server that
    takes 20 s to stop says why instead of nothing."""
    import uvicorn

    class _Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            if on_stop is not None and not self.should_exit:
                on_stop(sig)
            super().handle_exit(sig, frame)

    # uvicorn re-raises a caught SIGTERM once it has drained; under the default handler that
    # killed the process there and then, so the caller's `finally` (closing the engine, the relay
    # poller, the cloud client) never ran: here it ends the process as SystemExit(143) instead
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if main else None
    if main and previous == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        config = uvicorn.Config(app, log_level="warning", ws="none", **uvicorn_options)
        _Server(config).run(sockets=[sock])  # the caller's `with bind(...)` closes the socket
    finally:
        if main and previous == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(sig: int, frame: Any) -> None:
    raise SystemExit(128 + sig)
