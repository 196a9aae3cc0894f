"""`phrasings`' vocabularies: which sentence frames each one draws, and which no trained one may.

"core" draws the frames of `core_vocabulary` alone; "wide" adds `lexicon`'s everyday-English
frames (`WIDE_ADD` ...) for a third of the add and take-away steps and a third of the equal
groups; "wider" adds `lexicon2`'s frames to those and tells half the steps with them; "paired"
adds `lexicon3`'s pairs (one construction told in both directions) to "wider"'s; "tensed" draws
each of "paired"'s lexicon frames in the present or the past tense alike; "balanced" adds
`lexicon4`'s counterweights (in both tenses) to "tensed"'s, so that no phrase that leaves the
direction to other words leans it (`frame_lean`); "wide-cues" adds `lexicon5`'s cue
counterweights (both tenses) to "wide"'s, in the same third of the steps; "tensed-leads" opens
half of "tensed"'s step sentences with `leads`'s openers; "tensed-leads-cues" is "tensed-leads"
with `lexicon5`'s cue counterweights (both tenses) among its lexicon frames; "held-out" tells
every step with `lexicon`'s held-out frames, whose verbs no other vocabulary uses (a probe of
transfer to unseen verbs, never trained on). All of them: `VOCABULARIES`; the trainable ones:
`TRAINABLE`, from `LEXICON_SHARE`'s keys.

What keeps the held-out measures unseen lives here too: `SEEN_HELD_OUT_VERBS` (held-out verbs
the core already uses, so left out of the held-out vocabulary), `_STEERED` (words of
`paraphrase` a lexicon brief named, never drawn) and `_trainable` (a later batch's frames less
both). `phrasings.generate` draws from these tables; nothing here draws.
"""

from __future__ import annotations

import re

from workloads import core_vocabulary as core
from workloads import lexicon, lexicon2, lexicon3, lexicon4, lexicon5, lexicon_past, wordmath


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def has_form(lemma: str, pool: set[str]) -> bool:
    """Whether a word of `pool` is a form of `lemma` (drop: drops, dropped; waste: wasted)."""
    stem = lemma.removesuffix("e")
    return any(w.startswith(stem) and len(w) <= len(stem) + 4 for w in pool)


# Every word the core vocabulary and wordmath's templates are told with; `lexicon` was written
# without reading them, and a few of its held-out verbs are here too ("drops", "earns",
# "gathers", "the mail"): frames built on those leave the held-out vocabulary, which has to
# be unseen by every vocabulary a model trains on
_CORE_WORDS = words(" ".join(f for frames in (
    core.START, core.ADD, core.SUB, core.GROUPS, core.TIMES, core.CUED_ADD, core.CUED_SUB, core.GROUP_VERBS, core.GROUP_GIVERS, core.GROUP_UNITS,
    core.GROUP_LINKS, core.GROUP_TAILS, core.GROUP_SHAPES, core.SHARE, core.DISTRACT, core.QUESTION, core.SHARE_QUESTION, core.LEAD_START,
    core.LEAD_STEP, core.CONTAINERS, core.PLACES, core.ITEMS, wordmath._START, wordmath._ADD, wordmath._SUB, wordmath._BOXES,
    wordmath._SHARE, wordmath._QUESTION, wordmath._SHARE_QUESTION, wordmath.ITEMS, wordmath.PLACES) for f in frames))
SEEN_HELD_OUT_VERBS = frozenset(v for v in lexicon.HELD_OUT_VERBS if has_form(v, _CORE_WORDS))


def _without(verbs: frozenset[str] | tuple[str, ...], frames: tuple[str, ...]) -> tuple[str, ...]:
    """The frames with no form of any of `verbs`."""
    return tuple(f for f in frames if not any(has_form(v, words(f)) for v in verbs))


# The brief `lexicon`'s writer worked from was written by someone who had read `paraphrase`, and
# its examples named some of paraphrase's words (borrowing and keeping them, donating, ordering
# crates of so many apiece, trading, breaking): frames with those are not drawn, so that
# paraphrase's sentences around them still measure a phrasing the curriculum did not steer toward
_STEERED = ("borrow", "donat", "order", "crate", "apiece", "break", "broke", "trade")


def _unsteered(frames: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in frames if not any(w.startswith(_STEERED) for w in words(f)))


WIDE_ADD, WIDE_SUB, WIDE_GROUPS = _unsteered(lexicon.ADD), _unsteered(lexicon.SUB), _unsteered(lexicon.GROUPS)


