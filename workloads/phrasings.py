"""`phrasings`: wordmath's arithmetic told in many ways, the cloud model's widened curriculum.

`wordmath` tells every problem with 30 sentence templates, and a model trained only on them
answers nothing else (the shipped cloud model before this curriculum: 0 of 80 `paraphrase`
problems against 95% on the templates). This generator keeps wordmath's arithmetic and
worked-solution format (every sentence restated, then its step computed; "The answer is N.")
and varies everything around it: 26 sentence frames each for adding and taking away, 14 for
groups of equal size, optional time phrases in front, names or pronouns as subjects, one- to
five-step stories, distractor sentences whose numbers must not enter the computation ("so the
count stays N"), and made-up names, items and phrases (half the people and things, and every
step of a third of the stories), which a model can only copy from the question, never recall.
A third of the adding and taking-away steps are told around a made-up verb, their direction
only in the cues English gives ("more", "of the", who receives), and half the equal groups in
frames composed from pools of verbs, units and links, a third of each made up. A model trained
on it has to read which way each sentence moves the count instead of recognising a template.

It is kept apart from `paraphrase` (the held-out set the widening is measured on): no name,
item or sentence frame of `paraphrase` occurs in a generated problem: `generate` drops any
draw `shares_nothing_with_paraphrase` refuses (a made-up word could spell a held-out name),
and the tests check thousands. Common
English words are shared (more, another, away, each): the shipped zoo has no pretraining, so
this curriculum is where its models meet the words a user's phrasing is made of.

`generate(..., vocabulary="wide")` widens that English: a third of the add and take-away steps
and of the equal groups are told with `workloads/lexicon.py`'s everyday frames (~160 verbs,
written by a helper session that read none of the held-out sets); `vocabulary="wider"` tells half
of them with those and `workloads/lexicon2.py`'s second batch, written the same way;
`vocabulary="paired"` adds `workloads/lexicon3.py`'s pairs, each construction told in both
directions so that only the deciding words (verb, particle, preposition, negation) tell them
apart; `vocabulary="tensed"` draws each of those lexicon frames in the present or, as often,
the past tense (`workloads/lexicon_past.py`); `vocabulary="balanced"` adds
`workloads/lexicon4.py`'s counterweights to the phrases the others lean one way (`frame_lean`);
`vocabulary="wide-cues"` adds to "wide"'s `workloads/lexicon5.py`, sentences in which only the
verb tells the direction (take-aways with "more", "another", "extra"; adds with no such word);
`vocabulary="tensed-leads"` opens half of "tensed"'s step sentences with `workloads/leads.py`'s
time, place and circumstance openers, none of which a held-out phrasing uses, and
`vocabulary="tensed-leads-cues"` does the same with `lexicon5`'s frames among "tensed"'s.
`vocabulary="held-out"` tells every step with the lexicon's held-out frames, whose verbs no
trained vocabulary uses in any form, and `UNSEEN_VERBS` puts them in `paraphrase`'s names, items and questions (`fedhybrid
workload make unseen-verbs`): a measure of transfer to verbs a model never saw.

This module draws; the core frames are `workloads/core_vocabulary.py`'s and which frames each
vocabulary adds is `workloads/vocabularies.py`'s.
"""

from __future__ import annotations

import random
import re

from workloads import core_vocabulary as core
from workloads import leads, paraphrase, vocabularies, wordmath
from workloads.errors import WorkloadError
from workloads.wordmath import Problem

_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "gl", "st", "tr", "sk", "pl")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ou", "ee")
_CODAS = ("", "", "n", "r", "l", "m", "sk", "nd", "x", "t")


def _pseudo(rng: random.Random, syllables: tuple[int, int] = (2, 3)) -> str:
    return "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                   for _ in range(rng.randint(*syllables)))


