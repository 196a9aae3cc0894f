"""The tense control for the issue 14 experiments: two held-out phrasings with every step
sentence retold in the other tense, word for word otherwise, written by hand 2026-12-06.

The curriculum's frames (`phrasings`' core frames and all three lexicon batches) tell steps in
the present tense ("{S} buys {b} {I}."); `blind2_phrasing.py`, written naturally, tells them in
the past ("{name} bought another {b} {item}."). A model trained on `paired` reads "picks up N
extra" right every time in `paraphrase` and "picked up N" at a yard sale 43% of the time in
`blind2`. These frames separate tense from wording: `PARAPHRASE_PAST` is `paraphrase` with its
steps in the past tense, `BLIND2_PRESENT` is `blind2` with its steps in the present. Each keeps
its original's `name`, so `paraphrase.generate(n, seed, FRAMES)` draws the same problems (names,
numbers, frame choices, answers) as the original with the same seed: the two files differ only
in tense, request by request. Openings and questions are kept as they were.
"""

from __future__ import annotations

import dataclasses

import blind2_phrasing  # beside this script

from workloads import paraphrase

PARAPHRASE_PAST = dataclasses.replace(
    paraphrase.FRAMES,
    add=("Later on, {friend} handed {name} another {b} {item}.",
         "On the way home, {name} picked up {b} extra {item}.",
         "A neighbour brought {name} {b} more {item} as a present.",
         "The next morning {name} added {b} {item} to the pile."),
    sub=("{name} donated {b} of the {item} to a charity.",
         "Sadly, {b} of the {item} got broken.",
         "Afterwards, {name} traded away {b} {item}.",
         "{friend} borrowed {b} {item} and never gave them back."),
    groups=("{name} also ordered {k} crates, each containing {m} {item}.",
            "{friend} delivered {k} parcels of {m} {item} apiece."),
)

BLIND2_PRESENT = dataclasses.replace(
    blind2_phrasing.FRAMES,
    add=("Then {friend} gives {name} {b} more {item}.",
         "{name} buys another {b} {item} at the market.",
         "After lunch, {name} finds {b} extra {item} under the couch and keeps them.",
         "Later, {b} more {item} are handed to {name} by {friend}.",
         "When {friend} comes over, they bring {b} {item} along as a gift for {name}.",
         "{name} wins {b} {item} in a raffle at school.",
         "The next day a package shows up with {b} {item} for {name}, which gets added to the pile.",
         "On top of that, {name} picks up {b} {item} at a yard sale."),
    sub=("{name} gives {b} {item} to {friend}.",
         "Then {b} of {name}'s {item} get lost on the way home.",
         "{friend} borrows {b} {item} from {name} and never returns them.",
         "After that, {name} sells {b} {item} to a neighbor.",
         "Sadly, {b} of the {item} break, so {name} has to throw them out.",
         "{name} donates {b} {item} to the school fundraiser.",
         "Later that afternoon, {b} {item} are taken from {name} by {friend} without asking.",
         "At the party, {name} hands out {b} {item} to the guests and gets nothing back."),
    groups=("{name} then buys {k} boxes with {m} {item} in each.",
            "{friend} gives {name} {k} bags, each holding {m} {item}.",
            "Next, {name} picks up {k} packs at the store, and every pack has {m} {item} inside.",
            "Over the following {k} days, {name} collects {m} new {item} per day."),
)
