"""How far a phrase that does not decide a step's direction leans a curriculum one way.

A model learns whatever separates its add frames from its take-away frames, deciding words or
not. If "to the" comes almost only in take-away frames ("{S} gives {b} {I} to the library."),
a model can read "to the" itself as taking away and then misreads "{S} adds {b} {I} to the jar."
(README, "Counterweights"). `lean` measures that for one phrase: the share of the phrase's
frames that add, each pool weighted by its size, so 0.5 is no lean whatever the pools' sizes,
1.0 only in add frames, 0.0 only in take-away frames. ``NON_DECIDING`` are the phrases whose
direction comes from other words of the sentence: a destination or source named with "the" or
"a" (whose it is decides, not the preposition), a passive's agent, a purpose, a place.

This is a counterfactual-balance check in the spirit of Kaushik et al., "Learning the Difference
that Makes a Difference with Counterfactually-Augmented Data" (arXiv:1909.12434): a phrase that
co-occurs with one label only is a spurious feature unless it decides the label.
"""

from __future__ import annotations

import re

NON_DECIDING: tuple[str, ...] = ("to the", "into the", "onto the", "into a", "from the", "by {F}", "for a",
                                 "in the", "on the")


def _pattern(phrase: str) -> re.Pattern:
    # whole words only: "to the" is not in "into the", "on the" is not in "upon the"
    return re.compile(r"(?<![\w{])" + re.escape(phrase) + r"(?![\w}])", re.IGNORECASE)


def count(frames: tuple[str, ...], phrase: str) -> int:
    """How many of `frames` hold `phrase` as whole words."""
    pattern = _pattern(phrase)
    return sum(1 for frame in frames if pattern.search(frame))


def lean(add: tuple[str, ...], sub: tuple[str, ...], phrase: str) -> float | None:
    """The size-weighted share of `phrase`'s frames that add (0.5: none; None: in no frame)."""
    in_add, in_sub = count(add, phrase) / max(len(add), 1), count(sub, phrase) / max(len(sub), 1)
    if in_add + in_sub == 0:
        return None
    return in_add / (in_add + in_sub)


def report(add: tuple[str, ...], sub: tuple[str, ...]) -> dict[str, tuple[int, int, float | None]]:
    """Per non-deciding phrase: (add frames, take-away frames, lean)."""
    return {phrase: (count(add, phrase), count(sub, phrase), lean(add, sub, phrase)) for phrase in NON_DECIDING}
