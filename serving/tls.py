"""TLS settings for the project's HTTP clients (device -> upstream tier or cloud)."""

from __future__ import annotations

import ssl
from pathlib import Path


def tls_verify(verify: bool | str | Path) -> bool | ssl.SSLContext:
    """httpx's `verify`: True/False, or an SSL context trusting a CA bundle path."""
    if isinstance(verify, (str, Path)):
        return ssl.create_default_context(cafile=str(verify))
    return verify
