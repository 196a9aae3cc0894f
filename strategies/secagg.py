"""Secure aggregation of adapter updates: the server learns only their sum.

SecAgg+ (Bell, Bonawitz, Gascon, Lepoint, Raykova, "Secure Single-Server Aggregation with
(Poly)Logarithmic Overhead", CCS 2020, ePrint 2020/704), built on SecAgg (Bonawitz et al.,
"Practical Secure Aggregation for Privacy-Preserving Machine Learning", CCS 2017, ePrint
2017/281). Both roles are pure state machines here; the Flower messages that carry them
are in server/secure_round.py and clients/app.py.

One instance per (round, model family). The devices of the family are placed on a ring
in an order drawn from (seed, round, family); each is a neighbour of the k/2 devices on
either side (a Harary graph, k = 2 ceil(2 log2 n), the whole group when that is >= n - 1).
Per round, each device u:
1. advertises two fresh X25519 public keys: c_u (to encrypt shares) and s_u (masks);
2. Shamir-shares (threshold t, `strategies.shamir`) its self-mask seed b_u and its mask
   private key s_u^SK among its neighbours, each share encrypted with AES-GCM under
   HKDF(X25519(c_u, c_v)) and routed through the server;
3. sends y_u = q(x_u) + PRG(b_u) + sum_{v in N(u)} sign(u, v) PRG(s_uv)   (mod 2^64),
   x_u being its weighted, zero-padded adapter (`flatten`), q a fixed-point code with
   2^-32 resolution, PRG AES-256-CTR, s_uv = HKDF(X25519(s_u, s_v)), sign +1 when u comes
   before v on the ring, so pairwise masks cancel in the sum;
4. for the devices still there (U3) reveals its shares of b_v; for neighbours that
   dropped after step 2 its shares of s_v^SK; never both for one device.
The server rebuilds the b_v of U3 and the s^SK of the dropped from t shares each, removes
PRG(b_v) and the dropped devices' unmatched pairwise masks, and reads the sum. Any
single y_u is uniform on Z_{2^64}^L to the server (the pairwise masks remain even after
b_u is revealed). Threat model: an honest-but-curious server and devices; t > k/2 by
default (`threshold_fraction` 0.5), so no device's two secrets can both be rebuilt by
the server from one honest neighbourhood. A family with one device in a round gets no
masks: the sum of one update is that update (the server app logs a warning).
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field

import msgpack
import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from strategies import shamir
from strategies.errors import StrategyError

SCALE_BITS = 32  # fixed point: 2^-32 resolution, sums exact mod 2^64
MAX_ABS = 2.0**30  # |weighted value| a device may send: n * 2^30 stays far inside +-2^63 / 2^32
RAW = serialization.Encoding.Raw


@dataclass(frozen=True)
class SecAggConfig:
    threshold_fraction: float = 0.5  # t = floor(fraction x k) + 1 of a device's k neighbours
    degree: int = 0  # neighbours per device; 0: 2 ceil(2 log2 n) (SecAgg+'s O(log n))

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold_fraction < 1.0:
            raise StrategyError(f"secagg threshold fraction {self.threshold_fraction} must lie in (0, 1)")
        if self.degree < 0:
            raise StrategyError(f"secagg degree {self.degree} must be >= 0 (0: automatic)")

    def degree_for(self, n: int) -> int:
        k = self.degree or 2 * math.ceil(2 * math.log2(max(n, 2)))
        return n - 1 if k >= n - 1 else k + (k % 2)  # a ring needs an even degree

    def threshold_for(self, k: int) -> int:
        return min(k, int(self.threshold_fraction * k) + 1) if k else 0


# -- shared pieces ---------------------------------------------------------------------------------
def ring(devices: list[str], seed: int, round_: int, family: str) -> list[str]:
    """The devices in ring order, drawn from (seed, round, family): the same on every side."""
    return sorted(set(devices), key=lambda d: hashlib.sha256(f"{seed}/{round_}/{family}/{d}".encode()).digest())


def neighbours(order: list[str], k: int) -> dict[str, list[str]]:
    n = len(order)
    if k >= n - 1:
        return {d: [v for v in order if v != d] for d in order}
    half = k // 2
    return {d: sorted({order[(i + j) % n] for j in range(-half, half + 1) if j}) for i, d in enumerate(order)}


def prg(key: bytes, length: int) -> np.ndarray:
    """`length` uniform uint64 from a 32-byte key: the AES-256-CTR keystream."""
    stream = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor().update(bytes(8 * length))
    return np.frombuffer(stream, dtype="<u8")


def _kdf(secret: bytes, purpose: str, round_: int, family: str) -> bytes:
    return HKDF(hashes.SHA256(), 32, None, f"fedhybrid secagg {purpose}|{round_}|{family}".encode()).derive(secret)


def _agree(private: bytes, public: bytes) -> bytes:
    try:
        return X25519PrivateKey.from_private_bytes(private).exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError as exc:
        raise StrategyError(f"secagg key agreement failed ({exc}): a public key is malformed") from exc


def _keypair() -> tuple[bytes, bytes]:
    key = X25519PrivateKey.generate()
    return (key.private_bytes(RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()),
            key.public_key().public_bytes(RAW, serialization.PublicFormat.Raw))


def _mask_key(s_private: bytes, s_public_other: bytes, round_: int, family: str) -> bytes:
    return _kdf(_agree(s_private, s_public_other), "mask", round_, family)


def quantize(values: np.ndarray) -> np.ndarray:
    """float vector -> uint64 fixed point (two's complement), refusing what would overflow."""
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).all():
        raise StrategyError("the update holds NaN or Inf: nothing is sent")
    if values.size and float(np.abs(values).max()) > MAX_ABS:
        raise StrategyError(f"the weighted update exceeds +-{MAX_ABS:.0e}: lower the weight or clip the update")
    return np.round(values * 2.0**SCALE_BITS).astype(np.int64).view(np.uint64)


