"""Sealed deltas and signed updates: every bad input is rejected with one exception type."""

import os
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from cache_sync import keys
from cache_sync.correction_cache import CacheHeader, CountTable
from cache_sync.envelope import (
    EnvelopeError,
    Opener,
    key_id,
    seal,
    sign_update,
    verify_update,
)
from cache_sync.errors import CacheError
from cache_sync.merge import Aggregate, Delta

NOW = 1_790_000_000.0  # injected clock
HEADER = CacheHeader("e" * 64, 100, 2, 4)


def clock(t=NOW):
    return lambda: t


@pytest.fixture
def world():
    agg = X25519PrivateKey.from_private_bytes(bytes(range(32)))
    device = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
    other = Ed25519PrivateKey.from_private_bytes(bytes(range(64, 96)))
    opener = Opener({key_id(agg.public_key()): agg}, {"edge-1": device.public_key(), "edge-2": other.public_key()},
                    now=clock(NOW + 5))
    return agg, device, other, opener


def _seal(world, payload=b"delta", **kw):
    agg, device, *_ = world
    args = {"sender": "edge-1", "signing_key": device, "aggregator": agg.public_key(), "run": 7, "round_": 3, "seq": 3,
            "now": clock()}
    args.update(kw)
    return seal(payload, **args)


def test_seal_open_round_trip_and_header_is_bound(world):
    *_, opener = world
    env = _seal(world)
    header, payload = opener.open(env, expect_run=7)
    assert payload == b"delta" and header.sender == "edge-1" and (header.round, header.seq) == (3, 3)
    assert header.time_ms == int(NOW * 1000)
    # fixed prefix: magic, version, key id, run, round, seq, time, sender (deterministic given the clock)
    agg = world[0]
    expected = struct.pack(">3sB8sQIQQB", b"FHE", 1, key_id(agg.public_key()), 7, 3, 3, int(NOW * 1000), 6) + b"edge-1"
    assert env[: len(expected)] == expected
    # overhead over the payload: header + length + HPKE enc and tag + signature
    assert len(env) - len(b"delta") == len(expected) + 4 + 32 + 16 + 64


# a sealed envelope committed as a fixed vector: the format must keep opening it
VECTOR_PAYLOAD = b"fixed test vector payload"


def test_fixed_vector_still_opens(world):
    *_, opener = world
    here = os.path.dirname(__file__)
    with open(os.path.join(here, "envelope_vector.hex")) as f:
        vector = bytes.fromhex(f.read().strip())
    opener.now = clock(NOW + 1)
    header, payload = opener.open(vector)
    assert payload == VECTOR_PAYLOAD and header.sender == "edge-1" and header.run == 7


@pytest.mark.parametrize("case", ["tamper-header", "tamper-ciphertext", "tamper-signature", "wrong-key",
                                  "wrong-sender", "unknown-sender", "replay", "stale", "future", "truncated",
                                  "oversized", "unknown-version", "bad-magic", "padded", "wrong-run"])
def test_bad_envelopes_are_rejected_with_one_opaque_error(world, case):
    _agg, _device, other, opener = world
    env = _seal(world)
    if case == "tamper-header":
        env = env[:20] + bytes([env[20] ^ 1]) + env[21:]
    elif case == "tamper-ciphertext":
        env = env[:-80] + bytes([env[-80] ^ 1]) + env[-79:]
    elif case == "tamper-signature":
        env = env[:-1] + bytes([env[-1] ^ 1])
    elif case == "wrong-key":
        env = _seal(world, aggregator=X25519PrivateKey.generate().public_key())
    elif case == "wrong-sender":
        env = _seal(world, signing_key=other)  # signed by edge-2's key, claims edge-1
    elif case == "unknown-sender":
        env = _seal(world, sender="stranger")
    elif case == "replay":
        opener.open(env)
    elif case == "stale":
        env = _seal(world, now=clock(NOW - 3600))
    elif case == "future":
        env = _seal(world, now=clock(NOW + 3600))
    elif case == "truncated":
        env = env[:-10]
    elif case == "oversized":
        opener.max_bytes = len(env) - 1
    elif case == "unknown-version":
        env = env[:3] + bytes([9]) + env[4:]
    elif case == "bad-magic":
        env = b"XYZ" + env[3:]
    elif case == "padded":
        env = env + b"\x00"
    with pytest.raises(EnvelopeError) as err:
        opener.open(env, expect_run=8 if case == "wrong-run" else 7)
    assert str(err.value) == "envelope rejected"  # opaque for the peer
    assert err.value.reason  # precise for the log
    assert isinstance(err.value, CacheError)


