"""`pycode`: real Python source, the interpreter's own standard library, split by file.

The corpus is read offline from the running interpreter's stdlib folder (tests, idlelib
and site-packages excluded). Each file's split is a hash of its path relative to the
stdlib root, so a file is wholly train or wholly held-out, the same on every machine with
the same Python version.

Scoring helpers: held-out loss is computed by `training.evaluate`; line completion
tasks here pair a prefix (ending at a line break) with the exact next line.
"""

from __future__ import annotations

import hashlib
import random
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from workloads.errors import WorkloadError

SPLITS = ("train", "heldout")
_EXCLUDED_DIRS = {"test", "tests", "idlelib", "site-packages", "__pycache__", "lib2to3"}
_HELDOUT_BUCKETS = 2  # of 16


def stdlib_root() -> Path:
    """The folder of the running interpreter's standard library."""
    return Path(sysconfig.get_paths()["stdlib"])


def split_of(relative_path: str) -> str:
    """Deterministic split of a stdlib file, by the hash of its relative path."""
    bucket = hashlib.sha256(relative_path.encode("utf-8")).digest()[0] % 16
    return "heldout" if bucket < _HELDOUT_BUCKETS else "train"


def files(split: str, root: Path | None = None) -> list[Path]:
    """All stdlib .py files of `split`, sorted by relative path.

    Raises:
        ValueError: unknown split, or a root that holds no Python files.
    """
    if split not in SPLITS:
        raise WorkloadError(f"unknown pycode split {split!r}: use one of {SPLITS}")
    base = root or stdlib_root()
    chosen = []
    for path in sorted(base.rglob("*.py")):
        relative = path.relative_to(base)
        if _EXCLUDED_DIRS.intersection(relative.parts[:-1]):
            continue
        if split_of(relative.as_posix()) == split:
            chosen.append(path)
    if not chosen:
        raise WorkloadError(f"no Python files of split {split!r} under {base}: is this a stdlib folder?")
    return chosen


def read(path: Path) -> str:
    # a few stdlib files are not valid UTF-8 on purpose: keep them, replace bad bytes
    return path.read_text(encoding="utf-8", errors="replace")


def texts(split: str, root: Path | None = None, max_bytes: int | None = None) -> list[str]:
    """File contents of `split`, in path order, stopping once `max_bytes` are read."""
    out, total = [], 0
    for path in files(split, root):
        text = read(path)
        out.append(text)
        total += len(text)
        if max_bytes is not None and total >= max_bytes:
            break
    return out


@dataclass(frozen=True)
class LineTask:
    """Complete the next line of a file given the text before it."""

    source: str  # relative path of the file
    prefix: str  # text up to and including the line break before the target line
    line: str  # the exact target line, without its line break


def line_tasks(split: str, n: int, seed: int = 0, prefix_chars: int = 600,
               root: Path | None = None) -> list[LineTask]:
    """`n` line-completion tasks drawn from files of `split`, reproducible from `seed`.

    Targets are non-blank lines of 8-80 characters that are not comments.
    """
    base = root or stdlib_root()
    paths = files(split, base)
    rng = random.Random(f"pycode/{split}/{seed}")
    tasks: list[LineTask] = []
    attempts = 0
    while len(tasks) < n and attempts < 50 * n:
        attempts += 1
        path = rng.choice(paths)
        lines = read(path).split("\n")
        if len(lines) < 20:
            continue
        index = rng.randrange(10, len(lines))
        target = lines[index]
        stripped = target.strip()
        if not 8 <= len(stripped) <= 80 or stripped.startswith("#"):
            continue
        prefix = "\n".join(lines[:index]) + "\n"
        tasks.append(LineTask(source=path.relative_to(base).as_posix(),
                              prefix=prefix[-prefix_chars:], line=target))
    return tasks
