"""`wordmath`: GSM8K-style multi-step word problems, generated offline from a seed.

Each problem is a short story over one quantity (a person's stock of some item) that
changes in two to four steps (buy, receive, give away, sell, eat, pack in boxes, share
equally). The worked solution restates each sentence and computes its step ("She buys 14
more apples at the shop, so 23 + 14 = 37.") and ends in "The answer is N." Exact match
scores only N.

Splits are disjoint by construction: a problem's split is a function of a hash of its
question text, and the generator keeps drawing until it has enough problems of the split
asked for. The same question text can therefore never appear in two splits.

Format choices (see docs/design.md, "Small models on a CPU"): digits are tokenized one by one, every
quantity stays within 2..99, and the solution copies each sentence before its equation,
so every token except the arithmetic results is locally predictable. A large enough
model can then be made reliably right in CPU-hours, while a small model still stumbles
on carries: the hard tokens that token-level routing exists to catch.

A second solution format, `equations` (`as_equations`), drops the restatement: "Start with 60.
60 - 15 = 45. 45 + 45 = 90. The answer is 90." A model trained on it copies only the
question's numbers, which is what lets it answer sentences unlike its own (README, "Equations
instead of restatement").
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from workloads.errors import WorkloadError

SPLITS = ("train", "heldout")
# share of the question-hash space that belongs to the held-out split
_HELDOUT_BUCKETS = 2  # of 16
_MAX_VALUE = 99
P = TypeVar("P")  # a generated problem: anything with a `question`

NAMES = (
    "Ava", "Liam", "Mia", "Noah", "Emma", "Omar", "Sofia", "Lucas", "Zoe", "Ethan",
    "Nora", "Leo", "Ivy", "Mateo", "Chloe", "Aria", "Kai", "Lena", "Hugo", "Maya",
    "Ravi", "Yuki", "Amara", "Jonas", "Elena", "Felix", "Priya", "Diego", "Hana", "Sam",
    "Tariq", "Ines", "Marco", "Aisha", "Ben", "Clara", "Dev", "Freya", "Ivan", "Julia",
)
ITEMS = (
    "apples", "stickers", "marbles", "pencils", "books", "cookies", "coins", "shells",
    "cards", "stamps", "oranges", "balloons", "candles", "buttons", "beads", "eggs",
    "plums", "rocks", "tickets", "toys", "cupcakes", "crayons", "lemons", "nuts",
)
PLACES = ("the market", "the shop", "school", "the fair", "the park", "the library")
# (subject pronoun, object pronoun, possessive) per name, chosen by a hash so a name
# always keeps its pronouns within one corpus
_PRONOUNS = (("she", "her", "her"), ("he", "him", "his"), ("they", "them", "their"))

_START = (
    "{name} has {a} {item}.",
    "{name} had {a} {item}.",
    "{name} collected {a} {item}.",
    "There are {a} {item} in {poss} bag, and they all belong to {name}.",
    "{name} starts the day with {a} {item}.",
)
_ADD = (
    "{Subj} buys {b} more {item} at {place}.",
    "{friend} gives {obj} {b} {item}.",
    "{Subj} finds {b} more {item}.",
    "Then {subj} gets {b} more {item} from {friend}.",
    "{Subj} wins {b} {item} at {place}.",
)
_SUB = (
    "{Subj} gives {b} {item} to {friend}.",
    "{Subj} sells {b} {item} at {place}.",
    "{Subj} loses {b} of {poss} {item}.",
    "Then {subj} uses {b} {item}.",
    "{friend} takes {b} {item} from {obj}.",
)
# multiplicative growth: k boxes of m items each are added
_BOXES = (
    "{Subj} buys {k} boxes with {m} {item} in each box.",
    "{friend} gives {obj} {k} packs of {m} {item}.",
    "{Subj} gets {k} bags that each hold {m} {item}.",
)
_SHARE = (
    "{Subj} shares all {poss} {item} equally among {k} friends.",
    "{Subj} splits the {item} into {k} equal groups.",
    "{Subj} puts the {item} into {k} jars with the same number in each.",
)
_QUESTION = (
    "How many {item} does {name} have now?",
    "How many {item} does {name} have left?",
    "How many {item} are there at the end?",
)
_SHARE_QUESTION = (
    "How many {item} does each friend get?",
    "How many {item} are in each group?",
    "How many {item} are in each jar?",
)


@dataclass(frozen=True)
class Problem:
    """One word problem: the prompt a model sees, the worked solution, the answer."""

    question: str
    solution: str
    answer: int
    steps: int

    @property
    def prompt(self) -> str:
        # the model is asked to continue after "A:"; the solution starts with a space
        return f"Q: {self.question}\nA:"

    @property
    def text(self) -> str:
        return f"{self.prompt} {self.solution}"


# A worked solution is one line: a newline after "A:" ends the answer (decoder stop string).
STOP = ("\n",)

_ANSWER_RE = re.compile(r"The answer is (-?\d+)\.")


SOLUTION_FORMATS = ("worked", "equations")
_WORK = re.compile(r", so (.+?)\.(?= |$)")  # a worked step: "..., so 38 - 13 = 25."
_NUMBER = re.compile(r"\d+")


def as_equations(problem: Problem) -> Problem:
    """`problem` with its worked solution rewritten as equations only: "Start with a." (the
    opening sentence's first number), then each step's computation as the worked solution has
    it ("4 * 9 = 36 and 52 + 36 = 88.", "The count stays 52." for a distractor), then "The
    answer is N." Works for both generators of worked solutions (wordmath, phrasings)."""
    start = _NUMBER.search(problem.solution.split(". ")[0])
    steps = _WORK.findall(problem.solution)
    if start is None or len(steps) < problem.steps:
        raise WorkloadError(f"not a worked solution (an opening count and {problem.steps} '..., so "
                            f"<step>.' sentences expected): {problem.solution[:120]!r}")
    work = [step[0].upper() + step[1:] + "." for step in steps]
    return Problem(question=problem.question, answer=problem.answer, steps=problem.steps,
                   solution=" ".join([f"Start with {start.group(0)}.", *work, f"The answer is {problem.answer}."]))


def in_format(problems: list[Problem], solution_format: str) -> list[Problem]:
    """`problems` with their solutions written in `solution_format` (one of SOLUTION_FORMATS)."""
    if solution_format not in SOLUTION_FORMATS:
        raise WorkloadError(f"unknown solution format {solution_format!r}: use one of {SOLUTION_FORMATS}")
    return problems if solution_format == "worked" else [as_equations(p) for p in problems]


def extract_answer(text: str) -> int | None:
    """The N of the first "The answer is N." in `text`, or None if there is none."""
    match = _ANSWER_RE.search(text)
    return int(match.group(1)) if match else None


def is_correct(problem: Problem, generated: str) -> bool:
    """Exact match of the final answer in a generated solution."""
    return extract_answer(generated) == problem.answer


def split_of(question: str) -> str:
    """Deterministic split of a question text (stable across machines and runs)."""
    bucket = hashlib.sha256(question.encode("utf-8")).digest()[0] % 16
    return "heldout" if bucket < _HELDOUT_BUCKETS else "train"


def _pronouns(name: str) -> tuple[str, str, str]:
    return _PRONOUNS[hashlib.sha256(name.encode()).digest()[0] % len(_PRONOUNS)]


def _draw(rng: random.Random, min_steps: int, max_steps: int,
          names: tuple[str, ...] = NAMES) -> Problem:
    name = rng.choice(names)
    friend = rng.choice([n for n in NAMES if n != name])
    item = rng.choice(ITEMS)
    subj, obj, poss = _pronouns(name)
    if subj == "they":
        # keep verbs agreeing: "they" is rare enough here that we simply reuse the name
        subj, obj, poss = name, name, f"{name}'s"
    slots = {"name": name, "friend": friend, "item": item, "subj": subj, "Subj": subj[0].upper() + subj[1:],
             "obj": obj, "poss": poss, "place": rng.choice(PLACES)}
    steps = rng.randint(min_steps, max_steps)
    value = rng.randint(10, 60)
    opening = rng.choice(_START).format(a=value, **slots)
    story = [opening]
    # the worked solution restates each sentence, then computes: every token but the
    # arithmetic results is a copy, so a model's errors concentrate on the hard tokens
    solution: list[str] = [opening]
    share_question = False
    for index in range(steps):
        last = index == steps - 1
        # every quantity stays in 2..99: two-digit arithmetic throughout
        room = _MAX_VALUE - value
        divisors = [k for k in range(2, 10) if value % k == 0 and value // k >= 2]
        weights = (4 if room >= 2 else 0, 4 if value >= 4 else 0,
                   2 if room >= 4 else 0, 1 if last and divisors else 0)
        kind = rng.choices(("add", "sub", "boxes", "share"), weights=weights)[0]
        if kind == "add":
            b = rng.randint(2, min(49, room))
            sentence = rng.choice(_ADD).format(b=b, **slots)
            work = f"{value} + {b} = {value + b}"
            value += b
        elif kind == "sub":
            b = rng.randint(2, min(value - 2, 49))
            sentence = rng.choice(_SUB).format(b=b, **slots)
            work = f"{value} - {b} = {value - b}"
            value -= b
        elif kind == "boxes":
            k = rng.randint(2, min(5, room // 2))
            m = rng.randint(2, min(12, room // k))
            sentence = rng.choice(_BOXES).format(k=k, m=m, **slots)
            work = f"{k} * {m} = {k * m} and {value} + {k * m} = {value + k * m}"
            value += k * m
        else:
            k = rng.choice(divisors)
            sentence = rng.choice(_SHARE).format(k=k, **slots)
            work = f"{value} / {k} = {value // k}"
            value //= k
            share_question = True
        story.append(sentence)
        solution.append(f"{sentence[:-1]}, so {work}.")
    question_pool = _SHARE_QUESTION if share_question else _QUESTION
    story.append(rng.choice(question_pool).format(**slots))
    solution.append(f"The answer is {value}.")
    return Problem(question=" ".join(story), solution=" ".join(solution), answer=value,
                   steps=steps)


def generate(split: str, n: int, seed: int | str = 0, min_steps: int = 2,
             max_steps: int = 4, names: tuple[str, ...] = NAMES) -> list[Problem]:
    """`n` distinct problems of `split`, reproducible from `seed`.

    `names` replaces the pool of protagonists (the fleet workload uses it to write
    device-private problems about people only one device knows).

    Raises:
        ValueError: unknown split, or a step range that is empty.
    """
    if split not in SPLITS:
        raise WorkloadError(f"unknown wordmath split {split!r}: use one of {SPLITS}")
    if not names:
        raise WorkloadError("names must hold at least one name")
    check_steps(min_steps, max_steps)
    # string seed: random.Random hashes it with sha512, stable across runs and machines
    rng = random.Random(f"wordmath/{split}/{seed}")
    return distinct(n, lambda: _draw(rng, min_steps, max_steps, names),
                    keep=lambda problem: split_of(problem.question) == split)


def check_steps(min_steps: int, max_steps: int) -> None:
    """A generator's step range must hold at least one step count >= 1."""
    if not 1 <= min_steps <= max_steps:
        raise WorkloadError(f"step range [{min_steps}, {max_steps}] is empty: need 1 <= min <= max")


def distinct(n: int, draw: Callable[[], P], keep: Callable[[P], bool] = lambda _: True) -> list[P]:
    """The first `n` draws with distinct questions that `keep` accepts (every generated
    workload draws this way, so a seed fixes the whole list)."""
    seen: set[str] = set()
    out: list[P] = []
    while len(out) < n:
        problem = draw()
        if problem.question in seen or not keep(problem):
            continue
        seen.add(problem.question)
        out.append(problem)
    return out
