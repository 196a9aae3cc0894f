"""Workload files in every form a user brings them: JSONL, CSV, Parquet, or a folder of them.

- `.jsonl` (or `.json` with one object per line): see workloads.requests.
- `.csv`: a header row; the cells are text, read as the fields of a JSONL record (`partition`
  as an integer, `sensitive` as true/false/1/0/yes/no, `messages` as a JSON list); an empty
  cell is an absent field.
- `.parquet`: one row per request (needs `pyarrow`: `pip install 'fedhybrid[parquet]'`).
- a folder, as a Hugging Face `datasets` data folder holds its files: every `.jsonl`, `.json`,
  `.csv` and `.parquet` file in it or in its `data/` folder, in name order, one workload.

`columns` maps request fields to the file's own column names (`--columns
prompt=question,answer=final`); with a mapping, columns neither mapped nor named like a
field are ignored, so a data set's extra columns need no cleaning. Loading is all or
nothing: the first bad record stops it, naming the file, the line or row, and the field.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from pathlib import Path

from workloads.errors import WorkloadError
from workloads.requests import FIELDS, Request, load_jsonl, parse_record, parse_records
from workloads.requests import read_text as _read_text

SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def parse_columns(spec: str | None) -> dict[str, str]:
    """`prompt=question,answer=final` -> {"prompt": "question", "answer": "final"}."""
    if not spec:
        return {}
    mapping: dict[str, str] = {}
    for part in spec.split(","):
        field, sep, column = (p.strip() for p in part.partition("="))
        if not sep or not field or not column:
            raise WorkloadError(f"--columns entry {part!r} is not FIELD=COLUMN (e.g. prompt=question)")
        if field not in FIELDS:
            raise WorkloadError(f"--columns names the field {field!r}; the fields are {sorted(FIELDS)} "
                                "(FIELD=COLUMN: the request field first, then your column)")
        if field in mapping:
            raise WorkloadError(f"--columns maps the field {field!r} twice")
        mapping[field] = column
    return mapping


def write_jsonl(path: Path, records: list[dict]) -> None:
    """Write `records` as a JSONL workload file, atomically: never a half-written file under the name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in records))
    tmp.replace(path)


def folder_files(path: Path) -> list[Path]:
    """The workload files of a folder, in name order: its own and its `data/` folder's."""
    return sorted(p for folder in (path, path / "data") if folder.is_dir()
                  for p in folder.iterdir() if p.is_file() and p.suffix in SUFFIXES)


def content_digest(path: str | Path) -> str | None:
    """sha256 over the bytes of a workload file, or of a folder's workload files in name order
    (their names included); None where it cannot be read here (a server whose devices hold it)."""
    path = Path(path)
    files = folder_files(path) if path.is_dir() else [path]
    digest = hashlib.sha256()
    try:
        for file in files:
            digest.update(file.name.encode() + b"\0")
            digest.update(file.read_bytes())
    except OSError:
        return None
    return digest.hexdigest() if files else None


def load_workload(path: str | Path, columns: dict[str, str] | None = None) -> list[Request]:
    """Every request of a workload file or folder (see the module docstring)."""
    path = Path(path)
    columns = dict(columns or {})
    if path.is_dir():
        files = folder_files(path)
        if not files:
            raise WorkloadError(f"the folder {path} holds no {'/'.join(SUFFIXES)} files (nor does {path / 'data'})")
        requests = [req for file in files for req in _load_file(file, columns, prefix=f"{file.stem}:")]
    elif path.is_file():
        requests = _load_file(path, columns)
    else:
        raise WorkloadError(f"no workload at {path}: give a .jsonl, .csv or .parquet file or a folder of them")
    seen: set[str] = set()
    for req in requests:
        if req.id in seen:
            raise WorkloadError(f"{path}: the id {req.id!r} repeats")
        seen.add(req.id)
    return requests


def _load_file(path: Path, columns: dict[str, str], prefix: str = "") -> list[Request]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json") and not columns:
        requests = load_jsonl(path)
    elif suffix in (".jsonl", ".json"):
        requests = parse_records(_jsonl_rows(path, columns), path)
    elif suffix == ".csv":
        requests = parse_records(_csv_rows(path, columns), path)
    elif suffix == ".parquet":
        requests = parse_records(_parquet_rows(path, columns), path)
    else:
        raise WorkloadError(f"{path}: unknown workload format {suffix!r}; use {', '.join(SUFFIXES)}")
    if not prefix:
        return requests
    # files of one folder number their lines alike: keep ids apart unless the file gave them
    return [req if req.explicit_id else _with_id(req, prefix + req.id) for req in requests]


