"""The serve commands' limits on requests (--max-queue, --max-tokens-limit, --max-body-bytes),
checked at start in the flags' own names: `fedhybrid cloud serve` and `fedhybrid device serve`
refuse the same values with the same words (ServingError: exit 2)."""

from __future__ import annotations

from serving.errors import ServingError


def check_limit_flags(max_queue: int, max_tokens_limit: int | None, max_body_bytes: int) -> None:
    """The serve commands' --max-queue, --max-tokens-limit (None: the default) and
    --max-body-bytes, checked before any model loads. Raises ServingError naming the flag."""
    if max_queue < 1:
        raise ServingError(f"--max-queue {max_queue}: pass 1 or more (requests that may wait besides the one "
                           "decoding)")
    if max_tokens_limit is not None and max_tokens_limit < 1:
        raise ServingError(f"--max-tokens-limit {max_tokens_limit}: pass 1 or more")
    if max_body_bytes < 1024:
        raise ServingError(f"--max-body-bytes {max_body_bytes}: pass 1024 or more")


def tokens_limit(given: int | None, default: int, context: int) -> int:
    """The most tokens one request may ask for on a model of `context` positions: `given`
    (--max-tokens-limit), or `default` lowered to the context where that is smaller.

    Raises ServingError when `given` is above the context: no request could get that many (prompt
    and answer share the context), and a limit that never applies hides the operator's mistake."""
    if given is None:
        return min(default, context)
    if given > context:
        raise ServingError(f"--max-tokens-limit {given} is above the model's context of {context} tokens (prompt "
                           f"and answer share it, so no request could get {given}): pass --max-tokens-limit "
                           f"{context} or less, or leave it out ({min(default, context)})")
    return given
