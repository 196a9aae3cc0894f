"""A third held-out phrasing for the issue 14 experiments, written 2026-12-06 by a helper session
told to write natural, varied everyday English without reading the training curriculum
(`workloads/phrasings.py`) or this folder's other scripts, before any model trained on the
curriculum's cued frames was measured (`fresh_phrasing.py`'s failures guided those frames; this
set's did not). Its names and items were then swapped for ones no curriculum uses. Same
arithmetic as `paraphrase` (`paraphrase.generate(n, seed, FRAMES)`); no name, item or sentence frame here occurs in
wordmath, phrasings, paraphrase or fresh_phrasing (checked on 6,000 curriculum problems).
"""

from __future__ import annotations

from workloads import paraphrase

FRAMES = paraphrase.Frames(
    name="blind",
    names=("Oriana", "Hamid", "Bastian", "Wanda", "Vikram", "Petra", "Tomas", "Colette", "Malik", "Linnea"),
    items=("apricots", "biscuits", "tulips", "mittens", "sparklers", "envelopes", "jellybeans", "figs",
           "crackers", "radishes"),
    start=("{name} has {a} {item} stored in a shoebox.",
           "There are {a} {item} sitting on {name}'s kitchen counter.",
           "Last Friday, {name} counted {a} {item} in the pantry.",
           "Exactly {a} {item} belong to {name}.",
           "A basket on {name}'s porch holds {a} {item}."),
    add=("For a birthday present, an aunt sends {name} {b} more {item}.",
         "{name} receives {b} {item} from {friend} as a thank-you.",
         "{name} purchases {b} additional {item} at the corner store.",
         "On Tuesday, {b} more {item} are delivered to {name}.",
         "{name} earns {b} {item} by helping a neighbor clean the yard.",
         "{name} swaps an old video game for {b} {item}.",
         "While cleaning the garage, {name} discovers {b} more {item}.",
         "{friend} has {b} spare {item} and gives them all to {name}."),
    sub=("At a yard sale, {b} of {name}'s {item} are sold.",
         "{name} throws away {b} {item} that are damaged.",
         "{name} hands {friend} {b} of the {item}.",
         "On the bus ride home, {b} {item} slip out of {name}'s bag and are lost.",
         "{name} mails {b} {item} to a pen pal overseas.",
         "{name} packs {b} {item} into a care package and ships it to {friend}.",
         "Without asking, {name}'s little brother grabs {b} of the {item}.",
         "Before moving, {name} gives away {b} {item} to the neighbors."),
    groups=("{name} buys {k} packages of {item}, and each package holds {m}.",
            "{friend} drops off {k} bags for {name}, each stuffed with {m} {item}.",
            "{name} is given {k} gift baskets, and there are {m} {item} in each one.",
            "At a warehouse sale, {name} picks up {k} bundles of {m} {item}.",
            "For {k} days in a row, {name} receives {m} {item} per day."),
    question=("How many {item} does {name} have in total now?",
              "How many {item} does {name} own after all of that?",
              "What is the final number of {item} that {name} has?",
              "Counting everything up, how many {item} belong to {name}?",
              "By the end, how many {item} does {name} have?"),
)

