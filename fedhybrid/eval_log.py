"""A durable log of `fedhybrid eval`'s decoded outputs: an interrupted run resumes.

An eval over a user's workload decodes every request once per configuration (cloud-only,
slm-only, each policy at each threshold); over thousands of requests, or against a remote
cloud billed per token, that is hours and money. Each output is appended to
`OUT/eval.runs.jsonl` as one JSON line and fsynced before the next decode starts, so a crash,
a lost connection or Ctrl-C loses at most the request being decoded; `--resume` reads the log
back and decodes only what is missing.

The first line is the run's fingerprint: the decode settings and the identity of the models.
Each output is keyed by its configuration (a reward row's key names its head's weights) and by
its request's digest (the tokenized prompt and its privacy flag), since a request decodes alone:
a resumed run reuses every output whose configuration and request are the same, whatever the
file's order, `--limit` or ids (a quick `--limit 20` look, then the full run, decodes the 20
once), may sweep other thresholds or policies and still reuse cloud-only, and decodes what it
does not find. A log whose fingerprint differs is refused with the fields that differ, so
outputs of other models or other decode settings are never mixed into a table. Grading happens
after decoding and is not in the fingerprint: a resumed run may grade with another grader.

An output whose decode had cloud calls fail (`missed` > 0: the cloud stopped answering, so the
device's tokens stand where the cloud's should) is logged but not finished: it is never reused,
and `--resume` decodes it again once the cloud answers. A run without `--resume` moves an earlier
log that holds outputs to `eval.runs.jsonl.bak` (replacing an older one) before it starts afresh.

Torn writes: a last line without its newline is the write a crash cut short; it is dropped
(and the file truncated to the last whole line) and that request decoded again. Any other line
that does not parse is refused with its line number, nothing reused.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from inference.errors import InferenceError
from inference.model_identity import digest

LOG_NAME = "eval.runs.jsonl"
BACKUP_SUFFIX = ".bak"  # without --resume, an earlier log is kept as eval.runs.jsonl.bak
LOCK_NAME = "eval.lock"  # held while a run writes the folder: two runs never share one log
_FIELDS = ("config", "request", "id", "ids", "text", "cloud_tokens", "computed", "seconds", "missed")


@dataclass(frozen=True)
class Output:
    """One request decoded under one configuration (what a row's numbers are summed from)."""

    ids: tuple[int, ...]
    text: str
    cloud_tokens: int
    computed: int  # cloud tokens processed
    seconds: float
    missed: int


def request_key(prompt_ids: list[int], sensitive: bool) -> str:
    """What a request's outputs are logged under: everything of the request a decode reads."""
    return digest([prompt_ids, sensitive])[:32]


# a fingerprint field by what the user set: the flag, and whether its values can be shown
_FLAGS = {"max_new_tokens": ("--max-new-tokens", True), "stop_ids": ("--stop", False), "stop_text": ("--stop", False),
          "deadline_s": ("the tier's deadline", True), "fusion_weight": ("the fusion weight", True),
          "device": ("--device (the model or its files)", False),
          "cloud": ("--cloud / --cloud-url (the model, its files, or the URL)", False)}


def _difference(field: str, logged, now) -> str:
    what, shown = _FLAGS.get(field, (field, True))
    return f"{what}: the log's {logged!r}, now {now!r}" if shown else f"{what} differs"


def weights_identity(module) -> str:
    """A small torch module's identity from its weights (the reward head: a retrained or
    recalibrated head keys its rows apart, while cloud-only's outputs stay reusable)."""
    h = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


class EvalLog:
    """Append-only outputs of eval runs, keyed by (configuration label, request key)."""

    def __init__(self, path: Path, fingerprint: dict, done: dict[tuple[str, str], Output], lock,
                 unfinished: int = 0, backup: Path | None = None, backed_up: int = 0) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self._done = done
        self._lock = lock
        self._file = path.open("a", encoding="utf-8")
        self.reused = 0  # outputs `get` has found: what this run did not decode
        self.unfinished = unfinished  # logged outputs whose cloud calls failed: decoded again, never reused
        self.backup = backup  # where an earlier log was moved when this one started afresh (None: nowhere)
        self.backed_up = backed_up  # the outputs that earlier log held

    @classmethod
    def open(cls, folder: Path, fingerprint: dict, resume: bool) -> EvalLog:
        """The log in `folder`: read back and checked against `fingerprint` when `resume`, else
        started afresh; an earlier log that holds outputs is then moved to `LOG_NAME + BACKUP_SUFFIX`
        first (replacing an older backup), and `backup`/`backed_up` say where and how many.

        Raises:
            InferenceError: another run is writing `folder`; or `resume` and the log belongs to
                other models or decode settings, or a line is corrupt.
        """
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / LOG_NAME
        fingerprint = json.loads(json.dumps(fingerprint))  # as it reads back (tuples as lists)
        lock = _lock(folder)
        try:
            if resume and path.exists():
                done, unfinished = _read(path, fingerprint)
                return cls(path, fingerprint, done, lock, unfinished=unfinished)
            backup, backed_up = None, _logged_outputs(path)
            if backed_up:
                # a log of a fingerprint line alone is not kept: it would replace a backup worth keeping
                backup = path.with_name(path.name + BACKUP_SUFFIX)
                os.replace(path, backup)
            tmp = path.with_suffix(".tmp")
            with tmp.open("w", encoding="utf-8") as f:
                f.write(json.dumps({"fingerprint": fingerprint}) + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            return cls(path, fingerprint, {}, lock, backup=backup, backed_up=backed_up)
        except BaseException:
            lock.close()
            raise

    def __len__(self) -> int:
        return len(self._done)

    def get(self, config: str, request: str) -> Output | None:
        """The logged output of `request` (its `request_key`) under `config`, if any."""
        out = self._done.get((config, request))
        self.reused += out is not None
        return out

    def put(self, config: str, request: str, request_id: str, out: Output) -> None:
        """Append one output and sync it to disk before returning (`request_id` is kept for
        whoever reads the log; the key is `request`). An output with missed escalations is
        logged but not reusable (`get` does not return it, a resumed run decodes it again)."""
        record = {"config": config, "request": request, "id": request_id, **asdict(out), "ids": list(out.ids)}
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        if not out.missed:
            self._done[(config, request)] = out

    def close(self) -> None:
        self._file.close()
        self._lock.close()  # closing the descriptor releases the lock


def _lock(folder: Path):
    """An exclusive lock on `folder`'s runs; the kernel drops it when the process dies, so a
    killed run never leaves the folder locked.

    Raises:
        InferenceError: another run holds it.
    """
    handle = (folder / LOCK_NAME).open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise InferenceError(f"another eval is writing {folder} (it holds {folder / LOCK_NAME}); wait for it to "
                             "finish or pass another --out") from None
    return handle


def _logged_outputs(path: Path) -> int:
    """How many outputs the log at `path` holds (its lines past the fingerprint; 0 if none)."""
    if not path.exists():
        return 0
    with path.open("rb") as f:
        return max(0, sum(1 for _ in f) - 1)


def _read(path: Path, fingerprint: dict) -> tuple[dict[tuple[str, str], Output], int]:
    """The log's finished outputs by (configuration, request), and how many logged outputs are
    not finished (their cloud calls failed: decoded again)."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        # a write cut short by a crash: its request is decoded again
        data = data[: data.rfind(b"\n") + 1]
        with path.open("r+b") as f:
            f.truncate(len(data))
    lines = data.decode("utf-8", errors="replace").splitlines()
    if not lines:
        raise InferenceError(f"{path} is empty (no fingerprint line): start afresh without --resume")
    try:
        logged = json.loads(lines[0])["fingerprint"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InferenceError(f"{path}:1 is not an eval log's fingerprint line ({exc}); "
                             "start afresh without --resume or pass another --out") from exc
    differ = sorted(k for k in set(logged) | set(fingerprint) if logged.get(k) != fingerprint.get(k))
    if differ:
        named = "; ".join(dict.fromkeys(_difference(k, logged.get(k), fingerprint.get(k)) for k in differ))
        raise InferenceError(f"{path} was written by another run ({named}): pass another --out, "
                             "or drop --resume to start afresh")
    done: dict[tuple[str, str], Output] = {}
    unfinished: set[tuple[str, str]] = set()
    for n, line in enumerate(lines[1:], start=2):
        try:
            r = json.loads(line)
            missing = [f for f in _FIELDS if f not in r]
            if missing:
                raise ValueError(f"no field {missing[0]!r}")
            out = Output(tuple(int(t) for t in r["ids"]), str(r["text"]), int(r["cloud_tokens"]), int(r["computed"]),
                         float(r["seconds"]), int(r["missed"]))
        except (ValueError, TypeError, AttributeError) as exc:
            raise InferenceError(f"{path}:{n} is not a decoded output ({exc}); nothing was reused: "
                                 "start afresh without --resume") from exc
        key = (str(r["config"]), str(r["request"]))
        if out.missed:
            # the cloud stopped answering mid-decode: the device's tokens stand where the cloud's should
            unfinished.add(key)
            continue
        done[key] = out
    return done, len(unfinished - done.keys())
