"""A second held-out phrasing for the issue 14 experiments, written on 2026-12-06 after the
group frames of `workloads/phrasings.py` were widened from `paraphrase`'s failures, and before
any model trained on them was measured: `paraphrase` guided that change, so a gain on it alone
could be fitting the held-out set. Then this set's own failures (unknown verbs read the wrong
way) guided the cued frames, so `blind_phrasing.py` is the set nothing was tuned on. Same
arithmetic as `paraphrase` (`paraphrase.generate(n, seed, FRAMES)`); no name, item or sentence frame here occurs in
wordmath, phrasings or paraphrase.
"""

from __future__ import annotations

from workloads import paraphrase

FRAMES = paraphrase.Frames(
    name="fresh",
    names=("Ingrid", "Tobias", "Kenji", "Leonie", "Anouk", "Bruno", "Soren", "Marisol", "Dmitri", "Esther"),
    items=("buckles", "lanterns", "thimbles", "corks", "pebbles", "napkins", "spools", "coasters"),
    start=("{name} had a stock of {a} {item} on Sunday.",
           "There were {a} {item} in {name}'s cellar.",
           "{name}'s shop began the day with {a} {item}."),
    add=("A cousin mails {name} {b} {item}.",
         "{friend} drops {b} {item} into {name}'s basket.",
         "{name} is rewarded with {b} {item}.",
         "Another {b} {item} turn up for {name}."),
    sub=("{name} misplaces {b} {item}.",
         "A storm ruins {b} of the {item}.",
         "{friend} walks off with {b} of {name}'s {item}."),
    groups=("{name} unloads {k} trays carrying {m} {item} per tray.",
            "{friend} ships {k} sacks that contain {m} {item} each to {name}.",
            "{name} stocks up on {k} cartons; every carton has {m} {item}."),
    question=("How many {item} does {name} hold at the finish?",
              "Tell me the number of {item} {name} is left with.",
              "What count of {item} does {name} end on?"),
)

