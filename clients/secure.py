"""The device's side of secure aggregation over Flower messages (`strategies.secagg`).

The session (fresh keys, our self-mask seed, the shares neighbours sent us) lives in the
node's `context.state` between the round's messages: Flower keeps it per node for the run
in both engines. A message for another round or family than the stored session is refused,
so a replayed or stale message cannot make a device reveal shares twice.
"""

from __future__ import annotations

import msgpack
import numpy as np
from flwr.app import ConfigRecord, Context, Message, RecordDict

from strategies.errors import StrategyError
from strategies.secagg import DeviceSession, flatten

FIELD = "secagg"
STATE_KEY = "secagg"


def _payload(msg: Message) -> dict:
    try:
        value = msgpack.unpackb(msg.content["config"][FIELD], raw=False)
    except (KeyError, TypeError, ValueError, msgpack.ExtraData) as exc:
        raise StrategyError(f"secagg message without a readable payload ({type(exc).__name__})") from exc
    if not isinstance(value, dict):
        raise StrategyError("secagg payload is not a map")
    return value


def _reply(msg: Message, payload: dict) -> Message:
    return Message(RecordDict({"config": ConfigRecord({FIELD: msgpack.packb(payload, use_bin_type=True)})}),
                   reply_to=msg)


def _load(context: Context) -> DeviceSession:
    if STATE_KEY not in context.state:
        raise StrategyError("secagg: no session on this node (its keys were never asked for this round)")
    return DeviceSession.from_bytes(context.state[STATE_KEY]["session"])


def _store(context: Context, session: DeviceSession) -> None:
    context.state[STATE_KEY] = ConfigRecord({"session": session.to_bytes()})


def keys(msg: Message, context: Context, device: str) -> Message:
    """Step 1: a fresh session for (round, family); its public keys go back."""
    payload = _payload(msg)
    session = DeviceSession(int(payload["round"]), str(payload["family"]), device)
    public = session.advertise()
    _store(context, session)
    return _reply(msg, public)


def share(msg: Message, context: Context) -> Message:
    """Step 2: encrypted shares of our two secrets, one per neighbour."""
    session = _load(context)
    out = session.share(_payload(msg))
    _store(context, session)
    return _reply(msg, {"shares": out})


def mask(context: Context, secagg: bytes, round_: int, adapter: dict[str, np.ndarray], weight: float) -> bytes:
    """Step 3 (inside the train reply): our weighted, padded adapter, masked."""
    session = _load(context)
    try:
        payload = msgpack.unpackb(secagg, raw=False)
        inbox, r_max = dict(payload["inbox"]), int(payload["r-max"])
    except (KeyError, TypeError, ValueError, msgpack.ExtraData) as exc:
        raise StrategyError(f"secagg train payload is malformed ({type(exc).__name__})") from exc
    if session.round != round_:
        raise StrategyError(f"secagg session is for round {session.round}, the train message for {round_}")
    shapes = {k: (int(np.shape(v)[0]), r_max) for k, v in adapter.items()}
    masked = session.mask(flatten(adapter, shapes, weight), inbox)
    _store(context, session)
    return masked


def unmask(msg: Message, context: Context) -> Message:
    """Step 4: shares of the survivors' seeds and of the dropped neighbours' mask keys."""
    session = _load(context)
    payload = _payload(msg)
    try:
        b_of, s_of = [str(d) for d in payload["b"]], [str(d) for d in payload["s"]]
    except (KeyError, TypeError) as exc:
        raise StrategyError(f"secagg unmask request is malformed ({type(exc).__name__})") from exc
    out = session.reveal(b_of, s_of)
    del context.state[STATE_KEY]  # answered once: the secrets of this round are gone
    return _reply(msg, out)
