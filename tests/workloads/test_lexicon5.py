"""`lexicon5` and the "wide-cues" vocabulary: sentences in which only the verb tells the direction."""

import re
import string

import pytest

from workloads import lexicon5, phrasings, vocabularies

_QUANTITY = ("more", "another", "extra", "new", "additional", "further", "fresh", "spare", "free")


def test_the_fifth_batch_leaves_the_direction_to_the_verb_in_both_tenses():
    """`lexicon5`: every take-away entry carries a quantity word the other batches use for adding,
    no add entry carries one or names the owner, and every entry is drawn in both tenses."""
    for name, entries in (("ADD_BY_VERB", lexicon5.ADD_BY_VERB), ("SUB_QUANTIFIED", lexicon5.SUB_QUANTIFIED)):
        assert len(entries) >= 50 and len(set(entries)) == len(entries)
        for present, past in entries:
            assert present != past and re.findall(r"\{\w+\}", present) == re.findall(r"\{\w+\}", past), (present, past)
            for frame in (present, past):
                slots = [field for _, field, _, _ in string.Formatter().parse(frame) if field]
                assert set(slots) <= {"S", "O", "P", "F", "I", "C", "L", "b"} and slots.count("b") == 1, frame
                assert frame.endswith(".") and not re.search(r"[.?!]|\d", frame[:-1]), frame
                quantified = vocabularies.words(frame) & set(_QUANTITY)
                if name == "SUB_QUANTIFIED":
                    assert quantified, frame
                else:
                    assert not quantified and not {"{P}", "{O}"} & set(re.findall(r"\{\w\}", frame)), frame
                    assert not vocabularies.words(frame) & {"her", "his", "their", "him"}, frame
    assert (lexicon5.ADD, lexicon5.SUB) == (lexicon5.ADD_BY_VERB, lexicon5.SUB_QUANTIFIED)
    assert vocabularies.WIDE_CUES_ADD == vocabularies.WIDE_ADD + tuple(f for entry in lexicon5.ADD for f in entry)
    assert vocabularies.WIDE_CUES_SUB == vocabularies.WIDE_SUB + tuple(f for entry in lexicon5.SUB for f in entry)


def _step_lean(vocabulary: str, word: str) -> float:
    """Share of the drawn add and take-away steps holding `word` that add."""
    ops = [op for p in phrasings.generate(1500, seed="lean", vocabulary=vocabulary)
           for sentence, op in re.findall(r"([^.]*), so \d+ ([+-]) \d+ = ", p.solution)
           if re.search(rf"\b{word}\b", sentence.lower())]
    return ops.count("+") / len(ops)


@pytest.mark.parametrize("word", ["more", "another", "extra"])
def test_the_quantity_words_lean_toward_adding_less_in_wide_cues_than_in_wide(word):
    """In "wide"'s drawn steps a step with "more", "another" or "extra" adds 97-100% of the time:
    the word alone tells the direction. "wide-cues" keeps the core's cued frames (a made-up verb
    has nothing else) and adds take-aways that carry the word."""
    assert _step_lean("wide", word) > 0.95
    assert _step_lean("wide-cues", word) < _step_lean("wide", word) - 0.05


def test_tensed_leads_cues_is_tensed_leads_with_the_fifth_batch_among_its_frames():
    """"tensed-leads-cues" draws `lexicon5`'s entries (both tenses) with "tensed"'s frames, opens
    steps as "tensed-leads" does, and leans "more" toward adding less than "tensed-leads"."""
    share, add, sub, groups = vocabularies.LEXICON_SHARE["tensed-leads-cues"]
    tensed_share, _, _, tensed_groups = vocabularies.LEXICON_SHARE["tensed"]
    assert (share, groups) == (tensed_share, tensed_groups)
    assert add == vocabularies.TENSED_ADD + tuple(f for entry in lexicon5.ADD for f in entry)
    assert sub == vocabularies.TENSED_SUB + tuple(f for entry in lexicon5.SUB for f in entry)
    patterns = phrasings.frame_patterns(tuple(f for entry in lexicon5.ADD + lexicon5.SUB for f in entry))
    sentences = [s for p in phrasings.generate(1500, seed="cues", vocabulary="tensed-leads-cues")
                 for s in re.split(r"(?<=[.?])\s+", p.question)]
    assert sum(any(p.fullmatch(s) for p in patterns) for s in sentences) >= 20
    assert _step_lean("tensed-leads-cues", "more") < _step_lean("tensed-leads", "more") - 0.03
