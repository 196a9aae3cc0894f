"""A seventh held-out phrasing for the issue 14 experiments: `blind5_frames.py`'s sentences, written
2026-12-07 by a helper session that opened only its brief (frames "in the voice of the puzzle
column of a weekly family magazine"; slots and rules, no examples) after OUT18 was trained and
before any model was measured on it. Nothing here guided any curriculum, and the brief said
nothing of openers or of `workloads/leads.py`. The frames are kept as written; the names and
items are ones no curriculum, generator or other held-out set uses (checked against the text
of `workloads/`, `training/` and this folder when they were chosen). Same arithmetic as
`paraphrase`. One sentence shares words with `leads.STEP_LEADS`: "... at the corner shop on
Saturday." ends with what "On Saturday " opens with; tests/workloads/test_leads.py, which keeps
the other held-out sets' words out of `leads`, leaves this set out for that reason (the
curriculum was trained before the set was written).
"""

from __future__ import annotations

import blind5_frames  # beside this script

from workloads import paraphrase

FRAMES = paraphrase.Frames(
    name="blind5",
    names=("Ottoline", "Isolde", "Caspian", "Cordelia", "Peregrine", "Aurelio", "Zenobia", "Florizel", "Griselda",
           "Tiberius"),
    items=("postage stamps", "paper lanterns", "toy soldiers", "kazoos", "snow globes", "tea lights", "clothes pegs",
           "sugar cubes", "cotton reels"),
    start=blind5_frames.START,
    add=blind5_frames.ADD,
    sub=blind5_frames.SUB,
    groups=blind5_frames.GROUPS,
    question=blind5_frames.QUESTION,
)