def _noise(rng: random.Random) -> tuple[str, str]:
    """A number-free (lead, tail) of made-up words around a sentence: it must be copied verbatim."""
    kind = rng.randrange(3)
    if kind == 0:
        return f"By the {_pseudo(rng)} {_pseudo(rng, (1, 2))}, ", ""
    if kind == 1:
        return "", f" near the {_pseudo(rng)}"
    return f"{_pseudo(rng).capitalize()} {_pseudo(rng, (1, 2))}, ", f" with the {_pseudo(rng, (1, 2))}"



def _step_frame(rng: random.Random, frames: tuple[str, ...], cued: tuple[str, ...],
                wide: tuple[str, ...] = (), share: float = 1 / 3) -> str:
    """An add or take-away frame: a third told around a made-up verb, its direction in the cues
    (and with `wide` frames, a `share` of them from those)."""
    if wide and rng.random() < share:
        return rng.choice(wide)
    if rng.random() >= 1 / 3:
        return rng.choice(frames)
    verb = _pseudo(rng, (1, 2))
    # the verb is fixed in the frame (braces are slots; a made-up word has none)
    return rng.choice(cued).replace("{V}", verb + "s").replace("{E}", verb + "ed").replace("{R}", verb)


def _group_frame(rng: random.Random) -> str:
    """A sentence frame for k equal groups of m added (slots {S} {F} {O} {I} {k} {m})."""
    def pick(pool: tuple[str, ...], made_up: str) -> str:
        return made_up if rng.random() < 1 / 3 else rng.choice(pool)

    shape = rng.choice(core.GROUP_SHAPES).format(
        k="{k}", m="{m}", I="{I}", U=pick(core.GROUP_UNITS, _pseudo(rng, (1, 2)) + "s"),
        W=pick(core.GROUP_LINKS, _pseudo(rng, (1, 2)) + "ing"), T=pick(core.GROUP_TAILS, _pseudo(rng, (1, 2))))
    if rng.random() < 0.5:
        return f"{{S}} {pick(core.GROUP_VERBS, _pseudo(rng, (1, 2)) + 's')} {shape}."
    # a friend's groups go to the person the story is about, named or not
    recipient = rng.choice(("", " for {O}", " to {O}"))
    return f"{{F}} {pick(core.GROUP_GIVERS, _pseudo(rng, (1, 2)) + 's')} {shape}{recipient}."


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def _fill(frame: str, lead: str, slots: dict) -> str:
    if lead and frame[0].isupper():  # "Later, there are ..." (a name in a slot keeps its capital)
        frame = frame[0].lower() + frame[1:]
    return _cap(lead + frame.format(**slots))


