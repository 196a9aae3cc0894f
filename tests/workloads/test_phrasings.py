"""The widened curriculum: worked solutions that are right, distractors that change nothing,
and nothing shared with the held-out `paraphrase` set it is measured on."""

import hashlib
import random
import re
import string

import pytest

from workloads import (
    core_vocabulary,
    frame_lean,
    lexicon,
    lexicon2,
    lexicon3,
    lexicon4,
    lexicon_past,
    paraphrase,
    phrasings,
    vocabularies,
    wordmath,
)
from workloads.errors import WorkloadError

_STEP = re.compile(r"so (?:(\d+) \* (\d+) = (\d+) and )?(\d+) ([-+/]) (\d+) = (\d+)\.|so the count stays (\d+)\.")


def _replay(problem) -> int:
    """Recompute the count from the solution's own steps, checking each one's arithmetic."""
    value = int(re.search(r"\d+", problem.question).group())
    for m in _STEP.finditer(problem.solution):
        if m.group(8) is not None:  # a distractor: the count is restated, unchanged
            assert int(m.group(8)) == value
            continue
        if m.group(1):
            assert int(m.group(1)) * int(m.group(2)) == int(m.group(3))
        left, op, right, result = int(m.group(4)), m.group(5), int(m.group(6)), int(m.group(7))
        assert left == value, problem.solution
        value = {"+": left + right, "-": left - right, "/": left // right}[op]
        if op == "/":
            assert left % right == 0
        assert value == result and 2 <= value <= 99
    return value


def _steps(problems, op: str) -> list[str]:
    """The sentences of every `op` ("+" / "-") step, as the worked solutions restate them."""
    return [m.group(1) for p in problems
            for m in re.finditer(rf"(?:^|\. )([^.]+), so \d+ {re.escape(op)} \d+ = ", p.solution)
            if "*" not in m.group(0)]


def test_solutions_are_right_and_end_in_the_answer():
    problems = phrasings.generate(600, seed="t")
    for p in problems:
        assert _replay(p) == p.answer
        assert wordmath.extract_answer(p.solution) == p.answer
        assert 1 <= p.steps <= 5
    # the curriculum does what it is for: several frames per kind, distractors, 1..5 steps
    assert len({p.steps for p in problems}) == 5
    assert sum("the count stays" in p.solution for p in problems) > 100
    assert len({p.question.split(".")[0].split()[-1] for p in problems}) > 20  # many items


def test_the_same_seed_gives_the_same_problems_and_another_seed_others():
    a, b = phrasings.generate(50, seed=3), phrasings.generate(50, seed=3)
    assert a == b
    assert not {p.question for p in a} & {p.question for p in phrasings.generate(50, seed=4)}


def test_nothing_of_the_heldout_paraphrase_set_is_in_the_curriculum():
    assert all(phrasings.shares_nothing_with_paraphrase(p) for p in phrasings.generate(3000, seed="apart"))
    # the check can fail: a paraphrase sentence, name or item inside a problem is caught
    sample = phrasings.generate(1, seed=0)[0]
    # a paraphrase frame filled with the curriculum's own name and item: caught by its frame
    frame = paraphrase._SUB[0].format(name="Abel", friend="Dana", b=5, item="pears")
    for leak in (frame, f"{paraphrase.NAMES[0]} waves.", f"Some {paraphrase.ITEMS[0]} fall."):
        leaked = wordmath.Problem(question=f"{sample.question} {leak}", solution=sample.solution,
                                  answer=sample.answer, steps=sample.steps)
        assert not phrasings.shares_nothing_with_paraphrase(leaked), leak


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"n": 3, "min_steps": 3, "max_steps": 2}, {"n": 3, "min_steps": 0},
                                    {"n": 3, "vocabulary": "everything"}])
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(WorkloadError):
        phrasings.generate(**kwargs)


