"""Workloads as data: a JSONL file of requests, one per line.

Each line is a JSON object with
- `prompt` (a string) or `messages` (OpenAI chat messages: [{"role", "content"}]), one of
  the two;
- optional `answer` (the reference answer: graded by the last number in the output when
  it is a number, by exact match otherwise), `reference` (a reference output text),
  `device` (a device name such as "edge-3") or `partition` (an integer), `sensitive`
  (true: the request is sent with privacy `local-only`), `id` (a string; default: the line
  number).
Loading is all or nothing: the first malformed line stops it with an error that names the
file, the line and the field (`messages[1].role` for a chat message's role, which must be one
of `ROLES`). Files are read as UTF-8; a leading byte order mark (Excel's "CSV UTF-8", some
editors' JSONL) is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from workloads.errors import WorkloadError

FIELDS = {"prompt", "messages", "answer", "reference", "device", "partition", "sensitive", "id"}
# The chat roles inference.chat renders (its ROLES). The layering rules keep workloads from
# importing inference, so they are restated here; a test holds the two tuples equal.
ROLES = ("system", "developer", "user", "assistant", "tool")


@dataclass(frozen=True)
class Request:
    id: str
    prompt: str | None = None
    messages: tuple[tuple[str, str], ...] | None = None  # (role, content)
    answer: str | None = None
    reference: str | None = None
    device: str | None = None
    partition: int | None = None
    sensitive: bool = False
    explicit_id: bool = False  # the file gave the id (else it is the line number)


def _field(where: str, name: str, message: str) -> WorkloadError:
    return WorkloadError(f"{where}: field {name!r} {message}")


def parse_record(raw: object, where: str) -> Request:
    """One request from one decoded JSON value; `where` names it in errors ("file:line")."""
    if not isinstance(raw, dict):
        raise WorkloadError(f"{where}: a request must be a JSON object, got {type(raw).__name__}")
    unknown = sorted(set(raw) - FIELDS)
    if unknown:
        raise WorkloadError(f"{where}: unknown field(s) {unknown}; known: {sorted(FIELDS)} (map a file's own "
                            "names to them with --columns FIELD=COLUMN, e.g. --columns prompt=question)")
    prompt, messages = raw.get("prompt"), raw.get("messages")
    if (prompt is None) == (messages is None):
        raise WorkloadError(f"{where}: give exactly one of 'prompt' or 'messages'")
    if prompt is not None and (not isinstance(prompt, str) or not prompt):
        raise _field(where, "prompt", "must be a non-empty string")
    parsed_messages = None if messages is None else _parse_messages(messages, where)
    for name in ("answer", "reference", "device", "id"):
        value = raw.get(name)
        if value is not None and not isinstance(value, (str, int)) or isinstance(value, bool):
            raise _field(where, name, "must be a string (or an integer)")
    partition = raw.get("partition")
    if partition is not None and (not isinstance(partition, int) or isinstance(partition, bool) or partition < 0):
        raise _field(where, "partition", "must be a non-negative integer")
    if partition is not None and raw.get("device") is not None:  # which one would win was a guess
        raise WorkloadError(f"{where}: give one of 'device' or 'partition' (both say which device serves the "
                            f"request; this one names device {raw['device']!r} and partition {partition})")
    sensitive = raw.get("sensitive", False)
    if not isinstance(sensitive, bool):
        raise _field(where, "sensitive", "must be true or false")
    answer = raw.get("answer")
    default_id = where.rsplit(":", 1)[-1].strip().removeprefix("row ")
    reference = raw.get("reference")
    return Request(str(raw.get("id", default_id)), prompt, parsed_messages,
                   None if answer is None else str(answer), None if reference is None else str(reference),
                   None if raw.get("device") is None else str(raw["device"]), partition, sensitive,
                   explicit_id="id" in raw)


def _parse_messages(messages: object, where: str) -> tuple[tuple[str, str], ...]:
    """(role, content) pairs of a chat: a non-empty list of objects, each with a role of
    `ROLES` and a string content."""
    if not isinstance(messages, list) or not messages:
        raise _field(where, "messages", "must be a non-empty list of {role, content} objects")
    parsed = []
    for i, message in enumerate(messages):
        name = f"messages[{i}]"
        if not isinstance(message, dict):
            raise _field(where, name, f"must be an object with 'role' and 'content', got {type(message).__name__}")
        if "role" not in message:
            raise _field(where, f"{name}.role", f"is missing: give one of {ROLES}")
        role = message["role"]
        if not isinstance(role, str) or role not in ROLES:
            raise _field(where, f"{name}.role", f"must be one of {ROLES}, got {role!r}")
        if "content" not in message:
            raise _field(where, f"{name}.content", "is missing: give the message text")
        content = message["content"]
        if not isinstance(content, str):
            raise _field(where, f"{name}.content", f"must be a string, got {type(content).__name__}")
        parsed.append((role, content))
    return tuple(parsed)


def parse_records(rows: Iterable[tuple[str, object]], path: Path) -> list[Request]:
    """Requests from (where, decoded record) pairs: ids unique, at least one request."""
    out, ids = [], set()
    for where, raw in rows:
        req = parse_record(raw, where)
        if req.id in ids:
            raise WorkloadError(f"{where}: field 'id' repeats {req.id!r}")
        ids.add(req.id)
        out.append(req)
    if not out:
        raise WorkloadError(f"{path} holds no requests")
    return out


def read_text(path: Path) -> str:
    """The text of a workload file: UTF-8, a leading byte order mark dropped (utf-8-sig)."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise WorkloadError(f"cannot read the workload {path}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise WorkloadError(f"{path} is not UTF-8 text ({exc})") from exc


def load_jsonl(path: Path) -> list[Request]:
    """Every request of a JSONL workload file (blank lines skipped)."""
    path = Path(path)
    lines = read_text(path).splitlines()

    def rows():
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                yield where, json.loads(line)
            except json.JSONDecodeError as exc:
                raise WorkloadError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from exc

    return parse_records(rows(), path)


def grade(req: Request, output: str) -> bool | None:
    """Whether `output` answers `req` by its `answer` (the auto grader of workloads.graders:
    the last number for a numeric answer, exact match otherwise); None without an answer."""
    from workloads.graders import Grader  # graders builds on Request: imported here, not at the top

    if req.answer is None:
        return None
    return Grader().correct(req, output, (), None)
