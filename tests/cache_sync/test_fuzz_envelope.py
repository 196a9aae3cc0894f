"""Property-based fuzzing of the envelope opener and the signed-update verifier (hypothesis).

Inputs: random bytes (and values that are not bytes at all), and real envelopes and signed
updates (keys and a fixed clock as in tests/cache_sync/test_envelope.py) damaged by bit flips
anywhere, byte sets, inserts, deletes, truncation, extension, and header fields re-packed with
other values (version, key id, run, round, seq, time, sender and its length, the HPKE length).

`Opener.open` and `verify_update` may only raise `EnvelopeError`, and nothing damaged is ever
accepted: the only input that returns a payload is the untouched envelope (or update), and it
returns the original payload and header.
"""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import event, given
from hypothesis import strategies as st

from cache_sync.envelope import EnvelopeError, Opener, key_id, seal, sign_update, verify_update
from tests.fuzzing import byte_mutations, examples

# the wire formats, as the envelope module's docstring documents them
ENVELOPE_HEADER = struct.Struct(">3sB8sQIQQB")  # magic, version, key id, run, round, seq, time ms, sender length
UPDATE_HEADER = struct.Struct(">3sB8sIQQ")  # magic, version, key id, round, cache version, time ms
NOW = 1_790_000_000.0  # injected clock
AGGREGATOR = X25519PrivateKey.from_private_bytes(bytes(range(32)))
DEVICE = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(64, 96)))
SERVER = Ed25519PrivateKey.from_private_bytes(bytes(range(96, 128)))
PAYLOAD = b"\x84\xa6device\xa6edge-1" + bytes(range(64))  # a msgpack-looking delta
UPDATE_PAYLOAD = b"signed cache update " * 3

ENVELOPE = seal(PAYLOAD, sender="edge-1", signing_key=DEVICE, aggregator=AGGREGATOR.public_key(), run=7, round_=3,
                seq=3, now=lambda: NOW)
UPDATE = sign_update(UPDATE_PAYLOAD, signing_key=SERVER, round_=4, version=9, now=lambda: NOW)
HEADER_END = ENVELOPE_HEADER.size + len("edge-1")



def _opener() -> Opener:
    """A fresh opener (no replay marks) that knows both devices, at the envelope's time + 5 s."""
    return Opener({key_id(AGGREGATOR.public_key()): AGGREGATOR},
                  {"edge-1": DEVICE.public_key(), "edge-2": OTHER.public_key()}, now=lambda: NOW + 5)


def test_the_untouched_envelope_and_update_are_accepted():
    header, payload = _opener().open(ENVELOPE, expect_run=7, expect_sender="edge-1")
    assert payload == PAYLOAD and (header.sender, header.run, header.round, header.seq) == ("edge-1", 7, 3, 3)
    assert verify_update(UPDATE, SERVER.public_key(), expect_round=4) == (9, UPDATE_PAYLOAD)


# -- damage ----------------------------------------------------------------------------------------


U64 = st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([0, 1, 2, 3, 4, 6, 7, 8, 2**63, 2**64 - 1]))


@st.composite
def header_changes(draw) -> bytes:
    """The envelope with header fields re-packed (signature and HPKE bytes unchanged)."""
    magic, version, kid, run, round_, seq, time_ms, sender_len = ENVELOPE_HEADER.unpack_from(ENVELOPE)
    sender = ENVELOPE[ENVELOPE_HEADER.size:HEADER_END]
    fields = draw(st.sets(st.sampled_from(["magic", "version", "kid", "run", "round", "seq", "time", "sender",
                                           "sender_len", "hpke_len"]), min_size=1))
    if "magic" in fields:
        magic = draw(st.sampled_from([b"FHU", b"FHC", b"fhe", b"\x00\x00\x00"]))
    if "version" in fields:
        version = draw(st.integers(0, 255))
    if "kid" in fields:
        kid = draw(st.one_of(st.binary(min_size=8, max_size=8), st.just(key_id(DEVICE.public_key())[:8])))
    if "run" in fields:
        run = draw(U64)
    if "round" in fields:
        round_ = draw(st.integers(0, 2**32 - 1))
    if "seq" in fields:
        seq = draw(U64)
    if "time" in fields:
        time_ms = draw(st.one_of(U64, st.integers(int(NOW * 1000) - 10**6, int(NOW * 1000) + 10**6)))
    if "sender" in fields:
        sender = draw(st.one_of(st.sampled_from([b"edge-2", b"edge-1 ", b"EDGE-1", b"edge-", b""]),
                                st.binary(max_size=70)))
        sender_len = len(sender) & 0xFF
    if "sender_len" in fields:
        sender_len = draw(st.integers(0, 255))
    body = ENVELOPE[HEADER_END:]
    if "hpke_len" in fields:
        body = struct.pack(">I", draw(st.integers(0, 2**32 - 1))) + body[4:]
    return ENVELOPE_HEADER.pack(magic, version, kid, run, round_, seq, time_ms, sender_len) + sender + body


