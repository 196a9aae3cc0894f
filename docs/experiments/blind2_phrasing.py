"""A fourth held-out phrasing for the issue 14 experiments, written 2026-12-06 by a helper session
that opened only its brief (arithmetic word problems "in natural, varied everyday English, as a
person might type them to a chatbot"; slots and rules, no examples), after every curriculum
batch and before any model trained on the third (`workloads/lexicon3.py`) was measured. Nothing
here guided any curriculum. The writer's frames are kept as written (past tense; a few share
words with `paraphrase`, e.g. "borrowed ... never returned", which a person writing naturally
also writes); its names and items were then swapped for ones no curriculum or other held-out set
uses. Same arithmetic as `paraphrase` (`paraphrase.generate(n, seed, FRAMES)`).
"""

from __future__ import annotations

from workloads import paraphrase

FRAMES = paraphrase.Frames(
    name="blind2",
    names=("Odette", "Leopold", "Zainab", "Fergus", "Rashid", "Esperanza", "Thaddeus", "Rosalind", "Casimir",
           "Henrietta"),
    items=("seashells", "shoelaces", "dominoes", "thumbtacks", "chestnuts", "kumquats", "teaspoons", "doorknobs",
           "clothespins", "hairpins"),
    start=("{name} had {a} {item}.",
           "At the start of the week, {name} owned {a} {item}.",
           "{name} kept a stash of {a} {item} in a drawer at home.",
           "There were {a} {item} in {name}'s backpack this morning.",
           "At the beginning of the month, {name}'s collection came to {a} {item}."),
    add=("Then {friend} gave {name} {b} more {item}.",
         "{name} bought another {b} {item} at the market.",
         "After lunch, {name} found {b} extra {item} under the couch and kept them.",
         "Later, {b} more {item} were handed to {name} by {friend}.",
         "When {friend} came over, they brought {b} {item} along as a gift for {name}.",
         "{name} won {b} {item} in a raffle at school.",
         "The next day a package showed up with {b} {item} for {name}, which got added to the pile.",
         "On top of that, {name} picked up {b} {item} at a yard sale."),
    sub=("{name} gave {b} {item} to {friend}.",
         "Then {b} of {name}'s {item} got lost on the way home.",
         "{friend} borrowed {b} {item} from {name} and never returned them.",
         "After that, {name} sold {b} {item} to a neighbor.",
         "Sadly, {b} of the {item} broke, so {name} had to throw them out.",
         "{name} donated {b} {item} to the school fundraiser.",
         "Later that afternoon, {b} {item} were taken from {name} by {friend} without asking.",
         "At the party, {name} handed out {b} {item} to the guests and got nothing back."),
    groups=("{name} then bought {k} boxes with {m} {item} in each.",
            "{friend} gave {name} {k} bags, each holding {m} {item}.",
            "Next, {name} picked up {k} packs at the store, and every pack had {m} {item} inside.",
            "Over the following {k} days, {name} collected {m} new {item} per day."),
    question=("How many {item} does {name} have now?",
              "How many {item} does {name} end up with?",
              "What is the total number of {item} that {name} has at the end?",
              "Can you work out how many {item} {name} has after all that?"),
)