def test_replay_marks_only_advance_on_success(world):
    *_, opener = world
    opener.open(_seal(world, round_=3, seq=3))
    with pytest.raises(EnvelopeError, match="rejected"):
        opener.open(_seal(world, round_=2, seq=2))
    _header, _ = opener.open(_seal(world, round_=4, seq=4))
    assert opener.high_water["edge-1"] == (4, 4)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_fuzzed_envelopes_only_raise_envelope_error(data):
    agg = X25519PrivateKey.from_private_bytes(bytes(range(32)))
    opener = Opener({key_id(agg.public_key()): agg}, {}, now=clock())
    with pytest.raises(EnvelopeError):
        opener.open(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.integers(0, 200))
def test_mutated_real_envelopes_only_raise_envelope_error(noise, position):
    agg = X25519PrivateKey.from_private_bytes(bytes(range(32)))
    device = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
    env = seal(b"x" * 50, sender="edge-1", signing_key=device, aggregator=agg.public_key(), run=0, round_=1,
               seq=1, now=clock())
    mutated = env[:position] + noise + env[position + len(noise):]
    opener = Opener({key_id(agg.public_key()): agg}, {"edge-1": device.public_key()}, now=clock())
    if mutated == env:
        return
    with pytest.raises(EnvelopeError):
        opener.open(mutated)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_fuzzed_delta_bytes_only_raise_cache_error(data):
    with pytest.raises(CacheError):
        Delta.from_bytes(data, HEADER)


def test_signed_updates_verify_and_tampering_is_refused():
    server = Ed25519PrivateKey.generate()
    signed = sign_update(b"update", signing_key=server, round_=4, version=9, now=clock())
    assert verify_update(signed, server.public_key(), expect_round=4) == (9, b"update")
    for bad in (signed[:-1] + bytes([signed[-1] ^ 1]), signed[:30] + b"X" + signed[31:], signed[:10]):
        with pytest.raises(EnvelopeError):
            verify_update(bad, server.public_key())
    with pytest.raises(EnvelopeError, match="rejected"):
        verify_update(signed, Ed25519PrivateKey.generate().public_key())
    with pytest.raises(EnvelopeError):
        verify_update(signed, server.public_key(), expect_round=5)


def test_key_files_are_private_and_rotation_keeps_a_grace_period(tmp_path):
    keys.init_keys(tmp_path, ["edge-1"])
    for path in [tmp_path / "server-signing.pem", tmp_path / "devices" / "edge-1.pem",
                 *(tmp_path / "aggregator").glob("*.pem")]:
        assert path.stat().st_mode & 0o777 == 0o600
    old_public = keys.aggregator_public(tmp_path)
    device = keys.device_signing_key(tmp_path, "edge-1")
    env = seal(b"p", sender="edge-1", signing_key=device, aggregator=old_public, run=0, round_=1, seq=1,
               now=clock())
    keys.rotate_aggregator(tmp_path, now=NOW)
    assert key_id(keys.aggregator_public(tmp_path)) != key_id(old_public)
    within = Opener(keys.load_aggregator_keys(tmp_path, grace_s=3600, now=NOW + 60),
                    keys.known_devices(tmp_path), now=clock(NOW + 1))
    assert within.open(env)[1] == b"p"  # the retired key still opens during its grace period
    after = Opener(keys.load_aggregator_keys(tmp_path, grace_s=3600, now=NOW + 7200),
                   keys.known_devices(tmp_path), now=clock(NOW + 1))
    with pytest.raises(EnvelopeError):
        after.open(env)
    os.chmod(tmp_path / "devices" / "edge-1.pem", 0o644)
    with pytest.raises(CacheError, match="chmod 600"):
        keys.device_signing_key(tmp_path, "edge-1")


def test_rejected_deltas_merge_nothing(world):
    *_, opener = world
    table = CountTable.from_corrections(HEADER, [([1, 2, 3], 4)], "edge-1", 3)
    env = _seal(world, payload=Delta("edge-1", 3, 3, table).to_bytes())
    agg = Aggregate.empty(HEADER)
    for bad in (env[:-1] + bytes([env[-1] ^ 1]), env[:50]):
        with pytest.raises(EnvelopeError):
            opener.open(bad)
    assert agg == Aggregate.empty(HEADER)
    _, payload = opener.open(env)
    assert len(agg.apply(Delta.from_bytes(payload, HEADER)).table) == 2
