"""Secure aggregation of one round's adapters over Flower messages (the server's side).

The SecAgg+ math is `strategies.secagg`; this module only carries it. Per round, one
`ServerSession` per model family among the nodes asked:
    query.secagg_keys    every asked node: fresh public keys back
    query.secagg_share   nodes whose keys came: their neighbours' keys out, encrypted shares back
    train                nodes whose shares came: the usual round, plus the shares addressed
                         to them; the reply carries the masked update instead of the adapter
    query.secagg_unmask  nodes whose masked update came: shares of the survivors' self-mask
                         seeds and of the dropped nodes' mask keys back
A node missing from a step drops out of the round's adapter sum (up to the threshold, the
sum is still exact); the replies of the train step still bring its correction deltas.
"""

from __future__ import annotations

import logging

import msgpack
from flwr.app import ConfigRecord, Message, RecordDict
from flwr.serverapp import Grid

from strategies.errors import StrategyError
from strategies.federated_lora import NodeInfo
from strategies.secagg import SecAggConfig, ServerSession

log = logging.getLogger("fedhybrid.server")
FIELD = "secagg"  # the ConfigRecord key every secagg payload travels under (msgpack bytes)


def pack(payload: dict) -> bytes:
    return msgpack.packb(payload, use_bin_type=True)


def unpack(data) -> dict:
    if not isinstance(data, bytes):
        raise StrategyError("secagg payload is not bytes")
    try:
        value = msgpack.unpackb(data, raw=False)
    except (ValueError, TypeError, msgpack.ExtraData) as exc:
        raise StrategyError(f"secagg payload is not msgpack ({type(exc).__name__})") from exc
    if not isinstance(value, dict):
        raise StrategyError("secagg payload is not a map")
    return value


class SecureRound:
    """One round's secure aggregation: `setup` before the train messages, `attach` to them,
    `finish` after the train replies."""

    def __init__(self, cfg: SecAggConfig, nodes: dict[int, NodeInfo], asked: list[int],
                 shapes: dict[str, dict[str, tuple[int, int]]], seed: int, round_: int, timeout: float):
        self.nodes, self.round, self.timeout = nodes, round_, timeout
        self.by_device = {nodes[n].device: n for n in asked}
        families: dict[str, list[str]] = {}
        for n in asked:
            families.setdefault(nodes[n].family, []).append(nodes[n].device)
        self.sessions = {fam: ServerSession(cfg, round_, fam, devs, seed, shapes[fam])
                         for fam, devs in sorted(families.items())}
        self.inbox: dict[str, dict[str, bytes]] = {}
        self.bytes = {"down": 0, "up": 0}
        self._logged: dict[str, int] = {}
        for fam, devs in families.items():
            if len(devs) == 1:
                log.warning("round %d: family %s has one node in this round: its secure sum is its update",
                            round_, fam)

    def _family(self, device: str) -> str:
        return self.nodes[self.by_device[device]].family

    def _exchange(self, grid: Grid, action: str, payloads: dict[str, dict]) -> dict[str, dict]:
        """Send each device its payload as `query.<action>`; device -> unpacked reply."""
        messages = []
        for device, payload in payloads.items():
            body = pack(payload)
            self.bytes["down"] += len(body)
            messages.append(Message(RecordDict({"config": ConfigRecord({FIELD: body})}),
                                    message_type=f"query.{action}", dst_node_id=self.by_device[device],
                                    group_id=str(self.round)))
        out = {}
        devices = {n: d for d, n in self.by_device.items()}
        for reply in grid.send_and_receive(messages, timeout=self.timeout):
            device = devices.get(reply.metadata.src_node_id)
            if device is None:
                continue
            if reply.has_error():
                log.warning("round %d: %s failed %s: %s", self.round, device, action, reply.error.reason)
                continue
            try:
                body = reply.content["config"][FIELD]
                out[device] = unpack(body)
                self.bytes["up"] += len(body)
            except (KeyError, StrategyError) as exc:
                log.warning("round %d: %s answered %s malformed (%s)", self.round, device, action, exc)
        return out

    def setup(self, grid: Grid) -> list[int]:
        """Steps 1-2; returns the node ids that may train this round (their shares are out)."""
        keys = self._exchange(grid, "secagg_keys", {d: {"round": self.round, "family": self._family(d)}
                                                     for d in self.by_device})
        offers = {}
        for fam, session in self.sessions.items():
            offers.update(session.offers({d: k for d, k in keys.items() if self._family(d) == fam}))
        shares = self._exchange(grid, "secagg_share", offers)
        for fam, session in self.sessions.items():
            mine = {d: s.get("shares", {}) for d, s in shares.items() if self._family(d) == fam}
            self.inbox.update(session.route(mine))
        self._log_excluded()
        return sorted(self.by_device[d] for d in self.inbox)

    def attach(self, messages: list[Message]) -> None:
        """Put each train message's incoming shares and the family's r_max into its config."""
        devices = {n: d for d, n in self.by_device.items()}
        for message in messages:
            device = devices[message.metadata.dst_node_id]
            session = self.sessions[self._family(device)]
            r_max = next(iter(session.shapes.values()))[1]
            body = pack({"inbox": self.inbox[device], "r-max": r_max})
            self.bytes["down"] += len(body)
            message.content["config"][FIELD] = body

    def add_masked(self, device: str, masked: bytes) -> None:
        """A train reply's masked update, into its family's running sum as it arrives."""
        self.bytes["up"] += len(masked)
        if device in self.by_device:
            self.sessions[self._family(device)].add(device, masked)

    def finish(self, grid: Grid) -> dict[str, tuple[dict, float, list[str]]]:
        """Steps 3-4 after the train replies (`add_masked`): family -> (sum of weighted B per
        key, total weight, contributors); a family whose sum cannot be read (too many
        dropouts) is left out with a warning."""
        requests = {}
        for session in self.sessions.values():
            requests.update(session.collect())
        answers = self._exchange(grid, "secagg_unmask", requests)
        out = {}
        for fam, session in self.sessions.items():
            if not session.masked:
                continue
            try:
                out[fam] = session.unmask({d: a for d, a in answers.items() if self._family(d) == fam})
            except StrategyError as exc:
                log.warning("round %d: the secure sum of %s cannot be read, its adapter stays: %s", self.round,
                            fam, exc)
        self._log_excluded()
        return out

    def dropped(self) -> list[str]:
        return sorted(d for s in self.sessions.values() for d in s.dropped)

    def excluded(self) -> set[str]:
        return {d for s in self.sessions.values() for d, _ in s.excluded}

    def _log_excluded(self) -> None:
        for fam, session in self.sessions.items():
            for device, why in session.excluded[self._logged.get(fam, 0):]:
                log.warning("round %d: %s left out of the secure sum of %s: %s", self.round, device, fam, why)
            self._logged[fam] = len(session.excluded)
