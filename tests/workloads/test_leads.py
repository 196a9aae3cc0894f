"""`leads` and the "tensed-leads" vocabulary: step sentences opened with many openers, none of
which any held-out phrasing uses."""

import importlib.util
import re
from pathlib import Path

from tests.workloads.test_phrasings import _held_out_forms, _replay
from workloads import leads, lexicon, paraphrase, phrasings, vocabularies

_EXPERIMENTS = Path(__file__).resolve().parents[2] / "docs" / "experiments"
_NUMBER_WORDS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "first", "second",
                 "third", "once", "twice", "half", "dozen", "hundred"}


def _held_out_frames() -> list[paraphrase.Frames]:
    """Every phrasing a cloud is measured on: `paraphrase`, the unseen verbs, and the held-out sets
    beside the issue 14 experiments (loaded from their files, as `heldout_file.py` does)."""
    sets = [paraphrase.FRAMES, phrasings.UNSEEN_VERBS]
    for name in ("fresh", "blind", "blind2", "blind3", "blind4"):
        spec = importlib.util.spec_from_file_location(f"{name}_phrasing", _EXPERIMENTS / f"{name}_phrasing.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sets.append(module.FRAMES)
    return sets


def test_the_openers_follow_their_brief():
    """Distinct, capitalised, ending in ", " or " ", no number, no person, at most eight words."""
    openers = leads.STEP_LEADS
    assert len(openers) >= 200 and len(set(openers)) == len(openers)
    assert len({o.rstrip(", ") for o in openers}) == len(openers)  # none differs only by its comma
    assert sum(not o.endswith(", ") for o in openers) >= 60
    for opener in openers:
        assert opener[0].isupper() and opener.endswith((", ", " ")), repr(opener)
        assert not opener.endswith("  ") and not re.search(r"\d", opener), repr(opener)
        assert len(opener.split()) <= 8, opener
        assert not vocabularies.words(opener) & (_NUMBER_WORDS | {"her", "his", "their", "him", "she", "he"}), opener


def test_no_opener_is_in_a_held_out_phrasing():
    """An opener a held-out set also uses ("On the way home, ...") would teach that set's words:
    none occurs in any of their sentences, and none holds a held-out verb in any form."""
    sentences = [f.lower() for frames in _held_out_frames()
                 for f in (*frames.start, *frames.add, *frames.sub, *frames.groups, *frames.question)]
    for opener in leads.STEP_LEADS:
        phrase = re.escape(opener.rstrip(", ").lower())
        assert not any(re.search(rf"(?:^|\W){phrase}(?:\W|$)", s) for s in sentences), opener
        assert not any(vocabularies.has_form(v, vocabularies.words(opener)) for v in lexicon.HELD_OUT_VERBS), opener
    assert not _held_out_forms() & set().union(*(vocabularies.words(o) for o in leads.STEP_LEADS))


def _openers_drawn(problems) -> list[str | None]:
    """The `leads` opener of every step sentence of the worked solutions (None: another opening)."""
    longest_first = sorted(leads.STEP_LEADS, key=len, reverse=True)
    found = []
    for p in problems:
        for m in re.finditer(r"(?:^|\. )([^.]+), so (?:\d+ [-+/] \d+ = |the count stays)", p.solution):
            sentence = m.group(1)
            found.append(next((o for o in longest_first if sentence.startswith(o)), None))
    return found


def test_tensed_leads_opens_about_half_the_steps_with_the_openers_and_tensed_none():
    drawn = phrasings.generate(600, seed="leads", vocabulary="tensed-leads")
    assert all(_replay(p) == p.answer and phrasings.shares_nothing_with_paraphrase(p) for p in drawn)
    opened = _openers_drawn(drawn)
    share = sum(o is not None for o in opened) / len(opened)
    # half the steps, less those a noisy story opens with made-up words instead (about 23%)
    assert 0.3 < share < 0.5, share
    assert len(set(opened) - {None}) > 150  # the whole list is drawn, not a few favourites
    # the directions stay balanced under the openers: no opener decides the step
    led, plain = [], []
    for p in drawn:
        for m in re.finditer(r"(?:^|\. )([^.]+), so \d+ ([-+]) \d+ = ", p.solution):
            (led if m.group(1).startswith(leads.STEP_LEADS) else plain).append(m.group(2))
    assert abs(led.count("+") / len(led) - plain.count("+") / len(plain)) < 0.08
    # "tensed" draws none of them beyond the few its own frames open with
    tensed = _openers_drawn(phrasings.generate(600, seed="leads", vocabulary="tensed"))
    assert sum(o is not None for o in tensed) / len(tensed) < 0.05
