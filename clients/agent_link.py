"""The ClientApp's line to a running device agent: its loopback admin API, msgpack bodies.

A node whose `node_config` names `agent-url` (and `agent-token-file`) is a device agent: the
round is the agent's (`agent.sync`), this side only carries the messages. An agent that is
down or refuses the round makes the node's reply an error: the server leaves the node out
of that round, and the agent's journal keeps everything for the next one.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from agent.errors import AgentError
from agent.wire import RoundReply, RoundRequest, pack_request, unpack_reply

MSGPACK = "application/msgpack"


class AgentLink:
    def __init__(self, url: str, token_file: Path, timeout_s: float = 600.0):
        if not url.startswith(("http://", "https://")):
            raise AgentError(f"agent-url {url!r} must start with http:// or https://")
        try:
            token = Path(token_file).read_text().strip()
        except OSError as exc:
            raise AgentError(f"cannot read the agent's admin token {token_file} ({exc}): is the agent "
                             "started with this state folder?") from exc
        self.url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self.timeout_s = timeout_s

    def _call(self, method: str, path: str, body: bytes | None = None) -> httpx.Response:
        try:
            resp = httpx.request(method, f"{self.url}{path}", content=body, timeout=self.timeout_s,
                                 headers={**self._headers, **({"Content-Type": MSGPACK} if body else {})})
        except httpx.HTTPError as exc:
            raise AgentError(f"the device agent at {self.url} is unreachable ({type(exc).__name__}: {exc})") from exc
        if resp.status_code != 200:
            raise AgentError(f"the device agent at {self.url} answered {resp.status_code} to {path}: {resp.text[:300]}")
        return resp

    def identity(self) -> dict:
        return self._call("GET", "/admin/v1/identity").json()

    def round(self, req: RoundRequest) -> RoundReply:
        return unpack_reply(self._call("POST", "/admin/v1/round", pack_request(req)).content)
