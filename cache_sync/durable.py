"""Durable and checksummed files: what every persisted state and key file is written with.

Durable write (`write_durable`): the bytes go to a temporary file in the same folder,
which is flushed and fsync'd, then `os.replace`d over the destination, then the folder
is fsync'd. A crash at any point leaves either the old file or the new one, never a mix,
and once the call returns the new file survives a power cut (the rename is only on disk
after the folder's fsync).

Checked format (`write_checked` / `read_checked`), big-endian:

    "FHC" | format version (1) | payload length (8) | sha256 of the payload (32) | payload

The length lets a reader say "truncated" rather than only "checksum mismatch". Every
single flipped bit and every truncation is detected; `read_checked` raises `DamagedFile`
(a `CacheError`) naming the file, what is wrong with it and what to do.

`replace_folder` does the same for a whole folder (a PEFT adapter written by a library
into a temporary folder), with one window where the destination is briefly absent but
never half-written.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import struct
from pathlib import Path

from cache_sync.errors import CacheError

MAGIC = b"FHC"
FORMAT_VERSION = 1
_HEADER = struct.Struct(">3sBQ32s")  # magic, format version, payload length, sha256
HEADER_SIZE = _HEADER.size
DEFAULT_REMEDY = "restore it from a backup, or delete it so that it is rebuilt"


class DamagedFile(CacheError):
    """A checked file that is missing, unreadable, truncated, of another format or fails its checksum."""

    def __init__(self, path: Path | str, problem: str, remedy: str = DEFAULT_REMEDY):
        super().__init__(f"{path} {problem}: {remedy}")
        self.path, self.problem = Path(path), problem


def fsync_dir(folder: Path | str) -> None:
    """Make the folder's entries (renames, new files) durable."""
    if os.name != "posix":  # a folder cannot be opened for fsync on Windows; NTFS journals the rename itself
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_dir(folder: Path | str) -> None:
    """Create `folder` and missing parents, each new entry made durable in its parent."""
    folder = Path(folder)
    if folder.is_dir():
        return
    ensure_dir(folder.parent)
    folder.mkdir(exist_ok=True)
    fsync_dir(folder.parent)


def temp_sibling(path: Path, kind: str = "tmp") -> Path:
    """A fresh hidden name next to `path` (same folder, so a rename is atomic; random, so two
    writers never share a temporary file)."""
    return path.parent / f".{path.name}.{kind}-{secrets.token_hex(4)}"


def write_durable(path: Path | str, data: bytes, mode: int | None = None) -> None:
    """Replace `path` with `data` atomically and durably (the folder must exist: `ensure_dir`).

    `mode`: exact permission bits (0o600 for private keys, set before any byte is written);
    None leaves the usual 0o666 minus the umask.
    """
    path = Path(path)
    tmp = temp_sibling(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            if mode is not None:
                os.fchmod(fh.fileno(), mode)  # the umask may have taken bits the caller asked for
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # the destination is untouched; leave no temporary file behind
        raise
    fsync_dir(path.parent)


def frame(payload: bytes) -> bytes:
    """`payload` in the checked format."""
    return _HEADER.pack(MAGIC, FORMAT_VERSION, len(payload), hashlib.sha256(payload).digest()) + payload


def is_framed(data: bytes) -> bool:
    return data[:len(MAGIC)] == MAGIC


def unframe(data: bytes, source: Path | str, remedy: str = DEFAULT_REMEDY) -> bytes:
    """The verified payload of checked bytes read from `source` (named in the error)."""
    if not data:
        raise DamagedFile(source, "is empty (truncated to 0 bytes)", remedy)
    if not MAGIC.startswith(data[:len(MAGIC)]):
        raise DamagedFile(source, f"is not a fedhybrid checked file (it starts with {data[:8]!r}, expected "
                                  f"{MAGIC!r}; written by another program or an older fedhybrid?)", remedy)
    if len(data) < HEADER_SIZE:
        raise DamagedFile(source, f"is truncated inside its header ({len(data)} of {HEADER_SIZE} bytes)", remedy)
    _, version, length, digest = _HEADER.unpack_from(data)
    if version != FORMAT_VERSION:
        raise DamagedFile(source, f"has checked-file format version {version}, this fedhybrid reads "
                                  f"{FORMAT_VERSION}", remedy)
    payload = data[HEADER_SIZE:]
    if len(payload) < length:
        raise DamagedFile(source, f"is truncated ({len(payload)} of {length} payload bytes)", remedy)
    if len(payload) > length:
        raise DamagedFile(source, f"has {len(payload) - length} bytes more than its header declares "
                                  f"({length})", remedy)
    if hashlib.sha256(payload).digest() != digest:
        raise DamagedFile(source, "fails its checksum (the sha256 of its payload differs from the stored one)",
                          remedy)
    return payload


def write_checked(path: Path | str, payload: bytes, mode: int | None = None) -> None:
    """`write_durable` of `payload` in the checked format."""
    write_durable(path, frame(payload), mode)


def read_checked(path: Path | str, remedy: str = DEFAULT_REMEDY) -> bytes:
    """The payload of a file written by `write_checked`; `DamagedFile` names what is wrong."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise DamagedFile(path, "is missing", remedy) from None
    except OSError as exc:
        raise DamagedFile(path, f"cannot be read ({exc.strerror or exc})", remedy) from exc
    return unframe(data, path, remedy)


def _fsync_tree(folder: Path) -> None:
    for root, _, files in os.walk(folder):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(root)


def replace_folder(tmp: Path, dest: Path) -> None:
    """Move the complete folder `tmp` (a `temp_sibling` of `dest`) to `dest`, durably.

    A folder cannot be renamed over a non-empty one, so an existing `dest` is first moved
    aside and removed afterwards: a crash leaves `dest` either old, new or absent (the old
    one then sits under a hidden `.old-` name), never partly written.
    """
    _fsync_tree(tmp)
    old = None
    if dest.exists():
        old = temp_sibling(dest, "old")
        os.replace(dest, old)
    os.replace(tmp, dest)
    fsync_dir(dest.parent)
    if old is not None:
        shutil.rmtree(old)
