"""Durable, checksummed files: what survives is exactly what was written, and damage is named."""

import os
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cache_sync.durable import (
    HEADER_SIZE,
    DamagedFile,
    ensure_dir,
    frame,
    read_checked,
    replace_folder,
    temp_sibling,
    unframe,
    write_checked,
    write_durable,
)
from cache_sync.errors import CacheError


def test_checked_file_round_trips_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "state.msgpack"
    write_checked(path, b"first")
    write_checked(path, b"second, longer payload")
    assert read_checked(path) == b"second, longer payload"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.msgpack"]


def test_empty_payload_round_trips(tmp_path):
    write_checked(tmp_path / "f", b"")
    assert read_checked(tmp_path / "f") == b""


def test_write_durable_writes_the_bytes_as_given(tmp_path):
    write_durable(tmp_path / "plain.txt", b"7")
    assert (tmp_path / "plain.txt").read_bytes() == b"7"


def test_write_durable_with_a_mode_sets_exactly_it_and_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "key.pem"
    write_durable(path, b"secret", mode=0o600)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(TypeError):
        write_durable(path, "not bytes", mode=0o600)  # fails mid-write
    assert path.read_bytes() == b"secret" and sorted(p.name for p in tmp_path.iterdir()) == ["key.pem"]


@pytest.mark.parametrize("damage, problem", [
    (lambda data: data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 0x01]) + data[len(data) // 2 + 1:],
     "fails its checksum"),
    (lambda data: data[:-3], "is truncated (37 of 40 payload bytes)"),
    (lambda data: data[:HEADER_SIZE - 1], "is truncated inside its header"),
    (lambda data: b"", "is empty"),
    (lambda data: data + b"x", "has 1 bytes more than its header declares"),
])
def test_damaged_file_is_refused_naming_the_file_and_the_damage(tmp_path, damage, problem):
    path = tmp_path / "round-3.msgpack"
    write_checked(path, bytes(range(40)))
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(DamagedFile) as caught:
        read_checked(path, remedy="resume falls back")
    assert str(path) in str(caught.value) and problem in str(caught.value)
    assert str(caught.value).endswith("resume falls back")
    assert caught.value.path == path and isinstance(caught.value, CacheError)


@pytest.mark.parametrize("content", [b"3", b"garbage", b"\x83\xa6schema\x02", b"FHC\x07" + bytes(60)])
def test_a_file_of_another_format_is_refused(tmp_path, content):
    path = tmp_path / "LATEST"
    path.write_bytes(content)
    with pytest.raises(CacheError, match="not a fedhybrid checked file|format version 7") as caught:
        read_checked(path)
    assert str(path) in str(caught.value)


def test_a_missing_file_is_refused_naming_it(tmp_path):
    with pytest.raises(CacheError, match="is missing") as caught:
        read_checked(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(caught.value)


@settings(max_examples=300, deadline=None)
@given(payload=st.binary(max_size=200), where=st.integers(min_value=0), bit=st.integers(0, 7))
def test_every_single_bit_flip_is_detected(payload, where, bit):
    data = bytearray(frame(payload))
    data[where % len(data)] ^= 1 << bit
    with pytest.raises(CacheError):  # only CacheError escapes, and it always does
        unframe(bytes(data), "f")


@settings(max_examples=300, deadline=None)
@given(payload=st.binary(max_size=200), keep=st.integers(min_value=0))
def test_every_truncation_is_detected(payload, keep):
    data = frame(payload)
    with pytest.raises(CacheError):
        unframe(data[:keep % len(data)], "f")


@settings(max_examples=200, deadline=None)
@given(garbage=st.binary(max_size=300))
def test_random_bytes_on_disk_raise_only_cache_error(garbage):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f"
        path.write_bytes(garbage)
        try:
            read_checked(path)
        except CacheError as exc:
            assert str(path) in str(exc)


def test_replace_folder_swaps_a_complete_folder_in(tmp_path):
    dest = tmp_path / "adapter"
    for version in ("old", "new"):
        tmp = temp_sibling(dest)
        tmp.mkdir()
        (tmp / "weights").write_text(version)
        replace_folder(tmp, dest)
        assert (dest / "weights").read_text() == version
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adapter"]


def test_ensure_dir_creates_missing_parents_and_a_file_can_then_be_written(tmp_path):
    folder = tmp_path / "a" / "b" / "c"
    ensure_dir(folder)
    ensure_dir(folder)  # already there: nothing to do
    write_checked(folder / "f", b"x")
    assert read_checked(folder / "f") == b"x"
