"""A sixth held-out phrasing for the issue 14 experiments, written 2026-12-07 by a helper session
that opened only its brief (frames "as a primary-school teacher would write them on a worksheet of
word problems for 8-10 year olds"; slots and rules, no examples), before any model trained on
`workloads/lexicon5.py` ("wide-cues") was measured. Written because `paraphrase` stopped being
blind to the curriculum: lexicon5's take-aways and adds were chosen after paraphrase's misread
frames. Nothing here guided any curriculum. The frames are kept as written; names and items are
ones no curriculum or other held-out set uses. Same arithmetic as `paraphrase`.
"""

from __future__ import annotations

from workloads import paraphrase

FRAMES = paraphrase.Frames(
    name="blind4",
    names=("Percival", "Marguerite", "Algernon", "Clementine", "Barnaby", "Rosamund", "Ambrose", "Seraphina",
           "Humphrey", "Perpetua"),
    items=("bottlecaps", "conkers", "sequins", "gumdrops", "bookmarks", "puzzle pieces", "yo-yos", "hair clips",
           "pencil sharpeners", "rubber bands"),
    start=("{name} has {a} {item}.",
           "At the start of the week, {name} had {a} {item}.",
           "{name} keeps {a} {item} in a box under the bed.",
           "{name} started the day with {a} {item}.",
           "{name} owns {a} {item}.",
           "In the morning, {name} counted {a} {item} in the toy box, and they all belonged to {name}."),
    add=("{friend} gives {name} {b} more {item}.",
         "{name} bought {b} {item} at the shop.",
         "Then {name} found {b} {item} in the garden.",
         "{name}'s aunt gave {name} {b} {item} as a gift.",
         "{name} won {b} {item} in a game at school.",
         "After helping to tidy the classroom, {name} was given {b} {item} by the teacher.",
         "Later, {name} picks up {b} more {item} at the park.",
         "{friend} passed {b} {item} to {name} to keep.",
         "{name} received {b} {item} in the mail.",
         "On the way home, {name} collects {b} more {item}."),
    sub=("{name} gives {b} {item} to {friend}.",
         "{name} lost {b} {item} on the way home.",
         "{friend} took {b} {item} from {name} and did not give them back.",
         "{name} sold {b} {item} at the school fair.",
         "Then {name} used up {b} {item} for an art project.",
         "Sadly, {b} of {name}'s {item} got broken and were thrown away.",
         "{name} dropped {b} {item} down a drain and could not get them back.",
         "{name} donates {b} {item} to the class.",
         "The puppy ran off with {b} of {name}'s {item}, and they were never found.",
         "Later, {name} hands {b} {item} to {friend} to keep."),
    groups=("{name} buys {k} boxes of {item}, with {m} {item} in each box.",
            "{name} got {k} bags that each held {m} {item}.",
            "For {k} days, {name} collected {m} {item} every day.",
            "{name} received {k} packs of {item}, and each pack had {m} {item} in it.",
            "{name} earns {m} {item} each week for {k} weeks."),
    question=("How many {item} does {name} have now?",
              "How many {item} does {name} have at the end?",
              "How many {item} did {name} end up with?",
              "Now how many {item} does {name} have altogether?",
              "What is the total number of {item} that {name} has now?"),
)
