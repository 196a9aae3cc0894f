"""Every trainable lexicon frame retold in the simple past tense.

`workloads/lexicon.py`, `lexicon2.py` and `lexicon3.py` tell every step in the present tense
("{S} buys {b} {I}."), as their briefs asked; people often write the past ("Odette bought 5
more."), and a model trained only on the present misreads it (README, "A third lexicon batch, in
pairs": blind2 48.0% in the past tense, 62.3% retold in the present). ``PAST`` maps each frame
`phrasings` trains on (the three batches' add and take-away frames and the first two batches'
equal groups, 1,529) to the same sentence in the simple past, every finite verb changed and
nothing else ("is handed" -> "was handed", "does not give them back" -> "did not give them
back"; infinitives and participles kept; a frame already in the past kept as it is).

Written 2026-12-06 by four helper sessions, each of which opened only its brief (the
rewriting rule above) and its share of the frames, one per line, and returned one line per
frame; their checks and ours: the same slots on both sides, same order, 2 of 1,529 unchanged.
"""

from __future__ import annotations

PAST: dict[str, str] = {
    "{S} buys {b} {I}.": "{S} bought {b} {I}.",
    "{S} buys {b} more {I} at the {L}.": "{S} bought {b} more {I} at the {L}.",
    "At the {L}, {S} buys {b} {I}.": "At the {L}, {S} bought {b} {I}.",
    "{S} bought {b} extra {I} from {F}.": "{S} bought {b} extra {I} from {F}.",
    "{S} goes to the {L} and buys {b} {I}.": "{S} went to the {L} and bought {b} {I}.",
    "To fill {P} {C}, {S} buys {b} {I} at the {L}.": "To fill {P} {C}, {S} bought {b} {I} at the {L}.",
    "{S} saves up and buys {b} more {I}.": "{S} saved up and bought {b} more {I}.",
    "{S} buys back {b} {I} from {F}.": "{S} bought back {b} {I} from {F}.",
    "{F} sells {O} {b} {I}.": "{F} sold {O} {b} {I}.",
    "{S} rents {b} {I} for the weekend.": "{S} rented {b} {I} for the weekend.",
    "{S} picks out {b} {I} at the {L} and pays for them.": "{S} picked out {b} {I} at the {L} and paid for them.",
    "{S} snaps up {b} {I} at a sale.": "{S} snapped up {b} {I} at a sale.",
    "{S} picks up {b} cheap {I} at a yard sale.": "{S} picked up {b} cheap {I} at a yard sale.",
    "{S} stocks up on {b} {I} at the {L}.": "{S} stocked up on {b} {I} at the {L}.",
    "{S} restocks {P} {C} with {b} new {I} from the {L}.": "{S} restocked {P} {C} with {b} new {I} from the {L}.",
    "{S} refills {P} {C} with {b} {I} bought at the {L}.": "{S} refilled {P} {C} with {b} {I} bought at the {L}.",
    "{S} gets {b} {I} from the vending machine.": "{S} got {b} {I} from the vending machine.",
    "{S} receives {b} {I} from {F}.": "{S} received {b} {I} from {F}.",
    "{S} receives {b} more {I} in a parcel.": "{S} received {b} more {I} in a parcel.",
    "{S} receives {b} {I} as a prize.": "{S} received {b} {I} as a prize.",
    "Later, {S} receives another {b} {I}.": "Later, {S} received another {b} {I}.",
    "{F} gives {O} {b} {I}.": "{F} gave {O} {b} {I}.",
    "{F} gives {b} {I} to {O}.": "{F} gave {b} {I} to {O}.",
    "{F} gives {O} {b} {I} as a birthday present.": "{F} gave {O} {b} {I} as a birthday present.",
    "When {S} visits the {L}, {F} gives {O} {b} {I}.": "When {S} visited the {L}, {F} gave {O} {b} {I}.",
    "For {P} birthday, {S} gets {b} {I}.": "For {P} birthday, {S} got {b} {I}.",
    "{S} gets {b} {I} as a present from {F}.": "{S} got {b} {I} as a present from {F}.",
    "{S} gets an additional {b} {I}.": "{S} got an additional {b} {I}.",
    "{S} gets {b} additional {I} from {F}.": "{S} got {b} additional {I} from {F}.",
    "{S} gets {b} extra {I} for helping {F}.": "{S} got {b} extra {I} for helping {F}.",
    "{S} is given {b} {I}.": "{S} was given {b} {I}.",
    "{S} is handed {b} {I} at the {L}.": "{S} was handed {b} {I} at the {L}.",
    "{b} {I} are given to {O}.": "{b} {I} were given to {O}.",
    "{b} extra {I} are handed to {O}.": "{b} extra {I} were handed to {O}.",
    "{F} hands {O} {b} {I}.": "{F} handed {O} {b} {I}.",
    "{F} hands over {b} {I} to {O}.": "{F} handed over {b} {I} to {O}.",
    "{F} passes {O} {b} {I} across the table.": "{F} passed {O} {b} {I} across the table.",
    "{F} brings {O} {b} {I}.": "{F} brought {O} {b} {I}.",
    "{F} sends {O} {b} {I}.": "{F} sent {O} {b} {I}.",
    "{F} sends {b} {I} to {O}.": "{F} sent {b} {I} to {O}.",
    "{S} is sent {b} {I} by {F}.": "{S} was sent {b} {I} by {F}.",
    "{b} {I} are sent to {O} as a thank-you.": "{b} {I} were sent to {O} as a thank-you.",
    "{b} {I} are delivered to {O}.": "{b} {I} were delivered to {O}.",
    "A courier delivers {b} {I} to {O}.": "A courier delivered {b} {I} to {O}.",
    "{b} new {I} arrive for {O} in a parcel.": "{b} new {I} arrived for {O} in a parcel.",
    "A parcel arrives for {O} with {b} {I} inside.": "A parcel arrived for {O} with {b} {I} inside.",
    "{S} unwraps a gift and finds {b} {I} inside.": "{S} unwrapped a gift and found {b} {I} inside.",
    "{S} opens a present from {F} containing {b} {I}.": "{S} opened a present from {F} containing {b} {I}.",
    "{F} gifts {O} {b} {I}.": "{F} gifted {O} {b} {I}.",
    "{S} is gifted {b} {I} by {F}.": "{S} was gifted {b} {I} by {F}.",
    "{F} presents {O} with {b} {I}.": "{F} presented {O} with {b} {I}.",
    "{F} surprises {O} with {b} {I}.": "{F} surprised {O} with {b} {I}.",
    "{F} treats {O} to {b} {I}.": "{F} treated {O} to {b} {I}.",
    "{F} thanks {O} with {b} {I}.": "{F} thanked {O} with {b} {I}.",
    "{F} shares {b} {I} with {O}.": "{F} shared {b} {I} with {O}.",
    "{F} lets {O} have {b} {I}.": "{F} let {O} have {b} {I}.",
    "{F} lets {O} keep {b} of {F}'s {I}.": "{F} let {O} keep {b} of {F}'s {I}.",
    "{F} leaves {O} {b} {I} as a surprise.": "{F} left {O} {b} {I} as a surprise.",
    "Grandma leaves {b} {I} for {O} on the kitchen table.": "Grandma left {b} {I} for {O} on the kitchen table.",
    "{F} puts {b} {I} into {P} {C} as a gift.": "{F} put {b} {I} into {P} {C} as a gift.",
    "{F} slips {b} {I} into {P} {C} as a surprise.": "{F} slipped {b} {I} into {P} {C} as a surprise.",
    "{F} throws {O} {b} {I} over the fence.": "{F} threw {O} {b} {I} over the fence.",
    "{F} offers {O} {b} {I}, and {S} takes them.": "{F} offered {O} {b} {I}, and {S} took them.",
    "{S} happily accepts {b} {I} from {F}.": "{S} happily accepted {b} {I} from {F}.",
    "{S} accepts {b} {I} from {F}.": "{S} accepted {b} {I} from {F}.",
    "{S} asks {F} for {b} {I} and gets them.": "{S} asked {F} for {b} {I} and got them.",
    "{S} begs {F} for {b} {I}, and {F} hands them over.": "{S} begged {F} for {b} {I}, and {F} handed them over.",
    "{F} lends {O} {b} {I}.": "{F} lent {O} {b} {I}.",
    "{S} is lent {b} {I} by {F}.": "{S} was lent {b} {I} by {F}.",
    "{S} gets {b} {I} on loan from {F}.": "{S} got {b} {I} on loan from {F}.",
    "{F} returns {b} {I} to {O}.": "{F} returned {b} {I} to {O}.",
    "{F} gives {b} {I} back to {O}.": "{F} gave {b} {I} back to {O}.",
    "{S} gets {b} {I} back from {F}.": "{S} got {b} {I} back from {F}.",
    "{F} pays {O} back with {b} {I}.": "{F} paid {O} back with {b} {I}.",
    "{F} repays {O} {b} {I}.": "{F} repaid {O} {b} {I}.",
    "{S} collects {b} {I} from {F}, who owed them to {O}.": "{S} collected {b} {I} from {F}, who owed them to {O}.",
    "{S} finds {b} {I}.": "{S} found {b} {I}.",
    "{S} finds {b} {I} at the {L} and keeps them.": "{S} found {b} {I} at the {L} and kept them.",
    "{S} finds {b} more {I} under the couch.": "{S} found {b} more {I} under the couch.",
    "On the way home, {S} finds {b} {I}.": "On the way home, {S} found {b} {I}.",
    "{S} discovers {b} {I} lying on the path and takes them home.":
        "{S} discovered {b} {I} lying on the path and took them home.",
    "{S} comes across {b} {I} on a walk and keeps them.": "{S} came across {b} {I} on a walk and kept them.",
    "{S} stumbles upon {b} {I} at the {L} and takes them.": "{S} stumbled upon {b} {I} at the {L} and took them.",
    "{S} spots {b} {I} on the ground and picks them up.": "{S} spotted {b} {I} on the ground and picked them up.",
    "{S} digs up {b} {I} in the yard.": "{S} dug up {b} {I} in the yard.",
    "{S} unearths {b} {I} at the beach.": "{S} unearthed {b} {I} at the beach.",
    "{S} fishes {b} {I} out of the pond.": "{S} fished {b} {I} out of the pond.",
    "{S} pulls {b} {I} from the river and takes them home.": "{S} pulled {b} {I} from the river and took them home.",
    "{S} rescues {b} {I} from the trash.": "{S} rescued {b} {I} from the trash.",
    "{S} salvages {b} {I} from the old shed.": "{S} salvaged {b} {I} from the old shed.",
    "{S} recovers {b} of {P} lost {I}.": "{S} recovered {b} of {P} lost {I}.",
    "{S} retrieves {b} of {P} {I} from {F}.": "{S} retrieved {b} of {P} {I} from {F}.",
    "{S} scavenges {b} {I} from the junk pile.": "{S} scavenged {b} {I} from the junk pile.",
    "{S} forages {b} {I} in the woods.": "{S} foraged {b} {I} in the woods.",
    "{S} hunts down {b} {I} at a flea market.": "{S} hunted down {b} {I} at a flea market.",
    "{S} wins {b} {I}.": "{S} won {b} {I}.",
    "{S} wins {b} {I} in a raffle.": "{S} won {b} {I} in a raffle.",
    "{S} wins {b} more {I} at the fair.": "{S} won {b} more {I} at the fair.",
    "{S} wins {b} {I} from {F} in a game.": "{S} won {b} {I} from {F} in a game.",
    "{S} wins back {b} {I} from {F}.": "{S} won back {b} {I} from {F}.",
    "{S} beats {F} at cards and takes {b} of {F}'s {I}.": "{S} beat {F} at cards and took {b} of {F}'s {I}.",
    "{S} bids on {b} {I} at an auction and wins them.": "{S} bid on {b} {I} at an auction and won them.",
    "{S} is awarded {b} {I}.": "{S} was awarded {b} {I}.",
    "{F} awards {O} {b} {I}.": "{F} awarded {O} {b} {I}.",
    "{F} rewards {O} with {b} {I}.": "{F} rewarded {O} with {b} {I}.",
    "The teacher rewards {O} with {b} {I} for good work.": "The teacher rewarded {O} with {b} {I} for good work.",
    "{S} is rewarded with {b} {I}.": "{S} was rewarded with {b} {I}.",
    "{S} is paid {b} {I} for washing the car.": "{S} was paid {b} {I} for washing the car.",
    "{F} pays {O} {b} {I} for mowing the lawn.": "{F} paid {O} {b} {I} for mowing the lawn.",
    "{S} redeems {P} tickets for {b} {I}.": "{S} redeemed {P} tickets for {b} {I}.",
    "{S} secures {b} more {I} for {P} collection.": "{S} secured {b} more {I} for {P} collection.",
    "{S} collects {b} {I}.": "{S} collected {b} {I}.",
    "{S} collects {b} more {I} on the way home.": "{S} collected {b} more {I} on the way home.",
    "{S} quickly collects {b} {I} that fell from the tree.": "{S} quickly collected {b} {I} that fell from the tree.",
    "{S} adds {b} new {I} to {P} collection.": "{S} added {b} new {I} to {P} collection.",
    "{b} more {I} are added to {P} collection.": "{b} more {I} were added to {P} collection.",
    "{S} gains {b} {I}.": "{S} gained {b} {I}.",
    "{S} gains {b} more {I} from {F}.": "{S} gained {b} more {I} from {F}.",
    "{S} accumulates {b} more {I} over the summer.": "{S} accumulated {b} more {I} over the summer.",
    "{S} amasses {b} more {I}.": "{S} amassed {b} more {I}.",
    "{S} hoards {b} more {I}.": "{S} hoarded {b} more {I}.",
    "{S} gets hold of {b} more {I}.": "{S} got hold of {b} more {I}.",
    "{S} comes home with {b} new {I}.": "{S} came home with {b} new {I}.",
    "{S} ends up getting {b} {I} from {F}.": "{S} ended up getting {b} {I} from {F}.",
    "{S} now has {b} more {I} after a trip to the {L}.": "{S} now had {b} more {I} after a trip to the {L}.",
    "{S} picks up {b} {I} at the {L}.": "{S} picked up {b} {I} at the {L}.",
    "{S} picks up {b} {I} that {F} no longer wants.": "{S} picked up {b} {I} that {F} no longer wanted.",
    "{S} takes {b} {I} off {F}'s hands.": "{S} took {b} {I} off {F}'s hands.",
    "{S} takes {b} {I} from the free bin at the {L}.": "{S} took {b} {I} from the free bin at the {L}.",
    "{S} takes home {b} {I} from the {L}.": "{S} took home {b} {I} from the {L}.",
    "{S} brings home {b} {I}.": "{S} brought home {b} {I}.",
    "{S} brings back {b} {I} from the {L}.": "{S} brought back {b} {I} from the {L}.",
    "{S} carries {b} {I} home from the {L}.": "{S} carried {b} {I} home from the {L}.",
    "{S} hauls {b} {I} home from the {L}.": "{S} hauled {b} {I} home from the {L}.",
    "{S} chooses {b} {I} from the prize table to keep.": "{S} chose {b} {I} from the prize table to keep.",
    "{S} draws {b} {I} out of the prize bag and keeps them.": "{S} drew {b} {I} out of the prize bag and kept them.",
    "{S} catches {b} {I} that {F} throws to {O}.": "{S} caught {b} {I} that {F} threw to {O}.",
    "{S} adopts {b} {I} from the shelter.": "{S} adopted {b} {I} from the shelter.",
    "{S} makes {b} {I}.": "{S} made {b} {I}.",
    "{S} makes {b} more {I} after lunch.": "{S} made {b} more {I} after lunch.",
    "{S} bakes {b} {I}.": "{S} baked {b} {I}.",
    "{S} produces {b} {I} in the workshop.": "{S} produced {b} {I} in the workshop.",
    "{S} crafts {b} {I} out of clay.": "{S} crafted {b} {I} out of clay.",
    "{S} builds {b} {I}.": "{S} built {b} {I}.",
    "{S} creates {b} new {I} for {P} collection.": "{S} created {b} new {I} for {P} collection.",
    "{S} sews {b} {I} for {P} shop.": "{S} sewed {b} {I} for {P} shop.",
    "{S} raises {b} {I} on the farm.": "{S} raised {b} {I} on the farm.",
    "{S} grows {b} {I} in a pot on the windowsill.": "{S} grew {b} {I} in a pot on the windowsill.",
    "{S} harvests {b} {I} from the garden.": "{S} harvested {b} {I} from the garden.",
    "{S} reaps {b} {I} from {P} field.": "{S} reaped {b} {I} from {P} field.",
    "{S} picks {b} {I} from the garden.": "{S} picked {b} {I} from the garden.",
    "{S} pulls {b} {I} off the tree.": "{S} pulled {b} {I} off the tree.",
    "{S} plucks {b} {I} from the bush.": "{S} plucked {b} {I} from the bush.",
    "{S} steals {b} {I} from {F}.": "{S} stole {b} {I} from {F}.",
    "{S} takes {b} {I} from {F}.": "{S} took {b} {I} from {F}.",
    "{S} secretly takes {b} {I} from {F}'s {C}.": "{S} secretly took {b} {I} from {F}'s {C}.",
    "{S} sneaks {b} {I} out of {F}'s {C} and keeps them.": "{S} sneaked {b} {I} out of {F}'s {C} and kept them.",
    "{S} swipes {b} {I} from {F}'s {C}.": "{S} swiped {b} {I} from {F}'s {C}.",
    "{S} snatches {b} {I} from {F}.": "{S} snatched {b} {I} from {F}.",
    "{S} pinches {b} {I} from {F}'s {C} when nobody is looking.":
        "{S} pinched {b} {I} from {F}'s {C} when nobody was looking.",
    "While at the {L}, {S} buys {b} {I}.": "While at the {L}, {S} bought {b} {I}.",
    "{S} splurges on {b} {I} at the {L}.": "{S} splurged on {b} {I} at the {L}.",
    "While shopping with {F}, {S} springs for {b} fancy {I}.": "While shopping with {F}, {S} sprang for {b} fancy {I}.",
    "{S} shells out for {b} {I} at the {L}.": "{S} shelled out for {b} {I} at the {L}.",
    "After haggling with a stallholder, {S} walks away with {b} {I}.":
        "After haggling with a stallholder, {S} walked away with {b} {I}.",
    "{S} loads {b} {I} into {P} cart and pays for them at the checkout.":
        "{S} loaded {b} {I} into {P} cart and paid for them at the checkout.",
    "When {S} pays for a lamp at the {L}, the seller throws in {b} {I} for free.":
        "When {S} paid for a lamp at the {L}, the seller threw in {b} {I} for free.",
    "{b} {I} are sold to {O} at a bargain price.": "{b} {I} were sold to {O} at a bargain price.",
    "{S} nabs {b} {I} from the clearance rack before the sale ends.":
        "{S} nabbed {b} {I} from the clearance rack before the sale ended.",
    "{S} swaps an old lamp for {b} {I} at the flea market.": "{S} swapped an old lamp for {b} {I} at the flea market.",
    "{S} barters a sack of flour for {b} {I}.": "{S} bartered a sack of flour for {b} {I}.",
    "With a coupon in hand, {S} heads to the {L} and comes back with {b} {I}.":
        "With a coupon in hand, {S} headed to the {L} and came back with {b} {I}.",
    "{S} fills {P} {C} with {b} {I} from the market stalls and pays the vendor.":
        "{S} filled {P} {C} with {b} {I} from the market stalls and paid the vendor.",
    "Because the {I} are on sale, {S} decides to buy {b} of them.":
        "Because the {I} were on sale, {S} decided to buy {b} of them.",
    "{S} forks out for {b} {I} that caught {P} eye in the shop window.":
        "{S} forked out for {b} {I} that caught {P} eye in the shop window.",
    "{F} bequeaths {b} {I} to {O} in a will.": "{F} bequeathed {b} {I} to {O} in a will.",
    "{S} is treated to {b} {I} by {F}.": "{S} was treated to {b} {I} by {F}.",
    "{S} is presented with {b} {I} at the ceremony.": "{S} was presented with {b} {I} at the ceremony.",
    "{S} is showered with {b} {I} on {P} birthday.": "{S} was showered with {b} {I} on {P} birthday.",
    "{F} hands down {b} old {I} to {O}.": "{F} handed down {b} old {I} to {O}.",
    "Tearing open a present from {F}, {S} pulls out {b} {I}.":
        "Tearing open a present from {F}, {S} pulled out {b} {I}.",
    "{F} makes {O} a present of {b} {I}.": "{F} made {O} a present of {b} {I}.",
    "{F} insists that {S} keep {b} {I}.": "{F} insisted that {S} keep {b} {I}.",
    "{F} parts with {b} {I} so that {S} can have them.": "{F} parted with {b} {I} so that {S} could have them.",
    "Inside {P} holiday stocking, {S} discovers {b} {I} from {F}.":
        "Inside {P} holiday stocking, {S} discovered {b} {I} from {F}.",
    "{b} {I} wrapped in shiny paper are waiting under the tree as a gift for {O}.":
        "{b} {I} wrapped in shiny paper were waiting under the tree as a gift for {O}.",
    "{F} spoils {O} with {b} {I}.": "{F} spoiled {O} with {b} {I}.",
    "{F} bestows {b} {I} on {O}.": "{F} bestowed {b} {I} on {O}.",
    "{F} chips in {b} {I} toward {P} collection.": "{F} chipped in {b} {I} toward {P} collection.",
    "As a housewarming gift, {F} brings over {b} {I} for {O}.":
        "As a housewarming gift, {F} brought over {b} {I} for {O}.",
    "{F} stops by with {b} {I} for {O}.": "{F} stopped by with {b} {I} for {O}.",
    "{S} goes home from the party with a gift bag holding {b} {I}.":
        "{S} went home from the party with a gift bag holding {b} {I}.",
    "{S} is tipped {b} {I} by a happy customer.": "{S} was tipped {b} {I} by a happy customer.",
    "A grateful customer tips {O} {b} {I}.": "A grateful customer tipped {O} {b} {I}.",
    "At the end of the month, {S} gets a bonus of {b} {I}.": "At the end of the month, {S} got a bonus of {b} {I}.",
    "{S} is compensated with {b} {I} for the overtime.": "{S} was compensated with {b} {I} for the overtime.",
    "{F} reimburses {O} with {b} {I} for the trip.": "{F} reimbursed {O} with {b} {I} for the trip.",
    "{S} is reimbursed {b} {I} after handing in the receipts.":
        "{S} was reimbursed {b} {I} after handing in the receipts.",
    "{S} takes in {b} {I} at {P} lemonade stand.": "{S} took in {b} {I} at {P} lemonade stand.",
    "{S} rakes in {b} {I} from {P} paper route.": "{S} raked in {b} {I} from {P} paper route.",
    "{S} brings in {b} {I} by walking dogs after school.": "{S} brought in {b} {I} by walking dogs after school.",
    "{S} fixes {F}'s fence and accepts {b} {I} as payment.": "{S} fixed {F}'s fence and accepted {b} {I} as payment.",
    "{S} works a late shift and goes home with {b} extra {I}.":
        "{S} worked a late shift and went home with {b} extra {I}.",
    "{S} charges {F} {b} {I} for the repair, and {F} pays up.":
        "{S} charged {F} {b} {I} for the repair, and {F} paid up.",
    "The company issues {b} {I} to {O} as a bonus.": "The company issued {b} {I} to {O} as a bonus.",
    "{S} cashes in {P} vouchers for {b} {I}.": "{S} cashed in {P} vouchers for {b} {I}.",
    "{F} settles up with {O} by handing over {b} {I}.": "{F} settled up with {O} by handing over {b} {I}.",
    "As a signing bonus, {S} is granted {b} {I}.": "As a signing bonus, {S} was granted {b} {I}.",
    "{S} bills {F} for the work, and {F} sends {b} {I} to cover it.":
        "{S} billed {F} for the work, and {F} sent {b} {I} to cover it.",
    "After a week of babysitting, {S} is owed {b} {I}, and {F} pays them in full.":
        "After a week of babysitting, {S} was owed {b} {I}, and {F} paid them in full.",
    "The farmer pays {O} in {I}, counting out {b} of them for the day's work.":
        "The farmer paid {O} in {I}, counting out {b} of them for the day's work.",
    "{S} checks out {b} {I} from the library.": "{S} checked out {b} {I} from the library.",
    "{S} signs out {b} {I} from the supply cupboard.": "{S} signed out {b} {I} from the supply cupboard.",
    "At the start of term, {S} is issued {b} {I}.": "At the start of term, {S} was issued {b} {I}.",
    "The school supplies {O} with {b} {I} for the art project.":
        "The school supplied {O} with {b} {I} for the art project.",
    "{S} is allotted {b} {I} for the science fair.": "{S} was allotted {b} {I} for the science fair.",
    "The office manager allocates {b} {I} to {O}.": "The office manager allocated {b} {I} to {O}.",
    "{S} requisitions {b} {I} from the stockroom.": "{S} requisitioned {b} {I} from the stockroom.",
    "The teacher passes {b} {I} down the row to {O}.": "The teacher passed {b} {I} down the row to {O}.",
    "{F} slides {b} {I} across the desk to {O}.": "{F} slid {b} {I} across the desk to {O}.",
    "{S} runs off {b} extra {I} on the photocopier.": "{S} ran off {b} extra {I} on the photocopier.",
    "For perfect attendance, {S} is granted {b} {I} by the principal.":
        "For perfect attendance, {S} was granted {b} {I} by the principal.",
    "By winning the spelling bee, {S} comes away with {b} {I}.":
        "By winning the spelling bee, {S} came away with {b} {I}.",
    "A coworker passes along {b} spare {I} to {O}.": "A coworker passed along {b} spare {I} to {O}.",
    "Clearing out a desk, {F} passes on {b} {I} to {O}.": "Clearing out a desk, {F} passed on {b} {I} to {O}.",
    "{S} stocks {P} desk drawer with {b} {I} from the supply room.":
        "{S} stocked {P} desk drawer with {b} {I} from the supply room.",
    "The postman pushes {b} {I} through {P} letterbox.": "The postman pushed {b} {I} through {P} letterbox.",
    "{S} signs for a box containing {b} {I}.": "{S} signed for a box containing {b} {I}.",
    "{b} {I} turn up on {P} doorstep in a padded envelope.": "{b} {I} turned up on {P} doorstep in a padded envelope.",
    "A delivery van pulls up and unloads {b} {I} for {O}.": "A delivery van pulled up and unloaded {b} {I} for {O}.",
    "{S} goes to the post office to get a parcel with {b} {I} in it.":
        "{S} went to the post office to get a parcel with {b} {I} in it.",
    "{F} posts {b} {I} to {O} from abroad.": "{F} posted {b} {I} to {O} from abroad.",
    "{F} forwards {b} {I} to {O} at {P} new address.": "{F} forwarded {b} {I} to {O} at {P} new address.",
    "{b} {I} are couriered to {O} overnight.": "{b} {I} were couriered to {O} overnight.",
    "{b} {I} reach {O} by post.": "{b} {I} reached {O} by post.",
    "{S} sends away for {b} {I}, and they arrive a week later.":
        "{S} sent away for {b} {I}, and they arrived a week later.",
    "The parcel {S} has been waiting for finally comes, with {b} {I} packed inside.":
        "The parcel {S} had been waiting for finally came, with {b} {I} packed inside.",
    "A box of {b} {I} lands on {P} doorstep.": "A box of {b} {I} landed on {P} doorstep.",
    "Tucked inside the envelope from {F} are {b} {I} for {O}.":
        "Tucked inside the envelope from {F} were {b} {I} for {O}.",
    "{F} dispatches {b} {I} to {O} by express post.": "{F} dispatched {b} {I} to {O} by express post.",
    "After a long wait, {S} unboxes a delivery of {b} {I}.": "After a long wait, {S} unboxed a delivery of {b} {I}.",
    "A subscription box brings {b} new {I} to {O} this month.":
        "A subscription box brought {b} new {I} to {O} this month.",
    "{S} opens the letterbox to find {b} {I} from {F}.": "{S} opened the letterbox to find {b} {I} from {F}.",
    "Thanks to express delivery, {b} {I} are in {P} hands by noon.":
        "Thanks to express delivery, {b} {I} were in {P} hands by noon.",
    "{S} whips up {b} {I} in the kitchen.": "{S} whipped up {b} {I} in the kitchen.",
    "{S} churns out {b} {I} before the guests arrive.": "{S} churned out {b} {I} before the guests arrived.",
    "Using the leftover dough, {S} rolls out {b} more {I}.": "Using the leftover dough, {S} rolled out {b} more {I}.",
    "{S} shapes {b} {I} from the dough and sets them on a tray.":
        "{S} shaped {b} {I} from the dough and set them on a tray.",
    "A fresh tray of {b} {I} comes out of {P} oven.": "A fresh tray of {b} {I} came out of {P} oven.",
    "The chef sends {O} home with {b} leftover {I}.": "The chef sent {O} home with {b} leftover {I}.",
    "While the soup simmers, {S} prepares {b} new {I} for the table.":
        "While the soup simmered, {S} prepared {b} new {I} for the table.",
    "In cooking class, {S} turns out {b} {I} and keeps them.":
        "In cooking class, {S} turned out {b} {I} and kept them.",
    "{S} molds {b} {I} out of chocolate.": "{S} molded {b} {I} out of chocolate.",
    "{F} saves {b} {I} from the kitchen for {O}, and {S} takes them home.":
        "{F} saved {b} {I} from the kitchen for {O}, and {S} took them home.",
    "{S} knocks together {b} {I} from what is in the fridge.":
        "{S} knocked together {b} {I} from what was in the fridge.",
    "{S} assembles {b} {I} on the kitchen counter.": "{S} assembled {b} {I} on the kitchen counter.",
    "{S} tracks down {b} rare {I} for {P} collection.": "{S} tracked down {b} rare {I} for {P} collection.",
    "{S} comes by {b} {I} at a collectors' fair.": "{S} came by {b} {I} at a collectors' fair.",
    "{S} chances upon {b} {I} at a car boot sale and buys them.":
        "{S} chanced upon {b} {I} at a car boot sale and bought them.",
    "{S} lands {b} rare {I} at an estate sale.": "{S} landed {b} rare {I} at an estate sale.",
    "Thanks to a lucky find, {P} collection grows by {b} {I}.":
        "Thanks to a lucky find, {P} collection grew by {b} {I}.",
    "{S} expands {P} collection with {b} {I}.": "{S} expanded {P} collection with {b} {I}.",
    "{S} knits {b} {I} over the winter.": "{S} knitted {b} {I} over the winter.",
    "{S} whittles {b} {I} from scraps of wood.": "{S} whittled {b} {I} from scraps of wood.",
    "{S} carves {b} {I} out of soap.": "{S} carved {b} {I} out of soap.",
    "{S} paints {b} new {I} in {P} studio.": "{S} painted {b} new {I} in {P} studio.",
    "{S} folds {b} paper {I}.": "{S} folded {b} paper {I}.",
    "{S} puts together {b} more {I} at the workbench.": "{S} put together {b} more {I} at the workbench.",
    "{S} weaves {b} {I} on {P} loom.": "{S} wove {b} {I} on {P} loom.",
    "{S} racks up {b} more {I} for {P} display.": "{S} racked up {b} more {I} for {P} display.",
    "{S} rounds up {b} more {I} for {P} album.": "{S} rounded up {b} more {I} for {P} album.",
    "At the club meeting, {S} exchanges a spare postcard for {b} of {F}'s {I}.":
        "At the club meeting, {S} exchanged a spare postcard for {b} of {F}'s {I}.",
    "{S} crochets {b} {I} for {P} craft stall.": "{S} crocheted {b} {I} for {P} craft stall.",
    "Hunting through a junk shop, {S} turns up {b} {I}.": "Hunting through a junk shop, {S} turned up {b} {I}.",
    "{S} snips {b} {I} out of old magazines.": "{S} snipped {b} {I} out of old magazines.",
    "{S} sorts through a box at the {L} and keeps {b} of the {I} in it.":
        "{S} sorted through a box at the {L} and kept {b} of the {I} in it.",
    "{b} more {I} ripen in {P} garden, and {S} brings them inside.":
        "{b} more {I} ripened in {P} garden, and {S} brought them inside.",
    "{S} digs {b} {I} out of the vegetable patch before the frost comes.":
        "{S} dug {b} {I} out of the vegetable patch before the frost came.",
    "Down at the orchard, {S} shakes {b} {I} loose from the branches and keeps them.":
        "Down at the orchard, {S} shook {b} {I} loose from the branches and kept them.",
    "{S} fills {P} {C} with {b} {I} from the greenhouse.": "{S} filled {P} {C} with {b} {I} from the greenhouse.",
    "The farmer lets {O} load {b} {I} onto a cart and take them home for free.":
        "The farmer let {O} load {b} {I} onto a cart and take them home for free.",
    "{b} {I} are dug up from the potato field and handed over to {O}.":
        "{b} {I} were dug up from the potato field and handed over to {O}.",
    "While weeding the flower beds, {S} uncovers {b} {I} and adds them to {P} {C}.":
        "While weeding the flower beds, {S} uncovered {b} {I} and added them to {P} {C}.",
    "{S} pulls up {b} {I} from the allotment and carries them home.":
        "{S} pulled up {b} {I} from the allotment and carried them home.",
    "The tree next door sheds {b} {I} over the fence, and {S} keeps them.":
        "The tree next door shed {b} {I} over the fence, and {S} kept them.",
    "At sunset, {S} brings in {b} {I} from the field.": "At sunset, {S} brought in {b} {I} from the field.",
    "{S} clips {b} {I} from the vines to take home.": "{S} clipped {b} {I} from the vines to take home.",
    "Because the harvest is good, {S} is allowed to keep {b} extra {I}.":
        "Because the harvest was good, {S} was allowed to keep {b} extra {I}.",
    "{S} propagates {b} new {I} from cuttings on the porch.": "{S} propagated {b} new {I} from cuttings on the porch.",
    "On a hike through the hills, {S} spies {b} {I} and tucks them into {P} {C}.":
        "On a hike through the hills, {S} spied {b} {I} and tucked them into {P} {C}.",
    "{S} combs the beach at low tide and comes away with {b} {I}.":
        "{S} combed the beach at low tide and came away with {b} {I}.",
    "The tide washes {b} {I} up at {P} feet, and {S} keeps them.":
        "The tide washed {b} {I} up at {P} feet, and {S} kept them.",
    "{S} sifts {b} {I} out of the sand at the {L}.": "{S} sifted {b} {I} out of the sand at the {L}.",
    "{S} nets {b} {I} from the stream behind the cabin.": "{S} netted {b} {I} from the stream behind the cabin.",
    "{S} reels in {b} {I} from the lake before lunch.": "{S} reeled in {b} {I} from the lake before lunch.",
    "Out by the creek, {S} pries {b} {I} off the rocks and takes them home.":
        "Out by the creek, {S} pried {b} {I} off the rocks and took them home.",
    "{S} rounds up {b} {I} near the campsite and puts them in {P} {C}.":
        "{S} rounded up {b} {I} near the campsite and put them in {P} {C}.",
    "After the storm, {S} rakes up {b} {I} from the lawn and saves them in {P} {C}.":
        "After the storm, {S} raked up {b} {I} from the lawn and saved them in {P} {C}.",
    "{S} wades into the shallows and comes back with {b} {I}.":
        "{S} waded into the shallows and came back with {b} {I}.",
    "Beneath an old oak, {S} comes upon {b} {I} buried in the leaves and keeps them.":
        "Beneath an old oak, {S} came upon {b} {I} buried in the leaves and kept them.",
    "{S} shins up a tree and brings down {b} {I} to keep.": "{S} shinned up a tree and brought down {b} {I} to keep.",
    "{S} racks up {b} {I} during the tournament.": "{S} racked up {b} {I} during the tournament.",
    "By the end of the match, {S} has won {b} more {I}.": "By the end of the match, {S} had won {b} more {I}.",
    "{F} loses {b} {I} to {O} at checkers.": "{F} lost {b} {I} to {O} at checkers.",
    "{S} clinches {b} {I} in the final round.": "{S} clinched {b} {I} in the final round.",
    "{b} {I} go to {O} for finishing the race ahead of {F}.":
        "{b} {I} went to {O} for finishing the race ahead of {F}.",
    "The coach issues {O} {b} {I} for the season.": "The coach issued {O} {b} {I} for the season.",
    "As team captain, {S} is allotted {b} extra {I}.": "As team captain, {S} was allotted {b} extra {I}.",
    "{S} cleans up at the card table, walking off with {b} {I}.":
        "{S} cleaned up at the card table, walking off with {b} {I}.",
    "Thanks to a lucky roll of the dice, {S} pulls in {b} {I} from the bank.":
        "Thanks to a lucky roll of the dice, {S} pulled in {b} {I} from the bank.",
    "{S} is credited with {b} more {I} after the referee reviews the play.":
        "{S} was credited with {b} more {I} after the referee reviewed the play.",
    "{F}, who lost the bet, owes {O} {b} {I} and pays up.": "{F}, who lost the bet, owed {O} {b} {I} and paid up.",
    "{S} nabs {b} {I} at the shooting gallery.": "{S} nabbed {b} {I} at the shooting gallery.",
    "The league hands out prizes, and {b} {I} end up with {O}.":
        "The league handed out prizes, and {b} {I} ended up with {O}.",
    "{S} returns from vacation with {b} {I} in {P} suitcase.":
        "{S} returned from vacation with {b} {I} in {P} suitcase.",
    "{S} stuffs {b} free {I} from the hotel lobby into {P} {C}.":
        "{S} stuffed {b} free {I} from the hotel lobby into {P} {C}.",
    "The airline compensates {O} with {b} {I} for the delay.":
        "The airline compensated {O} with {b} {I} for the delay.",
    "While touring the city, {S} splurges on {b} {I}.": "While touring the city, {S} splurged on {b} {I}.",
    "A fellow traveler on the bus parts with {b} {I} and passes them to {O}.":
        "A fellow traveler on the bus parted with {b} {I} and passed them to {O}.",
    "Housekeeping sets out {b} {I} in {P} room as a welcome gift.":
        "Housekeeping set out {b} {I} in {P} room as a welcome gift.",
    "By the time the trip ends, {S} has tucked away {b} {I} as keepsakes.":
        "By the time the trip ended, {S} had tucked away {b} {I} as keepsakes.",
    "At a roadside stand, {S} pays for {b} {I} and loads them into the car.":
        "At a roadside stand, {S} paid for {b} {I} and loaded them into the car.",
    "The tour guide passes around {b} {I}, and {S} is allowed to keep them.":
        "The tour guide passed around {b} {I}, and {S} was allowed to keep them.",
    "From a street vendor in the old town, {S} gets {b} {I} for a bargain.":
        "From a street vendor in the old town, {S} got {b} {I} for a bargain.",
    "{F} sets {O} up with {b} {I} for the long drive.": "{F} set {O} up with {b} {I} for the long drive.",
    "The cat carries {b} {I} in from the garden and lays them at {P} feet.":
        "The cat carried {b} {I} in from the garden and laid them at {P} feet.",
    "{P} hens lay {b} {I} in the coop overnight.": "{P} hens laid {b} {I} in the coop overnight.",
    "{P} rabbit gives birth to {b} {I}.": "{P} rabbit gave birth to {b} {I}.",
    "{b} {I} hatch in {P} incubator.": "{b} {I} hatched in {P} incubator.",
    "The dog digs up {b} {I} in the park and brings them straight to {O}.":
        "The dog dug up {b} {I} in the park and brought them straight to {O}.",
    "{S} takes in {b} stray {I} from the street.": "{S} took in {b} stray {I} from the street.",
    "{S} fosters {b} {I} from the animal shelter.": "{S} fostered {b} {I} from the animal shelter.",
    "{S} breeds {b} {I} in the backyard.": "{S} bred {b} {I} in the backyard.",
    "The pet shop owner lets {O} take home {b} {I} for free.": "The pet shop owner let {O} take home {b} {I} for free.",
    "{S} coaxes {b} {I} out from under the porch and keeps them.":
        "{S} coaxed {b} {I} out from under the porch and kept them.",
    "{S} lures {b} {I} into {P} {C} with bits of bread.": "{S} lured {b} {I} into {P} {C} with bits of bread.",
    "{S} traps {b} {I} in the barn to keep.": "{S} trapped {b} {I} in the barn to keep.",
    "The vet sends {O} home with {b} {I} for the puppy.": "The vet sent {O} home with {b} {I} for the puppy.",
    "{S} fixes up {b} old {I} from the junkyard and keeps them.":
        "{S} fixed up {b} old {I} from the junkyard and kept them.",
    "{S} restores {b} old {I} from the scrapyard and adds them to {P} {C}.":
        "{S} restored {b} old {I} from the scrapyard and added them to {P} {C}.",
    "Out of scrap lumber, {S} knocks together {b} {I}.": "Out of scrap lumber, {S} knocked together {b} {I}.",
    "{S} assembles {b} {I} from a kit.": "{S} assembled {b} {I} from a kit.",
    "{S} welds {b} {I} from old car parts.": "{S} welded {b} {I} from old car parts.",
    "{F} builds {O} {b} {I} in the workshop.": "{F} built {O} {b} {I} in the workshop.",
    "{S} patches up {b} torn {I} that {F} threw out and keeps them.":
        "{S} patched up {b} torn {I} that {F} threw out and kept them.",
    "{S} saws {b} {I} from a sheet of plywood.": "{S} sawed {b} {I} from a sheet of plywood.",
    "{S} gets {b} {I} in return for fixing {F}'s fence.": "{S} got {b} {I} in return for fixing {F}'s fence.",
    "{S} scrounges up {b} {I} from the neighbors for the project.":
        "{S} scrounged up {b} {I} from the neighbors for the project.",
    "The hardware store throws in {b} extra {I} at no charge.":
        "The hardware store threw in {b} extra {I} at no charge.",
    "Tearing down an old shed, {S} saves {b} {I} from the rubble.":
        "Tearing down an old shed, {S} saved {b} {I} from the rubble.",
    "{P} aunt packs {b} {I} for {O} to take home after dinner.":
        "{P} aunt packed {b} {I} for {O} to take home after dinner.",
    "{b} {I} come {P} way at the family reunion.": "{b} {I} came {P} way at the family reunion.",
    "When the pinata splits open, {b} {I} land in {P} lap.": "When the pinata split open, {b} {I} landed in {P} lap.",
    "{S} is showered with {b} {I} at {P} birthday party.": "{S} was showered with {b} {I} at {P} birthday party.",
    "{S} leaves the party with {b} leftover {I}.": "{S} left the party with {b} leftover {I}.",
    "{P} uncle passes down {b} {I} to {O}.": "{P} uncle passed down {b} {I} to {O}.",
    "{P} big sister hands down {b} {I} to {O}.": "{P} big sister handed down {b} {I} to {O}.",
    "{b} {I} are left to {O} in {P} grandmother's will.": "{b} {I} were left to {O} in {P} grandmother's will.",
    "{S} tears open a gift bag from {F} and pulls out {b} {I}.":
        "{S} tore open a gift bag from {F} and pulled out {b} {I}.",
    "Because {S} helped with the cooking, {F} insists that {b} {I} go home with {O}.":
        "Because {S} helped with the cooking, {F} insisted that {b} {I} go home with {O}.",
    "At the baby shower, {S} is presented with {b} {I}.": "At the baby shower, {S} was presented with {b} {I}.",
    "{F} slides {b} {I} across the table to {O} after dessert.":
        "{F} slid {b} {I} across the table to {O} after dessert.",
    "Behind the bookcase, {S} happens upon {b} {I} and keeps them.":
        "Behind the bookcase, {S} happened upon {b} {I} and kept them.",
    "{S} hits the jackpot at the arcade and gets {b} {I}.": "{S} hit the jackpot at the arcade and got {b} {I}.",
    "{P} raffle ticket is drawn, and the prize of {b} {I} goes to {O}.":
        "{P} raffle ticket was drawn, and the prize of {b} {I} went to {O}.",
    "{S} comes out on top in the quiz and walks away with {b} {I}.":
        "{S} came out on top in the quiz and walked away with {b} {I}.",
    "{S} tracks down {b} {I} at garage sales over the weekend.":
        "{S} tracked down {b} {I} at garage sales over the weekend.",
    "{b} {I} turn up in the lining of {P} old coat, and {S} keeps them.":
        "{b} {I} turned up in the lining of {P} old coat, and {S} kept them.",
    "{S} is declared the winner, and {b} {I} are awarded to {O}.":
        "{S} was declared the winner, and {b} {I} were awarded to {O}.",
    "{S} takes the top prize of {b} {I} at the spelling bee.": "{S} took the top prize of {b} {I} at the spelling bee.",
    "{S} outbids the other buyers for {b} {I}.": "{S} outbid the other buyers for {b} {I}.",
    "{S} strikes it lucky at the fair, going home with {b} {I}.":
        "{S} struck it lucky at the fair, going home with {b} {I}.",
    "Rummaging through the free box at the library, {S} comes up with {b} {I} to keep.":
        "Rummaging through the free box at the library, {S} came up with {b} {I} to keep.",
    "{S} lucks into {b} {I} at the swap meet.": "{S} lucked into {b} {I} at the swap meet.",
    "{b} {I} are won by {O} at the county fair.": "{b} {I} were won by {O} at the county fair.",
    "{S} knits {b} {I} for the winter.": "{S} knitted {b} {I} for the winter.",
    "{S} whittles {b} {I} from driftwood.": "{S} whittled {b} {I} from driftwood.",
    "Using scraps of fabric, {S} stitches together {b} {I}.": "Using scraps of fabric, {S} stitched together {b} {I}.",
    "{S} folds {b} {I} out of paper.": "{S} folded {b} {I} out of paper.",
    "{S} molds {b} {I} from modeling clay.": "{S} molded {b} {I} from modeling clay.",
    "{S} weaves {b} {I} out of reeds by the {L}.": "{S} wove {b} {I} out of reeds by the {L}.",
    "{S} churns out {b} {I} on the sewing machine.": "{S} churned out {b} {I} on the sewing machine.",
    "{S} crochets {b} {I} while watching TV.": "{S} crocheted {b} {I} while watching TV.",
    "{S} glues together {b} {I} from popsicle sticks.": "{S} glued together {b} {I} from popsicle sticks.",
    "{S} turns a pile of old yarn into {b} {I}.": "{S} turned a pile of old yarn into {b} {I}.",
    "From leftover dough, {S} rolls out {b} more {I}.": "From leftover dough, {S} rolled out {b} more {I}.",
    "With {F}'s help, {S} finishes {b} new {I} before dinner.":
        "With {F}'s help, {S} finished {b} new {I} before dinner.",
    "{b} new {I} come off {P} pottery wheel by evening.": "{b} new {I} came off {P} pottery wheel by evening.",
    "{b} more {I} are knitted for {O} by {P} grandma.": "{b} more {I} were knitted for {O} by {P} grandma.",
    "{S} puts {b} {I} from {F}'s {C} into {P} own {C}.": "{S} put {b} {I} from {F}'s {C} into {P} own {C}.",
    "{S} tips {b} {I} out of the shared {C} into {P} own bag.":
        "{S} tipped {b} {I} out of the shared {C} into {P} own bag.",
    "{S} slides {b} {I} across the desk from {F}'s side into {P} {C}.":
        "{S} slid {b} {I} across the desk from {F}'s side into {P} {C}.",
    "{S} pours {b} {I} from the office {C} into {P} own jar.":
        "{S} poured {b} {I} from the office {C} into {P} own jar.",
    "{S} stashes {b} {I} from the staff room in {P} own locker.":
        "{S} stashed {b} {I} from the staff room in {P} own locker.",
    "{S} tucks {b} {I} that {F} offers into {P} own {C}.": "{S} tucked {b} {I} that {F} offered into {P} own {C}.",
    "{S} stuffs {b} {I} from the free bin into {P} own backpack.":
        "{S} stuffed {b} {I} from the free bin into {P} own backpack.",
    "{S} crams {b} {I} from the hotel basket into {P} own suitcase.":
        "{S} crammed {b} {I} from the hotel basket into {P} own suitcase.",
    "{S} squeezes {b} more {I} into {P} {C} from the shopping bag.":
        "{S} squeezed {b} more {I} into {P} {C} from the shopping bag.",
    "{S} shakes {b} {I} out of the tin that {F} offers into {P} own hand.":
        "{S} shook {b} {I} out of the tin that {F} offered into {P} own hand.",
    "{S} fishes {b} {I} out of the lucky dip and into {P} own bag.":
        "{S} fished {b} {I} out of the lucky dip and into {P} own bag.",
    "{S} pops {b} {I} from the sweet shop jar into {P} own bag after paying.":
        "{S} popped {b} {I} from the sweet shop jar into {P} own bag after paying.",
    "{S} rakes {b} {I} from the bowl in the middle into {P} own pile.":
        "{S} raked {b} {I} from the bowl in the middle into {P} own pile.",
    "{S} sweeps {b} {I} off {F}'s side of the table into {P} own {C}.":
        "{S} swept {b} {I} off {F}'s side of the table into {P} own {C}.",
    "{S} lifts {b} {I} off {F}'s pile and onto {P} own pile.":
        "{S} lifted {b} {I} off {F}'s pile and onto {P} own pile.",
    "{S} stacks {b} {I} brought home from the {L} on {P} own shelf.":
        "{S} stacked {b} {I} brought home from the {L} on {P} own shelf.",
    "{S} shelves {b} new {I} on {P} own bookcase at home.": "{S} shelved {b} new {I} on {P} own bookcase at home.",
    "{S} sets {b} {I} from the buffet onto {P} own plate.": "{S} set {b} {I} from the buffet onto {P} own plate.",
    "{S} heaps {b} {I} from the serving dish onto {P} own plate.":
        "{S} heaped {b} {I} from the serving dish onto {P} own plate.",
    "{S} takes {b} {I} down from {F}'s hooks and hangs them on {P} own hooks.":
        "{S} took {b} {I} down from {F}'s hooks and hung them on {P} own hooks.",
    "{S} places {b} {I} from the prize table on {P} own desk.":
        "{S} placed {b} {I} from the prize table on {P} own desk.",
    "{S} lays {b} {I} from the market table in {P} own basket after paying.":
        "{S} laid {b} {I} from the market table in {P} own basket after paying.",
    "{S} lines {P} own shelves with {b} {I} from {F}'s shop.":
        "{S} lined {P} own shelves with {b} {I} from {F}'s shop.",
    "{S} takes {b} {I} back from {F}'s shelf to {P} own shelf.":
        "{S} took {b} {I} back from {F}'s shelf to {P} own shelf.",
    "{S} loads {b} {I} from the {L} into {P} car to keep at home.":
        "{S} loaded {b} {I} from the {L} into {P} car to keep at home.",
    "{S} unloads {b} {I} from {F}'s van into {P} own garage.":
        "{S} unloaded {b} {I} from {F}'s van into {P} own garage.",
    "{S} carries {b} new {I} from the delivery van up into {P} flat.":
        "{S} carried {b} new {I} from the delivery van up into {P} flat.",
    "{S} wheels {b} {I} in a trolley from the shop to {P} own storeroom.":
        "{S} wheeled {b} {I} in a trolley from the shop to {P} own storeroom.",
    "{S} ferries {b} {I} from {F}'s boat over to {P} own boat.":
        "{S} ferried {b} {I} from {F}'s boat over to {P} own boat.",
    "{S} carts {b} {I} from the farm sale back to {P} barn.": "{S} carted {b} {I} from the farm sale back to {P} barn.",
    "{S} lugs {b} {I} up the stairs from the post room to {P} own desk.":
        "{S} lugged {b} {I} up the stairs from the post room to {P} own desk.",
    "{S} hoists {b} {I} from the quay onto {P} own boat.": "{S} hoisted {b} {I} from the quay onto {P} own boat.",
    "{S} bundles {b} {I} from the attic sale into {P} car.": "{S} bundled {b} {I} from the attic sale into {P} car.",
    "{S} drives {b} {I} from {F}'s warehouse to {P} own shop.":
        "{S} drove {b} {I} from {F}'s warehouse to {P} own shop.",
    "{S} hauls {b} {I} over the fence from {F}'s yard into {P} own yard.":
        "{S} hauled {b} {I} over the fence from {F}'s yard into {P} own yard.",
    "{S} arranges {b} {I} from the garden centre along {P} own garden path.":
        "{S} arranged {b} {I} from the garden centre along {P} own garden path.",
    "{S} rolls {b} {I} across the lawn from {F}'s shed into {P} own shed.":
        "{S} rolled {b} {I} across the lawn from {F}'s shed into {P} own shed.",
    "{S} drags {b} {I} in from the skip and into {P} workshop to keep.":
        "{S} dragged {b} {I} in from the skip and into {P} workshop to keep.",
    "{S} shovels {b} {I} from the heap at the {L} into {P} own wheelbarrow.":
        "{S} shovelled {b} {I} from the heap at the {L} into {P} own wheelbarrow.",
    "{S} brings {b} {I} into {P} room from the hall to keep.":
        "{S} brought {b} {I} into {P} room from the hall to keep.",
    "{S} carries {b} {I} into the house after {F} hands them over the gate.":
        "{S} carried {b} {I} into the house after {F} handed them over the gate.",
    "{S} moves {b} {I} from the spare room into {P} own bedroom for good.":
        "{S} moved {b} {I} from the spare room into {P} own bedroom for good.",
    "{S} shifts {b} {I} from the common room cupboard into {P} own study.":
        "{S} shifted {b} {I} from the common room cupboard into {P} own study.",
    "{S} sneaks {b} {I} from the kitchen into {P} own room.": "{S} sneaked {b} {I} from the kitchen into {P} own room.",
    "{S} brings {b} {I} down from {F}'s attic into {P} own spare room.":
        "{S} brought {b} {I} down from {F}'s attic into {P} own spare room.",
    "{S} hides {b} {I} from the pantry in {P} own drawer.": "{S} hid {b} {I} from the pantry in {P} own drawer.",
    "{S} walks back from {F}'s house with {b} {I} for {P} shelves.":
        "{S} walked back from {F}'s house with {b} {I} for {P} shelves.",
    "{S} moves {b} {I} from the swap table into {P} collection.":
        "{S} moved {b} {I} from the swap table into {P} collection.",
    "{S} files {b} {I} from the sale box into {P} own album.":
        "{S} filed {b} {I} from the sale box into {P} own album.",
    "{S} slots {b} {I} from {F}'s spares into the gaps in {P} collection.":
        "{S} slotted {b} {I} from {F}'s spares into the gaps in {P} collection.",
    "{S} pins {b} {I} from the fair stall to {P} own board at home.":
        "{S} pinned {b} {I} from the fair stall to {P} own board at home.",
    "{S} boxes up {b} {I} from the auction for {P} own shelves.":
        "{S} boxed up {b} {I} from the auction for {P} own shelves.",
    "{S} bags {b} {I} from the jumble sale for {P} own {C}.":
        "{S} bagged {b} {I} from the jumble sale for {P} own {C}.",
    "{S} stocks up {P} {C} with {b} {I} from the shop.": "{S} stocked up {P} {C} with {b} {I} from the shop.",
    "{S} puts away {b} {I} from the shopping into {P} {C}.": "{S} put away {b} {I} from the shopping into {P} {C}.",
    "{S} fills {P} {C} with {b} more {I} from the market.": "{S} filled {P} {C} with {b} more {I} from the market.",
    "{S} tops up {P} {C} with {b} {I} from the storeroom.": "{S} topped up {P} {C} with {b} {I} from the storeroom.",
    "{S} packs {b} {I} in with the rest of {P} things.": "{S} packed {b} {I} in with the rest of {P} things.",
    "{S} takes in {b} {I} at the door and stores them in {P} {C}.":
        "{S} took in {b} {I} at the door and stored them in {P} {C}.",
    "{S} has {b} {I} sent to {P} house from the {L}.": "{S} had {b} {I} sent to {P} house from the {L}.",
    "{S} posts {b} {I} from the {L} home to {P} own address.":
        "{S} posted {b} {I} from the {L} home to {P} own address.",
    "{S} gets {b} {I} sent from overseas to {P} {C}.": "{S} got {b} {I} sent from overseas to {P} {C}.",
    "{S} brings {b} {I} home from {F}'s house.": "{S} brought {b} {I} home from {F}'s house.",
    "{S} collects {b} {I} from the lost property office and puts them in {P} {C}.":
        "{S} collected {b} {I} from the lost property office and put them in {P} {C}.",
    "{S} pulls {b} {I} out of the recycling bin and back into {P} {C}.":
        "{S} pulled {b} {I} out of the recycling bin and back into {P} {C}.",
    "{S} sorts {b} {I} from the charity pile into {P} keep box.":
        "{S} sorted {b} {I} from the charity pile into {P} keep box.",
    "{S} picks out {b} {I} from the free bin and takes them home to {P} {C}.":
        "{S} picked out {b} {I} from the free bin and took them home to {P} {C}.",
    "{S} tips {b} {I} from the bargain bin into {P} {C} and pays for them.":
        "{S} tipped {b} {I} from the bargain bin into {P} {C} and paid for them.",
    "{S} stores {b} {I} from the shop in {P} own pantry.": "{S} stored {b} {I} from the shop in {P} own pantry.",
    "{S} stocks {P} own stall with {b} {I} from the wholesaler.":
        "{S} stocked {P} own stall with {b} {I} from the wholesaler.",
    "{S} fills {P} own {C} with {b} {I} from the sack at the {L}.":
        "{S} filled {P} own {C} with {b} {I} from the sack at the {L}.",
    "{S} slips {b} {I} from the giveaway table into {P} own purse.":
        "{S} slipped {b} {I} from the giveaway table into {P} own purse.",
    "{S} locks {b} {I} from the prize cupboard away in {P} own cabinet.":
        "{S} locked {b} {I} from the prize cupboard away in {P} own cabinet.",
    "{S} passes {b} {I} through the window from {F} into {P} {C}.":
        "{S} passed {b} {I} through the window from {F} into {P} {C}.",
    "{S} leaves the {L} with {b} {I} packed in {P} {C}.": "{S} left the {L} with {b} {I} packed in {P} {C}.",
    "{F} hands {b} {I} to {O} across the counter.": "{F} handed {b} {I} to {O} across the counter.",
    "At the door, {b} {I} are handed to {O} by {F}.": "At the door, {b} {I} were handed to {O} by {F}.",
    "{F} passes {O} {b} {I} under the desk.": "{F} passed {O} {b} {I} under the desk.",
    "During assembly, {b} {I} are passed along the row to {O}.":
        "During assembly, {b} {I} were passed along the row to {O}.",
    "{F} gives {O} {b} {I} as a thank-you.": "{F} gave {O} {b} {I} as a thank-you.",
    "{S} is given {b} {I} by {F} after practice.": "{S} was given {b} {I} by {F} after practice.",
    "{F} slips {O} {b} {I} when nobody is looking.": "{F} slipped {O} {b} {I} when nobody was looking.",
    "Under the table, {F} sneaks {b} {I} to {O}.": "Under the table, {F} sneaked {b} {I} to {O}.",
    "{F} turns over {b} {I} to {O} at the end of the shift.": "{F} turned over {b} {I} to {O} at the end of the shift.",
    "With a smile, {F} presents {O} with {b} {I}.": "With a smile, {F} presented {O} with {b} {I}.",
    "{F} offers {O} {b} {I}, and {S} happily accepts them.": "{F} offered {O} {b} {I}, and {S} happily accepted them.",
    "{P} neighbour holds out {b} {I} and lets {O} take them.": "{P} neighbour held out {b} {I} and let {O} take them.",
    "{F} sends {b} {I} to {O} by post.": "{F} sent {b} {I} to {O} by post.",
    "Every month, {P} aunt sends {O} {b} {I}.": "Every month, {P} aunt sent {O} {b} {I}.",
    "{F} posts {b} {I} through {P} letterbox.": "{F} posted {b} {I} through {P} letterbox.",
    "At noon, {F} delivers {b} {I} to {O}.": "At noon, {F} delivered {b} {I} to {O}.",
    "{b} {I} are delivered to {P} house by the shop.": "{b} {I} were delivered to {P} house by the shop.",
    "{F} forwards {b} {I} to {O} the next day.": "{F} forwarded {b} {I} to {O} the next day.",
    "{F} couriers {b} {I} over to {O}.": "{F} couriered {b} {I} over to {O}.",
    "{F} ferries {b} {I} across the river to {O}.": "{F} ferried {b} {I} across the river to {O}.",
    "{F} brings {b} {I} round and lets {O} keep them.": "{F} brought {b} {I} round and let {O} keep them.",
    "{F} carries {b} {I} across the yard for {O} to keep.": "{F} carried {b} {I} across the yard for {O} to keep.",
    "{F} throws {b} {I} over the fence to {O}.": "{F} threw {b} {I} over the fence to {O}.",
    "{S} catches {b} {I} that {F} throws over.": "{S} caught {b} {I} that {F} threw over.",
    "{F} rolls {b} {I} across the floor to {O}.": "{F} rolled {b} {I} across the floor to {O}.",
    "{F} pushes {b} {I} across the table for {O} to keep.": "{F} pushed {b} {I} across the table for {O} to keep.",
    "From the balcony, {F} lobs {b} {I} down to {O}.": "From the balcony, {F} lobbed {b} {I} down to {O}.",
    "{F} chucks {b} {I} over to {O}.": "{F} chucked {b} {I} over to {O}.",
    "From the window, {F} lowers {b} {I} in a {C} down to {O}.":
        "From the window, {F} lowered {b} {I} in a {C} down to {O}.",
    "{F} hoists {b} {I} up to {O} on the roof.": "{F} hoisted {b} {I} up to {O} on the roof.",
    "{F} flings {b} {I} across the room to {O}.": "{F} flung {b} {I} across the room to {O}.",
    "{F} puts {b} {I} in {P} {C}.": "{F} put {b} {I} in {P} {C}.",
    "{F} presses {b} {I} into {P} palm.": "{F} pressed {b} {I} into {P} palm.",
    "{F} places {b} {I} into {P} hands.": "{F} placed {b} {I} into {P} hands.",
    "{F} stuffs {b} {I} into {P} backpack as a surprise.": "{F} stuffed {b} {I} into {P} backpack as a surprise.",
    "{F} packs {b} {I} into {P} {C} for the journey.": "{F} packed {b} {I} into {P} {C} for the journey.",
    "{F} loads {b} {I} onto {P} cart.": "{F} loaded {b} {I} onto {P} cart.",
    "{S} receives {b} {I} from {F} in the post.": "{S} received {b} {I} from {F} in the post.",
    "{S} collects {b} {I} from {F}'s house.": "{S} collected {b} {I} from {F}'s house.",
    "{S} gets {b} {I} from {F} at lunch.": "{S} got {b} {I} from {F} at lunch.",
    "While nobody watches, {S} pinches {b} of {F}'s {I}.": "While nobody watched, {S} pinched {b} of {F}'s {I}.",
    "{F} lends {O} {b} {I} for the weekend.": "{F} lent {O} {b} {I} for the weekend.",
    "{b} {I} are lent to {O} by the club for the season.": "{b} {I} were lent to {O} by the club for the season.",
    "{F} returns {b} {I} to {O} after the trip.": "{F} returned {b} {I} to {O} after the trip.",
    "{b} {I} are returned to {O} by the lost-property office.":
        "{b} {I} were returned to {O} by the lost-property office.",
    "{F} repays {O} the {b} {I} from last month.": "{F} repaid {O} the {b} {I} from last month.",
    "{F} owes {O} {b} {I} and settles up today.": "{F} owed {O} {b} {I} and settled up today.",
    "The library loans {b} {I} to {O} for a month.": "The library loaned {b} {I} to {O} for a month.",
    "{F} rents out {b} {I} to {O} for the week.": "{F} rented out {b} {I} to {O} for the week.",
    "{F} sells {b} {I} to {O} at a fair price.": "{F} sold {b} {I} to {O} at a fair price.",
    "At the market, the stallholder sells {O} {b} {I}.": "At the market, the stallholder sold {O} {b} {I}.",
    "At the car boot sale, {S} buys {b} {I} from {F}.": "At the car boot sale, {S} bought {b} {I} from {F}.",
    "{F} pays {O} {b} {I} for the old bike.": "{F} paid {O} {b} {I} for the old bike.",
    "The neighbour pays {O} {b} {I} for walking the dog.": "The neighbour paid {O} {b} {I} for walking the dog.",
    "After the meal, the diner tips {O} {b} {I}.": "After the meal, the diner tipped {O} {b} {I}.",
    "At the fair, {F} auctions {b} {I} off to {O}.": "At the fair, {F} auctioned {b} {I} off to {O}.",
    "{F} swaps {O} {b} {I} for a sticker.": "{F} swapped {O} {b} {I} for a sticker.",
    "When {F} shares out the {I}, {b} of them go to {O}.": "When {F} shared out the {I}, {b} of them went to {O}.",
    "{F} deals {b} {I} to {O} from the pile.": "{F} dealt {b} {I} to {O} from the pile.",
    "{F} doles out {b} {I} to {O}.": "{F} doled out {b} {I} to {O}.",
    "At dinner, {F} moves {b} {I} from {F}'s plate onto {P} plate.":
        "At dinner, {F} moved {b} {I} from {F}'s plate onto {P} plate.",
    "When {F} distributes the {I}, {O} gets {b} of them.": "When {F} distributed the {I}, {O} got {b} of them.",
    "The coach allots {b} {I} to {O}.": "The coach allotted {b} {I} to {O}.",
    "{F} counts out {b} {I} for {O} to keep.": "{F} counted out {b} {I} for {O} to keep.",
    "The council grants {O} {b} {I} for the project.": "The council granted {O} {b} {I} for the project.",
    "{F} gifts {b} {I} to {O} for the holidays.": "{F} gifted {b} {I} to {O} for the holidays.",
    "{F} rewards {O} with {b} {I} for the help.": "{F} rewarded {O} with {b} {I} for the help.",
    "As a prize, the teacher awards {O} {b} {I}.": "As a prize, the teacher awarded {O} {b} {I}.",
    "When moving abroad, {P} uncle leaves {O} {b} {I}.": "When moving abroad, {P} uncle left {O} {b} {I}.",
    "{F} leaves {b} {I} at the front desk for {O} to collect.":
        "{F} left {b} {I} at the front desk for {O} to collect.",
    "{F} spares {O} {b} {I} from a private supply.": "{F} spared {O} {b} {I} from a private supply.",
    "{F} contributes {b} {I} to {P} collection.": "{F} contributed {b} {I} to {P} collection.",
    "For the trip, {F} supplies {O} with {b} {I}.": "For the trip, {F} supplied {O} with {b} {I}.",
    "{F} signs over {b} {I} to {O}.": "{F} signed over {b} {I} to {O}.",
    "{S} wins {b} of {F}'s {I} at cards.": "{S} won {b} of {F}'s {I} at cards.",
    "{F} loses {b} {I} to {O} in a bet.": "{F} lost {b} {I} to {O} in a bet.",
    "In the final round, {b} {I} are won by {O} from {F}.": "In the final round, {b} {I} were won by {O} from {F}.",
    "{F} forfeits {b} {I} to {O} after the match.": "{F} forfeited {b} {I} to {O} after the match.",
    "{F} lends {b} {I} to {S}, who never gives them back.": "{F} lent {b} {I} to {S}, who never gave them back.",
    "{F} lends {O} {b} {I}, and {S} fails to return them.": "{F} lent {O} {b} {I}, and {S} failed to return them.",
    "{F} loans {O} {b} {I} and never asks for them back.": "{F} loaned {O} {b} {I} and never asked for them back.",
    "{F} returns the {b} {I} that {S} had lent {F} last month.":
        "{F} returned the {b} {I} that {S} had lent {F} last month.",
    "{S} gets back the {b} {I} that {F} had been holding for {O}.":
        "{S} got back the {b} {I} that {F} had been holding for {O}.",
    "{P} mother gives back the {b} {I} she had been keeping safe for {O}.":
        "{P} mother gave back the {b} {I} she had been keeping safe for {O}.",
    "{F} leaves {b} {I} at {P} house and never comes back for them.":
        "{F} left {b} {I} at {P} house and never came back for them.",
    "{F} leaves {b} {I} with {S} for good.": "{F} left {b} {I} with {S} for good.",
    "{S} now has {b} {I} that {F} no longer needs.": "{S} now had {b} {I} that {F} no longer needed.",
    "{F} no longer wants {b} {I} and gives them to {S}.": "{F} no longer wanted {b} {I} and gave them to {S}.",
    "{F} gives {O} {b} {I} for the weekend and does not take them back.":
        "{F} gave {O} {b} {I} for the weekend and did not take them back.",
    "{S} gets {b} {I} from {F} and does not have to give them back.":
        "{S} got {b} {I} from {F} and did not have to give them back.",
    "{S} walks out of the {L} with {b} extra {I}.": "{S} walked out of the {L} with {b} extra {I}.",
    "{S} gets home with {b} new {I} in {P} {C}.": "{S} got home with {b} new {I} in {P} {C}.",
    "{S} never lets go of the {b} {I} that {F} gives {O}.": "{S} never let go of the {b} {I} that {F} gave {O}.",
    "{S} keeps the {b} {I} from {F} instead of passing them on.":
        "{S} kept the {b} {I} from {F} instead of passing them on.",
    "{S} buys {b} {I} at the {L} and sells none of them.": "{S} bought {b} {I} at the {L} and sold none of them.",
    "Without asking, {F} puts {b} {I} in {P} {C}.": "Without asking, {F} put {b} {I} in {P} {C}.",
    "{F} hands {O} {b} {I} that {F} no longer needs.": "{F} handed {O} {b} {I} that {F} no longer needed.",
    "The {b} {I} that went missing from {P} {C} turn up again.":
        "The {b} {I} that went missing from {P} {C} turned up again.",
    "{S} finds {b} {I} that had been missing under the sofa.":
        "{S} found {b} {I} that had been missing under the sofa.",
    "The {b} {I} that {S} left on the bus are handed back to {O}.":
        "The {b} {I} that {S} left on the bus were handed back to {O}.",
    "{S} picks up {b} {I} from the lost and found.": "{S} picked up {b} {I} from the lost and found.",
    "The dog brings {b} {I} back to {O}.": "The dog brought {b} {I} back to {O}.",
    "The wind blows {b} {I} into {P} yard, and {S} keeps them.":
        "The wind blew {b} {I} into {P} yard, and {S} kept them.",
    "{P} neighbour throws {b} {I} back over the fence to {O}.":
        "{P} neighbour threw {b} {I} back over the fence to {O}.",
    "{S} collects {b} {I} that were left in the cloakroom.": "{S} collected {b} {I} that were left in the cloakroom.",
    "{S} gets {b} {I} back from the repair shop.": "{S} got {b} {I} back from the repair shop.",
    "The {b} {I} that {S} sent off to be fixed come back to {O}.":
        "The {b} {I} that {S} sent off to be fixed came back to {O}.",
    "{P} sister finally returns the {b} {I} she took from {O}.":
        "{P} sister finally returned the {b} {I} she took from {O}.",
    "The teacher gives {b} {I} back to {S} and lets {O} keep them.":
        "The teacher gave {b} {I} back to {S} and let {O} keep them.",
    "{F} sends {O} {b} {I}, and they arrive safely.": "{F} sent {O} {b} {I}, and they arrived safely.",
    "{S} unpacks {b} {I} from a parcel that {F} sent {O}.": "{S} unpacked {b} {I} from a parcel that {F} sent {O}.",
    "{F} sends back the {b} {I} that {S} had posted by mistake.":
        "{F} sent back the {b} {I} that {S} had posted by mistake.",
    "The delivery driver hands {b} {I} to {S} at the door.": "The delivery driver handed {b} {I} to {S} at the door.",
    "The {b} {I} on their way to {O} arrive, and {S} puts them away.":
        "The {b} {I} on their way to {O} arrived, and {S} put them away.",
    "Somebody puts {b} {I} in {P} {C}, and nobody takes them out.":
        "Somebody put {b} {I} in {P} {C}, and nobody took them out.",
    "{P} little brother sneaks {b} {I} back into {P} {C}.": "{P} little brother sneaked {b} {I} back into {P} {C}.",
    "{S} restocks {P} {C} with {b} {I}.": "{S} restocked {P} {C} with {b} {I}.",
    "{F} takes {b} {I} from {F}'s own {C} and puts them in {P} {C}.":
        "{F} took {b} {I} from {F}'s own {C} and put them in {P} {C}.",
    "{F} promised {O} {b} {I} and keeps that promise.": "{F} promised {O} {b} {I} and kept that promise.",
    "As promised, {F} hands {O} {b} {I}.": "As promised, {F} handed {O} {b} {I}.",
    "{S} goes back on a deal and takes {b} {I} back from {F}.":
        "{S} went back on a deal and took {b} {I} back from {F}.",
    "{F} keeps a promise made to {O} and brings {O} {b} {I}.":
        "{F} kept a promise made to {O} and brought {O} {b} {I}.",
    "{F} repays a debt to {O} with {b} {I}.": "{F} repaid a debt to {O} with {b} {I}.",
    "{S} collects {b} {I} that {F} owed {O}.": "{S} collected {b} {I} that {F} owed {O}.",
    "{F} settles up with {S} by handing over {b} {I}.": "{F} settled up with {S} by handing over {b} {I}.",
    "{S} is paid back {b} {I} by {F}.": "{S} was paid back {b} {I} by {F}.",
    "{F} finally clears the loan by giving {O} {b} {I}.": "{F} finally cleared the loan by giving {O} {b} {I}.",
    "The shop gives {S} {b} {I} back as a refund.": "The shop gave {S} {b} {I} back as a refund.",
    "{S} takes a faulty lamp back to the store and gets {b} {I} as a refund.":
        "{S} took a faulty lamp back to the store and got {b} {I} as a refund.",
    "The vending machine gives {b} {I} back to {S}.": "The vending machine gave {b} {I} back to {S}.",
    "The cashier hands {S} {b} {I} in change.": "The cashier handed {S} {b} {I} in change.",
    "{S} swaps a book with {F} for {b} {I}.": "{S} swapped a book with {F} for {b} {I}.",
    "At the {L}, {S} exchanges a voucher for {b} {I}.": "At the {L}, {S} exchanged a voucher for {b} {I}.",
    "{S} gives {F} a sticker in return for {b} {I}.": "{S} gave {F} a sticker in return for {b} {I}.",
    "{S} lets {F} have a bike in exchange for {b} {I}.": "{S} let {F} have a bike in exchange for {b} {I}.",
    "{S} sells a lamp to {F} and takes {b} {I} as payment.": "{S} sold a lamp to {F} and took {b} {I} as payment.",
    "{F} offers {O} {b} {I}, and {S} keeps them.": "{F} offered {O} {b} {I}, and {S} kept them.",
    "{S} holds on to the {b} {I} that {F} passes {O}.": "{S} held on to the {b} {I} that {F} passed {O}.",
    "{S} gets to keep {b} {I} at the end of the game.": "{S} got to keep {b} {I} at the end of the game.",
    "{F} gives {O} {b} {I} and says not to return them.": "{F} gave {O} {b} {I} and said not to return them.",
    "{F} hands {b} {I} over to {S} for keeps.": "{F} handed {b} {I} over to {S} for keeps.",
    "{P} aunt never asks for the {b} {I} back after giving them to {O}.":
        "{P} aunt never asked for the {b} {I} back after giving them to {O}.",
    "{S} takes {b} {I} home from the {L} and keeps them.": "{S} took {b} {I} home from the {L} and kept them.",
    "{S} gets {b} {I} back after lending them to {F}.": "{S} got {b} {I} back after lending them to {F}.",
    "{F} brings back {b} of {P} {I} that {S} thought were lost for good.":
        "{F} brought back {b} of {P} {I} that {S} thought were lost for good.",
    "{F} returns {b} {I} to {O} without being asked.": "{F} returned {b} {I} to {O} without being asked.",
    "The club hands {b} {I} back to {S} when the season ends.":
        "The club handed {b} {I} back to {S} when the season ended.",
    "{S} is allowed to take home {b} {I} from the classroom.":
        "{S} was allowed to take home {b} {I} from the classroom.",
    "The referee returns {b} {I} to {S} after the match.": "The referee returned {b} {I} to {S} after the match.",
    "{F} fails to win the bet and has to give {S} {b} {I}.": "{F} failed to win the bet and had to give {S} {b} {I}.",
    "{S} never spends the {b} {I} that {F} pays {O}.": "{S} never spent the {b} {I} that {F} paid {O}.",
    "{S} gets a full refund of {b} {I} from the ticket office.":
        "{S} got a full refund of {b} {I} from the ticket office.",
    "On Monday, {S} picks up {b} {I} from the {L}.": "On Monday, {S} picked up {b} {I} from the {L}.",
    "Early on Sunday, {S} finds {b} {I} on the way to the {L}.":
        "Early on Sunday, {S} found {b} {I} on the way to the {L}.",
    "Later that week, {S} is given {b} {I} by {F}.": "Later that week, {S} was given {b} {I} by {F}.",
    "By evening, {S} has bought {b} {I} at the {L}.": "By evening, {S} had bought {b} {I} at the {L}.",
    "At the end of the month, {S} stocks up on {I} and gets {b} more.":
        "At the end of the month, {S} stocked up on {I} and got {b} more.",
    "Just before noon, {S} receives {b} {I} from {F}.": "Just before noon, {S} received {b} {I} from {F}.",
    "That afternoon, {S} collects {b} {I} from the neighbours.":
        "That afternoon, {S} collected {b} {I} from the neighbours.",
    "Late at night, {S} wins {b} {I} in a game of cards with {F}.":
        "Late at night, {S} won {b} {I} in a game of cards with {F}.",
    "Around lunchtime, {S} adds {b} new {I} to {P} {C}.": "Around lunchtime, {S} added {b} new {I} to {P} {C}.",
    "On the last day of term, {S} brings home {b} {I} from school.":
        "On the last day of term, {S} brought home {b} {I} from school.",
    "Before long, {S} gets {b} {I} back from {F}.": "Before long, {S} got {b} {I} back from {F}.",
    "On Friday evening, {S} comes home with {b} extra {I}.": "On Friday evening, {S} came home with {b} extra {I}.",
    "At the {L}, {S} is handed {b} {I} by {F}.": "At the {L}, {S} was handed {b} {I} by {F}.",
    "In the kitchen, {S} accepts {b} {I} from {F}.": "In the kitchen, {S} accepted {b} {I} from {F}.",
    "Down at the market, {S} pays for {b} {I} at a stall.": "Down at the market, {S} paid for {b} {I} at a stall.",
    "Outside the {L}, {F} gives {O} {b} {I}.": "Outside the {L}, {F} gave {O} {b} {I}.",
    "At the post office, {S} picks up a parcel of {b} {I} sent by {F}.":
        "At the post office, {S} picked up a parcel of {b} {I} sent by {F}.",
    "Behind the {L}, {S} rescues {b} {I} from the bin.": "Behind the {L}, {S} rescued {b} {I} from the bin.",
    "At {F}'s house, {S} is given {b} {I} to take home.": "At {F}'s house, {S} was given {b} {I} to take home.",
    "On the bus, {S} wins {b} {I} from {F} in a bet.": "On the bus, {S} won {b} {I} from {F} in a bet.",
    "At the front desk, {S} collects {b} {I} that were left for {O}.":
        "At the front desk, {S} collected {b} {I} that were left for {O}.",
    "Across the street, {S} gets hold of {b} {I} from a neighbour.":
        "Across the street, {S} got hold of {b} {I} from a neighbour.",
    "When {F} comes over, {S} gets {b} {I} as a gift.": "When {F} came over, {S} got {b} {I} as a gift.",
    "After the lesson ends, {S} takes delivery of {b} {I}.": "After the lesson ended, {S} took delivery of {b} {I}.",
    "Before {F} leaves, {S} takes {b} {I} off {F}'s hands.": "Before {F} left, {S} took {b} {I} off {F}'s hands.",
    "Because {F} insists, {S} takes {b} of {F}'s {I} home.": "Because {F} insisted, {S} took {b} of {F}'s {I} home.",
    "While {F} watches, {S} adds {b} {I} to {P} collection.": "While {F} watched, {S} added {b} {I} to {P} collection.",
    "As soon as the shop opens, {S} picks out {b} {I} and pays for them.":
        "As soon as the shop opened, {S} picked out {b} {I} and paid for them.",
    "When the rain stops, {S} goes to the {L} and comes back with {b} {I}.":
        "When the rain stopped, {S} went to the {L} and came back with {b} {I}.",
    "After {F} heads home, {S} discovers {b} extra {I} that {F} left behind for {O}.":
        "After {F} headed home, {S} discovered {b} extra {I} that {F} left behind for {O}.",
    "Before the party starts, {S} goes and gets {b} {I} that {F} has set aside for {O}.":
        "Before the party started, {S} went and got {b} {I} that {F} had set aside for {O}.",
    "As {F} is packing up, {S} is offered {b} {I} and says yes.":
        "As {F} was packing up, {S} was offered {b} {I} and said yes.",
    "Since it is {F}'s birthday, {S} is handed {b} {I} as a party favour.":
        "Since it was {F}'s birthday, {S} was handed {b} {I} as a party favour.",
    "While {F} is away, {S} receives {b} {I} in the post.": "While {F} was away, {S} received {b} {I} in the post.",
    "{S} brings home {b} {I}, which are a little dusty, from a garage sale.":
        "{S} brought home {b} {I}, which were a little dusty, from a garage sale.",
    "{S} receives {b} {I}, still in their wrapping, from {F}.":
        "{S} received {b} {I}, still in their wrapping, from {F}.",
    "{S} takes home {b} {I}, the shiny kind with gold edges, as prizes from the fair.":
        "{S} took home {b} {I}, the shiny kind with gold edges, as prizes from the fair.",
    "{S} gives a good home to {b} {I} from {F}.": "{S} gave a good home to {b} {I} from {F}.",
    "{S} gets {b} brand new {I} in a box from {F}.": "{S} got {b} brand new {I} in a box from {F}.",
    "{S} ends up with {b} {I} that used to belong to {F}.": "{S} ended up with {b} {I} that used to belong to {F}.",
    "{S} receives a bag of {b} {I}, tied with a ribbon, from {F}.":
        "{S} received a bag of {b} {I}, tied with a ribbon, from {F}.",
    "{S} is lent {b} {I} with bright red labels by {F}.": "{S} was lent {b} {I} with bright red labels by {F}.",
    "For the school fair, {S} gets {b} {I} from the teachers.":
        "For the school fair, {S} got {b} {I} from the teachers.",
    "To help {F} out, {S} takes {b} {I} that {F} cannot use.":
        "To help {F} out, {S} took {b} {I} that {F} could not use.",
    "To tidy the {L}, {S} takes {b} loose {I} home.": "To tidy the {L}, {S} took {b} loose {I} home.",
    "For a class project, {S} comes away from the art room with {b} {I}.":
        "For a class project, {S} came away from the art room with {b} {I}.",
    "As a thank-you, {F} gives {O} {b} {I}.": "As a thank-you, {F} gave {O} {b} {I}.",
    "For the bake sale, {S} takes in {b} {I} from the neighbours.":
        "For the bake sale, {S} took in {b} {I} from the neighbours.",
    "In exchange for a favour, {S} accepts {b} {I} from {F}.":
        "In exchange for a favour, {S} accepted {b} {I} from {F}.",
    "As payment for the work, {S} gets paid {b} {I} by {F}.": "As payment for the work, {S} got paid {b} {I} by {F}.",
    "Just to be kind, {F} lets {O} have {b} {I}.": "Just to be kind, {F} let {O} have {b} {I}.",
    "For safekeeping, {S} takes charge of {b} {I} from {F}.": "For safekeeping, {S} took charge of {b} {I} from {F}.",
    "{S} gets {b} {I} from the {L}, so the trip there is worth it.":
        "{S} got {b} {I} from the {L}, so the trip there was worth it.",
    "{S} takes {b} {I} from the prize table, and the crowd cheers.":
        "{S} took {b} {I} from the prize table, and the crowd cheered.",
    "{S} takes {b} {I} from {F}, which makes {F} smile.": "{S} took {b} {I} from {F}, which made {F} smile.",
    "{S} comes back from the {L} with {b} new {I}, and life goes on.":
        "{S} came back from the {L} with {b} new {I}, and life went on.",
    "{S} is sent {b} {I} by {F}, and the parcel arrives on time.":
        "{S} was sent {b} {I} by {F}, and the parcel arrived on time.",
    "{S} loads {b} {I} into {P} car at the {L}, and then drives home with them.":
        "{S} loaded {b} {I} into {P} car at the {L}, and then drove home with them.",
    "{S} gains {b} {I} in the deal, and {F} shakes on it.": "{S} gained {b} {I} in the deal, and {F} shook on it.",
    "{S} tells {F} to hand over {b} {I}, and {F} does.": "{S} told {F} to hand over {b} {I}, and {F} did.",
    "{F} tells {O} to keep {b} of {F}'s {I}, and {S} does.": "{F} told {O} to keep {b} of {F}'s {I}, and {S} did.",
    "{S} says yes when {F} offers {O} {b} {I}.": "{S} said yes when {F} offered {O} {b} {I}.",
    "{S} writes to {F} to say that {b} {I} have just arrived for {O}.":
        "{S} wrote to {F} to say that {b} {I} had just arrived for {O}.",
    "{F} says {S} can have {b} {I}, and {S} takes them.": "{F} said {S} could have {b} {I}, and {S} took them.",
    "{F} tells {O} that the {b} {I} on the table belong to {O} now.":
        "{F} told {O} that the {b} {I} on the table belonged to {O} now.",
    "{S} asks {F} for {b} {I}, and {F} says yes.": "{S} asked {F} for {b} {I}, and {F} said yes.",
    "{b} {I} arrive at {P} door in a parcel from {F}.": "{b} {I} arrived at {P} door in a parcel from {F}.",
    "{b} more {I} end up in {P} hands by the end of the day.":
        "{b} more {I} ended up in {P} hands by the end of the day.",
    "{b} {I} are added to {P} collection after a visit to the {L}.":
        "{b} {I} were added to {P} collection after a visit to the {L}.",
    "{b} {I} are given to {O} at the {L}.": "{b} {I} were given to {O} at the {L}.",
    "{b} {I} are put into {P} {C} by {F}.": "{b} {I} were put into {P} {C} by {F}.",
    "{b} {I} are sold to {O} at the {L}.": "{b} {I} were sold to {O} at the {L}.",
    "{I} are popular at the {L} this week, and {S} snaps up {b} of them.":
        "{I} were popular at the {L} this week, and {S} snapped up {b} of them.",
    "{I} are what {S} collects, and today {S} picks up {b} more.":
        "{I} were what {S} collected, and today {S} picked up {b} more.",
    "{I} come and go in {P} house, and today {b} of them arrive.":
        "{I} came and went in {P} house, and today {b} of them arrived.",
    "{I} make good presents, so {F} gives {O} {b} of them.": "{I} made good presents, so {F} gave {O} {b} of them.",
    "{S} sells {b} {I}.": "{S} sold {b} {I}.",
    "{S} sells {b} {I} to {F}.": "{S} sold {b} {I} to {F}.",
    "{S} sells {b} of {P} {I} at the {L}.": "{S} sold {b} of {P} {I} at the {L}.",
    "At the {L}, {S} sells {b} {I}.": "At the {L}, {S} sold {b} {I}.",
    "{S} sadly sells {b} of {P} {I}.": "{S} sadly sold {b} of {P} {I}.",
    "{S} sells {b} {I} online.": "{S} sold {b} {I} online.",
    "{S} sells off {b} {I}.": "{S} sold off {b} {I}.",
    "{S} auctions off {b} {I}.": "{S} auctioned off {b} {I}.",
    "{S} takes {b} {I} to the {L} and sells them.": "{S} took {b} {I} to the {L} and sold them.",
    "{F} buys {b} {I} from {O}.": "{F} bought {b} {I} from {O}.",
    "{F} buys {b} of {P} {I}.": "{F} bought {b} of {P} {I}.",
    "{b} of {P} {I} are sold at the {L}.": "{b} of {P} {I} were sold at the {L}.",
    "{S} pays {b} {I} for a ticket.": "{S} paid {b} {I} for a ticket.",
    "{S} pays {F} {b} {I} for a ride.": "{S} paid {F} {b} {I} for a ride.",
    "{S} spends {b} {I} at the {L}.": "{S} spent {b} {I} at the {L}.",
    "{S} spends {b} of {P} {I} on snacks.": "{S} spent {b} of {P} {I} on snacks.",
    "{S} spends {b} more {I} at the {L}.": "{S} spent {b} more {I} at the {L}.",
    "{S} gives {b} {I} to {F}.": "{S} gave {b} {I} to {F}.",
    "{S} gives {F} {b} {I}.": "{S} gave {F} {b} {I}.",
    "{S} gives away {b} {I}.": "{S} gave away {b} {I}.",
    "{S} gives away another {b} {I}.": "{S} gave away another {b} {I}.",
    "{S} gives {b} of {P} {I} to {F} as a gift.": "{S} gave {b} of {P} {I} to {F} as a gift.",
    "{S} kindly gives {b} {I} to {F}.": "{S} kindly gave {b} {I} to {F}.",
    "{S} gives {b} {I} to the food bank.": "{S} gave {b} {I} to the food bank.",
    "Because {F} is hungry, {S} gives {F} {b} {I}.": "Because {F} was hungry, {S} gave {F} {b} {I}.",
    "When {F} comes over, {S} gives {F} {b} {I}.": "When {F} came over, {S} gave {F} {b} {I}.",
    "Before leaving the {L}, {S} gives {b} {I} to {F}.": "Before leaving the {L}, {S} gave {b} {I} to {F}.",
    "{S} has to give {b} {I} to {F}.": "{S} had to give {b} {I} to {F}.",
    "{b} of {P} {I} are given away.": "{b} of {P} {I} were given away.",
    "{S} contributes {b} {I} to the class party.": "{S} contributed {b} {I} to the class party.",
    "{S} hands {b} {I} to {F}.": "{S} handed {b} {I} to {F}.",
    "{S} hands {b} of {P} {I} to a stranger.": "{S} handed {b} of {P} {I} to a stranger.",
    "{S} hands over {b} {I} to {F}.": "{S} handed over {b} {I} to {F}.",
    "{S} must hand over {b} {I} to the referee.": "{S} had to hand over {b} {I} to the referee.",
    "{S} hands out {b} {I} to {P} classmates.": "{S} handed out {b} {I} to {P} classmates.",
    "{S} happily hands out {b} {I} at the {L}.": "{S} happily handed out {b} {I} at the {L}.",
    "{S} hands in {b} {I} to the teacher.": "{S} handed in {b} {I} to the teacher.",
    "{S} turns in {b} {I} at the lost and found.": "{S} turned in {b} {I} at the lost and found.",
    "{S} passes {b} {I} to {F}.": "{S} passed {b} {I} to {F}.",
    "{S} passes out {b} {I} at the party.": "{S} passed out {b} {I} at the party.",
    "{S} distributes {b} {I} among {P} friends.": "{S} distributed {b} {I} among {P} friends.",
    "{S} doles out {b} {I} to the kids.": "{S} doled out {b} {I} to the kids.",
    "{S} sends {b} {I} to {F}.": "{S} sent {b} {I} to {F}.",
    "{S} sends {F} {b} of {P} {I}.": "{S} sent {F} {b} of {P} {I}.",
    "{S} sends away {b} {I}.": "{S} sent away {b} {I}.",
    "{S} sends {b} {I} off to {F}.": "{S} sent {b} {I} off to {F}.",
    "{S} posts {b} {I} to a cousin.": "{S} posted {b} {I} to a cousin.",
    "{S} packs {b} {I} into a care package and sends it to {F}.":
        "{S} packed {b} {I} into a care package and sent it to {F}.",
    "{S} delivers {b} of {P} {I} to {F}'s house.": "{S} delivered {b} of {P} {I} to {F}'s house.",
    "{S} brings {F} {b} of {P} {I}.": "{S} brought {F} {b} of {P} {I}.",
    "{S} brings {b} {I} to school and gives them to {F}.": "{S} brought {b} {I} to school and gave them to {F}.",
    "{S} brings {b} {I} to {F}'s party and leaves them there.":
        "{S} brought {b} {I} to {F}'s party and left them there.",
    "{S} leaves {b} {I} for {F} on the table.": "{S} left {b} {I} for {F} on the table.",
    "{S} treats {F} to {b} of {P} {I}.": "{S} treated {F} to {b} of {P} {I}.",
    "{S} gifts {F} {b} {I}.": "{S} gifted {F} {b} {I}.",
    "{S} rewards {F} with {b} of {P} {I}.": "{S} rewarded {F} with {b} of {P} {I}.",
    "{S} offers {b} {I} to {F}, who takes them.": "{S} offered {b} {I} to {F}, who took them.",
    "{S} shares {b} of {P} {I} with {F}, who eats them.": "{S} shared {b} of {P} {I} with {F}, who ate them.",
    "{S} sets aside {b} of {P} {I} for {F}, who takes them home.":
        "{S} set aside {b} of {P} {I} for {F}, who took them home.",
    "{S} serves {b} {I} to {P} guests.": "{S} served {b} {I} to {P} guests.",
    "{S} feeds {b} {I} to the goats.": "{S} fed {b} {I} to the goats.",
    "{S} feeds {b} of {P} {I} to the ducks at the {L}.": "{S} fed {b} of {P} {I} to the ducks at the {L}.",
    "{S} lends {b} {I} to {F}.": "{S} lent {b} {I} to {F}.",
    "{S} lends {F} {b} of {P} {I}.": "{S} lent {F} {b} of {P} {I}.",
    "To help {F}, {S} lends {F} {b} {I}.": "To help {F}, {S} lent {F} {b} {I}.",
    "{S} loans {b} {I} to {F}.": "{S} loaned {b} {I} to {F}.",
    "{b} of {P} {I} are lent to {F}.": "{b} of {P} {I} were lent to {F}.",
    "{S} ends up with {b} fewer {I} after lending some to {F}.":
        "{S} ended up with {b} fewer {I} after lending some to {F}.",
    "{S} returns {b} {I} to {F}.": "{S} returned {b} {I} to {F}.",
    "{S} returns {b} {I} to the store.": "{S} returned {b} {I} to the store.",
    "{S} gives {b} {I} back to {F}.": "{S} gave {b} {I} back to {F}.",
    "{S} gives back {b} {I} to the {L}.": "{S} gave back {b} {I} to the {L}.",
    "{S} takes {b} {I} back to the {L}.": "{S} took {b} {I} back to the {L}.",
    "{S} pays back {F} with {b} {I}.": "{S} paid back {F} with {b} {I}.",
    "{S} repays {F} {b} {I}.": "{S} repaid {F} {b} {I}.",
    "{S} owes {F} {b} {I} and hands them over.": "{S} owed {F} {b} {I} and handed them over.",
    "{F} collects {b} {I} from {O}.": "{F} collected {b} {I} from {O}.",
    "{F} picks up {b} {I} from {O}.": "{F} picked up {b} {I} from {O}.",
    "{S} loses {b} {I}.": "{S} lost {b} {I}.",
    "{S} loses {b} {I} at the {L}.": "{S} lost {b} {I} at the {L}.",
    "{S} loses {b} of {P} {I} on the bus.": "{S} lost {b} of {P} {I} on the bus.",
    "{S} carelessly loses {b} {I}.": "{S} carelessly lost {b} {I}.",
    "{S} loses {b} {I} in the snow.": "{S} lost {b} {I} in the snow.",
    "{S} loses {b} {I} through a hole in {P} {C}.": "{S} lost {b} {I} through a hole in {P} {C}.",
    "{S} loses track of {b} {I} and never finds them again.": "{S} lost track of {b} {I} and never found them again.",
    "{S} loses {b} {I} in a bet with {F}.": "{S} lost {b} {I} in a bet with {F}.",
    "{S} loses {b} {I} to {F} in a game of cards.": "{S} lost {b} {I} to {F} in a game of cards.",
    "{S} leaves {b} {I} behind at the {L}.": "{S} left {b} {I} behind at the {L}.",
    "{S} leaves {b} {I} on the train by mistake.": "{S} left {b} {I} on the train by mistake.",
    "{S} forfeits {b} {I}.": "{S} forfeited {b} {I}.",
    "{S} sacrifices {b} of {P} {I} to win the game.": "{S} sacrificed {b} of {P} {I} to win the game.",
    "{F} wins {b} {I} from {O}.": "{F} won {b} {I} from {O}.",
    "{b} of {P} {I} are lost in the flood.": "{b} of {P} {I} were lost in the flood.",
    "{b} of {P} {I} go missing.": "{b} of {P} {I} went missing.",
    "{b} of {P} {I} disappear.": "{b} of {P} {I} disappeared.",
    "{b} of {P} {I} vanish overnight.": "{b} of {P} {I} vanished overnight.",
    "{b} of {P} {I} get lost in the move.": "{b} of {P} {I} got lost in the move.",
    "{b} {I} slip out of a hole in {P} {C} and are lost.": "{b} {I} slipped out of a hole in {P} {C} and were lost.",
    "{b} {I} fall out of {P} {C} on the way to the {L} and are lost.":
        "{b} {I} fell out of {P} {C} on the way to the {L} and were lost.",
    "{b} of {P} {I} roll away and are never seen again.": "{b} of {P} {I} rolled away and were never seen again.",
    "{b} of {P} {I} fall into the river and float away.": "{b} of {P} {I} fell into the river and floated away.",
    "{b} of {P} {I} blow away in the wind.": "{b} of {P} {I} blew away in the wind.",
    "The wind blows {b} of {P} {I} into the lake.": "The wind blew {b} of {P} {I} into the lake.",
    "{S} sets {b} {I} free.": "{S} set {b} {I} free.",
    "{S} releases {b} {I} back into the wild.": "{S} released {b} {I} back into the wild.",
    "{S} eats {b} {I}.": "{S} ate {b} {I}.",
    "{S} eats {b} more {I}.": "{S} ate {b} more {I}.",
    "{S} eats {b} of {P} {I} for lunch.": "{S} ate {b} of {P} {I} for lunch.",
    "{S} devours {b} {I}.": "{S} devoured {b} {I}.",
    "{S} munches on {b} of {P} {I}.": "{S} munched on {b} of {P} {I}.",
    "{S} snacks on {b} {I}.": "{S} snacked on {b} {I}.",
    "{S} gobbles up {b} {I}.": "{S} gobbled up {b} {I}.",
    "{S} consumes {b} {I}.": "{S} consumed {b} {I}.",
    "{S} cooks {b} of {P} {I} for dinner.": "{S} cooked {b} of {P} {I} for dinner.",
    "{S} mixes {b} {I} into the batter.": "{S} mixed {b} {I} into the batter.",
    "{S} melts {b} {I} to make candles.": "{S} melted {b} {I} to make candles.",
    "{S} uses {b} {I}.": "{S} used {b} {I}.",
    "{S} uses up {b} {I}.": "{S} used up {b} {I}.",
    "{S} uses {b} of {P} {I} to make a pie.": "{S} used {b} of {P} {I} to make a pie.",
    "{b} of the {I} are used for a school project.": "{b} of the {I} were used for a school project.",
    "{b} of {P} {I} are eaten at the picnic.": "{b} of {P} {I} were eaten at the picnic.",
    "{S} plants {b} of {P} {I} in the garden.": "{S} planted {b} of {P} {I} in the garden.",
    "{S} ruins {b} {I}.": "{S} ruined {b} {I}.",
    "{S} accidentally ruins {b} of {P} {I}.": "{S} accidentally ruined {b} of {P} {I}.",
    "{S} accidentally squashes {b} of {P} {I}.": "{S} accidentally squashed {b} of {P} {I}.",
    "{S} crushes {b} of {P} {I}.": "{S} crushed {b} of {P} {I}.",
    "{S} rips {b} of {P} {I} beyond repair.": "{S} ripped {b} of {P} {I} beyond repair.",
    "{S} pops {b} of {P} {I}.": "{S} popped {b} of {P} {I}.",
    "{S} burns {b} of {P} {I} in the oven.": "{S} burned {b} of {P} {I} in the oven.",
    "{b} of the {I} melt.": "{b} of the {I} melted.",
    "{b} of {P} {I} rot.": "{b} of {P} {I} rotted.",
    "{b} of {P} {I} go bad.": "{b} of {P} {I} went bad.",
    "{b} of {P} {I} spoil in the heat.": "{b} of {P} {I} spoiled in the heat.",
    "{b} of {P} {I} crack in the cold and are thrown away.": "{b} of {P} {I} cracked in the cold and were thrown away.",
    "{b} of {P} {I} shatter on the floor.": "{b} of {P} {I} shattered on the floor.",
    "{b} of {P} {I} burst.": "{b} of {P} {I} burst.",
    "{b} of {P} {I} wilt and die.": "{b} of {P} {I} wilted and died.",
    "{b} of {P} {I} get crushed in {P} bag.": "{b} of {P} {I} got crushed in {P} bag.",
    "{b} of the {I} go stale and are thrown out.": "{b} of the {I} went stale and were thrown out.",
    "A storm destroys {b} of {P} {I}.": "A storm destroyed {b} of {P} {I}.",
    "Hail damages {b} of {P} {I} beyond repair.": "Hail damaged {b} of {P} {I} beyond repair.",
    "The frost kills {b} of {P} {I}.": "The frost killed {b} of {P} {I}.",
    "{S} throws out {b} {I}.": "{S} threw out {b} {I}.",
    "{S} throws away {b} of {P} {I}.": "{S} threw away {b} of {P} {I}.",
    "{S} throws {b} old {I} in the trash.": "{S} threw {b} old {I} in the trash.",
    "{S} recycles {b} old {I}.": "{S} recycled {b} old {I}.",
    "{S} gets rid of {b} {I}.": "{S} got rid of {b} {I}.",
    "{S} removes {b} {I} from {P} collection for good.": "{S} removed {b} {I} from {P} collection for good.",
    "{S} gives up {b} {I}.": "{S} gave up {b} {I}.",
    "{S} now has {b} fewer {I} after the sale.": "{S} now had {b} fewer {I} after the sale.",
    "{F} steals {b} {I} from {O}.": "{F} stole {b} {I} from {O}.",
    "{F} steals {b} of {P} {I}.": "{F} stole {b} of {P} {I}.",
    "{b} {I} are stolen from {O}.": "{b} {I} were stolen from {O}.",
    "{b} of {P} {I} are stolen.": "{b} of {P} {I} were stolen.",
    "{b} {I} are taken from {O}.": "{b} {I} were taken from {O}.",
    "{S} is robbed of {b} {I}.": "{S} was robbed of {b} {I}.",
    "A thief robs {O} of {b} {I}.": "A thief robbed {O} of {b} {I}.",
    "{F} takes {b} of {P} {I}.": "{F} took {b} of {P} {I}.",
    "{F} takes {b} {I} from {O}.": "{F} took {b} {I} from {O}.",
    "{F} snatches {b} {I} from {O}.": "{F} snatched {b} {I} from {O}.",
    "{F} swipes {b} of {P} {I} when {S} is not looking.": "{F} swiped {b} of {P} {I} when {S} was not looking.",
    "{F} sneaks {b} {I} out of {P} {C}.": "{F} sneaked {b} {I} out of {P} {C}.",
    "{F} talks {O} out of {b} {I}.": "{F} talked {O} out of {b} {I}.",
    "{F} tricks {O} out of {b} {I}.": "{F} tricked {O} out of {b} {I}.",
    "{F} cheats {O} out of {b} {I}.": "{F} cheated {O} out of {b} {I}.",
    "{F} eats {b} of {P} {I}.": "{F} ate {b} of {P} {I}.",
    "{F} uses up {b} of {P} {I}.": "{F} used up {b} of {P} {I}.",
    "The dog eats {b} of {P} {I}.": "The dog ate {b} of {P} {I}.",
    "{b} of {P} {I} are eaten by the dog.": "{b} of {P} {I} were eaten by the dog.",
    "The goat chews up {b} of {P} {I}.": "The goat chewed up {b} of {P} {I}.",
    "Mice chew through {b} of {P} {I}.": "Mice chewed through {b} of {P} {I}.",
    "A squirrel runs off with {b} of {P} {I}.": "A squirrel ran off with {b} of {P} {I}.",
    "{S} has {b} {I} confiscated by the teacher.": "{S} had {b} {I} confiscated by the teacher.",
    "The teacher confiscates {b} of {P} {I}.": "The teacher confiscated {b} of {P} {I}.",
    "{S} peddles {b} {I} outside the {L}.": "{S} peddled {b} {I} outside the {L}.",
    "{S} hawks {b} {I} to shoppers at the {L}.": "{S} hawked {b} {I} to shoppers at the {L}.",
    "At a car boot sale, {S} sells {b} {I} from the back of the car.":
        "At a car boot sale, {S} sold {b} {I} from the back of the car.",
    "Of {P} {I}, {S} sells {b} to a collector.": "Of {P} {I}, {S} sold {b} to a collector.",
    "{S} unloads {b} {I} on {F} for a fair price.": "{S} unloaded {b} {I} on {F} for a fair price.",
    "{F} buys {b} {I} off {O} for a good price.": "{F} bought {b} {I} off {O} for a good price.",
    "{F} pays {O} for {b} {I} and carries them home.": "{F} paid {O} for {b} {I} and carried them home.",
    "{b} of {P} {I} are bought by a neighbor at the yard sale.":
        "{b} of {P} {I} were bought by a neighbor at the yard sale.",
    "Shoppers at the {L} snap up {b} of {P} {I}.": "Shoppers at the {L} snapped up {b} of {P} {I}.",
    "{S} swaps {b} {I} for a comic book.": "{S} swapped {b} {I} for a comic book.",
    "{S} exchanges {b} of {P} {I} for a bus pass.": "{S} exchanged {b} of {P} {I} for a bus pass.",
    "{S} barters away {b} {I} for a warm scarf.": "{S} bartered away {b} {I} for a warm scarf.",
    "{S} pawns {b} of {P} {I} to pay the rent.": "{S} pawned {b} of {P} {I} to pay the rent.",
    "After some haggling, {S} lets {F} have {b} {I} at a discount.":
        "After some haggling, {S} let {F} have {b} {I} at a discount.",
    "{S} lists {b} {I} on an auction site, and they all sell within a week.":
        "{S} listed {b} {I} on an auction site, and they all sold within a week.",
    "{S} forks over {b} {I} for the entry fee.": "{S} forked over {b} {I} for the entry fee.",
    "{S} shells out {b} {I} for a new helmet.": "{S} shelled out {b} {I} for a new helmet.",
    "To settle the bill, {S} hands the cashier {b} {I}.": "To settle the bill, {S} handed the cashier {b} {I}.",
    "{S} tips the waiter {b} {I}.": "{S} tipped the waiter {b} {I}.",
    "{S} chips in {b} {I} toward a present for {F}.": "{S} chipped in {b} {I} toward a present for {F}.",
    "The shopkeeper takes {b} {I} from {O} as payment.": "The shopkeeper took {b} {I} from {O} as payment.",
    "{S} cashes in {b} {I} at the prize counter.": "{S} cashed in {b} {I} at the prize counter.",
    "In return for a lift, {S} gives the driver {b} {I}.": "In return for a lift, {S} gave the driver {b} {I}.",
    "{b} {I} go to the ticket seller when {S} pays for the show.":
        "{b} {I} went to the ticket seller when {S} paid for the show.",
    "{S} parts with {b} of {P} {I}.": "{S} parted with {b} of {P} {I}.",
    "{S} presents {F} with {b} {I}.": "{S} presented {F} with {b} {I}.",
    "{S} bestows {b} {I} on {F}.": "{S} bestowed {b} {I} on {F}.",
    "{S} passes {b} {I} along to {F}.": "{S} passed {b} {I} along to {F}.",
    "{S} passes on {b} {I} to {P} little brother.": "{S} passed on {b} {I} to {P} little brother.",
    "{S} hands down {b} outgrown {I} to a younger cousin.": "{S} handed down {b} outgrown {I} to a younger cousin.",
    "{S} slips {b} {I} into {F}'s backpack as a surprise.": "{S} slipped {b} {I} into {F}'s backpack as a surprise.",
    "{S} tucks {b} {I} into a birthday card for {F}.": "{S} tucked {b} {I} into a birthday card for {F}.",
    "{S} spares {b} {I} for {F}, who needs them more.": "{S} spared {b} {I} for {F}, who needed them more.",
    "{S} lets {F} keep {b} {I}.": "{S} let {F} keep {b} {I}.",
    "{F} is given {b} {I} by {O}.": "{F} was given {b} {I} by {O}.",
    "{F} receives {b} of {P} {I} as a present.": "{F} received {b} of {P} {I} as a present.",
    "{F} gratefully accepts {b} {I} from {O}.": "{F} gratefully accepted {b} {I} from {O}.",
    "{F} asks for {b} {I}, and {S} hands them over.": "{F} asked for {b} {I}, and {S} handed them over.",
    "{S} lends out {b} {I} to the neighbors for the month.": "{S} lent out {b} {I} to the neighbors for the month.",
    "{S} rents out {b} {I} to tourists at the {L}.": "{S} rented out {b} {I} to tourists at the {L}.",
    "{S} lets {F} take {b} {I} home for the summer.": "{S} let {F} take {b} {I} home for the summer.",
    "{F} takes {b} {I} on loan from {O}.": "{F} took {b} {I} on loan from {O}.",
    "Since {F} has run out, {S} hands across {b} of {P} {I}.":
        "Since {F} had run out, {S} handed across {b} of {P} {I}.",
    "{S} leaves {b} {I} in {F}'s care and never takes them back.":
        "{S} left {b} {I} in {F}'s care and never took them back.",
    "{S} puts {b} {I} in the charity box at the {L}.": "{S} put {b} {I} in the charity box at the {L}.",
    "{S} gives {b} {I} to a neighbor who has just moved in.": "{S} gave {b} {I} to a neighbor who had just moved in.",
    "Out of kindness, {S} offers {F} {b} {I}, which are gladly accepted.":
        "Out of kindness, {S} offered {F} {b} {I}, which were gladly accepted.",
    "{S} shares out {b} {I} among the team.": "{S} shared out {b} {I} among the team.",
    "{S} divides up {b} {I} among {P} cousins.": "{S} divided up {b} {I} among {P} cousins.",
    "{S} deals out {b} {I} to the other players.": "{S} dealt out {b} {I} to the other players.",
    "{S} dishes out {b} {I} to the hungry campers.": "{S} dished out {b} {I} to the hungry campers.",
    "{S} rations out {b} {I} to the tired hikers.": "{S} rationed out {b} {I} to the tired hikers.",
    "{S} portions out {b} {I} onto the guests' plates.": "{S} portioned out {b} {I} onto the guests' plates.",
    "{S} splits {b} {I} between {F} and the kids next door.": "{S} split {b} {I} between {F} and the kids next door.",
    "{b} of {P} {I} are shared out among the teammates.": "{b} of {P} {I} were shared out among the teammates.",
    "{S} allots {b} {I} to the art club.": "{S} allotted {b} {I} to the art club.",
    "{S} spreads {b} {I} among the kids at the party.": "{S} spread {b} {I} among the kids at the party.",
    "{S} sets out {b} {I} for the guests, who take them all.": "{S} set out {b} {I} for the guests, who took them all.",
    "Of the {I} in {P} {C}, {S} shares {b} with the class.": "Of the {I} in {P} {C}, {S} shared {b} with the class.",
    "{S} brings {b} {I} back to {F}.": "{S} brought {b} {I} back to {F}.",
    "{S} sends {b} {I} back to the seller.": "{S} sent {b} {I} back to the seller.",
    "{S} hands {b} {I} back to {F} after the game.": "{S} handed {b} {I} back to {F} after the game.",
    "{S} returns {b} overdue {I} to the library.": "{S} returned {b} overdue {I} to the library.",
    "{S} takes {b} faulty {I} back to the {L} for a refund.": "{S} took {b} faulty {I} back to the {L} for a refund.",
    "{S} restores {b} {I} to their rightful owner.": "{S} restored {b} {I} to their rightful owner.",
    "{S} pays {F} back {b} {I}.": "{S} paid {F} back {b} {I}.",
    "{S} settles up with {F} by handing over {b} {I}.": "{S} settled up with {F} by handing over {b} {I}.",
    "{F} gets {b} {I} back from {O}.": "{F} got {b} {I} back from {O}.",
    "{b} {I} that {S} had on loan go back to {F}.": "{b} {I} that {S} had on loan went back to {F}.",
    "{S} gives {F} back {b} {I}.": "{S} gave {F} back {b} {I}.",
    "When the loan comes due, {S} repays {b} {I} to {F}.": "When the loan came due, {S} repaid {b} {I} to {F}.",
    "{S} reimburses {F} with {b} {I}.": "{S} reimbursed {F} with {b} {I}.",
    "{S} sends back {b} {I} that arrived damaged.": "{S} sent back {b} {I} that arrived damaged.",
    "{S} submits {b} {I} to the school office.": "{S} submitted {b} {I} to the school office.",
    "The teacher collects {b} {I} from {O}.": "The teacher collected {b} {I} from {O}.",
    "At the end of class, {S} passes {b} {I} forward to the teacher.":
        "At the end of class, {S} passed {b} {I} forward to the teacher.",
    "{S} hands up {b} {I} to the teacher at the front.": "{S} handed up {b} {I} to the teacher at the front.",
    "{S} leaves {b} {I} in the staff room, and co-workers take them all.":
        "{S} left {b} {I} in the staff room, and co-workers took them all.",
    "{S} puts {b} {I} in the lost property box at school.": "{S} put {b} {I} in the lost property box at school.",
    "{S} stuffs {b} {I} into envelopes and sends them out with the newsletter.":
        "{S} stuffed {b} {I} into envelopes and sent them out with the newsletter.",
    "The principal takes away {b} of {P} {I}.": "The principal took away {b} of {P} {I}.",
    "{S} sends {b} {I} to head office with the monthly report.":
        "{S} sent {b} {I} to head office with the monthly report.",
    "{S} uses up {b} {I} on {P} science project.": "{S} used up {b} {I} on {P} science project.",
    "{S} shreds {b} old {I} at the office.": "{S} shredded {b} old {I} at the office.",
    "The school keeps {b} of {P} {I} for the display case.": "The school kept {b} of {P} {I} for the display case.",
    "{S} posts off {b} {I} to {F}.": "{S} posted off {b} {I} to {F}.",
    "{S} dispatches {b} {I} to a customer.": "{S} dispatched {b} {I} to a customer.",
    "{S} forwards {b} {I} to {F}'s new address.": "{S} forwarded {b} {I} to {F}'s new address.",
    "{S} encloses {b} {I} in a letter to {F}.": "{S} enclosed {b} {I} in a letter to {F}.",
    "{S} parcels up {b} {I} and posts them to {F}.": "{S} parceled up {b} {I} and posted them to {F}.",
    "{S} wraps up {b} {I} and sends them overseas.": "{S} wrapped up {b} {I} and sent them overseas.",
    "{S} has {b} {I} couriered to {F}.": "{S} had {b} {I} couriered to {F}.",
    "{b} of {P} {I} go out in the morning post.": "{b} of {P} {I} went out in the morning post.",
    "{b} {I} are posted to {F} by {O}.": "{b} {I} were posted to {F} by {O}.",
    "{F} receives a parcel of {b} {I} from {O}.": "{F} received a parcel of {b} {I} from {O}.",
    "{S} slips {b} {I} through {F}'s letterbox.": "{S} slipped {b} {I} through {F}'s letterbox.",
    "From the post office near the {L}, {S} sends {b} {I} to {F}.":
        "From the post office near the {L}, {S} sent {b} {I} to {F}.",
    "{S} packs {b} {I} in bubble wrap and sends them to {F} by courier.":
        "{S} packed {b} {I} in bubble wrap and sent them to {F} by courier.",
    "{S} pops {b} {I} into the postbox for {F}.": "{S} popped {b} {I} into the postbox for {F}.",
    "{S} addresses a box of {b} {I} to {F} and sends it off.": "{S} addressed a box of {b} {I} to {F} and sent it off.",
    "{S} fries {b} {I} for supper.": "{S} fried {b} {I} for supper.",
    "{S} roasts {b} of {P} {I} over the campfire and eats them.":
        "{S} roasted {b} of {P} {I} over the campfire and ate them.",
    "{S} chops up {b} {I} for a salad.": "{S} chopped up {b} {I} for a salad.",
    "{S} mashes {b} {I} for the baby.": "{S} mashed {b} {I} for the baby.",
    "{S} blends {b} {I} into a smoothie.": "{S} blended {b} {I} into a smoothie.",
    "{S} stirs {b} {I} into the porridge.": "{S} stirred {b} {I} into the porridge.",
    "{S} grates {b} {I} over the pasta.": "{S} grated {b} {I} over the pasta.",
    "{S} cracks {b} {I} into a mixing bowl.": "{S} cracked {b} {I} into a mixing bowl.",
    "{S} polishes off {b} {I}.": "{S} polished off {b} {I}.",
    "{S} wolfs down {b} of {P} {I}.": "{S} wolfed down {b} of {P} {I}.",
    "{S} nibbles on {b} {I} while watching a movie.": "{S} nibbled on {b} {I} while watching a movie.",
    "After practice, {S} tucks into {b} {I}.": "After practice, {S} tucked into {b} {I}.",
    "{S} has {b} {I} with {P} tea.": "{S} had {b} {I} with {P} tea.",
    "{S} finishes off {b} {I} after dinner.": "{S} finished off {b} {I} after dinner.",
    "{S} feasts on {b} {I} at the picnic.": "{S} feasted on {b} {I} at the picnic.",
    "{S} squeezes {b} {I} to make juice.": "{S} squeezed {b} {I} to make juice.",
    "{S} bakes {b} {I} into a pie.": "{S} baked {b} {I} into a pie.",
    "{b} of {P} {I} go into the stew.": "{b} of {P} {I} went into the stew.",
    "{b} {I} end up in the soup that {S} makes for {F}.": "{b} {I} ended up in the soup that {S} made for {F}.",
    "While cooking dinner, {S} uses {b} {I} in the sauce.": "While cooking dinner, {S} used {b} {I} in the sauce.",
    "At the party, the guests eat {b} of {P} {I}.": "At the party, the guests ate {b} of {P} {I}.",
    "{S} peels and eats {b} {I}.": "{S} peeled and ate {b} {I}.",
    "{S} scrambles {b} {I} for lunch.": "{S} scrambled {b} {I} for lunch.",
    "{S} swallows {b} {I} in a hurry.": "{S} swallowed {b} {I} in a hurry.",
    "{S} goes through {b} {I} in a week.": "{S} went through {b} {I} in a week.",
    "{S} burns through {b} {I} on the camping trip.": "{S} burned through {b} {I} on the camping trip.",
    "{S} wears out {b} {I} over the winter, and they go in the bin.":
        "{S} wore out {b} {I} over the winter, and they went in the bin.",
    "{S} hammers {b} {I} into the fence.": "{S} hammered {b} {I} into the fence.",
    "{S} lights {b} {I} and lets them burn down.": "{S} lit {b} {I} and let them burn down.",
    "{S} sows {b} {I} in the vegetable patch.": "{S} sowed {b} {I} in the vegetable patch.",
    "{b} of {P} {I} get used up during the storm.": "{b} of {P} {I} got used up during the storm.",
    "{b} {I} are used up on the art project.": "{b} {I} were used up on the art project.",
    "The craft project swallows up {b} of {P} {I}.": "The craft project swallowed up {b} of {P} {I}.",
    "Finishing the model costs {O} {b} {I}.": "Finishing the model cost {O} {b} {I}.",
    "The printer jams and ruins {b} of {P} {I}.": "The printer jammed and ruined {b} of {P} {I}.",
    "On the fair rides, {S} spends {b} {I}.": "On the fair rides, {S} spent {b} {I}.",
    "{S} plays {b} {I} from {P} hand.": "{S} played {b} {I} from {P} hand.",
    "{S} mislays {b} {I} somewhere between the {L} and home and never sees them again.":
        "{S} mislaid {b} {I} somewhere between the {L} and home and never saw them again.",
    "Running for the bus, {S} spills {b} {I} out of {P} {C} and has no time to pick them up.":
        "Running for the bus, {S} spilled {b} {I} out of {P} {C} and had no time to pick them up.",
    "{b} {I} bounce out of {P} {C} as {S} cycles over the cobbles, and they are lost for good.":
        "{b} {I} bounced out of {P} {C} as {S} cycled over the cobbles, and they were lost for good.",
    "{S} knocks over {P} {C} on the pier, and {b} {I} roll off the edge into the sea.":
        "{S} knocked over {P} {C} on the pier, and {b} {I} rolled off the edge into the sea.",
    "{b} of {P} {I} slide off the deck of the ferry and sink out of sight.":
        "{b} of {P} {I} slid off the deck of the ferry and sank out of sight.",
    "On the way up the trail, {S} notices that {b} {I} have slipped through a tear in {P} {C}.":
        "On the way up the trail, {S} noticed that {b} {I} had slipped through a tear in {P} {C}.",
    "{S} gets home from the {L} to find {b} {I} missing from {P} {C}.":
        "{S} got home from the {L} to find {b} {I} missing from {P} {C}.",
    "A sudden gust lifts {b} {I} out of {P} hands and carries them over the cliff.":
        "A sudden gust lifted {b} {I} out of {P} hands and carried them over the cliff.",
    "Leaning over the rail of the bridge, {S} lets {b} {I} slip into the river below.":
        "Leaning over the rail of the bridge, {S} let {b} {I} slip into the river below.",
    "{b} {I} trickle out through a split seam in {P} {C} and are never found again.":
        "{b} {I} trickled out through a split seam in {P} {C} and were never found again.",
    "{S} tips over {P} {C} on the escalator and recovers all but {b} of the {I}.":
        "{S} tipped over {P} {C} on the escalator and recovered all but {b} of the {I}.",
    "After a long day at the {L}, {S} comes home {b} {I} short.":
        "After a long day at the {L}, {S} came home {b} {I} short.",
    "{S} leaves {b} {I} out in the rain, and they are soaked through and useless.":
        "{S} left {b} {I} out in the rain, and they were soaked through and useless.",
    "{b} of {P} {I} turn moldy in the damp cellar and end up in the bin.":
        "{b} of {P} {I} turned moldy in the damp cellar and ended up in the bin.",
    "The washing machine shreds {b} {I} that {S} left in {P} jeans.":
        "The washing machine shredded {b} {I} that {S} left in {P} jeans.",
    "{S} sits on {b} of {P} {I} by accident and flattens them beyond saving.":
        "{S} sat on {b} of {P} {I} by accident and flattened them beyond saving.",
    "The sun fades {b} of {P} {I} so badly that {S} throws them out.":
        "The sun faded {b} of {P} {I} so badly that {S} threw them out.",
    "{b} of {P} {I} get scorched in a kitchen fire and can no longer be used.":
        "{b} of {P} {I} got scorched in a kitchen fire and could no longer be used.",
    "{S} bends {b} {I} out of shape and cannot straighten them, so they go in the trash.":
        "{S} bent {b} {I} out of shape and could not straighten them, so they went in the trash.",
    "Rust eats through {b} of {P} {I}, and {S} has to get rid of them.":
        "Rust ate through {b} of {P} {I}, and {S} had to get rid of them.",
    "A leaky roof drips onto {b} of {P} {I} all winter until they are beyond saving.":
        "A leaky roof dripped onto {b} of {P} {I} all winter until they were beyond saving.",
    "{b} of {P} {I} freeze in the unheated garage and are spoiled beyond use.":
        "{b} of {P} {I} froze in the unheated garage and were spoiled beyond use.",
    "{b} of {P} {I} warp beside the heater and become useless.":
        "{b} of {P} {I} warped beside the heater and became useless.",
    "{S} spills paint over {b} of {P} {I}, which have to be thrown out.":
        "{S} spilled paint over {b} of {P} {I}, which had to be thrown out.",
    "Moths get into {P} {C} and riddle {b} of the {I} with holes, so {S} throws them out.":
        "Moths got into {P} {C} and riddled {b} of the {I} with holes, so {S} threw them out.",
    "A magpie swoops down and flies off with {b} of {P} {I}.":
        "A magpie swooped down and flew off with {b} of {P} {I}.",
    "While {S} sleeps, a raccoon raids {P} {C} and carries off {b} {I}.":
        "While {S} slept, a raccoon raided {P} {C} and carried off {b} {I}.",
    "{b} of {P} {I} are pilfered from the {L} during the night.":
        "{b} of {P} {I} were pilfered from the {L} during the night.",
    "A thief on the train makes off with {b} of {P} {I}.": "A thief on the train made off with {b} of {P} {I}.",
    "{F} nicks {b} {I} from {P} {C} while {S} is in the shower.":
        "{F} nicked {b} {I} from {P} {C} while {S} was in the shower.",
    "At the beach, seagulls carry away {b} of the {I} that {S} left on the towel.":
        "At the beach, seagulls carried away {b} of the {I} that {S} left on the towel.",
    "The puppy buries {b} of {P} {I} in the yard, and {S} never finds them.":
        "The puppy buried {b} of {P} {I} in the yard, and {S} never found them.",
    "When {P} house is burgled, {b} {I} are among the things taken.":
        "When {P} house was burgled, {b} {I} were among the things taken.",
    "Ants march off with {b} of the {I} that {S} left on the porch.":
        "Ants marched off with {b} of the {I} that {S} left on the porch.",
    "{F} walks off with {b} of {P} {I} without asking and keeps them.":
        "{F} walked off with {b} of {P} {I} without asking and kept them.",
    "A monkey at the {L} yanks {b} {I} right out of {P} hands and keeps them.":
        "A monkey at the {L} yanked {b} {I} right out of {P} hands and kept them.",
    "A fox tunnels under the fence and makes away with {b} of {P} {I}.":
        "A fox tunneled under the fence and made away with {b} of {P} {I}.",
    "{b} of {P} {I} are nabbed by {F} the moment {S} turns away.":
        "{b} of {P} {I} were nabbed by {F} the moment {S} turned away.",
    "The cat bats {b} of {P} {I} under the fridge, where they can never be reached.":
        "The cat batted {b} of {P} {I} under the fridge, where they could never be reached.",
    "Crows peck open {P} {C} and fly away with {b} {I}.": "Crows pecked open {P} {C} and flew away with {b} {I}.",
    "The hens peck {b} of {P} {I} to pieces in the barnyard.":
        "The hens pecked {b} of {P} {I} to pieces in the barnyard.",
    "{S} fills the bird feeder with {b} of {P} {I}.": "{S} filled the bird feeder with {b} of {P} {I}.",
    "{S} scatters {b} {I} across the yard for the chickens, who eat them all.":
        "{S} scattered {b} {I} across the yard for the chickens, who ate them all.",
    "Slugs chew holes in {b} of {P} {I}, and {S} has to throw them on the compost.":
        "Slugs chewed holes in {b} of {P} {I}, and {S} had to throw them on the compost.",
    "The cows trample {b} of the {I} that {S} left in the field, flattening them into the mud.":
        "The cows trampled {b} of the {I} that {S} left in the field, flattening them into the mud.",
    "{S} swaps {b} {I} for a sack of seeds at the farmers market.":
        "{S} swapped {b} {I} for a sack of seeds at the farmers market.",
    "The farmhand is paid {b} of {P} {I} for a day of weeding.":
        "The farmhand was paid {b} of {P} {I} for a day of weeding.",
    "Deer slip into the orchard at night and munch through {b} of {P} {I}.":
        "Deer slipped into the orchard at night and munched through {b} of {P} {I}.",
    "{S} sets out {b} {I} at the farm stand, and customers buy them all by noon.":
        "{S} set out {b} {I} at the farm stand, and customers bought them all by noon.",
    "A rabbit nibbles its way through {b} of {P} {I}.": "A rabbit nibbled its way through {b} of {P} {I}.",
    "To pay the vet for the sick calf, {S} parts with {b} {I}.":
        "To pay the vet for the sick calf, {S} parted with {b} {I}.",
    "{S} digs {b} of {P} {I} into the soil as fertilizer.": "{S} dug {b} of {P} {I} into the soil as fertilizer.",
    "Weevils infest {b} of {P} {I} in the grain store, and they must be thrown out.":
        "Weevils infested {b} of {P} {I} in the grain store, and they had to be thrown out.",
    "{S} wagers {b} {I} on the horse race and loses the wager.":
        "{S} wagered {b} {I} on the horse race and lost the wager.",
    "To enter the tournament, {S} hands the organizer {b} {I} as an entry fee.":
        "To enter the tournament, {S} handed the organizer {b} {I} as an entry fee.",
    "During practice, {S} kicks {b} {I} over the fence and cannot get them back.":
        "During practice, {S} kicked {b} {I} over the fence and could not get them back.",
    "After a wild game of catch, {b} of {P} {I} are stuck on the gym roof for good.":
        "After a wild game of catch, {b} of {P} {I} were stuck on the gym roof for good.",
    "{S} goes all in with {b} {I} at the poker table and loses them to {F}.":
        "{S} went all in with {b} {I} at the poker table and lost them to {F}.",
    "{S} skims {b} {I} across the pond, and they all sink to the bottom.":
        "{S} skimmed {b} {I} across the pond, and they all sank to the bottom.",
    "The referee fines {O} {b} {I} for a foul.": "The referee fined {O} {b} {I} for a foul.",
    "With a badly aimed shot, {S} knocks {b} {I} into the river, and the current carries them off.":
        "With a badly aimed shot, {S} knocked {b} {I} into the river, and the current carried them off.",
    "{S} pays out {b} {I} to {F} after losing a bet on the match.":
        "{S} paid out {b} {I} to {F} after losing a bet on the match.",
    "{S} is down {b} {I} after a bad afternoon of cards.": "{S} was down {b} {I} after a bad afternoon of cards.",
    "In a tense game of marbles, {F} knocks {b} of {P} {I} out of the ring and keeps them.":
        "In a tense game of marbles, {F} knocked {b} of {P} {I} out of the ring and kept them.",
    "At airport security, {b} of {P} {I} are taken away because they are not allowed on the plane.":
        "At airport security, {b} of {P} {I} were taken away because they were not allowed on the plane.",
    "When checking out of the hotel, {S} leaves {b} {I} in the room and never gets them back.":
        "When checking out of the hotel, {S} left {b} {I} in the room and never got them back.",
    "The airline loses the suitcase that holds {b} of {P} {I}.":
        "The airline lost the suitcase that held {b} of {P} {I}.",
    "The ferry ride to the island costs {O} {b} {I}.": "The ferry ride to the island cost {O} {b} {I}.",
    "To lighten {P} backpack before the climb, {S} unloads {b} {I} at the hut for good.":
        "To lighten {P} backpack before the climb, {S} unloaded {b} {I} at the hut for good.",
    "Customs officers seize {b} of {P} {I} at the border.": "Customs officers seized {b} of {P} {I} at the border.",
    "{S} exchanges {b} {I} for local coins at the station.": "{S} exchanged {b} {I} for local coins at the station.",
    "During the flight, {S} offers {b} {I} to the passenger in the next seat, who keeps them.":
        "During the flight, {S} offered {b} {I} to the passenger in the next seat, who kept them.",
    "{S} tips the porter {b} {I} for carrying the bags.": "{S} tipped the porter {b} {I} for carrying the bags.",
    "{b} {I} fall through a crack in the station platform and onto the tracks, gone for good.":
        "{b} {I} fell through a crack in the station platform and onto the tracks, gone for good.",
    "A cart overturns on the mountain road, and {b} of {P} {I} tumble down the slope and are lost.":
        "A cart overturned on the mountain road, and {b} of {P} {I} tumbled down the slope and were lost.",
    "A toll of {b} {I} is charged to {O} at the bridge.": "A toll of {b} {I} was charged to {O} at the bridge.",
    "On the road trip, {S} pays for a tank of fuel with {b} of {P} {I}.":
        "On the road trip, {S} paid for a tank of fuel with {b} of {P} {I}.",
    "{b} of {P} {I} go into building the treehouse.": "{b} of {P} {I} went into building the treehouse.",
    "{S} goes through {b} {I} while patching the hole in the kitchen wall.":
        "{S} went through {b} {I} while patching the hole in the kitchen wall.",
    "The plumber charges {O} {b} {I} for fixing the sink.": "The plumber charged {O} {b} {I} for fixing the sink.",
    "{S} settles the mechanic's bill with {b} {I}.": "{S} settled the mechanic's bill with {b} {I}.",
    "{b} of {P} {I} are built into the new garden wall.": "{b} of {P} {I} were built into the new garden wall.",
    "{S} takes apart {b} {I} for spare parts to repair an old radio.":
        "{S} took apart {b} {I} for spare parts to repair an old radio.",
    "While building the bookshelf, {S} splits {b} {I} with the drill and throws them out.":
        "While building the bookshelf, {S} split {b} {I} with the drill and threw them out.",
    "It takes {b} {I} from {P} {C} to finish the fence.": "It took {b} {I} from {P} {C} to finish the fence.",
    "Rebuilding the chimney eats up {b} of {P} {I}.": "Rebuilding the chimney ate up {b} of {P} {I}.",
    "To pay the roofer, {S} counts out {b} {I} from {P} {C} and hands them across.":
        "To pay the roofer, {S} counted out {b} {I} from {P} {C} and handed them across.",
    "At the party, the kids help themselves to {b} of {P} {I}.":
        "At the party, the kids helped themselves to {b} of {P} {I}.",
    "{P} little brother sneaks off with {b} {I} while {S} is not watching.":
        "{P} little brother sneaked off with {b} {I} while {S} was not watching.",
    "The guests polish off {b} of {P} {I} before the cake is cut.":
        "The guests polished off {b} of {P} {I} before the cake was cut.",
    "{S} divides {b} of {P} {I} among {P} nieces and nephews.":
        "{S} divided {b} of {P} {I} among {P} nieces and nephews.",
    "Mom asks {O} for {b} {I} for the bake sale, and {S} lets her have them.":
        "Mom asked {O} for {b} {I} for the bake sale, and {S} let her have them.",
    "{b} of {P} {I} go home with the party guests as favors.":
        "{b} of {P} {I} went home with the party guests as favors.",
    "{P} cousins share out {b} of {P} {I} among themselves and keep them.":
        "{P} cousins shared out {b} of {P} {I} among themselves and kept them.",
    "{S} chips in {b} {I} toward the family reunion.": "{S} chipped in {b} {I} toward the family reunion.",
    "As a wedding gift for {F}, {S} wraps up {b} of {P} {I}.":
        "As a wedding gift for {F}, {S} wrapped up {b} of {P} {I}.",
    "Dad takes {b} of {P} {I} to the office and does not bring them back.":
        "Dad took {b} of {P} {I} to the office and did not bring them back.",
    "When {F} moves away, {S} sends {F} off with {b} {I} as a keepsake.":
        "When {F} moved away, {S} sent {F} off with {b} {I} as a keepsake.",
    "{S} clears out {b} old {I} from the attic and takes them to the tip.":
        "{S} cleared out {b} old {I} from the attic and took them to the tip.",
    "{S} puts {b} {I} out with the rubbish on Tuesday night.": "{S} put {b} {I} out with the rubbish on Tuesday night.",
    "{S} carts {b} {I} off to the recycling center.": "{S} carted {b} {I} off to the recycling center.",
    "{S} weeds out {b} {I} that are past their best and bins them.":
        "{S} weeded out {b} {I} that were past their best and binned them.",
    "Spring cleaning ends with {b} of {P} {I} in the garbage.":
        "Spring cleaning ended with {b} of {P} {I} in the garbage.",
    "{S} scraps {b} {I} that no longer work.": "{S} scrapped {b} {I} that no longer worked.",
    "{S} sorts through {P} {C} and keeps all but {b} of the {I}, which go in the bin.":
        "{S} sorted through {P} {C} and kept all but {b} of the {I}, which went in the bin.",
    "{S} clears {b} {I} off the shelf and into a charity box.":
        "{S} cleared {b} {I} off the shelf and into a charity box.",
    "The garbage truck takes away {b} {I} that {S} put on the curb.":
        "The garbage truck took away {b} {I} that {S} put on the curb.",
    "{S} feeds {b} {I} into the shredder.": "{S} fed {b} {I} into the shredder.",
    "{S} composts {b} of {P} {I}.": "{S} composted {b} of {P} {I}.",
    "{S} has {b} {I} melted down at the scrapyard.": "{S} had {b} {I} melted down at the scrapyard.",
    "Because {P} {C} is too full to close, {S} puts {b} {I} in the recycling.":
        "Because {P} {C} was too full to close, {S} put {b} {I} in the recycling.",
    "{S} finally parts ways with {b} {I} that have sat unused for years.":
        "{S} finally parted ways with {b} {I} that had sat unused for years.",
    "{S} takes {b} {I} to the thrift store and leaves them there.":
        "{S} took {b} {I} to the thrift store and left them there.",
    "{S} puts {b} of {P} {I} into {F}'s {C}.": "{S} put {b} of {P} {I} into {F}'s {C}.",
    "{S} tips {b} {I} out of {P} own bag into the shared {C}.":
        "{S} tipped {b} {I} out of {P} own bag into the shared {C}.",
    "{S} slides {b} {I} across the desk from {P} {C} to {F}'s side.":
        "{S} slid {b} {I} across the desk from {P} {C} to {F}'s side.",
    "{S} pours {b} {I} from {P} own jar into the office {C} for the whole team.":
        "{S} poured {b} {I} from {P} own jar into the office {C} for the whole team.",
    "{S} stashes {b} of {P} {I} in {F}'s locker as a surprise gift.":
        "{S} stashed {b} of {P} {I} in {F}'s locker as a surprise gift.",
    "{S} tucks {b} of {P} {I} into {F}'s {C} as a present.": "{S} tucked {b} of {P} {I} into {F}'s {C} as a present.",
    "{S} stuffs {b} {I} from {P} own backpack into the free bin at the {L}.":
        "{S} stuffed {b} {I} from {P} own backpack into the free bin at the {L}.",
    "{S} crams {b} {I} from {P} own suitcase into {F}'s suitcase for the trip home.":
        "{S} crammed {b} {I} from {P} own suitcase into {F}'s suitcase for the trip home.",
    "{S} squeezes {b} {I} out of {P} {C} into {F}'s bag.": "{S} squeezed {b} {I} out of {P} {C} into {F}'s bag.",
    "{S} shakes {b} {I} out of {P} own tin into {F}'s hand.": "{S} shook {b} {I} out of {P} own tin into {F}'s hand.",
    "{S} fishes {b} {I} out of {P} own bag and into the lucky dip for the other children.":
        "{S} fished {b} {I} out of {P} own bag and into the lucky dip for the other children.",
    "{S} pops {b} {I} from {P} own bag into the jar on {F}'s counter.":
        "{S} popped {b} {I} from {P} own bag into the jar on {F}'s counter.",
    "{S} rakes {b} {I} from {P} own pile into the bowl in the middle.":
        "{S} raked {b} {I} from {P} own pile into the bowl in the middle.",
    "{S} sweeps {b} {I} out of {P} own {C} onto {F}'s side of the table.":
        "{S} swept {b} {I} out of {P} own {C} onto {F}'s side of the table.",
    "{S} lifts {b} {I} off {P} own pile and onto {F}'s pile.":
        "{S} lifted {b} {I} off {P} own pile and onto {F}'s pile.",
    "{S} stacks {b} {I} from {P} own shelf on the free shelf at the {L} for others.":
        "{S} stacked {b} {I} from {P} own shelf on the free shelf at the {L} for others.",
    "{S} shelves {b} of {P} {I} on the bookcase in the village hall for the public to use.":
        "{S} shelved {b} of {P} {I} on the bookcase in the village hall for the public to use.",
    "{S} sets {b} {I} from {P} own plate onto {F}'s plate.": "{S} set {b} {I} from {P} own plate onto {F}'s plate.",
    "{S} heaps {b} {I} from {P} own plate back onto the serving dish for the others.":
        "{S} heaped {b} {I} from {P} own plate back onto the serving dish for the others.",
    "{S} takes {b} {I} down from {P} own hooks and hangs them on {F}'s hooks.":
        "{S} took {b} {I} down from {P} own hooks and hung them on {F}'s hooks.",
    "{S} places {b} {I} from {P} own desk on the prize table for the winners.":
        "{S} placed {b} {I} from {P} own desk on the prize table for the winners.",
    "{S} lays {b} {I} from {P} own basket on the market table for the buyers.":
        "{S} laid {b} {I} from {P} own basket on the market table for the buyers.",
    "{S} lines {F}'s shelves with {b} {I} from {P} own shop.":
        "{S} lined {F}'s shelves with {b} {I} from {P} own shop.",
    "{S} takes {b} {I} from {P} own shelf over to {F}'s shelf.":
        "{S} took {b} {I} from {P} own shelf over to {F}'s shelf.",
    "{S} loads {b} {I} from {P} car into the charity van at the {L}.":
        "{S} loaded {b} {I} from {P} car into the charity van at the {L}.",
    "{S} unloads {b} {I} from {P} own car into {F}'s garage.":
        "{S} unloaded {b} {I} from {P} own car into {F}'s garage.",
    "{S} carries {b} {I} down from {P} flat out to the rubbish bins.":
        "{S} carried {b} {I} down from {P} flat out to the rubbish bins.",
    "{S} wheels {b} {I} in a trolley from {P} own storeroom to the recycling point.":
        "{S} wheeled {b} {I} in a trolley from {P} own storeroom to the recycling point.",
    "{S} ferries {b} {I} from {P} own boat over to {F}'s boat.":
        "{S} ferried {b} {I} from {P} own boat over to {F}'s boat.",
    "{S} carts {b} {I} out of {P} barn to the farm sale to sell.":
        "{S} carted {b} {I} out of {P} barn to the farm sale to sell.",
    "{S} lugs {b} {I} down the stairs from {P} own desk to the post room to send away.":
        "{S} lugged {b} {I} down the stairs from {P} own desk to the post room to send away.",
    "{S} hoists {b} {I} from {P} own boat onto the quay for the buyers.":
        "{S} hoisted {b} {I} from {P} own boat onto the quay for the buyers.",
    "{S} bundles {b} {I} from {P} car into the bins at the tip.":
        "{S} bundled {b} {I} from {P} car into the bins at the tip.",
    "{S} drives {b} {I} from {P} own shop to {F}'s warehouse across the country.":
        "{S} drove {b} {I} from {P} own shop to {F}'s warehouse across the country.",
    "{S} hauls {b} {I} over the fence from {P} own yard into {F}'s yard.":
        "{S} hauled {b} {I} over the fence from {P} own yard into {F}'s yard.",
    "{S} arranges {b} {I} from {P} own garden along the kerb under a free sign.":
        "{S} arranged {b} {I} from {P} own garden along the kerb under a free sign.",
    "{S} rolls {b} {I} across the lawn from {P} own shed into {F}'s shed.":
        "{S} rolled {b} {I} across the lawn from {P} own shed into {F}'s shed.",
    "{S} drags {b} {I} out of {P} workshop and into the skip.":
        "{S} dragged {b} {I} out of {P} workshop and into the skip.",
    "{S} shovels {b} {I} from {P} own wheelbarrow onto the heap at the {L}.":
        "{S} shovelled {b} {I} from {P} own wheelbarrow onto the heap at the {L}.",
    "{S} brings {b} {I} out of {P} room and leaves them in the hall for the family.":
        "{S} brought {b} {I} out of {P} room and left them in the hall for the family.",
    "{S} carries {b} {I} out of the house and hands them over the gate to {F}.":
        "{S} carried {b} {I} out of the house and handed them over the gate to {F}.",
    "{S} moves {b} {I} out of {P} own bedroom into {F}'s room for good.":
        "{S} moved {b} {I} out of {P} own bedroom into {F}'s room for good.",
    "{S} shifts {b} {I} from {P} own study into the common room cupboard.":
        "{S} shifted {b} {I} from {P} own study into the common room cupboard.",
    "{S} sneaks {b} {I} from {P} own room into {F}'s room.": "{S} sneaked {b} {I} from {P} own room into {F}'s room.",
    "{S} brings {b} {I} up from {P} own spare room into {F}'s attic.":
        "{S} brought {b} {I} up from {P} own spare room into {F}'s attic.",
    "{S} hides {b} {I} from {P} own drawer in {F}'s room as a surprise.":
        "{S} hid {b} {I} from {P} own drawer in {F}'s room as a surprise.",
    "{S} walks over to {F}'s house with {b} {I} from {P} shelves and leaves them there.":
        "{S} walked over to {F}'s house with {b} {I} from {P} shelves and left them there.",
    "{S} moves {b} {I} out of {P} collection onto the swap table.":
        "{S} moved {b} {I} out of {P} collection onto the swap table.",
    "{S} files {b} {I} from {P} own album into the club's sale box.":
        "{S} filed {b} {I} from {P} own album into the club's sale box.",
    "{S} slots {b} {I} from {P} spares into the gaps in {F}'s collection.":
        "{S} slotted {b} {I} from {P} spares into the gaps in {F}'s collection.",
    "{S} pins {b} {I} from {P} own board to the public board at the {L} for others to take.":
        "{S} pinned {b} {I} from {P} own board to the public board at the {L} for others to take.",
    "{S} boxes up {b} {I} from {P} own shelves for the auction.":
        "{S} boxed up {b} {I} from {P} own shelves for the auction.",
    "{S} bags {b} {I} from {P} own {C} for the jumble sale.":
        "{S} bagged {b} {I} from {P} own {C} for the jumble sale.",
    "{S} clears out {b} {I} from {P} {C} for the charity shop.":
        "{S} cleared out {b} {I} from {P} {C} for the charity shop.",
    "{S} puts out {b} {I} from {P} {C} on the doorstep for {F} to take.":
        "{S} put out {b} {I} from {P} {C} on the doorstep for {F} to take.",
    "{S} empties {b} {I} out of {P} {C} into the recycling bin.":
        "{S} emptied {b} {I} out of {P} {C} into the recycling bin.",
    "{S} thins out {P} {C} by {b} {I}, giving them to {F}.": "{S} thinned out {P} {C} by {b} {I}, giving them to {F}.",
    "{S} packs {b} {I} off to {F} in the post.": "{S} packed {b} {I} off to {F} in the post.",
    "{S} hands out {b} {I} from {P} {C} at the door.": "{S} handed out {b} {I} from {P} {C} at the door.",
    "{S} has {b} {I} sent from {P} house to the {L}.": "{S} had {b} {I} sent from {P} house to the {L}.",
    "{S} posts {b} {I} from home to {F}'s address.": "{S} posted {b} {I} from home to {F}'s address.",
    "{S} sends {b} {I} from {P} {C} to {F} overseas.": "{S} sent {b} {I} from {P} {C} to {F} overseas.",
    "{S} takes {b} {I} from home to {F}'s house and leaves them there.":
        "{S} took {b} {I} from home to {F}'s house and left them there.",
    "{S} hands {b} {I} in to the lost property office from {P} {C}.":
        "{S} handed {b} {I} in to the lost property office from {P} {C}.",
    "{S} pulls {b} {I} out of {P} {C} and into the recycling bin.":
        "{S} pulled {b} {I} out of {P} {C} and into the recycling bin.",
    "{S} sorts {b} {I} from {P} keep box into the charity pile.":
        "{S} sorted {b} {I} from {P} keep box into the charity pile.",
    "{S} picks out {b} {I} from {P} {C} and takes them to the free bin.":
        "{S} picked out {b} {I} from {P} {C} and took them to the free bin.",
    "{S} tips {b} {I} from {P} {C} into the bargain bin at {F}'s shop.":
        "{S} tipped {b} {I} from {P} {C} into the bargain bin at {F}'s shop.",
    "{S} stores {b} {I} from {P} own pantry in the food bank's pantry.":
        "{S} stored {b} {I} from {P} own pantry in the food bank's pantry.",
    "{S} stocks {F}'s stall with {b} {I} from {P} own stall.":
        "{S} stocked {F}'s stall with {b} {I} from {P} own stall.",
    "{S} fills the sack at the {L} with {b} {I} from {P} own {C}.":
        "{S} filled the sack at the {L} with {b} {I} from {P} own {C}.",
    "{S} slips {b} {I} from {P} own purse onto the giveaway table.":
        "{S} slipped {b} {I} from {P} own purse onto the giveaway table.",
    "{S} locks {b} {I} from {P} own cabinet away in the school's prize cupboard.":
        "{S} locked {b} {I} from {P} own cabinet away in the school's prize cupboard.",
    "{S} passes {b} {I} through the window from {P} {C} to {F}.":
        "{S} passed {b} {I} through the window from {P} {C} to {F}.",
    "{S} leaves {b} {I} from {P} {C} behind at the {L} for good.":
        "{S} left {b} {I} from {P} {C} behind at the {L} for good.",
    "{S} hands {b} {I} to {F} across the counter.": "{S} handed {b} {I} to {F} across the counter.",
    "At the door, {b} of {P} {I} are handed over to {F}.": "At the door, {b} of {P} {I} were handed over to {F}.",
    "{S} passes {F} {b} {I} under the desk.": "{S} passed {F} {b} {I} under the desk.",
    "During assembly, {b} of {P} {I} are passed along the row to {F}.":
        "During assembly, {b} of {P} {I} were passed along the row to {F}.",
    "{S} gives {F} {b} {I} as a thank-you.": "{S} gave {F} {b} {I} as a thank-you.",
    "{F} is given {b} of {P} {I} after practice.": "{F} was given {b} of {P} {I} after practice.",
    "{S} slips {F} {b} {I} when nobody is looking.": "{S} slipped {F} {b} {I} when nobody was looking.",
    "Under the table, {S} sneaks {b} {I} to {F}.": "Under the table, {S} sneaked {b} {I} to {F}.",
    "{S} turns over {b} {I} to {F} at the end of the shift.": "{S} turned over {b} {I} to {F} at the end of the shift.",
    "With a smile, {S} presents {F} with {b} {I}.": "With a smile, {S} presented {F} with {b} {I}.",
    "{S} offers {F} {b} {I}, and {F} happily accepts them.": "{S} offered {F} {b} {I}, and {F} happily accepted them.",
    "{S} holds out {b} {I} and lets {P} neighbour take them.": "{S} held out {b} {I} and let {P} neighbour take them.",
    "{S} sends {b} {I} to {F} by post.": "{S} sent {b} {I} to {F} by post.",
    "Every month, {S} sends {P} aunt {b} {I}.": "Every month, {S} sent {P} aunt {b} {I}.",
    "{S} posts {b} {I} through {F}'s letterbox.": "{S} posted {b} {I} through {F}'s letterbox.",
    "At noon, {S} delivers {b} {I} to {F}.": "At noon, {S} delivered {b} {I} to {F}.",
    "{b} {I} are delivered from {P} house to the shop.": "{b} {I} were delivered from {P} house to the shop.",
    "{S} forwards {b} {I} to {F} the next day.": "{S} forwarded {b} {I} to {F} the next day.",
    "{S} couriers {b} {I} over to {F}.": "{S} couriered {b} {I} over to {F}.",
    "{S} ferries {b} {I} across the river to {F}.": "{S} ferried {b} {I} across the river to {F}.",
    "{S} brings {b} {I} round and lets {F} keep them.": "{S} brought {b} {I} round and let {F} keep them.",
    "{S} carries {b} {I} across the yard for {F} to keep.": "{S} carried {b} {I} across the yard for {F} to keep.",
    "{S} throws {b} {I} over the fence to {F}.": "{S} threw {b} {I} over the fence to {F}.",
    "{F} catches {b} {I} that {S} throws over.": "{F} caught {b} {I} that {S} threw over.",
    "{S} rolls {b} {I} across the floor to {F}.": "{S} rolled {b} {I} across the floor to {F}.",
    "{S} pushes {b} {I} across the table for {F} to keep.": "{S} pushed {b} {I} across the table for {F} to keep.",
    "From the balcony, {S} lobs {b} {I} down to {F}.": "From the balcony, {S} lobbed {b} {I} down to {F}.",
    "{S} chucks {b} {I} over to {F}.": "{S} chucked {b} {I} over to {F}.",
    "From the window, {S} lowers {b} {I} in a {C} down to {F}.":
        "From the window, {S} lowered {b} {I} in a {C} down to {F}.",
    "{S} hoists {b} {I} up to {F} on the roof.": "{S} hoisted {b} {I} up to {F} on the roof.",
    "{S} flings {b} {I} across the room to {F}.": "{S} flung {b} {I} across the room to {F}.",
    "{S} puts {b} {I} in {F}'s {C}.": "{S} put {b} {I} in {F}'s {C}.",
    "{S} presses {b} {I} into {F}'s palm.": "{S} pressed {b} {I} into {F}'s palm.",
    "{S} places {b} {I} into {F}'s hands.": "{S} placed {b} {I} into {F}'s hands.",
    "{S} stuffs {b} {I} into {F}'s backpack as a surprise.": "{S} stuffed {b} {I} into {F}'s backpack as a surprise.",
    "{S} packs {b} {I} into {F}'s {C} for the journey.": "{S} packed {b} {I} into {F}'s {C} for the journey.",
    "{S} loads {b} {I} onto {F}'s cart.": "{S} loaded {b} {I} onto {F}'s cart.",
    "{F} takes {b} {I} off {P} hands.": "{F} took {b} {I} off {P} hands.",
    "{F} accepts {b} {I} from {O}.": "{F} accepted {b} {I} from {O}.",
    "{F} receives {b} {I} from {O} in the post.": "{F} received {b} {I} from {O} in the post.",
    "{F} collects {b} {I} from {P} house.": "{F} collected {b} {I} from {P} house.",
    "{F} gets {b} {I} from {O} at lunch.": "{F} got {b} {I} from {O} at lunch.",
    "While nobody watches, {F} pinches {b} of {P} {I}.": "While nobody watched, {F} pinched {b} of {P} {I}.",
    "{S} lends {F} {b} {I} for the weekend.": "{S} lent {F} {b} {I} for the weekend.",
    "{b} of {P} {I} are lent to the club for the season.": "{b} of {P} {I} were lent to the club for the season.",
    "{S} returns {b} {I} to {F} after the trip.": "{S} returned {b} {I} to {F} after the trip.",
    "{b} of {P} {I} are returned to {F} by the lost-property office.":
        "{b} of {P} {I} were returned to {F} by the lost-property office.",
    "{S} repays {F} the {b} {I} from last month.": "{S} repaid {F} the {b} {I} from last month.",
    "{S} owes {F} {b} {I} and settles up today.": "{S} owed {F} {b} {I} and settled up today.",
    "{S} loans {b} {I} to the library for a month.": "{S} loaned {b} {I} to the library for a month.",
    "{S} rents out {b} {I} to {F} for the week.": "{S} rented out {b} {I} to {F} for the week.",
    "{S} sells {b} {I} to {F} at a fair price.": "{S} sold {b} {I} to {F} at a fair price.",
    "At the market, {S} sells the stallholder {b} {I}.": "At the market, {S} sold the stallholder {b} {I}.",
    "At the car boot sale, {F} buys {b} {I} from {O}.": "At the car boot sale, {F} bought {b} {I} from {O}.",
    "{S} pays {F} {b} {I} for the old bike.": "{S} paid {F} {b} {I} for the old bike.",
    "{S} pays the neighbour {b} {I} for walking the dog.": "{S} paid the neighbour {b} {I} for walking the dog.",
    "After the meal, {S} tips the waiter {b} {I}.": "After the meal, {S} tipped the waiter {b} {I}.",
    "At the fair, {S} auctions {b} {I} off to {F}.": "At the fair, {S} auctioned {b} {I} off to {F}.",
    "{S} swaps {F} {b} {I} for a sticker.": "{S} swapped {F} {b} {I} for a sticker.",
    "When {S} shares out {P} {I}, {b} of them go to {F}.": "When {S} shared out {P} {I}, {b} of them went to {F}.",
    "{S} deals {b} {I} to {F} from {P} pile.": "{S} dealt {b} {I} to {F} from {P} pile.",
    "{S} doles out {b} {I} to {F}.": "{S} doled out {b} {I} to {F}.",
    "At dinner, {S} moves {b} {I} from {P} plate onto {F}'s plate.":
        "At dinner, {S} moved {b} {I} from {P} plate onto {F}'s plate.",
    "When {S} distributes {P} {I}, {F} gets {b} of them.": "When {S} distributed {P} {I}, {F} got {b} of them.",
    "{S} allots {b} of {P} {I} to {F}.": "{S} allotted {b} of {P} {I} to {F}.",
    "{S} counts out {b} {I} for {F} to keep.": "{S} counted out {b} {I} for {F} to keep.",
    "{S} grants {F} {b} of {P} {I} for the project.": "{S} granted {F} {b} of {P} {I} for the project.",
    "{S} gifts {b} {I} to {F} for the holidays.": "{S} gifted {b} {I} to {F} for the holidays.",
    "{S} rewards {F} with {b} {I} for the help.": "{S} rewarded {F} with {b} {I} for the help.",
    "As a prize, {S} awards {F} {b} of {P} {I}.": "As a prize, {S} awarded {F} {b} of {P} {I}.",
    "When moving abroad, {S} leaves {P} uncle {b} {I}.": "When moving abroad, {S} left {P} uncle {b} {I}.",
    "{S} leaves {b} {I} at the front desk for {F} to collect.":
        "{S} left {b} {I} at the front desk for {F} to collect.",
    "{S} spares {F} {b} {I} from a private supply.": "{S} spared {F} {b} {I} from a private supply.",
    "{S} contributes {b} {I} to {F}'s collection.": "{S} contributed {b} {I} to {F}'s collection.",
    "For the trip, {S} supplies {F} with {b} {I}.": "For the trip, {S} supplied {F} with {b} {I}.",
    "{S} signs over {b} {I} to {F}.": "{S} signed over {b} {I} to {F}.",
    "{F} wins {b} of {P} {I} at cards.": "{F} won {b} of {P} {I} at cards.",
    "{S} loses {b} {I} to {F} in a bet.": "{S} lost {b} {I} to {F} in a bet.",
    "In the final round, {b} of {P} {I} are won by {F}.": "In the final round, {b} of {P} {I} were won by {F}.",
    "{S} forfeits {b} {I} to {F} after the match.": "{S} forfeited {b} {I} to {F} after the match.",
    "{S} lends {b} {I} to {F}, who never gives them back.": "{S} lent {b} {I} to {F}, who never gave them back.",
    "{S} lends {F} {b} {I}, and {F} fails to return them.": "{S} lent {F} {b} {I}, and {F} failed to return them.",
    "{S} loans {F} {b} {I} and never asks for them back.": "{S} loaned {F} {b} {I} and never asked for them back.",
    "{S} returns the {b} {I} that {F} had lent {O} last month.":
        "{S} returned the {b} {I} that {F} had lent {O} last month.",
    "{S} hands {b} {I} to {F} to hold and never gets them back.":
        "{S} handed {b} {I} to {F} to hold and never got them back.",
    "{S} gives {P} mother {b} {I} to keep safe and never asks for them back.":
        "{S} gave {P} mother {b} {I} to keep safe and never asked for them back.",
    "{S} leaves {b} {I} at {F}'s house and never goes back for them.":
        "{S} left {b} {I} at {F}'s house and never went back for them.",
    "{S} leaves {b} {I} with {F} for good.": "{S} left {b} {I} with {F} for good.",
    "{S} no longer has {b} {I} that {F} now needs.": "{S} no longer had {b} {I} that {F} now needed.",
    "{S} no longer wants {b} {I} and gives them to {F}.": "{S} no longer wanted {b} {I} and gave them to {F}.",
    "{F} takes {b} of {P} {I} for the weekend and does not give them back.":
        "{F} took {b} of {P} {I} for the weekend and did not give them back.",
    "{S} gives {b} {I} to {F} and does not get them back.": "{S} gave {b} {I} to {F} and did not get them back.",
    "{S} walks out of the {L} without {b} of {P} {I}.": "{S} walked out of the {L} without {b} of {P} {I}.",
    "{S} gets home without {b} of the {I} that were in {P} {C}.":
        "{S} got home without {b} of the {I} that were in {P} {C}.",
    "{S} lets go of {b} {I} and never sees them again.": "{S} let go of {b} {I} and never saw them again.",
    "{S} passes {b} {I} on to {F} instead of keeping them.": "{S} passed {b} {I} on to {F} instead of keeping them.",
    "{S} sells {b} {I} at the {L} and buys none back.": "{S} sold {b} {I} at the {L} and bought none back.",
    "Without asking, {F} takes {b} {I} out of {P} {C}.": "Without asking, {F} took {b} {I} out of {P} {C}.",
    "{S} loses {b} {I} to {F} and never wins them back.": "{S} lost {b} {I} to {F} and never won them back.",
    "{S} hands {F} {b} {I} that {P} family no longer needs.":
        "{S} handed {F} {b} {I} that {P} family no longer needed.",
    "The {b} {I} in {P} {C} go missing and never turn up again.":
        "The {b} {I} in {P} {C} went missing and never turned up again.",
    "{S} loses {b} {I} under the sofa and never finds them.": "{S} lost {b} {I} under the sofa and never found them.",
    "{S} leaves {b} {I} on the bus, and nobody hands them back.":
        "{S} left {b} {I} on the bus, and nobody handed them back.",
    "{S} hands {b} {I} in to the lost and found.": "{S} handed {b} {I} in to the lost and found.",
    "The dog runs off with {b} of {P} {I} and never brings them back.":
        "The dog ran off with {b} of {P} {I} and never brought them back.",
    "The wind blows {b} of {P} {I} away, and {S} never finds them.":
        "The wind blew {b} of {P} {I} away, and {S} never found them.",
    "{S} throws {b} {I} over the fence, and {P} neighbour keeps them.":
        "{S} threw {b} {I} over the fence, and {P} neighbour kept them.",
    "{S} leaves {b} {I} in the cloakroom and never collects them.":
        "{S} left {b} {I} in the cloakroom and never collected them.",
    "{S} leaves {b} {I} at the repair shop and never picks them up.":
        "{S} left {b} {I} at the repair shop and never picked them up.",
    "{S} sends {b} {I} off to be fixed, and they never come back.":
        "{S} sent {b} {I} off to be fixed, and they never came back.",
    "{P} sister takes {b} {I} from {O} and never returns them.":
        "{P} sister took {b} {I} from {O} and never returned them.",
    "The teacher takes {b} {I} away from {S} and keeps them.": "The teacher took {b} {I} away from {S} and kept them.",
    "{S} sends {F} {b} {I}, and they arrive safely.": "{S} sent {F} {b} {I}, and they arrived safely.",
    "{S} packs {b} {I} into a parcel for {F} and sends it off.":
        "{S} packed {b} {I} into a parcel for {F} and sent it off.",
    "{S} posts {b} {I} to {F} by mistake and never gets them back.":
        "{S} posted {b} {I} to {F} by mistake and never got them back.",
    "The delivery driver takes {b} {I} from {S} at the door to send to {F}.":
        "The delivery driver took {b} {I} from {S} at the door to send to {F}.",
    "{S} puts {b} {I} in the post to {F}, and they arrive on time.":
        "{S} put {b} {I} in the post to {F}, and they arrived on time.",
    "Somebody takes {b} {I} out of {P} {C}, and nobody puts them back.":
        "Somebody took {b} {I} out of {P} {C}, and nobody put them back.",
    "{P} little brother sneaks {b} {I} out of {P} {C} and never returns them.":
        "{P} little brother sneaked {b} {I} out of {P} {C} and never returned them.",
    "{S} uses up {b} {I} from {P} {C} and does not restock it.":
        "{S} used up {b} {I} from {P} {C} and did not restock it.",
    "{F} takes {b} {I} from {P} {C} and puts them in {F}'s own {C}.":
        "{F} took {b} {I} from {P} {C} and put them in {F}'s own {C}.",
    "{S} promised {F} {b} {I} and keeps that promise.": "{S} promised {F} {b} {I} and kept that promise.",
    "As promised, {S} hands {F} {b} {I}.": "As promised, {S} handed {F} {b} {I}.",
    "{F} goes back on a deal and takes {b} {I} back from {O}.":
        "{F} went back on a deal and took {b} {I} back from {O}.",
    "{S} keeps a promise made to {F} and brings {F} {b} {I}.":
        "{S} kept a promise made to {F} and brought {F} {b} {I}.",
    "{S} pays {F} back with {b} {I}.": "{S} paid {F} back with {b} {I}.",
    "{S} repays a debt to {F} with {b} {I}.": "{S} repaid a debt to {F} with {b} {I}.",
    "{S} hands over {b} {I} that were owed to {F}.": "{S} handed over {b} {I} that were owed to {F}.",
    "{S} pays back {b} {I} to {F}.": "{S} paid back {b} {I} to {F}.",
    "{S} finally clears the loan by giving {F} {b} {I}.": "{S} finally cleared the loan by giving {F} {b} {I}.",
    "{S} gives {b} {I} back to the shop for a refund.": "{S} gave {b} {I} back to the shop for a refund.",
    "{S} takes {b} faulty {I} back to the store and gets a refund.":
        "{S} took {b} faulty {I} back to the store and got a refund.",
    "The vending machine keeps {b} of {P} {I} and gives nothing back.":
        "The vending machine kept {b} of {P} {I} and gave nothing back.",
    "{S} hands the cashier {b} {I} and gets no change.": "{S} handed the cashier {b} {I} and got no change.",
    "{S} swaps {b} {I} with {F} for a book.": "{S} swapped {b} {I} with {F} for a book.",
    "At the {L}, {S} exchanges {b} {I} for a voucher.": "At the {L}, {S} exchanged {b} {I} for a voucher.",
    "{S} gives {F} {b} {I} in return for a sticker.": "{S} gave {F} {b} {I} in return for a sticker.",
    "{F} lets {O} have a bike in exchange for {b} {I}.": "{F} let {O} have a bike in exchange for {b} {I}.",
    "{S} buys a lamp from {F} and hands over {b} {I} as payment.":
        "{S} bought a lamp from {F} and handed over {b} {I} as payment.",
    "{S} offers {F} {b} {I}, and {F} keeps them.": "{S} offered {F} {b} {I}, and {F} kept them.",
    "{S} passes {b} {I} to {F}, who holds on to them.": "{S} passed {b} {I} to {F}, who held on to them.",
    "{S} has to give up {b} {I} at the end of the game.": "{S} had to give up {b} {I} at the end of the game.",
    "{S} gives {F} {b} {I} and says not to return them.": "{S} gave {F} {b} {I} and said not to return them.",
    "{S} hands {b} {I} over to {F} for keeps.": "{S} handed {b} {I} over to {F} for keeps.",
    "{S} never asks for the {b} {I} back after giving them to {P} aunt.":
        "{S} never asked for the {b} {I} back after giving them to {P} aunt.",
    "{S} takes {b} {I} to the {L} and leaves them there.": "{S} took {b} {I} to the {L} and left them there.",
    "{S} lends {b} {I} to {F} and never sees them again.": "{S} lent {b} {I} to {F} and never saw them again.",
    "{F} walks off with {b} of {P} {I}, and {S} never sees them again.":
        "{F} walked off with {b} of {P} {I}, and {S} never saw them again.",
    "{F} takes {b} {I} from {O} without asking.": "{F} took {b} {I} from {O} without asking.",
    "{S} hands {b} {I} over to the club when the season ends.":
        "{S} handed {b} {I} over to the club when the season ended.",
    "{S} is not allowed to take home {b} of {P} {I} and leaves them at school.":
        "{S} was not allowed to take home {b} of {P} {I} and left them at school.",
    "The referee takes {b} {I} from {S} during the match and keeps them.":
        "The referee took {b} {I} from {S} during the match and kept them.",
    "{S} fails to win the bet and has to give {F} {b} {I}.": "{S} failed to win the bet and had to give {F} {b} {I}.",
    "{S} spends {b} {I} at the {L} and never gets them back.": "{S} spent {b} {I} at the {L} and never got them back.",
    "{S} pays {b} {I} at the ticket office and gets no refund.":
        "{S} paid {b} {I} at the ticket office and got no refund.",
    "On Monday, {S} gives out {b} {I} at the {L}.": "On Monday, {S} gave out {b} {I} at the {L}.",
    "Early on Sunday, {S} loses {b} {I} on the way to the {L}.":
        "Early on Sunday, {S} lost {b} {I} on the way to the {L}.",
    "Later that week, {S} gives {b} {I} away to {F}.": "Later that week, {S} gave {b} {I} away to {F}.",
    "By evening, {S} has sold {b} {I} at the {L}.": "By evening, {S} had sold {b} {I} at the {L}.",
    "At the end of the month, {S} runs low on {I} after using up {b} of them.":
        "At the end of the month, {S} ran low on {I} after using up {b} of them.",
    "Just before noon, {S} sends {b} {I} to {F}.": "Just before noon, {S} sent {b} {I} to {F}.",
    "That afternoon, {S} hands out {b} {I} to the neighbours.":
        "That afternoon, {S} handed out {b} {I} to the neighbours.",
    "Late at night, {S} loses {b} {I} in a game of cards with {F}.":
        "Late at night, {S} lost {b} {I} in a game of cards with {F}.",
    "Around lunchtime, {S} takes {b} {I} out of {P} {C} and gives them to {F}.":
        "Around lunchtime, {S} took {b} {I} out of {P} {C} and gave them to {F}.",
    "On the last day of term, {S} leaves {b} {I} behind at school for good.":
        "On the last day of term, {S} left {b} {I} behind at school for good.",
    "Before long, {S} lends {b} {I} to {F}.": "Before long, {S} lent {b} {I} to {F}.",
    "On Friday evening, {S} comes home {b} {I} short.": "On Friday evening, {S} came home {b} {I} short.",
    "At the {L}, {S} hands over {b} {I} to {F}.": "At the {L}, {S} handed over {b} {I} to {F}.",
    "In the kitchen, {S} returns {b} {I} to {F}.": "In the kitchen, {S} returned {b} {I} to {F}.",
    "Down at the market, {S} gets paid for {b} {I} at a stall.":
        "Down at the market, {S} got paid for {b} {I} at a stall.",
    "Outside the {L}, {F} takes {b} {I} from {O}.": "Outside the {L}, {F} took {b} {I} from {O}.",
    "At the post office, {S} posts a parcel of {b} {I} to {F}.":
        "At the post office, {S} posted a parcel of {b} {I} to {F}.",
    "Behind the {L}, {S} throws {b} {I} into the bin.": "Behind the {L}, {S} threw {b} {I} into the bin.",
    "At {F}'s house, {S} leaves {b} {I} for {F} to keep.": "At {F}'s house, {S} left {b} {I} for {F} to keep.",
    "On the bus, {S} loses {b} {I} to {F} in a bet.": "On the bus, {S} lost {b} {I} to {F} in a bet.",
    "At the front desk, {S} hands in {b} {I} for the staff to keep.":
        "At the front desk, {S} handed in {b} {I} for the staff to keep.",
    "Across the street, {S} gets rid of {b} {I} by giving them to a neighbour.":
        "Across the street, {S} got rid of {b} {I} by giving them to a neighbour.",
    "When {F} comes over, {S} gives {b} {I} to {F} as a gift.":
        "When {F} came over, {S} gave {b} {I} to {F} as a gift.",
    "After the lesson ends, {S} sends off {b} {I} to the other classes.":
        "After the lesson ended, {S} sent off {b} {I} to the other classes.",
    "Before {F} leaves, {S} puts {b} {I} into {F}'s hands.": "Before {F} left, {S} put {b} {I} into {F}'s hands.",
    "Because {F} insists, {S} parts with {b} of {P} {I}.": "Because {F} insisted, {S} parted with {b} of {P} {I}.",
    "While {F} watches, {S} removes {b} {I} from {P} collection and hands them to {F}.":
        "While {F} watched, {S} removed {b} {I} from {P} collection and handed them to {F}.",
    "As soon as the shop opens, {S} brings back {b} {I} for a refund.":
        "As soon as the shop opened, {S} brought back {b} {I} for a refund.",
    "When the rain stops, {S} goes to the {L} and leaves {b} {I} there.":
        "When the rain stopped, {S} went to the {L} and left {b} {I} there.",
    "After {F} heads home, {S} discovers that {b} of {P} {I} are missing.":
        "After {F} headed home, {S} discovered that {b} of {P} {I} were missing.",
    "Before the party starts, {S} sets aside {b} {I} for {F} to take away.":
        "Before the party started, {S} set aside {b} {I} for {F} to take away.",
    "As {F} is packing up, {S} offers {b} {I} to {F}, who says yes.":
        "As {F} was packing up, {S} offered {b} {I} to {F}, who said yes.",
    "Since it is {F}'s birthday, {S} gives {F} {b} {I}.": "Since it was {F}'s birthday, {S} gave {F} {b} {I}.",
    "While {F} is away, {S} posts {b} {I} to {F}.": "While {F} was away, {S} posted {b} {I} to {F}.",
    "{S} clears out {b} {I}, which are a little dusty, at a garage sale.":
        "{S} cleared out {b} {I}, which were a little dusty, at a garage sale.",
    "{S} passes on {b} {I}, still in their wrapping, to {F}.":
        "{S} passed on {b} {I}, still in their wrapping, to {F}.",
    "{S} hands out {b} {I}, the shiny kind with gold edges, as prizes at the fair.":
        "{S} handed out {b} {I}, the shiny kind with gold edges, as prizes at the fair.",
    "{S} finds a good home for {b} of {P} {I}.": "{S} found a good home for {b} of {P} {I}.",
    "{S} sends {b} brand new {I} in a box to {F}.": "{S} sent {b} brand new {I} in a box to {F}.",
    "{S} ends up giving {F} {b} {I} that used to belong to {O}.":
        "{S} ended up giving {F} {b} {I} that used to belong to {O}.",
    "{S} hands {F} a bag of {b} {I}, tied with a ribbon.": "{S} handed {F} a bag of {b} {I}, tied with a ribbon.",
    "{S} lends {b} {I} with bright red labels to {F}.": "{S} lent {b} {I} with bright red labels to {F}.",
    "For the school fair, {S} gives {b} {I} to the teachers.": "For the school fair, {S} gave {b} {I} to the teachers.",
    "To help {F} out, {S} hands {F} {b} {I} from {P} {C}.": "To help {F} out, {S} handed {F} {b} {I} from {P} {C}.",
    "To tidy the {L}, {S} throws {b} of {P} {I} out.": "To tidy the {L}, {S} threw {b} of {P} {I} out.",
    "For a class project, {S} leaves {b} of {P} {I} in the art room for good.":
        "For a class project, {S} left {b} of {P} {I} in the art room for good.",
    "As a thank-you, {S} gives {F} {b} {I}.": "As a thank-you, {S} gave {F} {b} {I}.",
    "For the bake sale, {S} sends over {b} {I} to the neighbours.":
        "For the bake sale, {S} sent over {b} {I} to the neighbours.",
    "In exchange for a favour, {S} pays {F} {b} {I}.": "In exchange for a favour, {S} paid {F} {b} {I}.",
    "As payment for the work, {S} pays out {b} {I} to {F}.": "As payment for the work, {S} paid out {b} {I} to {F}.",
    "Just to be kind, {S} lets {F} have {b} {I}.": "Just to be kind, {S} let {F} have {b} {I}.",
    "For safekeeping, {S} hands {b} {I} over to {F}.": "For safekeeping, {S} handed {b} {I} over to {F}.",
    "{S} leaves {b} {I} at the {L}, so the trip there is worth it.":
        "{S} left {b} {I} at the {L}, so the trip there was worth it.",
    "{S} puts {b} of {P} {I} on the prize table for others, and the crowd cheers.":
        "{S} put {b} of {P} {I} on the prize table for others, and the crowd cheered.",
    "{S} gives {b} {I} to {F}, which makes {F} smile.": "{S} gave {b} {I} to {F}, which made {F} smile.",
    "{S} comes back from the {L} without {b} of {P} {I}, and life goes on.":
        "{S} came back from the {L} without {b} of {P} {I}, and life went on.",
    "{S} sends {b} {I} to {F}, and the parcel arrives on time.":
        "{S} sent {b} {I} to {F}, and the parcel arrived on time.",
    "{S} unloads {b} {I} from {P} car at the {L}, and then drives home without them.":
        "{S} unloaded {b} {I} from {P} car at the {L}, and then drove home without them.",
    "{S} gives up {b} {I} in the deal, and {F} shakes on it.": "{S} gave up {b} {I} in the deal, and {F} shook on it.",
    "{S} tells {F} to take {b} {I} from {P} {C}, and {F} does.":
        "{S} told {F} to take {b} {I} from {P} {C}, and {F} did.",
    "{F} tells {O} to give up {b} of {P} {I}, and {S} does.": "{F} told {O} to give up {b} of {P} {I}, and {S} did.",
    "{S} says yes when {F} asks {O} for {b} {I}.": "{S} said yes when {F} asked {O} for {b} {I}.",
    "{S} writes to {F} to say that {b} of {P} {I} are on their way to {F}.":
        "{S} wrote to {F} to say that {b} of {P} {I} were on their way to {F}.",
    "{F} says {S} owes {b} {I}, and {S} pays them.": "{F} said {S} owed {b} {I}, and {S} paid them.",
    "{F} tells {O} that {b} of {P} {I} belong to {F} now.": "{F} told {O} that {b} of {P} {I} belonged to {F} now.",
    "{S} asks {F} to take {b} {I}, and {F} says yes.": "{S} asked {F} to take {b} {I}, and {F} said yes.",
    "{b} {I} leave {P} house in a parcel for {F}.": "{b} {I} left {P} house in a parcel for {F}.",
    "{b} of {P} {I} end up in {F}'s hands by the end of the day.":
        "{b} of {P} {I} ended up in {F}'s hands by the end of the day.",
    "{b} {I} go missing from {P} collection after a visit to the {L}.":
        "{b} {I} went missing from {P} collection after a visit to the {L}.",
    "{b} {I} are taken from {O} at the {L}.": "{b} {I} were taken from {O} at the {L}.",
    "{b} {I} are taken out of {P} {C} by {F}.": "{b} {I} were taken out of {P} {C} by {F}.",
    "{b} {I} are sold by {O} at the {L}.": "{b} {I} were sold by {O} at the {L}.",
    "{I} are popular at the {L} this week, and {S} sells off {b} of them.":
        "{I} were popular at the {L} this week, and {S} sold off {b} of them.",
    "{I} are what {S} collects, and today {S} gives {b} of them away.":
        "{I} were what {S} collected, and today {S} gave {b} of them away.",
    "{I} come and go in {P} house, and today {b} of them leave.":
        "{I} came and went in {P} house, and today {b} of them left.",
    "{I} make good presents, so {S} gives {F} {b} of them.": "{I} made good presents, so {S} gave {F} {b} of them.",
    "{S} buys {k} boxes of {m} {I}.": "{S} bought {k} boxes of {m} {I}.",
    "{S} buys {k} more bags of {m} {I}.": "{S} bought {k} more bags of {m} {I}.",
    "At the {L}, {S} buys {k} cartons of {m} {I}.": "At the {L}, {S} bought {k} cartons of {m} {I}.",
    "{S} buys {k} packages, with {m} {I} in every package.": "{S} bought {k} packages, with {m} {I} in every package.",
    "{F} brings {O} {k} bags with {m} {I} in each.": "{F} brought {O} {k} bags with {m} {I} in each.",
    "{S} picks up {k} packs of {m} {I} at the {L}.": "{S} picked up {k} packs of {m} {I} at the {L}.",
    "{S} picks up {k} cups of {m} {I} each from {F}.": "{S} picked up {k} cups of {m} {I} each from {F}.",
    "{S} gets {k} rolls of {m} {I}.": "{S} got {k} rolls of {m} {I}.",
    "For {P} birthday, {S} gets {k} gift bags of {m} {I} each.":
        "For {P} birthday, {S} got {k} gift bags of {m} {I} each.",
    "{F} gives {O} {k} jars with {m} {I} in each jar.": "{F} gave {O} {k} jars with {m} {I} in each jar.",
    "{F} gives {O} {k} piles of {m} {I}.": "{F} gave {O} {k} piles of {m} {I}.",
    "{S} wins {k} prizes of {m} {I} each.": "{S} won {k} prizes of {m} {I} each.",
    "{S} wins {k} rounds and gets {m} {I} for each round.": "{S} won {k} rounds and got {m} {I} for each round.",
    "{S} receives {k} parcels, and each parcel contains {m} {I}.":
        "{S} received {k} parcels, and each parcel contained {m} {I}.",
    "{S} receives {m} {I} from each of {k} cousins.": "{S} received {m} {I} from each of {k} cousins.",
    "{S} collects {k} buckets of {m} {I} each.": "{S} collected {k} buckets of {m} {I} each.",
    "{S} collects {k} handfuls of {m} {I}.": "{S} collected {k} handfuls of {m} {I}.",
    "{S} harvests {k} rows of {m} {I} each.": "{S} harvested {k} rows of {m} {I} each.",
    "{S} makes {k} batches of {m} {I}.": "{S} made {k} batches of {m} {I}.",
    "{S} makes {m} {I} every day for {k} days.": "{S} made {m} {I} every day for {k} days.",
    "{S} bakes {k} trays of {m} {I}.": "{S} baked {k} trays of {m} {I}.",
    "{F} sends {O} {k} boxes that each hold {m} {I}.": "{F} sent {O} {k} boxes that each held {m} {I}.",
    "{S} is sent {k} envelopes with {m} {I} in each.": "{S} was sent {k} envelopes with {m} {I} in each.",
    "{S} is given {k} bundles of {m} {I}.": "{S} was given {k} bundles of {m} {I}.",
    "{S} brings home {k} sacks with {m} {I} in every sack.": "{S} brought home {k} sacks with {m} {I} in every sack.",
    "{S} finds {k} nests with {m} {I} in each.": "{S} found {k} nests with {m} {I} in each.",
    "{S} picks {k} bunches of {m} {I}.": "{S} picked {k} bunches of {m} {I}.",
    "{S} picks {m} {I} from each of {k} trees.": "{S} picked {m} {I} from each of {k} trees.",
    "{F} lends {O} {k} folders holding {m} {I} each.": "{F} lent {O} {k} folders holding {m} {I} each.",
    "{S} takes home {k} bowls of {m} {I} each.": "{S} took home {k} bowls of {m} {I} each.",
    "{F} hands {O} {k} tins, each containing {m} {I}.": "{F} handed {O} {k} tins, each containing {m} {I}.",
    "{S} adds {k} sets of {m} {I} to {P} collection.": "{S} added {k} sets of {m} {I} to {P} collection.",
    "{S} works {k} days and is paid {m} {I} per day.": "{S} worked {k} days and was paid {m} {I} per day.",
    "{S} visits {k} shops and buys {m} {I} at each.": "{S} visited {k} shops and bought {m} {I} at each.",
    "Each of {k} neighbors gives {O} {m} {I}.": "Each of {k} neighbors gave {O} {m} {I}.",
    "{k} friends each give {O} {m} {I}.": "{k} friends each gave {O} {m} {I}.",
    "{S} loads {k} newly bought boxes of {m} {I} into {P} car and drives them home.":
        "{S} loaded {k} newly bought boxes of {m} {I} into {P} car and drove them home.",
    "{S} splurges on {k} deluxe boxes, each packed with {m} {I}.":
        "{S} splurged on {k} deluxe boxes, each packed with {m} {I}.",
    "At the checkout, {S} pays for {k} packets that hold {m} {I} each.":
        "At the checkout, {S} paid for {k} packets that held {m} {I} each.",
    "Because the {L} is having a sale, {S} stocks {P} cupboard with {k} packs of {m} {I}.":
        "Because the {L} was having a sale, {S} stocked {P} cupboard with {k} packs of {m} {I}.",
    "{S}, who loves a bargain, leaves the {L} with {k} discount packs of {m} {I}.":
        "{S}, who loved a bargain, left the {L} with {k} discount packs of {m} {I}.",
    "On a shelf at the {L}, {S} spots {k} packs of {m} {I} and buys them all.":
        "On a shelf at the {L}, {S} spotted {k} packs of {m} {I} and bought them all.",
    "{S} heads to the {L} and returns with {k} cases of {m} {I}.":
        "{S} headed to the {L} and returned with {k} cases of {m} {I}.",
    "At the clearance sale, {S} buys up {k} shelves of {I}, with {m} on every shelf.":
        "At the clearance sale, {S} bought up {k} shelves of {I}, with {m} on every shelf.",
    "Since {P} {C} is nearly empty, {S} buys {k} packets of {m} {I} to top it up.":
        "Since {P} {C} was nearly empty, {S} bought {k} packets of {m} {I} to top it up.",
    "{S} lays in {k} sacks of {m} {I} before winter comes.": "{S} laid in {k} sacks of {m} {I} before winter came.",
    "{k} boxes of {m} {I} show up on {P} doorstep, all addressed to {O}.":
        "{k} boxes of {m} {I} showed up on {P} doorstep, all addressed to {O}.",
    "{k} parcels arrive for {O}, each carrying {m} {I}.": "{k} parcels arrived for {O}, each carrying {m} {I}.",
    "{S} opens {k} boxes from {F} and finds {m} {I} in each of them.":
        "{S} opened {k} boxes from {F} and found {m} {I} in each of them.",
    "{S} unwraps {k} presents, each containing {m} {I}, and keeps them all.":
        "{S} unwrapped {k} presents, each containing {m} {I}, and kept them all.",
    "{S} signs for {k} deliveries of {m} {I} each.": "{S} signed for {k} deliveries of {m} {I} each.",
    "{S} subscribes to a box service for {k} months and receives {m} {I} in every monthly box.":
        "{S} subscribed to a box service for {k} months and received {m} {I} in every monthly box.",
    "{S} leaves the {L} carrying {k} bags, each with {m} {I} inside.":
        "{S} left the {L} carrying {k} bags, each with {m} {I} inside.",
    "{S} comes back from the market with {k} net bags of {m} {I}.":
        "{S} came back from the market with {k} net bags of {m} {I}.",
    "{S} lugs {k} baskets of {m} {I} home from the {L}.": "{S} lugged {k} baskets of {m} {I} home from the {L}.",
    "{S} fills {k} baskets with {m} {I} each at the {L} and takes them all home.":
        "{S} filled {k} baskets with {m} {I} each at the {L} and took them all home.",
    "{S} brings {k} baskets back from the orchard, and every basket holds {m} {I}.":
        "{S} brought {k} baskets back from the orchard, and every basket held {m} {I}.",
    "{S} loads up {k} shopping bags with {m} {I} in each and pays for all of them.":
        "{S} loaded up {k} shopping bags with {m} {I} in each and paid for all of them.",
    "{F} sends over {k} gift baskets for {O}, each holding {m} {I}.":
        "{F} sent over {k} gift baskets for {O}, each holding {m} {I}.",
    "After the fair, {S} walks away with {k} prize bags of {m} {I}.":
        "After the fair, {S} walked away with {k} prize bags of {m} {I}.",
    "{S} is lucky enough to land {k} goody bags of {m} {I}.": "{S} was lucky enough to land {k} goody bags of {m} {I}.",
    "In the garden, {S} digs up {k} rows of {I}, with {m} in each row.":
        "In the garden, {S} dug up {k} rows of {I}, with {m} in each row.",
    "{S} pulls {k} trays from the oven, each lined with {m} freshly baked {I}.":
        "{S} pulled {k} trays from the oven, each lined with {m} freshly baked {I}.",
    "The cafeteria gives {O} {k} trays of leftover {I}, with {m} on each tray.":
        "The cafeteria gave {O} {k} trays of leftover {I}, with {m} on each tray.",
    "{F} passes {k} trays across the counter to {O}, with {m} {I} on each tray.":
        "{F} passed {k} trays across the counter to {O}, with {m} {I} on each tray.",
    "{S} fills {k} empty shelves in {P} room with {m} new {I} per shelf.":
        "{S} filled {k} empty shelves in {P} room with {m} new {I} per shelf.",
    "{F} ties up {k} bundles of {m} {I} and hands every bundle to {O}.":
        "{F} tied up {k} bundles of {m} {I} and handed every bundle to {O}.",
    "{S} comes away from the swap meet with {k} bundles of {m} {I}.":
        "{S} came away from the swap meet with {k} bundles of {m} {I}.",
    "{S} is handed {k} bundles, each tied with string and holding {m} {I}.":
        "{S} was handed {k} bundles, each tied with string and holding {m} {I}.",
    "{S} walks off with {k} auction lots of {m} {I} each.": "{S} walked off with {k} auction lots of {m} {I} each.",
    "{F} shows up with {k} tote bags of {m} {I} and hands them all to {O}.":
        "{F} showed up with {k} tote bags of {m} {I} and handed them all to {O}.",
    "As a farewell gift, {F} leaves {O} {k} boxes holding {m} {I} each.":
        "As a farewell gift, {F} left {O} {k} boxes holding {m} {I} each.",
    "{k} bags of {m} {I} are handed to {O} by {F}.": "{k} bags of {m} {I} were handed to {O} by {F}.",
    "{S} is presented with {k} cases of {m} {I}.": "{S} was presented with {k} cases of {m} {I}.",
    "{F} posts {O} {k} envelopes containing {m} {I} each.": "{F} posted {O} {k} envelopes containing {m} {I} each.",
    "{F} fills {k} jars with {m} {I} each and gives the jars to {O}.":
        "{F} filled {k} jars with {m} {I} each and gave the jars to {O}.",
    "From {F}, {S} receives {k} tins with {m} {I} packed inside each.":
        "From {F}, {S} received {k} tins with {m} {I} packed inside each.",
    "The baker hands {O} {k} paper bags, each holding {m} {I}.":
        "The baker handed {O} {k} paper bags, each holding {m} {I}.",
    "{F} packs {k} lunch bags with {m} {I} each and gives all of them to {O}.":
        "{F} packed {k} lunch bags with {m} {I} each and gave all of them to {O}.",
    "Thanks to {F}, {S} now owns {k} extra sets of {m} {I}.": "Thanks to {F}, {S} now owned {k} extra sets of {m} {I}.",
    "{k} boxes of {m} {I} each are set aside for {O}, and {S} takes them home.":
        "{k} boxes of {m} {I} each were set aside for {O}, and {S} took them home.",
    "After each of {k} matches, the coach hands {O} {m} {I}.":
        "After each of {k} matches, the coach handed {O} {m} {I}.",
    "{S} coaches {k} teams this season, and every team thanks {O} with a gift of {m} {I}.":
        "{S} coached {k} teams this season, and every team thanked {O} with a gift of {m} {I}.",
    "{S} referees for {k} teams and is given {m} {I} by each team.":
        "{S} refereed for {k} teams and was given {m} {I} by each team.",
    "In each of {k} rounds of the quiz, {S} picks up {m} {I} as a prize.":
        "In each of {k} rounds of the quiz, {S} picked up {m} {I} as a prize.",
    "{S} clears {k} levels of the contest and takes home {m} {I} for each level.":
        "{S} cleared {k} levels of the contest and took home {m} {I} for each level.",
    "{S} lands {k} throws at the fair booth and is given {m} {I} per throw.":
        "{S} landed {k} throws at the fair booth and was given {m} {I} per throw.",
    "{S} plays {k} rounds of the game and collects {m} {I} in every round.":
        "{S} played {k} rounds of the game and collected {m} {I} in every round.",
    "For {k} days in a row, {S} brings home {m} {I} from the {L}.":
        "For {k} days in a row, {S} brought home {m} {I} from the {L}.",
    "{S} visits {F} {k} times and leaves with {m} {I} after each visit.":
        "{S} visited {F} {k} times and left with {m} {I} after each visit.",
    "On each of {k} mornings, {S} collects {m} {I} from the {L}.":
        "On each of {k} mornings, {S} collected {m} {I} from the {L}.",
    "Over {k} weekends, {S} picks up {m} {I} at the {L} each weekend.":
        "Over {k} weekends, {S} picked up {m} {I} at the {L} each weekend.",
    "{S} spends {k} afternoons at the {L} and comes home with {m} {I} each afternoon.":
        "{S} spent {k} afternoons at the {L} and came home with {m} {I} each afternoon.",
    "{F} stops by {k} times this month and leaves {m} {I} for {O} on every visit.":
        "{F} stopped by {k} times this month and left {m} {I} for {O} on every visit.",
    "During a {k}-day festival, {S} is given {m} {I} each day.":
        "During a {k}-day festival, {S} was given {m} {I} each day.",
    "{S} works {k} shifts at the {L}, getting {m} {I} for every shift.":
        "{S} worked {k} shifts at the {L}, getting {m} {I} for every shift.",
    "{S} babysits for {F} on {k} nights and gets {m} {I} per night.":
        "{S} babysat for {F} on {k} nights and got {m} {I} per night.",
    "{S} walks {F}'s dog on {k} evenings and receives {m} {I} for each walk.":
        "{S} walked {F}'s dog on {k} evenings and received {m} {I} for each walk.",
    "{S} helps {F} for {k} hours and is handed {m} {I} after every hour.":
        "{S} helped {F} for {k} hours and was handed {m} {I} after every hour.",
    "{S} whips up {k} batches of {I}, and each batch yields {m}.":
        "{S} whipped up {k} batches of {I}, and each batch yielded {m}.",
    "{S} prints {k} sheets, and each sheet has {m} {I} on it.":
        "{S} printed {k} sheets, and each sheet had {m} {I} on it.",
    "Using {P} new machine, {S} turns out {k} runs of {m} {I}.":
        "Using {P} new machine, {S} turned out {k} runs of {m} {I}.",
    "{S} assembles {k} sets of {m} {I} in the garage.": "{S} assembled {k} sets of {m} {I} in the garage.",
    "{S} combs the beach on {k} evenings and turns up {m} {I} each time.":
        "{S} combed the beach on {k} evenings and turned up {m} {I} each time.",
    "{S} rounds up {k} groups of {m} {I} from the field.": "{S} rounded up {k} groups of {m} {I} from the field.",
    "While hiking, {S} strips {m} {I} off each of {k} bushes and carries them home.":
        "While hiking, {S} stripped {m} {I} off each of {k} bushes and carried them home.",
    "{S} stuffs {P} {C} with {k} fistfuls of free {I} from the {L}, {m} in each fistful.":
        "{S} stuffed {P} {C} with {k} fistfuls of free {I} from the {L}, {m} in each fistful.",
}