def _with_id(req: Request, new_id: str) -> Request:
    from dataclasses import replace

    return replace(req, id=new_id)


def _select(row: dict, columns: dict[str, str], where: str) -> dict:
    """The row's fields under their request names: mapped columns renamed, the rest kept only
    when named like a field (and only without a mapping do unknown columns count as errors)."""
    if not columns:
        return dict(row)
    missing = [c for c in columns.values() if c not in row]
    if missing:
        raise WorkloadError(f"{where}: no column {missing[0]!r} (the columns are {sorted(row)}); fix --columns")
    out = {field: row[column] for field, column in columns.items()}
    for name, value in row.items():
        if name in FIELDS and name not in out and name not in columns.values():
            out[name] = value
    return out


def _jsonl_rows(path: Path, columns: dict[str, str]):
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise WorkloadError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
        if not isinstance(raw, dict):
            raise WorkloadError(f"{where}: a request must be a JSON object, got {type(raw).__name__}")
        yield where, _select(raw, columns, where)


def _csv_rows(path: Path, columns: dict[str, str]):
    """(file:line, fields) of each record, the line the record starts on: a quoted cell may
    hold line breaks, and the reader's own line count is where the record ends. Strict, so an
    unclosed quote is an error rather than a cell that swallows the rest of the file."""
    reader = csv.reader(io.StringIO(_read_text(path), newline=""), strict=True)
    start = 1
    try:
        header = next(reader, None)
        if not header:
            raise WorkloadError(f"{path}: no header row (the first line names the columns, e.g. prompt,answer)")
        _check_header(header, columns, f"{path}:1")
        while True:
            start = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                return
            if not cells:  # a blank line
                continue
            where = f"{path}:{start}"
            if len(cells) > len(header):
                raise WorkloadError(f"{where}: more cells than the header has columns")
            row = {name: cells[i] if i < len(cells) else None for i, name in enumerate(header)}
            yield where, _from_text(_select(row, columns, where), where)
    except csv.Error as exc:
        raise WorkloadError(f"{path}:{start}: not valid CSV ({exc})") from exc


def _check_header(header: list[str], columns: dict[str, str], where: str) -> None:
    """The header row names each column once, and names fields (or, with a mapping, the
    mapped columns): a header that does not map is reported against itself, not a record."""
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise WorkloadError(f"{where}: the header names the column {twice[0]!r} twice")
    if columns:
        missing = [c for c in columns.values() if c not in header]
        if missing:
            raise WorkloadError(f"{where}: no column {missing[0]!r} in the header (the columns are "
                                f"{sorted(header)}); fix --columns")
        return
    unknown = sorted(set(header) - FIELDS)
    if unknown:
        raise WorkloadError(f"{where}: the header names unknown field(s) {unknown}; the fields are {sorted(FIELDS)}: "
                            "map your columns to them with --columns FIELD=COLUMN,... "
                            "(e.g. --columns prompt=question,answer=final)")


def _from_text(row: dict, where: str) -> dict:
    """CSV cells (all text) as the typed fields a JSONL record would hold."""
    out: dict = {}
    for name, value in row.items():
        if value is None or value == "":
            continue
        if name == "partition":
            if not value.strip().isdigit():
                raise WorkloadError(f"{where}: field 'partition' must be a non-negative integer, got {value!r}")
            out[name] = int(value)
        elif name == "sensitive":
            word = value.strip().lower()
            if word not in _TRUE | _FALSE:
                raise WorkloadError(f"{where}: field 'sensitive' must be true or false, got {value!r}")
            out[name] = word in _TRUE
        elif name == "messages":
            try:
                out[name] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise WorkloadError(f"{where}: field 'messages' must hold a JSON list of {{role, content}} "
                                    f"({exc.msg})") from exc
        else:
            out[name] = value
    return out


def _parquet_rows(path: Path, columns: dict[str, str]):
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise WorkloadError(f"{path}: reading Parquet needs pyarrow: pip install 'fedhybrid[parquet]'") from exc
    try:
        rows = pq.read_table(path).to_pylist()
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise WorkloadError(f"{path} is not a readable Parquet file ({exc})") from exc
    for number, row in enumerate(rows, 1):
        where = f"{path}: row {number}"
        selected = {k: _plain(v) for k, v in _select(row, columns, where).items() if v is not None}
        yield where, selected


def _plain(value):
    """A Parquet number as the text a reference compares as (17.0 -> "17"); the rest unchanged."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return repr(value)
    return value


__all__ = ["SUFFIXES", "content_digest", "folder_files", "load_workload", "parse_columns", "parse_record"]
