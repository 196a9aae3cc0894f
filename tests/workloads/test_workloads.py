import re

import pytest

from workloads import fleet, pycode, wordmath


def _check_solution(problem: wordmath.Problem) -> None:
    """Every equation of the worked solution is true arithmetic; the last value is N."""
    equations = re.findall(r"(\d+) ([-+*/]) (\d+) = (\d+)", problem.solution)
    assert equations, problem.solution
    for a, op, b, c in equations:
        a, b, c = int(a), int(b), int(c)
        assert {"+": a + b, "-": a - b, "*": a * b, "/": a // b}[op] == c
        if op == "/":
            assert a % b == 0
        assert 0 <= c <= 99
    assert int(equations[-1][3]) == problem.answer
    assert problem.solution.endswith(f"The answer is {problem.answer}.")


def test_wordmath_splits_are_disjoint_and_reproducible():
    train = wordmath.generate("train", 3000, seed=0)
    heldout = wordmath.generate("heldout", 500, seed=0)
    assert not {p.question for p in train} & {p.question for p in heldout}
    assert all(wordmath.split_of(p.question) == "heldout" for p in heldout)
    # another seed of the train split still never produces a held-out question
    other = wordmath.generate("train", 3000, seed=7)
    assert not {p.question for p in other} & {p.question for p in heldout}
    assert wordmath.generate("heldout", 50, seed=0) == heldout[:50]
    assert wordmath.generate("heldout", 50, seed=1) != heldout[:50]


def test_wordmath_solutions_are_correct_and_varied():
    problems = wordmath.generate("train", 2000, seed=3)
    for p in problems:
        _check_solution(p)
        assert wordmath.is_correct(p, " " + p.solution)
        assert p.prompt.startswith("Q: ") and p.prompt.endswith("\nA:")
    assert len({p.question.split()[0] for p in problems}) > 20  # many protagonists
    assert {p.steps for p in problems} == {2, 3, 4}
    openings = {" ".join(p.question.split()[1:3]) for p in problems}
    assert len(openings) >= 5  # several phrasings


def test_wordmath_exact_match_scores_only_the_final_answer():
    p = wordmath.generate("heldout", 1, seed=0)[0]
    assert wordmath.is_correct(p, f"garbage. The answer is {p.answer}.")
    assert not wordmath.is_correct(p, f"The answer is {p.answer + 1}.")
    assert not wordmath.is_correct(p, "no final sentence")
    assert wordmath.extract_answer("The answer is 12. The answer is 5.") == 12


def test_wordmath_rejects_bad_arguments():
    with pytest.raises(ValueError, match="unknown wordmath split"):
        wordmath.generate("test", 1)
    with pytest.raises(ValueError, match="step range"):
        wordmath.generate("train", 1, min_steps=3, max_steps=2)


def test_pycode_split_is_by_file_and_disjoint():
    train = pycode.files("train")
    heldout = pycode.files("heldout")
    assert train and heldout
    assert not set(train) & set(heldout)
    root = pycode.stdlib_root()
    for path in heldout:
        assert pycode.split_of(path.relative_to(root).as_posix()) == "heldout"
    assert not any("test" in p.relative_to(root).parts[:-1] for p in train + heldout)
    tasks = pycode.line_tasks("heldout", 20, seed=0)
    assert len(tasks) == 20
    held_names = {p.relative_to(root).as_posix() for p in heldout}
    assert all(t.source in held_names for t in tasks)
    assert all(t.prefix.endswith("\n") and "\n" not in t.line for t in tasks)


def test_fleet_streams_are_deterministic_zipf_and_private():
    cfg = fleet.FleetWorkloadConfig(devices=4, queries_per_round=200, private_fraction=0.25)
    work = fleet.FleetWorkload(cfg)
    a = work.queries(1, 0)
    assert a == fleet.FleetWorkload(cfg).queries(1, 0)
    assert a != work.queries(1, 1)
    shared = [q for q in a if not q.private]
    private = [q for q in a if q.private]
    assert 0.15 < len(private) / len(a) < 0.35
    # Zipf: the most popular shared question recurs far more than the median one
    counts = sorted((sum(q.key == k for q in shared) for k in {q.key for q in shared}), reverse=True)
    assert counts[0] >= 4 * counts[len(counts) // 2]
    # private problems mention only names of their own device
    names_1 = {fleet.private_name(cfg.seed, 1, i) for i in range(2)}
    for q in private:
        assert q.key.startswith("private/1/")
        assert any(n in q.problem.question for n in names_1)
    others = [fleet.private_name(cfg.seed, d, i) for d in (0, 2, 3) for i in range(2)]
    for q in a:
        assert not any(n in q.problem.question for n in others)
    with pytest.raises(ValueError, match="outside the fleet"):
        work.private_pool(9)


def _chain(solution: str) -> int:
    """Walk an equations solution from its opening count; every step must start from the running
    value (a distractor keeps it); returns the final value."""
    value = int(re.match(r"Start with (\d+)\. ", solution).group(1))
    for step in solution.split(". ")[1:-1]:
        if step.startswith("The count stays "):
            assert int(step.rsplit(" ", 1)[1]) == value, solution
            continue
        *groups, last = step.split(" and ")  # "4 * 9 = 36 and 52 + 36 = 88": the group, then the step
        a, _, b, c = re.fullmatch(r"(\d+) ([-+*/]) (\d+) = (\d+)", last).groups()
        assert int(a) == value and (not groups or groups[0].endswith(f"= {b}")), solution
        value = int(c)
    return value


def test_the_equations_format_computes_every_step_and_copies_only_numbers():
    from workloads import phrasings

    problems = wordmath.generate("train", 600, seed=4) + phrasings.generate(600, seed=4)
    for worked, eq in zip(problems, wordmath.in_format(problems, "equations")):
        assert (eq.question, eq.answer, eq.steps) == (worked.question, worked.answer, worked.steps)
        _check_solution(eq)
        assert _chain(eq.solution) == eq.answer
        assert wordmath.is_correct(eq, " " + eq.solution)
        # nothing of the question's wording is written, only its numbers and the fixed words
        assert set(re.findall(r"[A-Za-z]+", eq.solution)) <= {"Start", "with", "and", "The", "count", "stays",
                                                              "answer", "is"}, eq.solution
    assert wordmath.in_format(problems, "worked") == problems
    with pytest.raises(ValueError, match="unknown solution format 'latex'"):
        wordmath.in_format(problems, "latex")
    # a solution already in equations (or any text without worked steps) is refused, not mangled
    with pytest.raises(ValueError, match="not a worked solution"):
        wordmath.as_equations(wordmath.as_equations(problems[0]))