def test_equal_groups_are_told_in_many_frames_without_the_heldout_group_words():
    problems = phrasings.generate(600, seed="groups")
    # a worked group step restates its sentence: "<sentence>, so k * m = km and v + km = w."
    groups = [m.group(1) for p in problems
              for m in re.finditer(r"(?:^|\. )([^.]+), so \d+ \* \d+ = ", p.solution)]
    assert len(groups) > 100
    # about half are told in the fixed frames, the rest composed (verbs, units, links drawn)
    fixed = phrasings.frame_patterns((*core_vocabulary.GROUPS, *core_vocabulary.TIMES))
    composed = [g for g in groups if not any(f.fullmatch(g + ".") for f in fixed)]
    assert 0.25 < len(composed) / len(groups) < 0.6
    assert len({g.split(" of ")[0].split()[-1] for g in composed if " of " in g}) > 30  # many units
    heldout = {"delivers", "orders", "parcels", "crates", "containing", "apiece"}
    assert not heldout & {w for p in problems for w in re.findall(r"[a-z]+", p.question)}


def test_another_phrasing_draws_the_same_arithmetic_in_its_own_frames():
    import random

    frames = paraphrase.Frames(
        name="t", names=("Ann", "Bo"), items=("figs",), start=("{name} had {a} {item}.",),
        add=("{friend} adds {b} {item}.",), sub=("{name} loses {b} {item}.",),
        groups=("{name} gets {k} jars of {m} {item}.",), question=("How many {item} now?",))
    rng = random.Random(0)
    for _ in range(200):
        problem = paraphrase.draw(rng, frames)
        sentences = problem.question.split(". ")
        value = int(re.search(r"\d+", sentences[0]).group())
        for s in sentences[1:-1]:
            numbers = [int(x) for x in re.findall(r"\d+", s)]
            if "adds" in s:
                value += numbers[0]
            elif "loses" in s:
                value -= numbers[0]
            else:
                assert "jars of" in s
                value += numbers[0] * numbers[1]
        assert sentences[-1] == "How many figs now?"
        assert value == problem.answer and 2 <= value <= 99 and len(sentences) == problem.steps + 2


def test_a_third_of_adding_and_taking_away_is_told_around_a_made_up_verb():
    problems = phrasings.generate(600, seed="cues")
    for op, frames in (("+", core_vocabulary.ADD), ("-", core_vocabulary.SUB)):
        steps = _steps(problems, op)
        fixed = phrasings.frame_patterns(frames)
        cued = [s for s in steps if not any(f.fullmatch(s + ".") for f in fixed)]
        assert 0.2 < len(cued) / len(steps) < 0.45, (op, len(cued), len(steps))


def _first_frames(steps: list[str], patterns: list[re.Pattern]) -> list[int | None]:
    """Per step, the index of the first pattern it fits (None: none)."""
    return [next((i for i, f in enumerate(patterns) if f.fullmatch(s + ".")), None) for s in steps]


def _held_out_forms() -> set[str]:
    """The forms of the held-out verbs the held-out frames use ("obtains", "misplaced", ...)."""
    verbs = vocabularies.words(" ".join((*vocabularies.UNSEEN_ADD, *vocabularies.UNSEEN_SUB, *vocabularies.UNSEEN_GROUPS)))
    return {w for w in verbs if any(vocabularies.has_form(v, {w}) for v in lexicon.HELD_OUT_VERBS)}


def test_the_core_vocabulary_keeps_the_pools_the_readmes_runs_were_drawn_from():
    # digest of the pool before the other vocabularies existed: the experiments' seeds still hold
    pool = phrasings.generate(200, seed=0)
    digest = hashlib.sha256("\n".join(f"{p.question}|{p.solution}" for p in pool).encode()).hexdigest()
    assert digest == "255d63b8f85d94e728deb8dfbeca58805cdc9e175b6719984dde961e5abb7707"
    assert phrasings.generate(50, seed=0, vocabulary="wide") != pool[:50]
    # and the wide vocabulary's, as the lexicon run (README, "A verb lexicon") drew them
    wide = phrasings.generate(200, seed=0, vocabulary="wide")
    digest = hashlib.sha256("\n".join(f"{p.question}|{p.solution}" for p in wide).encode()).hexdigest()
    assert digest == "ff26036ea33ad9535b2e1ca8ac3cd38c0c0259789f4ef77ff145230098d46410"


