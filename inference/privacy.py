"""Per-request privacy policy: what of a request may reach the cloud.

- `allow`: the cloud sees the request as the device does.
- `local-only`: nothing reaches the cloud (no calls at all), and the request's
  corrections and cache feedback are not recorded for upload.
- `redact`: the prompt is sent with every match of the configured patterns (by default
  e-mail addresses and three or more digits, grouped or not) replaced by a placeholder;
  generated tokens are sent as they are. The device keeps the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from inference.errors import InferenceError

MODES = ("allow", "local-only", "redact")
STRICTNESS = ("allow", "redact", "local-only")  # loosest to strictest
DEFAULT_PATTERNS = (
    # e-mail addresses, non-ASCII ones too (\w is Unicode: "jö@exämple.de")
    r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.\w{2,}",
    # three or more digits, run together or in groups split by one space, dot or dash (phone, card,
    # account and ID numbers as people write them: "07 12 34 56 78", "4 9 2 7", "123-45-6789");
    # a question's small numbers ("has 20 cards", "12 + 34") stay
    r"\d(?:[ .\-]?\d){2,}",
)
PLACEHOLDER = "[redacted]"


@dataclass(frozen=True)
class PrivacyPolicy:
    mode: str = "allow"
    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    placeholder: str = PLACEHOLDER
    _compiled: tuple = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InferenceError(f"privacy mode {self.mode!r}: use one of {MODES}")
        try:
            compiled = tuple(re.compile(p) for p in self.patterns)
        except re.error as exc:
            raise InferenceError(f"bad redaction pattern: {exc}") from exc
        object.__setattr__(self, "_compiled", compiled)

    @property
    def cloud_allowed(self) -> bool:
        return self.mode != "local-only"

    @property
    def record(self) -> bool:
        """Whether the request's corrections may be uploaded."""
        return self.mode != "local-only"

    def redact(self, text: str) -> str:
        for pattern in self._compiled:
            text = pattern.sub(self.placeholder, text)
        return text

    def cloud_prompt(self, text: str) -> str | None:
        """The prompt text the cloud may see (None: the cloud sees nothing)."""
        if self.mode == "local-only":
            return None
        return self.redact(text) if self.mode == "redact" else text


def strictest(*modes: str | None) -> str | None:
    """The strictest of the modes given (None ones skipped; None when none is given): where a
    gateway's header, a client's body and an operator's floor each name a mode, none may loosen
    what another set."""
    given = [mode for mode in modes if mode is not None]
    for mode in given:
        if mode not in MODES:
            raise InferenceError(f"privacy mode {mode!r}: use one of {MODES}")
    return max(given, key=STRICTNESS.index) if given else None


ALLOW = PrivacyPolicy("allow")
LOCAL_ONLY = PrivacyPolicy("local-only")
