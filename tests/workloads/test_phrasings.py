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
    assert not set(p.question for p in a) & set(p.question for p in phrasings.generate(50, seed=4))


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


@pytest.mark.parametrize("kwargs", [dict(n=0), dict(n=3, min_steps=3, max_steps=2), dict(n=3, min_steps=0)])
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(WorkloadError):
        phrasings.generate(**kwargs)