def test_the_wide_vocabulary_tells_a_third_of_the_steps_in_the_lexicons_frames():
    wide = phrasings.generate(600, seed="wide", vocabulary="wide")
    core = phrasings.generate(600, seed="wide")
    assert all(_replay(p) == p.answer and phrasings.shares_nothing_with_paraphrase(p) for p in wide)
    for op, frames in (("+", vocabularies.WIDE_ADD), ("-", vocabularies.WIDE_SUB)):
        patterns = phrasings.frame_patterns(frames)

        def matched(problems, op=op, patterns=patterns):
            # slots match any text, so a few core frames fit a lexicon frame too ("buys {b} more")
            steps = _steps(problems, op)
            hits = _first_frames(steps, patterns)
            return sum(h is not None for h in hits) / len(steps), len(set(hits) - {None})

        (wide_share, wide_frames), (core_share, core_frames) = matched(wide), matched(core)
        # a third of the steps, the rest drawn as in the core vocabulary
        assert 0.1 < wide_share - core_share < 0.35, (op, wide_share, core_share)
        assert wide_frames > 60 and core_frames < 20, (op, wide_frames, core_frames)


@pytest.mark.parametrize("vocabulary, pools, earlier_pools, without, at_least", [
    ("wider", (vocabularies.WIDER_ADD, vocabularies.WIDER_SUB), (vocabularies.WIDE_ADD, vocabularies.WIDE_SUB), ("core", "wide"),
     50),
    ("paired", (vocabularies.PAIRED_ADD, vocabularies.PAIRED_SUB), (vocabularies.WIDER_ADD, vocabularies.WIDER_SUB),
     ("core", "wide", "wider"), 50),
    ("tensed", (vocabularies.TENSED_ADD, vocabularies.TENSED_SUB), (vocabularies.PAIRED_ADD, vocabularies.PAIRED_SUB),
     ("core", "wide", "wider", "paired"), 50),
    # a smaller batch (232 of 1,626 add frames): about 35 distinct in 600 problems, half of
    # them fit by an earlier frame first
    ("balanced", (vocabularies.BALANCED_ADD, vocabularies.BALANCED_SUB), (vocabularies.TENSED_ADD, vocabularies.TENSED_SUB),
     ("core", "wide", "wider", "paired", "tensed"), 10),
    # 120 fresh frames beside "wide"'s 161 add and 174 take-away frames, in a third of the steps
    ("wide-cues", (vocabularies.WIDE_CUES_ADD, vocabularies.WIDE_CUES_SUB), (vocabularies.WIDE_ADD, vocabularies.WIDE_SUB),
     ("core", "wide", "balanced"), 10)])
def test_a_vocabulary_draws_its_lexicon_batch_and_the_earlier_ones_do_not(vocabulary, pools, earlier_pools, without,
                                                                          at_least):
    drawn = {v: phrasings.generate(600, seed="wider", vocabulary=v) for v in (*without, vocabulary)}
    assert all(_replay(p) == p.answer and phrasings.shares_nothing_with_paraphrase(p) for p in drawn[vocabulary])
    for op, frames, earlier in zip("+-", pools, earlier_pools, strict=True):
        # the first frame a step fits, the earlier batches' frames first (slots match any text,
        # and a lead or made-up words around a frame that opens with words of its own fit none)
        patterns = phrasings.frame_patterns(frames, numbers=True)
        fresh = {i for i, f in enumerate(frames) if f not in earlier}
        shares, fresh_drawn = {}, {}
        for name, problems in drawn.items():
            steps = _steps(problems, op)
            hits = _first_frames(steps, patterns)
            shares[name] = sum(h is not None for h in hits) / len(steps)
            fresh_drawn[name] = len(set(hits) & fresh)
        # an earlier vocabulary's step can fit a new frame by chance ("{S} doles out {b} {I} to {F}."
        # fits "she doles out 11 pens to the kids near the ...")
        assert fresh_drawn[vocabulary] > at_least and all(fresh_drawn[v] <= 2 for v in without), (op, fresh_drawn)
        assert shares[vocabulary] - shares["core"] > 0.15, (op, shares)