def dequantize(total: np.ndarray) -> np.ndarray:
    return total.view(np.int64).astype(np.float64) / 2.0**SCALE_BITS


def flatten(adapter: dict[str, np.ndarray], shapes: dict[str, tuple[int, int]], weight: float) -> np.ndarray:
    """weight x (each B zero-padded to (d_out, r_max)), keys sorted, then the weight itself:
    the vector whose sum over a family gives the frozen-A weighted average (lora_math)."""
    if set(adapter) != set(shapes):
        raise StrategyError(f"adapter keys differ from the family's ({len(adapter)} vs {len(shapes)} keys)")
    parts = []
    for key in sorted(shapes):
        d_out, r_max = shapes[key]
        b = np.asarray(adapter[key], dtype=np.float64)
        if b.ndim != 2 or b.shape[0] != d_out or not 1 <= b.shape[1] <= r_max:
            raise StrategyError(f"{key} has shape {b.shape}, expected ({d_out}, r <= {r_max})")
        padded = np.zeros((d_out, r_max))
        padded[:, : b.shape[1]] = b
        parts.append((weight * padded).ravel())
    return np.concatenate([*parts, np.array([weight], dtype=np.float64)])


def vector_length(shapes: dict[str, tuple[int, int]]) -> int:
    return sum(d * r for d, r in shapes.values()) + 1


def unflatten(total: np.ndarray, shapes: dict[str, tuple[int, int]]) -> tuple[dict[str, np.ndarray], float]:
    """The summed vector -> (sum of weighted B per key, total weight)."""
    out, at = {}, 0
    for key in sorted(shapes):
        d_out, r_max = shapes[key]
        out[key] = total[at: at + d_out * r_max].reshape(d_out, r_max)
        at += d_out * r_max
    return out, float(total[at])


