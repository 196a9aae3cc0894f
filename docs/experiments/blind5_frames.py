"""Held-out sentence frames for arithmetic word problems, in the voice of a family magazine puzzle column.

Written on 2026-12-07 from a brief by a helper who opened no file other than the brief and this file.
"""

START = (
    "{name} has {a} {item}.",
    "{name} keeps {a} {item} in a shoebox under the bed.",
    "At the start of the week, {name} had {a} {item}.",
    "{name} began the summer holidays with {a} {item} tucked away in a biscuit tin.",
    "Let's meet {name}, who owns {a} {item} and is very proud of them.",
    "{name}'s collection stood at {a} {item}, neatly lined up along the windowsill.",
)

ADD = (
    "{name} bought {b} more {item} at the corner shop on Saturday.",
    "{friend} handed {name} {b} {item} over the garden fence.",
    "Grandma's parcel arrived this morning, and tucked inside were {b} {item} for {name} to keep.",
    "{name} proudly adds {b} new {item} to the collection on the shelf.",
    "{name} was given {b} extra {item} as a prize for tidying up the classroom.",
    "The teacher rewards {name} with {b} bonus {item} for a week of neat handwriting.",
    "{friend} is having a clear-out and lets {name} take home {b} {item}.",
    "After helping at the bake sale, {name} came back with {b} {item} in a paper bag as a thank-you.",
    "A kind neighbour drops off {b} extra {item} for {name} on the way past.",
    "Thanks to a lucky find at the park, {name} now has {b} more {item} than before.",
)

SUB = (
    "{name} gave away {b} {item} at the school jumble sale.",
    "{name} gives {b} {item} to {friend}, who has been hoping for them for ages.",
    "{friend} borrowed {b} of {name}'s {item} and never brought them back.",
    "Oh dear, {b} of {name}'s {item} were lost down the back of the radiator.",
    "The puppy ran off with {b} of {name}'s {item}, and they were lost for good.",
    "{name} sells {b} {item} at the car-boot sale on Sunday morning.",
    "The teacher takes away {b} {item} from {name} for playing with them during the spelling test.",
    "{name} ends up with {b} fewer {item} after a messy afternoon at the park.",
    "{name} trades {b} {item} to {friend} in exchange for a comic book.",
    "While nobody was looking, the little boy next door sneaked off with {b} of {name}'s {item}.",
)

GROUPS = (
    "{name} bought {k} packets at the shop, with {m} {item} in every packet.",
    "{friend} handed {k} paper bags to {name}, and each bag held {m} {item}.",
    "Grandma posts {name} {k} little parcels, each with {m} {item} tucked inside.",
    "At the fair, {name} wins {k} prizes, and every prize is a bundle of {m} {item}.",
    "For {k} days in a row, {name} brought home {m} new {item} from the after-school club.",
)

QUESTION = (
    "How many {item} does {name} have now?",
    "So, at the end of the story, how many {item} has {name} got?",
    "Can you work out how many {item} {name} owns now?",
    "When everything has settled down, how many {item} does {name} have?",
    "How many {item} does {name} end up with?",
)
