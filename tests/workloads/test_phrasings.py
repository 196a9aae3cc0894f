"""The widened curriculum: worked solutions that are right, distractors that change nothing,
and nothing shared with the held-out `paraphrase` set it is measured on."""

import re

import pytest

from workloads import paraphrase, phrasings, wordmath
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


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"n": 3, "min_steps": 3, "max_steps": 2}, {"n": 3, "min_steps": 0}])
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
    fixed = phrasings.frame_patterns((*phrasings._GROUPS, *phrasings._TIMES))
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
    for op, frames in (("+", phrasings._ADD), ("-", phrasings._SUB)):
        steps = [m.group(1) for p in problems
                 for m in re.finditer(rf"(?:^|\. )([^.]+), so \d+ {re.escape(op)} \d+ = ", p.solution)
                 if "*" not in m.group(0)]
        fixed = phrasings.frame_patterns(frames)
        cued = [s for s in steps if not any(f.fullmatch(s + ".") for f in fixed)]
        assert 0.2 < len(cued) / len(steps) < 0.45, (op, len(cued), len(steps))
