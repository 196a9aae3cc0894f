"""A model folder's content identity: what a reward head records of the cloud it was calibrated
for, what `cloud serve` reports on its model card, and what an eval log fingerprints, so that a
head is never used with another cloud and a resumed eval never mixes models.

Cheap for a multi-gigabyte model (1 MiB read per large file); times are not part of it, so a
copied or moved model keeps its identity.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

_WHOLE = 4 << 20  # files up to this size are hashed whole
_SAMPLES, _SAMPLE = 16, 64 << 10  # larger ones: 16 evenly spaced 64 KiB windows, the first and last included


def _content_digest(path: Path, size: int) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        if size <= _WHOLE:
            h.update(f.read())
        else:
            for i in range(_SAMPLES):
                f.seek((size - _SAMPLE) * i // (_SAMPLES - 1))
                h.update(f.read(_SAMPLE))
    return h.hexdigest()


def folder_identity(folder: Path) -> str:
    """A model or head folder's identity, cheap for a multi-gigabyte model: each top-level
    file's name, size and content, hashed whole up to 4 MiB (config, tokenizer, head metadata,
    small weights) and sampled above (1 MiB read per file: retrained or re-quantized weights
    change every window, a safetensors header among them). Times are not part of it: a copied
    or moved model keeps its identity, and weights rewritten in place with the same size are
    still told apart. Sub-folders (a device's reward heads) are not part of the model."""
    parts = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        size = path.stat().st_size
        parts.append([path.name, size, _content_digest(path, size)])
    return digest(parts)


def digest(parts) -> str:
    """sha256 over the JSON of each part, one line each (eval logs key their outputs with it too)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(json.dumps(part, separators=(",", ":")).encode())
        h.update(b"\n")
    return h.hexdigest()