def _draw(rng: random.Random, min_steps: int, max_steps: int, vocabulary: str = "core") -> Problem:
    # half the people and things have made-up names (see _pseudo)
    name = _pseudo(rng).capitalize() if rng.random() < 0.5 else rng.choice(core.NAMES)
    friend = _pseudo(rng).capitalize() if rng.random() < 0.5 else rng.choice([n for n in core.NAMES if n != name])
    item = _pseudo(rng) + "s" if rng.random() < 0.5 else rng.choice(core.ITEMS)
    other = _pseudo(rng) + "s" if rng.random() < 0.5 else rng.choice([i for i in core.ITEMS if i != item])
    noisy = rng.random() < 0.35  # then every step sentence carries made-up words to copy
    subj, obj, poss = rng.choice(core.PRONOUNS)
    share, lex_add, lex_sub, lex_groups = vocabularies.LEXICON_SHARE.get(vocabulary, (0.0, (), (), ()))
    base = {"N": name, "F": friend, "I": item, "J": other, "C": rng.choice(core.CONTAINERS), "L": rng.choice(core.PLACES)}

    def slots(first: bool = False) -> dict:
        # the first sentence names the person; later ones use the name or a pronoun
        use_name = first or rng.random() < 0.5
        return dict(base, S=name if use_name else subj, O=name if rng.random() < 0.3 else obj,
                    P=f"{name}'s" if use_name else poss)

    steps = rng.randint(min_steps, max_steps)
    value = rng.randint(10, 60)
    opening = _fill(rng.choice(core.START), rng.choice(core.LEAD_START), dict(slots(True), a=value))
    story, solution = [opening], [opening]
    share_question = False
    distractors = rng.choices((0, 1, 2), weights=(6, 3, 1))[0]
    # positions 0..steps: a distractor goes before that real step (steps: after the last)
    before = sorted(rng.randint(0, steps) for _ in range(distractors))
    kinds: list[str] = []
    for index in range(steps + 1):
        kinds.extend("distract" for at in before if at == index)
        if index < steps:
            kinds.append("step")
    done = 0
    for kind in kinds:
        if share_question:
            break  # a share ends the story: the question asks per group
        s = slots()
        lead, tail = rng.choice(core.LEAD_STEP), ""
        if vocabulary in vocabularies.WIDE_LEADS and rng.random() < 0.5:  # one more draw only here: the others' pools stay
            lead = rng.choice(leads.STEP_LEADS)
        if noisy:
            noise_lead, tail = _noise(rng)
            lead = noise_lead or lead
        if kind == "step":
            done += 1
            room = 99 - value
            divisors = [k for k in range(2, 10) if value % k == 0 and value // k >= 2]
            weights = (4 if room >= 2 else 0, 4 if value >= 4 else 0, 2 if room >= 4 else 0,
                       1 if room >= 4 else 0, 1 if done == steps and divisors else 0)
            kind = rng.choices(("add", "sub", "groups", "times", "share"), weights=weights)[0]
        if kind == "add":
            b = rng.randint(2, min(49, 99 - value))
            frame = (rng.choice(vocabularies.UNSEEN_ADD) if vocabulary == "held-out" else
                     _step_frame(rng, core.ADD, core.CUED_ADD, lex_add, share))
            sentence, work = _fill(frame, lead, dict(s, b=b)), f"{value} + {b} = {value + b}"
            value += b
        elif kind == "sub":
            b = rng.randint(2, min(value - 2, 49))
            frame = (rng.choice(vocabularies.UNSEEN_SUB) if vocabulary == "held-out" else
                     _step_frame(rng, core.SUB, core.CUED_SUB, lex_sub, share))
            sentence, work = _fill(frame, lead, dict(s, b=b)), f"{value} - {b} = {value - b}"
            value -= b
        elif kind in ("groups", "times"):
            room = 99 - value
            k = rng.randint(2, min(5, room // 2))
            m = rng.randint(2, min(12, room // k))
            if vocabulary == "held-out":
                frame = rng.choice(vocabularies.UNSEEN_GROUPS)
            elif lex_groups and rng.random() < share:
                frame = rng.choice(lex_groups)
            elif kind == "times":
                frame = rng.choice(core.TIMES)
            else:  # half the groups in the composed frames
                frame = rng.choice(core.GROUPS) if rng.random() < 0.5 else _group_frame(rng)
            sentence = _fill(frame, lead, dict(s, k=k, m=m))
            work = f"{k} * {m} = {k * m} and {value} + {k * m} = {value + k * m}"
            value += k * m
        elif kind == "share":
            k = rng.choice(divisors)
            sentence, work = _fill(rng.choice(core.SHARE), lead, dict(s, k=k)), f"{value} / {k} = {value // k}"
            value //= k
            share_question = True
        else:
            sentence = _fill(rng.choice(core.DISTRACT), lead, dict(s, d=rng.randint(2, 99)))
            work = f"the count stays {value}"
        if tail:
            sentence = sentence[:-1] + tail + "."
        story.append(sentence)
        solution.append(f"{sentence[:-1]}, so {work}.")
    pool = core.SHARE_QUESTION if share_question else core.QUESTION
    story.append(_cap(rng.choice(pool).format(**base)))
    solution.append(f"The answer is {value}.")
    return Problem(question=" ".join(story), solution=" ".join(solution), answer=value,
                   steps=done)


def generate(n: int, seed: int | str = 0, min_steps: int = 1, max_steps: int = 5,
             vocabulary: str = "core") -> list[Problem]:
    """`n` distinct problems, reproducible from `seed` and `vocabulary` (see `vocabularies.VOCABULARIES`);
    each shares nothing with `paraphrase`.

    Raises:
        WorkloadError: n is not positive, the step range is empty, or the vocabulary is unknown.
    """
    if n <= 0:
        raise WorkloadError(f"n={n} must be positive")
    if vocabulary not in vocabularies.VOCABULARIES:
        raise WorkloadError(f"vocabulary={vocabulary!r} is not one of {vocabularies.VOCABULARIES}")
    wordmath.check_steps(min_steps, max_steps)
    # the core vocabulary keeps the seeds its pools were drawn with before the others existed
    rng = random.Random(f"phrasings/{seed}" if vocabulary == "core" else f"phrasings/{vocabulary}/{seed}")
    # made-up words could spell a held-out name or item: such a draw is dropped
    return wordmath.distinct(n, lambda: _draw(rng, min_steps, max_steps, vocabulary),
                             keep=shares_nothing_with_paraphrase)


def frame_patterns(frames: tuple[str, ...], numbers: bool = False) -> list[re.Pattern]:
    """Each sentence frame as a regex whose slots ({name}, {S}, ...) match any text; with
    `numbers`, the number slots ({a} {b} {k} {m}) match digits and the others text without
    digits, so "buys {b} {I}." does not fit "buys 3 boxes of 5 pears."."""
    def slot(match: re.Match) -> str:
        if not numbers:
            return ".+?"
        return r"\d+" if match.group(1) in ("a", "b", "k", "m") else r"\D+?"

    return [re.compile("".join(re.escape(part) if i % 2 == 0 else slot(re.match(r"\{(\w+)\}", part))
                               for i, part in enumerate(re.split(r"(\{[A-Za-z]+\})", frame))), re.IGNORECASE)
            for frame in frames]


_PARAPHRASE_FRAMES = frame_patterns((*paraphrase._START, *paraphrase._ADD, *paraphrase._SUB, *paraphrase._GROUPS,
                                     *paraphrase._QUESTION))


def shares_nothing_with_paraphrase(problem: Problem) -> bool:
    """True when no name, item or sentence frame of `paraphrase` occurs in the question or
    solution: the held-out set the widened cloud is measured on stays unseen."""
    text = f"{problem.question} {problem.solution}"
    words = set(re.findall(r"[A-Za-z]+", text))
    if words & set(paraphrase.NAMES) or any(item in text for item in paraphrase.ITEMS):
        return False
    sentences = re.split(r"(?<=[.?])\s+", text)
    return not any(p.fullmatch(s.strip()) for s in sentences for p in _PARAPHRASE_FRAMES)


def _as_paraphrase(frames: tuple[str, ...]) -> tuple[str, ...]:
    """`lexicon`'s slots in `paraphrase`'s: the person by name, a bag and a park for the rest."""
    return tuple(f.format(S="{name}", O="{name}", P="{name}'s", F="{friend}", I="{item}", C="bag", L="park",
                          b="{b}", k="{k}", m="{m}") for f in frames)


# `paraphrase`'s names, items, openings and questions (none of which any curriculum trains on)
# around steps told with the held-out verbs: `fedhybrid workload make unseen-verbs`
UNSEEN_VERBS = paraphrase.Frames("unseen-verbs", paraphrase.NAMES, paraphrase.ITEMS, paraphrase._START,
                                 _as_paraphrase(vocabularies.UNSEEN_ADD), _as_paraphrase(vocabularies.UNSEEN_SUB),
                                 _as_paraphrase(vocabularies.UNSEEN_GROUPS), paraphrase._QUESTION)