def _shared_words(a: str, b: str) -> float:
    words_a, words_b = (set(re.findall(r"[a-z]+|\{\w\}", f.lower())) for f in (a, b))
    return len(words_a & words_b) / len(words_a | words_b)


def test_the_third_batch_tells_each_construction_in_both_directions_and_draws_both_frames():
    """`lexicon3`'s pairs share their sentence shape (a random add frame and take-away frame of the
    second batch share about a fifth of their words; a pair about three quarters), and the
    "paired" vocabulary keeps or leaves out a pair whole."""
    assert len(lexicon3.PAIRS) > 250 and all(len(pair) == 2 for pair in lexicon3.PAIRS)
    shared = sorted(_shared_words(add, sub) for add, sub in lexicon3.PAIRS)
    rng = random.Random(0)
    unpaired = sorted(_shared_words(rng.choice(lexicon2.ADD), rng.choice(lexicon2.SUB)) for _ in range(1000))
    assert shared[0] > 0.25 and shared[len(shared) // 2] > 0.6
    assert unpaired[len(unpaired) // 2] < 0.3
    kept = vocabularies._PAIRS
    assert len(kept) == len(lexicon3.PAIRS)  # none had a held-out verb or a steered word
    assert vocabularies.PAIRED_ADD[-len(kept):] == tuple(a for a, _ in kept)
    assert vocabularies.PAIRED_SUB[-len(kept):] == tuple(s for _, s in kept)


def test_the_held_out_vocabulary_uses_verbs_no_training_vocabulary_has():
    held_out = phrasings.generate(300, seed="unseen", vocabulary="held-out")
    assert all(_replay(p) == p.answer for p in held_out)
    forms = _held_out_forms()
    assert len(forms) >= 20
    for op in "+-":
        assert all(vocabularies.words(s) & forms for s in _steps(held_out, op))
    trained = (phrasings.generate(3000, seed="train", vocabulary="wide") + phrasings.generate(2000, seed="train")
               + phrasings.generate(3000, seed="train", vocabulary="wider")
               + phrasings.generate(3000, seed="train", vocabulary="paired")
               + phrasings.generate(3000, seed="train", vocabulary="tensed")
               + phrasings.generate(3000, seed="train", vocabulary="balanced")
               + phrasings.generate(3000, seed="train", vocabulary="wide-cues")
               + phrasings.generate(3000, seed="train", vocabulary="tensed-leads")
               + phrasings.generate(3000, seed="train", vocabulary="tensed-leads-cues")
               + wordmath.generate("train", 2000, seed="train"))
    seen = set().union(*(vocabularies.words(f"{p.question} {p.solution}") for p in trained))
    assert not forms & seen, sorted(forms & seen)
    # the lexicon's held-out verbs that the core frames use too leave the held-out vocabulary
    assert "drop" in vocabularies.SEEN_HELD_OUT_VERBS
    assert not any("drops" in vocabularies.words(f) for f in vocabularies.UNSEEN_ADD + vocabularies.UNSEEN_SUB)


def test_the_unseen_verbs_workload_tells_every_step_with_a_held_out_verb_and_sums_right():
    problems = paraphrase.generate(300, seed="uv", frames=phrasings.UNSEEN_VERBS)
    forms = _held_out_forms()
    add, sub, groups = (phrasings.frame_patterns(frames) for frames in (
        phrasings.UNSEEN_VERBS.add, phrasings.UNSEEN_VERBS.sub, phrasings.UNSEEN_VERBS.groups))
    for problem in problems:
        sentences = re.split(r"(?<=[.?])\s+", problem.question)
        assert any(sentences[0] and p.fullmatch(sentences[0]) for p in phrasings.frame_patterns(paraphrase._START))
        value = int(re.search(r"\d+", sentences[0]).group())
        for sentence in sentences[1:-1]:
            assert vocabularies.words(sentence) & forms, sentence
            numbers = [int(x) for x in re.findall(r"\d+", sentence)]
            if any(p.fullmatch(sentence) for p in groups):
                value += numbers[0] * numbers[1]
            elif any(p.fullmatch(sentence) for p in add):
                value += numbers[0]
            else:
                assert any(p.fullmatch(sentence) for p in sub), sentence
                value -= numbers[0]
        assert value == problem.answer
        assert any(name in problem.question for name in paraphrase.NAMES)
        assert not set(re.findall(r"[A-Z][a-z]+", problem.question)) & set(core_vocabulary.NAMES)


def test_the_words_the_lexicons_brief_steered_toward_paraphrase_are_never_drawn():
    # the lexicon has them ("{S} trades away {b} {I}."); the wide vocabulary leaves them out
    assert any("borrows" in vocabularies.words(f) for f in lexicon.SUB)
    for vocabulary in ("wide", "wider", "paired", "tensed", "balanced", "wide-cues", "tensed-leads",
                       "tensed-leads-cues"):
        drawn = phrasings.generate(3000, seed="steered", vocabulary=vocabulary)
        seen = set().union(*(vocabularies.words(p.question) for p in drawn))
        assert not {"borrows", "donates", "orders", "crates", "apiece", "broken", "breaks"} & seen


@pytest.mark.parametrize("module, name", [(lexicon, n) for n in ("ADD", "SUB", "GROUPS", "HELD_OUT_ADD", "HELD_OUT_SUB",
                                                                  "HELD_OUT_GROUPS")]
                         + [(lexicon2, n) for n in ("ADD", "SUB", "GROUPS")] + [(lexicon3, n) for n in ("ADD", "SUB")])
def test_every_lexicon_frame_is_one_sentence_with_its_slots(module, name):
    frames = getattr(module, name)
    counted = ("k", "m") if "GROUPS" in name else ("b",)
    for frame in frames:
        slots = [field for _, field, _, _ in string.Formatter().parse(frame) if field]
        assert set(slots) <= {"S", "O", "P", "F", "I", "C", "L", *counted}, frame
        assert all(slots.count(c) == 1 for c in counted), frame
        assert frame.endswith(".") and not re.search(r"[.?!]|\d", frame[:-1]), frame
    assert len(set(frames)) == len(frames)


def test_every_trained_lexicon_frame_has_a_past_tense_form_with_the_same_slots():
    trained = set(vocabularies.PAIRED_ADD + vocabularies.PAIRED_SUB + vocabularies.WIDER_GROUPS)
    assert set(lexicon_past.PAST) == trained
    for present, past in lexicon_past.PAST.items():
        assert sorted(re.findall(r"\{\w+\}", past)) == sorted(re.findall(r"\{\w+\}", present)), (present, past)
        assert past.endswith(".") and not re.search(r"[.?!]|\d", past[:-1]), past
    # a handful were written in the past already; the rest changed a verb
    assert sum(present == past for present, past in lexicon_past.PAST.items()) <= 5
    assert lexicon_past.PAST["{F} lends {b} {I} to {S}, who never gives them back."] == (
        "{F} lent {b} {I} to {S}, who never gave them back.")
    # the "tensed" pools hold each frame in both tenses
    assert len(vocabularies.TENSED_ADD) == 2 * len(vocabularies.PAIRED_ADD)
    assert len(vocabularies.TENSED_SUB) == 2 * len(vocabularies.PAIRED_SUB)


def test_frame_patterns_with_numbers_tell_a_group_sentence_from_a_plain_one():
    plain, groups = phrasings.frame_patterns(("{name} buys {b} {item}.", "{name} buys {k} boxes of {m} {item}."),
                                             numbers=True)
    assert plain.fullmatch("Rosa buys 7 mangoes.") and not plain.fullmatch("Rosa buys 3 boxes of 5 mangoes.")
    assert groups.fullmatch("Rosa buys 3 boxes of 5 mangoes.") and not groups.fullmatch("Rosa buys 7 mangoes.")
    # without it, any slot matches any text
    assert phrasings.frame_patterns(("{name} buys {b} {item}.",))[0].fullmatch("Rosa buys 3 boxes of 5 mangoes.")


def test_the_fourth_batch_tells_each_step_in_both_tenses_around_the_phrase_it_counterweighs():
    phrases = {"TO_THE": ("to the", "into the", "onto the", "into a", "onto a"),
               "FOR_IN_ON": ("for a", "in the", "on the"), "FROM_THE_OTHERS": ("from the",),
               "FROM_THE_SELF": ("from the",)}
    for name, kinds in phrases.items():
        entries = getattr(lexicon4, name)
        assert len(entries) >= 50
        for present, past in entries:
            assert any(frame_lean.count((present,), k) and frame_lean.count((past,), k) for k in kinds), present
            assert re.findall(r"\{\w+\}", present) == re.findall(r"\{\w+\}", past), (present, past)
            for frame in (present, past):
                slots = [field for _, field, _, _ in string.Formatter().parse(frame) if field]
                assert set(slots) <= {"S", "O", "P", "F", "I", "C", "L", "b"} and slots.count("b") == 1, frame
                assert frame.endswith(".") and not re.search(r"[.?!]|\d", frame[:-1]), frame
        assert sum(present == past for present, past in entries) == 0
    assert lexicon4.ADD == lexicon4.TO_THE + lexicon4.FOR_IN_ON
    assert lexicon4.SUB == lexicon4.FROM_THE_OTHERS + lexicon4.FROM_THE_SELF
    # every entry is drawn, in both tenses
    assert len(vocabularies.BALANCED_ADD) == len(vocabularies.TENSED_ADD) + 2 * len(lexicon4.ADD)
    assert len(vocabularies.BALANCED_SUB) == len(vocabularies.TENSED_SUB) + 2 * len(lexicon4.SUB)


def test_no_phrase_that_leaves_the_direction_to_other_words_leans_the_balanced_vocabulary():
    """The reason for `lexicon4`: "tensed"'s frames told "to the" and "into the" almost only in
    take-away steps and "from the" almost only in add steps; "balanced"'s tell each non-deciding
    phrase in both directions about as often (0.5: no lean)."""
    tensed = frame_lean.report(vocabularies.TENSED_ADD, vocabularies.TENSED_SUB)
    balanced = frame_lean.report(vocabularies.BALANCED_ADD, vocabularies.BALANCED_SUB)
    assert {p for p, (_, _, lean) in tensed.items() if not 0.2 <= lean <= 0.8} >= {
        "to the", "into the", "onto the", "into a", "from the", "by {F}"}
    assert all(0.25 <= lean <= 0.75 for _, _, lean in balanced.values()), balanced
    assert all(a + s >= 20 for a, s, _ in balanced.values()), balanced


def test_the_lean_of_a_phrase_counts_whole_words_and_weighs_each_pool_by_its_size():
    add = ("{S} adds {b} {I} to the {C}.", "{S} puts {b} {I} into the {C}.", "{S} buys {b} {I}.", "{S} finds {b} {I}.")
    sub = ("{S} gives {b} {I} to the {L}.", "{S} sells {b} {I}.")
    assert frame_lean.count(add, "to the") == 1 and frame_lean.count(add, "into the") == 1
    # one in four add frames against one in two take-away frames: a third of the weight adds
    assert frame_lean.lean(add, sub, "to the") == pytest.approx(1 / 3)
    assert frame_lean.lean(add, sub, "into the") == 1.0
    assert frame_lean.lean(add, sub, "by {F}") is None
    assert frame_lean.lean(("{I} are handed to {O} by {F}.",), sub, "by {F}") == 1.0