# -- the device's side -------------------------------------------------------------------------------
@dataclass
class DeviceSession:
    """One device's secrets and view for one (round, family); serialised between messages."""

    round: int
    family: str
    device: str
    c_sk: bytes = b""
    s_sk: bytes = b""
    b: bytes = b""
    threshold: int = 0
    positions: dict[str, int] = field(default_factory=dict)  # self and neighbours -> ring position
    keys: dict[str, list[bytes]] = field(default_factory=dict)  # neighbour -> [c_pk, s_pk]
    inbox: dict[str, bytes] = field(default_factory=dict)  # neighbour -> its encrypted shares for us
    masked: bool = False

    def advertise(self) -> dict:
        """Step 1: fresh key pairs; returns the public keys."""
        self.c_sk, c_pk = _keypair()
        self.s_sk, s_pk = _keypair()
        return {"c_pk": c_pk, "s_pk": s_pk}

    def share(self, offer: dict) -> dict:
        """Step 2: `offer` = {threshold, positions, keys}; returns {neighbour: ciphertext}."""
        try:
            self.threshold = int(offer["threshold"])
            self.positions = {str(d): int(p) for d, p in offer["positions"].items()}
            self.keys = {str(d): [bytes(k[0]), bytes(k[1])] for d, k in offer["keys"].items()}
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise StrategyError(f"secagg share request is malformed ({type(exc).__name__}: {exc})") from exc
        if self.device not in self.positions or set(self.keys) - set(self.positions) or self.device in self.keys:
            raise StrategyError("secagg share request does not place this device and its neighbours")
        if not self.keys:
            return {}
        if len(self.keys) < self.threshold:
            raise StrategyError(f"secagg: {len(self.keys)} neighbours cannot hold shares of threshold "
                                f"{self.threshold}")
        self.b = os.urandom(32)
        holders = {v: self.positions[v] + 1 for v in self.keys}
        b_shares = shamir.split(self.b, list(holders.values()), self.threshold)
        s_shares = shamir.split(self.s_sk, list(holders.values()), self.threshold)
        out = {}
        for v, x in holders.items():
            key = _kdf(_agree(self.c_sk, self.keys[v][0]), "share", self.round, self.family)
            nonce = os.urandom(12)
            plain = msgpack.packb([self.device, v, b_shares[x], s_shares[x]], use_bin_type=True)
            out[v] = nonce + AESGCM(key).encrypt(nonce, plain, self._aad(self.device, v))
        return out

    def mask(self, values: np.ndarray, inbox: dict[str, bytes]) -> bytes:
        """Step 3: y = q(values) + PRG(b) + signed pairwise masks with every neighbour that
        sent us shares (the server forwards exactly those)."""
        unknown = set(inbox) - set(self.keys)
        if unknown:
            raise StrategyError(f"secagg: shares from non-neighbours {sorted(unknown)[:3]}")
        self.inbox = {str(u): bytes(ct) for u, ct in inbox.items()}
        y = quantize(values)
        if self.keys:  # a group of one has nothing to hide its update behind
            y = y + prg(self.b, y.size)
            me = self.positions[self.device]
            for v in sorted(self.inbox):
                m = prg(_mask_key(self.s_sk, self.keys[v][1], self.round, self.family), y.size)
                y = y + m if me < self.positions[v] else y - m
        self.masked = True
        return y.astype("<u8").tobytes()

    def reveal(self, b_of: list[str], s_of: list[str]) -> dict:
        """Step 4: our shares of b for the survivors `b_of`, of s^SK for the dropped `s_of`."""
        if not self.masked:
            raise StrategyError("secagg: asked to unmask before this device sent its masked update")
        both = set(b_of) & set(s_of)
        if both:
            raise StrategyError(f"secagg: asked for both secrets of {sorted(both)[:3]}: refused")
        if self.device in s_of:
            raise StrategyError("secagg: asked for this device's own mask key: refused")
        outside = (set(b_of) | set(s_of)) - set(self.inbox) - {self.device}
        if outside:
            raise StrategyError(f"secagg: asked for shares this device does not hold ({sorted(outside)[:3]})")
        alive = len(set(b_of) - {self.device}) + 1
        if alive < self.threshold:
            raise StrategyError(f"secagg: only {alive} devices of this neighbourhood survive, fewer than the "
                                f"threshold {self.threshold}: refusing to unmask")
        out: dict[str, dict[str, bytes]] = {"b": {}, "s": {}}
        for which, names in (("b", b_of), ("s", s_of)):
            for u in names:
                if u == self.device:
                    continue
                b_share, s_share = self._open(u)
                out[which][u] = b_share if which == "b" else s_share
        return out

    def _open(self, u: str) -> tuple[bytes, bytes]:
        key = _kdf(_agree(self.c_sk, self.keys[u][0]), "share", self.round, self.family)
        ct = self.inbox[u]
        try:
            sender, receiver, b_share, s_share = msgpack.unpackb(
                AESGCM(key).decrypt(ct[:12], ct[12:], self._aad(u, self.device)), raw=False)
        except (InvalidTag, ValueError, TypeError) as exc:
            raise StrategyError(f"secagg: the shares from {u} do not authenticate: refused") from exc
        if (sender, receiver) != (u, self.device):
            raise StrategyError(f"secagg: the shares from {u} name {sender} -> {receiver}")
        return bytes(b_share), bytes(s_share)

    def _aad(self, sender: str, receiver: str) -> bytes:
        return f"{self.round}|{self.family}|{sender}|{receiver}".encode()

    def to_bytes(self) -> bytes:
        return msgpack.packb(self.__dict__, use_bin_type=True)

    @staticmethod
    def from_bytes(data: bytes) -> DeviceSession:
        try:
            return DeviceSession(**msgpack.unpackb(data, raw=False))
        except (ValueError, TypeError, msgpack.ExtraData) as exc:
            raise StrategyError(f"secagg session state is unreadable ({type(exc).__name__})") from exc


