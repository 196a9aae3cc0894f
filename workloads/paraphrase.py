"""`paraphrase`: arithmetic word problems phrased unlike anything the zoo trained on.

The same arithmetic as `wordmath` (one quantity, two to four steps of add / take away /
k groups of m, every value within 2..99) told with sentences, questions, names and items of
its own, none of which appears in `wordmath`'s templates or in the zoo's training data. It
answers the question a user asks first: does the shipped cloud model answer *my* phrasing,
or only the templates it was trained on? The prompt keeps the "Q: ...\\nA:" scaffold (the
form the zoo is queried in); everything inside it is new. Graded by the last number of the
output (`exact-number`), since a model that solves it may not end in "The answer is N.".
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from workloads import wordmath
from workloads.errors import WorkloadError

NAMES = ("Beatrix", "Cyrus", "Delphine", "Emeka", "Farah", "Gunnar", "Halima", "Isidro", "Jasmin",
         "Kofi", "Lucia", "Mirek", "Nadia", "Oskar", "Paloma", "Quentin", "Rosa", "Stellan")
ITEMS = ("paperclips", "mangoes", "magnets", "pinecones", "bottle caps", "carrots", "feathers",
         "erasers", "acorns", "keychains", "muffins", "bricks")

_START = (
    "At the start of the week, {name} owned {a} {item}.",
    "{name} keeps a box holding {a} {item}.",
    "In {name}'s backpack there were {a} {item}.",
    "Suppose {name} begins with a pile of {a} {item}.",
)
_ADD = (
    "Later on, {friend} hands {name} another {b} {item}.",
    "On the way home, {name} picks up {b} extra {item}.",
    "A neighbour brings {name} {b} more {item} as a present.",
    "The next morning {name} adds {b} {item} to the pile.",
)
_SUB = (
    "{name} donates {b} of the {item} to a charity.",
    "Sadly, {b} of the {item} get broken.",
    "Afterwards, {name} trades away {b} {item}.",
    "{friend} borrows {b} {item} and never gives them back.",
)
_GROUPS = (
    "{name} also orders {k} crates, each containing {m} {item}.",
    "{friend} delivers {k} parcels of {m} {item} apiece.",
)
_QUESTION = (
    "What is the total number of {item} {name} ends up with?",
    "Once all of this is done, how many {item} remain with {name}?",
    "Work out how many {item} {name} has at the end.",
    "After everything, what is {name}'s count of {item}?",
)


@dataclass(frozen=True)
class Paraphrase:
    question: str
    answer: int
    steps: int

    @property
    def prompt(self) -> str:
        return f"Q: {self.question}\nA:"


@dataclass(frozen=True)
class Frames:
    """A phrasing: names, items and sentence frames for each kind of step (slots: {name},
    {friend}, {item}, {a} start, {b} amount, {k} groups of {m}); `name` salts its draws."""
    name: str
    names: tuple[str, ...]
    items: tuple[str, ...]
    start: tuple[str, ...]
    add: tuple[str, ...]
    sub: tuple[str, ...]
    groups: tuple[str, ...]
    question: tuple[str, ...]


FRAMES = Frames("paraphrase", NAMES, ITEMS, _START, _ADD, _SUB, _GROUPS, _QUESTION)


def draw(rng: random.Random, frames: Frames = FRAMES) -> Paraphrase:
    """One problem told with `frames` (another phrasing can be measured the same way)."""
    name = rng.choice(frames.names)
    friend = rng.choice([n for n in frames.names if n != name])
    item = rng.choice(frames.items)
    value = rng.randint(10, 60)
    steps = rng.randint(2, 4)
    story = [rng.choice(frames.start).format(name=name, a=value, item=item)]
    for _ in range(steps):
        room = 99 - value
        kind = rng.choices(("add", "sub", "groups"), weights=(4 if room >= 2 else 0, 4 if value >= 4 else 0,
                                                              2 if room >= 4 else 0))[0]
        if kind == "add":
            b = rng.randint(2, min(49, room))
            story.append(rng.choice(frames.add).format(name=name, friend=friend, b=b, item=item))
            value += b
        elif kind == "sub":
            b = rng.randint(2, min(value - 2, 49))
            story.append(rng.choice(frames.sub).format(name=name, friend=friend, b=b, item=item))
            value -= b
        else:
            k = rng.randint(2, min(5, room // 2))
            m = rng.randint(2, min(12, room // k))
            story.append(rng.choice(frames.groups).format(name=name, friend=friend, k=k, m=m, item=item))
            value += k * m
    story.append(rng.choice(frames.question).format(name=name, item=item))
    return Paraphrase(" ".join(story), value, steps)


def generate(n: int, seed: int | str = 0, frames: Frames = FRAMES) -> list[Paraphrase]:
    """`n` distinct problems told with `frames`, reproducible from `seed`."""
    if n <= 0:
        raise WorkloadError(f"n={n} must be positive")
    rng = random.Random(f"{frames.name}/{seed}")
    return wordmath.distinct(n, lambda: draw(rng, frames))


def shares_no_template_with_wordmath(problem: Paraphrase) -> bool:
    """True when no name, item or sentence frame of wordmath occurs in the question (the
    property that keeps this set apart from the zoo's training data; checked by the tests)."""
    words = set(problem.question.replace(".", " ").replace("?", " ").replace("'s", " ").split())
    if words & set(wordmath.NAMES) or any(item in problem.question for item in wordmath.ITEMS):
        return False
    frames = [t.split("{")[0].strip() for t in (*wordmath._START, *wordmath._ADD, *wordmath._SUB,
                                                 *wordmath._BOXES, *wordmath._QUESTION) if t.split("{")[0].strip()]
    return not any(frame in problem.question for frame in frames)
