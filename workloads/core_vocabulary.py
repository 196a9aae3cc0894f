"""The core vocabulary `phrasings` tells its word problems with: people, items, places and the
sentence frames of each kind of step.

Everything here is the "core" vocabulary (`workloads/vocabularies.py` widens it with the lexicon
batches). The frames keep wordmath's arithmetic; a third of the add and take-away steps are told
around a made-up verb (`CUED_ADD`, `CUED_SUB`), and half the equal groups are composed from the
`GROUP_*` pools. None of `paraphrase`'s names, items or frames is among them.
"""

from __future__ import annotations

NAMES = (
    "Abel", "Bianca", "Carlos", "Dana", "Eli", "Fatima", "Gabe", "Helen", "Iker", "Jade",
    "Karim", "Lola", "Milo", "Nina", "Otto", "Pia", "Rafael", "Selma", "Theo", "Uma",
    "Victor", "Wendy", "Xavi", "Yara", "Zane", "Alma", "Boris", "Celia", "Dario", "Edith",
    "Femi", "Greta", "Hassan", "Ilse", "Joel", "Kira", "Lars", "Mona", "Nico", "Olga",
    "Pablo", "Rhea", "Santi", "Tess", "Ugo", "Vera", "Wes", "Ximena", "Yusuf", "Zora",
)
# (subject, object, possessive); a name keeps its pronouns within one draw
PRONOUNS = (("she", "her", "her"), ("he", "him", "his"))
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
LEAD_START = ("", "", "", "On Monday, ", "In the morning, ", "Yesterday, ", "At first, ",
               "To begin with, ", "Last year, ", "This morning, ")
LEAD_STEP = ("", "", "", "Then ", "Next, ", "After that, ", "Later, ", "After lunch, ",
              "In the evening, ", "On Friday, ", "Soon ", "Meanwhile, ", "The day after, ",
              "Two days later, ", "Before dinner, ", "That night, ")

# Slots: {S} subject (name or pronoun), {O} object pronoun or name, {P} possessive,
# {F} a friend's name, {I} item, {C} container, {L} place, {b} amount, {k} {m} groups.
START = (
    "{S} has {a} {I}.", "{S} owns {a} {I}.", "{S} is holding {a} {I}.",
    "{S} counts {a} {I} on the table.", "{S} has a collection of {a} {I}.",
    "There are {a} {I} on {P} shelf.", "{P} {C} holds {a} {I}.", "{S} saved up {a} {I}.",
    "{S} got {a} {I} for {P} birthday.", "A {C} in {P} room has {a} {I} in it.",
    "{S} started out with {a} {I}.", "{S} brought {a} {I} to class.",
    "Right now {S} has {a} {I}.", "{S} had {a} {I} in {P} {C}.",
    "{S} is given {a} {I} to look after.", "{a} {I} belong to {O}.",
    "{S} keeps {a} {I} in a {C}.", "{S} collected {a} {I} over the summer.",
)
ADD = (
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
SUB = (
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
GROUPS = (
    "{S} buys {k} boxes with {m} {I} in each box.", "{S} gets {k} bags of {m} {I} each.",
    "{F} gives {O} {k} packs, each with {m} {I}.", "{S} receives {k} tins holding {m} {I} each.",
    "{k} boxes arrive for {O}, with {m} {I} in every box.", "{S} wins {k} sets of {m} {I}.",
    "{S} buys {k} packets that hold {m} {I} each.", "{F} sends {O} {k} bundles of {m} {I}.",
    "{S} picks out {k} bags, and each bag has {m} {I}.", "{S} is given {k} rows of {m} {I}.",
)
# m items on each of k occasions: the same product, told in the other order
TIMES = (
    "{S} collects {m} {I} on each of {k} days.", "For {k} days, {S} finds {m} {I} a day.",
    "{S} makes {m} {I} every day for {k} days.", "{S} earns {m} {I} a week for {k} weeks.",
)
# Which way a step moves the count, told by the sentence around a made-up verb ({V} "glorps",
# {E} "glorped", {R} "glorp"): "more", "another", "extra"; the person as the one receiving
# (double object, "to"/"for"/"into", passive); "of the" / "of her" items acted on, "away", the
# person giving to someone else. A model that meets an unknown verb in a user's question
# ("misplaces", "ruins") has only these cues; trained on the frames above alone it read
# "is rewarded with 48" and "drops 41 into her basket" as taking away.
CUED_ADD = (
    "{S} {V} {b} more {I}.", "{S} {V} another {b} {I}.", "{S} {V} {b} extra {I}.",
    "{F} {V} {O} {b} {I}.", "{F} {V} {b} {I} to {O}.", "{F} {V} {b} {I} for {O}.",
    "{F} {V} {b} {I} into {P} {C}.", "{S} is {E} {b} {I}.", "{S} is {E} {b} more {I} by {F}.",
    "{b} more {I} {R} for {O}.", "Another {b} {I} {R} into {P} {C}.", "{S} {V} {b} {I} from {F}.",
)
CUED_SUB = (
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
GROUP_VERBS = ("buys", "gets", "receives", "wins", "picks out", "brings home", "collects",
                "unpacks", "carries in", "takes home", "is handed", "finds")
GROUP_GIVERS = ("sends", "brings", "drops off", "hands over", "passes on", "leaves")  # a friend gives
GROUP_UNITS = ("boxes", "bags", "packs", "tins", "bundles", "sets", "packets", "rows", "trays",
                "sacks", "cartons", "jars", "baskets", "stacks", "cases", "buckets", "rolls", "pouches")
GROUP_LINKS = ("with", "holding", "carrying", "packed with", "filled with", "full of")
GROUP_TAILS = ("each", "in each", "per bag", "every time", "a box")
GROUP_SHAPES = (
    "{k} {U} of {m} {I}", "{k} {U} of {m} {I} {T}", "{k} {U}, each {W} {m} {I}",
    "{k} {U} with {m} {I} in each", "{k} {U} that hold {m} {I} each", "{k} {U}, {W} {m} {I} {T}",
)

SHARE = (
    "{S} splits all {P} {I} equally among {k} friends.", "{S} divides the {I} into {k} equal piles.",
    "{S} shares the {I} evenly between {k} children.", "{S} packs the {I} into {k} bags with the same number in each.",
)
DISTRACT = (
    "{F} is {d} years old.", "The {L} is {d} minutes away.", "{S} reads {d} pages of a book.",
    "{F} has {d} {J}, but keeps all of them.", "{S} walks {d} steps to the {L}.",
    "It is {d} degrees outside.", "{S} sees {d} birds in the {L}.", "The bus ride takes {d} minutes.",
)
QUESTION = (
    "How many {I} does {N} have now?", "How many {I} does {N} have in the end?",
    "What number of {I} does {N} have?", "Find how many {I} {N} has now.",
    "How many {I} are left with {N}?", "Count the {I} {N} has at the end.",
    "In total, how many {I} does {N} have?", "How many {I} does {N} end with?",
    "How many {I} does {N} own after all that?", "What is {N}'s final number of {I}?",
    "How many {I} does {N} have altogether?", "Now how many {I} does {N} have?",
)
SHARE_QUESTION = (
    "How many {I} does each friend get?", "How many {I} are in each pile?",
    "How many {I} does each child get?", "How many {I} go in each bag?",
)


# Made-up words: a name or item the model has never seen cannot be predicted, only copied
# from the question, so the restatement learns to copy whatever a user's question says (a
# model trained on a few dozen names restates its favourite ones instead).