def _trainable(frames: tuple[str, ...]) -> tuple[str, ...]:
    """A later batch's frames (`lexicon2`, `lexicon3`) less any with a held-out verb in some form
    (its writers were told the verbs to leave out; this holds whatever they wrote) or a steered word."""
    return _without(lexicon.HELD_OUT_VERBS, _unsteered(frames))


WIDER_ADD, WIDER_SUB, WIDER_GROUPS = (WIDE_ADD + _trainable(lexicon2.ADD), WIDE_SUB + _trainable(lexicon2.SUB),
                                      WIDE_GROUPS + _trainable(lexicon2.GROUPS))
# a pair is kept or left out whole, so that every construction stays told in both directions
_PAIRS = tuple(pair for pair in lexicon3.PAIRS if _trainable(pair) == pair)
PAIRED_ADD, PAIRED_SUB = WIDER_ADD + tuple(a for a, _ in _PAIRS), WIDER_SUB + tuple(s for _, s in _PAIRS)
# vocabulary -> (share of the steps told with lexicon frames, add, take-away and group frames)
LEXICON_SHARE = {"wide": (1 / 3, WIDE_ADD, WIDE_SUB, WIDE_GROUPS),
                  "wider": (1 / 2, WIDER_ADD, WIDER_SUB, WIDER_GROUPS),
                  "paired": (1 / 2, PAIRED_ADD, PAIRED_SUB, WIDER_GROUPS)}
# "paired"'s frames and each one retold in the past tense (`lexicon_past`), drawn alike
TENSED_ADD, TENSED_SUB, TENSED_GROUPS = (frames + _trainable(tuple(lexicon_past.PAST[f] for f in frames))
                                         for frames in (PAIRED_ADD, PAIRED_SUB, WIDER_GROUPS))
LEXICON_SHARE["tensed"] = (1 / 2, TENSED_ADD, TENSED_SUB, TENSED_GROUPS)


def _with_entries(frames: tuple[str, ...], entries: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """`frames` and every (present, past) entry's two frames; an entry is kept or left out whole
    (`_trainable`), so that both tenses of each are drawn."""
    return frames + tuple(f for entry in entries if _trainable(entry) == entry for f in entry)


BALANCED_ADD, BALANCED_SUB = _with_entries(TENSED_ADD, lexicon4.ADD), _with_entries(TENSED_SUB, lexicon4.SUB)
LEXICON_SHARE["balanced"] = (1 / 2, BALANCED_ADD, BALANCED_SUB, TENSED_GROUPS)
# "wide" and `lexicon5`'s cue counterweights, both tenses, one change against "wide" to measure
WIDE_CUES_ADD, WIDE_CUES_SUB = _with_entries(WIDE_ADD, lexicon5.ADD), _with_entries(WIDE_SUB, lexicon5.SUB)
LEXICON_SHARE["wide-cues"] = (1 / 3, WIDE_CUES_ADD, WIDE_CUES_SUB, WIDE_GROUPS)
# "tensed"'s frames, and half the step sentences opened with `workloads/leads.py`'s 200-odd
# time, place and circumstance openers instead of `core.LEAD_STEP`'s 13: a model trained on 13 read
# "adds N to the pile" right after "Then " and wrong after an opener it had never seen
LEXICON_SHARE["tensed-leads"] = LEXICON_SHARE["tensed"]
# and with `lexicon5`'s cue counterweights, which "wide-cues" had and the stages after it dropped:
# lexicon5's verb-told adds ("... and adds them to the heap") among "tensed"'s frames, opened alike
LEXICON_SHARE["tensed-leads-cues"] = (1 / 2, _with_entries(TENSED_ADD, lexicon5.ADD),
                                       _with_entries(TENSED_SUB, lexicon5.SUB), TENSED_GROUPS)
WIDE_LEADS = frozenset({"tensed-leads", "tensed-leads-cues"})
TRAINABLE = ("core", *LEXICON_SHARE)  # every vocabulary but the held-out one, never trained on
VOCABULARIES = (*TRAINABLE, "held-out")

UNSEEN_ADD, UNSEEN_SUB, UNSEEN_GROUPS = (_without(SEEN_HELD_OUT_VERBS, frames) for frames in (
    lexicon.HELD_OUT_ADD, lexicon.HELD_OUT_SUB, lexicon.HELD_OUT_GROUPS))
