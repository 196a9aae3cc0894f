"""A fifth held-out phrasing for the issue 14 experiments, written 2026-12-06 by a helper session
that opened only blind2's brief (`blind2_phrasing.py`: arithmetic word problems "in natural,
varied everyday English, as a person might type them to a chatbot"; slots and rules, no
examples), first thing in the session that wrote `workloads/lexicon4.py`, in parallel with that
batch's writers and before any model trained on it. Its frames are kept as written; they
resemble blind2's (the same brief; a raffle, "the pile", a yard sale, borrowing never returned),
whose misreads the fourth batch's phrase kinds were chosen after, so this set measures a writer
the curriculum never saw rather than a kind of English it never aimed at. Names and items were
swapped for ones no curriculum or other held-out set uses. Same arithmetic as `paraphrase`.
"""

from __future__ import annotations

from workloads import paraphrase

FRAMES = paraphrase.Frames(
    name="blind3",
    names=("Ignatius", "Philippa", "Bartholomew", "Evander", "Wilhelmina", "Cornelius", "Ottilie", "Lysander",
           "Genevieve", "Anselm"),
    items=("matchboxes", "tangerines", "harmonicas", "keyrings", "snowglobes", "figurines", "paintbrushes",
           "lollipops", "trinkets", "pinwheels"),
    start=("{name} has {a} {item}.",
           "At the start of the week, {name} owned {a} {item}.",
           "There are {a} {item} in {name}'s collection.",
           "{name} begins the day with {a} {item} sitting on the shelf.",
           "Let's say {name} currently keeps {a} {item} at home."),
    add=("Then {name} buys {b} more {item}.",
         "{friend} gives {name} another {b} {item}.",
         "After that, {b} {item} were handed to {name} by {friend}.",
         "{name} finds {b} extra {item} under the couch cushions and keeps them.",
         "Later on, {name} picks up {b} additional {item} at the store.",
         "{name} wins {b} {item} in a raffle and adds them to the pile.",
         "When {friend} drops off {b} {item}, {name} puts them with the rest.",
         "On top of that, {name} gets {b} {item} as a birthday present."),
    sub=("{name} gives {b} {item} to {friend}.",
         "Then {b} of {name}'s {item} get lost on the way home.",
         "{friend} borrows {b} {item} from {name} and never brings them back.",
         "Afterwards, {name} sells {b} {item} at a yard sale.",
         "Unfortunately, {b} {item} break, so {name} throws them away.",
         "{name} hands over {b} {item} to a neighbor who asked for some.",
         "{b} {item} were donated by {name} to the local school.",
         "Next, {name} uses up {b} {item} for a craft project."),
    groups=("{name} then buys {k} packs with {m} {item} in each.",
            "{friend} gives {name} {k} boxes, each holding {m} {item}.",
            "Next, {name} is sent {k} bags that contain {m} {item} apiece.",
            "Over the next {k} days, {name} collects {m} more {item} every day."),
    question=("How many {item} does {name} have now?",
              "How many {item} does {name} end up with?",
              "In total, how many {item} does {name} have at the end?",
              "Can you tell me how many {item} {name} has after all that?"),
)
