"""The listening socket of a server command, bound before anything slow happens.

`uvicorn.run(app, host, port)` binds only after the models are loaded, and when the port is
taken it logs uvicorn's own `[Errno 98]` line and exits 1 (the code scripts read as "checks
failed"), after the command has already printed that it is serving. Binding first makes a
taken port a `ServingError` (exit 2, one line saying what to do) within a second of the
start, and the address printed is the one actually bound (`--port 0` picks a free port).
"""

from __future__ import annotations

import errno
import socket
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


def serve(app: Any, sock: socket.socket, **uvicorn_options: Any) -> None:
    """Run `app` with uvicorn on the already bound `sock` until the process is told to stop."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", ws="none", **uvicorn_options)
    uvicorn.Server(config).run(sockets=[sock])  # the caller's `with bind(...)` closes the socket