# -- the server's side -------------------------------------------------------------------------------
class ServerSession:
    """The server's view of one (round, family): routes keys and shares, reads the sum."""

    def __init__(self, cfg: SecAggConfig, round_: int, family: str, devices: list[str], seed: int,
                 shapes: dict[str, tuple[int, int]]):
        self.round, self.family, self.shapes = round_, family, shapes
        self.order = ring(devices, seed, round_, family)
        self.k = cfg.degree_for(len(self.order))
        self.threshold = cfg.threshold_for(self.k)
        self.graph = neighbours(self.order, self.k)
        self.position = {d: i for i, d in enumerate(self.order)}
        self.length = vector_length(shapes)
        self.keys: dict[str, tuple[bytes, bytes]] = {}  # U1
        self.outbox: dict[str, dict[str, bytes]] = {}  # U2: sender -> receiver -> ciphertext
        self.masked: set[str] = set()  # U3
        self.total = np.zeros(self.length, dtype=np.uint64)  # sum of their masked updates, mod 2^64
        self.excluded: list[tuple[str, str]] = []  # (device, why) left out along the way

    def offers(self, keys: dict[str, dict]) -> dict[str, dict]:
        """Step 1 replies in; per device of U1, what it needs to share its secrets."""
        for d, pk in keys.items():
            try:
                c_pk, s_pk = bytes(pk["c_pk"]), bytes(pk["s_pk"])
            except (KeyError, TypeError) as exc:
                self.excluded.append((d, f"malformed keys ({type(exc).__name__})"))
                continue
            if d in self.position and len(c_pk) == len(s_pk) == 32:
                self.keys[d] = (c_pk, s_pk)
            else:
                self.excluded.append((d, "keys of a foreign device or of the wrong size"))
        out = {}
        for d in self.keys:
            near = [v for v in self.graph[d] if v in self.keys]
            if self.k and len(near) < self.threshold:
                self.excluded.append((d, f"{len(near)} neighbours answered, fewer than the threshold {self.threshold}"))
                continue
            out[d] = {"threshold": self.threshold, "positions": {v: self.position[v] for v in [d, *near]},
                      "keys": {v: list(self.keys[v]) for v in near}}
        return out

    def route(self, shares: dict[str, dict]) -> dict[str, dict[str, bytes]]:
        """Step 2 replies in; per device of U2, the ciphertexts addressed to it (from U2)."""
        for u, cts in shares.items():
            expected = {v for v in self.graph.get(u, []) if v in self.keys}
            if u not in self.keys or set(cts) != expected or not all(isinstance(c, bytes) for c in cts.values()):
                self.excluded.append((u, "shares missing, extra or malformed"))
                continue
            self.outbox[u] = dict(cts)
        return {v: {u: cts[v] for u, cts in self.outbox.items() if v in cts} for v in self.outbox}

    def add(self, u: str, y: bytes) -> bool:
        """One step-3 reply in, added to the running sum at once (nothing per device is
        kept); False (and the device left out) when it is not a valid masked update."""
        if u not in self.outbox or u in self.masked or not isinstance(y, bytes) or len(y) != 8 * self.length:
            size = len(y) if isinstance(y, bytes) else "?"
            why = f"masked update of {size} bytes, expected {8 * self.length} from a device that shared its secrets"
            self.excluded.append((u, why if u not in self.masked else "a second masked update"))
            return False
        self.total += np.frombuffer(y, dtype="<u8")
        self.masked.add(u)
        return True

    def collect(self, masked: dict[str, bytes] | None = None) -> dict[str, dict[str, list[str]]]:
        """Step 3 closed (after `add`, or with the replies here); per device of U3, whose
        shares to reveal."""
        for u, y in (masked or {}).items():
            self.add(u, y)
        survivors = self.masked
        return {u: {"b": sorted(v for v in self.graph[u] if v in survivors and v in self.outbox),
                    "s": sorted(v for v in self.graph[u] if v in self.outbox and v not in survivors)}
                for u in sorted(survivors)}

    @property
    def dropped(self) -> list[str]:
        """Devices that shared their secrets but sent no (usable) masked update."""
        return sorted(set(self.outbox) - set(self.masked))

    def unmask(self, answers: dict[str, dict]) -> tuple[dict[str, np.ndarray], float, list[str]]:
        """Step 4 replies in; (sum of weighted padded B per key, total weight, contributors)."""
        if not self.masked:
            raise StrategyError(f"secagg {self.family} round {self.round}: no masked update arrived")
        total = self.total.copy()
        if self.k:
            b_shares, s_shares = self._gather(answers)
            for u in self.masked:
                total -= prg(self._rebuild(b_shares, u, "self-mask seed"), self.length)
            for d in self.dropped:
                s_sk = self._rebuild(s_shares, d, "mask key")
                for u in self.graph[d]:
                    if u in self.masked:  # u masked with d: +PRG when u precedes d on the ring
                        m = prg(_mask_key(s_sk, self.keys[u][1], self.round, self.family), self.length)
                        total = total - m if self.position[u] < self.position[d] else total + m
        weighted, weight = unflatten(dequantize(total), self.shapes)
        return weighted, weight, sorted(self.masked)

    def _gather(self, answers: dict[str, dict]):
        b_shares: dict[str, dict[int, bytes]] = {}
        s_shares: dict[str, dict[int, bytes]] = {}
        for holder, answer in answers.items():
            if holder not in self.masked or not isinstance(answer, dict):
                continue
            x = self.position[holder] + 1
            for which, into in (("b", b_shares), ("s", s_shares)):
                for u, share in (answer.get(which) or {}).items():
                    if isinstance(share, bytes):
                        into.setdefault(str(u), {})[x] = share
        return b_shares, s_shares

    def _rebuild(self, shares: dict[str, dict[int, bytes]], device: str, what: str) -> bytes:
        have = shares.get(device, {})
        if len(have) < self.threshold:
            raise StrategyError(f"secagg {self.family} round {self.round}: {len(have)} shares of the {what} of "
                                f"{device} came back, {self.threshold} are needed (too many dropouts)")
        return shamir.combine(have, self.threshold)
