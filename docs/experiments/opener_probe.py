"""Does an opener a model never saw turn a step's direction? One-step problems from every held-out
phrasing's add and take-away frames, each asked bare and behind openers no curriculum has.

Every add or take-away frame of `paraphrase`, `fresh`, `blind`, `blind2`, `blind3` and `blind4`
that opens with the person ("{name} ...", "{friend} ...", after an opener of its own, which is
taken off), told as a one-step problem in that
set's own start, names, items and question; asked bare ("Nadia adds 8 acorns to the pile.") and
behind each of `OPENERS` ("The next morning Nadia adds ..."), the held-out sets' own openers,
which `workloads/leads.py` leaves out (tests/workloads/test_leads.py) and which open 2 of 81,254
sentences drawn from "tensed", "tensed-leads", "balanced", "wide-cues" and the templates (3,000
problems each; "On the way home", twice; the others never).
A step's direction is read right when the model's answer is the start plus (add) or minus
(take-away) the amount. Prints, per set and in all, the share read right bare and behind an
opener, and the steps whose direction an opener turned (right bare, wrong behind it):

    .venv/bin/python docs/experiments/opener_probe.py MODEL [MODEL ...]
"""

from __future__ import annotations

import random
import re
import sys

import heldout_file  # beside this script
import torch
from transformers import LlamaForCausalLM, PreTrainedTokenizerFast
from transformers.utils import logging as hf_logging

from training.evaluate import greedy_batch
from workloads import paraphrase
from workloads.graders import last_number

OPENERS = ("The next morning ", "On the way home, ", "Later on, ", "Afterwards, ", "At school, ", "The next day ")
# the sets `leads` was kept apart from (blind5 was written after it, the tense variants restate these)
SETS = {"paraphrase": paraphrase.FRAMES,
        **{name: heldout_file.SETS[name] for name in ("fresh", "blind", "blind2", "blind3", "blind4")}}
# an opener: words up to a comma, or the sets' two without one ("A neighbour brings {name}" is no opener)
_PERSON_FIRST = re.compile(r"(?:[A-Z][^{.,]*, |Then |The next morning )?((?:\{name\}|\{friend\}).*)")
DRAWS = 3  # problems per frame and opener (names, items and amounts drawn anew)


def problems() -> list[tuple[str, str, str, str, int]]:
    """(set, frame, opener or "", prompt, answer) for every frame, opener and draw."""
    rng, out = random.Random("opener-probe"), []
    for set_name, frames in SETS.items():
        for sign, pool in ((1, frames.add), (-1, frames.sub)):
            # a frame's own opener is taken off ("The next morning {name} adds ..." is asked as
            # "{name} adds ..." bare and behind each opener); frames that open otherwise are left out
            for frame in {m.group(1) for f in pool if (m := _PERSON_FIRST.match(f))}:
                for opener in ("", *OPENERS):
                    for _ in range(DRAWS):
                        name, item = rng.choice(frames.names), rng.choice(frames.items)
                        friend = rng.choice([n for n in frames.names if n != name])
                        a, b = rng.randint(30, 60), rng.randint(3, 25)
                        step = frame.format(name=name, friend=friend, item=item, b=b)
                        question = " ".join((frames.start[0].format(name=name, a=a, item=item), opener + step,
                                             frames.question[0].format(name=name, item=item)))
                        out.append((set_name, frame, opener, f"Q: {question}\nA:", a + sign * b))
    return out


def main(models: list[str]) -> None:
    torch.set_num_threads(2)
    hf_logging.disable_progress_bar()
    asked = problems()
    for path in models:
        tok = PreTrainedTokenizerFast.from_pretrained(path)
        model = LlamaForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
        outs = greedy_batch(model, tok, [p[3] for p in asked], 48)
        right = [last_number(o) == answer for (*_, answer), o in zip(asked, outs)]
        print(f"{path}: share of steps read right, bare / behind an unseen opener")
        for set_name in (*SETS, "all"):
            bare = [r for p, r in zip(asked, right) if set_name in ("all", p[0]) and not p[2]]
            led = [r for p, r in zip(asked, right) if set_name in ("all", p[0]) and p[2]]
            print(f"  {set_name:10s} {sum(bare) / len(bare):6.1%} ({len(bare)})  {sum(led) / len(led):6.1%} ({len(led)})")
        # per frame: right bare in most draws, wrong behind most openers
        by_frame: dict[tuple[str, str], list[list[bool]]] = {}
        for p, r in zip(asked, right):
            by_frame.setdefault((p[0], p[1]), [[], []])[bool(p[2])].append(r)
        turned = [(k, sum(b) / len(b), sum(o) / len(o)) for k, (b, o) in by_frame.items()
                  if sum(b) / len(b) - sum(o) / len(o) >= 0.3]
        for (set_name, frame), bare, led in sorted(turned, key=lambda t: t[2] - t[1]):
            print(f"  turned: {set_name:10s} bare {bare:5.0%} opened {led:5.0%}  {frame}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__.split("\n\n")[-1].strip())
    main(sys.argv[1:])