NOT_BYTES = st.one_of(st.none(), st.integers(), st.text(max_size=20), st.lists(st.integers(0, 255), max_size=20),
                      st.binary(max_size=40).map(memoryview))


# -- the opener ------------------------------------------------------------------------------------


def _open(data, **expect):
    """Open `data` with a fresh opener; None when it is rejected with EnvelopeError."""
    try:
        header, payload = _opener().open(data, **expect)
    except EnvelopeError as exc:
        assert str(exc) == "envelope rejected" and exc.reason  # opaque for the peer, precise for the log
        event("rejected")
        return None
    event("accepted")
    return header, payload


@examples(1000)
@given(data=st.one_of(st.binary(max_size=400), NOT_BYTES,
                      st.binary(max_size=300).map(lambda tail: ENVELOPE[:HEADER_END] + tail)))
def test_opener_on_random_input_only_raises_envelope_error(data):
    assert _open(data) is None


@examples(1500)
@given(data=st.one_of(byte_mutations(ENVELOPE, 8), byte_mutations(ENVELOPE, 8).map(bytearray), header_changes()),
       expect=st.fixed_dictionaries({}, optional={"expect_run": st.sampled_from([7, 8]),
                                                  "expect_sender": st.sampled_from(["edge-1", "edge-2"])}))
def test_opener_accepts_no_damaged_envelope(data, expect):
    opened = _open(data, **expect)
    if bytes(data) != ENVELOPE:
        assert opened is None, f"a damaged envelope was accepted: {bytes(data)!r} -> {opened!r}"
    elif opened is not None:
        assert opened[1] == PAYLOAD and (opened[0].sender, opened[0].run) == ("edge-1", 7)


# -- the signed-update verifier --------------------------------------------------------------------


@st.composite
def update_header_changes(draw) -> bytes:
    """The signed update with header fields re-packed (payload and signature unchanged)."""
    magic, version, kid, round_, cache_version, time_ms = UPDATE_HEADER.unpack_from(UPDATE)
    fields = draw(st.sets(st.sampled_from(["magic", "version", "kid", "round", "cache_version", "time"]),
                          min_size=1))
    if "magic" in fields:
        magic = draw(st.sampled_from([b"FHE", b"FHC", b"fhu", b"\x00\x00\x00"]))
    if "version" in fields:
        version = draw(st.integers(0, 255))
    if "kid" in fields:
        kid = draw(st.one_of(st.binary(min_size=8, max_size=8), st.just(key_id(AGGREGATOR.public_key()))))
    if "round" in fields:
        round_ = draw(st.integers(0, 2**32 - 1))
    if "cache_version" in fields:
        cache_version = draw(U64)
    if "time" in fields:
        time_ms = draw(U64)
    return UPDATE_HEADER.pack(magic, version, kid, round_, cache_version, time_ms) + UPDATE[UPDATE_HEADER.size:]


def _verify(data, **expect):
    try:
        result = verify_update(data, SERVER.public_key(), **expect)
    except EnvelopeError as exc:
        assert str(exc) == "envelope rejected" and exc.reason
        event("rejected")
        return None
    event("accepted")
    return result


@examples(1000)
@given(data=st.one_of(st.binary(max_size=300), NOT_BYTES,
                      st.binary(max_size=200).map(lambda tail: UPDATE[:UPDATE_HEADER.size] + tail)))
def test_verify_update_on_random_input_only_raises_envelope_error(data):
    assert _verify(data) is None


@examples(1000)
@given(data=st.one_of(byte_mutations(UPDATE, 8), byte_mutations(UPDATE, 8).map(bytearray), update_header_changes()),
       expect_round=st.sampled_from([None, 4, 5]))
def test_verify_update_accepts_no_damaged_update(data, expect_round):
    verified = _verify(data, expect_round=expect_round)
    if bytes(data) != UPDATE:
        assert verified is None, f"a damaged update was accepted: {bytes(data)!r} -> {verified!r}"
    elif verified is not None:
        assert verified == (9, UPDATE_PAYLOAD)
