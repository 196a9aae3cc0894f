"""Per-device round details on disk, so the server's history grows with rounds, not devices x rounds.

A round's history record holds, besides its totals, one entry per device: its metrics
(`nodes`, ~0.5 KB each), the bytes sent to it (`bytes_down`) and the devices dropped with
their reasons (`dropped`). Kept in the state, that is 0.5 KB x devices x rounds in memory and
in every snapshot, forever: 1,000 devices after 1,000 rounds, 0.5 GB per snapshot. So every
round's details are also written to their own file, `<state_dir>/server/rounds/round-<n>.msgpack`
(checksummed and durable, before the round's state file), and the records older than the newest
`DETAIL_ROUNDS` keep only counts (`replies`, `dropped_count`, `details: true`). What needs every
device of every round (the demo report, `fed run`'s table) reads them back with
`full_history`; a missing or damaged details file is named in a `ServerError`, never guessed.

A long-running fleet bounds the files with `keep-round-details` (`prune`): a compacted record
older than that many rounds is marked `pruned` (its totals stay), the state saying so is saved,
and only then are the files deleted, so a crash in between leaves files nobody needs, never a
record that needs a deleted file. `full_history` returns a pruned record with no devices
(`pruned: true`, its `replies` and `dropped_count` kept).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgpack

from cache_sync.durable import DamagedFile, ensure_dir, read_checked, write_checked
from cache_sync.errors import DECODE_ERRORS
from server.errors import ServerError

DETAIL_ROUNDS = 16  # records that keep their per-device details in the state (in memory and snapshots)
DETAIL_KEYS = ("nodes", "bytes_down", "dropped")
COUNT_KEYS = ("replies", "dropped_count", "details")  # what a compacted record holds instead
REMEDY = "the round's per-device numbers are lost; restore the file from a backup (the federation itself does not need it)"
_PREFIX, _SUFFIX = "round-", ".msgpack"  # a details file's name: round-<n>.msgpack


def details_path(state_dir: Path, round_: int) -> Path:
    return state_dir / "server" / "rounds" / f"{_PREFIX}{round_}{_SUFFIX}"


def write_details(state_dir: Path, record: dict) -> Path:
    """Write a record's per-device parts to its round's details file (replacing a file a crashed
    run of the same round left, and the temporary files a killed write of it left)."""
    path = details_path(state_dir, int(record["round"]))
    ensure_dir(path.parent)
    for leftover in path.parent.glob(f".{path.name}.tmp-*"):  # cache_sync.durable.temp_sibling's names
        leftover.unlink(missing_ok=True)
    write_checked(path, msgpack.packb({"round": record["round"], **{k: record.get(k) for k in DETAIL_KEYS}},
                                      use_bin_type=True))
    return path


def compact(history: list[dict], state_dir: Path, keep: int | None = None) -> int | None:
    """Drop the per-device details of every record but the newest `keep` (default
    DETAIL_ROUNDS), writing the details file first where it is missing (states saved before
    this module); returns the index of the first record changed, None when none was."""
    keep = DETAIL_ROUNDS if keep is None else keep
    first = None
    for i, record in enumerate(history[: max(0, len(history) - keep)]):
        if record.get("details") or record.get("pruned"):
            continue
        if not details_path(state_dir, int(record["round"])).exists():
            write_details(state_dir, record)
        record["replies"] = len(record.get("nodes") or {})
        record["dropped_count"] = len(record.get("dropped") or [])
        for key in DETAIL_KEYS:
            record.pop(key, None)
        record["details"] = True
        first = i if first is None else first
    return first


def prune(history: list[dict], keep: int) -> int | None:
    """Mark every compacted record older than the newest `keep` rounds `pruned` (its details
    file may then go: `delete_pruned`, after the state is saved); returns the index of the first
    record changed, None when none was. Records still holding their details are left alone."""
    if keep <= 0 or not history:
        return None
    cutoff = int(history[-1]["round"]) - keep  # rounds <= cutoff lose their details
    first = None
    for i, record in enumerate(history):
        if int(record["round"]) > cutoff:
            break
        if record.get("details"):
            del record["details"]
            record["pruned"] = True
            first = i if first is None else first
    return first


def delete_pruned(history: list[dict], state_dir: Path) -> None:
    """Delete the details files of the pruned records (and of rounds no record has any more);
    call after the state that marks them is saved. Lists the folder rather than trying every
    pruned round: the folder holds the kept rounds, while the pruned ones grow with the run."""
    needed = {int(r["round"]) for r in history if not r.get("pruned")}
    last = int(history[-1]["round"])
    for path in details_path(state_dir, last).parent.glob(f"{_PREFIX}*{_SUFFIX}"):
        number = path.name[len(_PREFIX):-len(_SUFFIX)]
        if number.isdigit() and int(number) not in needed and int(number) <= last:
            path.unlink(missing_ok=True)


def read_details(state_dir: Path, round_: int) -> dict:
    path = details_path(state_dir, round_)
    if not path.exists():
        raise ServerError(f"{path}: the per-device details of round {round_} are missing ({REMEDY})")
    try:
        raw = msgpack.unpackb(read_checked(path, REMEDY), raw=False, strict_map_key=False)
        ok = (isinstance(raw, dict) and raw.get("round") == round_ and isinstance(raw.get("nodes"), dict)
              and isinstance(raw.get("bytes_down"), dict) and isinstance(raw.get("dropped"), list))
    except DamagedFile as exc:
        raise ServerError(str(exc)) from exc
    except DECODE_ERRORS as exc:
        raise ServerError(f"{path}: not a round details file ({type(exc).__name__}: {exc}; {REMEDY})") from exc
    if not ok:
        raise ServerError(f"{path}: not the per-device details of round {round_} ({REMEDY})")
    return {k: raw[k] for k in DETAIL_KEYS}


def full_history(history: list[dict], state_dir: Path) -> Iterator[dict]:
    """Every record with its per-device details, read back from disk where compacted: lazily,
    one round file at a time, so a single pass (`fedhybrid.report.tier_rows`) never holds more
    than one round's devices; the records in `history` are not changed."""
    for record in history:
        if record.get("details"):
            rest = {k: v for k, v in record.items() if k not in COUNT_KEYS}
            record = {**rest, **read_details(state_dir, int(record["round"]))}
        elif record.get("pruned"):  # details deleted (`keep-round-details`): no device to report
            record = {**record, "nodes": {}, "bytes_down": {}, "dropped": []}
        yield record
