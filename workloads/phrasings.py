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
"""

from __future__ import annotations

import random
import re

from workloads import leads, lexicon, lexicon2, lexicon3, lexicon4, lexicon5, lexicon_past, paraphrase, wordmath
from workloads.errors import WorkloadError
from workloads.wordmath import Problem

NAMES = (
    "Abel", "Bianca", "Carlos", "Dana", "Eli", "Fatima", "Gabe", "Helen", "Iker", "Jade",
    "Karim", "Lola", "Milo", "Nina", "Otto", "Pia", "Rafael", "Selma", "Theo", "Uma",
    "Victor", "Wendy", "Xavi", "Yara", "Zane", "Alma", "Boris", "Celia", "Dario", "Edith",
    "Femi", "Greta", "Hassan", "Ilse", "Joel", "Kira", "Lars", "Mona", "Nico", "Olga",
    "Pablo", "Rhea", "Santi", "Tess", "Ugo", "Vera", "Wes", "Ximena", "Yusuf", "Zora",
)
# (subject, object, possessive); a name keeps its pronouns within one draw
_PRONOUNS = (("she", "her", "her"), ("he", "him", "his"))
ITEMS = (
    "pears", "grapes", "peaches", "bananas", "cherries", "walnuts", "pretzels", "donuts",
    "bagels", "potatoes", "tomatoes", "onions", "spoons", "cups", "plates", "bowls",
    "socks", "gloves", "hats", "scarves", "ribbons", "bows", "pins", "needles",
    "nails", "screws", "bolts", "wires", "batteries", "bulbs", "postcards", "letters",
    "comics", "puzzles", "dice", "kites", "whistles", "flags", "badges", "medals",
    "paper cups", "toy cars", "glass beads", "trading cards", "golf balls", "seed packets",
    "coloured pens", "tennis balls", "paint brushes", "rubber ducks",
)
CONTAINERS = ("box", "drawer", "basket", "jar", "bag", "tin", "cupboard", "shelf", "chest", "bucket")
PLACES = ("market", "fair", "park", "library", "station", "bakery", "garden", "beach", "club", "museum")
_LEAD_START = ("", "", "", "On Monday, ", "In the morning, ", "Yesterday, ", "At first, ",
               "To begin with, ", "Last year, ", "This morning, ")
_LEAD_STEP = ("", "", "", "Then ", "Next, ", "After that, ", "Later, ", "After lunch, ",
              "In the evening, ", "On Friday, ", "Soon ", "Meanwhile, ", "The day after, ",
              "Two days later, ", "Before dinner, ", "That night, ")

# Slots: {S} subject (name or pronoun), {O} object pronoun or name, {P} possessive,
# {F} a friend's name, {I} item, {C} container, {L} place, {b} amount, {k} {m} groups.
_START = (
    "{S} has {a} {I}.", "{S} owns {a} {I}.", "{S} is holding {a} {I}.",
    "{S} counts {a} {I} on the table.", "{S} has a collection of {a} {I}.",
    "There are {a} {I} on {P} shelf.", "{P} {C} holds {a} {I}.", "{S} saved up {a} {I}.",
    "{S} got {a} {I} for {P} birthday.", "A {C} in {P} room has {a} {I} in it.",
    "{S} started out with {a} {I}.", "{S} brought {a} {I} to class.",
    "Right now {S} has {a} {I}.", "{S} had {a} {I} in {P} {C}.",
    "{S} is given {a} {I} to look after.", "{a} {I} belong to {O}.",
    "{S} keeps {a} {I} in a {C}.", "{S} collected {a} {I} over the summer.",
)
_ADD = (
    "{S} buys {b} more {I}.", "{S} receives {b} {I} from {F}.", "{F} sends {O} {b} {I}.",
    "{S} makes {b} more {I}.", "{S} earns {b} {I}.", "{S} gets another {b} {I}.",
    "{S} collects {b} extra {I} at the {L}.", "{F} adds {b} {I} to {P} {C}.",
    "{S} is given {b} {I} by {F}.", "{b} more {I} arrive in the mail for {O}.",
    "{S} wins another {b} {I} in a game.", "{S} gathers {b} {I} at the {L}.",
    "{S} receives a gift of {b} {I}.", "{F} brings {b} {I} over for {O}.",
    "{S} finds {b} {I} under the sofa and keeps them.", "{S} puts {b} new {I} into {P} {C}.",
    "{S} gets {b} {I} as a prize.", "{F} gives {O} {b} extra {I}.",
    "{S} adds another {b} {I} to the {C}.", "{S} buys {b} {I} at the {L}.",
    "{S} is sent {b} more {I}.", "{S} takes home {b} more {I} from the {L}.",
    "{S} trades a game for {b} {I}.", "{b} {I} are added to {P} {C}.",
    "{F} leaves {b} {I} for {O} as a gift.", "{S} digs up {b} {I} in the {L}.",
)
_SUB = (
    "{S} gives {b} {I} to {F}.", "{S} gives away {b} {I}.", "{S} eats {b} of the {I}.",
    "{S} spends {b} {I}.", "{S} drops {b} {I} on the way.", "{S} throws away {b} of the {I}.",
    "{b} of the {I} are lost.", "{b} of {P} {I} go missing.",
    "{b} of the {I} crack and are thrown out.", "{F} takes {b} {I} away.",
    "{S} sends {b} {I} to {F}.", "{S} uses up {b} {I}.", "{S} sells {b} of the {I}.",
    "{S} packs {b} {I} into a box for {F}.", "{S} leaves {b} {I} at the {L}.",
    "{S} loses {b} {I} at the {L}.", "{F} eats {b} of {P} {I}.",
    "{S} gives {F} {b} of the {I}.", "{S} removes {b} {I} from the {C}.",
    "{b} {I} fall out of the {C} and are gone.", "{S} swaps {b} {I} for a book.",
    "{S} hands out {b} {I} at the {L}.", "{S} returns {b} {I} to the shop.",
    "{S} throws {b} {I} away.", "{F} buys {b} of the {I} from {O}.",
    "{S} gives {b} {I} back to {F}.",
)
# k groups of m items are added
_GROUPS = (
    "{S} buys {k} boxes with {m} {I} in each box.", "{S} gets {k} bags of {m} {I} each.",
    "{F} gives {O} {k} packs, each with {m} {I}.", "{S} receives {k} tins holding {m} {I} each.",
    "{k} boxes arrive for {O}, with {m} {I} in every box.", "{S} wins {k} sets of {m} {I}.",
    "{S} buys {k} packets that hold {m} {I} each.", "{F} sends {O} {k} bundles of {m} {I}.",
    "{S} picks out {k} bags, and each bag has {m} {I}.", "{S} is given {k} rows of {m} {I}.",
)
# m items on each of k occasions: the same product, told in the other order
_TIMES = (
    "{S} collects {m} {I} on each of {k} days.", "For {k} days, {S} finds {m} {I} a day.",
    "{S} makes {m} {I} every day for {k} days.", "{S} earns {m} {I} a week for {k} weeks.",
)
# Which way a step moves the count, told by the sentence around a made-up verb ({V} "glorps",
# {E} "glorped", {R} "glorp"): "more", "another", "extra"; the person as the one receiving
# (double object, "to"/"for"/"into", passive); "of the" / "of her" items acted on, "away", the
# person giving to someone else. A model that meets an unknown verb in a user's question
# ("misplaces", "ruins") has only these cues; trained on the frames above alone it read
# "is rewarded with 48" and "drops 41 into her basket" as taking away.
_CUED_ADD = (
    "{S} {V} {b} more {I}.", "{S} {V} another {b} {I}.", "{S} {V} {b} extra {I}.",
    "{F} {V} {O} {b} {I}.", "{F} {V} {b} {I} to {O}.", "{F} {V} {b} {I} for {O}.",
    "{F} {V} {b} {I} into {P} {C}.", "{S} is {E} {b} {I}.", "{S} is {E} {b} more {I} by {F}.",
    "{b} more {I} {R} for {O}.", "Another {b} {I} {R} into {P} {C}.", "{S} {V} {b} {I} from {F}.",
)
_CUED_SUB = (
    "{S} {V} {b} of the {I}.", "{S} {V} {b} of {P} {I}.", "{S} {V} away {b} {I}.",
    "{S} {V} {b} {I} away.", "{S} {V} {b} {I} to {F}.", "{S} {V} {F} {b} of the {I}.",
    "{F} {V} {b} of {P} {I}.", "{b} of the {I} {R}.", "{b} of {P} {I} are {E}.",
    "{S} {V} {b} {I} out of {P} {C}.", "{F} {V} {b} {I} away from {O}.", "{S} {V} {b} of them.",
)

# Equal groups told with any verb, unit and linking word: "<k> <units> of <m> <items>" is all a
# sentence has to give. The frames above name a dozen verbs and units, and a model trained on
# them alone read an unfamiliar one as adding or taking away the first number ("delivers 5
# parcels of 3 apiece" -> 19 + 5) or copied the wrong one ("3 crates, each containing 11" ->
# 3 * 3); here the verb, the unit, the link and a trailing word are
# drawn from pools, a third of each made up, so only the structure carries the step.
# None of `paraphrase`'s group words (delivers, orders, parcels, crates, containing, apiece)
# is in a pool.
_GROUP_VERBS = ("buys", "gets", "receives", "wins", "picks out", "brings home", "collects",
                "unpacks", "carries in", "takes home", "is handed", "finds")
_GROUP_GIVERS = ("sends", "brings", "drops off", "hands over", "passes on", "leaves")  # a friend gives
_GROUP_UNITS = ("boxes", "bags", "packs", "tins", "bundles", "sets", "packets", "rows", "trays",
                "sacks", "cartons", "jars", "baskets", "stacks", "cases", "buckets", "rolls", "pouches")
_GROUP_LINKS = ("with", "holding", "carrying", "packed with", "filled with", "full of")
_GROUP_TAILS = ("each", "in each", "per bag", "every time", "a box")
_GROUP_SHAPES = (
    "{k} {U} of {m} {I}", "{k} {U} of {m} {I} {T}", "{k} {U}, each {W} {m} {I}",
    "{k} {U} with {m} {I} in each", "{k} {U} that hold {m} {I} each", "{k} {U}, {W} {m} {I} {T}",
)

_SHARE = (
    "{S} splits all {P} {I} equally among {k} friends.", "{S} divides the {I} into {k} equal piles.",
    "{S} shares the {I} evenly between {k} children.", "{S} packs the {I} into {k} bags with the same number in each.",
)
_DISTRACT = (
    "{F} is {d} years old.", "The {L} is {d} minutes away.", "{S} reads {d} pages of a book.",
    "{F} has {d} {J}, but keeps all of them.", "{S} walks {d} steps to the {L}.",
    "It is {d} degrees outside.", "{S} sees {d} birds in the {L}.", "The bus ride takes {d} minutes.",
)
_QUESTION = (
    "How many {I} does {N} have now?", "How many {I} does {N} have in the end?",
    "What number of {I} does {N} have?", "Find how many {I} {N} has now.",
    "How many {I} are left with {N}?", "Count the {I} {N} has at the end.",
    "In total, how many {I} does {N} have?", "How many {I} does {N} end with?",
    "How many {I} does {N} own after all that?", "What is {N}'s final number of {I}?",
    "How many {I} does {N} have altogether?", "Now how many {I} does {N} have?",
)
_SHARE_QUESTION = (
    "How many {I} does each friend get?", "How many {I} are in each pile?",
    "How many {I} does each child get?", "How many {I} go in each bag?",
)


# Made-up words: a name or item the model has never seen cannot be predicted, only copied
# from the question, so the restatement learns to copy whatever a user's question says (a
# model trained on a few dozen names restates its favourite ones instead).
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


# `generate`'s vocabularies: "core" the frames above; "wide" adds `lexicon`'s everyday-English
# frames (`WIDE_ADD` ... below) for a third of the add and take-away steps and a third of the
# equal groups; "wider" adds `lexicon2`'s frames to those and tells half the steps with them;
# "paired" adds `lexicon3`'s pairs (one construction told in both directions) to "wider"'s;
# "tensed" draws each of "paired"'s lexicon frames in the present or the past tense alike;
# "balanced" adds `lexicon4`'s counterweights (in both tenses) to "tensed"'s, so that no phrase
# that leaves the direction to other words leans it (`frame_lean`); "wide-cues" adds `lexicon5`'s
# cue counterweights (both tenses) to "wide"'s, in the same third of the steps; "tensed-leads"
# opens half of "tensed"'s step sentences with `leads`'s openers; "tensed-leads-cues" is
# "tensed-leads" with `lexicon5`'s cue counterweights (both tenses) among its lexicon frames;
# "held-out" tells every step with `lexicon`'s held-out frames, whose verbs no other vocabulary
# uses (a probe of transfer to unseen verbs, never trained on)
# all of them: `VOCABULARIES` below, the trainable ones `TRAINABLE`, both from `_LEXICON_SHARE`'s keys


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

    shape = rng.choice(_GROUP_SHAPES).format(
        k="{k}", m="{m}", I="{I}", U=pick(_GROUP_UNITS, _pseudo(rng, (1, 2)) + "s"),
        W=pick(_GROUP_LINKS, _pseudo(rng, (1, 2)) + "ing"), T=pick(_GROUP_TAILS, _pseudo(rng, (1, 2))))
    if rng.random() < 0.5:
        return f"{{S}} {pick(_GROUP_VERBS, _pseudo(rng, (1, 2)) + 's')} {shape}."
    # a friend's groups go to the person the story is about, named or not
    recipient = rng.choice(("", " for {O}", " to {O}"))
    return f"{{F}} {pick(_GROUP_GIVERS, _pseudo(rng, (1, 2)) + 's')} {shape}{recipient}."


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def _fill(frame: str, lead: str, slots: dict) -> str:
    if lead and frame[0].isupper():  # "Later, there are ..." (a name in a slot keeps its capital)
        frame = frame[0].lower() + frame[1:]
    return _cap(lead + frame.format(**slots))


def _draw(rng: random.Random, min_steps: int, max_steps: int, vocabulary: str = "core") -> Problem:
    # half the people and things have made-up names (see _pseudo)
    name = _pseudo(rng).capitalize() if rng.random() < 0.5 else rng.choice(NAMES)
    friend = _pseudo(rng).capitalize() if rng.random() < 0.5 else rng.choice([n for n in NAMES if n != name])
    item = _pseudo(rng) + "s" if rng.random() < 0.5 else rng.choice(ITEMS)
    other = _pseudo(rng) + "s" if rng.random() < 0.5 else rng.choice([i for i in ITEMS if i != item])
    noisy = rng.random() < 0.35  # then every step sentence carries made-up words to copy
    subj, obj, poss = rng.choice(_PRONOUNS)
    share, lex_add, lex_sub, lex_groups = _LEXICON_SHARE.get(vocabulary, (0.0, (), (), ()))
    base = {"N": name, "F": friend, "I": item, "J": other, "C": rng.choice(CONTAINERS), "L": rng.choice(PLACES)}

    def slots(first: bool = False) -> dict:
        # the first sentence names the person; later ones use the name or a pronoun
        use_name = first or rng.random() < 0.5
        return dict(base, S=name if use_name else subj, O=name if rng.random() < 0.3 else obj,
                    P=f"{name}'s" if use_name else poss)

    steps = rng.randint(min_steps, max_steps)
    value = rng.randint(10, 60)
    opening = _fill(rng.choice(_START), rng.choice(_LEAD_START), dict(slots(True), a=value))
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
        lead, tail = rng.choice(_LEAD_STEP), ""
        if vocabulary in _WIDE_LEADS and rng.random() < 0.5:  # one more draw only here: the others' pools stay
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
            frame = (rng.choice(UNSEEN_ADD) if vocabulary == "held-out" else
                     _step_frame(rng, _ADD, _CUED_ADD, lex_add, share))
            sentence, work = _fill(frame, lead, dict(s, b=b)), f"{value} + {b} = {value + b}"
            value += b
        elif kind == "sub":
            b = rng.randint(2, min(value - 2, 49))
            frame = (rng.choice(UNSEEN_SUB) if vocabulary == "held-out" else
                     _step_frame(rng, _SUB, _CUED_SUB, lex_sub, share))
            sentence, work = _fill(frame, lead, dict(s, b=b)), f"{value} - {b} = {value - b}"
            value -= b
        elif kind in ("groups", "times"):
            room = 99 - value
            k = rng.randint(2, min(5, room // 2))
            m = rng.randint(2, min(12, room // k))
            if vocabulary == "held-out":
                frame = rng.choice(UNSEEN_GROUPS)
            elif lex_groups and rng.random() < share:
                frame = rng.choice(lex_groups)
            elif kind == "times":
                frame = rng.choice(_TIMES)
            else:  # half the groups in the composed frames
                frame = rng.choice(_GROUPS) if rng.random() < 0.5 else _group_frame(rng)
            sentence = _fill(frame, lead, dict(s, k=k, m=m))
            work = f"{k} * {m} = {k * m} and {value} + {k * m} = {value + k * m}"
            value += k * m
        elif kind == "share":
            k = rng.choice(divisors)
            sentence, work = _fill(rng.choice(_SHARE), lead, dict(s, k=k)), f"{value} / {k} = {value // k}"
            value //= k
            share_question = True
        else:
            sentence = _fill(rng.choice(_DISTRACT), lead, dict(s, d=rng.randint(2, 99)))
            work = f"the count stays {value}"
        if tail:
            sentence = sentence[:-1] + tail + "."
        story.append(sentence)
        solution.append(f"{sentence[:-1]}, so {work}.")
    pool = _SHARE_QUESTION if share_question else _QUESTION
    story.append(_cap(rng.choice(pool).format(**base)))
    solution.append(f"The answer is {value}.")
    return Problem(question=" ".join(story), solution=" ".join(solution), answer=value,
                   steps=done)


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
    _START, _ADD, _SUB, _GROUPS, _TIMES, _CUED_ADD, _CUED_SUB, _GROUP_VERBS, _GROUP_GIVERS, _GROUP_UNITS,
    _GROUP_LINKS, _GROUP_TAILS, _GROUP_SHAPES, _SHARE, _DISTRACT, _QUESTION, _SHARE_QUESTION, _LEAD_START,
    _LEAD_STEP, CONTAINERS, PLACES, ITEMS, wordmath._START, wordmath._ADD, wordmath._SUB, wordmath._BOXES,
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
_LEXICON_SHARE = {"wide": (1 / 3, WIDE_ADD, WIDE_SUB, WIDE_GROUPS),
                  "wider": (1 / 2, WIDER_ADD, WIDER_SUB, WIDER_GROUPS),
                  "paired": (1 / 2, PAIRED_ADD, PAIRED_SUB, WIDER_GROUPS)}
# "paired"'s frames and each one retold in the past tense (`lexicon_past`), drawn alike
TENSED_ADD, TENSED_SUB, TENSED_GROUPS = (frames + _trainable(tuple(lexicon_past.PAST[f] for f in frames))
                                         for frames in (PAIRED_ADD, PAIRED_SUB, WIDER_GROUPS))
_LEXICON_SHARE["tensed"] = (1 / 2, TENSED_ADD, TENSED_SUB, TENSED_GROUPS)


def _with_entries(frames: tuple[str, ...], entries: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """`frames` and every (present, past) entry's two frames; an entry is kept or left out whole
    (`_trainable`), so that both tenses of each are drawn."""
    return frames + tuple(f for entry in entries if _trainable(entry) == entry for f in entry)


BALANCED_ADD, BALANCED_SUB = _with_entries(TENSED_ADD, lexicon4.ADD), _with_entries(TENSED_SUB, lexicon4.SUB)
_LEXICON_SHARE["balanced"] = (1 / 2, BALANCED_ADD, BALANCED_SUB, TENSED_GROUPS)
# "wide" and `lexicon5`'s cue counterweights, both tenses, one change against "wide" to measure
WIDE_CUES_ADD, WIDE_CUES_SUB = _with_entries(WIDE_ADD, lexicon5.ADD), _with_entries(WIDE_SUB, lexicon5.SUB)
_LEXICON_SHARE["wide-cues"] = (1 / 3, WIDE_CUES_ADD, WIDE_CUES_SUB, WIDE_GROUPS)
# "tensed"'s frames, and half the step sentences opened with `workloads/leads.py`'s 200-odd
# time, place and circumstance openers instead of `_LEAD_STEP`'s 13: a model trained on 13 read
# "adds N to the pile" right after "Then " and wrong after an opener it had never seen
_LEXICON_SHARE["tensed-leads"] = _LEXICON_SHARE["tensed"]
# and with `lexicon5`'s cue counterweights, which "wide-cues" had and the stages after it dropped:
# lexicon5's verb-told adds ("... and adds them to the heap") among "tensed"'s frames, opened alike
_LEXICON_SHARE["tensed-leads-cues"] = (1 / 2, _with_entries(TENSED_ADD, lexicon5.ADD),
                                       _with_entries(TENSED_SUB, lexicon5.SUB), TENSED_GROUPS)
_WIDE_LEADS = frozenset({"tensed-leads", "tensed-leads-cues"})
TRAINABLE = ("core", *_LEXICON_SHARE)  # every vocabulary but the held-out one, never trained on
VOCABULARIES = (*TRAINABLE, "held-out")

UNSEEN_ADD, UNSEEN_SUB, UNSEEN_GROUPS = (_without(SEEN_HELD_OUT_VERBS, frames) for frames in (
    lexicon.HELD_OUT_ADD, lexicon.HELD_OUT_SUB, lexicon.HELD_OUT_GROUPS))


def generate(n: int, seed: int | str = 0, min_steps: int = 1, max_steps: int = 5,
             vocabulary: str = "core") -> list[Problem]:
    """`n` distinct problems, reproducible from `seed` and `vocabulary` (see `VOCABULARIES`);
    each shares nothing with `paraphrase`.

    Raises:
        WorkloadError: n is not positive, the step range is empty, or the vocabulary is unknown.
    """
    if n <= 0:
        raise WorkloadError(f"n={n} must be positive")
    if vocabulary not in VOCABULARIES:
        raise WorkloadError(f"vocabulary={vocabulary!r} is not one of {VOCABULARIES}")
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
                                 _as_paraphrase(UNSEEN_ADD), _as_paraphrase(UNSEEN_SUB),
                                 _as_paraphrase(UNSEEN_GROUPS), paraphrase._QUESTION)
