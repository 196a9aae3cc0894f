"""Generated token ids -> text deltas for streaming, with OpenAI stop sequences.

Byte-level BPE tokens may hold part of a UTF-8 character, and a stop sequence may span
several tokens, so text is released only once it is final: the whole output is decoded
again after each token (outputs are at most a few hundred tokens), an incomplete
character at the end ("\\ufffd") and any tail that could still grow into a stop sequence
are held back. When a stop sequence appears, the text is cut before it and the stream
ends, as OpenAI and vLLM do (the stop sequence itself is never returned).
"""

from __future__ import annotations

from collections.abc import Sequence


class TextStream:
    """Feed token ids one at a time; `push` returns (new final text, stopped)."""

    def __init__(self, tokenizer, stops: Sequence[str] = ()):
        self.tokenizer = tokenizer
        self.stops = tuple(s for s in stops if s)
        self.ids: list[int] = []
        self.text = ""  # released so far (final)
        self.stopped = False
        self.stop_reason: str | None = None  # the stop sequence that ended the stream

    def _hold(self, full: str) -> int:
        """Characters at the end of `full` that are not final yet."""
        hold = 0
        while hold < len(full) and full[len(full) - 1 - hold] == "\ufffd":
            hold += 1  # a character whose remaining bytes are in the next token
        tail = full[: len(full) - hold]
        for stop in self.stops:
            # the longest suffix of the text that is a proper prefix of this stop sequence
            for k in range(min(len(stop) - 1, len(tail)), 0, -1):
                if tail.endswith(stop[:k]):
                    hold = max(hold, len(full) - len(tail) + k)
                    break
        return hold

    def push(self, token_id: int) -> tuple[str, bool]:
        if self.stopped:
            return "", True
        self.ids.append(int(token_id))
        full = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if self.stops:
            # a stop sequence may start inside text already released only if it was held
            # back, so searching from the released length minus the longest stop suffices
            start = max(0, len(self.text) - max(len(s) for s in self.stops))
            hits = [(full.find(s, start), s) for s in self.stops]
            hits = [(i, s) for i, s in hits if i >= 0]
            if hits:
                cut, stop = min(hits)
                delta = full[len(self.text): cut] if cut > len(self.text) else ""
                self.text += delta
                self.stopped, self.stop_reason = True, stop
                return delta, True
        final = len(full) - self._hold(full)
        delta = full[len(self.text): final] if final > len(self.text) else ""
        self.text += delta
        return delta, False

    def finish(self) -> str:
        """Release what was held back (the stream ended without completing a stop sequence)."""
        if self.stopped:
            return ""
        full = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        delta = full[len(self.text):]
        self.text = full
        return delta
