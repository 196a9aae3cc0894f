"""The CLI's commands: each module adds its sub-commands to the parser."""

from __future__ import annotations

from inference.errors import InferenceError
from fedhybrid.commands import bench, cloud, decode, zoo

# one domain error type per package; the CLI turns these into a clean message
DOMAIN_ERRORS: tuple[type[Exception], ...] = (InferenceError,)

REGISTRY = [zoo.register, decode.register, cloud.register, bench.register]
